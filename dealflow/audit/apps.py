from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "dealflow.audit"
    label = "audit"
