from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class RelationsConfig(AppConfig):
    name = "dealflow.relations"
    label = "relations"

    def ready(self) -> None:
        # The triggers of Person.company_name and Sale.company_name step aside while migrations run
        # on SQLite (denorm.py).
        from . import denorm

        pre_migrate.connect(denorm.before_migrate, sender=self, dispatch_uid="dealflow.relations.company_names")
        post_migrate.connect(denorm.after_migrate, sender=self, dispatch_uid="dealflow.relations.company_names")
