"""/api/v1/targets and /api/v1/reports/forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.api.common import ErrorOut, FormInvalid, form_errors
from dealflow.core.funnel import funnel_enabled
from dealflow.core.types import AuthedRequest
from dealflow.sales.models import Pipeline

from . import forecast
from . import targets_services as services
from .forms_targets import ForecastForm
from .models import SalesTarget, TargetScope

router = Router(tags=["targets"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class TargetOut(Schema):
    id: int
    scope: str
    user: int | None = Field(None, alias="user_id")
    team: int | None = Field(None, alias="team_id")
    period_kind: str
    year: int
    period_number: int
    measure: str
    pipeline: int | None = Field(None, alias="pipeline_id")
    value: Decimal
    locked: bool


class TargetIn(Schema):
    scope: Literal["user", "team", "company"]
    user: int | None = None
    team: int | None = None
    period_kind: Literal["month", "quarter", "year"]
    year: int = Field(..., ge=2000, le=2100)
    period_number: int = Field(1, ge=1, le=12)
    measure: Literal["amount_sold", "number_won", "profit"] = "amount_sold"
    pipeline: int | None = None
    value: Decimal
    locked: bool = False


class TargetPatch(Schema):
    value: Decimal | None = None
    locked: bool | None = None


class TargetParams(Schema):
    year: int | None = None
    measure: str | None = None
    scope: str | None = None
    user: int | None = None
    team: int | None = None


def _funnel() -> None:
    if not funnel_enabled():
        raise Http404


def visible_targets(user: User) -> Any:
    qs = SalesTarget.objects.all()
    if user.is_admin:
        return qs
    if not services.can_edit_targets(user):
        return qs.filter(scope=TargetScope.USER, user=user)
    ids = visible_owner_ids(user) or set()
    team_ids = set(user.managed_teams.values_list("pk", flat=True)) | set(user.teams.values_list("pk", flat=True))
    from django.db.models import Q

    return qs.filter(
        Q(scope=TargetScope.USER, user_id__in=ids) | Q(scope=TargetScope.TEAM, team_id__in=team_ids)
        | Q(scope=TargetScope.COMPANY)
    )  # fmt: skip


def target_get_for_user(user: User, pk: int) -> SalesTarget:
    target = visible_targets(user).filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


@router.get("/targets", response={200: list[TargetOut], **ERRORS})
def target_list(request: AuthedRequest, filters: Query[TargetParams]) -> Any:
    """The sales targets the caller may see (salespeople: their own)."""
    _funnel()
    qs = visible_targets(request.user)
    for name, value in filters.model_dump(exclude_none=True).items():
        qs = qs.filter(**{f"{name}_id" if name in ("user", "team") else name: value})
    return list(qs[:1000])


@router.get("/targets/{target_id}", response={200: TargetOut, **ERRORS})
def target_detail(request: AuthedRequest, target_id: int) -> Any:
    _funnel()
    return target_get_for_user(request.user, target_id)


def _resolve(payload: TargetIn, actor: User) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    data = payload.model_dump()
    if not services.can_edit_targets(actor):
        raise PermissionDenied
    for name, model in (("user", User), ("team", Team), ("pipeline", Pipeline)):
        pk = data.get(name)
        if pk is None:
            continue
        obj = model.objects.filter(pk=pk).first()  # type: ignore[attr-defined]
        if obj is None:
            errors[name] = [
                {"user": _("Unknown user."), "team": _("Unknown team."), "pipeline": _("Unknown sale type.")}[name]
            ]
        data[name] = obj
    if errors:
        raise FormInvalid(errors)
    return data


@router.post("/targets", response={201: TargetOut, **ERRORS})
def target_create(request: AuthedRequest, payload: TargetIn) -> Any:
    """Create a target (sales managers for the people and teams they see; administrators)."""
    _funnel()
    data = _resolve(payload, request.user)
    return 201, services.target_create(actor=request.user, data=data)


@router.patch("/targets/{target_id}", response={200: TargetOut, **ERRORS})
def target_update(request: AuthedRequest, target_id: int, payload: TargetPatch) -> Any:
    _funnel()
    target = target_get_for_user(request.user, target_id)
    return services.target_update(actor=request.user, target=target, value=payload.value, locked=payload.locked)


@router.delete("/targets/{target_id}", response={204: None, **ERRORS})
def target_delete(request: AuthedRequest, target_id: int) -> Any:
    _funnel()
    target = target_get_for_user(request.user, target_id)
    services.target_delete(actor=request.user, target=target)
    return 204, None


# --- the forecast report --------------------------------------------------------------------


class ForecastParams(Schema):
    date_from: dt.date | None = Field(None, description="Default: the first day of this month.")
    date_to: dt.date | None = Field(None, description="Default: twelve months on.")
    period: Literal["month", "quarter"] = "month"
    group_by: Literal["owner", "team", "pipeline"] | None = None
    pipeline: int | None = None


class CellOut(Schema):
    period: dt.date
    unweighted: Decimal
    weighted: Decimal
    commit: Decimal
    best_case: Decimal
    pipeline: Decimal
    target: Decimal | None
    sold: Decimal
    won: int


class GroupOut(Schema):
    key: int | None
    label: str
    periods: list[CellOut]


class ForecastOut(Schema):
    date_from: dt.date
    date_to: dt.date
    period: str
    group_by: str | None
    groups: list[GroupOut]
    totals: list[CellOut]


@router.get("/reports/forecast", response={200: ForecastOut, **ERRORS}, tags=["reports"])
def forecast_report(request: AuthedRequest, filters: Query[ForecastParams]) -> Any:
    """Open pipeline by expected close date (unweighted, weighted, per forecast category) next to
    the amount-sold target and what was sold, per period and optionally per owner, team or sale
    type. Only the sales the caller may see count."""
    _funnel()
    params = filters.model_dump(exclude_none=True)
    if "pipeline" in params and not Pipeline.objects.filter(pk=params["pipeline"]).exists():
        raise Http404
    form = ForecastForm.with_defaults(params, user=request.user)
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    report = forecast.forecast(request.user, **form.report_kwargs())

    def cells(group: forecast.ForecastGroup) -> list[dict[str, Any]]:
        return [{"period": p, **group.cells[p].as_dict()} for p in report.periods if p in group.cells]

    return {
        "date_from": report.date_from,
        "date_to": report.date_to,
        "period": report.period,
        "group_by": report.group_by or None,
        "groups": [{"key": g.key, "label": g.label, "periods": cells(g)} for g in report.groups],
        "totals": cells(report.totals),
    }
