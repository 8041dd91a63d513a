"""Reads for selections and favourites, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dealflow.accounts.models import User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.activities.models import Activity
from dealflow.relations.models import Company, Person
from dealflow.sales.models import Sale, SaleStatus

from .filters import visible_base
from .models import Entity, Favourite, SavedView, Selection, SelectionKind, Visibility


def selection_list(*, user: User, entity: str = "") -> QuerySet[Selection]:
    """The user's own selections and the ones shared by people whose records the user sees."""
    ids = visible_owner_ids(user)
    shared = Q(visibility=Visibility.SHARED) if ids is None else Q(visibility=Visibility.SHARED, owner_id__in=ids)
    qs = Selection.objects.filter(Q(owner=user) | shared)
    if entity in Entity.values:
        qs = qs.filter(entity=entity)
    return qs.select_related("owner").order_by("name", "id")


def selection_get_for_user(user: User, pk: int) -> Selection:
    """A selection the user may open; another user's private one is not found (404)."""
    return get_object_or_404(selection_list(user=user), pk=pk)


def selection_get_for_edit(user: User, pk: int) -> Selection:
    """A selection the user may change: their own (or any visible one, for an administrator)."""
    selection = selection_get_for_user(user, pk)
    if selection.owner_id != user.pk and not user.is_admin:
        raise PermissionDenied
    return selection


def selection_members(*, user: User, selection: Selection) -> QuerySet[Any]:
    """The members as `user` sees them: a dynamic selection runs its filter, a static one keeps
    its hand-picked records; either way through the entity's visible list."""
    if selection.kind == SelectionKind.DYNAMIC:
        return visible_base(selection.entity, user, selection.filters)
    picked = selection.members.values("object_id")
    return visible_base(selection.entity, user).filter(pk__in=picked)


def static_selections_for(*, user: User, entity: str) -> list[Selection]:
    """The user's own static selections over `entity`, for the "Add to selection" control."""
    return list(Selection.objects.filter(owner=user, entity=entity, kind=SelectionKind.STATIC).order_by("name", "id"))


def overdue_ids(entity: str, members: Iterable[Any]) -> set[int]:
    """Which of these members have an open activity past due, or (sales) an open sale whose
    sale date has passed. One query for the activities, one for companies' and persons' sales."""
    rows = list(members)
    ids = [m.pk for m in rows]
    if not ids:
        return set()
    now = timezone.now()
    result = set(
        Activity.objects.filter(**{f"{entity}_id__in": ids}, done=False, starts_at__lt=now)
        .values_list(f"{entity}_id", flat=True)
        .distinct()
    )
    today = timezone.localdate()
    if entity == Entity.SALE:
        result |= {m.pk for m in rows if m.status == SaleStatus.OPEN and m.sale_date and m.sale_date < today}
    else:
        result |= set(
            Sale.objects.filter(**{f"{entity}_id__in": ids}, status=SaleStatus.OPEN, sale_date__lt=today)
            .values_list(f"{entity}_id", flat=True)
            .distinct()
        )
    return result


# --- favourites ------------------------------------------------------------------------------


def user_favourites(user: User) -> list[Favourite]:
    """The user's favourites with their records, in one query, cached on the user for the
    request so that the top-bar menu and a card's star share it. Records the user may no
    longer see are left out."""
    cached = getattr(user, "_favourites", None)
    if cached is not None:
        return cached
    rows = list(Favourite.objects.filter(user=user).order_by("-created_at", "-id"))
    # The records in one query per kind the user has, and none when there are no favourites:
    # every page's top bar asks, and one query joining all three kinds cost ~3 ms just to build.
    for kind, model, related in ((Entity.COMPANY, Company, ()), (Entity.PERSON, Person, ("company",)),
                                 (Entity.SALE, Sale, ("company",))):  # fmt: skip
        wanted = {getattr(f, f"{kind}_id") for f in rows if f.kind == kind}
        if wanted:
            found = model.objects.select_related(*related).in_bulk(wanted)
            for f in rows:
                if f.kind == kind:
                    setattr(f, kind, found.get(getattr(f, f"{kind}_id")))
            rows = [f for f in rows if f.kind != kind or getattr(f, kind) is not None]  # deleted meanwhile
    ids = visible_owner_ids(user)
    if ids is not None:
        rows = [f for f in rows if f.target.owner_id in ids]  # type: ignore[attr-defined]
    user._favourites = rows  # type: ignore[attr-defined]
    return rows


def favourites_by_kind(user: User) -> list[tuple[str, str, list[Favourite]]]:
    """[(kind, label, favourites)] for the kinds the user has favourites of."""
    rows = user_favourites(user)
    return [
        (kind, str(label), [f for f in rows if f.kind == kind])
        for kind, label in Entity.choices
        if any(f.kind == kind for f in rows)
    ]


def is_favourite(user: User, kind: str, pk: int) -> bool:
    return any(f.kind == kind and getattr(f, f"{kind}_id") == pk for f in user_favourites(user))


def saved_view_list(*, user: User, entity: str) -> list[SavedView]:
    """The user's own views of a list and the shared views of people whose records the user
    sees (one query; the list's menu and its default come from it)."""
    ids = visible_owner_ids(user)
    shared = Q(shared=True) if ids is None else Q(shared=True, owner_id__in=ids)
    qs = SavedView.objects.filter(Q(owner=user) | shared, entity=entity).select_related("owner")
    return list(qs.order_by("name", "id"))


def saved_view_get_for_user(user: User, pk: int, entity: str | None = None) -> SavedView:
    """A view the user may open (own or shared within sight); anything else is a 404."""
    ids = visible_owner_ids(user)
    shared = Q(shared=True) if ids is None else Q(shared=True, owner_id__in=ids)
    qs = SavedView.objects.filter(Q(owner=user) | shared)
    if entity:
        qs = qs.filter(entity=entity)
    return get_object_or_404(qs, pk=pk)


def default_view(views: list[SavedView], user: User) -> SavedView | None:
    return next((v for v in views if v.is_default and v.owner_id == user.pk), None)
