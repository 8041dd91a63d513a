"""Reads for the reports. Nothing here writes; every query is scoped to what the user may see
and aggregated in SQL, so a report over a million sales fetches one row per group and period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner, visible_owner_ids
from dealflow.core.dates_sql import MonthStart, QuarterStart, YearStart
from dealflow.relations.models import AccountType
from dealflow.sales import month_totals
from dealflow.sales.models import CloseReason, Competitor, Pipeline, Sale, SaleClosedMonth, SaleStatus

CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# group_by -> the id to group the sales on, and the model that names and orders its groups
# (owners are ordered by name). The account type is the company's, as copied onto each sale by
# triggers (relations.denorm): read with the rest from sale_report_closed (a team's sales) or
# sale_report_by_closed_date (everyone's), no join.
GROUPS: dict[str, tuple[str, type[Model]]] = {
    "close_reason": ("close_reason_id", CloseReason),
    "competitor": ("competitor_id", Competitor),
    "owner": ("owner_id", User),
    "account_type": ("account_type_id", AccountType),
    "pipeline": ("pipeline_id", Pipeline),
}
# The groups the monthly totals hold (the account type belongs to the company, not the sale).
MONTHLY = {"close_reason", "competitor", "owner", "pipeline"}
GROUP_LABELS = {
    "close_reason": gettext_lazy("Close reason"),
    "competitor": gettext_lazy("Competitor"),
    "owner": gettext_lazy("Owner"),
    "account_type": gettext_lazy("Account type"),
    "pipeline": gettext_lazy("Sale type (pipeline)"),
}
PERIODS = {"month": MonthStart, "quarter": QuarterStart, "year": YearStart}
PERIOD_LABELS = {
    "": gettext_lazy("Whole period"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
}


def rate(part: Any, whole: Any) -> Decimal | None:
    """`part` as a percentage of `whole`, one decimal, or None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def period_label(start: dt.date | None, period: str) -> str:
    if start is None:
        return ""
    if period == "month":
        return date_format(start, "YEAR_MONTH_FORMAT")
    if period == "quarter":
        return _("Q%(quarter)d %(year)d") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}
    return str(start.year)


@dataclass
class WinLossRow:
    key: int | None
    label: str
    period: dt.date | None = None
    period_label: str = ""
    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal("0.00")
    lost_value: Decimal = Decimal("0.00")
    sort_key: tuple = field(default=(), repr=False, compare=False)

    @property
    def total(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        """Won as a share of the closed sales, by count (percent)."""
        return rate(self.won, self.won + self.lost)

    @property
    def value_win_rate(self) -> Decimal | None:
        """Won as a share of the closed sales, by value (percent)."""
        return rate(self.won_value, self.won_value + self.lost_value)

    def add(self, other: WinLossRow) -> None:
        self.won += other.won
        self.lost += other.lost
        self.won_value += other.won_value
        self.lost_value += other.lost_value

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "period": self.period,
            "period_label": self.period_label,
            "won": self.won,
            "lost": self.lost,
            "won_value": self.won_value,
            "lost_value": self.lost_value,
            "win_rate": self.win_rate,
            "value_win_rate": self.value_win_rate,
        }


@dataclass
class WinLossReport:
    date_from: dt.date
    date_to: dt.date
    group_by: str
    period: str
    rows: list[WinLossRow]
    groups: list[WinLossRow]  # each group over the whole period, in the order of the rows
    totals: WinLossRow

    @property
    def group_label(self) -> str:
        return str(GROUP_LABELS[self.group_by])

    @property
    def period_heading(self) -> str:
        return str(PERIOD_LABELS[self.period])

    @property
    def is_empty(self) -> bool:
        return not self.rows


def _group_names(group_by: str, keys: set[Any]) -> dict[Any, tuple[str, int]]:
    """{group id: (label, admin-set order)} for the groups a report found."""
    _key, model = GROUPS[group_by]
    ids = {k for k in keys if k is not None}
    if group_by == "owner":
        owners = User.objects.filter(pk__in=ids).only("first_name", "last_name", "username")
        return {u.pk: (u.get_full_name() or u.username, 0) for u in owners}
    found = model._default_manager.filter(pk__in=ids)
    return {pk: (name, order) for pk, name, order in found.values_list("pk", "name", "order")}


def _pk(value: Model | int | None) -> int | None:
    return (value.pk if isinstance(value, Model) else value) or None


Sums = dict[tuple[Any, Any], list[Any]]  # (group id, period start) -> [won, lost, won value, lost value]


def _add(sums: Sums, group: Any, start: Any, won: Any, lost: Any, won_value: Decimal, lost_value: Decimal) -> None:
    if isinstance(start, dt.datetime):  # some backends hand back a datetime for a date trunc
        start = start.date()
    row = sums.setdefault((group, start), [0, 0, Decimal(0), Decimal(0)])
    row[0] += won or 0
    row[1] += lost or 0
    row[2] += won_value
    row[3] += lost_value


def _grouped(qs: QuerySet, group_by: str, period: str, date: str, pipeline_id: int | None,
             owner_id: int | None, **sums: Any) -> QuerySet:  # fmt: skip
    """`qs` narrowed to the pipeline and owner, summed per group (and period of `date`)."""
    if pipeline_id:
        qs = qs.filter(pipeline_id=pipeline_id)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    fields = [GROUPS[group_by][0]]
    if period:
        qs = qs.annotate(report_period=PERIODS[period](date))
        fields.append("report_period")
    return qs.order_by().values(*fields).annotate(**sums)


