"""In a real Chromium: a manager types a yearly amount-sold target for a salesperson on the
targets grid, spreads it evenly and saves; the salesperson's dashboard shows the quarter's target
and the progress against it; marking one of her sales sold on its card moves the bar up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealflow.conftest import login
from dealflow.insights.models import SalesTarget
from dealflow.sales.models import Outcome, Sale, SaleStatus
from dealflow.sales.tests.factories import CloseReasonFactory, SaleFactory, pipeline_with_phases

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def world(salesperson: Any, manager: Any) -> dict[str, Any]:
    salesperson.first_name, salesperson.last_name = "Anna", "Jansen"
    salesperson.save(update_fields=["first_name", "last_name"])
    pipeline = pipeline_with_phases(name="Projects")
    sale = SaleFactory(owner=salesperson, pipeline=pipeline, title="Cooling unit", amount=Decimal("750.00"))
    CloseReasonFactory(code="fit", name="Best fit", outcome=Outcome.WON)
    return {"sale": sale}


def test_yearly_target_spread_then_a_won_sale_moves_the_progress(page: Any, world: dict[str, Any]) -> None:
    year = timezone.localdate().year
    login(page, "max")
    page.goto(f"/reports/targets/?year={year}&measure=amount_sold")
    page.get_by_label("Anna Jansen: year").fill("12000")
    page.get_by_role("button", name="Spread evenly: Anna Jansen").click()
    expect(page.get_by_label("Anna Jansen: month 1", exact=True)).to_have_value("1000.00")
    expect(page.get_by_label("Anna Jansen: month 12", exact=True)).to_have_value("1000.00")
    page.get_by_role("button", name="Save Anna Jansen").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text("Targets for Anna Jansen saved.")
    assert SalesTarget.objects.filter(user__username="anna", year=year).count() == 12

    # 12000 spread evenly is 1000 a month: 3000 for this quarter, nothing won yet.
    page.context.clear_cookies()
    login(page, "anna")
    bar = page.get_by_role("progressbar")
    expect(page.locator("#quarter-target")).to_have_text("3,000.00")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(bar).to_have_attribute("aria-valuemin", "0")
    expect(bar).to_have_attribute("aria-valuemax", "100")
    expect(page.locator("#target-progress-label")).to_have_text("Won: 0.0 % of the target")

    # Mark the 750 sale sold on its card: 750 of 3000 is 25 %.
    sale = world["sale"]
    page.goto(f"/sales/{sale.pk}/")
    page.get_by_role("link", name="Mark sold", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_label("Close reason").select_option(label="Best fit")
    dialog.get_by_role("button", name="Mark sold").click()
    page.wait_for_selector(".sale-head .status-sold")
    assert Sale.objects.get(pk=sale.pk).status == SaleStatus.SOLD

    page.goto("/")
    expect(page.locator("#quarter-won")).to_have_text("750.00")
    expect(bar).to_have_attribute("aria-valuenow", "25")
    expect(page.locator("#target-progress-label")).to_have_text("Won: 25.0 % of the target")
