from django.core.management.base import BaseCommand

from dealflow.sales.services import sales_reopen_due


class Command(BaseCommand):
    help = "Reopen stalled sales whose reopen date has come. Run daily from a timer (cron, systemd)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        count = sales_reopen_due()
        self.stdout.write(f"Reopened {count} stalled sale(s).")
