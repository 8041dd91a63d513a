from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "dealflow.activities"
    label = "activities"

    def ready(self) -> None:
        # Activity.links_share_owner's triggers step aside while migrations run on SQLite (core/triggers.py).
        from . import denorm

        denorm.KEPT.connect(self)
