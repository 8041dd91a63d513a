"""What the trigger-kept copies, flags and totals share (relations/denorm.py, activities/denorm.py,
insights/pipeline_deltas.py, sales/totals.py, sales/month_totals.py): the databases their triggers
are written for, running a list of statements, and `TriggerSet`, their life cycle."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.apps import AppConfig
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_migrate, pre_migrate

VENDORS = ("sqlite", "postgresql")


def check_vendor(connection: BaseDatabaseWrapper, what: str) -> None:
    if connection.vendor not in VENDORS:
        raise NotImplementedError(f"{what} has no triggers for {connection.vendor}.")


def run(connection: BaseDatabaseWrapper, statements: Iterable[str]) -> int:
    """Run each statement; the number of rows they changed."""
    rows = 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            rows += max(cursor.rowcount, 0)
    return rows


def present(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of the triggers in the database (the caller keeps those it owns)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {name for (name,) in cursor.fetchall()}


def install(connection: BaseDatabaseWrapper, sqlite: Mapping[str, str], pg: Mapping[str, list[str]]) -> None:
    """Create the triggers: on SQLite one statement per trigger, on PostgreSQL each trigger's
    function and trigger statements."""
    if connection.vendor == "sqlite":
        run(connection, sqlite.values())
    else:
        run(connection, [sql for statements in pg.values() for sql in statements])


def drop(connection: BaseDatabaseWrapper, sqlite_names: Iterable[str], pg_drop: Iterable[str]) -> None:
    if connection.vendor == "sqlite":
        run(connection, [f"DROP TRIGGER IF EXISTS {name}" for name in sqlite_names])
    else:
        run(connection, pg_drop)


class TriggerSet:
    """The triggers that keep one thing true (a copied column, a flag, a table of totals), and
    what every such set needs: installing and dropping them, finding missing ones, recomputing
    what they keep, and stepping aside while migrations run on SQLite.

    Why step aside: Django alters a table on SQLite by rebuilding it (new table, copy, drop,
    rename), which drops the table's own triggers, and SQLite refuses the rename while a trigger
    of another table names the dropped one. So `before_migrate` drops the set's triggers when
    migrations are about to run on SQLite, the migration that creates what the set keeps leaves
    the installing to `after_migrate` then (`install_in_migration`), and `after_migrate` puts back
    whatever is missing and recomputes what the triggers kept while they were gone. After a
    flush (tests), which deletes rows in no particular order while the triggers run, it
    recomputes too. `connect` hooks the two receivers to an app's migrations."""

    def __init__(
        self,
        what: str,
        *,
        sqlite: Mapping[str, str],
        pg: Mapping[str, list[str]],
        pg_drop: Iterable[str],
        rebuild: Callable[[str], Iterable[str]],
        needs: Iterable[tuple[str, str | None]],
        pg_names: Iterable[str] | None = None,
        indexes: Mapping[str, str] | None = None,
        rebuild_first: bool = False,
    ):
        self.what = what
        self.sqlite = sqlite  # trigger name -> its CREATE statement
        self.pg = pg  # key -> the statements that create a function and its triggers
        self.pg_drop = list(pg_drop)
        self.rebuild_sql = rebuild  # vendor -> the statements that recompute what is kept
        self.needs = list(needs)  # (table, column or None) that must exist before the set applies
        self.pg_names = set(pg if pg_names is None else pg_names)  # the triggers `pg` creates
        self.indexes = dict(indexes or {})  # name -> CREATE INDEX the kept data needs, no model declares
        # True when recomputing writes the columns the triggers watch (a copy, a flag): the
        # migration that adds them computes before installing, which spares a trigger call per row.
        self.rebuild_first = rebuild_first
        self.migrating: set[str] = set()  # database aliases whose running `migrate` dropped the triggers

    def check_vendor(self, connection: BaseDatabaseWrapper) -> None:
        check_vendor(connection, self.what)

    def names(self, connection: BaseDatabaseWrapper) -> set[str]:
        return set(self.sqlite) if connection.vendor == "sqlite" else self.pg_names

    def trigger_names(self, connection: BaseDatabaseWrapper) -> set[str]:
        """The set's triggers present in the database."""
        self.check_vendor(connection)
        return present(connection) & self.names(connection)

    def is_ready(self, connection: BaseDatabaseWrapper) -> bool:
        """Whether the tables and columns the triggers name exist (not before the migrations that
        add them, nor after migrating back)."""
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            for table, column in self.needs:
                if table not in tables:
                    return False
                if column and column not in {
                    c.name for c in connection.introspection.get_table_description(cursor, table)
                }:
                    return False
        return True

    def install_indexes(self, connection: BaseDatabaseWrapper) -> None:
        """The missing ones only: PostgreSQL refuses even CREATE INDEX IF NOT EXISTS on a table
        with pending trigger events."""
        if not self.indexes:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            else:
                cursor.execute("SELECT indexname FROM pg_indexes")
            found = {name for (name,) in cursor.fetchall()}
        run(connection, [sql for name, sql in self.indexes.items() if name not in found])

    def drop_indexes(self, connection: BaseDatabaseWrapper) -> None:
        run(connection, [f"DROP INDEX IF EXISTS {name}" for name in self.indexes])

    def install_triggers(self, connection: BaseDatabaseWrapper) -> None:
        self.check_vendor(connection)
        install(connection, self.sqlite, self.pg)

    def drop_triggers(self, connection: BaseDatabaseWrapper) -> None:
        """For a bulk load, which recomputes once at the end instead of row by row; for the
        migrations that step aside (before_migrate) or go back."""
        self.check_vendor(connection)
        drop(connection, self.sqlite, self.pg_drop)

    def rebuild(self, connection: BaseDatabaseWrapper) -> int:
        """Recompute what the triggers keep (after a bulk load, or to repair); the rows changed."""
        self.check_vendor(connection)
        return run(connection, self.rebuild_sql(connection.vendor))

    def ensure_installed(self, connection: BaseDatabaseWrapper) -> bool:
        """Put back any missing index or trigger and, when a trigger was missing (writes may have
        gone past it), recompute. True when a trigger was put back."""
        self.install_indexes(connection)
        if self.trigger_names(connection) == self.names(connection):
            return False
        self.install_triggers(connection)
        self.rebuild(connection)
        return True

    def install_in_migration(self, connection: BaseDatabaseWrapper) -> None:
        """For the migration that creates what the set keeps: the triggers and the first
        computation, except what before_migrate's dropping the triggers for this run leaves to
        after_migrate (which installs and recomputes)."""
        self.install_indexes(connection)
        migrating = connection.alias in self.migrating
        if self.rebuild_first:
            self.rebuild(connection)
        if not migrating:
            self.install_triggers(connection)
            if not self.rebuild_first:
                self.rebuild(connection)

    def before_migrate(self, using: str = "default", plan: list[Any] | None = None, **kwargs: Any) -> None:
        """pre_migrate receiver: on SQLite, drop the triggers before migrations run."""
        from django.db import connections

        connection = connections[using]
        if connection.vendor == "sqlite" and plan:
            self.migrating.add(using)
            self.drop_triggers(connection)

    def after_migrate(self, using: str = "default", plan: list[Any] | None = None, **kwargs: Any) -> None:
        """post_migrate receiver (after `migrate`, and after a flush, which passes no plan): put
        back what is missing, and recompute when a trigger was missing or rows were flushed."""
        from django.db import connections

        self.migrating.discard(using)
        connection = connections[using]
        if connection.vendor not in VENDORS or not self.is_ready(connection):
            return
        if not self.ensure_installed(connection) and plan is None:
            self.rebuild(connection)

    def connect(self, app: AppConfig) -> None:
        """Hook the receivers to `app`'s migrations (from its AppConfig.ready)."""
        uid = f"dealflow.triggers.{self.what}"
        pre_migrate.connect(self.before_migrate, sender=app, dispatch_uid=uid)
        post_migrate.connect(self.after_migrate, sender=app, dispatch_uid=uid)
