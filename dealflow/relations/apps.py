from django.apps import AppConfig


class RelationsConfig(AppConfig):
    name = "dealflow.relations"
    label = "relations"
