from django.urls import path

from . import views

app_name = "relations"

urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/archive/", views.company_archive, name="company_archive"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company_delete"),
    path("persons/", views.person_list, name="person_list"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/archive/", views.person_archive, name="person_archive"),
    path("persons/<int:pk>/delete/", views.person_delete, name="person_delete"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/archive/", views.project_archive, name="project_archive"),
    path("projects/<int:pk>/delete/", views.project_delete, name="project_delete"),
]

from . import admin_views  # noqa: E402

urlpatterns += [
    path("admin/account-types/", admin_views.account_type_list, name="account_type_list"),
    path("admin/account-types/new/", admin_views.account_type_edit, name="account_type_create"),
    path("admin/account-types/<int:pk>/", admin_views.account_type_edit, name="account_type_edit"),
    path("admin/account-types/<int:pk>/delete/", admin_views.account_type_delete, name="account_type_delete"),
]
