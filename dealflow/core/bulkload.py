"""Raw bulk inserts for the generated data set (dealflow.core.datagen).

Rows arrive as plain tuples in the order of the columns a `Table` was given; every other concrete
column of the model gets its default, so a row is valid for the app even when a column is added
later (a NOT NULL column without a default stops the load with a clear message).

SQLite: `executemany` in large transactions with synchronous=OFF and a big page cache, foreign
keys off during the load (restored afterwards). PostgreSQL: one transaction, `COPY ... FROM
STDIN`, foreign keys dropped and added back (so PostgreSQL still checks every row once, at the
end). On both, the secondary indexes of the tables being filled are dropped first and created
again at the end, which is much faster than keeping them current row by row; primary keys are
assigned here (after the current largest id) and the PostgreSQL sequences are moved past them.
"""

# ruff: noqa: S608 - table and column names come from the models, never from input.
from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from dealflow.activities import denorm as activities_denorm
from dealflow.insights import pipeline_deltas
from dealflow.relations import denorm as relations_denorm
from dealflow.sales import month_totals
from dealflow.sales import totals as sale_totals
from dealflow.search import schema as search_schema

Row = tuple[Any, ...]
EPOCH = dt.datetime(1970, 1, 1)


def ts(seconds: int) -> str:
    """A UTC timestamp (seconds since the epoch) as both databases read it: 'YYYY-MM-DD HH:MM:SS'
    (PostgreSQL reads it in the session time zone, which the load sets to UTC)."""
    return str(EPOCH + dt.timedelta(seconds=seconds))


def day(seconds: int) -> str:
    """The UTC date of a timestamp, 'YYYY-MM-DD'."""
    return (EPOCH + dt.timedelta(seconds=seconds)).date().isoformat()


def _default(field: models.Field, table: str) -> Any:
    value = field.get_default()
    if value is None:
        if not field.null:
            raise ImproperlyConfigured(f"generate_data gives no value for {table}.{field.column} (NOT NULL).")
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)  # 0/1: SQLite's booleans, and valid boolean input for PostgreSQL
    if isinstance(value, dt.datetime):
        return ts(int(value.timestamp()))
    if isinstance(value, (Decimal, dt.date)):
        return str(value)
    return value


