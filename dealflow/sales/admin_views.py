"""The administrators' funnel set-up screens: the funnel switch, sale types (pipelines) with
their phases, the sales guide of each phase, close reasons, stall reasons, competitors and
user-defined fields. Views validate, call one service or selector, render."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealflow.accounts.views import admin_required
from dealflow.core.forms import run_service
from dealflow.core.funnel import funnel_enabled, funnel_required
from dealflow.core.types import AuthedRequest

from . import selectors, services
from .admin_forms import (
    CloseReasonForm,
    CompetitorForm,
    FunnelSwitchForm,
    GuideStepForm,
    PhaseForm,
    PipelineForm,
    StallReasonForm,
    UserDefinedFieldForm,
    exit_field_choices,
)
from .models import CloseReason, Competitor, GuideStep, Phase, Pipeline, StallReason, UserDefinedField

T = "sales/admin/"
MAX_PHASE_ROWS = 60
ROW_KEY = re.compile(r"[A-Za-z0-9_]{1,40}")
PHASE_ERROR = re.compile(r"^phases\.(\d+)\.(\w+)$")


def _posted(request: AuthedRequest) -> Any:
    """The submitted data of a POST (even an empty one: an unticked box sends nothing), else None."""
    return request.POST if request.method == "POST" else None


# --- the funnel switch and the index ---------------------------------------------------------


@admin_required
def funnel_settings(request: AuthedRequest) -> HttpResponse:
    """Turn the sales funnel on or off. Reachable while it is off, unlike every other screen."""
    form = FunnelSwitchForm(_posted(request), initial={"funnel_enabled": funnel_enabled()})
    if request.method == "POST" and form.is_valid():
        enabled = form.cleaned_data["funnel_enabled"]
        services.funnel_set_enabled(actor=request.user, enabled=enabled)
        messages.success(
            request, _("The sales funnel is switched on.") if enabled else _("The sales funnel is switched off.")
        )
        return redirect("funnel:settings")
    return render(request, T + "settings.html", {"form": form})


@admin_required
@funnel_required
def funnel_index(request: AuthedRequest) -> HttpResponse:
    return render(request, T + "index.html", {"counts": selectors.setup_counts()})


# --- sale types (pipelines) and their phases ---------------------------------------------


@dataclass
class PhaseRow:
    """One row of the phases table: its key in the posted data, its form, the stored phase."""

    key: str
    form: PhaseForm
    phase: Phase | None = None

    @property
    def in_use(self) -> bool:
        return bool(
            self.phase and (getattr(self.phase, "used_by_sales", False) or getattr(self.phase, "has_records", False))
        )


@admin_required
@funnel_required
def pipeline_list(request: AuthedRequest) -> HttpResponse:
    return render(request, T + "pipeline_list.html", {"pipelines": selectors.pipeline_admin_list()})


def _row_keys(raw: list[str]) -> list[str]:
    keys: list[str] = []
    for key in raw:
        if ROW_KEY.fullmatch(key) and key not in keys:
            keys.append(key)
    return keys[:MAX_PHASE_ROWS]


def _phase_rows(request: AuthedRequest, pipeline: Pipeline | None, choices: list[tuple[str, Any]]) -> list[PhaseRow]:
    """The rows as posted (in the order the user arranged them), else as stored."""
    stored = {p.pk: p for p in selectors.pipeline_phases_admin(pipeline)} if pipeline else {}
    if request.method == "POST":
        rows = []
        for key in _row_keys(request.POST.getlist("rows")):
            raw_id = request.POST.get(f"ph-{key}-id", "")
            phase = stored.get(int(raw_id)) if raw_id.isdigit() else None
            rows.append(PhaseRow(key, PhaseForm(request.POST, prefix=f"ph-{key}", exit_choices=choices), phase))
        return rows
    if pipeline is None:
        starters = [{"kind": Phase.Kind.INITIAL, "probability": 10}, {"kind": Phase.Kind.CLOSING, "probability": 100}]
        return [
            PhaseRow(f"n{i}", PhaseForm(prefix=f"ph-n{i}", initial={**init, "is_active": True}, exit_choices=choices))
            for i, init in enumerate(starters)
        ]
    return [
        PhaseRow(f"p{p.pk}", PhaseForm(prefix=f"ph-p{p.pk}", initial=PhaseForm.initial_for(p), exit_choices=choices), p)
        for p in stored.values()
    ]


def _show_pipeline_errors(exc: ValidationError, form: PipelineForm, rows: list[PhaseRow]) -> list[str]:
    """Put each refusal of pipeline_save next to what it is about; return the general ones."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    general: list[str] = []
    for key, errors in exc.error_dict.items():
        match = PHASE_ERROR.match(key)
        if match and int(match[1]) < len(rows):
            row_form = rows[int(match[1])].form
            field = match[2]
            row_form.add_error(field if field in row_form.fields else None, errors)
        elif key.startswith("phases"):
            general.extend(message for error in errors for message in error.messages)
        else:
            form.add_error(key if key in form.fields else None, errors)
    return general


