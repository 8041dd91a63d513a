"""The numbers of the home page, for whoever looks: everything scoped to the sales and activities
the user may see, so a salesperson sees their team's figures and an administrator everyone's.
A fixed handful of small queries, however many sales there are: the open sales' running totals
(sales.totals), the quarter's open months and the closed months since last January
(sales.month_totals), one count of overdue activities over its index, the largest upcoming
sales, and the quarter's amount-sold target (read as the forecast reads it). The totals are
kept in whole cents by triggers, so the sums are exact on SQLite too.

The quarter's progress compares like with like: a salesperson's own target with their own sales,
a manager's teams' targets with their teams' sales, an administrator's company target with all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import scope_by_owner, visible_owner_ids
from dealflow.activities.models import Activity
from dealflow.sales.models import Sale, SaleClosedMonth, SaleOpenMonth, SaleStatus, SaleTotal

from .forecast import amount_targets
from .selectors import rate

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
UPCOMING_DAYS = 90
UPCOMING_LIMIT = 5
# What the upcoming table shows of a sale (its address needs the id only).
UPCOMING_FIELDS = ("id", "title", "amount", "sale_date", "probability", "company__id", "company__name")


def quarter_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    first_month = (today.month - 1) // 3 * 3 + 1
    start = dt.date(today.year, first_month, 1)
    end_month = first_month + 3
    end = dt.date(today.year + (end_month > 12), (end_month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass
class Dashboard:
    today: dt.date
    open_count: int
    open_value: Decimal
    open_weighted: Decimal
    quarter_start: dt.date
    quarter_end: dt.date
    quarter_forecast: Decimal  # weighted value of open sales expected to close this quarter
    target: Decimal | None  # the quarter's amount-sold target of the viewer's own row(s)
    target_won: Decimal  # sold this quarter by whom the target is for
    target_forecast: Decimal  # their weighted open pipeline expected to close this quarter
    won_month_count: int
    won_month_value: Decimal
    won_quarter_count: int
    won_quarter_value: Decimal
    win_rate: Decimal | None  # this year, by count
    overdue_activities: int
    upcoming: list[Sale]
    this_year: list[Decimal]  # sold per month, January first
    last_year: list[Decimal]

    @property
    def target_percent(self) -> Decimal | None:
        """Won this quarter as a percentage of the target (one decimal; may pass 100)."""
        return rate(self.target_won, self.target) if self.target else None

    @property
    def target_bar(self) -> int:
        """The progress bar's width and aria-valuenow: the percentage, whole, 0–100."""
        return min(100, int(self.target_percent or 0))

    @property
    def target_forecast_percent(self) -> Decimal | None:
        """Won plus the weighted pipeline, as a percentage of the target."""
        return rate(self.target_won + self.target_forecast, self.target) if self.target else None


def quarter_target(user: User, quarter_start: dt.date) -> Decimal | None:
    """The amount-sold target of the quarter for the viewer's own row(s): a salesperson's user
    target, the sum of a manager's teams' targets, the company target for an administrator."""
    keys: set[int | None]
    if user.is_admin:
        group_by, keys = "", {None}
    elif user.is_manager:
        teams = Team.objects.filter(Q(members=user) | Q(managers=user)).values_list("pk", flat=True)
        group_by, keys = "team", set(teams)
    else:
        group_by, keys = "owner", {user.pk}
    found = amount_targets(user, group_by, None, [quarter_start], "quarter")
    values = [v for (key, start), v in found.items() if key in keys and start == quarter_start]
    return sum(values, Decimal(0)).quantize(CENT) if values else None


def _cents(value: Any) -> Decimal:
    return (Decimal(value or 0) / HUNDRED).quantize(CENT)


def _weighted(value: Any) -> Decimal:
    # weighted_cents holds cents × probability (a percentage)
    return (Decimal(value or 0) / HUNDRED / HUNDRED).quantize(CENT)


