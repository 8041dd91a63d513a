"""The forecast and targets exports, read back, equal the tables on screen and leave out what
the user may not see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from dealflow.insights import targets_services
from dealflow.insights.models import Measure, PeriodKind, SalesTarget
from dealflow.sales.models import Sale, SaleStatus
from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases

from .screen import plain, read_csv, read_xlsx, screen_rows

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(salesperson, outsider) -> dict[str, Any]:
    """anna: open 1000 at 50 % due 15 Jan 2030, open 2000 at 80 % due 10 Feb 2030, sold 600 on
    20 Jan 2030; klara (another team): open 5000 at 50 % due 5 Jan 2030. Company target for
    January 2030: 3000."""
    pipeline = pipeline_with_phases(code="fx")

    def sale(owner, title, amount, probability, day, status=SaleStatus.OPEN):
        s = SaleFactory(owner=owner, pipeline=pipeline, title=title, amount=D(amount))
        fields: dict[str, Any] = {"probability": probability, "sale_date": day}
        if status == SaleStatus.SOLD:
            fields.update(status=status, closed_date=day)
        Sale.objects.filter(pk=s.pk).update(**fields)

    sale(salesperson, "A1", "1000", 50, dt.date(2030, 1, 15))
    sale(salesperson, "A2", "2000", 80, dt.date(2030, 2, 10))
    sale(salesperson, "A3", "600", 100, dt.date(2030, 1, 20), SaleStatus.SOLD)
    sale(outsider, "K1", "5000", 50, dt.date(2030, 1, 5))
    SalesTarget.objects.create(scope="company", year=2030, period_kind=PeriodKind.MONTH, period_number=1,
                               measure=Measure.AMOUNT_SOLD, value=D("3000"))  # fmt: skip
    return {"pipeline": pipeline}


FORECAST = {"date_from": "2030-01-01", "date_to": "2030-03-31", "period": "month", "group_by": ""}


def test_forecast_export_equals_screen(world, salesperson, client):
    client.force_login(salesperson)
    html = client.get(reverse("insights:forecast"), FORECAST).content.decode()
    screen = screen_rows(html, "forecast-table")
    got = read_csv(client.get(reverse("insights:forecast"), {**FORECAST, "format": "csv"}))
    assert got[0][1:] == screen[0]
    totals = [r for r in got[1:] if r[0] == "Total"]
    assert [r[1:] for r in totals] == [[plain(c) for c in row] for row in screen[1:]]
    # by hand: January 1000 at 50 % (best case), sold 600, target 3000 → 1900 still to find;
    # February 2000 at 80 % (commit); klara's 5000 is nowhere.
    assert totals[0][2:] == ["1000.00", "500.00", "0.00", "1000.00", "0.00", "3000.00", "600.00", "1900.00"]
    assert totals[1][2:] == ["2000.00", "1600.00", "2000.00", "0.00", "0.00", "", "0.00", ""]
    assert totals[-1][2:] == ["3000.00", "2100.00", "2000.00", "1000.00", "0.00", "3000.00", "600.00", "300.00"]
    assert not any("5000" in c for r in got for c in r)
    xl = read_xlsx(client.get(reverse("insights:forecast"), {**FORECAST, "format": "xlsx"}))
    assert [[str(c) for c in r[:2]] for r in xl] == [r[:2] for r in got]
    assert xl[-1][2:] == [3000, 2100, 2000, 1000, 0, 3000, 600, 300]


def test_forecast_export_by_owner_leaves_out_other_teams(world, salesperson, outsider, client):
    client.force_login(salesperson)
    rows = read_csv(client.get(reverse("insights:forecast"), {**FORECAST, "group_by": "owner", "format": "csv"}))
    assert {r[0] for r in rows[1:]} == {str(salesperson), "Total"}
    html = client.get(reverse("insights:forecast"), {**FORECAST, "group_by": "owner"}).content.decode()
    groups = screen_rows(html, "forecast-groups")[1:]
    own_total = next(r for r in rows if r[0] == str(salesperson) and r[1] == "Total")
    assert [groups[0][0], *own_total[2:7], own_total[7], own_total[8]] == [plain(c) for c in groups[0]]
    client.force_login(outsider)
    rows = read_csv(client.get(reverse("insights:forecast"), {**FORECAST, "format": "csv"}))
    assert rows[-1][2] == "5000.00"


def test_forecast_export_with_bad_filters_is_refused(world, salesperson, client):
    client.force_login(salesperson)
    bad = {**FORECAST, "date_to": "2029-01-01", "format": "csv"}
    assert client.get(reverse("insights:forecast"), bad).status_code == 400


def test_targets_export_equals_screen(world, manager, salesperson, outsider, admin_user, client):
    targets_services.target_row_save(
        actor=manager, scope="user", user=salesperson, year=2030, values=targets_services.spread_evenly(D("1200"))
    )
    targets_services.target_row_save(actor=admin_user, scope="user", user=outsider, year=2030, values=[D("7")] * 12)
    client.force_login(manager)
    params = {"year": 2030, "measure": Measure.AMOUNT_SOLD}
    screen = screen_rows(client.get(reverse("insights:targets"), params).content.decode(), "targets-grid")
    got = read_csv(client.get(reverse("insights:targets"), {**params, "format": "csv"}))
    assert [r[0] for r in got[1:]] == [r[0] for r in screen[1:]]
    assert str(outsider) not in [r[0] for r in got]
    anna = next(r for r in got if r[0] == str(salesperson))
    shown = next(r for r in screen if r[0] == str(salesperson))
    assert anna[1:13] == shown[2:14] == ["100.00"] * 12  # the months (inputs on screen)
    assert anna[13:18] == [plain(c) for c in shown[14:19]] == ["300.00"] * 4 + ["1200.00"]
    assert anna[18] == "No"
    xl = read_xlsx(client.get(reverse("insights:targets"), {**params, "format": "xlsx"}))
    assert xl[0][0] == "Row" and [r[0] for r in xl] == [r[0] for r in got]
    assert next(r for r in xl if r[0] == str(salesperson))[17] == 1200
