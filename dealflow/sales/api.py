"""/api/v1/sales and what happens to a sale: move, close, stall, reopen, its phase ladder and
its stakeholders. The set-up resources (pipelines, phases, reasons, competitors) are in
api_setup.py. Every path answers 404 while the sales funnel is switched off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any, Literal, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import PlainSerializer, WithJsonSchema

from dealflow.api.common import (
    CUSTOM_DOC,
    ConflictOut,
    CustomValue,
    ErrorOut,
    FormInvalid,
    PageOut,
    form_errors,
    paginate_qs,
    validated_custom_form,
)
from dealflow.core.funnel import funnel_enabled
from dealflow.core.types import AuthedRequest

from . import selectors, services
from .forms import CloseForm, MoveForm, SaleForm, StakeholderForm, StallForm
from .models import Pipeline, Sale, Stakeholder

F = TypeVar("F", bound=forms.BaseForm)
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut}
CENT = Decimal("0.01")
MONEY_DOC = (
    'Money: a decimal with exactly two places, serialised as a string (for example "1250.00") so no precision is lost.'
)
MONEY_IN_DOC = 'Non-negative, at most two decimals. Send a string such as "1250.00" (a JSON number is accepted).'


def _two_places(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT))


Money = Annotated[
    Decimal,
    PlainSerializer(_two_places, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1250.00"], "description": MONEY_DOC}),
]


# --- shared by both funnel routers ---------------------------------------------------------


def funnel_guard(run: Callable[..., Any]) -> Callable[..., Any]:
    """Router decorator: while the funnel is switched off every funnel path answers 404,
    as if it did not exist."""

    @wraps(run)
    def guarded(request: AuthedRequest, *args: Any, **kwargs: Any) -> Any:
        if not funnel_enabled():
            from dealflow.api.urls import api

            return api.on_exception(request, Http404())
        return run(request, *args, **kwargs)

    return guarded


def require_admin(request: AuthedRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


def sent(payload: Schema) -> dict[str, Any]:
    """Only what the caller sent: a PATCH leaves the rest alone."""
    return payload.model_dump(exclude_unset=True)


def bound(form: F) -> F:
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    return form


def plain_data(payload: dict[str, Any]) -> dict[str, Any]:
    """Form data from API input: missing and null both mean "not given"."""
    return {k: v for k, v in payload.items() if v is not None}


router = Router(tags=["sales"])
router.add_decorator(funnel_guard)


# --- schemas -------------------------------------------------------------------------------


class SaleOut(Schema):
    id: int
    title: str
    company: int | None = Field(None, alias="company_id")
    person: int | None = Field(None, alias="person_id")
    project: int | None = Field(None, alias="project_id")
    owner: int = Field(..., alias="owner_id")
    pipeline: int = Field(..., alias="pipeline_id")
    phase: int = Field(..., alias="phase_id")
    phase_entered_at: dt.datetime
    status: str = Field(..., description="Stored status: open, sold, lost or stalled.")
    effective_status: str = Field(
        ..., description="What the user sees: a stalled sale whose reopen date has come reads as open."
    )
    amount: Money = Field(..., description="Expected value. " + MONEY_DOC)
    currency: str
    recurring_value: Money
    recurring_interval: str
    weighted_value: Money = Field(..., description="Expected value × probability. " + MONEY_DOC)
    sale_date: dt.date | None
    probability: int
    score: int | None
    total_cost: Money | None
    profit: Money | None
    profit_pct: Money | None = Field(
        None, description="Profit as a percentage of the amount, two decimals, as a string."
    )
    competitor: int | None = Field(None, alias="competitor_id")
    close_reason: int | None = Field(None, alias="close_reason_id")
    closed_date: dt.date | None
    stall_reason: int | None = Field(None, alias="stall_reason_id")
    reopen_date: dt.date | None
    note: str
    custom: dict[str, Any] = Field(..., description=CUSTOM_DOC)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


SALE_OUT_KEYS = [field.alias or name for name, field in SaleOut.model_fields.items()]


class SalePage(PageOut):
    results: list[SaleOut]


class SaleIn(Schema):
    title: str | None = None
    company: int | None = None
    person: int | None = None
    project: int | None = None
    owner: int | None = Field(None, description="Defaults to you.")
    pipeline: int | None = Field(
        None, description="Sale type; defaults to the company's account type's, else the first."
    )
    amount: Decimal | None = Field(None, description="Expected value. " + MONEY_IN_DOC)
    currency: str | None = Field(None, description="Three letters, default EUR.")
    sale_date: dt.date | None = Field(None, description="Expected close date.")
    probability: int | None = Field(None, description="0–100; empty means the phase's default.")
    score: int | None = Field(None, description="Whole number 1–100.")
    recurring_value: Decimal | None = Field(None, description=MONEY_IN_DOC)
    recurring_interval: Literal["month", "quarter", "year"] | None = None
    total_cost: Decimal | None = Field(None, description=MONEY_IN_DOC + " Profit and profit % follow.")
    profit: Decimal | None = None
    profit_pct: Decimal | None = None
    competitor: int | None = None
    note: str | None = None
    custom: dict[str, CustomValue] | None = Field(None, description=CUSTOM_DOC)
    version: int | None = Field(None, description="The version you read; a stale one is refused with 409.")


class SaleFilters(Schema):
    q: str = ""
    status: Literal["", "open", "sold", "lost", "stalled", "completed"] = ""
    pipeline: int | None = None
    phase: int | None = None
    owner: int | None = None
    company: int | None = None
    person: int | None = None
    project: int | None = None
    sort: str = Field("-date", description="date, title, amount, company, phase or created; a leading - reverses.")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class MoveIn(Schema):
    phase: int
    score: int | None = None
    expected_value: Decimal | None = Field(None, description=MONEY_IN_DOC)
    recurring_value: Decimal | None = Field(None, description=MONEY_IN_DOC)
    outcome: Literal["won", "lost"] | None = Field(None, description="Required when the phase is a closing one.")
    close_reason: int | None = Field(
        None, description="Required when the phase is a closing one; must fit the outcome."
    )
    competitor: int | None = None
    closed_date: dt.date | None = Field(None, description="Defaults to today.")
    version: int | None = None


class CloseIn(Schema):
    outcome: Literal["won", "lost"]
    close_reason: int | None = Field(None, description="Required; must fit the outcome.")
    competitor: int | None = None
    closed_date: dt.date | None = Field(None, description="Defaults to today.")
    version: int | None = None


class StallIn(Schema):
    reopen_date: dt.date | None = Field(None, description="Required, in the future: the sale reopens by itself then.")
    stall_reason: int | None = Field(None, description="Required.")
    version: int | None = None


class ReopenIn(Schema):
    version: int | None = None


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.get_full_name() or obj.username


class PhaseRecordOut(Schema):
    id: int
    phase: Ref
    entered_at: dt.datetime
    left_at: dt.datetime | None
    moved_by: UserRef | None
    score: int | None
    expected_value: Money
    recurring_value: Money
    status: str


class StakeholderOut(Schema):
    id: int
    person: int = Field(..., alias="person_id")
    person_name: str
    role: str
    comment: str
    created_at: dt.datetime

    @staticmethod
    def resolve_person_name(obj: Stakeholder) -> str:
        return str(obj.person)


class StakeholderIn(Schema):
    person: int
    role: str = ""
    comment: str = ""


# --- input through SaleForm ----------------------------------------------------------------


def sale_form(user: Any, data: dict[str, Any], instance: Sale | None) -> SaleForm:
    """SaleForm, fed from the API, with the sale's user-defined fields under `custom`."""
    return validated_custom_form(SaleForm, "sale", data, user=user, instance=instance)


