"""The forecast: a small fixed set of open and sold sales, targets and snapshots; every number
worked out by hand in the docstrings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from dealflow.core.models import SiteSettings
from dealflow.insights import forecast
from dealflow.insights.models import ForecastSnapshot, PeriodKind, SalesTarget, TargetScope
from dealflow.insights.targets_services import sale_forecast_category_set
from dealflow.sales import services
from dealflow.sales.models import Phase, Pipeline, Sale, SaleStatus

pytestmark = pytest.mark.django_db
D = Decimal
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
Q1_END = dt.date(2026, 3, 31)


def _pipeline(code: str, order: int) -> Pipeline:
    pipeline = Pipeline.objects.create(code=code, name=code.title(), order=order)
    Phase.objects.create(pipeline=pipeline, code="lead", name="Lead", kind=Phase.Kind.INITIAL, order=1, probability=10)
    Phase.objects.create(pipeline=pipeline, code="won", name="Won", kind=Phase.Kind.CLOSING, order=2, probability=100)
    return pipeline


@pytest.fixture
def world(admin_user, salesperson, teammate, manager, outsider) -> dict[str, Any]:
    """Team North: anna, ben (managed by max); team South: klara.

    #  owner  type      status  sale/closed date  amount   prob  category
    1  anna   Projects  open    2026-01-10        1000.00  80    (commit)
    2  anna   Projects  open    2026-01-20         500.00  50    (best case)
    3  ben    Service   open    2026-02-05        2000.00  10    (pipeline)
    4  ben    Projects  open    2026-02-28         300.00  30    commit (set by a manager)
    5  klara  Projects  open    2026-01-15        4000.00  90    (commit)
    6  anna   Projects  open    2026-04-01         100.00  100   outside Q1
    7  anna   Projects  sold    2026-01-31         700.00
    8  ben    Service   sold    2026-03-01         250.00
    9  klara  Projects  sold    2026-02-02         999.00
    10 anna   Projects  lost    2026-01-05        5000.00        not counted
    """
    projects, service = _pipeline("projects", 1), _pipeline("service", 2)

    def sale(owner, pipeline, amount, probability=0, sale_date=None, status=SaleStatus.OPEN, closed=None):
        made = services.sale_create(
            actor=admin_user, data={"title": f"{owner.username} {amount}", "owner": owner, "pipeline": pipeline}
        )
        Sale.objects.filter(pk=made.pk).update(
            amount=D(amount), probability=probability, sale_date=sale_date, status=status, closed_date=closed
        )
        made.refresh_from_db()
        return made

    sale(salesperson, projects, "1000.00", 80, dt.date(2026, 1, 10))
    sale(salesperson, projects, "500.00", 50, dt.date(2026, 1, 20))
    sale(teammate, service, "2000.00", 10, dt.date(2026, 2, 5))
    fourth = sale(teammate, projects, "300.00", 30, dt.date(2026, 2, 28))
    sale_forecast_category_set(actor=manager, sale=fourth, category="commit")
    sale(outsider, projects, "4000.00", 90, dt.date(2026, 1, 15))
    sale(salesperson, projects, "100.00", 100, dt.date(2026, 4, 1))
    sale(salesperson, projects, "700.00", status=SaleStatus.SOLD, closed=dt.date(2026, 1, 31))
    sale(teammate, service, "250.00", status=SaleStatus.SOLD, closed=dt.date(2026, 3, 1))
    sale(outsider, projects, "999.00", status=SaleStatus.SOLD, closed=dt.date(2026, 2, 2))
    sale(salesperson, projects, "5000.00", status=SaleStatus.LOST, closed=dt.date(2026, 1, 5))
    for month in (1, 2, 3):
        SalesTarget.objects.create(
            scope=TargetScope.COMPANY, period_kind=PeriodKind.MONTH, year=2026, period_number=month,
            measure="amount_sold", value=D("1200.00"),
        )  # fmt: skip
    SalesTarget.objects.create(
        scope=TargetScope.USER, user=salesperson, period_kind=PeriodKind.MONTH, year=2026, period_number=1,
        measure="amount_sold", value=D("1000.00"),
    )  # fmt: skip
    return {"anna": salesperson, "ben": teammate, "klara": outsider, "max": manager, "root": admin_user,
            "projects": projects, "service": service}  # fmt: skip


def numbers(cell: forecast.ForecastCell) -> tuple:
    return (cell.unweighted, cell.weighted, cell.commit, cell.best_case, cell.pipeline, cell.target, cell.sold)


def test_per_month_for_a_manager(world):
    """Jan: open 1000 + 500, weighted 800 + 250; commit 1000, best case 500; sold 700; target 1200.
    Feb: open 2000 + 300, weighted 200 + 90; commit 300 (override), pipeline 2000.
    Mar: nothing open; sold 250. Klara's sales (another team) do not count."""
    report = forecast.forecast(world["max"], date_from=JAN, date_to=Q1_END, period="month")
    assert report.periods == [JAN, FEB, MAR]
    cells = report.totals.cells
    assert numbers(cells[JAN]) == (D("1500"), D("1050"), D("1000"), D("500"), D("0"), D("1200"), D("700"))
    assert numbers(cells[FEB]) == (D("2300"), D("290"), D("300"), D("0"), D("2000"), D("1200"), D("0"))
    assert numbers(cells[MAR]) == (D("0"), D("0"), D("0"), D("0"), D("0"), D("1200"), D("250"))
    assert cells[JAN].gap == D("0") and cells[FEB].gap == D("910.00") and cells[MAR].gap == D("950.00")
    assert numbers(report.totals.total) == (D("3800"), D("1340"), D("1300"), D("500"), D("2000"), D("3600"), D("950"))


