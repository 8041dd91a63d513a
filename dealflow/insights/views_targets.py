"""The yearly targets grid: one row per user, team and the whole company, twelve month columns.
Spreading, copying from a row and copying last year only fill the row in (nothing is saved until
Save); saving and locking each call one service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.core.forms import run_service
from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest

from . import exports
from . import targets_services as services
from .forms_targets import MONTHS, TargetGridFilterForm, TargetRowForm
from .models import TargetScope


@dataclass
class Subject:
    key: str
    label: str
    scope: str
    user: User | None = None
    team: Team | None = None
    editable: bool = False

    def kwargs(self) -> dict[str, Any]:
        return {"scope": self.scope, "user": self.user, "team": self.team}


@dataclass
class GridRow:
    subject: Subject
    form_id: str
    values: list[str]
    yearly: str
    quarters: list[Decimal]
    total: Decimal
    locked: bool
    errors: list[str] = field(default_factory=list)


def subjects_for(user: User) -> list[Subject]:
    """The rows a user sees: salespeople their own; managers the people they see, their teams
    and the company (read only); administrators everyone."""
    can = services.can_edit_targets(user)
    if not can:
        return [Subject(f"user:{user.pk}", str(user), TargetScope.USER, user=user)]
    ids = visible_owner_ids(user)
    users = User.objects.filter(is_active=True)
    teams = Team.objects.all()
    if ids is not None:
        users = users.filter(pk__in=ids)
        team_ids = set(user.managed_teams.values_list("pk", flat=True)) | set(user.teams.values_list("pk", flat=True))
        teams = teams.filter(pk__in=team_ids)
    rows = [Subject(f"user:{u.pk}", str(u), TargetScope.USER, user=u, editable=True) for u in users]
    rows += [Subject(f"team:{t.pk}", str(t), TargetScope.TEAM, team=t, editable=True) for t in teams]
    rows.append(Subject("company", _("Whole company"), TargetScope.COMPANY, editable=user.is_admin))
    return rows


def _saved(subject: Subject, year: int, measure: str, pipeline: Any) -> dict[int, Any]:
    return services.row_targets(year=year, measure=measure, pipeline=pipeline, **subject.kwargs())


def _row(subject: Subject, year: int, measure: str, pipeline: Any, form: TargetRowForm | None = None) -> GridRow:
    saved = _saved(subject, year, measure, pipeline)
    amounts = [saved[m].value if m in saved else None for m in MONTHS]
    values = ["" if v is None else str(v) for v in amounts]
    yearly = str(sum((v for v in amounts if v is not None), Decimal(0))) if saved else ""
    errors: list[str] = []
    if form is not None:
        values = [str(form.data.get(f"m{m}", "") or "") for m in MONTHS]
        yearly = str(form.data.get("yearly", "") or "")
        errors = [str(e) for errs in form.errors.values() for e in errs]
    real = [v or Decimal(0) for v in amounts]
    quarters = [sum(real[q * 3 : q * 3 + 3], Decimal(0)) for q in range(4)]
    return GridRow(
        subject=subject, form_id=f"row-{subject.key.replace(':', '-')}", values=values, yearly=yearly,
        quarters=quarters, total=sum(real, Decimal(0)), locked=any(t.locked for t in saved.values()), errors=errors,
    )  # fmt: skip


def _fill(form: TargetRowForm, values: list[Decimal | None], yearly: Decimal | None = None) -> TargetRowForm:
    data: dict[str, Any] = {k: form.data.get(k) for k in form.data}
    for m, v in zip(MONTHS, values, strict=True):
        data[f"m{m}"] = "" if v is None else str(v)
    data["yearly"] = str(yearly if yearly is not None else sum((v for v in values if v is not None), Decimal(0)))
    filled = TargetRowForm(data)
    filled.is_valid()
    return filled


def _handle(request: AuthedRequest, subjects: dict[str, Subject], year: int, measure: str, pipeline: Any) -> Any:
    """Returns (row key, unsaved form to show) or a redirect after a save."""
    form = TargetRowForm(request.POST)
    action = request.POST.get("action", "save")
    key = request.POST.get("row", "")
    subject = subjects.get(key)
    if subject is None:
        messages.error(request, _("Unknown user or team."))
        return None
    if not subject.editable:
        raise PermissionDenied
    if not form.is_valid():
        return key, form
    if action == "spread":
        yearly = form.cleaned_data.get("yearly")
        if yearly is None:
            form.add_error("yearly", _("Type a yearly figure to spread."))
            return key, form
        return key, _fill(form, list(services.spread_evenly(yearly)), yearly)
    if action == "copy":
        source = subjects.get(form.cleaned_data.get("copy_from") or "")
        if source is None:
            form.add_error("copy_from", _("Choose the row to copy from."))
            return key, form
        saved = _saved(source, year, measure, pipeline)
        return key, _fill(form, [saved[m].value if m in saved else None for m in MONTHS])
    if action == "last_year":
        percent = form.cleaned_data.get("percent") or Decimal(0)
        saved = _saved(subject, year - 1, measure, pipeline)
        if not saved:
            form.add_error("percent", _("This row has no targets for %(year)d.") % {"year": year - 1})
            return key, form
        last = [saved[m].value if m in saved else None for m in MONTHS]
        return key, _fill(form, services.raise_by_percent(last, percent))
    if action in ("lock", "unlock"):
        done = run_service(
            form,
            lambda: services.target_row_lock(
                actor=request.user, year=year, measure=measure, pipeline=pipeline, locked=action == "lock",
                **subject.kwargs(),
            ),
        )  # fmt: skip
        if done is None:
            return key, form
        messages.success(request, _("Row locked.") if action == "lock" else _("Row unlocked."))
        return redirect(request.get_full_path())
    saved_rows = run_service(
        form,
        lambda: services.target_row_save(
            actor=request.user, year=year, measure=measure, pipeline=pipeline, values=form.month_values(),
            **subject.kwargs(),
        ),
    )  # fmt: skip
    if saved_rows is None:
        return key, form
    messages.success(request, _("Targets for %(row)s saved.") % {"row": subject.label})
    return redirect(request.get_full_path())


def grid_table(rows: Iterable[GridRow], year: int) -> Iterator[list[Any]]:
    """The export of the grid as it is saved: a row per user, team and the company."""
    months = [date_format(dt.date(year, m, 1), "M") for m in MONTHS]
    yield [_("Row"), *months, _("Q1"), _("Q2"), _("Q3"), _("Q4"), _("Total"), _("Locked")]
    for row in rows:
        values = [Decimal(v) if v else None for v in row.values]
        yield [row.subject.label, *values, *row.quarters, row.total, _("Yes") if row.locked else _("No")]


@login_required
@funnel_required
@require_http_methods(["GET", "POST"])
def targets(request: AuthedRequest) -> HttpResponseBase:
    filters = TargetGridFilterForm.with_defaults(request.GET)
    if not filters.is_valid():
        return render(request, "insights/targets.html", {"filters": filters, "rows": []}, status=400)
    year, measure, pipeline = (filters.cleaned_data[k] for k in ("year", "measure", "pipeline"))
    subject_list = subjects_for(request.user)
    subjects = {s.key: s for s in subject_list}
    fmt = exports.wanted_format(request)
    if fmt and request.method == "GET":
        saved = (_row(s, year, measure, pipeline) for s in subject_list)
        return exports.export(fmt, grid_table(saved, year), f"targets_{year}_{measure}", _("Sales targets"))
    pending: tuple[str, TargetRowForm] | None = None
    status = 200
    if request.method == "POST":
        if not services.can_edit_targets(request.user):
            raise PermissionDenied
        result = _handle(request, subjects, year, measure, pipeline)
        if isinstance(result, HttpResponseBase):
            return result
        if result is None:
            status = 400
        else:
            pending = result
            status = 400 if result[1].errors else 200
    rows = [
        _row(s, year, measure, pipeline, pending[1] if pending and pending[0] == s.key else None) for s in subject_list
    ]
    month_names = [date_format(dt.date(year, m, 1), "M") for m in MONTHS]
    context = {
        "filters": filters,
        "rows": rows,
        "year": year,
        "month_names": month_names,
        "can_edit": services.can_edit_targets(request.user),
        "subjects": subject_list,
        "exports": exports.export_links(request),
    }
    response: HttpResponse = render(request, "insights/targets.html", context, status=status)
    return response
