"""The projects list exported, read back: the rows on screen, and nothing of another team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dealflow.insights.tests.screen import read_csv, read_xlsx, screen_rows

from .factories import CompanyFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_project_export_equals_screen(salesperson, teammate, outsider, client):
    mine = CompanyFactory(name="Bakker BV", owner=salesperson)
    ProjectFactory(name="Shop refit", company=mine, start_date=dt.date(2030, 3, 1), status="active")
    ProjectFactory(name="Warehouse", company=CompanyFactory(name="De Vries", owner=teammate))
    ProjectFactory(name="Archived one", company=mine, archived=True)
    ProjectFactory(name="Klara's project", company=CompanyFactory(name="Smit BV", owner=outsider))
    client.force_login(salesperson)
    screen = screen_rows(client.get(reverse("relations:project_list")).content.decode(), "list")
    got = read_csv(client.get(reverse("relations:project_list"), {"format": "csv"}))
    assert got[0] == ["Name", "Company", "Status", "Start date", "End date", "Owner"]
    assert [r[:3] for r in got[1:]] == [r[:3] for r in screen[1:]]
    assert [r[0] for r in got[1:]] == ["Shop refit", "Warehouse"]
    assert got[1][3] == "2030-03-01" and got[1][5] == str(salesperson)
    xl = read_xlsx(client.get(reverse("relations:project_list"), {"format": "xlsx", "q": "shop"}))
    assert [r[0] for r in xl] == ["Name", "Shop refit"] and xl[1][3] == dt.datetime(2030, 3, 1)
    client.force_login(outsider)
    assert [r[0] for r in read_csv(client.get(reverse("relations:project_list"), {"format": "csv"}))[1:]] == [
        "Klara's project"
    ]
