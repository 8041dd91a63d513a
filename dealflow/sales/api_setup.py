"""/api/v1/ pipelines (sale types) with their phases, close reasons, stall reasons and
competitors: everyone may read them, only administrators change them. Writes go through the
set-up services, so a phase or reason in use is deactivated, never deleted. Input is checked
by the forms of the set-up screens (admin_forms.py), so the browser and the API agree.

(No `from __future__ import annotations` here: the lookup endpoints are built by a function,
and django-ninja reads their annotations as objects.)"""

from typing import Any, Literal

from django import forms
from django.db.models import Model, Prefetch
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from dealflow.api.common import FormInvalid, form_errors
from dealflow.core.types import AuthedRequest

from . import selectors, services
from .admin_forms import CloseReasonForm, CompetitorForm, PhaseForm, PipelineForm, StallReasonForm, exit_field_choices
from .api import ERRORS, bound, funnel_guard, require_admin, sent
from .models import CloseReason, Competitor, Phase, Pipeline, StallReason

router = Router()
router.add_decorator(funnel_guard)

PIPELINE_TAG = "sale types (pipelines)"
NULLABLE = {"days_to_stall"}  # null clears these; for the rest null means "not given"
NEW = {"is_active": True}  # a form reads a missing checkbox as unticked
NEW_PHASE = {**NEW, "kind": Phase.Kind.REGULAR, "probability": 0}


# --- schemas -------------------------------------------------------------------------------


class PhaseOut(Schema):
    id: int
    pipeline: int = Field(..., alias="pipeline_id")
    code: str
    name: str
    order: int
    kind: str = Field(..., description="initial, regular or closing")
    probability: int = Field(..., description="Default probability, 0–100 %.")
    days_to_stall: int | None
    exit_required_fields: list[str]
    exit_requires_guide_done: bool
    is_active: bool


class PipelineOut(Schema):
    id: int
    code: str
    name: str
    order: int
    days_to_stall: int | None
    is_active: bool
    phases: list[PhaseOut] = Field(..., description="Every phase in order, the deactivated ones too.")


class PhaseIn(Schema):
    code: str | None = None
    name: str | None = None
    kind: Literal["initial", "regular", "closing"] | None = None
    probability: int | None = Field(None, ge=0, le=100)
    days_to_stall: int | None = Field(None, ge=1)
    exit_required_fields: list[str] | None = Field(
        None, description="Sale fields that must be filled to leave the phase."
    )
    exit_requires_guide_done: bool | None = None
    is_active: bool | None = None


class LadderPhaseIn(PhaseIn):
    id: int | None = Field(None, description="An existing phase of this sale type; leave out for a new one.")


class NewPhaseIn(PhaseIn):
    position: int | None = Field(
        None,
        ge=0,
        description="Where the phase goes (0 = first). Default: before the closing phases, or last for a closing one.",
    )


class PipelineIn(Schema):
    code: str | None = None
    name: str | None = None
    order: int | None = Field(None, ge=0)
    days_to_stall: int | None = Field(None, ge=1)
    is_active: bool | None = None
    phases: list[LadderPhaseIn] | None = Field(
        None,
        description="The whole ladder, in order: one initial phase, at least one closing phase. Existing phases by id; "
        "those left out are deleted, or deactivated when sales used them. Leave out to keep the phases as they are.",
    )


class ReorderIn(Schema):
    phase_ids: list[int] = Field(..., description="Every phase of the sale type exactly once, in the new order.")


class CloseReasonOut(Schema):
    id: int
    code: str
    name: str
    outcome: str = Field(..., description="won, lost or either")
    order: int
    is_active: bool


class CloseReasonIn(Schema):
    code: str | None = None
    name: str | None = None
    outcome: Literal["won", "lost", "either"] | None = None
    order: int | None = Field(None, ge=0)
    is_active: bool | None = None


class NamedOut(Schema):
    id: int
    name: str
    order: int
    is_active: bool


class NamedIn(Schema):
    name: str | None = None
    order: int | None = Field(None, ge=0)
    is_active: bool | None = None


def _given(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None or k in NULLABLE}


def _model_form(form_class: type[forms.ModelForm], instance: Model | None, payload: dict[str, Any]) -> Any:
    """A set-up form fed with the record's current values (or the defaults of a new one),
    overlaid with what was sent."""
    data = model_to_dict(instance, fields=form_class._meta.fields) if instance is not None else dict(NEW)
    data.update(_given(payload))
    return bound(form_class(data={k: "" if v is None else v for k, v in data.items()}, instance=instance))


def _phase_form(phase: Phase | None, payload: dict[str, Any], choices: list[Any]) -> PhaseForm:
    data = PhaseForm.initial_for(phase) if phase is not None else dict(NEW_PHASE)
    data.update(_given(payload))
    return PhaseForm(data={k: "" if v is None else v for k, v in data.items()}, exit_choices=choices)


