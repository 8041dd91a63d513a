"""What the trigger-kept copies and totals share (relations/denorm.py, activities/denorm.py,
insights/pipeline_deltas.py): the databases their triggers are written for, and running a list of
statements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.backends.base.base import BaseDatabaseWrapper


def check_vendor(connection: BaseDatabaseWrapper, what: str) -> None:
    if connection.vendor not in ("sqlite", "postgresql"):
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
