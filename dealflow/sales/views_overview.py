"""The Overview tab of a company card (the CRM+ flow): the company's sales in its account
type's pipeline as a funnel, with the current phase's score, expected and recurring value
entered in place, "Complete phase" and "Close". Every answer is the Overview partial again,
swapped in place by htmx; without script a POST comes back to the company card.

Also the small pieces other cards embed: a "New sale" button with a short list of sales."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealflow.core.forms import run_service
from dealflow.core.funnel import funnel_enabled, funnel_required
from dealflow.core.types import AuthedRequest
from dealflow.relations import selectors as relations_selectors
from dealflow.relations.models import Company

from . import selectors, services
from .forms import CloseForm, PhaseValuesForm
from .models import Sale, SaleStatus
from .views import dashes

RELATED_LIMIT = 10


class RecordFilter(TypedDict, total=False):
    """The record whose sales `related_sales` lists."""

    company: int
    person: int
    project: int


# --- embedded on the company, person and project cards -------------------------------------


def related_sales(request: AuthedRequest, **filters: Unpack[RecordFilter]) -> dict[str, Any]:
    """A short list of the record's sales and the link to make one; nothing when the funnel is off."""
    if not funnel_enabled():
        return {}
    qs = selectors.sale_list(user=request.user, **filters).select_related(None).select_related("phase")
    # A row shows the title, phase, status, value and date (sales/_related_sales.html).
    qs = qs.only("title", "status", "reopen_date", "amount", "currency", "sale_date", "phase__name")
    return {"related_sales": list(qs[:RELATED_LIMIT]), "related_sales_query": urlencode(filters)}


def company_sales_context(request: AuthedRequest, company: Company) -> dict[str, Any]:
    context = related_sales(request, company=company.pk)
    if context:
        context["overview"] = overview_context(request, company)
    return context


# --- the Overview ------------------------------------------------------------------------


def _forms_for(sale: Sale, failed: dict[str, forms.Form], shared: dict[str, list[Any]]) -> dict[str, forms.Form]:
    return {
        "values_form": failed.get("values") or PhaseValuesForm(sale=sale, prefix=f"v{sale.pk}"),
        "close_form": failed.get("close") or dashes(CloseForm(sale=sale, prefix=f"c{sale.pk}", shared=shared)),
    }


def _next_active(phases: list[Any], sale: Sale) -> Any:
    """The active phase after the sale's current one (phases: the pipeline's, in order)."""
    key = (sale.phase.order, sale.phase_id)
    return next((p for p in phases if p.is_active and (p.order, p.pk) > key), None)


def overview_context(
    request: AuthedRequest, company: Company, *, failed: dict[int, dict[str, forms.Form]] | None = None, note: str = ""
) -> dict[str, Any] | None:
    """None when the funnel is off or the company's account type has no lead phases: no tab."""
    if not funnel_enabled():
        return None
    funnel = selectors.company_funnel(user=request.user, company=company)
    if funnel is None:
        return None
    failed = failed or {}
    shared = CloseForm.shared_choices()
    entries = []
    for item in funnel["sales"]:
        sale, records = item["sale"], item["records"]
        is_open = sale.effective_status == SaleStatus.OPEN
        cells = [
            {
                "phase": phase,
                "record": records.get(phase.pk),
                "current": phase.pk == sale.phase_id,
                "done": phase.pk in records and phase.pk != sale.phase_id,
            }
            for phase in funnel["phases"]
        ]
        entry: dict[str, Any] = {"sale": sale, "cells": cells, "is_open": is_open}
        if is_open:
            following = _next_active(funnel["phases"], sale)
            entry["next_phase"] = following
            entry["can_complete"] = following is not None and not following.is_closing
            entry.update(_forms_for(sale, failed.get(sale.pk, {}), shared))
        entries.append(entry)
    return {
        "company": company,
        "pipeline": funnel["pipeline"],
        "entries": entries,
        "reasons": shared["close_reason"],  # (the close forms' list: the same active reasons)
        "note": note,
    }


def _company_for(request: AuthedRequest, sale: Sale) -> Company:
    if sale.company_id is None:
        raise Http404("This sale has no company.")
    return relations_selectors.company_get_for_user(request.user, sale.company_id)


