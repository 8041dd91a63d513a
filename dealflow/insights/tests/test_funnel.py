"""Funnel analytics against numbers worked out by hand (see funnel_data.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from dealflow.core.models import SiteSettings
from dealflow.insights.funnel import funnel

from .funnel_data import build, frozen_now

pytestmark = pytest.mark.django_db
D = Decimal
JAN = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(salesperson, outsider, admin_user) -> dict[str, Any]:
    return build(salesperson, outsider)


def _rows(report) -> dict[str, Any]:
    return {r.phase.code: r for r in report.rows}


def test_funnel_as_the_salesperson(world, salesperson, monkeypatch):
    with frozen_now(monkeypatch):
        report = funnel(salesperson, world["pipeline"], *JAN)
    rows = _rows(report)
    lead, qualified, proposal, closed = rows["lead"], rows["qualified"], rows["proposal"], rows["closed"]
    assert (lead.entered, lead.advanced, lead.next_rate, lead.won, lead.won_rate) == (4, 3, D("75.0"), 1, D("25.0"))
    assert (lead.avg_days, lead.median_days) == (D("3.5"), D("3.0"))  # 2, 4, 6, 2 days
    assert (lead.lost_here, lead.lost_reasons) == (1, [("No budget", 1)])
    assert (qualified.entered, qualified.advanced, qualified.next_rate) == (3, 1, D("33.3"))
    assert (qualified.won, qualified.won_rate) == (1, D("33.3"))
    assert (qualified.avg_days, qualified.median_days) == (D("9.7"), D("5.0"))  # 5, 4 and S4's open 20 days
    assert (qualified.lost_here, qualified.lost_reasons) == (1, [("Too expensive", 1)])
    assert (proposal.entered, proposal.advanced, proposal.won, proposal.avg_days) == (1, 1, 1, D("10.0"))
    assert proposal.lost_here == 0
    assert (closed.entered, closed.won, closed.next_rate, closed.avg_days) == (3, 1, None, None)
    assert report.lost_reasons == [("No budget", 1), ("Too expensive", 1)]
    assert [s.title for s in report.idle] == ["S4"]  # 20 days in Qualified, 10 allowed


def test_funnel_as_admin_counts_everyone(world, admin_user, monkeypatch):
    with frozen_now(monkeypatch):
        lead = _rows(funnel(admin_user, world["pipeline"], *JAN))["lead"]
    assert (lead.entered, lead.advanced, lead.won) == (5, 3, 1)
    assert (lead.avg_days, lead.median_days) == (D("8.4"), D("4.0"))  # 2, 4, 6, 2 and S5's open 28 days


def test_funnel_other_team_sees_only_its_own(world, outsider, monkeypatch):
    with frozen_now(monkeypatch):
        report = funnel(outsider, world["pipeline"], *JAN)
    assert _rows(report)["lead"].entered == 1
    assert _rows(report)["qualified"].entered == 0
    assert report.idle == []


def test_funnel_period_outside_the_data(world, salesperson):
    report = funnel(salesperson, world["pipeline"], dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    rows = _rows(report)
    assert (rows["lead"].entered, rows["lead"].lost_here, rows["closed"].entered) == (1, 1, 1)  # S6 only


def test_funnel_page_and_exports(world, salesperson, client, monkeypatch):
    client.force_login(salesperson)
    url = reverse("insights:funnel")
    params = {"pipeline": world["pipeline"].pk, "date_from": "2025-01-01", "date_to": "2025-01-31"}
    response = client.get(url, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Too expensive: 1" in html and 'id="funnel-chart"' in html and "S4" in html
    assert "format=csv" in html and "format=xlsx" in html
    bad = client.get(url, {**params, "date_to": "2024-01-01"})
    assert "on or after the start date" in bad.content.decode()


def test_funnel_off_is_404(world, salesperson, client):
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    client.force_login(salesperson)
    assert client.get(reverse("insights:funnel")).status_code == 404
