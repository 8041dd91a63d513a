"""The board: one column per phase of a pipeline, cards that move by drag and drop or by a
"Move to…" control, through the same service and rules as the sale card (sale_move_to_phase).

Moving into a closing phase first asks for the outcome and close reason in a dialog. With htmx
a move answers with the moved card (put at the top of its new column) and the two affected
column heads as out-of-band swaps; a refusal answers with the service's message in the
board's alert region and the card goes back. Without script every control is a plain form."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dealflow.core.forms import run_service
from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest
from dealflow.core.views import int_or_none

from . import selectors, selectors_board, services
from .forms import MoveForm
from .models import Phase, Pipeline, Sale
from .views import dashes

AUTO_ID = "board_%s"
CLOSE_FIELDS = ("outcome", "close_reason", "competitor", "closed_date")


def _filters(params: QueryDict) -> selectors_board.BoardFilters:
    owner = params.get("owner", "")
    return selectors_board.BoardFilters(
        owner=owner if owner in ("mine", "team") or owner.isdigit() else "",
        account_type=int_or_none(params.get("account_type")),
    )


def _pipeline(params: QueryDict, pipelines: list[Pipeline]) -> Pipeline | None:
    wanted = int_or_none(params.get("pipeline"))
    return next((p for p in pipelines if p.pk == wanted), pipelines[0] if pipelines else None)


def _board_query(pipeline: Pipeline | None, filters: selectors_board.BoardFilters) -> str:
    params: dict[str, Any] = {"pipeline": pipeline.pk if pipeline else ""}
    if filters.owner:
        params["owner"] = filters.owner
    if filters.account_type:
        params["account_type"] = filters.account_type
    return urlencode({k: v for k, v in params.items() if v != ""})


def _base_context(pipeline: Pipeline, phases: list[Phase], filters: selectors_board.BoardFilters) -> dict[str, Any]:
    return {"pipeline": pipeline, "phases": phases, "filters": filters, "board_qs": _board_query(pipeline, filters)}


@login_required
@funnel_required
@require_GET
def board(request: AuthedRequest) -> HttpResponse:
    pipelines = selectors_board.board_pipelines()
    pipeline = _pipeline(request.GET, pipelines)
    filters = _filters(request.GET)
    context: dict[str, Any] = {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "filters": filters,
        "owners": selectors_board.board_owner_choices(request.user),
        "account_types": selectors_board.board_account_types(),
        "filters_qs": _board_query(None, filters),
    }
    if pipeline is not None:
        phases = selectors_board.board_phases(pipeline)
        context.update(_base_context(pipeline, phases, filters))
        context["columns"] = selectors_board.board_columns(
            user=request.user, pipeline=pipeline, phases=phases, filters=filters
        )
        context["closed_within"] = selectors_board.CLOSED_WITHIN_DAYS
    return render(request, "sales/board.html", context)


@login_required
@funnel_required
@require_GET
def board_column(request: AuthedRequest, phase_pk: int) -> HttpResponse:
    """The next page of one column ("More"), by keyset after the last card shown."""
    phase = get_object_or_404(Phase.objects.select_related("pipeline"), pk=phase_pk, is_active=True)
    filters = _filters(request.GET)
    phases = selectors_board.board_phases(phase.pipeline)
    cards, more_after = selectors_board.board_column_page(
        user=request.user, pipeline=phase.pipeline, phase=phase, filters=filters, after=request.GET.get("after", "")
    )
    context = {
        **_base_context(phase.pipeline, phases, filters),
        "phase": phase,
        "cards": cards,
        "more_after": more_after,
    }
    return render(request, "sales/board.html#column_page", context)


def _move_form(request: AuthedRequest, sale: Sale) -> MoveForm:
    data = request.POST if request.method == "POST" else None
    initial = {"phase": int_or_none(request.GET.get("phase"))}
    return dashes(MoveForm(data, sale=sale, initial=initial, auto_id=AUTO_ID))


def _errors(form: MoveForm) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


def _needs_dialog(form: MoveForm) -> bool:
    phase = form.cleaned_data.get("phase") if hasattr(form, "cleaned_data") else None
    return bool(phase and phase.is_closing and any(name in form.errors for name in CLOSE_FIELDS))


@login_required
@funnel_required
def board_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET: the close dialog for a closing phase. POST: move the sale (the same service as the card)."""
    sale = selectors.sale_get_for_user(request.user, pk)
    filters = _filters(request.GET)
    phases = selectors_board.board_phases(sale.pipeline)
    form = _move_form(request, sale)
    context = {
        **_base_context(sale.pipeline, phases, filters),
        "sale": sale,
        "form": form,
        "reasons": form.fields["close_reason"].queryset,  # type: ignore[attr-defined]
        "board_url": reverse("sales:board") + "?" + _board_query(sale.pipeline, filters),
    }
    if request.method == "GET":
        phase = next((p for p in phases if p.pk == form.initial.get("phase")), None)
        if phase is None or not phase.is_closing:
            raise Http404("Only a closing phase asks for more.")
        context["target_phase"] = phase
        return render(request, "sales/board_move.html#dialog" if request.htmx else "sales/board_move.html", context)
    old_phase_id = sale.phase_id
    moved = None
    if form.is_valid():
        moved = run_service(
            form, lambda: services.sale_move_to_phase(actor=request.user, sale=sale, **form.service_kwargs())
        )
    if moved is not None:
        return _moved(request, moved, old_phase_id, context)
    return _refused(request, sale, form, context)


def _moved(request: AuthedRequest, sale: Sale, old_phase_id: int, context: dict[str, Any]) -> HttpResponse:
    message = _("“%(title)s” moved to %(phase)s.") % {"title": sale.title, "phase": sale.phase.name}
    if not request.htmx:
        messages.success(request, message)
        return redirect(context["board_url"])
    filters, phases = context["filters"], context["phases"]
    touched = [p for p in phases if p.pk in (old_phase_id, sale.phase_id)]
    context.update(
        message=message,
        heads=selectors_board.board_heads(user=request.user, pipeline=sale.pipeline, phases=touched, filters=filters),
        card=selectors_board.board_card(user=request.user, pipeline=sale.pipeline, sale_id=sale.pk, filters=filters),
    )
    response = render(request, "sales/board.html#moved", context)
    response["HX-Retarget"] = f"#card-{sale.pk}"
    response["HX-Reswap"] = "outerHTML"
    response["HX-Trigger"] = json.dumps({"board-moved": {"sale": sale.pk}})
    return response


def _refused(request: AuthedRequest, sale: Sale, form: MoveForm, context: dict[str, Any]) -> HttpResponse:
    if _needs_dialog(form):
        # The outcome or reason is missing or does not fit: ask again, with the input kept.
        context["target_phase"] = form.cleaned_data["phase"]
        return render(request, "sales/board_move.html#dialog" if request.htmx else "sales/board_move.html", context)
    errors = _errors(form) or [_("The sale could not be moved.")]
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        return redirect(context["board_url"])
    context.update(
        errors=errors,
        card=selectors_board.board_card(
            user=request.user, pipeline=sale.pipeline, sale_id=sale.pk, filters=context["filters"]
        ),
    )
    response = render(request, "sales/board.html#refused", context)
    response["HX-Retarget"] = "#board-alert"
    response["HX-Reswap"] = "innerHTML"
    response["HX-Trigger"] = json.dumps({"board-refused": {"sale": sale.pk}})
    return response
