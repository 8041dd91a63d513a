"""The win/loss report: a small fixed set of closed sales, and the report's numbers checked
exactly — in the selector, on the page, in the CSV, in the chart and in the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from dealflow.core.models import SiteSettings
from dealflow.insights import selectors
from dealflow.insights.forms import last_twelve_months
from dealflow.relations.models import AccountType, Company
from dealflow.sales import services
from dealflow.sales.models import CloseReason, Competitor, Outcome, Phase, Pipeline, Sale

pytestmark = pytest.mark.django_db

D = Decimal
JAN1, JUN30 = dt.date(2025, 1, 1), dt.date(2025, 6, 30)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Five users per test; the real hasher would spend seconds of every test on them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- the data set --------------------------------------------------------------------------


def _pipeline(code: str, name: str, order: int) -> Pipeline:
    pipeline = Pipeline.objects.create(code=code, name=name, order=order)
    Phase.objects.create(pipeline=pipeline, code="lead", name="Lead", kind=Phase.Kind.INITIAL, order=1, probability=10)
    Phase.objects.create(
        pipeline=pipeline, code="offer", name="Offer", kind=Phase.Kind.REGULAR, order=2, probability=50
    )
    Phase.objects.create(
        pipeline=pipeline, code="closed", name="Closed", kind=Phase.Kind.CLOSING, order=3, probability=100
    )
    return pipeline


@pytest.fixture
def world(admin_user, salesperson, teammate, manager, outsider) -> dict[str, Any]:
    """Anna and Ben (team North) and Klara (team South) closed these sales in the first half of 2025:

    #  owner  sale type  company (account type)  amount   outcome  reason        competitor  closed
    1  anna   Projects   Bakker (Customer)       1000.00  won      Best price    —           2025-01-15
    2  anna   Projects   Bakker (Customer)        500.00  lost     Too expensive Acme        2025-01-20
    3  anna   Service    Visser (Prospect)        250.50  won      Relationship  Globex      2025-02-10
    4  ben    Projects   Visser (Prospect)       2000.00  lost     Too expensive Acme        2025-04-05
    5  ben    Service    Bakker (Customer)        300.00  won      Best price    Acme        2025-05-31
    6  ben    Projects   — (no company)           100.00  lost     Relationship  —           2025-06-30
    7  klara  Projects   Smit (no type)          5000.00  won      Best price    —           2025-03-03
    8  klara  Service    Smit (no type)           700.00  lost     Too expensive Globex      2025-04-04
    and, not counted: anna's sale won on 2024-12-31, lost on 2025-07-01, and one still open.
    """
    salesperson.first_name, salesperson.last_name = "Anna", "Jansen"
    salesperson.save()
    teammate.first_name, teammate.last_name = "Ben", "de Vries"
    teammate.save()
    projects, service = _pipeline("projects", "Projects", 1), _pipeline("service", "Service", 2)
    price = CloseReason.objects.create(code="price", name="Best price", outcome=Outcome.WON, order=1)
    expensive = CloseReason.objects.create(code="expensive", name="Too expensive", outcome=Outcome.LOST, order=2)
    relation = CloseReason.objects.create(code="relation", name="Relationship", outcome=Outcome.EITHER, order=3)
    acme = Competitor.objects.create(name="Acme", order=1)
    globex = Competitor.objects.create(name="Globex", order=2)
    customer = AccountType.objects.create(code="customer", name="Customer", order=1)
    prospect = AccountType.objects.create(code="prospect", name="Prospect", order=2)
    bakker = Company.objects.create(name="Bakker", account_type=customer, owner=salesperson)
    visser = Company.objects.create(name="Visser", account_type=prospect, owner=teammate)
    smit = Company.objects.create(name="Smit", owner=outsider)

    def sale(owner, pipeline, company, amount, outcome, reason, competitor, closed):
        made = services.sale_create(
            actor=admin_user,
            data={"title": f"{owner.username} {amount}", "owner": owner, "pipeline": pipeline, "company": company,
                  "amount": D(amount)},
        )  # fmt: skip
        if outcome is None:
            return made
        return services.sale_close(
            actor=admin_user, sale=made, outcome=outcome, close_reason=reason, competitor=competitor, closed_date=closed
        )

    won, lost = Outcome.WON, Outcome.LOST
    sale(salesperson, projects, bakker, "1000.00", won, price, None, dt.date(2025, 1, 15))
    sale(salesperson, projects, bakker, "500.00", lost, expensive, acme, dt.date(2025, 1, 20))
    sale(salesperson, service, visser, "250.50", won, relation, globex, dt.date(2025, 2, 10))
    sale(teammate, projects, visser, "2000.00", lost, expensive, acme, dt.date(2025, 4, 5))
    sale(teammate, service, bakker, "300.00", won, price, acme, dt.date(2025, 5, 31))
    sale(teammate, projects, None, "100.00", lost, relation, None, dt.date(2025, 6, 30))
    sale(outsider, projects, smit, "5000.00", won, price, None, dt.date(2025, 3, 3))
    sale(outsider, service, smit, "700.00", lost, expensive, globex, dt.date(2025, 4, 4))
    sale(salesperson, projects, bakker, "999.00", won, price, None, dt.date(2024, 12, 31))
    sale(salesperson, projects, bakker, "888.00", lost, expensive, None, dt.date(2025, 7, 1))
    sale(salesperson, projects, bakker, "777.00", None, None, None, None)
    assert Sale.objects.count() == 11
    return {
        "anna": salesperson, "ben": teammate, "klara": outsider, "max": manager, "root": admin_user,
        "projects": projects, "service": service, "price": price, "expensive": expensive, "relation": relation,
        "acme": acme, "globex": globex, "customer": customer, "prospect": prospect,
    }  # fmt: skip


def numbers(row: selectors.WinLossRow) -> tuple:
    return (row.label, row.won, row.lost, row.won_value, row.lost_value, row.win_rate, row.value_win_rate)


def report(user, group_by="close_reason", period="", **kw) -> selectors.WinLossReport:
    return selectors.win_loss(user, JAN1, JUN30, group_by, period, **kw)


# --- the selector --------------------------------------------------------------------------


def test_by_close_reason_counts_values_and_win_rates(world):
    result = report(world["anna"])

    assert [numbers(r) for r in result.rows] == [
        ("Best price", 2, 0, D("1300.00"), D("0.00"), D("100.0"), D("100.0")),
        ("Too expensive", 0, 2, D("0.00"), D("2500.00"), D("0.0"), D("0.0")),
        ("Relationship", 1, 1, D("250.50"), D("100.00"), D("50.0"), D("71.5")),
    ]
    assert numbers(result.totals) == ("Total", 3, 3, D("1550.50"), D("2600.00"), D("50.0"), D("37.4"))
    assert [r.key for r in result.rows] == [world["price"].pk, world["expensive"].pk, world["relation"].pk]


def test_by_competitor_puts_the_sales_without_one_last_as_none(world):
    result = report(world["anna"], "competitor")

    assert [numbers(r) for r in result.rows] == [
        ("Acme", 1, 2, D("300.00"), D("2500.00"), D("33.3"), D("10.7")),
        ("Globex", 1, 0, D("250.50"), D("0.00"), D("100.0"), D("100.0")),
        ("(none)", 1, 1, D("1000.00"), D("100.00"), D("50.0"), D("90.9")),
    ]
    assert result.rows[-1].key is None


def test_the_none_group_is_translated(world):
    with translation.override("nl"):
        expected = translation.gettext("(none)")
        assert report(world["anna"], "competitor").rows[-1].label == expected


def test_by_owner(world):
    result = report(world["anna"], "owner")

    assert [numbers(r) for r in result.rows] == [
        ("Anna Jansen", 2, 1, D("1250.50"), D("500.00"), D("66.7"), D("71.4")),
        ("Ben de Vries", 1, 2, D("300.00"), D("2100.00"), D("33.3"), D("12.5")),
    ]
    assert [r.key for r in result.rows] == [world["anna"].pk, world["ben"].pk]


def test_by_account_type_of_the_company(world):
    result = report(world["anna"], "account_type")

    assert [numbers(r) for r in result.rows] == [
        ("Customer", 2, 1, D("1300.00"), D("500.00"), D("66.7"), D("72.2")),
        ("Prospect", 1, 1, D("250.50"), D("2000.00"), D("50.0"), D("11.1")),
        ("(none)", 0, 1, D("0.00"), D("100.00"), D("0.0"), D("0.0")),
    ]


def test_by_pipeline(world):
    result = report(world["anna"], "pipeline")

    assert [numbers(r) for r in result.rows] == [
        ("Projects", 1, 3, D("1000.00"), D("2600.00"), D("25.0"), D("27.8")),
        ("Service", 2, 0, D("550.50"), D("0.00"), D("100.0"), D("100.0")),
    ]


def test_per_month(world):
    result = report(world["anna"], "close_reason", "month")

    assert [(r.period, r.label, r.won, r.lost, r.won_value, r.lost_value) for r in result.rows] == [
        (dt.date(2025, 1, 1), "Best price", 1, 0, D("1000.00"), D("0.00")),
        (dt.date(2025, 1, 1), "Too expensive", 0, 1, D("0.00"), D("500.00")),
        (dt.date(2025, 2, 1), "Relationship", 1, 0, D("250.50"), D("0.00")),
        (dt.date(2025, 4, 1), "Too expensive", 0, 1, D("0.00"), D("2000.00")),
        (dt.date(2025, 5, 1), "Best price", 1, 0, D("300.00"), D("0.00")),
        (dt.date(2025, 6, 1), "Relationship", 0, 1, D("0.00"), D("100.00")),
    ]
    with translation.override("en"):
        assert result.rows[0].period_label == selectors.period_label(dt.date(2025, 1, 1), "month") == "January 2025"
    # the groups over the whole range and the totals do not depend on the split
    whole = report(world["anna"])
    assert [numbers(g) for g in result.groups] == [numbers(r) for r in whole.rows]
    assert numbers(result.totals) == numbers(whole.totals)


def test_per_quarter_and_year(world):
    result = report(world["anna"], "pipeline", "quarter")

    assert [(r.period_label, r.label, r.won, r.lost, r.won_value, r.lost_value, r.win_rate) for r in result.rows] == [
        ("Q1 2025", "Projects", 1, 1, D("1000.00"), D("500.00"), D("50.0")),
        ("Q1 2025", "Service", 1, 0, D("250.50"), D("0.00"), D("100.0")),
        ("Q2 2025", "Projects", 0, 2, D("0.00"), D("2100.00"), D("0.0")),
        ("Q2 2025", "Service", 1, 0, D("300.00"), D("0.00"), D("100.0")),
    ]
    yearly = report(world["anna"], "pipeline", "year")
    assert [(r.period, r.period_label, r.label, r.won, r.lost) for r in yearly.rows] == [
        (dt.date(2025, 1, 1), "2025", "Projects", 1, 3),
        (dt.date(2025, 1, 1), "2025", "Service", 2, 0),
    ]


def test_another_teams_sales_count_for_an_admin_but_not_for_a_salesperson(world):
    mine = report(world["anna"])
    everyone = report(world["root"])
    theirs = report(world["klara"])

    assert (mine.totals.won, mine.totals.lost) == (3, 3)
    assert numbers(everyone.totals) == ("Total", 4, 4, D("6550.50"), D("3300.00"), D("50.0"), D("66.5"))
    assert [numbers(r) for r in everyone.rows][0] == (
        "Best price",
        3,
        0,
        D("6300.00"),
        D("0.00"),
        D("100.0"),
        D("100.0"),
    )
    assert [numbers(r) for r in theirs.rows] == [
        ("Best price", 1, 0, D("5000.00"), D("0.00"), D("100.0"), D("100.0")),
        ("Too expensive", 0, 1, D("0.00"), D("700.00"), D("0.0"), D("0.0")),
    ]
    # the team's manager sees the team, not the other team
    assert numbers(report(world["max"]).totals) == numbers(mine.totals)


def test_filters_by_pipeline_and_owner_and_dates_are_inclusive(world):
    assert numbers(report(world["anna"], pipeline=world["service"]).totals)[1:3] == (2, 0)
    assert numbers(report(world["anna"], owner=world["ben"].pk).totals)[1:5] == (1, 2, D("300.00"), D("2100.00"))
    one_day = selectors.win_loss(world["anna"], dt.date(2025, 6, 30), dt.date(2025, 6, 30), "owner", "")
    assert [numbers(r)[1:3] for r in one_day.rows] == [(0, 1)]
    nothing = selectors.win_loss(world["anna"], dt.date(2020, 1, 1), dt.date(2020, 12, 31), "owner", "month")
    assert nothing.is_empty and nothing.totals.win_rate is None


def test_the_report_is_a_few_queries_however_many_groups(world, django_assert_num_queries):
    user = world["root"]  # an admin needs no team lookup
    with django_assert_num_queries(2):  # whole months: the monthly totals, the group names
        report(user, "competitor", "month")
    with django_assert_num_queries(3):  # and the sales of the days of a month covered in part
        selectors.win_loss(user, dt.date(2025, 1, 1), dt.date(2025, 6, 15), "competitor", "month")
    with django_assert_num_queries(2):  # the account type is the company's: always from the sales
        report(user, "account_type", "quarter")


def test_last_twelve_months():
    assert last_twelve_months(dt.date(2025, 11, 22)) == (dt.date(2024, 12, 1), dt.date(2025, 11, 22))
    assert last_twelve_months(dt.date(2025, 1, 31)) == (dt.date(2024, 2, 1), dt.date(2025, 1, 31))


# --- the page, the chart and the CSV ----------------------------------------------------------


class _Tables(HTMLParser):
    """The cells of the first table, row by row (header, body, footer)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.depth = 0
        self.done = False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "table":
            self.depth += 1
        elif tag == "tr" and self.depth:
            self.rows.append([])
        elif tag in ("td", "th") and self.depth:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.depth:
            self.depth -= 1
            self.done = True

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_of(html: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def page_url(**params) -> str:
    params = {"date_from": "2025-01-01", "date_to": "2025-06-30", **params}
    return reverse("insights:win_loss") + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_the_page_shows_the_table_and_a_well_formed_chart(client, world):
    client.force_login(world["anna"])
    response = client.get(page_url(group_by="close_reason"))

    assert response.status_code == 200
    html = response.content.decode()
    assert table_of(html) == [
        ["Close reason", "Won", "Lost", "Won value", "Lost value", "Win rate % (count)", "Win rate % (value)"],
        ["Best price", "2", "0", "1,300.00", "0.00", "100.0", "100.0"],
        ["Too expensive", "0", "2", "0.00", "2,500.00", "0.0", "0.0"],
        ["Relationship", "1", "1", "250.50", "100.00", "50.0", "71.5"],
        ["Total", "3", "3", "1,550.50", "2,600.00", "50.0", "37.4"],
    ]
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    svg = ET.fromstring(html[start:end])
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "Close reason" in title.text
    assert "Best price: 2 won, 0 lost." in desc.text and "Relationship: 1 won, 1 lost." in desc.text
    bars = svg.findall(f".//{SVG}rect[@class]")
    assert [b.get("class") for b in bars] == ["won", "lost"] * 3
    assert [b.find(f"{SVG}title").text for b in bars][:2] == ["Best price — won: 2", "Best price — lost: 0"]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"Best price", "Too expensive", "Relationship", "Won", "Lost"} <= set(texts)
    assert 'href="/reports/win-loss.csv?' in html


