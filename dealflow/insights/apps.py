from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "dealflow.insights"
    label = "insights"