@admin_required
@funnel_required
def pipeline_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk else None
    choices = exit_field_choices(selectors.user_fields(UserDefinedField.Entity.SALE))
    form = PipelineForm(_posted(request), instance=pipeline)
    rows = _phase_rows(request, pipeline, choices)
    phase_errors: list[str] = []
    if request.method == "POST":
        rows_valid = [row.form.is_valid() for row in rows]  # every row, so each shows its errors
        if form.is_valid() and all(rows_valid):
            try:
                saved = services.pipeline_save(
                    actor=request.user,
                    pipeline=copy.copy(pipeline),
                    data=form.service_data(),
                    phases=[row.form.service_data() for row in rows],
                )
            except ValidationError as exc:
                phase_errors = _show_pipeline_errors(exc, form, rows)
            else:
                messages.success(request, _("The sale type “%(name)s” was saved.") % {"name": saved})
                return redirect("funnel:pipeline_list")
        else:
            phase_errors = (
                [_("Some phases need attention; see the messages below.")]
                if any(row.form.errors for row in rows)
                else []
            )
    blank = PhaseRow("__key__", PhaseForm(prefix="ph-__key__", exit_choices=choices))
    return render(
        request,
        T + "pipeline_form.html",
        {"form": form, "object": pipeline, "rows": rows, "blank_row": blank, "phase_errors": phase_errors},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@funnel_required
def pipeline_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    if request.method == "POST":
        try:
            services.pipeline_delete(actor=request.user, pipeline=pipeline)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The sale type “%(name)s” was deleted.") % {"name": pipeline})
        return redirect("funnel:pipeline_list")
    return render(request, T + "confirm_delete.html", {"object": pipeline, "cancel_url": "funnel:pipeline_list"})


# --- the sales guide of a phase ------------------------------------------------------------


@admin_required
@funnel_required
def guide_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """The steps of a phase's sales guide; the form below adds one, or edits `?step=<id>`."""
    phase = get_object_or_404(Phase.objects.select_related("pipeline"), pk=pk)
    step_id = request.POST.get("step") or request.GET.get("step")
    step = get_object_or_404(GuideStep, pk=step_id, phase=phase) if step_id and step_id.isdigit() else None
    form = GuideStepForm(_posted(request), initial=GuideStepForm.initial_for(step) if step else None)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.guide_step_save(
                actor=request.user, phase=phase, step=copy.copy(step), data=form.service_data()
            ),
        )
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("funnel:guide_edit", pk=phase.pk)
    context = {
        "phase": phase,
        "pipeline": phase.pipeline,
        "steps": selectors.guide_steps(phase),
        "form": form,
        "step": step,
    }
    return render(request, T + "guide_edit.html", context, status=400 if request.method == "POST" else 200)


@admin_required
@funnel_required
@require_POST
def guide_step_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(GuideStep.objects.select_related("phase__pipeline"), pk=pk)
    services.guide_step_delete(actor=request.user, step=step)
    messages.success(request, _("The step “%(text)s” was removed.") % {"text": step.text})
    return redirect("funnel:guide_edit", pk=step.phase_id)


@admin_required
@funnel_required
@require_POST
def guide_reorder(request: AuthedRequest, pk: int) -> HttpResponse:
    phase = get_object_or_404(Phase, pk=pk)
    ids = [int(v) for v in request.POST.getlist("steps") if v.isdigit()]
    try:
        services.guide_steps_reorder(actor=request.user, phase=phase, step_ids=ids)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The order of the steps was saved."))
    return redirect("funnel:guide_edit", pk=phase.pk)


# --- close reasons, stall reasons, competitors: one set of views ---------------------------


@dataclass(frozen=True)
class LookupKind:
    slug: str
    model: type[Any]
    form: type[Any]
    title: Promise
    new_label: Promise
    intro: Promise

    @property
    def has_code(self) -> bool:
        return "code" in self.form._meta.fields

    @property
    def has_outcome(self) -> bool:
        return "outcome" in self.form._meta.fields


