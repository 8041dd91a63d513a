from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "dealflow.insights"
    label = "insights"

    def ready(self) -> None:
        # The pipeline deltas' triggers step aside while migrations run on SQLite (core/triggers.py).
        from . import pipeline_deltas

        pipeline_deltas.KEPT.connect(self)
