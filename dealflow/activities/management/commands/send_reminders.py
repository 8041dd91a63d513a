"""Run by a timer (e.g. every minute): notify owners of activities whose reminder time has come."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dealflow.activities.services import reminders_send


class Command(BaseCommand):
    help = "Create the reminder notifications (and e-mails) of activities that are due soon."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent.")
