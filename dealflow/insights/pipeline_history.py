"""The pipeline by phase — number of open sales, their value and weighted value — now, or as it
stood at the end of any past day, rebuilt from the phase records: a sale counts on that day in the
phase whose record was open then (entered_at <= moment < left_at, or not left yet) and whose status
during that stay was open, with the expected value recorded in that phase. Weighted values use the
phase's probability (a past stay keeps no probability of its own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner
from dealflow.sales.models import Phase, PhaseRecord, Pipeline, Sale, SaleStatus

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


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


def _weighted(amount: str, probability: str) -> ExpressionWrapper:
    return ExpressionWrapper(
        F(amount) * F(probability) / 100, output_field=DecimalField(max_digits=20, decimal_places=4)
    )


def pipeline_by_phase(user: User, pipeline: Pipeline | None = None, as_of: dt.date | None = None) -> PipelineReport:
    """One row per (non-closing) phase, in pipeline then phase order; all pipelines when none is given."""
    phases = Phase.objects.select_related("pipeline").exclude(kind=Phase.Kind.CLOSING)
    if pipeline is not None:
        phases = phases.filter(pipeline=pipeline)
    phases = phases.order_by("pipeline__order", "pipeline__name", "order", "id")
    if as_of is None:
        qs = scope_by_owner(Sale.objects.filter(status=SaleStatus.OPEN), user)
        if pipeline is not None:
            qs = qs.filter(pipeline=pipeline)
        groups = (
            qs.order_by()
            .values("phase_id")
            .annotate(n=Count("*"), v=Sum("amount"), w=Sum(_weighted("amount", "probability")))
        )
    else:
        if as_of > timezone.localdate():
            raise FutureDateError(_("The date cannot be in the future."))
        moment = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
        records = PhaseRecord.objects.filter(
            Q(left_at__isnull=True) | Q(left_at__gte=moment), entered_at__lt=moment, status=SaleStatus.OPEN
        )
        records = scope_by_owner(records, user, field="sale__owner")
        if pipeline is not None:
            records = records.filter(phase__pipeline=pipeline)
        groups = (
            records.order_by()
            .values("phase_id")
            .annotate(n=Count("*"), v=Sum("expected_value"), w=Sum(_weighted("expected_value", "phase__probability")))
        )
    found = {g["phase_id"]: g for g in groups}
    rows = []
    for phase in phases:
        g = found.get(phase.pk)
        if g is None and not phase.is_active:
            continue
        rows.append(
            PipelineRow(
                phase=phase,
                count=g["n"] if g else 0,
                value=Decimal(g["v"] or 0).quantize(CENT) if g else ZERO,
                weighted=Decimal(g["w"] or 0).quantize(CENT) if g else ZERO,
            )
        )
    return PipelineReport(pipeline=pipeline, as_of=as_of, rows=rows)