def test_per_quarter_and_for_an_admin(world):
    """The admin also counts Klara: +4000 open (weighted 3600, commit) and +999 sold."""
    report = forecast.forecast(world["root"], date_from=JAN, date_to=Q1_END, period="quarter")
    assert report.periods == [JAN]
    assert numbers(report.totals.cells[JAN]) == (
        D("7800"), D("4940"), D("5300"), D("500"), D("2000"), D("3600"), D("1949"),
    )  # fmt: skip


def test_by_owner_with_the_owners_target(world):
    report = forecast.forecast(world["max"], date_from=JAN, date_to=Q1_END, group_by="owner")
    by_label = {g.label: g for g in report.groups}
    anna, ben = by_label[str(world["anna"])], by_label[str(world["ben"])]
    assert numbers(anna.cells[JAN]) == (D("1500"), D("1050"), D("1000"), D("500"), D("0"), D("1000"), D("700"))
    assert anna.total.target == D("1000") and ben.total.target is None
    assert numbers(ben.cells[FEB]) == (D("2300"), D("290"), D("300"), D("0"), D("2000"), None, D("0"))
    assert ben.cells[MAR].sold == D("250")
    assert report.totals.cells[JAN].target == D("1200")  # the company target


def test_by_pipeline_and_one_pipeline(world):
    report = forecast.forecast(world["max"], date_from=JAN, date_to=Q1_END, group_by="pipeline")
    totals = {g.label: (g.total.unweighted, g.total.weighted, g.total.sold) for g in report.groups}
    assert totals == {"Projects": (D("1800"), D("1140"), D("700")), "Service": (D("2000"), D("200"), D("250"))}
    only = forecast.forecast(world["max"], date_from=JAN, date_to=Q1_END, pipeline=world["service"])
    assert only.totals.total.unweighted == D("2000") and only.totals.total.sold == D("250")


def test_by_team(world):
    report = forecast.forecast(world["root"], date_from=JAN, date_to=Q1_END, group_by="team")
    totals = {g.label: (g.total.unweighted, g.total.sold) for g in report.groups}
    assert totals == {"North": (D("3800"), D("950")), "South": (D("4000"), D("999"))}


