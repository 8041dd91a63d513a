"""The call list: a selection opened beside a member's card, worked through one by one. The
work URL is the entry point: it opens member n's own card with the call-list panel beside it
(see saved.calllist); a selection without visible members says so here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from dealflow.core.types import AuthedRequest

from . import selectors
from .calllist import member_url


@login_required
def selection_work(request: AuthedRequest, pk: int) -> HttpResponse:
    """/selections/<id>/work/?i=<n>: the card of member n (1-based) with the panel."""
    selection = selectors.selection_get_for_user(request.user, pk)
    members = selectors.selection_members(user=request.user, selection=selection)
    raw = request.GET.get("i", "1")
    index = max(int(raw) if raw.isdigit() else 1, 1)
    found = list(members[index - 1 : index])
    if not found and index > 1:
        total = members.count()
        index = max(total, 1)
        found = list(members[index - 1 : index])
    if found:
        return redirect(member_url(found[0], selection, index))
    return render(request, "saved/selection_work.html", {"object": selection})