def test_a_period_adds_a_column(client, world):
    client.force_login(world["anna"])
    rows = table_of(client.get(page_url(group_by="pipeline", period="quarter")).content.decode())

    assert rows[0][:2] == ["Quarter", "Sale type (pipeline)"]
    assert rows[1:] == [
        ["Q1 2025", "Projects", "1", "1", "1,000.00", "500.00", "50.0", "66.7"],
        ["Q1 2025", "Service", "1", "0", "250.50", "0.00", "100.0", "100.0"],
        ["Q2 2025", "Projects", "0", "2", "0.00", "2,100.00", "0.0", "0.0"],
        ["Q2 2025", "Service", "1", "0", "300.00", "0.00", "100.0", "100.0"],
        ["", "Total", "3", "3", "1,550.50", "2,600.00", "50.0", "37.4"],
    ]


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("group_by,period", [("competitor", ""), ("owner", "month"), ("account_type", "year")])
def test_the_csv_is_the_table(client, world, group_by, period):
    client.force_login(world["anna"])
    params = {"date_from": "2025-01-01", "date_to": "2025-06-30", "group_by": group_by, "period": period}
    response = client.get(reverse("insights:win_loss_csv"), params)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    exported = read_csv(response)
    shown = table_of(client.get(reverse("insights:win_loss"), params).content.decode())
    # the page groups thousands and shows "—" for a rate of nothing; the file has plain numbers
    assert exported == [[c.replace(",", "").replace("—", "") for c in row] for row in shown]
    result = report(world["anna"], group_by, period)
    assert len(exported) == len(result.rows) + 2
    assert exported[-1][-6:] == ["3", "3", "1550.50", "2600.00", "50.0", "37.4"]


