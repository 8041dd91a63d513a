"""Writes for sales targets (one function per user action, each audited old → new) and the
weekly forecast snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.audit.services import audit_record
from dealflow.sales.models import Pipeline, Sale, SaleOpenMonth

from .models import ForecastSnapshot, Measure, PeriodKind, SalesTarget, TargetScope

CENT = Decimal("0.01")
PERIODS_IN_YEAR = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 1}


def spread_evenly(total: Decimal, parts: int = 12) -> list[Decimal]:
    """`total` in `parts` amounts of whole cents that add up to exactly `total`: the leftover
    cents go one each to the first periods."""
    if parts <= 0:
        return []
    cents = int((Decimal(total) / CENT).to_integral_value(rounding=ROUND_HALF_UP))
    base, extra = divmod(cents, parts)
    return [Decimal(base + (1 if i < extra else 0)) * CENT for i in range(parts)]


def raise_by_percent(values: Sequence[Decimal | None], percent: Decimal) -> list[Decimal | None]:
    factor = 1 + Decimal(percent) / 100
    return [None if v is None else max(Decimal(0), (v * factor).quantize(CENT, rounding=ROUND_HALF_UP)) for v in values]


# --- who may write --------------------------------------------------------------------------


def can_edit_targets(user: User) -> bool:
    return user.is_admin or user.is_manager


def check_subject(actor: User, scope: str, user: User | None, team: Team | None) -> None:
    """Refuse a target the actor may not set: salespeople set none; managers set them for the
    people they see and the teams they manage or belong to; the company row is the admins'."""
    if not can_edit_targets(actor):
        raise PermissionDenied(_("Only sales managers and administrators can change sales targets."))
    if actor.is_admin:
        return
    if scope == TargetScope.USER:
        ids = visible_owner_ids(actor)
        if user is None or (ids is not None and user.pk not in ids):
            raise ValidationError({"user": _("Unknown user.")})
    elif scope == TargetScope.TEAM:
        allowed = set(actor.managed_teams.values_list("pk", flat=True)) | set(actor.teams.values_list("pk", flat=True))
        if team is None or team.pk not in allowed:
            raise ValidationError({"team": _("Unknown team.")})
    else:
        raise PermissionDenied(_("Only administrators can change the company's sales targets."))


