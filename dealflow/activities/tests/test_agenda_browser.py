"""A busy week in a real Chromium: each day shows its first activities and "N more", which opens
that day; a day with more than the day view shows links to all of them in the activity list."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealflow.activities import selectors
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.conftest import login
from dealflow.relations.tests.factories import CompanyFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_n_more_opens_the_day_and_the_day_opens_all_in_the_list(page: Any, salesperson: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "WEEK_CAP", 4)
    monkeypatch.setattr(selectors, "DAY_CAP", 6)
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    wednesday = monday + dt.timedelta(days=2)
    firm = CompanyFactory(name="Acme Installations", owner=salesperson)
    for n in range(9):
        moment = timezone.make_aware(dt.datetime.combine(wednesday, dt.time(8 + n)))
        ActivityFactory(owner=salesperson, company=firm, subject=f"Call {n + 1}", starts_at=moment)
    ActivityFactory(
        owner=salesperson,
        subject="Quiet Friday",
        starts_at=timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=4), dt.time(10))),
    )
    login(page, salesperson.username)

    page.goto(f"/agenda/?view=week&date={monday.isoformat()}")
    day = page.locator(f"#day-{wednesday:%Y%m%d}").locator("xpath=..")
    expect(day.locator("li.activity-item")).to_have_count(4)
    expect(day.locator("li.activity-item").first).to_contain_text("Call 1")
    expect(day.locator("li.activity-item").first).to_contain_text("Acme Installations")
    more = day.get_by_role("link", name=re.compile(r"^5 more"))
    expect(more).to_be_visible()
    # The agenda loads only the layout's stylesheet: its days are boxes and its lists bare lines.
    expect(day).to_have_css("border-top-style", "solid")
    expect(day.locator("ul.activity-items")).to_have_css("list-style-type", "none")
    expect(day.locator("li.activity-item").first).to_have_css("display", "block")

    more.click()
    page.wait_for_url(re.compile(rf"view=day&date={wednesday.isoformat()}"))
    expect(page.locator("li.activity-item")).to_have_count(6)
    expect(page.locator(".agenda-more")).to_contain_text("The first 6 of 9 activities of this day.")
    page.get_by_role("link", name="Show them all in the activity list").click()
    page.wait_for_url(re.compile(r"/activities/\?"))
    expect(page.locator("tr.activity-row")).to_have_count(9)
    expect(page.get_by_text("9 activities")).to_be_visible()