def _phase_row(phase: Phase | None, payload: dict[str, Any]) -> dict[str, Any]:
    """One phase for pipeline_save, checked by the set-up screen's PhaseForm."""
    return bound(_phase_form(phase, payload, exit_field_choices(selectors.user_fields("sale")))).service_data()


# --- pipelines -----------------------------------------------------------------------------


def _pipelines() -> Any:
    return Pipeline.objects.prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("order", "id")))


def _pipeline(pk: int) -> Pipeline:
    return get_object_or_404(_pipelines(), pk=pk)


def _ladder(pipeline: Pipeline) -> list[dict[str, Any]]:
    """The phases as they are, for pipeline_save: keep every one, in its current order."""
    return [{"id": p.pk, "code": p.code} for p in pipeline.phases.order_by("order", "id")]


def _sent_ladder(pipeline: Pipeline | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ladder as sent, each row checked; errors come back as `phases.<index>.<field>`."""
    existing = {p.pk: p for p in pipeline.phases.all()} if pipeline is not None else {}
    choices = exit_field_choices(selectors.user_fields("sale"))
    ladder: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        item = _given(item)
        if item.get("id") is not None and item["id"] not in existing:
            errors[f"phases.{index}.id"] = [_("Unknown phase %(id)s.") % {"id": item["id"]}]
            continue
        form = _phase_form(existing.get(item.get("id", 0)), item, choices)
        if not form.is_valid():
            errors.update({f"phases.{index}.{field}": msgs for field, msgs in form_errors(form).items()})
            continue
        ladder.append(form.service_data())
    if errors:
        raise FormInvalid(errors)
    return ladder


@router.get("/pipelines", response={200: list[PipelineOut], **ERRORS}, tags=[PIPELINE_TAG])
def list_pipelines(request: AuthedRequest, include_inactive: bool = False) -> Any:
    qs = _pipelines()
    return list(qs if include_inactive else qs.filter(is_active=True))


@router.get("/pipelines/{pk}", response={200: PipelineOut, **ERRORS}, tags=[PIPELINE_TAG])
def get_pipeline(request: AuthedRequest, pk: int) -> Any:
    return _pipeline(pk)


@router.post("/pipelines", response={201: PipelineOut, **ERRORS}, tags=[PIPELINE_TAG])
def create_pipeline(request: AuthedRequest, payload: PipelineIn) -> Any:
    require_admin(request)
    data = sent(payload)
    phases = _sent_ladder(None, data.pop("phases", None) or [])
    form = _model_form(PipelineForm, None, data)
    pipeline = services.pipeline_save(actor=request.user, pipeline=None, data=form.service_data(), phases=phases)
    return 201, _pipeline(pipeline.pk)


@router.patch("/pipelines/{pk}", response={200: PipelineOut, **ERRORS}, tags=[PIPELINE_TAG])
def update_pipeline(request: AuthedRequest, pk: int, payload: PipelineIn) -> Any:
    require_admin(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    data = sent(payload)
    phases = data.pop("phases", None)
    ladder = _sent_ladder(pipeline, phases) if phases is not None else _ladder(pipeline)
    form = _model_form(PipelineForm, pipeline, data)
    services.pipeline_save(actor=request.user, pipeline=pipeline, data=form.service_data(), phases=ladder)
    return _pipeline(pk)


@router.delete("/pipelines/{pk}", response={204: None, **ERRORS}, tags=[PIPELINE_TAG])
def delete_pipeline(request: AuthedRequest, pk: int) -> Any:
    require_admin(request)
    services.pipeline_delete(actor=request.user, pipeline=get_object_or_404(Pipeline, pk=pk))
    return 204, None


# --- phases of a pipeline ------------------------------------------------------------------


@router.get("/pipelines/{pk}/phases", response={200: list[PhaseOut], **ERRORS}, tags=[PIPELINE_TAG])
def list_phases(request: AuthedRequest, pk: int, include_inactive: bool = False) -> Any:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    qs = pipeline.phases.order_by("order", "id")
    return list(qs if include_inactive else qs.filter(is_active=True))


@router.post("/pipelines/{pk}/phases", response={201: PhaseOut, **ERRORS}, tags=[PIPELINE_TAG])
def create_phase(request: AuthedRequest, pk: int, payload: NewPhaseIn) -> Any:
    require_admin(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    data = sent(payload)
    position = data.pop("position", None)
    new = _phase_row(None, data)
    ladder = _ladder(pipeline)
    if position is None:
        kinds = dict(pipeline.phases.values_list("pk", "kind"))
        closing = [i for i, item in enumerate(ladder) if kinds[item["id"]] == Phase.Kind.CLOSING]
        position = len(ladder) if new.get("kind") == Phase.Kind.CLOSING or not closing else closing[0]
    ladder.insert(min(position, len(ladder)), new)
    services.pipeline_save(actor=request.user, pipeline=pipeline, data={}, phases=ladder)
    return 201, pipeline.phases.get(code=new["code"])


# Before /phases/{phase_id}, which would otherwise take "reorder" for an id.
@router.post("/pipelines/{pk}/phases/reorder", response={200: list[PhaseOut], **ERRORS}, tags=[PIPELINE_TAG])
def reorder_phases(request: AuthedRequest, pk: int, payload: ReorderIn) -> Any:
    require_admin(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    services.phases_reorder(actor=request.user, pipeline=pipeline, phase_ids=payload.phase_ids)
    return list(pipeline.phases.order_by("order", "id"))


@router.patch("/pipelines/{pk}/phases/{phase_id}", response={200: PhaseOut, **ERRORS}, tags=[PIPELINE_TAG])
def update_phase(request: AuthedRequest, pk: int, phase_id: int, payload: PhaseIn) -> Any:
    require_admin(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    phase = get_object_or_404(Phase, pk=phase_id, pipeline=pipeline)
    row = _phase_row(phase, sent(payload))
    ladder = [row if item["id"] == phase.pk else item for item in _ladder(pipeline)]
    services.pipeline_save(actor=request.user, pipeline=pipeline, data={}, phases=ladder)
    phase.refresh_from_db()
    return phase


@router.delete("/pipelines/{pk}/phases/{phase_id}", response={204: None, **ERRORS}, tags=[PIPELINE_TAG])
def delete_phase(request: AuthedRequest, pk: int, phase_id: int) -> Any:
    """A phase that sales used cannot be deleted (422): deactivate it instead."""
    require_admin(request)
    phase = get_object_or_404(Phase.objects.select_related("pipeline"), pk=phase_id, pipeline_id=pk)
    services.phase_delete(actor=request.user, phase=phase)
    return 204, None


# --- close reasons, stall reasons, competitors ---------------------------------------------


def _lookup_endpoints(
    path: str, model: type[Model], form_class: type[forms.ModelForm], out: type[Schema], inp: type[Schema], tag: str
) -> None:
    """list (active unless ?include_inactive=true), read, create, PATCH, delete."""
    slug = path.replace("-", "_")

    @router.get(
        f"/{path}",
        response={200: list[out], **ERRORS},  # type: ignore[valid-type]
        tags=[tag],
        operation_id=f"list_{slug}",
        url_name=f"{slug}_list",
    )
    def list_items(request: AuthedRequest, include_inactive: bool = False) -> Any:
        qs = model._default_manager.all()
        return list(qs if include_inactive else qs.filter(is_active=True))

    @router.get(
        f"/{path}/{{pk}}",
        response={200: out, **ERRORS},
        tags=[tag],
        operation_id=f"get_{slug}",
        url_name=f"{slug}_detail",
    )
    def get_item(request: AuthedRequest, pk: int) -> Any:
        return get_object_or_404(model, pk=pk)

    @router.post(f"/{path}", response={201: out, **ERRORS}, tags=[tag], operation_id=f"create_{slug}")
    def create_item(request: AuthedRequest, payload: inp) -> Any:  # type: ignore[valid-type]
        require_admin(request)
        form = _model_form(form_class, None, sent(payload))
        return 201, services.lookup_save(actor=request.user, model=model, instance=None, data=form.service_data())

    @router.patch(f"/{path}/{{pk}}", response={200: out, **ERRORS}, tags=[tag], operation_id=f"update_{slug}")
    def update_item(request: AuthedRequest, pk: int, payload: inp) -> Any:  # type: ignore[valid-type]
        require_admin(request)
        instance = get_object_or_404(model, pk=pk)
        form = _model_form(form_class, instance, sent(payload))
        return services.lookup_save(actor=request.user, model=model, instance=instance, data=form.service_data())

    @router.delete(f"/{path}/{{pk}}", response={204: None, **ERRORS}, tags=[tag], operation_id=f"delete_{slug}")
    def delete_item(request: AuthedRequest, pk: int) -> Any:
        """Used by sales: 422, deactivate it instead."""
        require_admin(request)
        services.lookup_delete(actor=request.user, instance=get_object_or_404(model, pk=pk))
        return 204, None


_lookup_endpoints("close-reasons", CloseReason, CloseReasonForm, CloseReasonOut, CloseReasonIn, "close reasons")
_lookup_endpoints("stall-reasons", StallReason, StallReasonForm, NamedOut, NamedIn, "stall reasons")
_lookup_endpoints("competitors", Competitor, CompetitorForm, NamedOut, NamedIn, "competitors")
