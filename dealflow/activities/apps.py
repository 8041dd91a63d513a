from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class ActivitiesConfig(AppConfig):
    name = "dealflow.activities"
    label = "activities"

    def ready(self) -> None:
        # Activity.links_share_owner's triggers step aside while migrations run on SQLite (denorm.py).
        from . import denorm

        pre_migrate.connect(denorm.before_migrate, sender=self, dispatch_uid="dealflow.activities.links_share_owner")
        post_migrate.connect(denorm.after_migrate, sender=self, dispatch_uid="dealflow.activities.links_share_owner")
