"""What the trigger-kept copies and totals share (relations/denorm.py, activities/denorm.py,
insights/pipeline_deltas.py): the databases their triggers are written for, and running a list of
statements."""

from __future__ import annotations

from collections.abc import Iterable

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
