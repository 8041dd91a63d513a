"""Funnel analytics from the phase records: how many sales entered each phase of a pipeline in a
period, how many went on to a later phase and to won, how long they stayed, where lost sales left
the funnel and why, and which open sales sit idle longer than their phase allows.

The cohort of a phase is the sales (the user may see) that entered it in [date_from, date_to]. Their
whole phase history is read once, as plain tuples, and folded in Python: medians need the list of
stays anyway, and the same code then runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner
from dealflow.sales.models import CloseReason, Phase, PhaseRecord, Pipeline, Sale, SaleStatus

from .selectors import rate

TENTH = Decimal("0.1")
IDLE_LIMIT = 200  # the idle list shows the longest-idle sales first, at most this many
DAY = 86400


def _days(seconds: float) -> Decimal:
    return Decimal(seconds / DAY).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class FunnelRow:
    phase: Phase
    entered: int = 0
    advanced: int = 0  # went on to a later phase (not counting a lost close)
    won: int = 0  # the sale was sold in the end
    lost_here: int = 0  # lost sales whose last phase before the close was this one
    lost_reasons: list[tuple[str, int]] = field(default_factory=list)
    avg_days: Decimal | None = None
    median_days: Decimal | None = None

    @property
    def is_closing(self) -> bool:
        return self.phase.is_closing

    @property
    def next_rate(self) -> Decimal | None:
        return None if self.is_closing else rate(self.advanced, self.entered)

    @property
    def won_rate(self) -> Decimal | None:
        return rate(self.won, self.entered)


@dataclass
class FunnelReport:
    pipeline: Pipeline
    date_from: dt.date
    date_to: dt.date
    rows: list[FunnelRow]
    lost_reasons: list[tuple[str, int]]  # all lost sales of the cohort, by close reason
    idle: list[Sale]

    @property
    def is_empty(self) -> bool:
        return not any(r.entered for r in self.rows)


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _records(user: User, pipeline: Pipeline, start: dt.datetime, end: dt.datetime) -> QuerySet:
    cohort = PhaseRecord.objects.filter(sale__pipeline=pipeline, entered_at__gte=start, entered_at__lt=end).values(
        "sale_id"
    )
    return scope_by_owner(
        PhaseRecord.objects.filter(sale_id__in=cohort, sale__pipeline=pipeline), user, field="sale__owner"
    )


def funnel(user: User, pipeline: Pipeline, date_from: dt.date, date_to: dt.date) -> FunnelReport:
    phases = list(Phase.objects.filter(pipeline=pipeline).select_related("pipeline").order_by("order", "id"))
    order = {p.pk: i for i, p in enumerate(phases)}
    closing = {p.pk for p in phases if p.is_closing}
    start, end = _bounds(date_from, date_to)
    now = timezone.now()

    by_sale: dict[int, list[tuple[int, dt.datetime, dt.datetime | None, str]]] = defaultdict(list)
    sale_info: dict[int, tuple[str, int | None]] = {}
    rows_qs = (
        _records(user, pipeline, start, end)
        .order_by("sale_id", "entered_at", "id")
        .values_list("sale_id", "phase_id", "entered_at", "left_at", "status", "sale__status", "sale__close_reason_id")
    )
    for sale_id, phase_id, entered, left, status, sale_status, reason_id in rows_qs.iterator(chunk_size=2000):
        by_sale[sale_id].append((phase_id, entered, left, status))
        sale_info[sale_id] = (sale_status, reason_id)

    entered_n: Counter[int] = Counter()
    advanced_n: Counter[int] = Counter()
    won_n: Counter[int] = Counter()
    stays: dict[int, list[float]] = defaultdict(list)
    lost_here: Counter[int] = Counter()
    lost_why: dict[int, Counter[int | None]] = defaultdict(Counter)
    all_lost: Counter[int | None] = Counter()
    for sale_id, records in by_sale.items():
        sale_status, reason_id = sale_info[sale_id]
        seen: set[int] = set()
        for index, (phase_id, entered, left, _status) in enumerate(records):
            if not start <= entered < end or phase_id in seen or phase_id not in order:
                continue
            seen.add(phase_id)
            entered_n[phase_id] += 1
            if sale_status == SaleStatus.SOLD:
                won_n[phase_id] += 1
            later = records[index + 1 :]
            if any(order.get(p, -1) > order[phase_id] and not (p in closing and s == SaleStatus.LOST)
                   for p, _e, _l, s in later):  # fmt: skip
                advanced_n[phase_id] += 1
            if phase_id not in closing:
                stays[phase_id].append(((left or now) - entered).total_seconds())
        if sale_status == SaleStatus.LOST:
            before = [p for p, _e, _l, _s in records if p not in closing]
            if before:  # every sale here entered some phase in the period
                lost_here[before[-1]] += 1
                lost_why[before[-1]][reason_id] += 1
                all_lost[reason_id] += 1

    names = dict(CloseReason.objects.filter(pk__in=list(all_lost)).values_list("pk", "name"))

    def named(counts: Counter[int | None]) -> list[tuple[str, int]]:
        return sorted(((names.get(k) or _("(none)") if k else _("(none)"), n) for k, n in counts.items()),
                      key=lambda item: (-item[1], item[0].casefold()))  # fmt: skip

    rows = []
    for phase in phases:
        durations = stays.get(phase.pk, [])
        rows.append(
            FunnelRow(
                phase=phase,
                entered=entered_n[phase.pk],
                advanced=advanced_n[phase.pk],
                won=won_n[phase.pk],
                lost_here=lost_here[phase.pk],
                lost_reasons=named(lost_why[phase.pk]),
                avg_days=_days(sum(durations) / len(durations)) if durations else None,
                median_days=_days(statistics.median(durations)) if durations else None,
            )
        )
    return FunnelReport(
        pipeline=pipeline,
        date_from=date_from,
        date_to=date_to,
        rows=rows,
        lost_reasons=named(all_lost),
        idle=idle_sales(user, pipeline, phases=phases),
    )


def idle_sales(user: User, pipeline: Pipeline, *, phases: list[Phase] | None = None) -> list[Sale]:
    """Open sales that have sat in their phase longer than the phase's days-to-stall, the
    longest-idle first (a sale is idle once it has been in the phase more than that many days)."""
    phases = phases if phases is not None else list(Phase.objects.filter(pipeline=pipeline).select_related("pipeline"))
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    condition = Q(pk__in=[])
    for phase in phases:
        limit = phase.stall_days()
        if limit and not phase.is_closing:
            cutoff = dt.datetime.combine(today - dt.timedelta(days=limit), dt.time.min, tzinfo=tz)
            condition |= Q(phase_id=phase.pk, phase_entered_at__lt=cutoff)
    qs = scope_by_owner(Sale.objects.filter(condition, pipeline=pipeline, status=SaleStatus.OPEN), user)
    return list(
        qs.select_related("owner", "company", "phase__pipeline").order_by("phase_entered_at", "id")[:IDLE_LIMIT]
    )
