"""Every number the dashboard shows, pinned on hand-built data for each role, with the edges of
the month, quarter, year and the 90-day window, stalled and undated sales, closed dates in the
future, and another team's sales (which must never count). `today` is fixed: 14 November 2025,
so the month starts on 1 November, the quarter runs from 1 October to 31 December."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.insights.dashboard import dashboard
from dealflow.relations.models import Company
from dealflow.sales import services
from dealflow.sales.models import Sale, SaleStatus
from dealflow.sales.tests.factories import pipeline_with_phases

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.date(2025, 11, 14)
OPEN, SOLD, LOST, STALLED = SaleStatus.OPEN, SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.STALLED


def _sale(owner, title, amount, status=OPEN, *, probability=0, sale_date=None, closed=None, pipeline=None):
    """A sale made through the service, then put in place with one UPDATE (the totals' triggers
    follow every write, so the running and monthly totals see it as the sales do)."""
    sale = services.sale_create(actor=owner, data={"title": title, "amount": D(amount), "pipeline": pipeline})
    Sale.objects.filter(pk=sale.pk).update(
        status=status, probability=probability, sale_date=sale_date, closed_date=closed
    )  # fmt: skip
    return sale


def d(year, month, day):
    return dt.date(year, month, day)


@pytest.fixture
def data(salesperson, teammate, manager, outsider, admin_user):
    """anna and ben (team North, which max manages), max's own sale, klara in team South."""
    pipeline = pipeline_with_phases(code="std")
    p = {"pipeline": pipeline}
    anna, ben, klara, max_ = salesperson, teammate, outsider, manager
    # Open pipeline (anna): in the quarter, at its last day, before today, undated, at the end of
    # the 90-day window and one day past it; today itself; a tie on the amount.
    _sale(anna, "a-quarter", "1234.56", probability=37, sale_date=d(2025, 11, 20), **p)
    _sale(anna, "a-quarter-end", "999.99", probability=15, sale_date=d(2025, 12, 31), **p)
    _sale(anna, "a-past", "500", probability=50, sale_date=d(2025, 9, 30), **p)
    _sale(anna, "a-undated", "700", probability=100, **p)
    _sale(anna, "a-day-90", "800", probability=20, sale_date=d(2026, 2, 12), **p)
    _sale(anna, "a-day-91", "800", probability=20, sale_date=d(2026, 2, 13), **p)
    _sale(anna, "a-tie-earlier", "800", probability=20, sale_date=d(2025, 12, 1), **p)
    _sale(anna, "a-today", "50", probability=0, sale_date=TODAY, **p)
    _sale(anna, "a-stalled", "5000", STALLED, probability=90, sale_date=d(2025, 11, 20), **p)
    # Closed (anna): this month (from its first day, and in the future), the quarter, the year,
    # next year, last year; lost this year and last year.
    _sale(anna, "a-won-month-start", "300.10", SOLD, closed=d(2025, 11, 1), **p)
    _sale(anna, "a-won-future", "60", SOLD, closed=d(2025, 12, 20), **p)
    _sale(anna, "a-won-next-year", "40", SOLD, closed=d(2026, 1, 5), **p)
    _sale(anna, "a-won-october", "200", SOLD, closed=d(2025, 10, 31), **p)
    _sale(anna, "a-won-september", "150", SOLD, closed=d(2025, 9, 30), **p)
    _sale(anna, "a-won-last-year", "75", SOLD, closed=d(2024, 12, 31), **p)
    _sale(anna, "a-lost", "999", LOST, closed=d(2025, 3, 3), **p)
    _sale(anna, "a-lost-last-year", "1", LOST, closed=d(2024, 6, 6), **p)
    # ben, anna's team mate: counts for anna and max, but not towards anna's own target.
    _sale(ben, "b-open", "100", probability=33, sale_date=d(2025, 11, 15), **p)
    _sale(ben, "b-won", "250", SOLD, closed=d(2025, 11, 10), **p)
    _sale(ben, "b-lost", "10", LOST, closed=d(2025, 11, 11), **p)
    # max (manages North, no member of it): seen by himself and the admin only.
    _sale(max_, "m-won", "123", SOLD, closed=d(2025, 11, 5), **p)
    # klara, team South: seen by herself and the admin only.
    _sale(klara, "k-open", "10000", probability=90, sale_date=d(2025, 11, 16), **p)
    _sale(klara, "k-won", "7777", SOLD, closed=d(2025, 11, 2), **p)
    _sale(klara, "k-lost", "5", LOST, closed=d(2025, 11, 3), **p)
    now = timezone.now()
    for owner in (anna, ben, klara):
        Activity.objects.create(subject="overdue", owner=owner, starts_at=now - dt.timedelta(hours=1))
    Activity.objects.create(subject="done", owner=anna, starts_at=now - dt.timedelta(days=2), done=True)
    Activity.objects.create(subject="later", owner=anna, starts_at=now + dt.timedelta(hours=1))
    Activity.objects.create(subject="undated", owner=anna)
    return pipeline


