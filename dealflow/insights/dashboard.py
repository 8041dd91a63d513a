"""The numbers of the home page, for whoever looks: everything scoped to the sales and activities
the user may see, so a salesperson sees their team's figures and an administrator everyone's.
A fixed handful of queries, however many sales there are: one aggregate over the sales, one
count of overdue activities, the largest upcoming sales, one grouped sum for the chart, and the
quarter's amount-sold target (read as the forecast reads it).

The quarter's progress compares like with like: a salesperson's own target with their own sales,
a manager's teams' targets with their teams' sales, an administrator's company target with all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import scope_by_owner
from dealflow.activities.models import Activity
from dealflow.sales.models import Sale, SaleStatus

from .forecast import amount_targets
from .selectors import rate

CENT = Decimal("0.01")
UPCOMING_DAYS = 90
UPCOMING_LIMIT = 5


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


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def dashboard(user: User, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    q_start, q_end = quarter_bounds(today)
    m_start = today.replace(day=1)
    y_start = today.replace(month=1, day=1)
    sales = scope_by_owner(Sale.objects.all(), user)
    is_open, sold, lost = Q(status=SaleStatus.OPEN), Q(status=SaleStatus.SOLD), Q(status=SaleStatus.LOST)
    weighted = ExpressionWrapper(
        F("amount") * F("probability") / 100, output_field=DecimalField(max_digits=20, decimal_places=4)
    )
    in_quarter = Q(sale_date__gte=q_start, sale_date__lte=q_end)
    won_month, won_quarter = sold & Q(closed_date__gte=m_start), sold & Q(closed_date__gte=q_start)
    # Whose numbers the target is for: a salesperson's own; a manager's and an admin's scope.
    mine = Q(owner=user) if not (user.is_admin or user.is_manager) else Q()
    totals = sales.aggregate(
        open_n=Count("owner", filter=is_open),
        open_v=Sum("amount", filter=is_open),
        open_w=Sum(weighted, filter=is_open),
        forecast=Sum(weighted, filter=is_open & in_quarter),
        wm_n=Count("owner", filter=won_month),
        wm_v=Sum("amount", filter=won_month),
        wq_n=Count("owner", filter=won_quarter),
        wq_v=Sum("amount", filter=won_quarter),
        t_won=Sum("amount", filter=won_quarter & mine),
        t_forecast=Sum(weighted, filter=is_open & in_quarter & mine),
        year_won=Count("owner", filter=sold & Q(closed_date__gte=y_start)),
        year_lost=Count("owner", filter=lost & Q(closed_date__gte=y_start)),
    )
    now = timezone.now()
    overdue = scope_by_owner(Activity.objects.filter(done=False, starts_at__lt=now), user).count()
    upcoming = list(
        sales.filter(is_open, sale_date__gte=today, sale_date__lte=today + dt.timedelta(days=UPCOMING_DAYS))
        .select_related("company", "owner", "phase")
        .order_by("-amount", "sale_date", "id")[:UPCOMING_LIMIT]
    )
    months = (
        sales.filter(sold, closed_date__gte=dt.date(today.year - 1, 1, 1), closed_date__lte=dt.date(today.year, 12, 31))
        .annotate(y=ExtractYear("closed_date"), m=ExtractMonth("closed_date"))
        .order_by()
        .values("y", "m")
        .annotate(v=Sum("amount"))
    )
    this_year, last_year = [Decimal("0.00")] * 12, [Decimal("0.00")] * 12
    for row in months:
        (this_year if row["y"] == today.year else last_year)[row["m"] - 1] = _money(row["v"])
    return Dashboard(
        today=today,
        open_count=totals["open_n"],
        open_value=_money(totals["open_v"]),
        open_weighted=_money(totals["open_w"]),
        quarter_start=q_start,
        quarter_end=q_end,
        quarter_forecast=_money(totals["forecast"]),
        target=quarter_target(user, q_start),
        target_won=_money(totals["t_won"]),
        target_forecast=_money(totals["t_forecast"]),
        won_month_count=totals["wm_n"],
        won_month_value=_money(totals["wm_v"]),
        won_quarter_count=totals["wq_n"],
        won_quarter_value=_money(totals["wq_v"]),
        win_rate=rate(totals["year_won"], totals["year_won"] + totals["year_lost"]),
        overdue_activities=overdue,
        upcoming=upcoming,
        this_year=this_year,
        last_year=last_year,
    )
