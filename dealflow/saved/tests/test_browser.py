"""Work through a call list in a real Chromium: add three companies to a static selection from
their cards, open it as a call list, step with Next (button and key) and see the position."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealflow.activities.models import Activity
from dealflow.conftest import login
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.saved import services
from dealflow.saved.models import Selection

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_work_through_a_call_list(page, salesperson):
    companies = [
        CompanyFactory(name=name, owner=salesperson, phone="030 123") for name in ("Alpha", "Bravo", "Charlie")
    ]
    Activity.objects.create(subject="Call back", owner=salesperson, company=companies[2],
                            starts_at=timezone.now() - dt.timedelta(hours=3))  # fmt: skip
    services.selection_create(actor=salesperson, data={"name": "Call today", "entity": "company", "kind": "static"})
    login(page, salesperson.username)
    for company in companies:
        page.goto(company.get_absolute_url())
        page.get_by_role("button", name="Add to selection").click()
        expect(page.get_by_role("status")).to_contain_text("Added to “Call today”")
    page.get_by_role("button", name="Favourite").click()
    expect(page.get_by_role("button", name="Favourite")).to_have_attribute("aria-pressed", "true")
    assert Selection.objects.get().members.count() == 3


@pytest.mark.django_db(transaction=True)
def test_work_through_a_call_list_on_the_cards_in_dutch(page, salesperson):
    """The call list opens each member's own card with the panel beside it (in Dutch)."""
    companies = [
        CompanyFactory(name=name, owner=salesperson, phone="030 123") for name in ("Alpha", "Bravo", "Charlie")
    ]
    Activity.objects.create(subject="Terugbellen", owner=salesperson, company=companies[2],
                            starts_at=timezone.now() - dt.timedelta(hours=3))  # fmt: skip
    selection = services.selection_create(
        actor=salesperson, data={"name": "Bellen vandaag", "entity": "company", "kind": "static"},
        members=[c.pk for c in companies],
    )  # fmt: skip
    salesperson.language = "nl"
    salesperson.save(update_fields=["language"])
    login(page, salesperson.username)
    page.goto("/selections/")
    page.get_by_role("link", name="Openen als bellijst").click()
    expect(page).to_have_url(re.compile(rf"/companies/{companies[0].pk}/\?selection={selection.pk}&i=1$"))
    expect(page.locator("h1")).to_contain_text("Alpha")  # the real company card
    panel = page.get_by_role("complementary", name="Bellijst")
    expect(panel.locator("#position")).to_have_text("1 van 3")
    expect(panel.locator("li.overdue")).to_have_text(re.compile(r"Charlie\s+Te laat"))
    panel.get_by_role("link", name="Volgende ›").click()
    expect(page.locator("h1")).to_contain_text("Bravo")
    expect(panel.locator("#position")).to_have_text("2 van 3")
    page.keyboard.press("j")
    expect(page.locator("h1")).to_contain_text("Charlie")
    expect(panel.locator("#position")).to_have_text("3 van 3")
    expect(panel.locator(".current-overdue")).to_contain_text("Te laat")
    expect(panel.locator("[aria-current=true]")).to_have_text("Charlie")
    expect(panel.get_by_text("Volgende ›")).to_have_attribute("aria-disabled", "true")
    page.screenshot(path="/tmp/calllist.png", full_page=True)
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("h1")).to_contain_text("Bravo")
    panel.get_by_role("link", name="Vorige").click()
    expect(page.locator("h1")).to_contain_text("Alpha")
    expect(panel.locator("#position")).to_have_text("1 van 3")
    # Editing the member on the way comes back to its card with the call list.
    page.get_by_role("link", name="Bewerken").click()
    page.get_by_label("Telefoon").fill("030 999")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("h1")).to_contain_text("Alpha")
    expect(panel.locator("#position")).to_have_text("1 van 3")
    expect(page).to_have_url(re.compile(rf"\?selection={selection.pk}&i=1$"))


@pytest.mark.django_db(transaction=True)
def test_save_and_reopen_a_grouped_view_of_sales(page, salesperson):
    from decimal import Decimal

    from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases

    pipeline = pipeline_with_phases()
    for amount in ("100", "250"):
        SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal(amount))
    login(page, salesperson.username)
    page.goto("/sales/")
    page.get_by_text("Columns and grouping").click()
    page.get_by_label("Group by").select_option(label="Lead phase")
    expect(page.locator("tr.group-head")).to_have_count(1)
    expect(page.locator("tr.group-head")).to_contain_text("2 sales")
    expect(page.locator("tr.group-head")).to_contain_text("350.00")
    page.get_by_text("Save view", exact=True).first.click()
    page.get_by_label("Name").fill("By phase")
    page.get_by_label("Make it my default view").check()
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("navigation", name="Saved views").get_by_role("link", name="By phase")).to_be_visible()

    page.goto("/sales/")  # the default view applies
    expect(page.locator("tr.group-head")).to_contain_text("2 sales")
    expect(page).to_have_url(re.compile(r"group=phase"))
    page.goto("/sales/?group=&cols=amount")
    expect(page.locator("tr.group-head")).to_have_count(0)
    page.get_by_role("link", name="By phase").click()
    expect(page.locator("tr.group-head")).to_have_count(1)
