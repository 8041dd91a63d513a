"""The CRM+ flow end to end in a real Chromium, in Dutch: an administrator sets up a sale type
with lead phases, a close reason and an account type that uses them; a salesperson creates a
company of that type, enters score and values on the Overview tab, completes the phases,
closes with a reason, and finds the won sale in the win/loss report."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from dealflow.accounts.models import Role
from dealflow.accounts.tests.factories import UserFactory
from dealflow.conftest import login
from dealflow.relations.models import AccountType, Company
from dealflow.sales.models import PhaseRecord, Pipeline, Sale

pytestmark = pytest.mark.browser


def nl(text: str) -> str:
    with translation.override("nl"):
        return translation.gettext(text)


def label(text: str) -> re.Pattern[str]:
    """A form label as Django renders it: the translated text, maybe followed by a colon."""
    return re.compile("^" + re.escape(nl(text)) + ":?$", re.IGNORECASE)


def add_phase(page, code: str, name: str, kind: str, probability: int) -> None:
    page.get_by_role("button", name=re.compile(re.escape(nl("Add phase")))).click()
    fill_phase(page.locator("#phase-list > li").last, code, name, kind, probability)


def fill_phase(row, code: str, name: str, kind: str, probability: int) -> None:
    row.get_by_label(label("Code")).fill(code)
    row.get_by_label(label("Name")).fill(name)
    row.get_by_label(label("Kind")).select_option(kind)
    row.get_by_label(label("Default probability (%)")).fill(str(probability))


def test_crm_plus_flow_in_dutch(page, team):
    from playwright.sync_api import expect

    admin = UserFactory(username="beheer", role=Role.ADMIN, language="nl")
    seller = UserFactory(username="anna", language="nl")
    team.members.add(seller)
    page.set_viewport_size({"width": 1280, "height": 1600})

    # 1. Set-up: a sale type with four phases.
    login(page, admin.username)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.goto("/admin/sale-types/new/")
    page.get_by_label(label("Name")).first.fill("Installaties")
    page.get_by_label(label("Code")).first.fill("installaties")
    # A new sale type starts with an initial and a closing phase; fill them, add two between.
    rows = page.locator("#phase-list > li")
    fill_phase(rows.nth(0), "lead", "Lead", "initial", 10)
    fill_phase(rows.nth(1), "afsluiting", "Afsluiting", "closing", 100)
    add_phase(page, "offerte", "Offerte", "regular", 50)
    rows.last.locator("[data-move=up]").click()  # keyboard-reachable button: before Afsluiting
    add_phase(page, "onderhandeling", "Onderhandeling", "regular", 75)
    rows.last.locator("[data-move=up]").click()
    page.get_by_role("button", name=nl("Save"), exact=True).click()
    page.wait_for_url("**/admin/sale-types/")
    pipeline = Pipeline.objects.get(code="installaties")
    assert [p.name for p in pipeline.phases.order_by("order")] == ["Lead", "Offerte", "Onderhandeling", "Afsluiting"]

    # A close reason for won sales.
    page.goto("/admin/close-reasons/new/")
    page.get_by_label(label("Code")).fill("kwaliteit")
    page.get_by_label(label("Name")).fill("Kwaliteit van de offerte")
    page.get_by_label(label("Outcome")).select_option("won")
    page.get_by_role("button", name=nl("Save"), exact=True).click()
    page.wait_for_url("**/admin/close-reasons/")

    # Account types: Klant, and Lead which uses the lead phases and becomes Klant when won.
    for code, name in (("klant", "Klant"), ("lead", "Lead")):
        page.goto("/admin/account-types/new/")
        page.get_by_label(label("Code")).fill(code)
        page.get_by_label(label("Name")).fill(name)
        if code == "lead":
            page.get_by_label(label("uses lead phases")).check()
            page.get_by_label(label("sale type (pipeline)")).select_option(label="Installaties")
            page.get_by_label(label("account type when won")).select_option(label="Klant")
        page.get_by_role("button", name=nl("Save"), exact=True).click()
        page.wait_for_url("**/admin/account-types/")
    lead_type = AccountType.objects.get(code="lead")
    assert lead_type.pipeline == pipeline and lead_type.won_account_type.code == "klant"
    page.get_by_role("button", name=nl("Log out")).click()

    # 2. The salesperson creates a company of type Lead: its first sale starts in "Lead".
    login(page, seller.username)
    page.goto("/companies/new/")
    page.get_by_label(label("name")).fill("Bouwbedrijf De Vries")
    page.get_by_label(label("account type")).select_option(label="Lead")
    page.get_by_role("button", name=nl("Save"), exact=True).click()
    page.wait_for_url(re.compile(r"/companies/\d+/$"))
    company = Company.objects.get(name="Bouwbedrijf De Vries")
    sale = Sale.objects.get(company=company)
    assert sale.phase.code == "lead" and sale.status == "open"

    # 3. The Overview tab: enter score and values, complete phases.
    page.get_by_role("tab", name=nl("Overview")).click()
    overview = page.locator("#overview")
    steps = [("40", "12000", "150", "Offerte"), ("60", "15000", "200", "Onderhandeling"), ("80", "16000", "250", None)]
    for score, value, recurring, next_phase in steps:
        overview.get_by_label(label("Score")).fill(score)
        overview.get_by_label(label("Expected value")).fill(value)
        overview.get_by_label(label("Recurring value")).fill(recurring)
        if next_phase:
            overview.get_by_role("button", name=re.compile("→")).click()
            # The Overview is swapped in place: the values form now names the next phase.
            expect(overview.get_by_role("heading", name=re.compile(next_phase))).to_be_visible()
        else:
            overview.get_by_role("button", name=nl("Save"), exact=True).click()
            expect(overview.get_by_text("80", exact=True)).to_be_visible()
    sale.refresh_from_db()
    assert sale.phase.code == "onderhandeling"
    ladder = list(PhaseRecord.objects.filter(sale=sale).order_by("entered_at", "id"))
    assert [(r.phase.code, r.score, int(r.expected_value)) for r in ladder] == [
        ("lead", 40, 12000),
        ("offerte", 60, 15000),
        ("onderhandeling", 80, 16000),
    ]

    # 4. Close as won with the reason; the company becomes a Klant.
    close_form = overview.locator("form", has=page.get_by_role("heading", name=nl("Close")))
    close_form.get_by_label(label("Outcome")).select_option("won")
    close_form.get_by_label(label("Close reason")).select_option(label="Kwaliteit van de offerte")
    close_form.get_by_role("button", name=nl("Close")).click()
    # Won turned the Lead into a Klant, which has no phases: the card reloads without Overview.
    expect(page.get_by_role("row", name=re.compile(nl("Sold")))).to_be_visible()
    expect(page.get_by_role("tab", name=nl("Overview"))).to_have_count(0)
    sale.refresh_from_db()
    company.refresh_from_db()
    assert sale.status == "sold" and sale.close_reason.code == "kwaliteit"
    assert company.account_type.code == "klant"

    # 5. The win/loss report counts it, grouped by close reason.
    page.goto("/reports/win-loss/?group_by=close_reason&period=")
    table = page.get_by_role("table").first
    row = table.get_by_role("row", name=re.compile("Kwaliteit van de offerte"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("16.000")
