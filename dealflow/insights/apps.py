from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class InsightsConfig(AppConfig):
    name = "dealflow.insights"
    label = "insights"

    def ready(self) -> None:
        # The pipeline deltas' triggers step aside while migrations run on SQLite (pipeline_deltas.py).
        from . import pipeline_deltas

        pre_migrate.connect(pipeline_deltas.before_migrate, sender=self, dispatch_uid="dealflow.insights.deltas")
        post_migrate.connect(pipeline_deltas.after_migrate, sender=self, dispatch_uid="dealflow.insights.deltas")