def _upcoming(board):
    return [s.title for s in board.upcoming]


def test_salesperson_sees_her_team_and_not_another_team(data, salesperson):
    b = dashboard(salesperson, today=TODAY)
    # Open: nine of hers (not the stalled one) and ben's.
    assert (b.open_count, b.open_value, b.open_weighted) == (9, D("5984.55"), D("2069.79"))
    assert (b.quarter_start, b.quarter_end) == (d(2025, 10, 1), d(2025, 12, 31))
    assert b.quarter_forecast == D("799.79")  # 456.7872 + 149.9985 + 160 + 0 + 33 (ben)
    assert (b.won_month_count, b.won_month_value) == (4, D("650.10"))  # 300.10, 60, 40, ben 250
    assert (b.won_quarter_count, b.won_quarter_value) == (5, D("850.10"))  # and October's 200
    assert (b.target_won, b.target_forecast) == (D("600.10"), D("766.79"))  # hers only
    assert b.win_rate == D("75.0")  # 6 won, 2 lost since 1 January
    assert b.overdue_activities == 2
    assert _upcoming(b) == ["a-quarter", "a-quarter-end", "a-tie-earlier", "a-day-90", "b-open"]
    this_year = [D("0.00")] * 12
    this_year[8], this_year[9], this_year[10], this_year[11] = D("150.00"), D("200.00"), D("550.10"), D("60.00")
    assert b.this_year == this_year
    assert b.last_year == [D("0.00")] * 11 + [D("75.00")]


def test_manager_sees_the_teams_he_manages_and_himself(data, manager):
    b = dashboard(manager, today=TODAY)
    assert (b.open_count, b.open_value, b.open_weighted) == (9, D("5984.55"), D("2069.79"))
    assert b.quarter_forecast == b.target_forecast == D("799.79")
    assert (b.won_month_count, b.won_month_value) == (5, D("773.10"))
    assert (b.won_quarter_count, b.won_quarter_value, b.target_won) == (6, D("973.10"), D("973.10"))
    assert b.win_rate == D("77.8")  # 7 of 9
    assert b.overdue_activities == 2
    assert _upcoming(b) == ["a-quarter", "a-quarter-end", "a-tie-earlier", "a-day-90", "b-open"]
    assert b.this_year[10] == D("673.10") and b.last_year[11] == D("75.00")


def test_outsider_sees_only_her_own_team(data, outsider):
    b = dashboard(outsider, today=TODAY)
    assert (b.open_count, b.open_value, b.open_weighted) == (1, D("10000.00"), D("9000.00"))
    assert b.quarter_forecast == b.target_forecast == D("9000.00")
    assert (b.won_month_count, b.won_month_value, b.won_quarter_count, b.won_quarter_value) == (
        1, D("7777.00"), 1, D("7777.00"),
    )  # fmt: skip
    assert b.target_won == D("7777.00") and b.win_rate == D("50.0")
    assert b.overdue_activities == 1
    assert _upcoming(b) == ["k-open"]
    assert b.this_year == [D("0.00")] * 10 + [D("7777.00"), D("0.00")] and sum(b.last_year) == 0


def test_admin_sees_everyone(data, admin_user):
    b = dashboard(admin_user, today=TODAY)
    assert (b.open_count, b.open_value, b.open_weighted) == (10, D("15984.55"), D("11069.79"))
    assert b.quarter_forecast == b.target_forecast == D("9799.79")
    assert (b.won_month_count, b.won_month_value) == (6, D("8550.10"))
    assert (b.won_quarter_count, b.won_quarter_value, b.target_won) == (7, D("8750.10"), D("8750.10"))
    assert b.win_rate == D("72.7")  # 8 of 11
    assert b.overdue_activities == 3
    assert _upcoming(b) == ["k-open", "a-quarter", "a-quarter-end", "a-tie-earlier", "a-day-90"]
    assert b.this_year[10] == D("8450.10") and b.last_year[11] == D("75.00")


