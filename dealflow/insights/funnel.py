"""Funnel analytics from the phase records: how many sales entered each phase of a pipeline in a
period, how many went on to a later phase and to won, how long they stayed, where lost sales left
the funnel and why, and which open sales sit idle longer than their phase allows.

The cohort of a phase is the sales (the user may see) that entered it in [date_from, date_to]; a
sale that entered a phase more than once in the period counts once, with its first stay. A sale
*advanced* from a phase when a later record (in entered_at, id order) is in a later phase of the
pipeline, not counting a lost close; *won* when the sale is sold. A lost sale of the cohort is lost
*here* in the last phase it entered before the close (any phase that is not a closing phase of this
pipeline), by its close reason. Days in phase are the first stay in a non-closing phase, until
left or until now.

All of it is counted in SQL, in two queries whatever the data (the per-phase counts and stays, and
the lost sales), each sale's records read from the covering index `phase_record_history`: on
PostgreSQL with window functions over each sale's records, on SQLite (whose window functions cost a
sort and a pass each) with one look at the sale's records per stay. Stays are summed as whole
microseconds and the median's middle stays come back as such, so that averages and medians are
those of Python's float seconds (`timedelta.total_seconds`), as when the histories were folded in
Python (tests/funnel_reference.py, which the tests compare against)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, DateTimeField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner, visible_owner_ids
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


def _duration_us(connection: BaseDatabaseWrapper) -> str:
    """Microseconds from entered_at to left_at (or the parameter "now"), exactly, as an integer."""
    if connection.vendor == "postgresql":
        return "(EXTRACT(EPOCH FROM (COALESCE(r.left_at, %(now)s) - r.entered_at)) * 1000000)::bigint"
    # SQLite keeps datetimes as "YYYY-MM-DD HH:MM:SS[.ffffff]" text in UTC: whole seconds from
    # unixepoch (strftime before 3.38), the fraction from the text (julianday's doubles would lose
    # the microseconds).
    seconds = "unixepoch({})" if sqlite3.sqlite_version_info >= (3, 38) else "strftime('%%s', {})"
    left = "COALESCE(r.left_at, %(now)s)"
    return (
        f"(({seconds.format(left)} - {seconds.format('r.entered_at')}) * 1000000"
        f" + CAST(substr({left}, 21, 6) AS INTEGER) - CAST(substr(r.entered_at, 21, 6) AS INTEGER))"
    )


def _in(column: str, ids: Iterable[int]) -> str:
    values = sorted({int(i) for i in ids})
    return f"{column} IN ({', '.join(map(str, values))})" if values else "1 = 0"


def _firsts_sql(connection: BaseDatabaseWrapper, scope: str, positions: str, closing: str, period_over: bool) -> str:
    """Each stay in a phase of the pipeline entered in the period: the sale's status, the stay's
    length, and flags: 2 when the sale entered the phase before in the period (not its first stay),
    else 1 when a later record is in a later phase (not a lost close), else 0. (One column, not a
    filter, so that it is worked out once, when the rows are materialized.)"""
    later_pos = positions.replace("r.phase_id", "l.phase_id")
    later_closing = closing.replace("r.phase_id", "l.phase_id")
    is_closing = f"CASE WHEN {closing} THEN 1 ELSE 0 END"
    if connection.vendor == "postgresql":
        # One window over each sale's records in order: the highest later phase, and the phases
        # entered before (one sort; a second window per phase would sort again). When the period
        # is over, most records since its start may be later ones: read only the cohort's sales.
        cohort = ""
        if period_over:
            cohort = f"""
      AND EXISTS (SELECT 1 FROM {PhaseRecord._meta.db_table} c
                  WHERE c.sale_id = s.id AND c.entered_at >= %(start)s AND c.entered_at < %(end)s)"""  # noqa: S608 - a model's table
        return f"""
  SELECT pos, sale_status, dur, is_closing,
    CASE WHEN phase_id = ANY (COALESCE(before, '{{}}')) THEN 2 WHEN later_max > pos THEN 1 ELSE 0 END AS flags
  FROM (
    SELECT r.phase_id, r.entered_at, s.status AS sale_status, {positions} AS pos, {is_closing} AS is_closing,
      {_duration_us(connection)} AS dur,
      MAX(CASE WHEN {closing} AND r.status = %(lost)s THEN NULL ELSE {positions} END) OVER (
        PARTITION BY r.sale_id ORDER BY r.entered_at, r.id ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
      ) AS later_max,
      array_agg(r.phase_id) OVER (
        PARTITION BY r.sale_id ORDER BY r.entered_at, r.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
      ) AS before
    FROM {Sale._meta.db_table} s
    JOIN {PhaseRecord._meta.db_table} r ON r.sale_id = s.id
    WHERE s.pipeline_id = %(pipeline)s AND {scope} AND r.entered_at >= %(start)s{cohort}
  ) h
  WHERE entered_at < %(end)s AND pos IS NOT NULL"""  # noqa: S608 - names and ids from the models, values are parameters
    # SQLite's window functions cost a sort and a pass each; one look at the sale's records from
    # the start of the period (a covering index range) answers both: 2 when the phase was entered
    # before in the period (not a first stay), else 1 when a later record is in a later phase.
    # CROSS JOIN keeps the user's sales the outer loop: with the statistics of a database with one
    # pipeline, SQLite would rather walk every record of the period and look up each one's sale.
    return f"""
  SELECT pos, sale_status, dur, is_closing, flags FROM (
    SELECT s.status AS sale_status, {positions} AS pos, {is_closing} AS is_closing, {_duration_us(connection)} AS dur,
      (SELECT MAX(CASE
          WHEN (l.entered_at, l.id) < (r.entered_at, r.id)
            THEN CASE WHEN l.phase_id = r.phase_id THEN 2 ELSE 0 END
          WHEN l.id = r.id OR ({later_closing} AND l.status = %(lost)s) THEN 0
          WHEN {later_pos} > {positions} THEN 1 ELSE 0 END)
        FROM {PhaseRecord._meta.db_table} l WHERE l.sale_id = r.sale_id AND l.entered_at >= %(start)s
      ) AS flags
    FROM {Sale._meta.db_table} s
    CROSS JOIN {PhaseRecord._meta.db_table} r
    WHERE r.sale_id = s.id AND s.pipeline_id = %(pipeline)s AND {scope}
      AND r.entered_at >= %(start)s AND r.entered_at < %(end)s
  ) h
  WHERE pos IS NOT NULL"""  # noqa: S608 - names and ids from the models, values are parameters


def _phase_sql(
    connection: BaseDatabaseWrapper,
    scope: str,
    positions: str,
    closing: str,
    stay_positions: list[int],
    period_over: bool,
) -> str:
    """Per phase position: entered, won, advanced, the number of stays and their sum (whole seconds
    and remainder, so that SQLite's 64-bit SUM cannot overflow), and the middle stays for the
    median: the lower and upper middle (the same stay when the count is odd)."""
    if connection.vendor == "postgresql":
        middle = ", ".join(
            f"percentile_disc(0.5) WITHIN GROUP (ORDER BY dur{order}) FILTER (WHERE is_closing = 0)"
            for order in ("", " DESC")
        )
        counts = middles = ""
    else:
        # SQLite has no percentile: per phase, a sort that stops halfway (cheaper than numbering
        # every stay with a window), as extra rows.
        middle = "NULL, NULL"
        counts = """,
stay_counts AS MATERIALIZED (
  SELECT pos, COUNT(*) AS n FROM firsts WHERE flags < 2 AND is_closing = 0 GROUP BY pos
)"""
        middles = "".join(
            f"""
UNION ALL
SELECT * FROM (
  SELECT pos, 1, 0, 0, 0, 0, 0, 0, dur, dur FROM firsts WHERE pos = {k} AND flags < 2 AND is_closing = 0
  ORDER BY dur LIMIT 2 - {n.format(k=k)} %% 2 OFFSET ({n.format(k=k)} - 1) / 2
) middle{k}"""  # noqa: S608 - positions are ints
            for k in stay_positions
            for n in ["COALESCE((SELECT n FROM stay_counts WHERE pos = {k}), 0)"]
        )
    return f"""
WITH firsts AS MATERIALIZED ({_firsts_sql(connection, scope, positions, closing, period_over)}
){counts}
SELECT pos, 0, COUNT(*),
  SUM(CASE WHEN sale_status = %(sold)s THEN 1 ELSE 0 END),
  SUM(flags),
  SUM(1 - is_closing),
  SUM(CASE WHEN is_closing = 1 THEN 0 ELSE dur / 1000000 END),
  SUM(CASE WHEN is_closing = 1 THEN 0 ELSE dur %% 1000000 END),
  {middle}
FROM firsts WHERE flags < 2 GROUP BY pos{middles}
"""  # noqa: S608 - names and ids from the models, values are parameters


def _lost_sql(scope: str, closing: str) -> str:
    """The lost sales of the cohort by the last phase they entered before the close, and reason
    (materialized, so that each sale's last phase is looked up once)."""
    return f"""
WITH lost AS MATERIALIZED (
  SELECT s.close_reason_id, (
    SELECT r.phase_id FROM {PhaseRecord._meta.db_table} r
    WHERE r.sale_id = s.id AND NOT {closing} ORDER BY r.entered_at DESC, r.id DESC LIMIT 1
  ) AS last_phase
  FROM {Sale._meta.db_table} s
  WHERE s.pipeline_id = %(pipeline)s AND {scope} AND s.status = %(lost)s AND EXISTS (
    SELECT 1 FROM {PhaseRecord._meta.db_table} c
    WHERE c.sale_id = s.id AND c.entered_at >= %(start)s AND c.entered_at < %(end)s
  )
)
SELECT last_phase, close_reason_id, COUNT(*) FROM lost WHERE last_phase IS NOT NULL
GROUP BY last_phase, close_reason_id
"""  # noqa: S608 - names and ids from the models, values are parameters


@dataclass
class _Counts:
    entered: int = 0
    won: int = 0
    advanced: int = 0
    stays: int = 0
    total_us: int = 0
    middle: list[int] = field(default_factory=list)  # the middle stay, or the two, in microseconds

    def avg_days(self) -> Decimal | None:
        return _days(self.total_us / 10**6 / self.stays) if self.stays else None

    def median_days(self) -> Decimal | None:
        # As statistics.median over the float seconds: the middle value, or the mean of the two
        # (x + x) / 2 is x exactly, so an odd count may come as the same stay twice.
        seconds = [us / 10**6 for us in self.middle]
        return _days(sum(seconds) / 2 if len(seconds) == 2 else seconds[0]) if seconds else None


def funnel(user: User, pipeline: Pipeline, date_from: dt.date, date_to: dt.date) -> FunnelReport:
    phases = list(Phase.objects.filter(pipeline=pipeline).select_related("pipeline").order_by("order", "id"))
    start, end = _bounds(date_from, date_to)
    now = timezone.now()
    connection = connections[Sale.objects.db]
    ops = connection.ops
    owners = visible_owner_ids(user)
    scope = "1 = 1" if owners is None else _in("s.owner_id", owners)
    closing = _in("r.phase_id", (p.pk for p in phases if p.is_closing))
    # A phase's place in the pipeline; records in a phase of another pipeline get NULL.
    positions = "CASE r.phase_id " + " ".join(f"WHEN {int(p.pk)} THEN {i}" for i, p in enumerate(phases)) + " END"
    if not phases:
        positions = "NULL"
    params = {
        "pipeline": pipeline.pk,
        "start": ops.adapt_datetimefield_value(start),
        "end": ops.adapt_datetimefield_value(end),
        "now": ops.adapt_datetimefield_value(now),
        "sold": SaleStatus.SOLD.value,
        "lost": SaleStatus.LOST.value,
    }
    counts: dict[int, _Counts] = defaultdict(_Counts)
    lost_here: Counter[int] = Counter()
    lost_why: dict[int, Counter[int | None]] = defaultdict(Counter)
    all_lost: Counter[int | None] = Counter()
    with connection.cursor() as cursor:
        stay_positions = [i for i, p in enumerate(phases) if not p.is_closing]
        sql = _phase_sql(connection, scope, positions, closing, stay_positions, period_over=end <= now)
        cursor.execute(sql, params)
        for pos, kind, entered, won, advanced, stays, seconds, micros, low, high in cursor.fetchall():
            row = counts[int(pos)]
            if kind == 0:
                row.entered, row.won, row.advanced, row.stays = int(entered), int(won), int(advanced), int(stays)
                row.total_us = int(seconds) * 10**6 + int(micros)
                if low is not None:  # PostgreSQL: the lower and the upper middle
                    row.middle = [int(low), int(high)]
            else:  # SQLite: one row per middle stay
                row.middle.append(int(low))
        cursor.execute(_lost_sql(scope, closing), params)
        for phase_id, reason_id, n in cursor.fetchall():
            lost_here[phase_id] += n
            lost_why[phase_id][reason_id] += n
            all_lost[reason_id] += n
    names = dict(CloseReason.objects.filter(pk__in=list(all_lost)).values_list("pk", "name"))

    def named(counts: Counter[int | None]) -> list[tuple[str, int]]:
        return sorted(((names.get(k) or _("(none)") if k else _("(none)"), n) for k, n in counts.items()),
                      key=lambda item: (-item[1], item[0].casefold()))  # fmt: skip

    rows = []
    for i, phase in enumerate(phases):
        c = counts[i]
        rows.append(
            FunnelRow(
                phase=phase,
                entered=c.entered,
                advanced=c.advanced,
                won=c.won,
                lost_here=lost_here[phase.pk],
                lost_reasons=named(lost_why[phase.pk]),
                avg_days=c.avg_days(),
                median_days=c.median_days(),
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
    cutoffs = {}
    for phase in phases:
        limit = phase.stall_days()
        if limit and not phase.is_closing:
            cutoffs[phase.pk] = dt.datetime.combine(today - dt.timedelta(days=limit), dt.time.min, tzinfo=tz)
    if not cutoffs:
        return []
    # The phase's cutoff as one expression, not one OR branch per phase: the open sales are then
    # walked in phase_entered_at order (index sale_funnel_idle) and the walk stops at the cap, where
    # per-phase branches would each be read whole and sorted.
    cutoff = Case(*(When(phase_id=pk, then=Value(at)) for pk, at in cutoffs.items()), output_field=DateTimeField())
    qs = Sale.objects.filter(
        pipeline=pipeline, status=SaleStatus.OPEN, phase_entered_at__lt=max(cutoffs.values())
    ).filter(phase_entered_at__lt=cutoff)
    return list(
        scope_by_owner(qs, user)
        .select_related("owner", "company", "phase__pipeline")
        .order_by("phase_entered_at", "id")[:IDLE_LIMIT]
    )