def _answer(
    request: AuthedRequest, company: Company, *, ok: bool, note: str = "", failed: dict | None = None
) -> HttpResponse:
    # Read the company again: winning a sale may have changed its account type.
    company = relations_selectors.company_get_for_user(request.user, company.pk)
    card = reverse("relations:company_detail", args=[company.pk])
    context = overview_context(request, company, failed=None if ok else failed, note=note if ok else "")
    if context is None or (ok and not request.htmx):
        # Done without script, or the company's new account type has no Overview: back to the card.
        if ok:
            messages.success(request, note)
        url = card + ("?tab=overview#overview" if context is not None else "")
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)
    if not request.htmx:
        return render(request, "sales/overview_page.html", {"overview": context, "object": company})
    # The card's list of sales changes with the Overview: it comes along out of band.
    return render(
        request, "sales/overview_response.html", {"overview": context, **related_sales(request, company=company.pk)}
    )


@login_required
@funnel_required
def overview(request: AuthedRequest, pk: int) -> HttpResponse:
    """The partial alone (htmx reloads it); the company card with the tab open otherwise."""
    company = relations_selectors.company_get_for_user(request.user, pk)
    context = overview_context(request, company)
    if context is None:
        raise Http404("This company has no Overview.")
    if not request.htmx:
        return redirect(reverse("relations:company_detail", args=[company.pk]) + "?tab=overview")
    return render(request, "sales/_overview.html", {"overview": context})


@login_required
@funnel_required
@require_POST
def overview_start(request: AuthedRequest, pk: int) -> HttpResponse:
    company = relations_selectors.company_get_for_user(request.user, pk)
    sale = services.company_start_funnel(actor=request.user, company=company)
    note = _("A sale was started in this funnel.") if sale else _("This company already has an open sale here.")
    return _answer(request, company, ok=True, note=note)


def _values_form(request: AuthedRequest, sale: Sale) -> PhaseValuesForm:
    return PhaseValuesForm(request.POST, sale=sale, prefix=f"v{sale.pk}")


@login_required
@funnel_required
@require_POST
def overview_values(request: AuthedRequest, pk: int) -> HttpResponse:
    """Save the score, expected value and recurring value of the current phase."""
    sale = selectors.sale_get_for_user(request.user, pk)
    company = _company_for(request, sale)
    form = _values_form(request, sale)
    ok = (
        form.is_valid()
        and run_service(
            form,
            lambda: services.sale_record_phase_values(
                actor=request.user,
                sale=sale,
                score=form.cleaned_data.get("score"),
                expected_value=form.cleaned_data.get("expected_value"),
                recurring_value=form.cleaned_data.get("recurring_value"),
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        is not None
    )
    return _answer(request, company, ok=ok, note=_("Saved."), failed={sale.pk: {"values": form}})


@login_required
@funnel_required
@require_POST
def overview_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Complete the current phase (keeping what was entered) and enter the next one."""
    sale = selectors.sale_get_for_user(request.user, pk)
    company = _company_for(request, sale)
    form = _values_form(request, sale)
    following = selectors.next_phase(sale) if sale.effective_status == SaleStatus.OPEN else None
    ok = False
    if form.is_valid():
        if following is None or following.is_closing:
            form.add_error(None, _("This is the last phase before closing: close the sale instead."))
        else:
            d = form.cleaned_data
            ok = (
                run_service(
                    form,
                    lambda: services.sale_move_to_phase(
                        actor=request.user,
                        sale=sale,
                        phase=following,
                        score=d.get("score"),
                        expected_value=d.get("expected_value"),
                        recurring_value=d.get("recurring_value"),
                        expected_version=d.get("version"),
                    ),
                )
                is not None
            )
    note = _("Phase completed: the sale is now in “%(phase)s”.") % {"phase": following} if ok else ""
    return _answer(request, company, ok=ok, note=note, failed={sale.pk: {"values": form}})


@login_required
@funnel_required
@require_POST
def overview_close(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    company = _company_for(request, sale)
    form = dashes(CloseForm(request.POST, sale=sale, prefix=f"c{sale.pk}"))
    ok = (
        form.is_valid()
        and run_service(
            form,
            lambda: services.sale_close(
                actor=request.user,
                sale=sale,
                outcome=form.cleaned_data["outcome"],
                close_reason=form.cleaned_data.get("close_reason"),
                competitor=form.cleaned_data.get("competitor"),
                closed_date=form.cleaned_data.get("closed_date"),
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        is not None
    )
    note = _("The sale is closed.") if ok else ""
    return _answer(request, company, ok=ok, note=note, failed={sale.pk: {"close": form}})
