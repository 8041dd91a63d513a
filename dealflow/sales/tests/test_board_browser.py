"""The board in a real Chromium: drag a card to the next phase, drop one into the closing
phase and pick a reason in the dialog, and move one with the keyboard only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from dealflow.conftest import login
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.models import Outcome, Sale, SaleStatus
from dealflow.sales.tests.factories import CloseReasonFactory, SaleFactory, phases_of, pipeline_with_phases

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def world(salesperson: Any) -> dict[str, Any]:
    pipeline = pipeline_with_phases(name="Projects")
    phases = phases_of(pipeline)
    company = CompanyFactory(name="Acme BV", owner=salesperson)
    sales = [
        SaleFactory(title=t, owner=salesperson, pipeline=pipeline, company=company, amount=Decimal(a))
        for t, a in (("Cooling unit", "12000"), ("Service contract", "3000"), ("Heat pump", "8000"))
    ]
    CloseReasonFactory(code="best-price", name="Best price", outcome=Outcome.WON)
    CloseReasonFactory(code="too-expensive", name="Too expensive", outcome=Outcome.LOST)
    return {"pipeline": pipeline, "phases": phases, "sales": sales}


def count(page: Any, phase: Any) -> Any:
    return page.locator(f"#head-{phase.pk} .col-count")


def test_drag_drop_close_and_keyboard(page: Any, salesperson: Any, world: dict[str, Any]) -> None:
    phases, (cooling, service, heat) = world["phases"], world["sales"]
    login(page, salesperson.username)
    page.goto("/board/")
    expect(count(page, phases["lead"])).to_have_text("3")

    # Drag a card to the next phase: it moves and both heads change.
    page.locator(f"#card-{cooling.pk}").drag_to(page.locator(f".board-col[data-phase='{phases['qualified'].pk}']"))
    expect(count(page, phases["qualified"])).to_have_text("1")
    expect(count(page, phases["lead"])).to_have_text("2")
    expect(page.locator(f"#cards-{phases['qualified'].pk} #card-{cooling.pk}")).to_be_visible()
    assert Sale.objects.get(pk=cooling.pk).phase == phases["qualified"]

    # Drop one into the closing phase: the dialog asks for the outcome and reason.
    page.locator(f"#card-{service.pk}").drag_to(page.locator(f".board-col[data-phase='{phases['closing'].pk}']"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Outcome").select_option("won")
    dialog.get_by_label("Close reason").select_option(label="Best price")
    page.screenshot(path="/tmp/board-dialog.png")
    dialog.get_by_role("button", name="Close the sale").click()
    expect(dialog).to_be_hidden()
    expect(count(page, phases["closing"])).to_have_text("1")
    expect(page.locator(f"#card-{service.pk}")).to_contain_text("Sold")
    assert Sale.objects.get(pk=service.pk).status == SaleStatus.SOLD

    # The keyboard way: Tab to the card's "Move to…" control, pick a phase, press the button.
    select = page.get_by_label(f"Move “{heat.title}” to")
    select.focus()
    select.select_option(label=phases["proposal"].name)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(count(page, phases["proposal"])).to_have_text("1")
    expect(count(page, phases["lead"])).to_have_text("0")
    page.screenshot(path="/tmp/board.png", full_page=True)


def test_refused_drop_puts_the_card_back(page: Any, salesperson: Any, world: dict[str, Any]) -> None:
    phases, cooling = world["phases"], world["sales"][0]
    phases["lead"].exit_required_fields = ["score"]
    phases["lead"].save()
    login(page, salesperson.username)
    page.goto("/board/")
    page.locator(f"#card-{cooling.pk}").drag_to(page.locator(f".board-col[data-phase='{phases['qualified'].pk}']"))
    expect(page.get_by_role("alert").filter(has_text="before the sale leaves")).to_be_visible()
    expect(page.locator(f"#cards-{phases['lead'].pk} #card-{cooling.pk}")).to_be_visible()
    expect(count(page, phases["lead"])).to_have_text("3")
    assert Sale.objects.get(pk=cooling.pk).phase == phases["lead"]
