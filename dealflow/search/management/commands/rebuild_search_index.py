"""Fill the global search index again from companies, persons and sales, and on SQLite the lists'
substring indexes from their tables (after a bulk load outside Django, or to be sure).
Triggers keep them current otherwise."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections, transaction

from dealflow.search import schema, substring


class Command(BaseCommand):
    help = "Rebuild the global search index (companies, persons, sales), the lists' search indexes and their triggers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        with transaction.atomic(using=options["database"]):
            schema.ensure_installed(connection)
            counts = schema.rebuild(connection)
            if substring.wanted(connection):
                substring.rebuild(connection)
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count}")
