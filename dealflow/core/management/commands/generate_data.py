"""Generate the seeded benchmark data set in bulk: `manage.py generate_data --size small|medium|large`."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dealflow.core import datagen


class Command(BaseCommand):
    help = "Generate a seeded data set (users, companies, persons, sales, phase records, activities) in bulk."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--size", choices=sorted(datagen.SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-missing", action="store_true", help="Do nothing when a data set is there.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if datagen.has_generated_data():
            if options["if_missing"]:
                self.stdout.write("A generated data set is already there.")
                return
            raise CommandError("This database already holds a generated data set; use a fresh database.")
        started = time.perf_counter()
        counts = datagen.generate(options["size"], seed=options["seed"], report=lambda s: self.stdout.write(s))
        seconds = time.perf_counter() - started
        rows = sum(counts.values())
        summary = ", ".join(f"{k} {v}" for k, v in counts.items())
        self.stdout.write(f"{summary}: {rows} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
