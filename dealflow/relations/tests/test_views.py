"""Company, person, project and account-type screens through Django's test client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test.html import Element, parse_html

from dealflow.audit.models import AuditEvent
from dealflow.relations import services
from dealflow.relations.models import AccountType, Company, Person, Project
from dealflow.relations.tests.factories import (
    AccountTypeFactory,
    CompanyFactory,
    PersonFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Real PBKDF2 costs ~0.3 s per factory user; what is hashed does not matter here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


HTMX = {"HX-Request": "true", "HX-Target": "list-results"}


# --- small HTML helpers: query the markup the way a user (or htmx) sees it ----------------


def _walk(node):
    for child in getattr(node, "children", []):
        if isinstance(child, Element):
            yield child
            yield from _walk(child)


def find_all(html: str, tag: str | None = None, **attrs: str) -> list[Element]:
    found = []
    root = parse_html(html)
    for el in [root, *_walk(root)] if root.name else _walk(root):
        if tag and el.name != tag:
            continue
        have = dict(el.attributes)
        if all(have.get(k.rstrip("_")) == v for k, v in attrs.items()):
            found.append(el)
    return found


def text_of(el) -> str:
    if isinstance(el, str):
        return el
    return " ".join(text_of(c) for c in el.children).strip()


def rows(html: str) -> list[str]:
    """The first cell of each body row of the list table."""
    out = []
    for tbody in find_all(html, "tbody"):
        for tr in [c for c in tbody.children if isinstance(c, Element) and c.name == "tr"]:
            cells = [c for c in tr.children if isinstance(c, Element)]
            out.append(text_of(cells[0]))
    return out


def input_value(html: str, name: str) -> str | None:
    for el in find_all(html, "input", name=name):
        return dict(el.attributes).get("value")
    for el in find_all(html, "textarea", name=name):
        return text_of(el)
    return None


def selected_value(html: str, name: str) -> str | None:
    for select in find_all(html, "select", name=name):
        for option in _walk(select):
            attrs = dict(option.attributes)
            if option.name == "option" and "selected" in attrs:
                return attrs.get("value")
    return None


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def anna(client, salesperson):
    client.force_login(salesperson)
    return client


@pytest.fixture
def foreign(outsider):
    """Another team's company, person and project."""
    company = CompanyFactory(owner=outsider, name="Klara Kozijnen")
    return {
        "company": company,
        "person": PersonFactory(company=company, last_name="Geheim"),
        "project": ProjectFactory(company=company, name="Secret project"),
    }


