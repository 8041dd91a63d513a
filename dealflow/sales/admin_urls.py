"""The administrators' funnel set-up screens, under /admin/ beside users, teams and account types."""

from django.urls import path, register_converter

from . import admin_views as views


class LookupKindConverter:
    """close-reasons | stall-reasons | competitors: the lists one set of views edits."""

    regex = "close-reasons|stall-reasons|competitors"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LookupKindConverter, "lookup")

app_name = "funnel"

urlpatterns = [
    path("admin/funnel/", views.funnel_index, name="index"),
    path("admin/funnel/switch/", views.funnel_settings, name="settings"),
    path("admin/sale-types/", views.pipeline_list, name="pipeline_list"),
    path("admin/sale-types/new/", views.pipeline_edit, name="pipeline_create"),
    path("admin/sale-types/<int:pk>/", views.pipeline_edit, name="pipeline_edit"),
    path("admin/sale-types/<int:pk>/delete/", views.pipeline_delete, name="pipeline_delete"),
    path("admin/phases/<int:pk>/guide/", views.guide_edit, name="guide_edit"),
    path("admin/phases/<int:pk>/guide/order/", views.guide_reorder, name="guide_reorder"),
    path("admin/guide-steps/<int:pk>/delete/", views.guide_step_delete, name="guide_step_delete"),
    path("admin/fields/", views.udf_list, name="udf_list"),
    path("admin/fields/new/", views.udf_edit, name="udf_create"),
    path("admin/fields/<int:pk>/", views.udf_edit, name="udf_edit"),
    path("admin/fields/<int:pk>/delete/", views.udf_delete, name="udf_delete"),
    path("admin/<lookup:kind>/", views.lookup_list, name="lookup_list"),
    path("admin/<lookup:kind>/new/", views.lookup_edit, name="lookup_create"),
    path("admin/<lookup:kind>/<int:pk>/", views.lookup_edit, name="lookup_edit"),
    path("admin/<lookup:kind>/<int:pk>/delete/", views.lookup_delete, name="lookup_delete"),
]
