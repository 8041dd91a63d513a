"""/api/v1/reports/funnel and /api/v1/reports/pipeline: the funnel analytics and the pipeline by
phase (now or on a past day), with the same forms checking the filters as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.http import Http404
from ninja import Field, Query, Router, Schema

from dealflow.accounts.models import User
from dealflow.api.common import ErrorOut, FormInvalid, form_errors
from dealflow.core.funnel import funnel_enabled
from dealflow.core.types import AuthedRequest
from dealflow.sales.models import Pipeline

from .forms_funnel import FunnelForm, PipelineForm
from .funnel import funnel
from .pipeline_history import pipeline_by_phase

router = Router(tags=["reports"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class FunnelParams(Schema):
    pipeline: int | None = Field(None, description="The sale type (pipeline); default: the first active one.")
    date_from: str | None = Field(None, description="First day a phase was entered (YYYY-MM-DD).")
    date_to: str | None = Field(None, description="Last day a phase was entered (YYYY-MM-DD).")


class PipelineParams(Schema):
    pipeline: int | None = Field(None, description="Only this sale type (pipeline); default: all.")
    as_of: str | None = Field(
        None, description="The pipeline as it stood at the end of this day (YYYY-MM-DD); default: now."
    )


class FunnelRowOut(Schema):
    phase_id: int
    phase: str
    closing: bool
    entered: int
    advanced: int
    next_rate: float | None = Field(None, description="Share that went on to a later phase, percent.")
    won: int
    won_rate: float | None = Field(None, description="Share that was won in the end, percent.")
    avg_days: float | None
    median_days: float | None
    lost_here: int
    lost_reasons: dict[str, int]


class IdleOut(Schema):
    id: int
    title: str
    phase_id: int
    phase_entered_at: dt.datetime
    owner_id: int


class FunnelOut(Schema):
    pipeline_id: int
    date_from: dt.date
    date_to: dt.date
    rows: list[FunnelRowOut]
    lost_reasons: dict[str, int]
    idle: list[IdleOut]


class PipelineRowOut(Schema):
    pipeline_id: int
    phase_id: int
    phase: str
    count: int
    value: Decimal
    weighted: Decimal


class PipelineOut(Schema):
    pipeline_id: int | None
    as_of: dt.date | None
    rows: list[PipelineRowOut]
    count: int
    value: Decimal
    weighted: Decimal


def _check(params: dict[str, Any]) -> None:
    if not funnel_enabled():
        raise Http404
    pk = params.get("pipeline")
    if pk is not None and not Pipeline.objects.filter(pk=pk).exists():
        raise Http404


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@router.get("/reports/funnel", response={200: FunnelOut, **ERRORS})
def funnel_report(request: AuthedRequest, filters: Query[FunnelParams]) -> Any:
    """Per phase: sales that entered it in the period, conversion to the next phase and to won,
    average and median days in the phase, where lost sales left and why; and the idle sales."""
    params = filters.model_dump()
    _check(params)
    form = FunnelForm.with_defaults(params)
    if not form.is_valid():
        if "pipeline" in form.errors and params.get("pipeline") is None:
            raise Http404  # no pipeline at all
        raise FormInvalid(form_errors(form))
    data = form.cleaned_data
    report = funnel(cast(User, request.user), data["pipeline"], data["date_from"], data["date_to"])
    return {
        "pipeline_id": report.pipeline.pk,
        "date_from": report.date_from,
        "date_to": report.date_to,
        "rows": [
            {
                "phase_id": r.phase.pk,
                "phase": r.phase.name,
                "closing": r.is_closing,
                "entered": r.entered,
                "advanced": r.advanced,
                "next_rate": _num(r.next_rate),
                "won": r.won,
                "won_rate": _num(r.won_rate),
                "avg_days": _num(r.avg_days),
                "median_days": _num(r.median_days),
                "lost_here": r.lost_here,
                "lost_reasons": dict(r.lost_reasons),
            }  # fmt: skip
            for r in report.rows
        ],
        "lost_reasons": dict(report.lost_reasons),
        "idle": report.idle,
    }


@router.get("/reports/pipeline", response={200: PipelineOut, **ERRORS})
def pipeline_report(request: AuthedRequest, filters: Query[PipelineParams]) -> Any:
    """Open sales per phase — count, value, weighted value — now, or as they stood at the end of
    `as_of` (a past day; a future day is refused with 422)."""
    params = filters.model_dump()
    _check(params)
    form = PipelineForm.with_defaults(params)
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    data = form.cleaned_data
    report = pipeline_by_phase(cast(User, request.user), data.get("pipeline"), data.get("as_of"))
    total = report.totals
    return {
        "pipeline_id": report.pipeline.pk if report.pipeline else None,
        "as_of": report.as_of,
        "rows": [
            {
                "pipeline_id": r.phase.pipeline_id,
                "phase_id": r.phase.pk,
                "phase": r.phase.name,
                "count": r.count,
                "value": r.value,
                "weighted": r.weighted,
            }  # fmt: skip
            for r in report.rows
        ],
        "count": total.count,
        "value": total.value,
        "weighted": total.weighted,
    }
