"""Shared write helpers: validated, audited, optimistic-locked updates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.audit.services import audit_record, diff, snapshot
from dealflow.core.models import Versioned


class StaleVersion(Exception):
    """The record changed since the caller read it. `changes` says what the other save did."""

    def __init__(self, current: Versioned, changes: dict[str, list[Any]]):
        self.current = current
        self.changes = changes
        super().__init__(_("Someone else saved this record while you were editing it."))


def changes_since(instance: models.Model, version: int) -> dict[str, list[Any]]:
    """What the audit log says happened to `instance` after `version` (best effort)."""
    from dealflow.audit.models import AuditEvent

    events = AuditEvent.objects.filter(
        object_type=instance._meta.model_name, object_id=instance.pk, action="update"
    ).order_by("created_at", "id")
    merged: dict[str, list[Any]] = {}
    for event in events:
        if event.changes.get("version", [0, 0])[1] and int(event.changes["version"][1]) <= version:
            continue
        for field, (old, new) in event.changes.items():
            if field == "version":
                continue
            merged.setdefault(field, [old, new])[1] = new
    return merged


def create_instance(*, actor: Any, model: type[models.Model], data: dict[str, Any]) -> Any:
    instance = model(**data)
    instance.full_clean()
    instance.save()
    audit_record(
        actor=actor,
        action="create",
        instance=instance,
        changes={k: [None, v] for k, v in snapshot(instance, data.keys()).items() if v not in ("", None)},
    )
    return instance


def update_instance(
    *,
    actor: Any,
    instance: Any,
    data: dict[str, Any],
    expected_version: int | None = None,
    action: str = "update",
) -> Any:
    """Apply `data`, validate, and save only if nobody saved in between."""
    if expected_version is not None and expected_version != instance.version:
        instance.refresh_from_db()
        if expected_version != instance.version:
            raise StaleVersion(instance, changes_since(instance, expected_version))
    fields = list(data.keys())
    before = snapshot(instance, fields)
    for key, value in data.items():
        setattr(instance, key, value)
    instance.full_clean()
    changes = diff(before, snapshot(instance, fields))
    if not changes:
        return instance
    model = type(instance)
    old_version = instance.version
    instance.version = old_version + 1
    if hasattr(instance, "updated_at"):
        instance.updated_at = timezone.now()  # .update() below skips auto_now
    # Conditional write: a concurrent save that got in first makes this match no row.
    updated = model.objects.filter(pk=instance.pk, version=old_version).update(
        **{f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    )
    if not updated:
        instance.version = old_version
        fresh = model.objects.get(pk=instance.pk)
        raise StaleVersion(fresh, changes_since(fresh, old_version))
    changes["version"] = [old_version, instance.version]
    audit_record(actor=actor, action=action, instance=instance, changes=changes)
    return instance


__all__ = ["StaleVersion", "ValidationError", "create_instance", "update_instance", "changes_since"]
