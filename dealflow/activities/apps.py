from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "dealflow.activities"
    label = "activities"
