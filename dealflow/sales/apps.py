from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "dealflow.sales"
    label = "sales"

    def ready(self) -> None:
        # The totals' triggers step aside while migrations run on SQLite (core/triggers.py).
        from . import month_totals, totals

        totals.KEPT.connect(self)
        month_totals.KEPT.connect(self)
