"""Exports read back equal the rows on screen, and respect who may see what."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealflow.insights.funnel import funnel
from dealflow.insights.pipeline_history import pipeline_by_phase
from dealflow.insights.views_funnel import funnel_table, pipeline_table

from .funnel_data import build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(salesperson, outsider, admin_user) -> dict[str, Any]:
    return build(salesperson, outsider)


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    return [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _s(rows):
    return [["" if v is None else str(v) for v in row] for row in rows]


def test_pipeline_export_equals_screen(world, salesperson, client):
    client.force_login(salesperson)
    params = {"pipeline": world["pipeline"].pk, "as_of": "2025-01-07"}
    expected = _s(
        pipeline_table(pipeline_by_phase(salesperson, world["pipeline"], __import__("datetime").date(2025, 1, 7)))
    )
    got_csv = _csv(client.get(reverse("insights:pipeline"), {**params, "format": "csv"}))
    assert got_csv == expected
    assert got_csv[-1] == ["Total", "", "3", "3500.00", "950.00"]
    got_xlsx = _xlsx(client.get(reverse("insights:pipeline"), {**params, "format": "xlsx"}))
    assert got_xlsx[-1] == ["Total", "", 3, 3500, 950]
    assert len(got_xlsx) == len(expected)


def test_funnel_export_equals_screen(world, salesperson, client):
    client.force_login(salesperson)
    params = {"pipeline": world["pipeline"].pk, "date_from": "2025-01-01", "date_to": "2025-01-31", "format": "csv"}
    import datetime as dt

    report = funnel(salesperson, world["pipeline"], dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    got = _csv(client.get(reverse("insights:funnel"), params))
    expected = _s(funnel_table(report))
    assert [r[:6] for r in got] == [r[:6] for r in expected]  # the days move with the clock for open stays
    assert got[1][:6] == ["Lead", "4", "3", "75.0", "1", "25.0"]


def test_sales_list_export_respects_visibility_and_filters(world, salesperson, outsider, client):
    client.force_login(salesperson)
    rows = _csv(client.get(reverse("sales:sale_list"), {"format": "csv", "status": "open"}))
    assert [r[0] for r in rows[1:]] == ["S4"]  # S5 is klara's; the others are closed
    xl = _xlsx(client.get(reverse("sales:sale_list"), {"format": "xlsx", "status": "open"}))
    assert [r[0] for r in xl[1:]] == ["S4"] and xl[1][6] == Decimal("800") or xl[1][6] == 800
    client.force_login(outsider)
    assert [r[0] for r in _csv(client.get(reverse("sales:sale_list"), {"format": "csv", "status": "open"}))[1:]] == [
        "S5"
    ]


def test_company_and_person_exports(salesperson, outsider, client):
    from dealflow.relations.tests.factories import CompanyFactory

    CompanyFactory(name="Bakker BV", owner=salesperson)
    CompanyFactory(name="Smit BV", owner=outsider)
    client.force_login(salesperson)
    rows = _csv(client.get(reverse("relations:company_list"), {"format": "csv"}))
    assert [r[0] for r in rows[1:]] == ["Bakker BV"]
    assert _xlsx(client.get(reverse("relations:person_list"), {"format": "xlsx"}))[0][0] == "Name"


def test_win_loss_excel_equals_csv(world, salesperson, client):
    import datetime as dt

    client.force_login(salesperson)
    today = dt.date.today().isoformat()  # the services closed the sales today
    params = {"date_from": "2025-01-01", "date_to": today}
    xl = _xlsx(client.get(reverse("insights:win_loss"), {**params, "format": "xlsx"}))
    assert _s(xl) == _csv(client.get(reverse("insights:win_loss_csv"), params))
    assert xl[-1][:3] == ["Total", "1", "3"]  # S1 won; S2, S3, S6 lost