def test_numbers_follow_every_write(data, salesperson):
    """The numbers follow a close, a reopening, a change of amount and a deletion at once."""
    sale = Sale.objects.get(title="a-quarter")
    Sale.objects.filter(pk=sale.pk).update(status=SOLD, closed_date=d(2025, 11, 13))
    b = dashboard(salesperson, today=TODAY)
    assert (b.open_count, b.open_value, b.won_month_count, b.won_month_value) == (8, D("4749.99"), 5, D("1884.66"))
    Sale.objects.filter(pk=sale.pk).update(status=OPEN, closed_date=None, amount=D("10"))
    Sale.objects.filter(title="b-won").delete()
    b = dashboard(salesperson, today=TODAY)
    assert (b.open_count, b.open_value, b.open_weighted) == (9, D("4759.99"), D("1616.70"))
    assert (b.won_month_count, b.won_month_value, b.win_rate) == (3, D("400.10"), D("71.4"))
    assert _upcoming(b) == ["a-quarter-end", "a-tie-earlier", "a-day-90", "b-open", "a-today"]


def test_no_sales_at_all(salesperson):
    b = dashboard(salesperson, today=TODAY)
    assert (b.open_count, b.open_value, b.open_weighted, b.quarter_forecast) == (0, D("0.00"), D("0.00"), D("0.00"))
    assert (b.won_month_count, b.won_month_value, b.won_quarter_count, b.won_quarter_value) == (0, D("0.00"), 0, 0)
    assert b.win_rate is None and b.overdue_activities == 0 and b.upcoming == []
    assert b.this_year == b.last_year == [D("0.00")] * 12


def test_home_page_upcoming_rows(salesperson, outsider, client):
    """The upcoming table's rows as the page shows them: link, company, date, amount, probability."""
    pipeline = pipeline_with_phases(code="std")
    company = Company.objects.create(name="Acme & Co", owner=salesperson)
    today = timezone.localdate()
    sale = services.sale_create(
        actor=salesperson,
        data={"title": "Big <one>", "amount": D("12345.6"), "pipeline": pipeline, "company": company,
              "sale_date": today + dt.timedelta(days=3), "probability": 35},
    )  # fmt: skip
    services.sale_create(actor=salesperson, data={"title": "No company", "amount": D("5"), "pipeline": pipeline,
                                                  "sale_date": today, "probability": 10})  # fmt: skip
    services.sale_create(actor=outsider, data={"title": "Not yours", "amount": D("99999"), "pipeline": pipeline,
                                               "sale_date": today})  # fmt: skip
    client.force_login(salesperson)
    html = client.get(reverse("home")).content.decode()
    day = (today + dt.timedelta(days=3)).strftime("%m/%d/%Y")
    assert (
        f'<tr><th scope="row"><a href="{sale.get_absolute_url()}">Big &lt;one&gt;</a></th><td>Acme &amp; Co</td>'
        f'<td>{day}</td><td class="num">12,345.60</td><td class="num">35 %</td></tr>'
    ) in html
    assert f'<td></td><td>{today.strftime("%m/%d/%Y")}</td><td class="num">5.00</td><td class="num">10 %</td>' in html
    assert "Not yours" not in html


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["salesperson", "manager", "admin_user"])
def test_home_query_count_does_not_grow_with_rows(data, who, request, client):
    """More sales (open, won, lost, in other months and pipelines) and more overdue activities
    do not add queries."""
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(reverse("home"))
    before = _home_queries(client)
    other = pipeline_with_phases(code="more")
    today = timezone.localdate()
    for n in range(6):
        month = dt.date(today.year - n % 2, n + 1, 1)
        _sale(user, f"more {n}", "10", OPEN, probability=50, sale_date=today + dt.timedelta(days=n), pipeline=other)
        _sale(user, f"won {n}", "20", SOLD if n % 3 else LOST, closed=month, pipeline=other)
        Activity.objects.create(subject=f"late {n}", owner=user, starts_at=timezone.now() - dt.timedelta(days=n + 1))
    assert _home_queries(client) == before
