"""The call list: a selection worked through member by member on the members' own cards (the
sale, company or person card) with the call-list panel beside it. A card opened with
?selection=<id>&i=<n> (n counted from 1) shows the panel; Previous/Next go to the neighbouring
member's card with the same parameters. The queries do not grow with the selection's size: a
count, one page of members, their overdue marks and at most two neighbours."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import reverse

from . import selectors
from .models import Selection


def member_url(obj: Any, selection: Selection | int, n: int) -> str:
    """The member's card with the call-list panel for member number n."""
    pk = selection if isinstance(selection, int) else selection.pk
    return f"{obj.get_absolute_url()}?{urlencode({'selection': pk, 'i': n})}"


def call_list_params(request: HttpRequest) -> dict[str, str]:
    """?selection=<id>&i=<n> of a card opened from a call list, to pass on to the card's own
    pages (edit, archive), so that the user comes back to the card with the panel."""
    params: dict[str, str] = {}
    if request.GET.get("selection", "").isdigit():
        params["selection"] = request.GET["selection"]
        if request.GET.get("i", "").isdigit():
            params["i"] = request.GET["i"]
    return params


def call_list_query(request: HttpRequest) -> str:
    """The call-list parameters as a query string ("" when the card is not in a call list)."""
    return urlencode(call_list_params(request))


def with_call_list(url: str, request: HttpRequest) -> str:
    """`url` with the call-list parameters of the current request, if any."""
    query = call_list_query(request)
    return f"{url}?{query}" if query else url


def _number(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def _page(members: Any, start: int, size: int) -> list[Any]:
    return list(members[start : start + size])


def call_list_context(request: HttpRequest, entity: str, obj: Any) -> dict[str, Any]:
    """The panel for the card of `obj` when the card was opened from a call list, else {}. A
    selection the user may not open, or one over another kind of record, shows no panel."""
    raw = request.GET.get("selection", "")
    if not raw.isdigit():
        return {}
    user: Any = request.user
    try:
        selection = selectors.selection_get_for_user(user, int(raw))
    except Http404:
        return {}
    if selection.entity != entity:
        return {}
    members = selectors.selection_members(user=user, selection=selection)
    total = members.count()
    if not total:
        return {}
    index = min(max(_number(request.GET.get("i"), 1), 1), total)
    size = settings.PAGE_SIZE
    start = ((index - 1) // size) * size
    rows = _page(members, start, size)
    if rows[index - 1 - start].pk != obj.pk:
        # The list changed since the link was made: find the card's record on this page.
        found = next((k for k, row in enumerate(rows) if row.pk == obj.pk), None)
        if found is not None:
            index = start + found + 1
    overdue = selectors.overdue_ids(entity, rows)

    def neighbour(n: int) -> str | None:
        if n < 1 or n > total:
            return None
        if start <= n - 1 < start + len(rows):
            return member_url(rows[n - 1 - start], selection, n)
        near = _page(members, n - 1, 1)
        return member_url(near[0], selection, n) if near else None

    panel = [
        {"n": start + k + 1, "obj": row, "overdue": row.pk in overdue, "url": member_url(row, selection, start + k + 1)}
        for k, row in enumerate(rows)
    ]
    work = reverse("saved:selection_work", args=[selection.pk])
    return {
        "call_list": {
            "selection": selection,
            "entity": entity,
            "total": total,
            "index": index,
            "panel": panel,
            "current_overdue": obj.pk in overdue,
            "is_member": any(row.pk == obj.pk for row in rows),
            "prev_url": neighbour(index - 1),
            "next_url": neighbour(index + 1),
            "earlier_url": f"{work}?i={start}" if start > 0 else None,
            "later_url": f"{work}?i={start + size + 1}" if start + size < total else None,
        }
    }
