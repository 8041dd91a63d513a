"""Store this week's forecast (run weekly by a timer): `manage.py snapshot_forecast`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from dealflow.insights.targets_services import forecast_snapshot_take


class Command(BaseCommand):
    help = "Store the open pipeline per owner, sale type and expected close month, for forecast accuracy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, help="The day the snapshot counts as taken (default: today)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options.get("date") or timezone.localdate()
        stored = forecast_snapshot_take(today=today)
        self.stdout.write(f"{stored} forecast rows stored for {today.isoformat()}.")
