from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", success_url=reverse_lazy("accounts:password_done")
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_done.html"),
        name="password_done",
    ),
    path("language/", views.set_language, name="set_language"),
    path("settings/", views.user_settings, name="settings"),
    path("settings/tokens/", views.token_create, name="token_create"),
    path("settings/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("admin/users/", views.user_list, name="user_list"),
    path("admin/users/new/", views.user_edit, name="user_create"),
    path("admin/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("admin/teams/", views.team_list, name="team_list"),
    path("admin/teams/new/", views.team_edit, name="team_create"),
    path("admin/teams/<int:pk>/", views.team_edit, name="team_edit"),
]