# --- sales ---------------------------------------------------------------------------------


@router.get("/sales", response={200: SalePage, **ERRORS})
def list_sales(request: AuthedRequest, filters: Query[SaleFilters]) -> Any:
    """`status` filters by the status the user sees: a stalled sale whose reopen date has come is open."""
    params = filters.model_dump(exclude={"page", "page_size"})
    # The API answers with ids only: no related rows to join and build per sale.
    qs = selectors.sale_list_effective(user=request.user, **params).select_related(None)
    items, meta = paginate_qs(qs, filters.page, filters.page_size)
    from dealflow.api.urls import api

    # Read from our own rows, so built without validation: validating a 100-sale page through
    # Ninja's per-field getters took longer than the rest of the request. The result is what
    # SalePage declares, serialised the same way (a test compares it with GET /sales/{id}).
    results = [SaleOut.model_construct(**_sale_out(sale)).model_dump() for sale in items]
    return api.create_response(request, {**meta, "results": results}, status=200)


def _sale_out(sale: Sale) -> dict[str, Any]:
    """A sale as SaleOut's input (field aliases as keys), read attribute by attribute once."""
    return {key: getattr(sale, key) for key in SALE_OUT_KEYS}


@router.get("/sales/{pk}", response={200: SaleOut, **ERRORS})
def get_sale(request: AuthedRequest, pk: int) -> Any:
    return selectors.sale_get_for_user(request.user, pk)


@router.post("/sales", response={201: SaleOut, **ERRORS})
def create_sale(request: AuthedRequest, payload: SaleIn) -> Any:
    form = sale_form(request.user, sent(payload), None)
    return 201, services.sale_create(actor=request.user, data=form.service_data())


