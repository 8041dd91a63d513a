"""Selection and favourite screens. Views validate, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealflow.core.forms import run_service
from dealflow.core.types import AuthedRequest
from dealflow.core.views import paginate
from dealflow.relations import selectors as relations_selectors
from dealflow.sales import selectors as sales_selectors

from . import selectors, services
from .forms import SelectionForm, _filter_fields
from .models import Entity, Selection

GETTERS: dict[str, Any] = {
    Entity.COMPANY: relations_selectors.company_get_for_user,
    Entity.PERSON: relations_selectors.person_get_for_user,
    Entity.SALE: sales_selectors.sale_get_for_user,
}


def target_for(user: Any, kind: str, pk: int) -> Any:
    if kind not in GETTERS:
        raise Http404
    return GETTERS[kind](user, pk)


@login_required
def selection_list(request: AuthedRequest) -> HttpResponse:
    entity = request.GET.get("entity", "")
    qs = selectors.selection_list(user=request.user, entity=entity)
    return render(request, "saved/selection_list.html", {"page": paginate(request, qs), "entity": entity,
                                                         "entities": Entity.choices})  # fmt: skip


def _form_page(request: AuthedRequest, entity: str, instance: Selection | None = None) -> HttpResponse:
    form = SelectionForm(request.POST or None, instance=instance, user=request.user, entity=entity)
    if request.method == "POST" and form.is_valid():
        if instance is None:
            saved = run_service(form, lambda: services.selection_create(actor=request.user, data=form.service_data()))
        else:
            saved = run_service(form, lambda: services.selection_update(
                actor=request.user, selection=instance, data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            ))  # fmt: skip
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect(saved.get_absolute_url())
    return render(request, "saved/selection_form.html", {"form": form, "object": instance, "entity": entity,
                                                         "entities": Entity.choices})  # fmt: skip


@login_required
def selection_create(request: AuthedRequest) -> HttpResponse:
    entity = request.POST.get("entity") or request.GET.get("entity") or Entity.COMPANY
    if entity not in Entity.values:
        entity = Entity.COMPANY
    return _form_page(request, entity)


@login_required
def selection_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    selection = selectors.selection_get_for_edit(request.user, pk)
    return _form_page(request, selection.entity, selection)


@login_required
def selection_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    selection = selectors.selection_get_for_edit(request.user, pk)
    if request.method == "POST":
        services.selection_delete(actor=request.user, selection=selection)
        messages.success(request, _("Selection “%(name)s” was deleted.") % {"name": selection.name})
        return redirect("saved:selection_list")
    return render(request, "saved/selection_delete.html", {"object": selection})


@login_required
def selection_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    selection = selectors.selection_get_for_user(request.user, pk)
    page = paginate(request, selectors.selection_members(user=request.user, selection=selection))
    return render(request, "saved/selection_detail.html", {
        "object": selection, "page": page, "overdue": selectors.overdue_ids(selection.entity, page.object_list),
        "can_edit": selection.owner_id == request.user.pk or request.user.is_admin, "base_qs": "",
        "filter_items": _filter_labels(selection),
    })  # fmt: skip


def _filter_labels(selection: Selection) -> list[tuple[str, Any]]:
    """A dynamic selection's filter as (translated field label, value) pairs."""
    fields = _filter_fields(selection.entity)
    return [(str(fields[k].label) if k in fields else k, v) for k, v in selection.filters.items()]


@login_required
@require_POST
def member_add(request: AuthedRequest) -> HttpResponse:
    """Add a record to one of the user's static selections (the card's "Add to selection")."""
    try:
        selection_id, object_id = int(request.POST["selection"]), int(request.POST["object_id"])
    except (KeyError, ValueError):
        raise Http404 from None
    selection = selectors.selection_get_for_edit(request.user, selection_id)
    target = target_for(request.user, selection.entity, object_id)
    try:
        added = services.selection_add_members(actor=request.user, selection=selection, ids=[object_id])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        msg = _("Added to “%(name)s”.") if added else _("Already in “%(name)s”.")
        messages.success(request, msg % {"name": selection.name})
    return redirect(request.POST.get("next") or target.get_absolute_url())


@login_required
@require_POST
def member_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    selection = selectors.selection_get_for_edit(request.user, pk)
    try:
        services.selection_remove_members(actor=request.user, selection=selection, ids=[int(request.POST["object_id"])])
    except (KeyError, ValueError, ValidationError):
        messages.error(request, _("Nothing was removed."))
    else:
        messages.success(request, _("Removed from the selection."))
    return redirect(selection.get_absolute_url())


# --- favourites ------------------------------------------------------------------------------


@login_required
def favourites(request: AuthedRequest) -> HttpResponse:
    return render(request, "saved/favourites.html", {"groups": selectors.favourites_by_kind(request.user)})


@login_required
@require_POST
def favourite_toggle(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    target = target_for(request.user, kind, pk)
    on = services.favourite_toggle(actor=request.user, kind=kind, target=target)
    context = {"kind": kind, "target": target, "on": on}
    if request.htmx:
        return render(request, "saved/_star.html", context)
    messages.success(request, _("Added to favourites.") if on else _("Removed from favourites."))
    return redirect(target.get_absolute_url())
