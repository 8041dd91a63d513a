from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_index(using: str = "default", **kwargs: Any) -> None:
    """After every migrate (and test-database flush): put back any trigger a table rebuild
    dropped, and rebuild the index when one was missing."""
    from django.db import connections

    from . import schema

    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql") or not schema.table_exists(connection):
        return  # not migrated yet (or migrated back to zero)
    if schema.ensure_installed(connection):
        schema.rebuild(connection)


class SearchConfig(AppConfig):
    name = "dealflow.search"
    label = "search"

    def ready(self) -> None:
        post_migrate.connect(_ensure_index, sender=self, dispatch_uid="dealflow.search.ensure_index")
