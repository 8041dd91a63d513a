"""Writes for saved list views: create, update, delete, make default. Each audited; the
columns, filters, sort and grouping are checked against the list's whitelist (saved.lists)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.audit.services import audit_record
from dealflow.core.services import create_instance, update_instance

from .lists import SPECS
from .models import SavedView


def _unknown(kind: str, names: list[str], allowed: Any) -> ValidationError:
    return ValidationError(
        {"config": _("Unknown %(kind)s: %(names)s. Allowed: %(allowed)s.")
         % {"kind": kind, "names": ", ".join(names), "allowed": ", ".join(sorted(allowed))}}
    )  # fmt: skip


def clean_config(entity: str, config: Any) -> dict[str, Any]:
    """The view's settings, each name checked against the list's whitelist."""
    spec = SPECS.get(entity)
    if spec is None:
        raise ValidationError({"entity": _("There is no such list.")})
    if not isinstance(config, dict):
        raise ValidationError({"config": _("The view settings must be an object.")})
    extra = sorted(set(config) - {"columns", "filters", "sort", "group_by"})
    if extra:
        raise _unknown(_("setting"), extra, ["columns", "filters", "sort", "group_by"])
    columns = config.get("columns") or list(spec.default_columns)
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ValidationError({"config": _("The columns must be a list of names.")})
    bad = [c for c in columns if c not in spec.columns]
    if bad:
        raise _unknown(_("column"), bad, spec.columns)
    filters = config.get("filters") or {}
    if not isinstance(filters, dict):
        raise ValidationError({"config": _("The filter must be an object of field names and values.")})
    bad = sorted(set(filters) - spec.filters)
    if bad:
        raise _unknown(_("filter"), bad, spec.filters)
    sort = config.get("sort") or ""
    if sort and sort not in spec.sorts:
        raise _unknown(_("sort"), [str(sort)], spec.sorts)
    group = config.get("group_by") or ""
    if group and group not in spec.groups:
        raise _unknown(_("grouping"), [str(group)], spec.groups)
    return {
        "columns": list(dict.fromkeys(columns)),
        "filters": {k: str(v)[:200] for k, v in filters.items() if v not in (None, "")},
        "sort": sort,
        "group_by": group,
    }


def _clear_default(actor: User, entity: str, keep: int | None = None) -> None:
    olds = SavedView.objects.filter(owner=actor, entity=entity, is_default=True)
    for old in olds.exclude(pk=keep) if keep else olds:
        old.is_default = False
        old.save(update_fields=["is_default", "updated_at"])
        audit_record(actor=actor, action="update", instance=old, changes={"is_default": [True, False]})


@transaction.atomic
def saved_view_create(
    *, actor: User, entity: str, name: str, config: Any, shared: bool = False, is_default: bool = False
) -> SavedView:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    config = clean_config(entity, config)
    if is_default:
        _clear_default(actor, entity)
    data = {"owner": actor, "entity": entity, "name": name[:120], "config": config, "shared": shared,
            "is_default": is_default}  # fmt: skip
    return create_instance(actor=actor, model=SavedView, data=data)


@transaction.atomic
def saved_view_update(
    *, actor: User, view: SavedView, data: dict[str, Any], expected_version: int | None = None
) -> SavedView:
    data = {k: v for k, v in data.items() if k in ("name", "config", "shared")}
    if "config" in data:
        data["config"] = clean_config(view.entity, data["config"])
    if "name" in data and not str(data["name"]).strip():
        raise ValidationError({"name": _("Give the view a name.")})
    return update_instance(actor=actor, instance=view, data=data, expected_version=expected_version)


@transaction.atomic
def saved_view_set_default(*, actor: User, view: SavedView | None, entity: str) -> None:
    """Make `view` the actor's default for its list (None: no default). A shared view of a
    teammate can be one's default too: the flag is kept on a personal copy."""
    _clear_default(actor, entity, keep=view.pk if view and view.owner_id == actor.pk else None)
    if view is None:
        return
    if view.owner_id != actor.pk:
        saved_view_create(actor=actor, entity=entity, name=view.name, config=view.config, is_default=True)
        return
    if not view.is_default:
        view.is_default = True
        view.save(update_fields=["is_default", "updated_at"])
        audit_record(actor=actor, action="update", instance=view, changes={"is_default": [False, True]})


@transaction.atomic
def saved_view_delete(*, actor: User, view: SavedView) -> None:
    audit_record(actor=actor, action="delete", instance=view)
    view.delete()