# --- lists, htmx partial, search, pagination -----------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get("/companies/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_company_list_shows_only_visible_companies(anna, salesperson, teammate, foreign):
    CompanyFactory(owner=salesperson, name="Anna BV")
    CompanyFactory(owner=teammate, name="Ben Bouw")

    response = anna.get("/companies/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert rows(html) == ["Anna BV", "Ben Bouw"]
    assert "Klara" not in html
    assert "2 companies" in page_text(response)


def test_htmx_request_gets_only_the_results_fragment(anna, salesperson):
    CompanyFactory(owner=salesperson, name="Anna BV")
    CompanyFactory(owner=salesperson, name="Bouwbedrijf Bakker")

    response = anna.get("/companies/", {"q": "bouw"}, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<div id="list-results"')
    assert html.endswith("</div>")
    assert "<html" not in html and "<form" not in html and "topbar" not in html
    [root] = find_all(html, "div", id="list-results")
    assert rows(html) == ["Bouwbedrijf Bakker"]


def test_htmx_request_for_another_target_gets_the_full_page(anna, salesperson):
    CompanyFactory(owner=salesperson, name="Anna BV")
    response = anna.get("/companies/", headers={"HX-Request": "true", "HX-Target": "main"})
    assert "<html" in response.content.decode()


@pytest.mark.parametrize("url", ["/companies/", "/persons/", "/projects/"])
def test_search_form_replaces_the_results_element(anna, url):
    """The fragment is the #list-results element itself, so htmx must swap it whole (outerHTML);
    swapping its inside would nest a second #list-results on every search."""
    [form] = find_all(anna.get(url).content.decode(), "form", role="search", class_="filters")  # not the top bar's
    attrs = dict(form.attributes)
    assert attrs["hx-target"] == "#list-results"
    assert attrs.get("hx-swap") == "outerHTML"


@pytest.mark.parametrize("url", ["/persons/", "/projects/"])
def test_person_and_project_lists_have_the_fragment_too(anna, salesperson, url):
    company = CompanyFactory(owner=salesperson, name="Acme")
    PersonFactory(company=company, first_name="Eva", last_name="Bos")
    ProjectFactory(company=company, name="Roof")
    full = anna.get(url).content.decode()
    part = anna.get(url, headers=HTMX).content.decode().strip()
    assert "<html" in full
    assert part.startswith('<div id="list-results"')
    assert len(rows(part)) == 1


def test_search_filters_and_says_when_nothing_matches(anna, salesperson):
    CompanyFactory(owner=salesperson, name="Bakkerij de Vries", visiting_city="Gouda")
    CompanyFactory(owner=salesperson, name="Staalbouw", visiting_city="Delft")

    assert rows(anna.get("/companies/", {"q": "gouda"}).content.decode()) == ["Bakkerij de Vries"]
    response = anna.get("/companies/", {"q": "zzz"}, headers=HTMX)
    assert rows(response.content.decode()) == []
    assert "No companies match your search." in response.content.decode()
    # The search box keeps what was typed.
    [box] = find_all(anna.get("/companies/", {"q": "staal"}).content.decode(), "input", id="q")
    assert dict(box.attributes)["value"] == "staal"


def test_archived_filter(anna, salesperson):
    CompanyFactory(owner=salesperson, name="Live")
    CompanyFactory(owner=salesperson, name="Gone", archived=True)
    assert rows(anna.get("/companies/").content.decode()) == ["Live"]
    assert rows(anna.get("/companies/", {"archived": "1"}).content.decode()) == ["Gone"]


def test_sort_by_column_header(anna, salesperson):
    CompanyFactory(owner=salesperson, name="Alpha", visiting_city="Zwolle")
    CompanyFactory(owner=salesperson, name="Bravo", visiting_city="Arnhem")
    assert rows(anna.get("/companies/", {"sort": "-name"}).content.decode()) == ["Bravo", "Alpha"]
    assert rows(anna.get("/companies/", {"sort": "city"}).content.decode()) == ["Bravo", "Alpha"]
    assert rows(anna.get("/companies/", {"sort": "DROP TABLE"}).content.decode()) == ["Alpha", "Bravo"]
    # The active column links to the reverse order.
    html = anna.get("/companies/", {"sort": "name"}).content.decode()
    assert any("sort=-name" in dict(a.attributes)["href"] for a in find_all(html, "a") if "href" in dict(a.attributes))


def test_pagination_keeps_the_search(anna, salesperson):
    for i in range(30):
        CompanyFactory(owner=salesperson, name=f"Bouw {i:02d}")
    CompanyFactory(owner=salesperson, name="Other")

    first = anna.get("/companies/", {"q": "bouw"}, headers=HTMX).content.decode()
    assert len(rows(first)) == 25
    assert rows(first)[0] == "Bouw 00"
    assert "Page 1 of 2" in first
    [nxt] = find_all(first, "a", rel="next")
    href = dict(nxt.attributes)["href"]
    assert "q=bouw" in href and "page=2" in href

    second = anna.get("/companies/" + href, headers=HTMX).content.decode()
    assert rows(second) == [f"Bouw {i:02d}" for i in range(25, 30)]
    assert find_all(second, "a", rel="prev")
    assert not find_all(second, "a", rel="next")

    # A page past the end shows the last page rather than an error.
    assert rows(anna.get("/companies/", {"q": "bouw", "page": "99"}).content.decode()) == rows(second)
    assert rows(anna.get("/companies/", {"q": "bouw", "page": "x"}).content.decode()) == rows(first)


# --- query counts do not grow with rows ----------------------------------------------------

LIST_QUERY_BUDGET = 9  # +1: the notification bell in the top bar
SAVED_VIEWS = 3  # companies and persons: the saved views menu, the bulk action's selections and owners


@pytest.fixture
def warm(anna):
    """One request first, so once-per-installation work (e.g. creating a settings row) is not counted."""
    anna.get("/")
    return anna


@pytest.mark.parametrize("n", [5, 40])
@pytest.mark.parametrize("htmx", [False, True])
def test_company_list_query_count_does_not_grow(
    warm, anna, salesperson, teammate, django_assert_max_num_queries, n, htmx
):
    types = [AccountTypeFactory(code=f"t{i}") for i in range(3)]
    for i in range(n):
        CompanyFactory(owner=salesperson if i % 2 else teammate, account_type=types[i % 3])
    # +1: the "Next activity" column (one query for the page, however many rows)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET + 1 + SAVED_VIEWS):
        response = anna.get("/companies/", headers=HTMX if htmx else {})
    assert len(rows(response.content.decode())) == min(n, 25)


def test_company_list_query_count_is_the_same_for_5_and_40(warm, anna, salesperson, teammate):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            anna.get("/companies/")
        return len(ctx.captured_queries)

    CompanyFactory.create_batch(5, owner=salesperson, account_type=AccountTypeFactory(code="a"))
    few = count()
    CompanyFactory.create_batch(35, owner=teammate, account_type=AccountTypeFactory(code="b"))
    assert count() == few


@pytest.mark.parametrize("url", ["/persons/", "/projects/"])
def test_person_and_project_list_query_counts_are_flat(warm, anna, salesperson, url, django_assert_max_num_queries):
    for _ in range(30):
        company = CompanyFactory(owner=salesperson)
        PersonFactory(company=company)
        ProjectFactory(company=company)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET + (SAVED_VIEWS if url == "/persons/" else 0)):
        response = anna.get(url)
    assert len(rows(response.content.decode())) == 25


def test_company_card_query_count_does_not_grow(warm, anna, salesperson, django_assert_max_num_queries):
    company = CompanyFactory(owner=salesperson)
    for _ in range(15):
        PersonFactory(company=company)
        ProjectFactory(company=company)
        services.company_update(actor=salesperson, company=company, data={"category": f"c{_}"})
    # +2: the notification bell, the Activities section; +2: the favourite star (its query is shared
    # with the favourites menu) and the "Add to selection" list
    # +1: the user-defined fields of the card; whether the user sees every owner (for the
    # Activities section) comes with the people they see, in one query
    with django_assert_max_num_queries(14):
        anna.get(f"/companies/{company.pk}/")


# --- the card ------------------------------------------------------------------------------


def test_company_card_shows_persons_projects_and_history(anna, salesperson, teammate):
    company = services.company_create(actor=salesperson, data={"name": "Acme", "phone": "030 123 4567"})
    PersonFactory(company=company, first_name="Eva", last_name="Bos", position="Inkoper")
    ProjectFactory(company=company, name="New roof", start_date=dt.date(2025, 4, 1))
    services.company_update(actor=teammate, company=company, data={"name": "Acme BV"})

    response = anna.get(f"/companies/{company.pk}/")

    html = response.content.decode()
    text = page_text(response)
    assert response.status_code == 200
    assert "<h1>Acme BV" in html
    assert "Eva Bos" in text and "Inkoper" in text
    assert "New roof" in text
    history = find_all(html, "section", **{"class": "history"})[0]
    history_text = re.sub(r"\s+", " ", text_of(history))
    assert "<strong>Name</strong>: Acme → Acme BV" in text
    assert "changed" in history_text and "created" in history_text
    assert str(teammate) in history_text
    # The buttons to add a person and a project carry the company.
    hrefs = [dict(a.attributes).get("href", "") for a in find_all(html, "a")]
    assert f"/persons/new/?company={company.pk}" in hrefs
    assert f"/projects/new/?company={company.pk}" in hrefs


def test_card_without_persons_or_projects_says_so(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    text = page_text(anna.get(f"/companies/{company.pk}/"))
    assert "No persons yet." in text and "No projects yet." in text


def test_person_and_project_cards(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    person = PersonFactory(company=company, first_name="Eva", last_name="Bos")
    project = ProjectFactory(company=company, name="Roof")
    services.person_update(actor=salesperson, person=person, data={"position": "CEO"})
    text = page_text(anna.get(f"/persons/{person.pk}/"))
    assert "Eva Bos" in text and "Acme" in text and "<strong>Position</strong>: — → CEO" in text
    text = page_text(anna.get(f"/projects/{project.pk}/"))
    assert "Roof" in text and "Acme" in text


# --- create and edit forms -----------------------------------------------------------------


def test_create_company_saves_and_redirects_to_card(anna, salesperson):
    kind = AccountTypeFactory(code="lead", name="Lead")
    response = anna.post(
        "/companies/new/",
        {"name": "Acme", "account_type": kind.pk, "owner": "", "email": "info@acme.example", "country": "nl"},
    )
    company = Company.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/companies/{company.pk}/"
    assert (company.owner, company.account_type, company.country) == (salesperson, kind, "NL")
    assert AuditEvent.objects.filter(object_type="company", object_id=company.pk, action="create").exists()
    assert "Saved." in page_text(anna.get(response["Location"]))


def test_new_company_form_preselects_the_default_account_type(anna):
    AccountTypeFactory(code="lead", name="Lead")
    prospect = AccountTypeFactory(code="prospect", name="Prospect", is_default=True)
    assert selected_value(anna.get("/companies/new/").content.decode(), "account_type") == str(prospect.pk)


def test_invalid_form_rerenders_with_input_and_saves_nothing(anna):
    response = anna.post(
        "/companies/new/",
        {
            "name": "",
            "email": "not-an-email",
            "website": "acme dot com",
            "phone": "call me",
            "country": "Netherlands",
            "visiting_city": "Utrecht",
            "note": "Met at the fair",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    errors = {dict(p.attributes)["id"].removesuffix("_error") for p in find_all(html, "p", **{"class": "error"})}
    assert errors == {"id_name", "id_email", "id_website", "id_phone", "id_country"}
    assert input_value(html, "email") == "not-an-email"
    assert input_value(html, "website") == "acme dot com"
    assert input_value(html, "visiting_city") == "Utrecht"
    assert input_value(html, "note") == "Met at the fair"
    assert not Company.objects.exists()
    assert not AuditEvent.objects.exists()


def test_edit_company_saves_changes(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme", visiting_city="Utrecht", country="NL")
    form = anna.get(f"/companies/{company.pk}/edit/").content.decode()
    assert input_value(form, "name") == "Acme"
    assert input_value(form, "version") == "1"

    response = anna.post(
        f"/companies/{company.pk}/edit/",
        {"name": "Acme BV", "visiting_city": "Utrecht", "country": "NL", "owner": "", "version": "1"},
    )

    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.owner, company.version) == ("Acme BV", salesperson, 2)
    [event] = AuditEvent.objects.filter(object_type="company", action="update")
    assert event.changes["name"] == ["Acme", "Acme BV"]


def test_a_website_typed_without_its_scheme_is_saved_with_https(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    response = anna.post(
        f"/companies/{company.pk}/edit/", {"name": "Acme", "website": "acme.example/shop", "owner": "", "version": "1"}
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.website == "https://acme.example/shop"


def test_edit_company_invalid_keeps_input_and_row(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    response = anna.post(f"/companies/{company.pk}/edit/", {"name": "Acme 2", "email": "x@", "version": "1"})
    assert response.status_code == 200
    assert input_value(response.content.decode(), "name") == "Acme 2"
    company.refresh_from_db()
    assert (company.name, company.version) == ("Acme", 1)
    # The heading and cancel link still name the stored record, not the unsaved input.
    assert "/companies/%d/" % company.pk in response.content.decode()


def test_stale_edit_shows_message_and_keeps_input(anna, salesperson, teammate):
    company = CompanyFactory(owner=salesperson, name="Acme", visiting_city="Utrecht", phone="")
    assert input_value(anna.get(f"/companies/{company.pk}/edit/").content.decode(), "version") == "1"
    # Meanwhile, a team mate saves.
    services.company_update(actor=teammate, company=Company.objects.get(pk=company.pk), data={"visiting_city": "Zeist"})

    mine = {"name": "Acme", "visiting_city": "Utrecht", "phone": "030 123 4567", "owner": "", "version": "1"}
    response = anna.post(f"/companies/{company.pk}/edit/", mine)

    assert response.status_code == 200
    html = response.content.decode()
    [alert] = find_all(html, "div", role="alert")
    alert_text = text_of(alert)
    assert "Someone else saved this record while you were editing it." in alert_text
    assert "City: Utrecht → Zeist" in alert_text
    assert input_value(html, "phone") == "030 123 4567"  # my input is still there
    assert input_value(html, "version") == "2"  # the next save is based on what I have now seen
    company.refresh_from_db()
    assert (company.visiting_city, company.phone, company.version) == ("Zeist", "", 2)

    # Submitting again, now knowingly, saves.
    response = anna.post(f"/companies/{company.pk}/edit/", {**mine, "version": "2"})
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.visiting_city, company.phone, company.version) == ("Utrecht", "030 123 4567", 3)


def test_stale_person_edit(anna, salesperson, teammate):
    person = PersonFactory(owner=salesperson, company=None, last_name="Bos", position="")
    services.person_update(actor=teammate, person=Person.objects.get(pk=person.pk), data={"position": "CEO"})
    response = anna.post(f"/persons/{person.pk}/edit/", {"last_name": "Bosch", "version": "1"})
    assert response.status_code == 200
    assert "Someone else saved" in response.content.decode()
    assert input_value(response.content.decode(), "last_name") == "Bosch"
    assert Person.objects.get(pk=person.pk).last_name == "Bos"


def test_new_person_from_company_card_has_company_preselected(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    html = anna.get(f"/persons/new/?company={company.pk}").content.decode()
    assert selected_value(html, "company") == str(company.pk)

    response = anna.post("/persons/new/", {"first_name": "Eva", "last_name": "Bos", "company": company.pk})
    person = Person.objects.get()
    assert response["Location"] == f"/persons/{person.pk}/"
    assert (person.company, person.owner) == (company, salesperson)


def test_person_form_does_not_offer_or_accept_another_teams_company(anna, foreign):
    html = anna.get("/persons/new/").content.decode()
    assert "Klara" not in html
    response = anna.post("/persons/new/", {"last_name": "Spy", "company": foreign["company"].pk})
    assert response.status_code == 200
    assert find_all(response.content.decode(), "p", id="id_company_error")
    assert not Person.objects.filter(last_name="Spy").exists()


def test_owner_choices_are_the_team(anna, salesperson, teammate, outsider):
    html = anna.get("/companies/new/").content.decode()
    [select] = find_all(html, "select", name="owner")
    values = {dict(o.attributes).get("value") for o in _walk(select) if o.name == "option"}
    assert values == {"", str(salesperson.pk), str(teammate.pk)}
    response = anna.post("/companies/new/", {"name": "Acme", "owner": outsider.pk})
    assert response.status_code == 200
    assert not Company.objects.exists()


def test_project_create_with_end_before_start(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    data = {
        "name": "Roof",
        "company": company.pk,
        "status": "planned",
        "start_date": "2025-05-02",
        "end_date": "2025-05-01",
    }
    response = anna.post("/projects/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date cannot be before the start date." in html
    assert input_value(html, "end_date") == "2025-05-01"
    assert not Project.objects.exists()

    response = anna.post("/projects/new/", {**data, "end_date": "2025-06-30"})
    project = Project.objects.get()
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.end_date == dt.date(2025, 6, 30)


def test_edit_project(anna, salesperson):
    project = ProjectFactory(company=CompanyFactory(owner=salesperson), name="Roof")
    response = anna.post(
        f"/projects/{project.pk}/edit/",
        {"name": "Roof", "company": project.company_id, "status": "active", "version": "1"},
    )
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == "active"


# --- archive and delete --------------------------------------------------------------------


def test_archive_and_restore(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    assert anna.get(f"/companies/{company.pk}/archive/").status_code == 405
    anna.post(f"/companies/{company.pk}/archive/", {"archived": "1"})
    assert Company.objects.get(pk=company.pk).archived
    assert "Archived" in page_text(anna.get(f"/companies/{company.pk}/"))
    anna.post(f"/companies/{company.pk}/archive/", {"archived": "0"})
    assert not Company.objects.get(pk=company.pk).archived


def test_delete_confirmation_asks_about_persons(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    PersonFactory.create_batch(2, company=company)
    ProjectFactory(company=company)

    response = anna.get(f"/companies/{company.pk}/delete/")

    html = response.content.decode()
    text = page_text(response)
    assert "Delete “Acme”?" in text
    assert "This company has 2 persons." in text
    assert "Its 1 project will be deleted with it." in text
    radios = {dict(r.attributes)["value"] for r in find_all(html, "input", type="radio", name="persons")}
    assert radios == {"detach", "delete"}
    assert Company.objects.filter(pk=company.pk).exists()  # GET changes nothing


def test_delete_company_keeping_persons(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    person = PersonFactory(company=company)
    response = anna.post(f"/companies/{company.pk}/delete/", {"persons": "detach"})
    assert response["Location"] == "/companies/"
    assert not Company.objects.exists()
    assert Person.objects.get(pk=person.pk).company is None
    assert "Company “Acme” was deleted." in page_text(anna.get("/companies/"))


def test_delete_company_with_its_persons(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    PersonFactory.create_batch(2, company=company)
    anna.post(f"/companies/{company.pk}/delete/", {"persons": "delete"})
    assert not Person.objects.exists()


def test_delete_company_without_choice_is_refused(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    PersonFactory(company=company)
    response = anna.post(f"/companies/{company.pk}/delete/", {"persons": "everything"})
    assert response.status_code == 200
    assert Company.objects.filter(pk=company.pk).exists()


def test_delete_confirmation_without_persons_asks_nothing(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    html = anna.get(f"/companies/{company.pk}/delete/").content.decode()
    assert not find_all(html, "input", type="radio")
    assert find_all(html, "input", type="hidden", name="persons", value="detach")


def test_delete_person_and_project(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    person = PersonFactory(company=company)
    project = ProjectFactory(company=company)
    assert anna.get(f"/persons/{person.pk}/delete/").status_code == 200
    assert Person.objects.filter(pk=person.pk).exists()
    assert anna.post(f"/persons/{person.pk}/delete/")["Location"] == "/persons/"
    assert anna.post(f"/projects/{project.pk}/delete/")["Location"] == "/projects/"
    assert not Person.objects.exists() and not Project.objects.exists()


# --- no peeking across teams; admin-only screens --------------------------------------------


@pytest.mark.parametrize(
    ("kind", "method", "suffix"),
    [
        ("company", "get", ""),
        ("company", "get", "edit/"),
        ("company", "post", "edit/"),
        ("company", "get", "delete/"),
        ("company", "post", "delete/"),
        ("company", "post", "archive/"),
        ("person", "get", ""),
        ("person", "post", "edit/"),
        ("person", "post", "delete/"),
        ("person", "post", "archive/"),
        ("project", "get", ""),
        ("project", "post", "edit/"),
        ("project", "post", "delete/"),
        ("project", "post", "archive/"),
    ],
)
def test_another_teams_record_is_not_found(anna, foreign, kind, method, suffix):
    obj = foreign[kind]
    plural = {"company": "companies", "person": "persons", "project": "projects"}[kind]
    data = {"persons": "delete", "name": "Hacked", "last_name": "Hacked", "archived": "1"} if method == "post" else {}
    response = getattr(anna, method)(f"/{plural}/{obj.pk}/{suffix}", data)
    assert response.status_code == 404
    fresh = type(obj).objects.get(pk=obj.pk)
    assert fresh.version == 1 and not fresh.archived


def test_nonexistent_record_is_not_found(anna):
    assert anna.get("/companies/999999/").status_code == 404


def test_manager_sees_team_records_admin_sees_all(client, manager, admin_user, salesperson, foreign):
    company = CompanyFactory(owner=salesperson)
    client.force_login(manager)
    assert client.get(f"/companies/{company.pk}/").status_code == 200
    assert client.get(f"/companies/{foreign['company'].pk}/").status_code == 404
    client.force_login(admin_user)
    assert client.get(f"/companies/{foreign['company'].pk}/").status_code == 200


ADMIN_SCREENS = [
    "/admin/users/",
    "/admin/users/new/",
    "/admin/teams/",
    "/admin/teams/new/",
    "/admin/account-types/",
    "/admin/account-types/new/",
]


@pytest.mark.parametrize("url", ADMIN_SCREENS)
def test_admin_screens_are_forbidden_to_salespeople_and_managers(client, salesperson, manager, url):
    for user in (salesperson, manager):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "x", "code": "x", "username": "x"}).status_code == 403
    assert not AccountType.objects.exists()


@pytest.mark.parametrize("url", ADMIN_SCREENS)
def test_admin_screens_open_for_admin(client, admin_user, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_admin_menu_only_for_admins(client, salesperson, admin_user):
    client.force_login(salesperson)
    assert "/admin/users/" not in client.get("/companies/").content.decode()
    client.force_login(admin_user)
    assert "/admin/users/" in client.get("/companies/").content.decode()


def test_admin_manages_account_types(client, admin_user, salesperson):
    client.force_login(admin_user)
    response = client.post(
        "/admin/account-types/new/", {"code": "lead", "name": "Lead", "order": 1, "is_default": "on", "is_active": "on"}
    )
    assert response["Location"] == "/admin/account-types/"
    lead = AccountType.objects.get(code="lead")
    assert lead.is_default and lead.is_active and not lead.uses_lead_phases

    response = client.post(
        f"/admin/account-types/{lead.pk}/", {"code": "lead", "name": "Lead", "order": 1, "is_active": "on"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert not lead.is_default
    [event] = AuditEvent.objects.filter(object_type="accounttype", action="update")
    assert event.changes == {"is_default": ["True", "False"]}

    bad = client.post("/admin/account-types/new/", {"code": "lead", "name": "", "order": 1})
    assert bad.status_code == 200
    assert AccountType.objects.count() == 1

    CompanyFactory(owner=salesperson, account_type=lead)
    response = client.post(f"/admin/account-types/{lead.pk}/delete/", follow=True)
    assert "Deactivate it instead." in page_text(response)
    assert AccountType.objects.filter(pk=lead.pk).exists()


@pytest.mark.parametrize(("url", "sort"), [("/persons/", "name"), ("/persons/", "-created"), ("/companies/", "-name"),
                                          ("/companies/", "city")])  # fmt: skip
def test_lists_read_a_pages_ids_by_the_sort_then_its_rows(anna, salesperson, outsider, url, sort):
    """The page's ids come from a lean query on the sort alone (the database walks a sort index
    and stops after the page), then the rows with their joins; the pages still follow the sort,
    ties broken by id, and show only what the user may see."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(31):
        company = CompanyFactory(owner=salesperson, name=f"Firm {i % 7}", visiting_city=f"City {i % 4}")
        PersonFactory(company=company, owner=salesperson, last_name=f"Smit {i % 5}", first_name=f"A{i % 3}")
    hidden = CompanyFactory(owner=outsider, name="Firm 0", visiting_city="City 0")
    PersonFactory(company=hidden, owner=outsider, last_name="Smit 0", first_name="A0")
    table = "relations_person" if url == "/persons/" else "relations_company"
    model = Person if url == "/persons/" else Company
    order = {"name": ("last_name", "first_name", "id"), "-created": ("-created_at", "-id"),
             "-name": ("-name", "-id"), "city": ("visiting_city", "name", "id")}[sort]  # fmt: skip
    expected = [str(pk) for pk in model.objects.filter(owner=salesperson).order_by(*order).values_list("pk", flat=True)]
    shown = []
    for page in (1, 2):
        with CaptureQueriesContext(connection) as captured:
            html = anna.get(url, {"sort": sort, "page": page}).content.decode()
        lean = [q["sql"] for q in captured.captured_queries
                if q["sql"].startswith(f'SELECT "{table}"."id" AS "pk" FROM "{table}"') and "LIMIT" in q["sql"]]  # fmt: skip
        assert len(lean) == 1, [q["sql"] for q in captured.captured_queries]
        shown += re.findall(r'name="ids" value="(\d+)"', html)
    assert shown == expected
