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


def test_group_the_activity_list_and_mark_the_checked_rows_done(page: Any, salesperson: Any) -> None:
    from dealflow.activities.tests.factories import ActivityFactory

    calls = [ActivityFactory(owner=salesperson, kind="call", subject=f"Ring {n}") for n in range(2)]
    meeting = ActivityFactory(owner=salesperson, kind="meeting", subject="Visit the plant")
    login(page, salesperson.username)
    page.goto("/activities/")
    page.get_by_text("Columns and grouping").click()
    page.get_by_label("Group by").select_option(label="Type")
    expect(page.locator("tr.group-head")).to_have_count(2)
    expect(page.locator("tr.group-head").first).to_contain_text("2 activities")
    page.get_by_label("Select Ring 0").check()
    page.get_by_label("Select Ring 1").check()
    page.get_by_label("Action").select_option(label="Mark done")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("2 activities were marked done.")
    expect(page).to_have_url(re.compile(r"group=type"))
    expect(page.locator("tr.activity-row")).to_have_count(1)  # the open ones remain
    assert [Activity.objects.get(pk=a.pk).done for a in (*calls, meeting)] == [True, True, False]


def test_pick_the_company_and_sale_of_an_activity_from_suggestions(page: Any, salesperson: Any) -> None:
    pipeline = pipeline_with_phases()
    acme = CompanyFactory(name="Acme Installations", owner=salesperson)
    other = CompanyFactory(name="Bolt Works", owner=salesperson)
    sale = SaleFactory(title="Cooling for Acme", owner=salesperson, company=acme, pipeline=pipeline)
    SaleFactory(title="Cooling for Bolt", owner=salesperson, company=other, pipeline=pipeline)
    login(page, salesperson.username)
    page.goto("/activities/new/")
    page.get_by_label("Subject").fill("Discuss cooling")
    company = page.locator("#id_company")
    company.fill("Acme")
    expect(page.locator("#id_company-options option")).to_have_count(1)
    company.fill(f"Acme Installations (#{acme.pk})")
    sale_input = page.locator("#id_sale")
    sale_input.click()
    sale_input.fill("Cooling")
    # Narrowed to the chosen company: Bolt's sale is not suggested.
    expect(page.locator("#id_sale-options option")).to_have_count(1)
    label = page.locator("#id_sale-options option").first.get_attribute("value")
    assert label == f"Cooling for Acme · Acme Installations (#{sale.pk})"
    sale_input.fill(label)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Discuss cooling")
    activity = Activity.objects.get()
    assert (activity.company_id, activity.sale_id) == (acme.pk, sale.pk)

    # A sale of another company is refused with a clear message, nothing changes.
    page.goto(activity.get_absolute_url())
    page.locator("#id_sale").fill("Cooling")  # two sales have that in their title
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field.has-error")).to_contain_text("Pick one of the suggestions")
    page.locator("#id_sale").fill("Cooling for Bolt")  # exactly one sale is called that
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field.has-error")).to_contain_text("This sale does not belong to the chosen company.")
    assert Activity.objects.get().sale_id == sale.pk
