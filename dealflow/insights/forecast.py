"""Reads for the forecast: the open pipeline by expected close date (unweighted, weighted and
per forecast category), the target and what was sold, per period and group — each aggregated in
SQL and scoped to what the user may see — and the forecast accuracy from the weekly snapshots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import scope_by_owner, visible_owner_ids
from dealflow.core.dates_sql import MonthStart, QuarterStart
from dealflow.sales import month_totals
from dealflow.sales.models import Pipeline, Sale, SaleClosedMonth, SaleOpenMonth, SaleStatus

from .models import ForecastSnapshot, Measure, PeriodKind, SalesTarget, TargetScope
from .selectors import period_label
from .targets_services import _category_q

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TRUNC = {"month": MonthStart, "quarter": QuarterStart}
GROUP_BY_LABELS = {
    "": gettext_lazy("Total only"),
    "owner": gettext_lazy("Owner"),
    "team": gettext_lazy("Team"),
    "pipeline": gettext_lazy("Sale type (pipeline)"),
}
GROUP_KEYS = {"owner": "owner_id", "team": "owner__teams", "pipeline": "pipeline_id"}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + year, month + 1, 1)


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return month_start(day)


def periods_between(date_from: dt.date, date_to: dt.date, period: str) -> list[dt.date]:
    step = 3 if period == "quarter" else 1
    out, current = [], period_start(date_from, period)
    while current <= date_to:
        out.append(current)
        current = add_months(current, step)
    return out


def _date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass
class ForecastCell:
    unweighted: Decimal = ZERO
    weighted: Decimal = ZERO
    commit: Decimal = ZERO
    best_case: Decimal = ZERO
    pipeline: Decimal = ZERO
    target: Decimal | None = None
    sold: Decimal = ZERO
    won: int = 0

    def add(self, other: ForecastCell) -> None:
        for name in ("unweighted", "weighted", "commit", "best_case", "pipeline", "sold"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.won += other.won
        if other.target is not None:
            self.target = (self.target or ZERO) + other.target

    @property
    def gap(self) -> Decimal | None:
        """What is still missing to the target once the weighted pipeline closes (≥ 0)."""
        if self.target is None:
            return None
        return max(ZERO, self.target - self.sold - self.weighted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unweighted": self.unweighted, "weighted": self.weighted, "commit": self.commit,
            "best_case": self.best_case, "pipeline": self.pipeline, "target": self.target,
            "sold": self.sold, "won": self.won,
        }  # fmt: skip


@dataclass
class ForecastGroup:
    key: int | None
    label: str
    cells: dict[dt.date, ForecastCell] = field(default_factory=dict)
    total: ForecastCell = field(default_factory=ForecastCell)


@dataclass
class ForecastReport:
    date_from: dt.date
    date_to: dt.date
    period: str
    group_by: str
    periods: list[dt.date]
    groups: list[ForecastGroup]
    totals: ForecastGroup

    def label(self, start: dt.date) -> str:
        return period_label(start, self.period)

    @property
    def period_labels(self) -> list[tuple[dt.date, str]]:
        return [(p, self.label(p)) for p in self.periods]


def _group_labels(group_by: str, keys: set[Any]) -> dict[Any, str]:
    keys = {k for k in keys if k is not None}
    if group_by == "owner":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=keys)}
    if group_by == "team":
        return {t.pk: t.name for t in Team.objects.filter(pk__in=keys)}
    if group_by == "pipeline":
        return {p.pk: p.name for p in Pipeline.objects.filter(pk__in=keys)}
    return {}


def amount_targets(
    user: User, group_by: str, pipeline: Pipeline | None, periods: list[dt.date], period: str
) -> dict[tuple[Any, dt.date], Decimal]:
    """Amount-sold targets per (group key, period start): month targets summed into the period;
    a quarter target counts when the quarter has no month targets."""
    years = {p.year for p in periods}
    qs = SalesTarget.objects.filter(measure=Measure.AMOUNT_SOLD, year__in=years).exclude(period_kind=PeriodKind.YEAR)
    if group_by == "owner":
        ids = visible_owner_ids(user)
        qs = qs.filter(scope=TargetScope.USER, pipeline=pipeline)
        if ids is not None:
            qs = qs.filter(user_id__in=ids)
        key = "user_id"
    elif group_by == "team":
        qs = qs.filter(scope=TargetScope.TEAM, pipeline=pipeline)
        key = "team_id"
    elif group_by == "pipeline":
        qs = qs.filter(scope=TargetScope.COMPANY, pipeline__isnull=False)
        if pipeline is not None:
            qs = qs.filter(pipeline=pipeline)
        key = "pipeline_id"
    else:
        qs = qs.filter(scope=TargetScope.COMPANY, pipeline=pipeline)
        key = ""
    months: dict[tuple[Any, dt.date], Decimal] = {}
    quarters: dict[tuple[Any, dt.date], Decimal] = {}
    fields = ("user_id", "team_id", "pipeline_id", "period_kind", "year", "period_number", "value")
    for values in qs.values(*fields):
        row: dict[str, Any] = dict(values)
        group = row[key] if key else None
        if row["period_kind"] == PeriodKind.MONTH:
            start = period_start(dt.date(row["year"], row["period_number"], 1), period)
            months[(group, start)] = months.get((group, start), ZERO) + row["value"]
        else:
            start = dt.date(row["year"], (row["period_number"] - 1) * 3 + 1, 1)
            quarters[(group, start)] = quarters.get((group, start), ZERO) + row["value"]
    if period == "quarter":
        for k, v in quarters.items():
            months.setdefault(k, v)
    return {k: v for k, v in months.items() if k[1] in set(periods)}


def forecast(
    user: User,
    *,
    date_from: dt.date,
    date_to: dt.date,
    period: str = "month",
    group_by: str = "",
    pipeline: Pipeline | None = None,
) -> ForecastReport:
    if period not in TRUNC:
        raise ValueError(f"unknown period: {period}")
    if group_by and group_by not in GROUP_KEYS:
        raise ValueError(f"unknown group_by: {group_by}")
    periods = periods_between(date_from, date_to, period)
    base = scope_by_owner(Sale.objects.all(), user)
    if pipeline is not None:
        base = base.filter(pipeline=pipeline)
    if group_by == "team":
        ids = visible_owner_ids(user)
        if ids is not None and not user.is_admin:
            team_ids = set(user.teams.values_list("pk", flat=True)) | set(
                user.managed_teams.values_list("pk", flat=True)
            )
            base = base.filter(owner__teams__in=team_ids)
    cells: dict[tuple[Any, dt.date], ForecastCell] = {}
    # By owner or pipeline (or in total), the months the range covers whole come from the
    # monthly totals; the edges, and every team view, are counted from the sales.
    whole, edges = month_totals.split(date_from, date_to) if group_by != "team" else (None, [(date_from, date_to)])
    if whole:
        _from_monthly_totals(cells, user, *whole, period, group_by, pipeline)
    if edges:
        _from_sales(cells, base, edges, period, group_by)
    for cell in cells.values():
        cell.unweighted = cell.unweighted.quantize(CENT)
        cell.weighted = (cell.weighted / 100).quantize(CENT, rounding=ROUND_HALF_UP)  # summed as amount × %
        cell.commit, cell.best_case = cell.commit.quantize(CENT), cell.best_case.quantize(CENT)
        cell.pipeline, cell.sold = cell.pipeline.quantize(CENT), cell.sold.quantize(CENT)
    targets = amount_targets(user, group_by, pipeline, periods, period)
    company_targets = targets if not group_by else amount_targets(user, "", pipeline, periods, period)
    for k, value in targets.items():
        if group_by:
            cells.setdefault(k, ForecastCell()).target = value

    groups: dict[Any, ForecastGroup] = {}
    if group_by:
        labels = _group_labels(group_by, {k for k, _p in cells})
        for (gk, start), cell in cells.items():
            if gk is not None and gk not in labels:
                continue  # a target for someone no longer visible
            group = groups.setdefault(gk, ForecastGroup(key=gk, label=labels.get(gk) or _("(none)")))
            group.cells[start] = cell
            group.total.add(cell)
    totals = ForecastGroup(key=None, label=_("Total"))
    for start in periods:
        total = ForecastCell()
        for (_gk, s), cell in cells.items():
            if s == start and (not group_by or _gk is None or _gk in groups):
                total.add(cell)
        total.target = company_targets.get((None, start))
        if group_by == "team":
            total.sold, total.won = _sold_total(base, start, period, date_from, date_to)
        totals.cells[start] = total
        totals.total.add(total)
    ordered = sorted(groups.values(), key=lambda g: (g.key is None, g.label.casefold()))
    return ForecastReport(
        date_from=date_from, date_to=date_to, period=period, group_by=group_by, periods=periods,
        groups=ordered, totals=totals,
    )  # fmt: skip


def _cell_add(cells: dict[tuple[Any, dt.date], ForecastCell], key: tuple[Any, Any], **values: Any) -> None:
    cell = cells.setdefault((key[0], _date(key[1])), ForecastCell())
    for name, value in values.items():
        setattr(cell, name, getattr(cell, name) + (value or 0))


def _from_monthly_totals(cells: dict[tuple[Any, dt.date], ForecastCell], user: User, first: dt.date, end: dt.date,
                         period: str, group_by: str, pipeline: Pipeline | None) -> None:  # fmt: skip
    """Add the open pipeline and what was sold in the months [first, end) (money in cents there)."""
    gkey = GROUP_KEYS.get(group_by, "")
    fields = ["p", *([gkey] if gkey else [])]
    ids = visible_owner_ids(user)
    opened = SaleOpenMonth.objects.filter(month__gte=first, month__lt=end)
    sold = SaleClosedMonth.objects.filter(month__gte=first, month__lt=end, status=SaleStatus.SOLD)
    if ids is not None:
        opened, sold = opened.filter(owner_id__in=ids), sold.filter(owner_id__in=ids)
    if pipeline is not None:
        opened, sold = opened.filter(pipeline_id=pipeline.pk), sold.filter(pipeline_id=pipeline.pk)

    def cents(**kw: Any) -> Sum:
        return Sum(kw.pop("of", "amount_cents"), default=0, **kw)

    for r in opened.annotate(p=TRUNC[period]("month")).order_by().values(*fields).annotate(
        unweighted=cents(), weighted=cents(of="weighted_cents"), commit=cents(filter=Q(category="commit")),
        best_case=cents(filter=Q(category="best_case")), pipeline=cents(filter=Q(category="pipeline")),
    ):  # fmt: skip
        _cell_add(cells, (r[gkey] if gkey else None, r["p"]),
                  **{name: Decimal(r[name]) / 100 for name in ("unweighted", "weighted", "commit", "best_case", "pipeline")})  # fmt: skip
    for r in (
        sold.annotate(p=TRUNC[period]("month"))
        .order_by()
        .values(*fields)
        .annotate(sold=cents(), won=Sum("sales", default=0))
    ):
        _cell_add(cells, (r[gkey] if gkey else None, r["p"]), sold=Decimal(r["sold"]) / 100, won=r["won"])


def _from_sales(cells: dict[tuple[Any, dt.date], ForecastCell], base: QuerySet, edges: list[tuple[dt.date, dt.date]],
                period: str, group_by: str) -> None:  # fmt: skip
    """Add the open pipeline expected, and what was sold, on the days `edges` hold."""
    gkey = GROUP_KEYS.get(group_by, "")
    fields = ["p", *([gkey] if gkey else [])]
    trunc = TRUNC[period]
    open_rows = (
        base.filter(month_totals.days_q("sale_date", edges), status=SaleStatus.OPEN)
        .annotate(p=trunc("sale_date"))
        .order_by()
        .values(*fields)
        .annotate(
            unweighted=Sum("amount", default=ZERO),
            weighted=Sum(F("amount") * F("probability"), default=ZERO),
            commit=Sum("amount", filter=_category_q("commit"), default=ZERO),
            best_case=Sum("amount", filter=_category_q("best_case"), default=ZERO),
            pipeline=Sum("amount", filter=_category_q("pipeline"), default=ZERO),
        )
    )
    for r in open_rows:
        _cell_add(cells, (r[gkey] if gkey else None, r["p"]),
                  **{name: Decimal(r[name]) for name in ("unweighted", "weighted", "commit", "best_case", "pipeline")})  # fmt: skip
    sold_rows = (
        base.filter(month_totals.days_q("closed_date", edges), status=SaleStatus.SOLD)
        .annotate(p=trunc("closed_date"))
        .order_by()
        .values(*fields)
        .annotate(sold=Sum("amount", default=ZERO), won=Count("*"))
    )
    for r in sold_rows:
        _cell_add(cells, (r[gkey] if gkey else None, r["p"]), sold=Decimal(r["sold"]), won=int(r["won"] or 0))


def _sold_total(
    base: QuerySet, start: dt.date, period: str, date_from: dt.date, date_to: dt.date
) -> tuple[Decimal, int]:
    # By team a sale of someone in two teams shows in both; the total counts it once.
    end = add_months(start, 3 if period == "quarter" else 1)
    qs = base.filter(status=SaleStatus.SOLD, closed_date__gte=max(start, date_from), closed_date__lt=end)
    qs = qs.filter(closed_date__lte=date_to)
    data = Sale.objects.filter(pk__in=qs.values("pk")).aggregate(s=Sum("amount", default=ZERO), n=Count("*"))
    return Decimal(data["s"]).quantize(CENT), int(data["n"] or 0)


@dataclass
class AccuracyRow:
    month: dt.date
    label: str
    taken_on: dt.date | None
    forecast: Decimal | None
    sold: Decimal

    @property
    def accuracy(self) -> Decimal | None:
        """Sold as a percentage of what was forecast."""
        if not self.forecast:
            return None
        return (self.sold * 100 / self.forecast).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def forecast_accuracy(
    user: User, *, date_from: dt.date, date_to: dt.date, pipeline: Pipeline | None = None
) -> list[AccuracyRow]:
    """For each month in the range: the weighted forecast of the latest snapshot taken before
    the month started, next to what was sold in it (only owners the user may see)."""
    months = periods_between(date_from, date_to, "month")
    if not months:
        return []
    snaps = scope_by_owner(ForecastSnapshot.objects.filter(month__in=months, taken_on__lt=F("month")), user)
    if pipeline is not None:
        snaps = snaps.filter(pipeline=pipeline)
    latest = {_date(r["month"]): r["last"] for r in snaps.order_by().values("month").annotate(last=Max("taken_on"))}
    forecasts: dict[dt.date, Decimal] = {}
    if latest:
        cond = Q()
        for month, taken in latest.items():
            cond |= Q(month=month, taken_on=taken)
        for r in snaps.filter(cond).order_by().values("month").annotate(w=Sum("weighted")):
            forecasts[_date(r["month"])] = Decimal(r["w"]).quantize(CENT)
    # Whole months: what was sold comes from the monthly totals.
    sold_qs = SaleClosedMonth.objects.filter(
        status=SaleStatus.SOLD, month__gte=months[0], month__lt=add_months(months[-1], 1)
    )
    ids = visible_owner_ids(user)
    if ids is not None:
        sold_qs = sold_qs.filter(owner_id__in=ids)
    if pipeline is not None:
        sold_qs = sold_qs.filter(pipeline_id=pipeline.pk)
    sold = {
        _date(r["month"]): (Decimal(r["cents"]) / 100).quantize(CENT)
        for r in sold_qs.order_by().values("month").annotate(cents=Sum("amount_cents"))
    }
    return [
        AccuracyRow(
            month=m,
            label=period_label(m, "month"),
            taken_on=latest.get(m),
            forecast=forecasts.get(m),
            sold=sold.get(m, ZERO),
        )  # fmt: skip
        for m in months
    ]


def effective_category(sale: Sale) -> str:
    """The sale's forecast category: the one a manager set, else the one its probability gives."""
    if sale.forecast_category:
        return sale.forecast_category
    if sale.probability >= 70:
        return "commit"
    return "best_case" if sale.probability >= 40 else "pipeline"


def largest_open_sales(
    user: User, *, date_from: dt.date, date_to: dt.date, pipeline: Pipeline | None = None, limit: int = 20
) -> list[Sale]:
    """The largest open sales expected to close in the range (for reviewing their categories)."""
    qs = scope_by_owner(
        Sale.objects.filter(status=SaleStatus.OPEN, sale_date__gte=date_from, sale_date__lte=date_to), user
    )
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    shown = ("title", "sale_date", "amount", "probability", "forecast_category", "owner__username",
             "owner__first_name", "owner__last_name")  # fmt: skip
    return list(qs.select_related("owner").only(*shown).order_by("-amount", "sale_date", "pk")[:limit])
