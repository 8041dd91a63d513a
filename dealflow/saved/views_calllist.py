"""The call list: a selection opened beside a member's card, worked through one by one."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from dealflow.core.types import AuthedRequest

from . import selectors


@login_required
def selection_work(request: AuthedRequest, pk: int) -> HttpResponse:
    """/selections/<id>/work/?i=<n>: member n (1-based) on the left, the panel with the page
    of members around it on the right, Previous/Next (and j/k) to walk the list."""
    selection = selectors.selection_get_for_user(request.user, pk)
    members = selectors.selection_members(user=request.user, selection=selection)
    total = members.count()
    try:
        index = int(request.GET.get("i", "1"))
    except ValueError:
        index = 1
    index = min(max(index, 1), max(total, 1))
    size = settings.PAGE_SIZE
    start = ((index - 1) // size) * size
    rows = list(members[start : start + size]) if total else []
    overdue = selectors.overdue_ids(selection.entity, rows)
    panel = [{"n": start + k + 1, "obj": obj, "overdue": obj.pk in overdue} for k, obj in enumerate(rows)]
    current = panel[index - 1 - start] if panel else None
    context = {
        "object": selection,
        "total": total,
        "index": index,
        "current": current,
        "panel": panel,
        "prev_i": index - 1 if index > 1 else None,
        "next_i": index + 1 if index < total else None,
        "panel_prev": start if start > 0 else None,
        "panel_next": start + size + 1 if start + size < total else None,
    }
    if request.htmx and request.htmx.target == "call-panel":
        return render(request, "saved/selection_work.html#panel", context)
    return render(request, "saved/selection_work.html", context)