class Table:
    """The columns generate() fills for one model, followed by every other column at its default."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.name = model._meta.db_table
        fields = model._meta.concrete_fields
        known = {f.column for f in fields}
        unknown = set(columns) - known
        if unknown:
            raise ImproperlyConfigured(f"{self.name} has no column {', '.join(sorted(unknown))}.")
        rest = [f for f in fields if f.column not in columns]
        self.columns: list[str] = [*columns, *(str(f.column) for f in rest)]
        self.rest: Row = tuple(_default(f, self.name) for f in rest)


class Loader:
    def __init__(self, connection: BaseDatabaseWrapper, report: Callable[[str], None]) -> None:
        if connection.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"generate_data does not support {connection.vendor}.")
        self.connection = connection
        self.sqlite = connection.vendor == "sqlite"
        self.report = report

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def next_id(self, model: type[models.Model]) -> int:
        return int(self.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")[0][0]) + 1

    def insert(self, table: Table, rows: Iterable[Row]) -> None:
        rest, columns = table.rest, ", ".join(table.columns)
        raw = self.connection.connection
        if self.sqlite:
            marks = ", ".join("?" * len(table.columns))
            raw.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", (r + rest for r in rows))
            return
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r + rest)

    @contextmanager
    def bulk_mode(self, tables: Sequence[str]) -> Iterator[None]:
        """Drop the search index and the secondary indexes (and, on PostgreSQL, the foreign keys)
        of `tables`; create them again afterwards, also when the load fails half-way."""
        search_schema.drop(self.connection)
        sale_totals.drop_triggers(self.connection)  # counted once at the end, not row by row
        month_totals.drop_triggers(self.connection)
        pipeline_deltas.drop_triggers(self.connection)  # summed once at the end, like the totals
        activities_denorm.drop_triggers(self.connection)  # the loader writes links_share_owner
        relations_denorm.drop_triggers(self.connection)  # the loader writes the company names and account types
        indexes, foreign_keys = self._indexes(tables), self._foreign_keys(tables)
        for name, _sql in indexes:
            self.execute(f"DROP INDEX {name}")
        if foreign_keys:  # ALTER TABLE refuses while deferred checks of earlier writes are pending
            self.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, name, _definition in foreign_keys:
            self.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        # PRAGMAs such as synchronous cannot change inside a transaction (a caller's, or a test's).
        saved = self._sqlite_pragmas() if self.sqlite and not self.connection.in_atomic_block else []
        if not self.sqlite:
            self.execute("SET TIME ZONE 'UTC'")
            self.execute("SET maintenance_work_mem = '512MB'")
        try:
            yield
        finally:
            started = time.perf_counter()
            for _name, sql in indexes:
                self.execute(sql)
            self.report(f"indexes: {len(indexes)} created in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            for table, name, definition in foreign_keys:
                self.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            if foreign_keys:
                self.report(f"foreign keys: {len(foreign_keys)} checked in {time.perf_counter() - started:.1f} s")
            for pragma in saved:
                self.execute(pragma)
            if not self.sqlite:
                self.execute("RESET maintenance_work_mem")
            started = time.perf_counter()
            sale_totals.install_triggers(self.connection)
            sale_totals.rebuild(self.connection)
            month_totals.install_triggers(self.connection)
            month_totals.rebuild(self.connection)
            self.report(f"sale totals: rebuilt in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            pipeline_deltas.install_triggers(self.connection)
            pipeline_deltas.rebuild(self.connection)
            self.report(f"pipeline deltas: rebuilt in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            corrected = relations_denorm.rebuild(self.connection)  # a check: the loader wrote them
            relations_denorm.install_triggers(self.connection)
            self.report(
                f"company names and account types: {corrected} corrected in {time.perf_counter() - started:.1f} s"
            )
            started = time.perf_counter()
            corrected = activities_denorm.rebuild(self.connection)  # a check: the loader wrote them
            activities_denorm.install_triggers(self.connection)
            self.report(f"links share owner: {corrected} corrected in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            search_schema.ensure_installed(self.connection)
            counts = search_schema.rebuild(self.connection)
            took = time.perf_counter() - started
            self.report(f"search index: {sum(counts.values())} rows in {took:.1f} s")

    def _indexes(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        if self.sqlite:
            marks = ", ".join("?" * len(tables))
            return self.execute(  # type: ignore[return-value]
                f"SELECT '\"' || name || '\"', sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks}) ORDER BY name",
                [*tables],
            )
        return self.execute(  # type: ignore[return-value]
            "SELECT quote_ident(c.relname), pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid::regclass::text = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1",
            [list(tables)],
        )

    def _foreign_keys(self, tables: Sequence[str]) -> list[tuple[str, str, str]]:
        if self.sqlite:
            return []  # SQLite cannot drop a constraint; foreign key checks are switched off instead
        return self.execute(  # type: ignore[return-value]
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [list(tables)],
        )

    def _sqlite_pragmas(self) -> list[str]:
        """Set the bulk-load PRAGMAs; returns the statements that put the old values back."""
        saved = []
        for pragma, value in (("synchronous", "OFF"), ("cache_size", "-524288"), ("foreign_keys", "OFF"),
                              ("temp_store", "MEMORY"), ("threads", "2")):  # fmt: skip
            old = self.execute(f"PRAGMA {pragma}")[0][0]
            saved.append(f"PRAGMA {pragma} = {old}")
            self.execute(f"PRAGMA {pragma} = {value}")
        return saved

    def finish(self, models_: Sequence[type[models.Model]]) -> None:
        """Move the PostgreSQL sequences past the ids given here; refresh the planner statistics."""
        started = time.perf_counter()
        if self.sqlite:
            self.execute("ANALYZE")
        else:
            for model in models_:
                table = model._meta.db_table
                self.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}), (SELECT COUNT(*) > 0 FROM {table}))"
                )
            # VACUUM too (outside a transaction): it fills the visibility map index-only scans rely on.
            self.execute("ANALYZE" if self.connection.in_atomic_block else "VACUUM (ANALYZE)")
        self.report(f"statistics: {time.perf_counter() - started:.1f} s")