@router.patch("/sales/{pk}", response={200: SaleOut, **ERRORS})
def update_sale(request: AuthedRequest, pk: int, payload: SaleIn) -> Any:
    sale = selectors.sale_get_for_user(request.user, pk)
    data_in = sent(payload)
    form = sale_form(request.user, data_in, sale)
    data = {k: v for k, v in form.service_data().items() if k in data_in}
    if data_in.get("pipeline") not in (None, sale.pipeline_id) and "pipeline" not in data:
        # The form ignores the sale type of a completed sale; let the service say why.
        data["pipeline"] = Pipeline.objects.filter(pk=data_in["pipeline"]).first()
        if data["pipeline"] is None:
            raise FormInvalid({"pipeline": [_("Choose a valid sale type.")]})
    return services.sale_update(actor=request.user, sale=sale, data=data, expected_version=data_in.get("version"))


@router.delete("/sales/{pk}", response={204: None, **ERRORS})
def delete_sale(request: AuthedRequest, pk: int) -> Any:
    services.sale_delete(actor=request.user, sale=selectors.sale_get_for_user(request.user, pk))
    return 204, None


# --- status and phase ----------------------------------------------------------------------


@router.post("/sales/{pk}/phase", response={200: SaleOut, **ERRORS}, summary="Move a sale to another phase")
def move_sale(request: AuthedRequest, pk: int, payload: MoveIn) -> Any:
    """Complete the current phase and enter another. A closing phase closes the sale and needs
    an outcome and a close reason that fits it. Only open sales move."""
    sale = selectors.sale_get_for_user(request.user, pk)
    form = bound(MoveForm(data=plain_data(sent(payload)), sale=sale))
    return services.sale_move_to_phase(actor=request.user, sale=sale, **form.service_kwargs())


@router.post("/sales/{pk}/close", response={200: SaleOut, **ERRORS}, summary="Mark a sale sold or lost")
def close_sale(request: AuthedRequest, pk: int, payload: CloseIn) -> Any:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = bound(CloseForm(data=plain_data(sent(payload)), sale=sale))
    return services.sale_close(actor=request.user, sale=sale, **form.service_kwargs())


@router.post("/sales/{pk}/stall", response={200: SaleOut, **ERRORS}, summary="Mark a sale stalled")
def stall_sale(request: AuthedRequest, pk: int, payload: StallIn) -> Any:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = bound(StallForm(data=plain_data(sent(payload)), sale=sale))
    return services.sale_stall(actor=request.user, sale=sale, **form.service_kwargs())


@router.post("/sales/{pk}/reopen", response={200: SaleOut, **ERRORS}, summary="Reopen a sold, lost or stalled sale")
def reopen_sale(request: AuthedRequest, pk: int, payload: ReopenIn) -> Any:
    sale = selectors.sale_get_for_user(request.user, pk)
    return services.sale_reopen(actor=request.user, sale=sale, expected_version=payload.version)


@router.get("/sales/{pk}/phase-records", response={200: list[PhaseRecordOut], **ERRORS}, summary="The phase ladder")
def list_phase_records(request: AuthedRequest, pk: int) -> Any:
    """Every stay of the sale in a phase, oldest first, with what was captured there."""
    return selectors.sale_phase_records(selectors.sale_get_for_user(request.user, pk))


# --- stakeholders --------------------------------------------------------------------------


@router.get("/sales/{pk}/stakeholders", response={200: list[StakeholderOut], **ERRORS})
def list_stakeholders(request: AuthedRequest, pk: int) -> Any:
    sale = selectors.sale_get_for_user(request.user, pk)
    return list(sale.stakeholders.select_related("person").order_by("id"))


@router.post("/sales/{pk}/stakeholders", response={201: StakeholderOut, **ERRORS})
def add_stakeholder(request: AuthedRequest, pk: int, payload: StakeholderIn) -> Any:
    """The person must be one you can see."""
    sale = selectors.sale_get_for_user(request.user, pk)
    d = bound(StakeholderForm(data=payload.model_dump(), user=request.user)).cleaned_data
    stakeholder = services.stakeholder_add(
        actor=request.user, sale=sale, person=d["person"], role=d["role"], comment=d["comment"]
    )
    return 201, stakeholder


@router.delete("/sales/{pk}/stakeholders/{sid}", response={204: None, **ERRORS})
def remove_stakeholder(request: AuthedRequest, pk: int, sid: int) -> Any:
    sale = selectors.sale_get_for_user(request.user, pk)
    stakeholder = get_object_or_404(Stakeholder.objects.select_related("sale", "person"), pk=sid, sale=sale)
    services.stakeholder_remove(actor=request.user, stakeholder=stakeholder)
    return 204, None


__all__ = ["ERRORS", "Money", "bound", "funnel_guard", "require_admin", "router", "sent"]
