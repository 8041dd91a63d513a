"""Writes for selections and favourites. One function per user action, each audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.audit.services import audit_record
from dealflow.core.services import create_instance, update_instance

from .filters import clean_filters, visible_base
from .models import Entity, Favourite, Selection, SelectionKind, SelectionMember

EDITABLE = ("name", "kind", "visibility", "filters")


def _visible_ids(actor: User, entity: str, ids: Iterable[int]) -> list[int]:
    """The ids the actor may see; any other is refused as if it did not exist."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    found = set(visible_base(entity, actor).filter(pk__in=wanted).values_list("pk", flat=True))
    # Archived companies and persons are members too.
    if entity != Entity.SALE and len(found) < len(wanted):
        found |= set(visible_base(entity, actor, {"archived": True}).filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationError({"members": _("These records do not exist or are not visible to you: %(ids)s.")
                               % {"ids": ", ".join(map(str, missing))}})  # fmt: skip
    return wanted


@transaction.atomic
def selection_create(*, actor: User, data: dict[str, Any], members: Iterable[int] = ()) -> Selection:
    data = {k: v for k, v in data.items() if k in (*EDITABLE, "entity")}
    entity = data.get("entity", Entity.COMPANY)
    data["filters"] = clean_filters(entity, data.get("filters")) if data.get("kind") == SelectionKind.DYNAMIC else {}
    selection = create_instance(actor=actor, model=Selection, data={**data, "owner": actor})
    ids = _visible_ids(actor, entity, members)
    if ids and selection.kind != SelectionKind.STATIC:
        raise ValidationError({"members": _("Only a static selection has hand-picked members.")})
    SelectionMember.objects.bulk_create([SelectionMember(selection=selection, object_id=i) for i in ids])
    return selection


@transaction.atomic
def selection_update(
    *, actor: User, selection: Selection, data: dict[str, Any], expected_version: int | None = None
) -> Selection:
    data = {k: v for k, v in data.items() if k in EDITABLE}
    kind = data.get("kind", selection.kind)
    if kind == SelectionKind.DYNAMIC:
        data["filters"] = clean_filters(selection.entity, data.get("filters", selection.filters))
    else:
        data["filters"] = {}
    return update_instance(actor=actor, instance=selection, data=data, expected_version=expected_version)


@transaction.atomic
def selection_delete(*, actor: User, selection: Selection) -> None:
    audit_record(actor=actor, action="delete", instance=selection)
    selection.delete()


def _static(selection: Selection) -> None:
    if selection.kind != SelectionKind.STATIC:
        raise ValidationError(_("Members are added to a static selection; a dynamic one follows its filter."))


@transaction.atomic
def selection_add_members(*, actor: User, selection: Selection, ids: Iterable[int]) -> int:
    """Add visible records to a static selection; returns how many were new."""
    _static(selection)
    wanted = _visible_ids(actor, selection.entity, ids)
    have = set(selection.members.filter(object_id__in=wanted).values_list("object_id", flat=True))
    new = [i for i in wanted if i not in have]
    SelectionMember.objects.bulk_create([SelectionMember(selection=selection, object_id=i) for i in new])
    if new:
        audit_record(actor=actor, action="update", instance=selection, changes={"members": [None, new]},
                     message=_("Added members"))  # fmt: skip
    return len(new)


@transaction.atomic
def selection_remove_members(*, actor: User, selection: Selection, ids: Iterable[int]) -> int:
    _static(selection)
    ids = [int(i) for i in ids]
    removed, _n = selection.members.filter(object_id__in=ids).delete()
    if removed:
        audit_record(actor=actor, action="update", instance=selection, changes={"members": [ids, None]},
                     message=_("Removed members"))  # fmt: skip
    return removed


@transaction.atomic
def favourite_toggle(*, actor: User, kind: str, target: Any) -> bool:
    """Star or unstar a company, person or sale the actor can see (the caller fetched it
    through its *_get_for_user). Returns whether it is a favourite now."""
    if kind not in Entity.values:
        raise ValidationError(_("Only companies, persons and sales can be favourites."))
    existing = Favourite.objects.filter(user=actor, **{kind: target}).first()
    if existing is not None:
        audit_record(actor=actor, action="delete", instance=existing)
        existing.delete()
        return False
    favourite = Favourite.objects.create(user=actor, **{kind: target})
    audit_record(actor=actor, action="create", instance=favourite)
    return True
