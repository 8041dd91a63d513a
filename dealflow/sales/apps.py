from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "dealflow.sales"
    label = "sales"
