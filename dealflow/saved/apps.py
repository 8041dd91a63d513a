from django.apps import AppConfig


class SavedConfig(AppConfig):
    name = "dealflow.saved"
    label = "saved"
