"""The database connection's session settings."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_runs_without_jit() -> None:
    """PostgreSQL's JIT compiled the activity list's capped count for longer than it ran
    (settings.py); every connection turns it off. SQLite has no JIT: nothing to check there."""
    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
