from django.urls import path

from . import views, views_calllist, views_lists

app_name = "saved"

urlpatterns = [
    path("selections/", views.selection_list, name="selection_list"),
    path("selections/new/", views.selection_create, name="selection_create"),
    path("selections/add/", views.member_add, name="member_add"),
    path("selections/<int:pk>/", views.selection_detail, name="selection_detail"),
    path("selections/<int:pk>/edit/", views.selection_edit, name="selection_edit"),
    path("selections/<int:pk>/delete/", views.selection_delete, name="selection_delete"),
    path("selections/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("selections/<int:pk>/work/", views_calllist.selection_work, name="selection_work"),
    path("views/<str:entity>/save/", views_lists.view_save, name="view_save"),
    path("views/<str:entity>/bulk/", views_lists.bulk, name="bulk"),
    path("favourites/", views.favourites, name="favourites"),
    path("favourites/<str:kind>/<int:pk>/", views.favourite_toggle, name="favourite_toggle"),
]
