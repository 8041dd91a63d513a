"""The pipeline by phase, now and as it stood on past days (see funnel_data.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from dealflow.insights.pipeline_history import FutureDateError, pipeline_by_phase

from .funnel_data import build

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(salesperson, outsider, admin_user) -> dict[str, Any]:
    return build(salesperson, outsider)


def _cells(report) -> dict[str, tuple[int, Decimal, Decimal]]:
    return {r.phase.code: (r.count, r.value, r.weighted) for r in report.rows}


def test_on_a_past_day_as_the_salesperson(world, salesperson):
    # End of 7 January: S1 still in Qualified (it moved on at midnight), S2 in Qualified, S3 in Lead.
    report = pipeline_by_phase(salesperson, world["pipeline"], dt.date(2025, 1, 7))
    assert _cells(report) == {
        "lead": (1, D("500.00"), D("50.00")),
        "qualified": (2, D("3000.00"), D("900.00")),
        "proposal": (0, D("0.00"), D("0.00")),
    }
    total = report.totals
    assert (total.count, total.value, total.weighted) == (3, D("3500.00"), D("950.00"))


def test_on_a_past_day_as_admin(world, admin_user):
    report = pipeline_by_phase(admin_user, world["pipeline"], dt.date(2025, 1, 7))
    assert _cells(report)["lead"] == (2, D("800.00"), D("80.00"))  # S3 and klara's S5


def test_closed_sales_drop_out(world, salesperson):
    report = pipeline_by_phase(salesperson, world["pipeline"], dt.date(2025, 1, 20))
    assert _cells(report) == {
        "lead": (0, D("0.00"), D("0.00")),
        "qualified": (1, D("800.00"), D("240.00")),
        "proposal": (0, D("0.00"), D("0.00")),
    }
    assert pipeline_by_phase(salesperson, world["pipeline"], dt.date(2024, 11, 30)).is_empty


def test_now(world, salesperson, admin_user):
    assert _cells(pipeline_by_phase(salesperson, world["pipeline"]))["qualified"] == (1, D("800.00"), D("240.00"))
    assert _cells(pipeline_by_phase(admin_user))["lead"] == (1, D("300.00"), D("30.00"))


def test_future_date_is_an_error(world, salesperson):
    with pytest.raises(FutureDateError):
        pipeline_by_phase(salesperson, world["pipeline"], dt.date.today() + dt.timedelta(days=2))


def test_page(world, salesperson, client):
    client.force_login(salesperson)
    url = reverse("insights:pipeline")
    response = client.get(url, {"pipeline": world["pipeline"].pk, "as_of": "2025-01-07"})
    html = response.content.decode()
    assert response.status_code == 200 and "3,000.00" in html or "3000.00" in html
    future = client.get(url, {"as_of": (dt.date.today() + dt.timedelta(days=3)).isoformat()})
    assert "cannot be in the future" in future.content.decode()


# --- API -----------------------------------------------------------------------------------


def test_api_pipeline_and_funnel(world, salesperson, api_for):
    api = api_for(salesperson)
    response = api.get("/api/v1/reports/pipeline", pipeline=world["pipeline"].pk, as_of="2025-01-07")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["value"], body["weighted"]) == (3, "3500.00", "950.00")
    funnel = api.get(
        "/api/v1/reports/funnel", pipeline=world["pipeline"].pk, date_from="2025-01-01", date_to="2025-01-31"
    )
    assert funnel.status_code == 200
    rows = {r["phase"]: r for r in funnel.json()["rows"]}
    assert (rows["Lead"]["entered"], rows["Lead"]["next_rate"], rows["Qualified"]["lost_reasons"]) == (
        4, 75.0, {"Too expensive": 1},
    )  # fmt: skip


def test_api_errors(world, salesperson, api_for):
    api = api_for(salesperson)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert api.get("/api/v1/reports/pipeline", as_of=future).status_code == 422
    assert api.get("/api/v1/reports/pipeline", as_of="2025-13-45").status_code == 422
    assert api.get("/api/v1/reports/funnel", date_from="2025-02-01", date_to="2025-01-01").status_code == 422
    assert api.get("/api/v1/reports/funnel", date_from="nonsense").status_code == 422
    assert api.get("/api/v1/reports/pipeline", pipeline=99999).status_code == 404
    assert api.get("/api/v1/reports/funnel", pipeline=99999).status_code == 404
    from dealflow.core.models import SiteSettings

    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    assert api.get("/api/v1/reports/pipeline").status_code == 404
    assert api.get("/api/v1/reports/funnel").status_code == 404
    assert api_for(None).get("/api/v1/reports/pipeline").status_code == 401


def test_now_weighs_whole_amounts_exactly(salesperson):
    """SQLite keeps 7.00 as the integer 7, so `amount * probability / 100` in SQL divided as integers
    (7 * 10 / 100 = 0): the weighted value is summed as amount × probability and divided here."""
    from dealflow.sales.tests.factories import SaleFactory

    sale = SaleFactory(owner=salesperson, amount=D("7.00"), probability=10)
    SaleFactory(owner=salesperson, pipeline=sale.pipeline, amount=D("10501.00"), probability=33)
    report = pipeline_by_phase(salesperson, sale.pipeline)
    assert (report.totals.value, report.totals.weighted) == (D("10508.00"), D("3466.03"))


def test_now_is_read_from_the_totals_and_matches_the_open_sales(world, salesperson, admin_user):
    """The current pipeline comes from the trigger-kept totals (no query reads sales_sale), and
    equals the open sales summed directly, for a salesperson and for everyone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dealflow.accounts.visibility import scope_by_owner
    from dealflow.sales.models import Sale, SaleStatus

    for user, pipeline in ((salesperson, world["pipeline"]), (admin_user, None)):
        with CaptureQueriesContext(connection) as ctx:
            report = pipeline_by_phase(user, pipeline)
        assert not [q for q in ctx.captured_queries if 'FROM "sales_sale"' in q["sql"]]
        expected: dict[str, tuple[int, Decimal, Decimal]] = {}
        sales = scope_by_owner(Sale.objects.filter(status=SaleStatus.OPEN), user)
        for sale in sales.filter(pipeline=pipeline) if pipeline else sales:
            n, v, w = expected.get(sale.phase.code, (0, D(0), D(0)))
            expected[sale.phase.code] = (n + 1, v + sale.amount, w + sale.amount * sale.probability / 100)
        got = {code: cell for code, cell in _cells(report).items() if cell[0]}
        assert got == {k: (n, v.quantize(D("0.01")), w.quantize(D("0.01"))) for k, (n, v, w) in expected.items()}
        assert got  # the world has open sales for both
