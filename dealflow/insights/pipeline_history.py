"""The pipeline by phase — number of open sales, their value and weighted value — now, or as it
stood at the end of any past day, rebuilt from the phase records: a sale counts on that day in the
phase whose record was open then (entered_at < moment <= left_at, or not left yet) and whose status
during that stay was open, with the expected value recorded in that phase. Weighted values use the
phase's probability (a past stay keeps no probability of its own). Now is read from the
trigger-kept sales totals (sales/totals.py) and a past day from the trigger-kept daily deltas
(pipeline_deltas.py), rather than from a million sales or millions of phase records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.sales import totals
from dealflow.sales.models import Phase, PhaseRecord, Pipeline, SaleStatus

from .models import PipelineDelta

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class FutureDateError(ValueError):
    pass


@dataclass
class PipelineRow:
    phase: Phase
    count: int = 0
    value: Decimal = ZERO
    weighted: Decimal = ZERO


@dataclass
class PipelineReport:
    pipeline: Pipeline | None
    as_of: dt.date | None  # None: now
    rows: list[PipelineRow]

    @property
    def totals(self) -> PipelineRow:
        total = PipelineRow(phase=Phase(name=_("Total")))
        for row in self.rows:
            total.count += row.count
            total.value += row.value
            total.weighted += row.weighted
        return total

    @property
    def is_empty(self) -> bool:
        return not any(r.count for r in self.rows)


def pipeline_by_phase(user: User, pipeline: Pipeline | None = None, as_of: dt.date | None = None) -> PipelineReport:
    """One row per (non-closing) phase, in pipeline then phase order; all pipelines when none is given."""
    phases = Phase.objects.select_related("pipeline").exclude(kind=Phase.Kind.CLOSING)
    if pipeline is not None:
        phases = phases.filter(pipeline=pipeline)
    phases = phases.order_by("pipeline__order", "pipeline__name", "order", "id")
    if as_of is None:
        # From the trigger-kept totals (a few rows per owner and phase), not the open sales.
        summed = totals.sums_by(
            "phase_id",
            owner_ids=visible_owner_ids(user),
            pipeline_id=pipeline.pk if pipeline is not None else None,
            statuses=[SaleStatus.OPEN],
        )
        groups = [{"phase_id": k, "n": g["count"], "v": g["total"], "w": g["weighted"]} for k, g in summed.items()]
    else:
        if as_of > timezone.localdate():
            raise FutureDateError(_("The date cannot be in the future."))
        moment = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
        groups = _as_of_groups(user, pipeline, moment)
    found = {g["phase_id"]: g for g in groups}
    rows = []
    for phase in phases:
        g = found.get(phase.pk)
        if g is None and not phase.is_active:
            continue
        if g is not None and as_of is not None:  # a past stay is weighted by its phase's probability
            g = {**g, "w": g["v"] * phase.probability / HUNDRED}
        rows.append(
            PipelineRow(
                phase=phase,
                count=g["n"] if g else 0,
                value=Decimal(g["v"] or 0).quantize(CENT) if g else ZERO,
                weighted=Decimal(g["w"] or 0).quantize(CENT) if g else ZERO,
            )
        )
    return PipelineReport(pipeline=pipeline, as_of=as_of, rows=rows)


def _as_of_groups(user: User, pipeline: Pipeline | None, moment: dt.datetime) -> list[dict[str, Any]]:
    """{"phase_id", "n", "v"} of the records open at `moment` (v exact, from whole cents), in one
    query: the daily deltas (pipeline_deltas) up to the UTC midnight nearer to `moment`, corrected
    by the records that entered or left between that midnight and `moment` (at most 12 hours;
    1-2 hours for Europe's time zones). Any time zone works: the deltas' days are UTC days."""
    utc = moment.astimezone(dt.UTC)
    start = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    if utc - start <= dt.timedelta(hours=12):
        cut, window, sign = start.date(), (start, utc), 1  # add what happened since midnight
    else:
        end = start + dt.timedelta(days=1)
        cut, window, sign = end.date(), (utc, end), -1  # take off what happened until midnight
    owners = visible_owner_ids(user)
    phase_ids = Phase.objects.filter(pipeline=pipeline).values("id") if pipeline is not None else None
    deltas = PipelineDelta.objects.filter(day__lt=cut)
    if owners is not None:
        deltas = deltas.filter(owner_id__in=owners)
    if phase_ids is not None:
        deltas = deltas.filter(phase_id__in=phase_ids)
    parts: list[QuerySet[Any, Any]] = [
        deltas.order_by().values("phase_id").annotate(n=Sum("records"), cents=Sum("value_cents"))
    ]
    if window[0] < window[1]:
        counting = PhaseRecord.objects.filter(
            Q(left_at__isnull=True) | Q(left_at__gte=F("entered_at")), status=SaleStatus.OPEN
        )
        if owners is not None:
            counting = counting.filter(sale__owner_id__in=owners)
        if phase_ids is not None:
            counting = counting.filter(phase_id__in=phase_ids)
        cents = Cast(Round(F("expected_value") * 100), BigIntegerField())
        for column, part_sign in (("entered_at", sign), ("left_at", -sign)):
            within = counting.filter(**{f"{column}__gte": window[0], f"{column}__lt": window[1]})
            parts.append(
                within.order_by()
                .values("phase_id")
                .annotate(n=Count("*") * Value(part_sign), cents=Sum(cents) * Value(part_sign))
            )
    summed: dict[int, dict[str, Any]] = {}
    for g in parts[0].union(*parts[1:], all=True):
        row = summed.setdefault(g["phase_id"], {"phase_id": g["phase_id"], "n": 0, "cents": 0})
        row["n"] += int(g["n"] or 0)
        row["cents"] += int(g["cents"] or 0)
    return [{"phase_id": g["phase_id"], "n": g["n"], "v": g["cents"] / HUNDRED} for g in summed.values() if g["n"]]