WON, LOST = Q(status=SaleStatus.SOLD), Q(status=SaleStatus.LOST)


def _closed_months(user: User, first: dt.date, end: dt.date, group_by: str, period: str, pipeline_id: int | None,
                   owner_id: int | None, sums: Sums) -> None:  # fmt: skip
    """Add the won and lost sales of the months [first, end) from the monthly totals."""
    qs = SaleClosedMonth.objects.filter(month__gte=first, month__lt=end)
    ids = visible_owner_ids(user)
    if ids is not None:
        qs = qs.filter(owner_id__in=ids)
    rows = _grouped(qs, group_by, period, "month", pipeline_id, owner_id,
                    n_won=Sum("sales", filter=WON), n_lost=Sum("sales", filter=LOST),
                    c_won=Sum("amount_cents", filter=WON, default=0),
                    c_lost=Sum("amount_cents", filter=LOST, default=0))  # fmt: skip
    for r in rows:
        group = r[GROUPS[group_by][0]] or None  # 0: no close reason / competitor
        _add(sums, group, r.get("report_period"), r["n_won"], r["n_lost"],
             Decimal(r["c_won"]) / 100, Decimal(r["c_lost"]) / 100)  # fmt: skip


def _closed_days(user: User, days: Q, group_by: str, period: str, pipeline_id: int | None, owner_id: int | None,
                 sums: Sums) -> None:  # fmt: skip
    """Add the won and lost sales closed on `days`, counted from the sales themselves."""
    qs = scope_by_owner(Sale.objects.filter(days, status__in=[SaleStatus.SOLD, SaleStatus.LOST]), user)
    # Rows are counted by owner (never null), a column of the report index: COUNT(id) would make
    # PostgreSQL read every matching row from the table instead of the index alone.
    rows = _grouped(qs, group_by, period, "closed_date", pipeline_id, owner_id,
                    n_won=Count("owner", filter=WON), n_lost=Count("owner", filter=LOST),
                    v_won=Sum("amount", filter=WON, default=Decimal(0)),
                    v_lost=Sum("amount", filter=LOST, default=Decimal(0)))  # fmt: skip
    for r in rows:
        _add(sums, r[GROUPS[group_by][0]], r.get("report_period"), r["n_won"], r["n_lost"],
             Decimal(r["v_won"] or 0), Decimal(r["v_lost"] or 0))  # fmt: skip


def win_loss(
    user: User,
    date_from: dt.date,
    date_to: dt.date,
    group_by: str,
    period: str | None = "",
    pipeline: Pipeline | int | None = None,
    owner: User | int | None = None,
) -> WinLossReport:
    """Won and lost sales closed in [date_from, date_to], per group and (optionally) period.

    Win rates are won / (won + lost), by count and by value. Sales without a close reason,
    competitor or account type form one "(none)" group, listed last. The months the range
    covers whole are read from the monthly totals; only the days of a month it covers in part
    are counted from the sales."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown group_by: {group_by}")
    period = period or ""
    if period and period not in PERIODS:
        raise ValueError(f"unknown period: {period}")
    pipeline_id = _pk(pipeline)
    owner_id = _pk(owner)

    sums: Sums = {}
    whole, edges = month_totals.split(date_from, date_to) if group_by in MONTHLY else (None, [(date_from, date_to)])
    if whole:
        _closed_months(user, *whole, group_by, period, pipeline_id, owner_id, sums)
    if edges:
        _closed_days(user, month_totals.days_q("closed_date", edges), group_by, period, pipeline_id, owner_id, sums)

    names = _group_names(group_by, {group for group, _start in sums})
    none_label = _("(none)")
    rows: list[WinLossRow] = []
    for (group_key, start), (won, lost, won_value, lost_value) in sums.items():
        label, group_order = (none_label, 0) if group_key is None else names.get(group_key, (str(group_key), 0))
        rows.append(
            WinLossRow(
                key=group_key,
                label=label,
                period=start,
                period_label=period_label(start, period),
                won=won,
                lost=lost,
                won_value=won_value.quantize(CENT),
                lost_value=lost_value.quantize(CENT),
                sort_key=(group_key is None, group_order, label.casefold(), group_key or 0),
            )
        )
    rows.sort(key=lambda r: (r.period or dt.date.min, r.sort_key))

    groups: dict[int | None, WinLossRow] = {}
    totals = WinLossRow(key=None, label=_("Total"))
    for row in rows:
        group = groups.setdefault(row.key, WinLossRow(key=row.key, label=row.label, sort_key=row.sort_key))
        group.add(row)
        totals.add(row)
    return WinLossReport(
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        period=period,
        rows=rows,
        groups=sorted(groups.values(), key=lambda g: g.sort_key),
        totals=totals,
    )


def report_owners(user: User) -> QuerySet[User]:
    """The owners a user may narrow a report to: everyone whose sales they see, former
    colleagues included (their closed sales are history the report still counts)."""
    ids = visible_owner_ids(user)
    qs = User.objects.all()
    return qs if ids is None else qs.filter(pk__in=ids)


def report_pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.all()