def test_the_forecast_is_a_few_queries_however_many_sales(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        forecast.forecast(world["max"], date_from=JAN, date_to=Q1_END, group_by="owner")


def test_the_weekly_snapshot_stores_the_open_pipeline(world):
    call_command("snapshot_forecast", "--date=2026-01-01")
    call_command("snapshot_forecast", "--date=2026-01-01")  # taken again the same day: replaced
    rows = {
        (s.owner.username, s.pipeline.code, s.month): (
            s.unweighted,
            s.weighted,
            s.commit,
            s.best_case,
            s.pipeline_value,
        )
        for s in ForecastSnapshot.objects.select_related("owner", "pipeline")
    }
    assert rows == {
        ("anna", "projects", JAN): (D("1500"), D("1050"), D("1000"), D("500"), D("0")),
        ("ben", "service", FEB): (D("2000"), D("200"), D("0"), D("0"), D("2000")),
        ("ben", "projects", FEB): (D("300"), D("90"), D("300"), D("0"), D("0")),
        ("klara", "projects", JAN): (D("4000"), D("3600"), D("4000"), D("0"), D("0")),
        ("anna", "projects", dt.date(2026, 4, 1)): (D("100"), D("100"), D("100"), D("0"), D("0")),
    }


def test_the_snapshot_leaves_out_a_month_its_sales_moved_away_from(world):
    """The monthly totals keep a zero row for April once its only sale moves to May; the
    snapshot stores no row for it."""
    Sale.objects.filter(sale_date=dt.date(2026, 4, 1)).update(sale_date=dt.date(2026, 5, 10))
    call_command("snapshot_forecast", "--date=2026-01-01")
    months = {(s.owner.username, s.month) for s in ForecastSnapshot.objects.select_related("owner")}
    assert ("anna", dt.date(2026, 5, 1)) in months
    assert ("anna", dt.date(2026, 4, 1)) not in months


def _snap(taken, month, owner, pipeline, weighted):
    ForecastSnapshot.objects.create(taken_on=taken, month=month, owner=owner, pipeline=pipeline, weighted=D(weighted))


def test_forecast_accuracy_uses_the_last_snapshot_before_the_month(world):
    """Jan: the snapshot of 2025-12-29 (800 + 100; the one of 12-22 is older, the one of 01-05
    too late, Klara's invisible) → 900 forecast, 700 sold, 77.8 %. Feb: 400 → 0 sold. Mar: none."""
    anna, ben, klara, p, s = world["anna"], world["ben"], world["klara"], world["projects"], world["service"]
    _snap(dt.date(2025, 12, 22), JAN, anna, p, "600")
    _snap(dt.date(2025, 12, 29), JAN, anna, p, "800")
    _snap(dt.date(2025, 12, 29), JAN, ben, s, "100")
    _snap(dt.date(2025, 12, 29), JAN, klara, p, "5000")
    _snap(dt.date(2026, 1, 5), JAN, anna, p, "9999")
    _snap(dt.date(2026, 1, 26), FEB, ben, s, "400")
    rows = forecast.forecast_accuracy(world["max"], date_from=JAN, date_to=Q1_END)
    assert [(r.month, r.taken_on, r.forecast, r.sold, r.accuracy) for r in rows] == [
        (JAN, dt.date(2025, 12, 29), D("900"), D("700"), D("77.8")),
        (FEB, dt.date(2026, 1, 26), D("400"), D("0"), D("0.0")),
        (MAR, None, None, D("250"), None),
    ]
    admin = forecast.forecast_accuracy(world["root"], date_from=JAN, date_to=dt.date(2026, 1, 31))
    assert admin[0].forecast == D("5900") and admin[0].sold == D("700")
    only = forecast.forecast_accuracy(world["max"], date_from=JAN, date_to=dt.date(2026, 1, 31), pipeline=s)
    assert only[0].forecast == D("100") and only[0].sold == D("0")


# --- the page --------------------------------------------------------------------------------


def test_the_page_shows_table_chart_and_accuracy(client, world):
    client.force_login(world["max"])
    response = client.get(reverse("insights:forecast"), {"date_from": "2026-01-01", "date_to": "2026-03-31"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="forecast-table"' in html and 'id="forecast-chart"' in html and 'id="forecast-accuracy"' in html
    assert "1,050.00" in html and "1,200.00" in html and "4,000.00" not in html
    assert 'class="target"' in html


def test_the_page_refuses_an_end_before_the_start(client, world):
    client.force_login(world["max"])
    response = client.get(reverse("insights:forecast"), {"date_from": "2026-03-01", "date_to": "2026-01-01"})
    assert "The end date must be on or after the start date." in response.content.decode()


def test_the_page_defaults_to_the_coming_twelve_months(client, world):
    client.force_login(world["anna"])
    response = client.get(reverse("insights:forecast"))
    assert response.status_code == 200
    report = response.context["report"]
    assert len(report.periods) == 12 and report.date_from.day == 1


# --- the API ---------------------------------------------------------------------------------

API = "/api/v1/reports/forecast"


def test_the_api_returns_the_same_numbers(api_for, world):
    response = api_for(world["max"]).get(API, date_from="2026-01-01", date_to="2026-03-31", group_by="owner")
    assert response.status_code == 200
    body = response.json()
    jan = body["totals"][0]
    assert jan["period"] == "2026-01-01"
    assert (D(jan["unweighted"]), D(jan["weighted"]), D(jan["target"]), D(jan["sold"])) == (
        D("1500"), D("1050"), D("1200"), D("700"),
    )  # fmt: skip
    assert {g["label"] for g in body["groups"]} == {str(world["anna"]), str(world["ben"])}


def test_the_api_errors(api_for, world):
    api = api_for(world["max"])
    bad = api.get(API, date_from="2026-03-01", date_to="2026-01-01")
    assert bad.status_code == 422 and "date_to" in bad.json()["errors"]
    assert api.get(API, pipeline=999999).status_code == 404
    assert api.get(API, period="week").status_code == 422
    assert api_for(None).get(API).status_code == 401
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    assert api.get(API).status_code == 404


def test_a_manager_overrides_a_sales_forecast_category_on_the_page(client, world):
    from dealflow.audit.models import AuditEvent

    sale = Sale.objects.get(title="anna 500.00")
    client.force_login(world["max"])
    html = client.get(
        reverse("insights:forecast"), {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    ).content.decode()
    assert 'id="forecast-sales"' in html and "Forecast category of anna 500.00" in html
    url = reverse("insights:forecast_category", args=[sale.pk])
    assert client.post(url, {"category": "commit", "next": "/reports/forecast/"}).status_code == 302
    sale.refresh_from_db()
    assert sale.forecast_category == "commit"
    assert AuditEvent.objects.filter(object_id=sale.pk, changes__forecast_category=[None, "commit"]).exists()
    report = forecast.forecast(world["max"], date_from=JAN, date_to=Q1_END)
    assert report.totals.cells[JAN].commit == D("1500") and report.totals.cells[JAN].best_case == D("0")
    assert client.post(url, {"category": "bogus"}).status_code == 302
    klara_sale = Sale.objects.get(title="klara 4000.00")
    assert (
        client.post(reverse("insights:forecast_category", args=[klara_sale.pk]), {"category": "commit"}).status_code
        == 404
    )
    client.force_login(world["anna"])
    assert client.post(url, {"category": ""}).status_code == 403


# --- the page's tables, built in Python ------------------------------------------------------

# The markup the templates wrote before the rows were built in Python (forecast_html): the
# page must stay the same, value for value, in every language.
PERIOD_ROWS = """{% load i18n %}{% for start, label, c in rows %}
  <tr><th scope="row">{{ label }}</th>
    <td class="num">{{ c.unweighted|floatformat:"2g" }}</td><td class="num">{{ c.weighted|floatformat:"2g" }}</td>
    <td class="num">{{ c.commit|floatformat:"2g" }}</td><td class="num">{{ c.best_case|floatformat:"2g" }}</td>
    <td class="num">{{ c.pipeline|floatformat:"2g" }}</td>
    <td class="num">{% if c.target is None %}—{% else %}{{ c.target|floatformat:"2g" }}{% endif %}</td>
    <td class="num">{{ c.sold|floatformat:"2g" }}</td>
    <td class="num{% if c.gap %} behind{% endif %}">{% if c.gap is None %}—{% else %}{{ c.gap|floatformat:"2g" }}{% endif %}</td></tr>
  {% endfor %}"""
TOTAL_ROW = """{% load i18n %}{% with c=report.totals.total %}<tr><th scope="row">{% translate "Total" %}</th>
    <td class="num">{{ c.unweighted|floatformat:"2g" }}</td><td class="num">{{ c.weighted|floatformat:"2g" }}</td>
    <td class="num">{{ c.commit|floatformat:"2g" }}</td><td class="num">{{ c.best_case|floatformat:"2g" }}</td>
    <td class="num">{{ c.pipeline|floatformat:"2g" }}</td>
    <td class="num">{% if c.target is None %}—{% else %}{{ c.target|floatformat:"2g" }}{% endif %}</td>
    <td class="num">{{ c.sold|floatformat:"2g" }}</td>
    <td class="num">{% if c.gap is None %}—{% else %}{{ c.gap|floatformat:"2g" }}{% endif %}</td></tr>{% endwith %}"""
SALE_ROWS = """{% load i18n %}{% for sale, category in sales %}
  <tr><th scope="row"><a href="{{ sale.get_absolute_url }}">{{ sale.title }}</a></th><td>{{ sale.owner }}</td>
    <td>{{ sale.sale_date|date:"SHORT_DATE_FORMAT" }}</td><td class="num">{{ sale.amount|floatformat:"2g" }}</td>
    <td class="num">{{ sale.probability }} %</td>
    <td>{% if can_override %}<form method="post" action="{% url 'insights:forecast_category' sale.pk %}" class="inline">{% csrf_token %}
      <input type="hidden" name="next" value="{{ request.get_full_path }}">
      <select name="category" aria-label="{% blocktranslate with sale=sale.title %}Forecast category of {{ sale }}{% endblocktranslate %}">
        <option value=""{% if not sale.forecast_category %} selected{% endif %}>{% translate "Follow the probability" %}</option>
        {% for value, label in categories %}<option value="{{ value }}"{% if sale.forecast_category == value %} selected{% endif %}>{{ label }}</option>{% endfor %}
      </select>
      <button type="submit">{% translate "Save" %}</button></form>
      {% else %}{% for value, label in categories %}{% if value == category %}{{ label }}{% endif %}{% endfor %}{% endif %}</td></tr>
  {% endfor %}"""
ACCURACY_ROWS = """{% for a in accuracy %}
  <tr><th scope="row">{{ a.label }}</th><td>{% if a.taken_on %}{{ a.taken_on|date:"SHORT_DATE_FORMAT" }}{% else %}—{% endif %}</td>
    <td class="num">{% if a.forecast is None %}—{% else %}{{ a.forecast|floatformat:"2g" }}{% endif %}</td>
    <td class="num">{{ a.sold|floatformat:"2g" }}</td>
    <td class="num">{% if a.accuracy is None %}—{% else %}{{ a.accuracy|floatformat:1 }}{% endif %}</td></tr>
  {% endfor %}"""


@pytest.mark.parametrize("language", ["en", "nl", "de", "pt"])
@pytest.mark.parametrize("who", ["max", "anna"])
def test_the_tables_built_in_python_are_the_templates_markup(world, language, who):
    """Every table the forecast page builds in Python equals what the templates wrote: amounts,
    dashes, the "behind" mark, dates, the category forms (a manager's) or names (anyone
    else's), with titles and names escaped."""
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.utils import translation

    from dealflow.insights import forecast_html
    from dealflow.insights.models import ForecastCategory

    user = world[who]
    Sale.objects.filter(title="anna 500.00").update(title='Tom & Jerry <b> "quoted"')
    user.first_name = "Ann & <i>"
    user.save()
    _snap(dt.date(2025, 12, 29), JAN, world["anna"], world["projects"], "1234567.8")
    _snap(dt.date(2026, 1, 26), FEB, world["ben"], world["service"], "400")
    request = RequestFactory().get('/reports/forecast/?date_from=2026-01-01&x=<&y="')
    with translation.override(language):
        report = forecast.forecast(user, date_from=JAN, date_to=Q1_END)
        accuracy = forecast.forecast_accuracy(user, date_from=JAN, date_to=Q1_END)
        largest = forecast.largest_open_sales(user, date_from=JAN, date_to=Q1_END)
        sales = [(sale, forecast.effective_category(sale)) for sale in largest]
        can_override = who == "max"
        rows = [(p, label, report.totals.cells[p]) for p, label in report.period_labels]
        context = Context({
            "rows": rows, "report": report, "accuracy": accuracy, "sales": sales, "request": request,
            "categories": ForecastCategory.choices, "can_override": can_override, "csrf_token": "tok&en",
        })  # fmt: skip
        assert forecast_html.period_rows(rows) == Template(PERIOD_ROWS).render(context)
        assert forecast_html.total_row(report.totals.total) == Template(TOTAL_ROW).render(context)
        assert forecast_html.accuracy_rows(accuracy) == Template(ACCURACY_ROWS).render(context)
        built = forecast_html.sale_rows(
            sales, categories=ForecastCategory.choices, can_override=can_override, csrf_token="tok&en",
            back=request.get_full_path(),
        )  # fmt: skip
        assert built == Template(SALE_ROWS).render(context)
    assert "Tom &amp; Jerry &lt;b&gt; &quot;quoted&quot;" in built
    assert any(c.gap for _p, _l, c in rows) and any(a.accuracy is not None for a in accuracy)
    assert ("<select" in built) == can_override


def test_the_page_makes_the_same_queries_however_many_sales_and_months(client, world, django_assert_max_num_queries):
    """The page (table, chart, accuracy, the largest sales with their forms) is a fixed number of
    queries: more sales, snapshots and months do not add any."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world["max"])
    url = reverse("insights:forecast")
    short = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    client.get(url, short)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, short).status_code == 200
    assert len(few.captured_queries) <= 13
    for n in range(25):
        Sale.objects.filter(pk=services.sale_create(
            actor=world["root"], data={"title": f"extra {n}", "owner": world["ben"], "pipeline": world["projects"]}
        ).pk).update(amount=D(n + 1), probability=n * 4, sale_date=dt.date(2026, 1 + n % 12, 3))  # fmt: skip
    _snap(dt.date(2025, 12, 29), JAN, world["anna"], world["projects"], "800")
    _snap(dt.date(2026, 1, 26), FEB, world["ben"], world["service"], "400")
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the snapshots' sums, once there are any
        html = client.get(url, {"date_from": "2026-01-01", "date_to": "2026-12-31"}).content.decode()
    assert html.count('name="category"') == 20
