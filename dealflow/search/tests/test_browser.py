"""Find a person through the global search in a real Chromium: Ctrl+K, type, ArrowDown, Enter."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dealflow.conftest import login
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/search.png"


def test_find_a_person_with_the_global_search(page: Any, salesperson: Any, outsider: Any) -> None:
    from playwright.sync_api import expect

    company = CompanyFactory(name="Vermeer Klimaattechniek", owner=salesperson, phone="+31 20 555 0101")
    person = PersonFactory(first_name="Johanna", last_name="Vermeulen", company=company, email="jv@vermeer.example")
    PersonFactory(first_name="Hidden", last_name="Vermeulen", company=CompanyFactory(owner=outsider))

    login(page, salesperson.username)
    page.keyboard.press("Control+k")
    box = page.get_by_role("combobox", name="Search companies, persons and sales")
    expect(box).to_be_focused()
    box.press_sequentially("verme", delay=30)

    dropdown = page.get_by_role("listbox", name="Search results")
    expect(dropdown).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    persons = dropdown.get_by_role("group", name="Persons")
    expect(persons.get_by_role("option")).to_have_count(1)  # the other team's Vermeulen is not there
    expect(persons.get_by_role("option", name=re.compile("Johanna Vermeulen"))).to_be_visible()
    expect(dropdown.get_by_role("group", name="Companies").get_by_role("option")).to_have_count(1)
    page.screenshot(path=SCREENSHOT)

    # The company comes first; walk down to the person and open the card.
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(persons.get_by_role("option", name=re.compile("Johanna Vermeulen"))).to_have_attribute(
        "aria-selected", "true"
    )
    box.press("Enter")
    page.wait_for_url(f"**{person.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Johanna Vermeulen")

    # "/" on a page without a list search focuses the global box; Enter without a choice opens the page.
    page.keyboard.press("/")
    expect(box).to_be_focused()
    box.fill("0205550101")
    box.press("Enter")
    page.wait_for_url("**/search/?q=0205550101")
    expect(page.get_by_role("heading", name="Companies")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Vermeer Klimaattechniek"))).to_be_visible()
