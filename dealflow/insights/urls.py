from django.urls import path

from . import views, views_forecast, views_funnel, views_targets

app_name = "insights"
urlpatterns = [
    path("win-loss/", views.win_loss, name="win_loss"),
    path("win-loss.csv", views.win_loss_csv, name="win_loss_csv"),
    path("funnel/", views_funnel.funnel_report, name="funnel"),
    path("pipeline/", views_funnel.pipeline_report, name="pipeline"),
    path("targets/", views_targets.targets, name="targets"),
    path("forecast/", views_forecast.forecast_page, name="forecast"),
    path("forecast/sales/<int:sale_id>/category/", views_forecast.forecast_category, name="forecast_category"),
]