def _validate(data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    value = data.get("value")
    if value is not None and Decimal(value) < 0:
        errors["value"] = _("A target cannot be negative.")
    scope = data.get("scope")
    if scope == TargetScope.USER and data.get("user") is None:
        errors["user"] = _("Choose the user this target is for.")
    if scope == TargetScope.TEAM and data.get("team") is None:
        errors["team"] = _("Choose the team this target is for.")
    kind = data.get("period_kind")
    number = data.get("period_number") or 1
    if kind in PERIODS_IN_YEAR and not 1 <= number <= PERIODS_IN_YEAR[kind]:
        errors["period_number"] = _("There is no such period in a year.")
    if errors:
        raise ValidationError(errors)


def _snapshot(target: SalesTarget) -> dict[str, Any]:
    return {"value": str(target.value), "locked": target.locked}


# --- single targets (the API) ---------------------------------------------------------------


@transaction.atomic
def target_create(*, actor: User, data: dict[str, Any]) -> SalesTarget:
    data = {**data}
    data.setdefault("period_number", 1)
    scope = data.get("scope")
    if scope != TargetScope.USER:
        data["user"] = None
    if scope != TargetScope.TEAM:
        data["team"] = None
    _validate(data)
    check_subject(actor, scope or "", data.get("user"), data.get("team"))
    key = {
        k: data.get(k) for k in ("scope", "user", "team", "period_kind", "year", "period_number", "measure", "pipeline")
    }
    if SalesTarget.objects.filter(**key).exists():
        raise ValidationError({"non_field_errors": _("This target exists already; change it instead.")})
    target = SalesTarget(**data)
    target.full_clean()
    target.save()
    audit_record(actor=actor, action="create", instance=target, changes={"value": [None, str(target.value)]})
    return target


@transaction.atomic
def target_update(
    *, actor: User, target: SalesTarget, value: Decimal | None = None, locked: bool | None = None
) -> SalesTarget:
    check_subject(actor, target.scope, target.user, target.team)
    target = SalesTarget.objects.select_for_update().get(pk=target.pk)
    before = _snapshot(target)
    if value is not None:
        if target.locked and locked is not False:
            raise ValidationError({"value": _("This target is locked; unlock it before changing it.")})
        _validate({"value": value})
        target.value = Decimal(value).quantize(CENT)
    if locked is not None:
        target.locked = locked
    target.full_clean()
    target.save()
    after = _snapshot(target)
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        audit_record(actor=actor, action="update", instance=target, changes=changes)
    return target


@transaction.atomic
def target_delete(*, actor: User, target: SalesTarget) -> None:
    check_subject(actor, target.scope, target.user, target.team)
    if target.locked:
        raise ValidationError({"non_field_errors": _("This target is locked; unlock it before deleting it.")})
    audit_record(actor=actor, action="delete", instance=target, changes={"value": [str(target.value), None]})
    target.delete()


# --- a row of the yearly grid ---------------------------------------------------------------


def row_targets(
    *, scope: str, user: User | None, team: Team | None, year: int, measure: str, pipeline: Pipeline | None
) -> dict[int, SalesTarget]:
    """The month targets of one grid row, by month number."""
    qs = SalesTarget.objects.filter(
        scope=scope, user=user, team=team, year=year, measure=measure, pipeline=pipeline, period_kind=PeriodKind.MONTH
    )
    return {t.period_number: t for t in qs}


@transaction.atomic
def target_row_save(
    *,
    actor: User,
    scope: str,
    user: User | None = None,
    team: Team | None = None,
    year: int,
    measure: str = Measure.AMOUNT_SOLD,
    pipeline: Pipeline | None = None,
    values: Sequence[Decimal | None],
) -> dict[int, SalesTarget]:
    """Save the twelve month targets of one row (None or blank: no target for that month)."""
    if len(values) != 12:
        raise ValueError("a row has twelve months")
    check_subject(actor, scope, user, team)
    if any(v is not None and Decimal(v) < 0 for v in values):
        raise ValidationError({"value": _("A target cannot be negative.")})
    existing = row_targets(scope=scope, user=user, team=team, year=year, measure=measure, pipeline=pipeline)
    if any(t.locked for t in existing.values()):
        raise ValidationError({"non_field_errors": _("This row is locked; unlock it before changing it.")})
    for month, value in enumerate(values, start=1):
        target = existing.get(month)
        new = None if value is None else Decimal(value).quantize(CENT)
        if target is None and new is not None:
            target = SalesTarget(
                scope=scope, user=user, team=team, year=year, measure=measure, pipeline=pipeline,
                period_kind=PeriodKind.MONTH, period_number=month, value=new,
            )  # fmt: skip
            target.full_clean()
            target.save()
            existing[month] = target
            audit_record(actor=actor, action="create", instance=target, changes={"value": [None, str(new)]})
        elif target is not None and new is None:
            audit_record(actor=actor, action="delete", instance=target, changes={"value": [str(target.value), None]})
            target.delete()
            del existing[month]
        elif target is not None and new is not None and target.value != new:
            old = target.value
            target.value = new
            target.save(update_fields=["value", "updated_at"])
            audit_record(actor=actor, action="update", instance=target, changes={"value": [str(old), str(new)]})
    return existing


@transaction.atomic
def target_row_lock(
    *,
    actor: User,
    scope: str,
    user: User | None = None,
    team: Team | None = None,
    year: int,
    measure: str = Measure.AMOUNT_SOLD,
    pipeline: Pipeline | None = None,
    locked: bool,
) -> int:
    """Lock or unlock every month target of a row; returns how many changed."""
    check_subject(actor, scope, user, team)
    changed = 0
    for target in row_targets(
        scope=scope, user=user, team=team, year=year, measure=measure, pipeline=pipeline
    ).values():
        if target.locked != locked:
            target.locked = locked
            target.save(update_fields=["locked", "updated_at"])
            audit_record(actor=actor, action="update", instance=target, changes={"locked": [not locked, locked]})
            changed += 1
    return changed


# --- the weekly forecast snapshot -----------------------------------------------------------


def _category_q(category: str) -> Q:
    auto = {
        "commit": Q(probability__gte=70),
        "best_case": Q(probability__gte=40, probability__lt=70),
        "pipeline": Q(probability__lt=40),
    }[category]
    return Q(forecast_category=category) | (Q(forecast_category__isnull=True) & auto)


@transaction.atomic
def forecast_snapshot_take(*, today: dt.date, months: int = 12) -> int:
    """Store, per owner, pipeline and expected close month, the open pipeline from this month
    on for `months` months (taken again on the same day: replaced). Returns the rows stored."""
    start = today.replace(day=1)
    end_year, end_month = divmod(start.month - 1 + months, 12)
    end = dt.date(start.year + end_year, end_month + 1, 1)
    # Whole months: the trigger-kept monthly totals of the open sales hold exactly these sums.
    rows = (
        SaleOpenMonth.objects.filter(month__gte=start, month__lt=end, sales__gt=0)
        .order_by()
        .values("owner_id", "pipeline_id", "month")
        .annotate(
            unweighted=Sum("amount_cents"),
            weighted=Sum("weighted_cents"),
            commit=Sum("amount_cents", filter=Q(category="commit"), default=0),
            best_case=Sum("amount_cents", filter=Q(category="best_case"), default=0),
            pipeline_value=Sum("amount_cents", filter=Q(category="pipeline"), default=0),
        )
    )
    ForecastSnapshot.objects.filter(taken_on=today).delete()
    snaps = []
    for r in rows:
        month = r["month"]
        snaps.append(
            ForecastSnapshot(
                taken_on=today,
                month=month.date() if isinstance(month, dt.datetime) else month,
                owner_id=r["owner_id"],
                pipeline_id=r["pipeline_id"],
                unweighted=(Decimal(r["unweighted"]) / 100).quantize(CENT),
                # weighted cents are cents × probability (%)
                weighted=(Decimal(r["weighted"]) / 10000).quantize(CENT, rounding=ROUND_HALF_UP),
                commit=(Decimal(r["commit"]) / 100).quantize(CENT),
                best_case=(Decimal(r["best_case"]) / 100).quantize(CENT),
                pipeline_value=(Decimal(r["pipeline_value"]) / 100).quantize(CENT),
            )  # fmt: skip
        )
    ForecastSnapshot.objects.bulk_create(snaps)
    return len(snaps)


@transaction.atomic
def sale_forecast_category_set(*, actor: User, sale: Sale, category: str | None) -> Sale:
    """A manager overrides (or, with None, resets) an open sale's forecast category."""
    if not can_edit_targets(actor):
        raise PermissionDenied(_("Only sales managers and administrators can change the forecast category."))
    if category not in (None, "pipeline", "best_case", "commit"):
        raise ValidationError({"forecast_category": _("Unknown forecast category.")})
    old = sale.forecast_category
    if old != category:
        Sale.objects.filter(pk=sale.pk).update(forecast_category=category)
        sale.forecast_category = category
        audit_record(actor=actor, action="update", instance=sale, changes={"forecast_category": [old, category]})
    return sale