def test_the_csv_respects_visibility(client, world):
    params = {"date_from": "2025-01-01", "date_to": "2025-06-30", "group_by": "owner"}
    client.force_login(world["klara"])
    labels = [row[0] for row in read_csv(client.get(reverse("insights:win_loss_csv"), params))[1:-1]]
    assert labels == [str(world["klara"])]
    client.force_login(world["root"])
    labels = [row[0] for row in read_csv(client.get(reverse("insights:win_loss_csv"), params))[1:-1]]
    assert sorted(labels) == sorted(["Anna Jansen", "Ben de Vries", str(world["klara"])])


def test_defaults_to_the_last_twelve_months(client, world):
    client.force_login(world["anna"])
    response = client.get(reverse("insights:win_loss"))

    assert response.status_code == 200
    start, end = last_twelve_months()
    html = response.content.decode()
    assert f'name="date_from" value="{start.isoformat()}"' in html
    assert f'name="date_to" value="{end.isoformat()}"' in html


def test_an_empty_period_says_so(client, world):
    client.force_login(world["anna"])
    response = client.get(page_url(date_from="2020-01-01", date_to="2020-12-31"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "No sales were won or lost between" in html
    assert "<table" not in html and "<svg" not in html


def test_from_after_to_is_a_form_error(client, world):
    client.force_login(world["anna"])
    response = client.get(page_url(date_from="2025-07-01", date_to="2025-01-01"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date must be on or after the start date." in html
    assert 'value="2025-07-01"' in html  # the user's input stays
    assert "<table" not in html
    csv_response = client.get(reverse("insights:win_loss_csv"), {"date_from": "2025-07-01", "date_to": "2025-01-01"})
    assert csv_response.status_code == 400


def test_unknown_choices_and_other_teams_owners_are_refused(client, world):
    client.force_login(world["anna"])
    for bad in ({"group_by": "colour"}, {"period": "week"}, {"owner": world["klara"].pk}, {"date_to": "tomorrow"}):
        html = client.get(page_url(**bad)).content.decode()
        assert 'class="error"' in html and "<table" not in html, bad
    assert "Select a valid choice" in client.get(page_url(owner=world["klara"].pk)).content.decode()


def test_htmx_gets_the_form_errors_in_the_partial(client, world):
    client.force_login(world["anna"])
    response = client.get(
        page_url(date_from="2025-07-01", date_to="2025-01-01"), headers={"HX-Request": "true", "HX-Target": "report"}
    )

    assert response.status_code == 200  # htmx swaps only successful responses
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report">')
    assert "The end date must be on or after the start date." in html


def test_htmx_gets_the_report_partial_in_as_many_queries_for_more_rows(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world["anna"])
    htmx = {"HX-Request": "true", "HX-Target": "report"}
    client.get(page_url(group_by="pipeline"), headers=htmx)  # warm up the session and site settings
    with CaptureQueriesContext(connection) as few:
        client.get(page_url(group_by="pipeline"), headers=htmx)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_url(group_by="owner", period="month"), headers=htmx)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report">')
    assert "<html" not in html
    assert len(table_of(html)) == 1 + 5 + 1  # header, five month/owner rows, totals
    assert len(many) == len(few) <= 10, [q["sql"] for q in many.captured_queries]


def test_the_page_needs_a_login_and_the_funnel(client, world):
    response = client.get(reverse("insights:win_loss"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(world["anna"])
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    assert client.get(reverse("insights:win_loss")).status_code == 404
    assert client.get(reverse("insights:win_loss_csv")).status_code == 404


# --- the API -------------------------------------------------------------------------------

API = "/api/v1/reports/win-loss"


def test_the_api_returns_the_same_numbers(api_for, world):
    response = api_for(world["anna"]).get(API, date_from="2025-01-01", date_to="2025-06-30", group_by="competitor")

    assert response.status_code == 200
    body = response.json()
    assert body["date_from"] == "2025-01-01" and body["group_by"] == "competitor" and body["period"] is None
    result = report(world["anna"], "competitor")
    assert [(r["label"], r["won"], r["lost"], D(r["won_value"]), D(r["lost_value"])) for r in body["rows"]] == [
        (r.label, r.won, r.lost, r.won_value, r.lost_value) for r in result.rows
    ]
    assert [(r["win_rate"], r["value_win_rate"]) for r in body["rows"]] == [(33.3, 10.7), (100.0, 100.0), (50.0, 90.9)]
    assert [r["key"] for r in body["rows"]] == [world["acme"].pk, world["globex"].pk, None]
    assert body["totals"]["won"] == 3 and body["totals"]["lost"] == 3
    assert D(body["totals"]["won_value"]) == D("1550.50") and body["totals"]["win_rate"] == 50.0


def test_the_api_per_month_for_a_pipeline_and_an_admin(api_for, world):
    response = api_for(world["root"]).get(
        API,
        date_from="2025-01-01",
        date_to="2025-06-30",
        group_by="owner",
        period="month",
        pipeline=world["service"].pk,
    )

    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [(r["period"], r["period_label"], r["key"], r["won"], r["lost"], r["won_value"]) for r in rows] == [
        ("2025-02-01", "February 2025", world["anna"].pk, 1, 0, "250.50"),
        ("2025-04-01", "April 2025", world["klara"].pk, 0, 1, "0.00"),
        ("2025-05-01", "May 2025", world["ben"].pk, 1, 0, "300.00"),
    ]


def test_the_api_does_not_count_another_teams_sales(api_for, world):
    body = api_for(world["klara"]).get(API, date_from="2025-01-01", date_to="2025-06-30").json()
    assert (body["totals"]["won"], body["totals"]["lost"]) == (1, 1)
    refused = api_for(world["klara"]).get(API, owner=world["anna"].pk)
    assert refused.status_code == 422 and "owner" in refused.json()["errors"]


def test_the_api_refuses_bad_input(api_for, world):
    api = api_for(world["anna"])
    backwards = api.get(API, date_from="2025-07-01", date_to="2025-01-01")
    assert backwards.status_code == 422
    assert backwards.json()["errors"] == {"date_to": ["The end date must be on or after the start date."]}
    assert api.get(API, group_by="colour").status_code == 422
    assert api.get(API, period="week").status_code == 422
    assert api.get(API, date_from="yesterday").status_code == 422
    assert api.get(API, pipeline=999999).status_code == 422
    assert api.get(API, pipeline=2**70, owner=-(2**70)).status_code == 422
    assert api.get(API, date_from="0001-01-01", date_to="9999-12-31", period="month").status_code == 200


def test_the_api_needs_auth_and_the_funnel(api_for, world):
    assert api_for(None).get(API).status_code == 401
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    response = api_for(world["anna"]).get(API)
    assert response.status_code == 404 and response.json()["detail"]


# --- the browser -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_salesperson_reads_the_report_in_the_browser(page, world):
    from dealflow.conftest import login

    login(page, "anna")
    page.goto(page_url(group_by="close_reason"))
    page.get_by_label("Group by").select_option("competitor")
    page.get_by_role("rowheader", name="Globex").wait_for()
    page.get_by_label("Period").select_option("quarter")
    page.get_by_role("cell", name="Q2 2025").first.wait_for()
    assert "group_by=competitor" in page.url and "period=quarter" in page.url
    assert page.get_by_role("img", name="Competitor: won and lost sales").is_visible()
    totals = page.locator("table.report tfoot tr").inner_text().split()
    assert totals[-6:] == ["3", "3", "1,550.50", "2,600.00", "50.0", "37.4"]
    shot = os.environ.get("WINLOSS_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)
