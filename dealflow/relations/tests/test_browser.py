"""The relations flow in a real Chromium, in Dutch: log in, switch language, create a company,
add a person and a project from its card, and find it again with the list's live search."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from dealflow.conftest import login
from dealflow.relations.models import Company, Person, Project
from dealflow.relations.tests.factories import CompanyFactory

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/foundation.png"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def nl(message: str) -> str:
    """The Dutch catalogue's text for `message`, as the page should show it."""
    with translation.override("nl"):
        return capfirst(gettext(message))


def test_company_person_project_flow_in_dutch(page, salesperson, teammate, outsider):
    from playwright.sync_api import expect

    # The Dutch catalogue must exist, with the glossary's words (PRODUCT.md).
    assert nl("Companies") != "Companies", "no Dutch translations compiled in dealflow/locale/nl"
    assert nl("company") == "Bedrijf"
    assert nl("person") == "Persoon"

    for name in ("Bakkerij Brood", "Staalbouw Noord", "Dakwerken Zuid"):
        CompanyFactory(owner=teammate, name=name)
    CompanyFactory(owner=outsider, name="Geheim Installatie")

    login(page, "anna")

    # Switch the interface to Dutch with the switcher in the top bar.
    page.locator("#language-switcher").select_option("nl")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    salesperson.refresh_from_db()
    assert salesperson.language == "nl"
    companies_link = page.locator('header nav a[href="/companies/"]')
    expect(companies_link).to_have_text(nl("Companies"))

    # A new company.
    companies_link.click()
    expect(page.locator("h1")).to_have_text(nl("Companies"))
    page.locator('main a[href="/companies/new/"]').click()
    expect(page.locator('label[for="id_name"]')).to_contain_text(nl("name"))
    page.locator("#id_name").fill("Installatiebedrijf Jansen")
    page.locator("#id_phone").fill("+31 30 123 4567")
    page.locator("#id_visiting_city").fill("Utrecht")
    save = page.locator("form.form button[type=submit]")
    expect(save).to_have_text(nl("Save"))
    save.click()
    page.wait_for_url(re.compile(r"/companies/\d+/$"))
    company = Company.objects.get(name="Installatiebedrijf Jansen")
    assert company.owner == salesperson
    expect(page.locator("h1")).to_have_text("Installatiebedrijf Jansen")
    card_url = page.url

    # A person, from the company card: the company is already chosen.
    page.locator('a[href^="/persons/new/?company="]').click()
    expect(page.locator('label[for="id_company"]')).to_contain_text("Bedrijf")
    expect(page.locator("#id_company")).to_have_value(str(company.pk))
    page.locator("#id_first_name").fill("Eva")
    page.locator("#id_last_name").fill("Bos")
    page.locator("#id_email").fill("eva@jansen.example")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/persons/\d+/$"))
    assert Person.objects.get(last_name="Bos").company == company

    # A project, from the company card.
    page.goto(card_url)
    page.locator('a[href^="/projects/new/?company="]').click()
    expect(page.locator("#id_company")).to_have_value(str(company.pk))
    page.locator("#id_name").fill("Warmtepomp Bos")
    page.locator("#id_start_date").fill("2025-03-01")
    page.locator("#id_end_date").fill("2025-02-01")  # before the start: refused, input kept
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#id_end_date_error")).to_have_text(nl("The end date cannot be before the start date."))
    expect(page.locator("#id_name")).to_have_value("Warmtepomp Bos")
    assert not Project.objects.exists()
    page.locator("#id_end_date").fill("2025-04-30")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/projects/\d+/$"))
    assert Project.objects.get(name="Warmtepomp Bos").company == company

    # The card lists both, under Dutch headings.
    page.goto(card_url)
    expect(page.locator("#persons-h")).to_have_text(nl("Persons"))
    expect(page.locator("#projects-h")).to_have_text(nl("Projects"))
    expect(page.locator("#history-h")).to_have_text(nl("History"))
    expect(page.locator('section[aria-labelledby="persons-h"] a', has_text="Eva Bos")).to_be_visible()
    expect(page.locator('section[aria-labelledby="projects-h"] a', has_text="Warmtepomp Bos")).to_be_visible()

    # Find it through the list's search box: typing makes htmx fetch only the results.
    page.locator('header nav a[href="/companies/"]').click()
    results = page.locator("#list-results")
    expect(results.locator("tbody tr")).to_have_count(4)  # the team mate's three and mine; not the outsider's
    with page.expect_response(lambda r: "/companies/?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#q").press_sequentially("jansen")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_have_count(1)  # the fragment replaced the results, not nested inside them
    expect(results.locator("a", has_text="Installatiebedrijf Jansen")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=jansen"))  # the search is in the address, so it survives a reload
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator('label[for="q"]')).to_have_text(nl("Search"))

    page.locator("#q").fill("geheim")  # the outsider's company is not found either
    expect(results).to_contain_text(nl("No companies match your search."))
    page.locator("#q").fill("jansen")
    expect(results.locator("tbody tr")).to_have_count(1)

    page.screenshot(path=SCREENSHOT, full_page=True)
