"""The administrator orders the lead phases of a sale type in a real Chromium: by keyboard
(Move up / Move down, the focus staying on the moved row's button), by drag and drop, adds a
phase, saves, and the database holds the new order."""

from __future__ import annotations

import pytest

from dealflow.conftest import login
from dealflow.sales.models import Phase
from dealflow.sales.tests.factories import pipeline_with_phases

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/pipeline_edit.png"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def titles(page) -> list[str]:
    return page.locator("#phase-list > li [data-reorder-title]").all_inner_texts()


def focused_label(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label')")


def test_reorder_phases_by_keyboard_and_drag_and_drop_then_save(page, admin_user):
    from playwright.sync_api import expect

    pipeline = pipeline_with_phases(name="Installations", code="install")
    # Tall enough for the whole list: Chromium drops an HTML5 drag that has to scroll the page.
    page.set_viewport_size({"width": 1280, "height": 1600})
    login(page, admin_user.username)
    page.goto(f"/admin/sale-types/{pipeline.pk}/")
    expect(page.locator("h1")).to_have_text("Installations")
    assert titles(page) == ["Lead", "Qualified", "Proposal", "Closing"]
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Keyboard: Tab to "Move “Proposal” up" and press Enter; the focus stays on that button.
    up = page.get_by_role("button", name="Move “Proposal” up")
    up.focus()
    page.keyboard.press("Enter")
    assert titles(page) == ["Lead", "Proposal", "Qualified", "Closing"]
    assert focused_label(page) == "Move “Proposal” up"
    expect(page.get_by_role("status")).to_have_text("“Proposal” is now at position 2 of 4.")
    # Space works as well, and the focus is still there for the next press.
    page.keyboard.press("Space")
    assert titles(page) == ["Proposal", "Lead", "Qualified", "Closing"]
    assert focused_label(page) == "Move “Proposal” up"
    page.get_by_role("button", name="Move “Proposal” down").focus()
    page.keyboard.press("Enter")
    assert titles(page) == ["Lead", "Proposal", "Qualified", "Closing"]
    assert focused_label(page) == "Move “Proposal” down"
    assert page.locator("#phase-list > li [data-reorder-position]").all_inner_texts() == ["1", "2", "3", "4"]

    # Drag and drop: Qualified (3rd) by its handle onto Proposal (2nd) goes before it.
    page.drag_and_drop("#phase-list > li:nth-child(3) [data-drag-handle]", "#phase-list > li:nth-child(2)")
    assert titles(page) == ["Lead", "Qualified", "Proposal", "Closing"]
    # Lead (1st) dropped on Proposal (3rd) goes after it.
    page.drag_and_drop("#phase-list > li:nth-child(1) [data-drag-handle]", "#phase-list > li:nth-child(3)")
    assert titles(page) == ["Qualified", "Proposal", "Lead", "Closing"]

    # A new phase from the template row; its buttons are named after what is typed.
    page.get_by_role("button", name="Add phase").click()
    new_row = page.locator("#phase-list > li").last
    expect(new_row.get_by_label("Code")).to_be_focused()
    new_row.get_by_label("Code").fill("demo")
    new_row.get_by_label("Name").fill("Demo")
    new_row.get_by_label("Default probability (%)").fill("80")
    new_row.get_by_label("Sale date").check()
    page.get_by_role("button", name="Move “Demo” up").click()
    assert titles(page) == ["Qualified", "Proposal", "Lead", "Demo", "Closing"]

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/admin/sale-types/")
    expect(page.get_by_role("status")).to_contain_text("Installations")

    phases = list(Phase.objects.filter(pipeline=pipeline).order_by("order"))
    assert [p.code for p in phases] == ["qualified", "proposal", "lead", "demo", "closing"]
    assert [p.order for p in phases] == [10, 20, 30, 40, 50]
    demo = phases[3]
    assert (demo.kind, demo.probability, demo.exit_required_fields) == (Phase.Kind.REGULAR, 80, ["sale_date"])


def test_remove_a_phase_row_and_save(page, admin_user):
    from playwright.sync_api import expect

    pipeline = pipeline_with_phases(name="Service", code="service")
    login(page, admin_user.username)
    page.goto(f"/admin/sale-types/{pipeline.pk}/")
    page.get_by_role("button", name="Remove “Qualified”").click()
    assert titles(page) == ["Lead", "Proposal", "Closing"]
    # The focus moves to the next row's Remove button.
    assert focused_label(page) == "Remove “Proposal”"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/admin/sale-types/")
    expect(page.get_by_role("status")).to_contain_text("Service")
    assert list(pipeline.phases.order_by("order").values_list("code", flat=True)) == ["lead", "proposal", "closing"]


def test_reorder_guide_steps_by_keyboard_and_save(page, admin_user):
    from playwright.sync_api import expect

    from dealflow.sales.models import GuideStep
    from dealflow.sales.tests.factories import GuideStepFactory, phases_of

    phase = phases_of(pipeline_with_phases(name="Service", code="service"))["qualified"]
    for order, text in ((10, "Call"), (20, "Visit"), (30, "Send offer")):
        GuideStepFactory(phase=phase, text=text, order=order)
    login(page, admin_user.username)
    page.goto(f"/admin/phases/{phase.pk}/guide/")
    page.get_by_role("button", name="Move “Send offer” up").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert focused_label(page) == "Move “Send offer” up"
    page.get_by_role("button", name="Save order").click()
    expect(page.get_by_role("status").first).to_contain_text("The order of the steps was saved.")
    assert list(GuideStep.objects.filter(phase=phase).order_by("order").values_list("text", flat=True)) == [
        "Send offer",
        "Call",
        "Visit",
    ]
