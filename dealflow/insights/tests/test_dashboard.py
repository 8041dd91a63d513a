"""The dashboard's numbers for a salesperson and for an administrator, and its fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.insights.dashboard import dashboard, quarter_bounds
from dealflow.sales import services
from dealflow.sales.models import CloseReason, Outcome
from dealflow.sales.tests.factories import pipeline_with_phases

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(salesperson, outsider, admin_user):
    """anna: open 1000 (Lead, 10 %) due in 10 days, open 2000 due in 200 days, one won 500 today,
    one lost today; klara: open 400 due in 5 days. One overdue activity each, one done."""
    pipeline = pipeline_with_phases(code="std")
    reason = CloseReason.objects.create(code="any", name="Any", outcome=Outcome.EITHER)
    today = timezone.localdate()

    def sale(owner, amount, days=None):
        data = {"title": f"{owner.username} {amount}", "amount": D(amount), "pipeline": pipeline}
        if days is not None:
            data["sale_date"] = today + dt.timedelta(days=days)
        return services.sale_create(actor=owner, data=data)

    sale(salesperson, "1000", 10)
    sale(salesperson, "2000", 200)
    services.sale_close(actor=salesperson, sale=sale(salesperson, "500"), outcome=Outcome.WON, close_reason=reason)
    services.sale_close(actor=salesperson, sale=sale(salesperson, "300"), outcome=Outcome.LOST, close_reason=reason)
    sale(outsider, "400", 5)
    past = timezone.now() - dt.timedelta(days=1)
    for owner in (salesperson, outsider):
        Activity.objects.create(subject="call", owner=owner, starts_at=past)
    Activity.objects.create(subject="done", owner=salesperson, starts_at=past, done=True)
    return today


def test_quarter_bounds():
    assert quarter_bounds(dt.date(2025, 11, 5)) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert quarter_bounds(dt.date(2025, 2, 28)) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))


def test_salesperson_numbers(world, salesperson):
    b = dashboard(salesperson)
    assert (b.open_count, b.open_value, b.open_weighted) == (2, D("3000.00"), D("300.00"))
    assert (b.won_month_count, b.won_month_value, b.won_quarter_value) == (1, D("500.00"), D("500.00"))
    assert b.win_rate == D("50.0")
    assert b.overdue_activities == 1
    assert [s.amount for s in b.upcoming] == [D("1000")]
    assert b.this_year[world.month - 1] == D("500.00") and sum(b.last_year) == 0
    in_quarter = quarter_bounds(world)[1] >= world + dt.timedelta(days=10)
    assert b.quarter_forecast == (D("100.00") if in_quarter else D("0.00"))


def test_admin_numbers(world, admin_user):
    b = dashboard(admin_user)
    assert (b.open_count, b.open_value, b.open_weighted) == (3, D("3400.00"), D("340.00"))
    assert b.overdue_activities == 2
    assert [s.amount for s in b.upcoming] == [D("1000"), D("400")]


def test_home_page(world, salesperson, client, django_assert_max_num_queries):
    client.force_login(salesperson)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="year-chart"' in html and "Overdue activities" in html and "3,000.00" in html or "3000.00" in html


def _month_targets(today, value, **subject):
    """`value` for each month of today's quarter, and 9999 for a month of another quarter."""
    from dealflow.insights.models import Measure, PeriodKind, SalesTarget

    start = quarter_bounds(today)[0]
    other = (start.month + 2) % 12 + 1
    for month in (start.month, start.month + 1, start.month + 2, other):
        SalesTarget.objects.create(
            **subject, year=today.year, period_kind=PeriodKind.MONTH, period_number=month,
            measure=Measure.AMOUNT_SOLD, value=D("9999") if month == other else D(value),
        )  # fmt: skip


@pytest.fixture
def targets(world, salesperson, outsider, team):
    """anna: 400 a month (1200 for the quarter); team North: 1000 a month (3000); the company:
    a quarter target of 5000; klara: none. A number-won target is not an amount and is ignored."""
    from dealflow.insights.models import Measure, PeriodKind, SalesTarget

    _month_targets(world, "400", scope="user", user=salesperson)
    _month_targets(world, "1000", scope="team", team=team)
    quarter = (world.month - 1) // 3 + 1
    SalesTarget.objects.create(scope="company", year=world.year, period_kind=PeriodKind.QUARTER,
                               period_number=quarter, measure=Measure.AMOUNT_SOLD, value=D("5000"))  # fmt: skip
    SalesTarget.objects.create(scope="user", user=salesperson, year=world.year, period_kind=PeriodKind.QUARTER,
                               period_number=quarter, measure=Measure.NUMBER_WON, value=D("7"))  # fmt: skip
    return world


def test_quarter_against_target_per_role(targets, salesperson, manager, admin_user, outsider):
    in_quarter = quarter_bounds(targets)[1] >= targets + dt.timedelta(days=10)
    forecast = D("100.00") if in_quarter else D("0.00")  # anna's 1000 at 10 %, due in 10 days
    # anna: her own 1200 (3 × 400); won 500 → 41.7 %; with the forecast 600 → 50.0 % (or 41.7 %).
    b = dashboard(salesperson)
    assert (b.target, b.target_won, b.target_forecast) == (D("1200.00"), D("500.00"), forecast)
    assert (b.target_percent, b.target_bar) == (D("41.7"), 41)
    assert b.target_forecast_percent == (D("50.0") if in_quarter else D("41.7"))
    # max manages North: its 3000; North's sales won 500 → 16.7 %.
    b = dashboard(manager)
    assert (b.target, b.target_won, b.target_percent, b.target_bar) == (D("3000.00"), D("500.00"), D("16.7"), 16)
    # root: the company's quarter target 5000; everyone's won 500 → 10.0 %.
    b = dashboard(admin_user)
    assert (b.target, b.target_won, b.target_percent) == (D("5000.00"), D("500.00"), D("10.0"))
    # klara has no target.
    b = dashboard(outsider)
    assert b.target is None and b.target_percent is None and b.target_bar == 0


def test_home_page_shows_the_progress_bar(targets, salesperson, outsider, client):
    client.force_login(salesperson)
    html = client.get(reverse("home")).content.decode()
    assert 'role="progressbar"' in html and 'aria-valuenow="41"' in html
    assert 'aria-valuemin="0"' in html and 'aria-valuemax="100"' in html
    assert "Won: 41.7 % of the target" in html and 'id="quarter-target">1,200.00<' in html
    client.force_login(outsider)
    html = client.get(reverse("home")).content.decode()
    assert 'role="progressbar"' not in html and "No sales target has been set for this quarter." in html


def _home_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("home"))
    return len(ctx.captured_queries)


def test_home_query_count_does_not_grow_with_targets_or_sales(world, salesperson, client):
    client.force_login(salesperson)
    client.get(reverse("home"))
    before = _home_queries(client)
    _month_targets(world, "400", scope="user", user=salesperson)
    pipeline = pipeline_with_phases(code="more")
    for n in range(5):
        services.sale_create(actor=salesperson, data={"title": f"x{n}", "amount": D("10"), "pipeline": pipeline})
    assert _home_queries(client) == before
