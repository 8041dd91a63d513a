"""Follow-up in a real Chromium: plan an activity from the sale card (with the "n a" shortcut),
and find it overdue and red at the top of the agenda once its time has passed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealflow.activities.models import Activity
from dealflow.conftest import login
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_activity_from_a_sale_card_is_overdue_and_red_on_the_agenda(page: Any, salesperson: Any) -> None:
    company = CompanyFactory(name="Acme Installations", owner=salesperson)
    sale = SaleFactory(title="Cooling for Acme", owner=salesperson, company=company, pipeline=pipeline_with_phases())
    login(page, "anna")
    page.goto(f"/sales/{sale.pk}/")
    section = page.get_by_role("region", name="Activities")
    expect(section).to_contain_text("No activities yet.")
    page.locator("body").press("n")
    page.locator("body").press("a")
    page.wait_for_url(re.compile(r"/activities/new/\?sale="))
    page.get_by_label("Subject").fill("Call about the offer")
    page.get_by_label("Type").select_option("call")
    past = timezone.localtime() - dt.timedelta(hours=2)
    page.get_by_label("Due").fill(past.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/sales/{sale.pk}/")
    activity = Activity.objects.get()
    assert activity.sale_id == sale.pk and activity.company_id == company.pk
    item = page.locator(f"#activity-{activity.pk}")
    expect(item).to_have_class(re.compile(r"\boverdue\b"))
    expect(item).to_contain_text("Overdue")

    page.get_by_role("link", name="Agenda").first.click()
    overdue = page.get_by_role("region", name="Overdue")
    expect(overdue).to_contain_text("Call about the offer")
    row = overdue.locator(f"#activity-{activity.pk}")
    expect(row).to_have_class(re.compile(r"\boverdue\b"))
    color = row.locator("a").first.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(180, 35, 24)", color
    expect(row.locator(".overdue-mark")).to_have_text("Overdue")

    # Done from the agenda: the red goes away without a page load.
    row.get_by_role("button", name=re.compile("Mark done")).click()
    expect(page.locator(f"#activity-{activity.pk}")).not_to_have_class(re.compile(r"\boverdue\b"))
    assert Activity.objects.get().done
