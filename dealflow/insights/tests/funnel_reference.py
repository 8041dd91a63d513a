"""The funnel as it was first written: every history read as tuples and folded in Python. Kept as
the oracle the SQL in dealflow.insights.funnel must agree with, number for number (see
test_funnel_sql.py); slow on large data, so only the tests use it."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner
from dealflow.insights.funnel import FunnelReport, FunnelRow, _days, idle_sales
from dealflow.sales.models import CloseReason, Phase, PhaseRecord, Pipeline, SaleStatus


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


def reference_funnel(user: User, pipeline: Pipeline, date_from: dt.date, date_to: dt.date) -> FunnelReport:
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
