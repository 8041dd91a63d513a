"""Reads for the reports. Nothing here writes; every query is scoped to what the user may see
and aggregated in SQL, so a report over a million sales fetches one row per group and period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner, visible_owner_ids
from dealflow.core.dates_sql import MonthStart, QuarterStart, YearStart
from dealflow.sales.models import Pipeline, Sale, SaleStatus

CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# group_by -> (the id to group on, the name, the admin-set order); None when there is no such
# field (owners are ordered by name).
GROUPS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "close_reason": ("close_reason_id", ("close_reason__name",), "close_reason__order"),
    "competitor": ("competitor_id", ("competitor__name",), "competitor__order"),
    "owner": ("owner_id", ("owner__first_name", "owner__last_name", "owner__username"), None),
    "account_type": ("company__account_type_id", ("company__account_type__name",), "company__account_type__order"),
    "pipeline": ("pipeline_id", ("pipeline__name",), "pipeline__order"),
}
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


def _label(group_by: str, values: dict[str, Any]) -> str:
    _key, names, _order = GROUPS[group_by]
    if group_by == "owner":
        full = f"{values['owner__first_name']} {values['owner__last_name']}".strip()
        return full or values["owner__username"]
    return values[names[0]]


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
    competitor or account type form one "(none)" group, listed last."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown group_by: {group_by}")
    period = period or ""
    if period and period not in PERIODS:
        raise ValueError(f"unknown period: {period}")
    key, names, order = GROUPS[group_by]

    qs = scope_by_owner(
        Sale.objects.filter(
            status__in=[SaleStatus.SOLD, SaleStatus.LOST], closed_date__gte=date_from, closed_date__lte=date_to
        ),
        user,
    )
    if pipeline:
        qs = qs.filter(pipeline_id=getattr(pipeline, "pk", pipeline))
    if owner:
        qs = qs.filter(owner_id=getattr(owner, "pk", owner))
    fields = [key, *names, *([order] if order else [])]
    if period:
        qs = qs.annotate(report_period=PERIODS[period]("closed_date"))
        fields.append("report_period")
    won, lost = Q(status=SaleStatus.SOLD), Q(status=SaleStatus.LOST)
    # Rows are counted by owner (never null), a column of the report index: COUNT(id) would make
    # PostgreSQL read every matching row from the table instead of the index alone.
    aggregated = (
        qs.order_by()
        .values(*fields)
        .annotate(
            n_won=Count("owner", filter=won),
            n_lost=Count("owner", filter=lost),
            v_won=Sum("amount", filter=won, default=Decimal(0)),
            v_lost=Sum("amount", filter=lost, default=Decimal(0)),
        )
    )

    none_label = _("(none)")
    rows: list[WinLossRow] = []
    for values in aggregated:
        group_key = values[key]
        label = none_label if group_key is None else _label(group_by, values)
        start = values.get("report_period")
        if isinstance(start, dt.datetime):  # some backends hand back a datetime for a date trunc
            start = start.date()
        group_order = values[order] if order and values.get(order) is not None else 0
        rows.append(
            WinLossRow(
                key=group_key,
                label=label,
                period=start,
                period_label=period_label(start, period),
                won=values["n_won"],
                lost=values["n_lost"],
                won_value=Decimal(values["v_won"] or 0).quantize(CENT),
                lost_value=Decimal(values["v_lost"] or 0).quantize(CENT),
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