def _upcoming(user: User, today: dt.date) -> list[Sale]:
    """The largest open sales expected in the next 90 days. Their ids come from the covering
    index on (owner, status, sale_date, …, amount) — or, on PostgreSQL, from a walk down the
    amount index — and only those five rows are read, with the columns the table shows."""
    top = (
        scope_by_owner(Sale.objects.all(), user)
        .filter(status=SaleStatus.OPEN, sale_date__gte=today, sale_date__lte=today + dt.timedelta(days=UPCOMING_DAYS))
        .order_by("-amount", "sale_date", "id")
        .values("pk")[:UPCOMING_LIMIT]
    )
    return list(
        Sale.objects.filter(pk__in=top)
        .select_related("company")
        .only(*UPCOMING_FIELDS)
        .order_by("-amount", "sale_date", "id")
    )


def dashboard(user: User, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    q_start, q_end = quarter_bounds(today)
    m_start = today.replace(day=1)
    y_start = today.replace(month=1, day=1)
    last_year_start = dt.date(today.year - 1, 1, 1)
    ids = visible_owner_ids(user)

    def scoped(qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs if ids is None else qs.filter(owner_id__in=ids)

    # Whose numbers the target is for: a salesperson's own; a manager's and an admin's scope.
    mine = Q(owner_id=user.pk) if not (user.is_admin or user.is_manager) else Q()
    # The sales' own totals, kept by triggers (sales.totals, sales.month_totals): the same sums
    # as aggregating the sales, read from a few hundred rows instead of a million.
    open_totals = scoped(SaleTotal.objects.filter(status=SaleStatus.OPEN)).aggregate(
        n=Sum("sales"), cents=Sum("amount_cents"), weighted=Sum("weighted_cents")
    )
    # Open sales expected this quarter: the quarter is three whole months of the sale date.
    quarter = scoped(SaleOpenMonth.objects.filter(month__gte=q_start, month__lte=q_end)).aggregate(
        weighted=Sum("weighted_cents"), mine=Sum("weighted_cents", filter=mine)
    )
    # Won and lost per month of the closed date since last January (later months count towards
    # this month, quarter and year, like a closed date in the future does).
    closed = (
        scoped(SaleClosedMonth.objects.filter(month__gte=last_year_start))
        .values("month", "status")
        .annotate(n=Sum("sales"), cents=Sum("amount_cents"), mine=Sum("amount_cents", filter=mine))
        .order_by()
    )
    won_month, won_quarter, target_won, year = [0, 0], [0, 0], 0, {SaleStatus.SOLD: 0, SaleStatus.LOST: 0}
    this_year, last_year = [Decimal("0.00")] * 12, [Decimal("0.00")] * 12
    for row in closed:
        month, status, n, cents = row["month"], row["status"], row["n"] or 0, row["cents"] or 0
        if month >= y_start and status in year:
            year[status] += n
        if status != SaleStatus.SOLD:
            continue
        if month >= m_start:
            won_month = [won_month[0] + n, won_month[1] + cents]
        if month >= q_start:
            won_quarter = [won_quarter[0] + n, won_quarter[1] + cents]
            target_won += row["mine"] or 0
        if month.year in (today.year, today.year - 1):
            (this_year if month.year == today.year else last_year)[month.month - 1] = _cents(cents)
    # `done IN (false)` rather than `NOT done`: SQLite uses the (owner, done, starts_at) index
    # for the former only, and counts the overdue range instead of every activity of the owners.
    overdue = scoped(Activity.objects.filter(done__in=[False], starts_at__lt=timezone.now())).count()
    return Dashboard(
        today=today,
        open_count=open_totals["n"] or 0,
        open_value=_cents(open_totals["cents"]),
        open_weighted=_weighted(open_totals["weighted"]),
        quarter_start=q_start,
        quarter_end=q_end,
        quarter_forecast=_weighted(quarter["weighted"]),
        target=quarter_target(user, q_start),
        target_won=_cents(target_won),
        target_forecast=_weighted(quarter["mine"]),
        won_month_count=won_month[0],
        won_month_value=_cents(won_month[1]),
        won_quarter_count=won_quarter[0],
        won_quarter_value=_cents(won_quarter[1]),
        win_rate=rate(year[SaleStatus.SOLD], year[SaleStatus.SOLD] + year[SaleStatus.LOST]),
        overdue_activities=overdue,
        upcoming=_upcoming(user, today),
        this_year=this_year,
        last_year=last_year,
    )
