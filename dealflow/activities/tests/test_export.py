"""The activities list exported, read back: the rows on screen, with the same filters, and
nothing of another team."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dealflow.insights.tests.screen import read_csv, read_xlsx, screen_rows

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db


def test_activity_export_equals_screen(salesperson, teammate, outsider, client):
    from dealflow.relations.tests.factories import CompanyFactory

    company = CompanyFactory(name="Bakker BV", owner=salesperson)
    ActivityFactory(subject="Call Bakker", owner=salesperson, company=company)
    ActivityFactory(subject="Visit Smit", owner=teammate, kind="meeting")
    ActivityFactory(subject="Old task", owner=salesperson, done=True)
    ActivityFactory(subject="Klara's call", owner=outsider)
    client.force_login(salesperson)
    params = {"status": "open", "sort": "subject"}
    screen = screen_rows(client.get(reverse("activities:activity_list"), params).content.decode(), "activity-list")
    got = read_csv(client.get(reverse("activities:activity_list"), {**params, "format": "csv"}))
    assert got[0] == ["Due", "Type", "Subject", "Company", "Sale", "Owner", "Done"]
    # type, subject, company, sale and owner as on screen ("—" there is empty here)
    assert [[r[1], r[2], r[3] or "—", r[4] or "—", r[5]] for r in got[1:]] == [r[3:8] for r in screen[1:]]
    assert [r[2] for r in got[1:]] == ["Call Bakker", "Visit Smit"]  # not done, not klara's
    assert got[1][3] == "Bakker BV" and got[1][6] == "No"
    xl = read_xlsx(client.get(reverse("activities:activity_list"), {**params, "format": "xlsx", "status": "all"}))
    assert sorted(r[2] for r in xl[1:]) == ["Call Bakker", "Old task", "Visit Smit"]
    client.force_login(outsider)
    assert [r[2] for r in read_csv(client.get(reverse("activities:activity_list"), {"format": "csv"}))[1:]] == [
        "Klara's call"
    ]


def test_activity_list_offers_the_exports(salesperson, client):
    client.force_login(salesperson)
    html = client.get(reverse("activities:activity_list"), {"status": "done"}).content.decode()
    assert "?status=done&amp;format=csv" in html and "format=xlsx" in html