LOOKUPS: dict[str, LookupKind] = {
    kind.slug: kind
    for kind in (
        LookupKind(
            "close-reasons", CloseReason, CloseReasonForm, gettext_lazy("Close reasons"), gettext_lazy("New close reason"),
            gettext_lazy("Why a sale was won or lost. A reason offered only for won or only for lost sales says so in its outcome."),
        ),
        LookupKind(
            "stall-reasons", StallReason, StallReasonForm, gettext_lazy("Stall reasons"), gettext_lazy("New stall reason"),
            gettext_lazy("Why a sale is stalled until its reopen date."),
        ),
        LookupKind(
            "competitors", Competitor, CompetitorForm, gettext_lazy("Competitors"), gettext_lazy("New competitor"),
            gettext_lazy("Who a lost sale went to."),
        ),
    )
}  # fmt: skip


def _lookup(kind: str) -> LookupKind:
    try:
        return LOOKUPS[kind]
    except KeyError:
        raise Http404(kind) from None


@admin_required
@funnel_required
def lookup_list(request: AuthedRequest, kind: str) -> HttpResponse:
    spec = _lookup(kind)
    return render(request, T + "lookup_list.html", {"spec": spec, "items": selectors.lookup_admin_list(spec.model)})


@admin_required
@funnel_required
def lookup_edit(request: AuthedRequest, kind: str, pk: int | None = None) -> HttpResponse:
    spec = _lookup(kind)
    instance = get_object_or_404(spec.model, pk=pk) if pk else None
    form = spec.form(_posted(request), instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.lookup_save(
                actor=request.user, model=spec.model, instance=copy.copy(instance), data=form.service_data()
            ),
        )
        if saved is not None:
            messages.success(request, _("“%(name)s” was saved.") % {"name": saved})
            return redirect("funnel:lookup_list", kind=spec.slug)
    return render(
        request,
        T + "lookup_form.html",
        {"spec": spec, "form": form, "object": instance},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@funnel_required
def lookup_delete(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    spec = _lookup(kind)
    instance = get_object_or_404(spec.model, pk=pk)
    if request.method == "POST":
        try:
            services.lookup_delete(actor=request.user, instance=instance)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("“%(name)s” was deleted.") % {"name": instance})
        return redirect("funnel:lookup_list", kind=spec.slug)
    return render(
        request,
        T + "confirm_delete.html",
        {"object": instance, "cancel_url": "funnel:lookup_list", "cancel_kind": spec.slug, "spec": spec},
    )


# --- user-defined fields -------------------------------------------------------------------


@admin_required
@funnel_required
def udf_list(request: AuthedRequest) -> HttpResponse:
    fields = selectors.udf_admin_list()
    groups = [
        {"entity": entity, "label": label, "fields": [f for f in fields if f.entity == entity]}
        for entity, label in UserDefinedField.Entity.choices
    ]
    return render(request, T + "udf_list.html", {"groups": groups})


@admin_required
@funnel_required
def udf_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    udf = get_object_or_404(UserDefinedField, pk=pk) if pk else None
    locked = udf is not None and services.udf_in_use(udf)
    initial = {"entity": request.GET.get("entity")} if udf is None and request.GET.get("entity") else None
    form = UserDefinedFieldForm(_posted(request), instance=udf, locked=locked, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form, lambda: services.udf_save(actor=request.user, udf=copy.copy(udf), data=form.service_data())
        )
        if saved is not None:
            messages.success(request, _("The field “%(name)s” was saved.") % {"name": saved})
            return redirect("funnel:udf_list")
    return render(
        request,
        T + "udf_form.html",
        {"form": form, "object": udf, "locked": locked},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@funnel_required
def udf_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    udf = get_object_or_404(UserDefinedField, pk=pk)
    if request.method == "POST":
        if services.udf_delete(actor=request.user, udf=udf):
            messages.success(request, _("The field “%(name)s” was deleted.") % {"name": udf})
        else:
            messages.warning(
                request,
                _("Records hold values for the field “%(name)s”, so it was deactivated instead of deleted.")
                % {"name": udf},
            )
        return redirect("funnel:udf_list")
    return render(
        request,
        T + "confirm_delete.html",
        {"object": udf, "cancel_url": "funnel:udf_list", "deactivates": services.udf_in_use(udf)},
    )
