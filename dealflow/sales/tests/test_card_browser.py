"""The sale card and the company Overview in a real Chromium, in German.

The expected words come from the same catalogue the server uses (gettext under "de"), so the
tests read what a German user reads, whether or not a string is translated yet."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from playwright.sync_api import expect

from dealflow.audit.models import AuditEvent
from dealflow.conftest import login
from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory, PersonFactory
from dealflow.sales import services
from dealflow.sales.models import Outcome, Sale, SaleStatus
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    CompetitorFactory,
    GuideStepFactory,
    SaleFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SCREENSHOTS = Path("/tmp")


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


def de_date(value: dt.date) -> str:
    with translation.override("de"):
        return date_format(value, "DATE_FORMAT")


@pytest.fixture
def world(salesperson: Any) -> dict[str, Any]:
    salesperson.first_name, salesperson.last_name, salesperson.language = "Anna", "Jansen", "de"
    salesperson.save(update_fields=["first_name", "last_name", "language"])
    pipeline = pipeline_with_phases(name="Projektgeschäft")
    phases = phases_of(pipeline)
    account_type = AccountTypeFactory(code="lead", name="Lead", uses_lead_phases=True, pipeline=pipeline)
    company = CompanyFactory(name="Bäckerei Schmidt GmbH", owner=salesperson, account_type=account_type)
    person = PersonFactory(first_name="Petra", last_name="Schmidt", company=company, owner=salesperson)
    sale = SaleFactory(
        title="Kühlanlage Filiale Nord",
        owner=salesperson,
        company=company,
        person=person,
        pipeline=pipeline,
        amount=Decimal("48500.00"),
        recurring_value=Decimal("350.00"),
        score=40,
        note="Entscheidung im Frühjahr.",
    )
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=phases["qualified"], score=65,
                                expected_value=Decimal("52000.00"))  # fmt: skip
    GuideStepFactory(phase=phases["qualified"], text="Bedarf vor Ort aufnehmen", order=10)
    GuideStepFactory(phase=phases["qualified"], text="Angebot vorbereiten", order=20, days_after=3)
    services.stakeholder_add(actor=salesperson, sale=Sale.objects.get(pk=sale.pk), person=person, role="Einkauf")
    return {
        "sale": Sale.objects.get(pk=sale.pk),
        "company": company,
        "phases": phases,
        "stall": StallReasonFactory(name="Budget erst nächstes Jahr"),
        "lost": CloseReasonFactory(code="price", name="Zu teuer", outcome=Outcome.LOST),
        "won": CloseReasonFactory(code="fit", name="Beste Lösung", outcome=Outcome.WON),
        "competitor": CompetitorFactory(name="Kältetechnik Meyer"),
    }


def open_dialog(page: Any, button: str) -> Any:
    page.get_by_role("link", name=button, exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    return dialog


def test_stall_reopen_and_lose_a_sale_in_german(page: Any, world: dict[str, Any], live_server: Any) -> None:
    sale = world["sale"]
    login(page, "anna")
    page.goto(f"/sales/{sale.pk}/")

    # The card speaks German: its tabs, the ladder, the Note dot.
    assert page.locator("html").get_attribute("lang") == "de"
    tabs = page.get_by_role("tablist")
    for name in ("Sale", "Details", "More", "Links"):
        assert tabs.get_by_role("tab", name=de(name), exact=True).is_visible()
    assert page.get_by_role("tab", name=re.compile(re.escape(de("Note")))).locator(".dot").count() == 1
    assert page.locator(".ladder [aria-current=step]").inner_text().startswith("Qualified")

    # Arrow keys move between the tabs.
    page.get_by_role("tab", name=de("Sale"), exact=True).focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name=de("Details"), exact=True).get_attribute("aria-selected") == "true"
    assert page.locator("#panel-details").is_visible() and not page.locator("#panel-sale").is_visible()
    page.keyboard.press("ArrowLeft")

    # Stall it with a reopen date and a reason.
    reopen = timezone.localdate() + dt.timedelta(days=30)
    dialog = open_dialog(page, de("Stall"))
    dialog.get_by_label(de("Reopen date")).fill(reopen.isoformat())
    dialog.get_by_label(de("Reason (stalled)")).select_option(label="Budget erst nächstes Jahr")
    dialog.get_by_role("button", name=de("Stall")).click()
    page.wait_for_selector(".status-stalled")
    head = page.locator(".sale-head")
    assert de("Stalled") in head.inner_text()
    note = page.locator("#stall-note").inner_text()
    assert de_date(reopen) in note and "Budget erst nächstes Jahr" in note
    assert page.get_by_role("link", name=de("Change phase"), exact=True).count() == 0

    # Reopen it: a confirmation, then open again.
    dialog = open_dialog(page, de("Reopen"))
    dialog.get_by_role("button", name=de("Reopen")).click()
    page.wait_for_selector(".sale-head .status-open")
    assert de("Open") in page.locator(".sale-head .status").inner_text()

    # Mark it lost to a competitor: a won-only reason is not offered for a lost sale.
    dialog = open_dialog(page, de("Mark lost"))
    reasons = dialog.get_by_label(de("Close reason"))
    expect(reasons.locator("option", has_text="Beste Lösung")).to_be_disabled()
    reasons.select_option(label="Zu teuer")
    dialog.get_by_label(de("Competitor")).select_option(label="Kältetechnik Meyer")
    dialog.get_by_role("button", name=de("Mark lost")).click()
    page.wait_for_selector(".sale-head .status-lost")
    closed = page.locator("#close-note").inner_text()
    assert "Zu teuer" in closed and "Kältetechnik Meyer" in closed
    assert de("Lost") in page.locator(".sale-head .status").inner_text()
    assert page.locator(".ladder [aria-current=step]").inner_text().startswith("Closing")

    sale.refresh_from_db()
    assert sale.status == SaleStatus.LOST and sale.competitor == world["competitor"]
    messages = [e.message for e in AuditEvent.objects.filter(object_type="sale", object_id=sale.pk).order_by("id")]
    assert messages[-3:] == ["stall", "reopen", "phase"]

    page.get_by_role("tab", name=de("Sale"), exact=True).click()
    page.screenshot(path=str(SCREENSHOTS / "sale_card.png"), full_page=True)


def test_overview_tab_enter_values_and_complete_a_phase(page: Any, world: dict[str, Any]) -> None:
    company = world["company"]
    login(page, "anna")
    page.goto(f"/companies/{company.pk}/")
    page.get_by_role("tab", name=de("Overview")).click()
    panel = page.locator("#overview")
    assert panel.is_visible()
    assert panel.locator(".funnel [aria-current=step]").inner_text().startswith("Qualified")

    # A refused value stays on screen with its message; nothing is saved.
    panel.get_by_label(de("Score")).fill("101")
    panel.get_by_role("button", name=de("Save"), exact=True).click()
    page.wait_for_selector("#overview .has-error")
    assert panel.get_by_label(de("Score")).input_value() == "101"

    panel.get_by_label(de("Score")).fill("80")
    panel.get_by_role("button", name=de("Complete phase → %(phase)s") % {"phase": "Proposal"}).click()
    expect(panel.locator(".funnel [aria-current=step]")).to_contain_text("Proposal")
    qualified = panel.locator(".funnel li").nth(1)
    assert "80" in qualified.inner_text()
    assert page.url.endswith(f"/companies/{company.pk}/?tab=overview")
    assert "Proposal" in page.locator("#sales").inner_text()  # the card's sales list follows

    panel.get_by_label(de("Expected value")).fill("61000")
    panel.get_by_role("button", name=de("Save"), exact=True).click()
    expect(page.locator("#overview [role=status]")).to_have_text(de("Saved."))
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    assert Sale.objects.get(pk=world["sale"].pk).amount == Decimal("61000.00")


def test_quick_create_shortcut_n_then_s(page: Any, world: dict[str, Any]) -> None:
    login(page, "anna")
    page.goto("/sales/")
    search = page.get_by_role("searchbox", name=de("Search"))
    search.type("ns")  # keys typed into a field are text, not shortcuts
    page.wait_for_timeout(400)
    assert page.url.endswith("/sales/") or "/sales/?" in page.url
    assert search.input_value() == "ns"
    page.goto(f"/companies/{world['company'].pk}/")
    page.keyboard.press("n")
    page.keyboard.press("s")
    page.wait_for_url("**/sales/new/")
    assert page.get_by_role("heading", name=de("New sale")).is_visible()
    # The "+ Sale" link in the top bar's New menu says which keys open it.
    menu_link = page.locator("header a[data-shortcut='n s']")
    assert menu_link.text_content() == de("+ Sale")
    assert menu_link.get_attribute("aria-keyshortcuts") == "N S"
