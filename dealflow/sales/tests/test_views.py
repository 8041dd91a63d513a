"""The sale screens and the company Overview through Django's test client: the HTML each
page and htmx partial gives, every action's refusal (shown on the form, input kept, nothing
changed), visibility (another team's sale is a 404), and query counts that do not grow."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from dealflow.audit.models import AuditEvent
from dealflow.core.models import SiteSettings
from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory, PersonFactory, ProjectFactory
from dealflow.sales import services
from dealflow.sales.models import Outcome, PhaseRecord, Sale, SaleDocument, SaleStatus, Stakeholder, UserDefinedField
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    CompetitorFactory,
    GuideStepFactory,
    SaleFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --- reading the HTML the way a user (or htmx) gets it --------------------------------------


def _walk(node: Any):
    for child in getattr(node, "children", []):
        if isinstance(child, Element):
            yield child
            yield from _walk(child)


def find(html: str, tag: str | None = None, **attrs: str) -> list[Element]:
    """Elements by tag and attribute values (`class_` for class; a value of True: present)."""
    root = parse_html(html)
    nodes = ([root] if getattr(root, "name", None) else []) + list(_walk(root))
    found = []
    for el in nodes:
        have = dict(el.attributes)
        if tag and el.name != tag:
            continue
        ok = True
        for key, want in attrs.items():
            key = key.rstrip("_").replace("_", "-")
            if want is True:
                ok = ok and key in have
            elif key == "class":
                ok = ok and want in (have.get("class") or "").split()
            else:
                ok = ok and have.get(key) == want
        if ok:
            found.append(el)
    return found


def text(el: Any) -> str:
    if isinstance(el, str):
        return el
    return re.sub(r"\s+", " ", " ".join(text(c) for c in el.children)).strip()


def body(response: Any) -> str:
    return response.content.decode()


def errors(html: str) -> list[str]:
    return [text(e) for e in find(html, "p", class_="error")] + [text(e) for e in find(html, "div", role="alert")]


def value_of(html: str, name: str) -> str | None:
    for el in find(html, "input", name=name):
        return dict(el.attributes).get("value")
    for el in find(html, "textarea", name=name):
        return text(el)
    for el in find(html, "select", name=name):
        for option in _walk(el):
            if option.name == "option" and "selected" in dict(option.attributes):
                return dict(option.attributes).get("value")
    return None


def today() -> dt.date:
    return timezone.localdate()


# --- the world --------------------------------------------------------------------------------


@pytest.fixture
def funnel() -> dict[str, Any]:
    pipeline = pipeline_with_phases(name="Projects")
    return {
        "pipeline": pipeline,
        "phases": phases_of(pipeline),
        "won": CloseReasonFactory(code="best-offer", name="Best offer", outcome=Outcome.WON),
        "lost": CloseReasonFactory(code="too-expensive", name="Too expensive", outcome=Outcome.LOST),
        "either": CloseReasonFactory(code="timing", name="Timing", outcome=Outcome.EITHER),
        "stall": StallReasonFactory(name="Budget next year"),
        "competitor": CompetitorFactory(name="Contoso"),
    }


@pytest.fixture
def company(salesperson: Any) -> Any:
    return CompanyFactory(name="Acme Installations", owner=salesperson)


@pytest.fixture
def sale(funnel: dict[str, Any], salesperson: Any, company: Any) -> Sale:
    return SaleFactory(
        title="Cooling for Acme", owner=salesperson, company=company, pipeline=funnel["pipeline"],
        amount=Decimal("1000.00"), score=40,
    )  # fmt: skip


@pytest.fixture
def anna(client: Any, salesperson: Any) -> Any:
    client.force_login(salesperson)
    return client


def fresh(sale: Sale) -> Sale:
    return Sale.objects.get(pk=sale.pk)


def url(name: str, sale: Sale, query: str = "") -> str:
    path = {"card": "", "move": "move/", "close": "close/", "stall": "stall/", "reopen": "reopen/", "delete": "delete/"}
    return f"/sales/{sale.pk}/{path[name]}" + (f"?{query}" if query else "")


# --- switches and visibility -------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client: Any, sale: Sale) -> None:
    for path in ("/sales/", "/sales/new/", url("card", sale), url("move", sale)):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_every_sale_screen_is_a_404_when_the_funnel_is_off(anna: Any, sale: Sale, company: Any) -> None:
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    paths = ["/sales/", "/sales/new/", url("card", sale), url("move", sale), url("close", sale), url("stall", sale),
             url("reopen", sale), url("delete", sale), f"/companies/{company.pk}/overview/", "/sales/options/sale/"]  # fmt: skip
    for path in paths:
        assert anna.get(path).status_code == 404, path
    assert anna.post(f"/sales/{sale.pk}/overview/values/", {}).status_code == 404
    # The cards of relations say nothing about sales.
    html = body(anna.get(f"/companies/{company.pk}/"))
    assert "/sales/new/" not in html and 'role="tablist"' not in html


def test_another_teams_sale_is_a_404_everywhere(client: Any, outsider: Any, sale: Sale, funnel: dict) -> None:
    client.force_login(outsider)
    for path in (url("card", sale), url("move", sale), url("close", sale), url("stall", sale), url("reopen", sale),
                 url("delete", sale)):  # fmt: skip
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"phase": funnel["phases"]["qualified"].pk}).status_code == 404, path
    for path in (f"/sales/{sale.pk}/stakeholders/", f"/sales/{sale.pk}/links/", f"/sales/{sale.pk}/overview/values/",
                 f"/sales/{sale.pk}/overview/complete/", f"/sales/{sale.pk}/overview/close/"):  # fmt: skip
        assert client.post(path, {}).status_code == 404, path
    assert fresh(sale).phase == funnel["phases"]["lead"]
    assert "Cooling for Acme" not in body(client.get("/sales/"))
    assert "Cooling" not in body(client.get("/sales/options/sale/", {"q": "cool"}))


def test_a_teammate_and_the_manager_see_the_sale(client: Any, teammate: Any, manager: Any, sale: Sale) -> None:
    for user in (teammate, manager):
        client.force_login(user)
        assert client.get(url("card", sale)).status_code == 200


# --- the list ----------------------------------------------------------------------------------


def titles(html: str) -> list[str]:
    """The first cell of each sale row."""
    return [text([c for c in tr.children if isinstance(c, Element)][0]) for tr in find(html, "tr", class_="sale-row")]


def test_list_searches_filters_and_sorts(anna: Any, salesperson: Any, funnel: dict) -> None:
    other = pipeline_with_phases(name="Service")
    acme = CompanyFactory(name="Acme", owner=salesperson)
    SaleFactory(title="Boiler", owner=salesperson, pipeline=funnel["pipeline"], company=acme, amount=Decimal("50"))
    SaleFactory(title="Airco", owner=salesperson, pipeline=funnel["pipeline"], amount=Decimal("900"))
    SaleFactory(title="Contract", owner=salesperson, pipeline=other, amount=Decimal("10"))

    assert titles(body(anna.get("/sales/", {"sort": "title"}))) == ["Airco", "Boiler", "Contract"]
    assert titles(body(anna.get("/sales/", {"sort": "-amount"}))) == ["Airco", "Boiler", "Contract"]
    assert titles(body(anna.get("/sales/", {"q": "acme"}))) == ["Boiler"]
    assert titles(body(anna.get("/sales/", {"pipeline": other.pk}))) == ["Contract"]
    assert titles(body(anna.get("/sales/", {"company": acme.pk}))) == ["Boiler"]
    assert titles(body(anna.get("/sales/", {"sort": "nonsense", "status": "nonsense"}))) != []
    assert "No sales match your search." in body(anna.get("/sales/", {"q": "zzz"}))


def test_list_status_filter_reads_the_effective_status(anna: Any, salesperson: Any, funnel: dict) -> None:
    make = lambda title: SaleFactory(title=title, owner=salesperson, pipeline=funnel["pipeline"])  # noqa: E731
    make("Open one")
    stalled = make("Stalled one")
    services.sale_stall(actor=salesperson, sale=stalled, reopen_date=today() + dt.timedelta(days=9),
                        stall_reason=funnel["stall"])  # fmt: skip
    due = make("Due again")
    services.sale_stall(actor=salesperson, sale=due, reopen_date=today() + dt.timedelta(days=1),
                        stall_reason=funnel["stall"])  # fmt: skip
    Sale.objects.filter(pk=due.pk).update(reopen_date=today())  # the nightly job has not run yet
    sold = make("Sold one")
    services.sale_close(actor=salesperson, sale=sold, outcome=Outcome.WON, close_reason=funnel["won"])
    lost = make("Lost one")
    services.sale_close(actor=salesperson, sale=lost, outcome=Outcome.LOST, close_reason=funnel["lost"])

    def listed(status: str) -> list[str]:
        return sorted(titles(body(anna.get("/sales/", {"status": status}))))

    assert listed("open") == ["Due again", "Open one"]
    assert listed("stalled") == ["Stalled one"]
    assert listed("sold") == ["Sold one"]
    assert listed("completed") == ["Lost one", "Sold one"]
    html = body(anna.get("/sales/", {"status": "stalled"}))
    [mark] = find(html, "span", class_="status-stalled")
    assert "Stalled" in text(mark)
    assert (today() + dt.timedelta(days=9)).strftime("%m/%d/%Y") in text(find(html, "tr", class_="sale-row")[0])
    # The due one reads as open, with the open mark.
    row = [r for r in find(body(anna.get("/sales/", {"status": "open"})), "tr", class_="sale-row") if "Due" in text(r)]
    assert "status-open" in str(row[0])


def test_list_htmx_gets_the_results_fragment(anna: Any, sale: Sale) -> None:
    html = body(anna.get("/sales/", {"q": "cool"}, headers={**HTMX, "HX-Target": "list-results"})).strip()
    assert html.startswith('<div id="list-results"') and "<html" not in html
    assert titles(html) == ["Cooling for Acme"]
    [form] = find(body(anna.get("/sales/")), "form", role="search", class_="filters")  # not the top bar's
    assert dict(form.attributes)["hx-swap"] == "outerHTML"


def test_list_rows_link_to_the_card_with_the_list_they_came_from(anna: Any, sale: Sale) -> None:
    html = body(anna.get("/sales/", {"q": "cool", "sort": "title"}))
    [link] = [a for a in find(html, "a") if text(a) == "Cooling for Acme"]
    assert dict(link.attributes)["href"] == f"/sales/{sale.pk}/?from={quote('q=cool&sort=title', safe='')}&i=0"


def test_list_rows_escape_and_mark_status_idle_and_next_activity(anna: Any, salesperson: Any, funnel: dict) -> None:
    """The rows are built in Python (sales.list_html): every value escaped, the stalled date,
    the idle badge and an overdue next activity as the shared partials show them elsewhere."""
    from dealflow.activities.models import Activity

    acme = CompanyFactory(name="Smith & <Sons>", owner=salesperson)
    risky = SaleFactory(title='<i>Tom & "Jerry"</i>', owner=salesperson, pipeline=funnel["pipeline"], company=acme)
    Activity.objects.create(subject="Call <back>", owner=salesperson, sale=risky,
                            starts_at=timezone.now() - dt.timedelta(hours=3))  # fmt: skip
    Sale.objects.filter(pk=risky.pk).update(phase_entered_at=timezone.now() - dt.timedelta(days=400))
    funnel["pipeline"].days_to_stall = 30
    funnel["pipeline"].save()
    stalled = SaleFactory(title="Waiting", owner=salesperson, pipeline=funnel["pipeline"])
    services.sale_stall(actor=salesperson, sale=stalled, reopen_date=today() + dt.timedelta(days=9),
                        stall_reason=StallReasonFactory())  # fmt: skip
    html = body(anna.get("/sales/", {"sort": "title"}))
    row = re.search(rf'<tr class="sale-row status-row-open">.*?value="{risky.pk}".*?</tr>', html, re.S)
    assert row, "no row for the sale"
    text_ = row.group(0)
    assert "&lt;i&gt;Tom &amp; &quot;Jerry&quot;&lt;/i&gt;" in text_ and "<i>" not in text_
    assert "Smith &amp; &lt;Sons&gt;" in text_
    assert 'class="badge idle"' in text_
    assert re.search(
        r'class="next-activity overdue">.*Call &lt;back&gt; <span class="overdue-mark">Overdue</span>', text_
    )
    until = date_format(today() + dt.timedelta(days=9), "SHORT_DATE_FORMAT")
    assert f'<span class="muted small">until {until}</span>' in html
    assert titles(html) == ['<i>Tom & "Jerry"</i>', "Waiting"]


def test_list_query_count_does_not_grow_with_rows(anna: Any, salesperson: Any, teammate: Any, funnel: dict) -> None:
    def make(n: int) -> None:
        for i in range(n):
            owner = salesperson if i % 2 else teammate
            company = CompanyFactory(owner=owner)
            SaleFactory(owner=owner, company=company, pipeline=funnel["pipeline"], sale_date=today())

    make(2)
    anna.get("/sales/")  # warm up (site settings row, sessions)
    with CaptureQueriesContext(connection) as few:
        assert anna.get("/sales/").status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as many:
        response = anna.get("/sales/")
    assert len(titles(body(response))) == 22
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    # +2: the notification bell, the "Next activity" column; +1: the favourites menu;
    # +3: the saved views menu, the bulk action's selections and owners; +1: the page's ids
    # first by a lean query (lists.CappedPaginator.page)
    assert len(many) <= 17


# --- create ------------------------------------------------------------------------------------


def test_new_sale_is_prefilled_from_company_person_and_project(anna: Any, salesperson: Any, funnel: dict) -> None:
    account_type = AccountTypeFactory(code="lead", uses_lead_phases=True, pipeline=funnel["pipeline"])
    company = CompanyFactory(owner=salesperson, account_type=account_type)
    person = PersonFactory(company=company, owner=salesperson)
    project = ProjectFactory(company=company, owner=salesperson)

    html = body(anna.get("/sales/new/", {"company": company.pk}))
    assert value_of(html, "company") == str(company.pk)
    assert value_of(html, "pipeline") == str(funnel["pipeline"].pk)
    html = body(anna.get("/sales/new/", {"person": person.pk}))
    assert (value_of(html, "person"), value_of(html, "company")) == (str(person.pk), str(company.pk))
    html = body(anna.get("/sales/new/", {"project": project.pk}))
    assert (value_of(html, "project"), value_of(html, "company")) == (str(project.pk), str(company.pk))


def test_new_sale_ignores_a_company_the_user_may_not_see(anna: Any, outsider: Any, funnel: dict) -> None:
    hidden = CompanyFactory(owner=outsider, name="Secret BV")
    html = body(anna.get("/sales/new/", {"company": hidden.pk}))
    assert value_of(html, "company") in (None, "") and "Secret BV" not in html


def test_create_a_sale(anna: Any, salesperson: Any, company: Any, funnel: dict) -> None:
    response = anna.post("/sales/new/?company=%d" % company.pk, {
        "title": "New boiler", "company": company.pk, "amount": "2500.00", "score": "30", "currency": "eur",
        "total_cost": "2000.00",
    })  # fmt: skip
    sale = Sale.objects.get(title="New boiler")
    assert response.status_code == 302 and response["Location"] == f"/sales/{sale.pk}/"
    assert (sale.owner, sale.phase, sale.currency, sale.profit) == (
        salesperson, funnel["phases"]["lead"], "EUR", Decimal("500.00"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("title", "   ", "This field is required."),
        ("score", "0", "greater than or equal to 1"),
        ("score", "101", "less than or equal to 100"),
        ("score", "7.5", "Enter a whole number."),
        ("amount", "-1", "greater than or equal to 0"),
        ("probability", "120", "less than or equal to 100"),
    ],
)
def test_create_refusals_keep_the_input(anna: Any, funnel: dict, field: str, value: str, message: str) -> None:
    data = {"title": "Boiler", "amount": "100", "score": "50", "probability": "", **{field: value}}
    response = anna.post("/sales/new/", data)
    html = body(response)
    assert response.status_code == 200
    assert any(message in e for e in errors(html)), errors(html)
    assert value_of(html, field) == value.strip() or field == "title"
    assert not Sale.objects.exists()


def test_relation_cards_offer_a_new_sale_and_list_their_sales(anna: Any, sale: Sale, salesperson: Any) -> None:
    person = PersonFactory(company=sale.company, owner=salesperson)
    project = ProjectFactory(company=sale.company, owner=salesperson)
    services.sale_update(actor=salesperson, sale=sale, data={"person": person, "project": project})
    for path, query in ((f"/companies/{sale.company_id}/", f"company={sale.company_id}"),
                        (f"/persons/{person.pk}/", f"person={person.pk}"),
                        (f"/projects/{project.pk}/", f"project={project.pk}")):  # fmt: skip
        html = body(anna.get(path))
        [section] = find(html, "section", id="sales")
        assert f'href="/sales/new/?{query}"' in str(section).replace("&amp;", "&")
        assert "Cooling for Acme" in text(section)


# --- the card ----------------------------------------------------------------------------------


def tab(html: str, name: str) -> Element:
    [el] = find(html, "a", role="tab", id=f"tab-{name}")
    return el


def test_card_has_an_accessible_tablist(anna: Any, sale: Sale) -> None:
    html = body(anna.get(url("card", sale)))
    [tablist] = find(html, role="tablist")
    assert [text(t) for t in find(str(tablist), "a", role="tab")] == ["Sale", "Details", "More", "Note", "Links"]
    assert dict(tab(html, "sale").attributes)["aria-selected"] == "true"
    for name in ("sale", "details", "more", "note", "links"):
        [panel] = find(html, role="tabpanel", id=f"panel-{name}")
        assert dict(panel.attributes)["aria-labelledby"] == f"tab-{name}"
        assert ("hidden" in dict(panel.attributes)) == (name != "sale")
    # Without script a tab is a link that opens that panel.
    html = body(anna.get(url("card", sale, "tab=details")))
    assert dict(tab(html, "details").attributes)["aria-selected"] == "true"
    assert "hidden" not in dict(find(html, role="tabpanel", id="panel-details")[0].attributes)


def test_note_tab_carries_a_dot_only_when_the_note_has_text(anna: Any, sale: Sale, salesperson: Any) -> None:
    assert find(str(tab(body(anna.get(url("card", sale))), "note")), class_="dot") == []
    services.sale_update(actor=salesperson, sale=sale, data={"note": "Call back after the summer."})
    note_tab = tab(body(anna.get(url("card", sale))), "note")
    assert len(find(str(note_tab), "span", class_="dot")) == 1
    assert "(has text)" in text(note_tab)  # said to screen readers too


def test_pinned_user_defined_fields_are_on_the_sale_tab_and_all_on_more(anna: Any, sale: Sale) -> None:
    UserDefinedField.objects.create(entity="sale", code="region", label="Region", pinned=True, order=1)
    UserDefinedField.objects.create(entity="sale", code="source", label="Lead source", order=2)
    UserDefinedField.objects.create(entity="company", code="size", label="Company size", pinned=True)
    html = body(anna.get(url("card", sale)))
    [sale_panel] = find(html, role="tabpanel", id="panel-sale")
    [more_panel] = find(html, role="tabpanel", id="panel-more")
    assert find(str(sale_panel), "input", name="udf_region") and not find(str(sale_panel), name="udf_source")
    assert find(str(more_panel), "input", name="udf_source")
    assert "Region" in text(more_panel) and "Shown on the Sale tab." in text(more_panel)
    assert "Company size" not in html


def test_saving_user_defined_fields(anna: Any, sale: Sale) -> None:
    UserDefinedField.objects.create(entity="sale", code="region", label="Region", pinned=True)
    data = card_data(anna, sale) | {"udf_region": "North"}
    assert anna.post(url("card", sale), data).status_code == 302
    assert fresh(sale).custom == {"region": "North"}


def test_phase_ladder_and_records(anna: Any, sale: Sale, salesperson: Any, funnel: dict) -> None:
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=funnel["phases"]["qualified"], score=70,
                                expected_value=Decimal("1234.50"), recurring_value=Decimal("20"))  # fmt: skip
    html = body(anna.get(url("card", sale)))
    [ladder] = find(html, "ol", class_="ladder")
    steps = find(str(ladder), "li")
    assert [text(s).split(" ")[0] for s in steps] == ["Lead", "Qualified", "Proposal", "Closing"]
    assert [("aria-current" in dict(s.attributes)) for s in steps] == [False, True, False, False]
    [table] = find(html, "table", class_="records")
    rows = [[text(td) for td in find(str(tr), "td")] for tr in find(str(table), "tr") if find(str(tr), "td")]
    assert [r[0] for r in rows] == ["Lead", "Qualified"]
    assert rows[0][2] != "—" and rows[1][2] == "—"  # left, still there
    assert rows[0][3] == str(salesperson)
    assert rows[0][4:] == ["70", "1,234.50", "20.00"]


def card_data(client: Any, sale: Sale, **changes: str) -> dict[str, str]:
    """What the card's form would post: every field as rendered, then the user's changes."""
    html = body(client.get(url("card", sale)))
    [form] = find(html, "form", id="sale-form")
    data: dict[str, str] = {}
    for el in find(str(form)):
        name = dict(el.attributes).get("name")
        if not name or el.name not in ("input", "select", "textarea") or name == "csrfmiddlewaretoken":
            continue
        if dict(el.attributes).get("form") or dict(el.attributes).get("type") == "search":
            continue
        data[name] = value_of(str(form), name) or ""
    return {**data, **changes}


def test_save_the_card(anna: Any, sale: Sale) -> None:
    response = anna.post(url("card", sale, "from=sort%3Dtitle&i=0"), card_data(anna, sale, title="Cooling, phase 2",
                                                                              note="Hello", tab="note"))  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/sales/{sale.pk}/?from=sort%3Dtitle&i=0&tab=note"
    assert (fresh(sale).title, fresh(sale).note, fresh(sale).version) == ("Cooling, phase 2", "Hello", 2)


def test_saving_the_card_keeps_links_to_records_of_another_team(anna: Any, sale: Sale, outsider: Any) -> None:
    """A sale the user may see can point at a company, person or project another team owns
    (handed over, or linked by an administrator): the card shows them as chosen, and saving
    something else leaves them in place instead of clearing them silently."""
    theirs = CompanyFactory(owner=outsider, name="Their Company")
    person = PersonFactory(owner=outsider, company=theirs, last_name="Theirs")
    project = ProjectFactory(owner=outsider, company=theirs, name="Their Project")
    Sale.objects.filter(pk=sale.pk).update(company=theirs, person=person, project=project)
    data = card_data(anna, sale, title="Renamed")
    assert (data["company"], data["person"], data["project"]) == (str(theirs.pk), str(person.pk), str(project.pk))
    assert anna.post(url("card", sale), data).status_code == 302
    saved = fresh(sale)
    assert (saved.title, saved.company, saved.person, saved.project) == ("Renamed", theirs, person, project)
    # Choosing another team's record stays refused.
    other = CompanyFactory(owner=outsider, name="Not Yours")
    response = anna.post(url("card", sale), card_data(anna, sale, company=str(other.pk)))
    assert response.status_code == 200 and fresh(sale).company == theirs


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"total_cost": "600.00"}, ("600.00", "400.00", "40.00")),
        ({"profit": "250.00"}, ("750.00", "250.00", "25.00")),
        ({"profit_pct": "10.00"}, ("900.00", "100.00", "10.00")),
        # The browser recalculated all three and says which one the user typed in.
        (
            {"total_cost": "777.77", "profit": "222.23", "profit_pct": "22.22", "profit_basis": "total_cost"},
            ("777.77", "222.23", "22.22"),
        ),
    ],
)
def test_cost_profit_and_profit_pct_recalculate(anna: Any, sale: Sale, changes: dict, expected: tuple) -> None:
    assert anna.post(url("card", sale), card_data(anna, sale, **changes)).status_code == 302
    s = fresh(sale)
    assert (str(s.total_cost), str(s.profit), str(s.profit_pct)) == expected


def test_details_tab_has_the_live_profit_maths_hooks(anna: Any, sale: Sale) -> None:
    html = body(anna.get(url("card", sale)))
    [form] = find(html, "form", id="sale-form")
    assert "data-profit-maths" in dict(form.attributes)
    assert find(html, "input", name="profit_basis", type="hidden")
    assert 'src="/static/sales/card.js"' in html


@pytest.mark.parametrize(
    ("field", "value", "message", "tab_name"),
    [
        ("title", "", "This field is required.", "sale"),
        ("score", "0", "greater than or equal to 1", "sale"),
        ("score", "101", "less than or equal to 100", "sale"),
        ("score", "7.5", "Enter a whole number.", "sale"),
        ("amount", "-5", "greater than or equal to 0", "sale"),
        ("probability", "120", "less than or equal to 100", "sale"),
        ("total_cost", "-1", "greater than or equal to 0", "details"),
    ],
)
def test_card_refusals(anna: Any, sale: Sale, field: str, value: str, message: str, tab_name: str) -> None:
    response = anna.post(url("card", sale), card_data(anna, sale, **{field: value, "note": "typed"}))
    html = body(response)
    assert response.status_code == 200
    assert any(message in e for e in errors(html)), errors(html)
    assert value_of(html, "note") == "typed"  # the rest of the input stays
    assert dict(tab(html, tab_name).attributes)["aria-selected"] == "true"  # the tab with the error is open
    assert fresh(sale).version == 1


def test_stale_save_is_refused_with_what_changed(anna: Any, client: Any, sale: Sale, teammate: Any) -> None:
    mine = card_data(anna, sale, title="My title", note="My note")
    services.sale_update(actor=teammate, sale=sale, data={"amount": Decimal("5000.00")}, expected_version=1)

    response = anna.post(url("card", sale), mine)

    html = body(response)
    assert response.status_code == 200
    [alert] = find(html, "div", role="alert")
    assert "Someone else saved" in text(alert) and "5000.00" in text(alert)
    assert (value_of(html, "title"), value_of(html, "note")) == ("My title", "My note")
    assert value_of(html, "version") == "2"  # the next save is based on what the user has now seen
    assert fresh(sale).title == "Cooling for Acme" and fresh(sale).amount == Decimal("5000.00")


def test_card_shows_history(anna: Any, sale: Sale, salesperson: Any) -> None:
    services.sale_update(actor=salesperson, sale=sale, data={"title": "Renamed"})
    [history] = find(body(anna.get(url("card", sale))), "section", class_="history")
    assert "Cooling for Acme → Renamed" in text(history)


def test_stalled_and_closed_heads(anna: Any, sale: Sale, salesperson: Any, funnel: dict) -> None:
    reopen = today() + dt.timedelta(days=14)
    services.sale_stall(actor=salesperson, sale=sale, reopen_date=reopen, stall_reason=funnel["stall"])
    html = body(anna.get(url("card", sale)))
    [note] = find(html, id="stall-note")
    assert date_format(reopen, "DATE_FORMAT") in text(note) and "Budget next year" in text(note)
    assert find(html, "span", class_="status-stalled")
    assert not find(html, "a", href=url("move", sale))  # only open sales change phase
    assert find(html, "a", href=url("reopen", sale))

    services.sale_reopen(actor=salesperson, sale=fresh(sale))
    services.sale_close(actor=salesperson, sale=fresh(sale), outcome=Outcome.LOST, close_reason=funnel["lost"],
                        competitor=funnel["competitor"])  # fmt: skip
    [note] = find(body(anna.get(url("card", sale))), id="close-note")
    assert "Lost on" in text(note) and "Too expensive" in text(note) and "Contoso" in text(note)


# --- browsing ----------------------------------------------------------------------------------


def test_previous_and_next_through_the_list(anna: Any, salesperson: Any, funnel: dict) -> None:
    a, b, c = (SaleFactory(title=t, owner=salesperson, pipeline=funnel["pipeline"]) for t in ("A", "B", "C"))
    query = quote("sort=title", safe="")
    html = body(anna.get(f"/sales/{b.pk}/?from={query}&i=1"))
    [nav] = find(html, "nav", class_="browse")
    [prev] = find(str(nav), "a", rel="prev")
    [nxt] = find(str(nav), "a", rel="next")
    assert dict(prev.attributes)["href"] == f"/sales/{a.pk}/?from={query}&i=0"
    assert dict(nxt.attributes)["href"] == f"/sales/{c.pk}/?from={query}&i=2"
    assert "No. 2 in the list" in text(nav)
    [back] = [x for x in find(str(nav), "a") if "Back" in text(x)]
    assert dict(back.attributes)["href"] == "/sales/?sort=title&page=1"
    # A wrong position hint is corrected; the end of the list has no next.
    html = body(anna.get(f"/sales/{c.pk}/?from={query}&i=0"))
    assert not find(html, "a", rel="next") and find(html, "a", rel="prev")


def test_browsing_skips_completed_sales_if_the_user_prefers(anna: Any, salesperson: Any, funnel: dict) -> None:
    a, b, c = (SaleFactory(title=t, owner=salesperson, pipeline=funnel["pipeline"]) for t in ("A", "B", "C"))
    services.sale_close(actor=salesperson, sale=b, outcome=Outcome.WON, close_reason=funnel["won"])
    query = quote("sort=title", safe="")
    [nxt] = find(body(anna.get(f"/sales/{a.pk}/?from={query}&i=0")), "a", rel="next")
    assert dict(nxt.attributes)["href"].startswith(f"/sales/{b.pk}/")
    salesperson.preferences = {"skip_completed_sales": True}
    salesperson.save(update_fields=["preferences"])
    [nxt] = find(body(anna.get(f"/sales/{a.pk}/?from={query}&i=0")), "a", rel="next")
    assert dict(nxt.attributes)["href"] == f"/sales/{c.pk}/?from={query}&i=2"


def test_card_has_a_print_button_and_print_styles(anna: Any, sale: Sale) -> None:
    html = body(anna.get(url("card", sale)))
    assert [text(b) for b in find(html, "button", data_print=True)] == ["Print"]
    assert 'href="/static/sales/sales.css"' in html


# --- actions -----------------------------------------------------------------------------------


def test_each_action_is_a_page_and_an_htmx_dialog(anna: Any, sale: Sale) -> None:
    for name in ("move", "close", "stall", "delete"):
        full = body(anna.get(url(name, sale)))
        part = body(anna.get(url(name, sale), headers=HTMX)).strip()
        assert "<html" in full and "<html" not in part and part.startswith('<div class="action-form"')
        [form] = find(part, "form")
        assert dict(form.attributes)["hx-post"] == url(name, sale)
    html = body(anna.get(url("card", sale)))
    [dialog] = find(html, "dialog", id="action-dialog")
    assert dict(dialog.attributes)["aria-labelledby"] == "action-title"
    for name in ("move", "stall", "delete"):
        links = find(html, "a", href=url(name, sale))
        assert links and all(dict(link.attributes)["hx-target"] == "#action-dialog-body" for link in links)


def test_move_to_the_next_phase(anna: Any, sale: Sale, funnel: dict) -> None:
    qualified = funnel["phases"]["qualified"]
    response = anna.post(url("move", sale, "from=sort%3Dtitle&i=0"), {"phase": qualified.pk, "score": "55",
                                                                       "version": "1"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/sales/{sale.pk}/?from=sort%3Dtitle&i=0"
    assert (fresh(sale).phase, fresh(sale).score) == (qualified, 55)


def test_move_with_htmx_answers_with_a_redirect_to_the_card(anna: Any, sale: Sale, funnel: dict) -> None:
    response = anna.post(url("move", sale), {"phase": funnel["phases"]["proposal"].pk}, headers=HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == url("card", sale)


def move_refusal(client: Any, sale: Sale, data: dict, headers: dict | None = None) -> tuple[str, list[str]]:
    before = (fresh(sale).phase_id, fresh(sale).status, fresh(sale).version, PhaseRecord.objects.count())
    response = client.post(url("move", sale), data, headers=headers or {})
    assert response.status_code == 200
    after = (fresh(sale).phase_id, fresh(sale).status, fresh(sale).version, PhaseRecord.objects.count())
    assert before == after, "a refused move changed something"
    html = body(response)
    return html, errors(html)


def test_move_into_the_closing_phase_without_a_reason_is_refused(anna: Any, sale: Sale, funnel: dict) -> None:
    closing = funnel["phases"]["closing"]
    html, errs = move_refusal(anna, sale, {"phase": closing.pk, "outcome": "won"})
    assert "Choose a close reason." in errs
    assert value_of(html, "phase") == str(closing.pk) and value_of(html, "outcome") == "won"
    [option] = [o for o in find(html, "option") if dict(o.attributes).get("value") == str(closing.pk)]
    assert "data-closing" in dict(option.attributes)  # the close fields show for it
    html, errs = move_refusal(anna, sale, {"phase": closing.pk, "close_reason": funnel["won"].pk})
    assert "Choose whether the sale was won or lost." in errs


def test_a_lost_reason_does_not_fit_a_won_sale(anna: Any, sale: Sale, funnel: dict) -> None:
    closing = funnel["phases"]["closing"]
    html, errs = move_refusal(anna, sale, {"phase": closing.pk, "outcome": "won", "close_reason": funnel["lost"].pk},
                              headers=HTMX)  # fmt: skip
    assert any("does not fit the outcome “Won”" in e for e in errs), errs
    # The reasons carry their outcome so the browser can offer only fitting ones.
    outcomes = {text(o): dict(o.attributes).get("data-outcome") for o in find(html, "option") if "data-outcome" in
                dict(o.attributes)}  # fmt: skip
    assert outcomes == {"Best offer": "won", "Too expensive": "lost", "Timing": "either"}


def test_moving_a_sold_sale_is_refused(anna: Any, sale: Sale, salesperson: Any, funnel: dict) -> None:
    services.sale_close(actor=salesperson, sale=sale, outcome=Outcome.WON, close_reason=funnel["won"])
    html, errs = move_refusal(anna, sale, {"phase": funnel["phases"]["qualified"].pk})
    assert any("Only open sales can change phase" in e for e in errs), errs


@pytest.mark.parametrize("score", ["0", "101", "7.5"])
def test_move_refuses_a_bad_score(anna: Any, sale: Sale, funnel: dict, score: str) -> None:
    html, errs = move_refusal(anna, sale, {"phase": funnel["phases"]["qualified"].pk, "score": score})
    assert errs and value_of(html, "score") == score


def test_stale_move_is_refused(anna: Any, sale: Sale, salesperson: Any, funnel: dict) -> None:
    services.sale_update(actor=salesperson, sale=sale, data={"title": "Changed"})
    html, errs = move_refusal(anna, sale, {"phase": funnel["phases"]["qualified"].pk, "version": "1"})
    assert any("Someone else saved" in e for e in errs)


def test_mark_sold_and_lost(anna: Any, salesperson: Any, funnel: dict) -> None:
    won = SaleFactory(owner=salesperson, pipeline=funnel["pipeline"])
    html = body(anna.get(url("close", won, "outcome=won")))
    assert value_of(html, "outcome") == "won" and "Mark sold" in text(find(html, "h2", id="action-title")[0])
    response = anna.post(url("close", won), {"outcome": "won", "close_reason": funnel["won"].pk,
                                              "closed_date": "2026-01-15"})  # fmt: skip
    assert response.status_code == 302
    s = fresh(won)
    assert (s.status, s.close_reason, s.closed_date, s.phase) == (
        SaleStatus.SOLD, funnel["won"], dt.date(2026, 1, 15), funnel["phases"]["closing"])  # fmt: skip

    lost = SaleFactory(owner=salesperson, pipeline=funnel["pipeline"])
    assert "Mark lost" in body(anna.get(url("close", lost, "outcome=lost")))
    anna.post(url("close", lost), {"outcome": "lost", "close_reason": funnel["either"].pk,
                                   "competitor": funnel["competitor"].pk})  # fmt: skip
    assert (fresh(lost).status, fresh(lost).competitor) == (SaleStatus.LOST, funnel["competitor"])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"outcome": "lost"}, "close_reason", "Choose a close reason."),
        ({"outcome": "won", "close_reason": "lost"}, "close_reason", "does not fit the outcome “Won”"),
        ({"outcome": "draw", "close_reason": "either"}, "outcome", "Select a valid choice"),
    ],
)
def test_close_refusals(anna: Any, sale: Sale, funnel: dict, data: dict, field: str, message: str) -> None:
    data = {k: (funnel[v].pk if k == "close_reason" else v) for k, v in data.items()}
    response = anna.post(url("close", sale), data)
    html = body(response)
    assert response.status_code == 200 and any(message in e for e in errors(html)), errors(html)
    assert fresh(sale).status == SaleStatus.OPEN and fresh(sale).version == 1


@pytest.mark.parametrize(
    ("reopen", "reason", "message"),
    [
        (None, True, "Choose the date on which the sale reopens."),
        (-1, True, "The reopen date must be in the future."),
        (0, True, "The reopen date must be in the future."),
        (10, False, "Choose a reason."),
    ],
)
def test_stall_refusals(anna: Any, sale: Sale, funnel: dict, reopen: int | None, reason: bool, message: str) -> None:
    data = {"reopen_date": (today() + dt.timedelta(days=reopen)).isoformat() if reopen is not None else "",
            "stall_reason": funnel["stall"].pk if reason else ""}  # fmt: skip
    response = anna.post(url("stall", sale), data)
    html = body(response)
    assert response.status_code == 200 and message in errors(html), errors(html)
    assert value_of(html, "reopen_date") == data["reopen_date"]
    assert fresh(sale).status == SaleStatus.OPEN


def test_stall_then_reopen(anna: Any, sale: Sale, funnel: dict) -> None:
    reopen = today() + dt.timedelta(days=7)
    anna.post(url("stall", sale), {"reopen_date": reopen.isoformat(), "stall_reason": funnel["stall"].pk})
    assert (fresh(sale).status, fresh(sale).reopen_date) == (SaleStatus.STALLED, reopen)
    # Stalling twice is refused (only open sales), as a message on the form.
    html = body(anna.post(url("stall", sale), {"reopen_date": reopen.isoformat(), "stall_reason": funnel["stall"].pk}))
    assert "Only open sales can be stalled." in errors(html)

    confirm = body(anna.get(url("reopen", sale)))
    assert find(confirm, "button", type="submit") and fresh(sale).status == SaleStatus.STALLED
    response = anna.post(url("reopen", sale), {"version": str(fresh(sale).version)})
    assert response.status_code == 302 and fresh(sale).status == SaleStatus.OPEN
    html = body(anna.post(url("reopen", sale), {}))
    assert "This sale is already open." in errors(html)


def test_delete_asks_first(anna: Any, sale: Sale) -> None:
    assert "cannot be undone" in body(anna.get(url("delete", sale)))
    assert Sale.objects.filter(pk=sale.pk).exists()
    response = anna.post(url("delete", sale, "from=q%3Dcool"))
    assert response.status_code == 302 and response["Location"] == "/sales/?q=cool"
    assert not Sale.objects.filter(pk=sale.pk).exists()
    assert AuditEvent.objects.filter(object_type="sale", object_id=sale.pk, action="delete").exists()


# --- stakeholders, guide, documents, links -------------------------------------------------


def test_add_and_remove_a_stakeholder_from_any_visible_company(anna: Any, sale: Sale, teammate: Any) -> None:
    elsewhere = PersonFactory(first_name="Eva", last_name="Bos", company=CompanyFactory(owner=teammate))
    response = anna.post(f"/sales/{sale.pk}/stakeholders/", {"stakeholder-person": elsewhere.pk,
                         "stakeholder-role": "Decision maker", "stakeholder-comment": "Signs"}, headers=HTMX)  # fmt: skip
    html = body(response).strip()
    assert html.startswith('<section id="stakeholders"')
    assert "Eva Bos" in html and "Decision maker" in html and "was added" in html
    stakeholder = Stakeholder.objects.get(sale=sale)
    # Twice is refused in place.
    html = body(anna.post(f"/sales/{sale.pk}/stakeholders/", {"stakeholder-person": elsewhere.pk}, headers=HTMX))
    assert "This person is already a stakeholder of this sale." in errors(html)
    html = body(anna.post(f"/sales/{sale.pk}/stakeholders/{stakeholder.pk}/remove/", headers=HTMX))
    assert "was removed" in html and not Stakeholder.objects.exists()


def test_a_hidden_person_cannot_be_a_stakeholder(anna: Any, sale: Sale, outsider: Any) -> None:
    hidden = PersonFactory(company=CompanyFactory(owner=outsider))
    response = anna.post(f"/sales/{sale.pk}/stakeholders/", {"stakeholder-person": hidden.pk})
    assert response.status_code == 200 and any("valid choice" in e for e in errors(body(response)))
    assert not Stakeholder.objects.exists()
    assert str(hidden.last_name) not in body(anna.get("/sales/options/person/", {"q": hidden.last_name}))


def test_guide_steps_tick_and_untick(anna: Any, sale: Sale, funnel: dict) -> None:
    step = GuideStepFactory(phase=funnel["phases"]["lead"], text="Call to qualify")
    GuideStepFactory(phase=funnel["phases"]["qualified"], text="Not this phase")
    html = body(anna.get(url("card", sale)))
    [guide] = find(html, "section", id="guide")
    assert "Call to qualify" in text(guide) and "Not this phase" not in text(guide)
    [form] = find(str(guide), "form")
    assert dict(form.attributes)["hx-trigger"] == "change"

    html = body(anna.post(f"/sales/{sale.pk}/guide/{step.pk}/", {"done": "1"}, headers=HTMX))
    assert html.strip().startswith('<section id="guide"')
    [box] = find(html, "input", type="checkbox")
    assert "checked" in dict(box.attributes)
    assert sale.guide_ticks.count() == 1
    html = body(anna.post(f"/sales/{sale.pk}/guide/{step.pk}/", {}, headers=HTMX))
    assert "checked" not in dict(find(html, "input", type="checkbox")[0].attributes)
    assert sale.guide_ticks.count() == 0


def test_documents_upload_download_delete(anna: Any, sale: Sale, outsider: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("offer.html", b"<script>alert(1)</script>", content_type="text/html")
    response = anna.post(f"/sales/{sale.pk}/documents/", {"document-file": upload, "document-name": "Offer v1"})
    assert response.status_code == 302 and response["Location"] == f"/sales/{sale.pk}/?tab=links"
    document = SaleDocument.objects.get(sale=sale)
    assert (tmp_path / document.file.name).exists() and document.file.name.startswith(f"sales/{sale.pk}/")

    html = body(anna.get(url("card", sale, "tab=links")))
    [link] = [a for a in find(html, "a") if text(a) == "Offer v1"]
    href = dict(link.attributes)["href"]
    response = anna.get(href)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")  # never rendered in our origin
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"

    other = Client()
    other.force_login(outsider)
    assert other.get(href).status_code == 404

    anna.post(f"/sales/{sale.pk}/documents/{document.pk}/delete/")
    assert not SaleDocument.objects.exists()
    assert anna.get(href).status_code == 404


def test_upload_without_a_file_is_refused(anna: Any, sale: Sale) -> None:
    html = body(anna.post(f"/sales/{sale.pk}/documents/", {"document-name": "Nothing"}))
    assert "This field is required." in errors(html)
    assert dict(tab(html, "links").attributes)["aria-selected"] == "true"


def test_link_and_unlink_another_sale(anna: Any, sale: Sale, salesperson: Any, outsider: Any, funnel: dict) -> None:
    other = SaleFactory(title="Maintenance Acme", owner=salesperson, company=sale.company, pipeline=funnel["pipeline"])
    hidden = SaleFactory(title="Hidden deal", owner=outsider, pipeline=funnel["pipeline"])
    html = body(anna.get(url("card", sale, "tab=links")))
    assert "Maintenance Acme" in text(find(html, "select", name="link-other")[0])
    assert "Maintenance" in body(anna.get("/sales/options/sale/", {"q": "maint", "exclude": sale.pk}))
    assert "Hidden" not in body(anna.get("/sales/options/sale/", {"q": "hidden"}))

    response = anna.post(f"/sales/{sale.pk}/links/", {"link-other": hidden.pk})
    assert response.status_code == 200 and any("valid choice" in e for e in errors(body(response)))
    anna.post(f"/sales/{sale.pk}/links/", {"link-other": other.pk})
    assert list(fresh(sale).linked_sales.all()) == [other]
    assert "Cooling for Acme" in body(anna.get(url("card", other, "tab=links")))  # both ways
    anna.post(f"/sales/{sale.pk}/links/{other.pk}/remove/")
    assert not fresh(sale).linked_sales.exists()


def test_pickers_offer_only_visible_records(anna: Any, salesperson: Any, outsider: Any) -> None:
    CompanyFactory(owner=salesperson, name="Visible Bakery")
    CompanyFactory(owner=outsider, name="Hidden Bakery")
    html = body(anna.get("/sales/options/company/", {"q": "bakery"}))
    assert "Visible Bakery" in html and "Hidden" not in html
    assert anna.get("/sales/options/nonsense/", {"q": "x"}).status_code == 404


def test_card_pickers_do_not_list_every_company(anna: Any, sale: Sale, salesperson: Any) -> None:
    for i in range(5):
        CompanyFactory(owner=salesperson, name=f"Other {i}")
    html = body(anna.get(url("card", sale)))
    [select] = find(html, "select", name="company")
    assert [text(o) for o in find(str(select), "option")] == ["—", "Acme Installations"]
    [search] = find(html, "input", id="id_company-search")
    assert dict(search.attributes)["hx-get"] == "/sales/options/company/"
    # Any visible company may still be chosen.
    other = CompanyFactory(owner=salesperson, name="Other 9")
    assert anna.post(url("card", sale), card_data(anna, sale, company=str(other.pk))).status_code == 302
    assert fresh(sale).company == other


# --- the company Overview ------------------------------------------------------------------


@pytest.fixture
def lead_company(salesperson: Any, funnel: dict) -> Any:
    account_type = AccountTypeFactory(code="lead", name="Lead", uses_lead_phases=True, pipeline=funnel["pipeline"])
    from dealflow.relations import services as relations

    return relations.company_create(actor=salesperson, data={"name": "Bakery Smit", "account_type": account_type})


def overview_sale(company: Any) -> Sale:
    return Sale.objects.get(company=company)


def test_overview_tab_is_there_for_account_types_with_lead_phases(anna: Any, lead_company: Any) -> None:
    html = body(anna.get(f"/companies/{lead_company.pk}/"))
    [tablist] = find(html, role="tablist")
    assert [text(t) for t in find(str(tablist), role="tab")] == ["Details", "Overview"]
    [panel] = find(html, role="tabpanel", id="panel-overview")
    assert "hidden" in dict(panel.attributes)
    html = body(anna.get(f"/companies/{lead_company.pk}/?tab=overview"))
    [panel] = find(html, role="tabpanel", id="panel-overview")
    assert "hidden" not in dict(panel.attributes)
    [funnel_row] = find(str(panel), "ol", class_="funnel")
    steps = find(str(funnel_row), "li")
    assert [text(find(str(s), class_="phase-name")[0]).split(" (")[0] for s in steps] == [
        "Lead", "Qualified", "Proposal", "Closing"]  # fmt: skip
    assert [("aria-current" in dict(s.attributes)) for s in steps] == [True, False, False, False]
    assert find(str(panel), "input", name=f"v{overview_sale(lead_company).pk}-score")
    # The close form's empty choices read "—", as everywhere else on the funnel's screens.
    pk = overview_sale(lead_company).pk
    for name in (f"c{pk}-close_reason", f"c{pk}-competitor"):
        [select] = find(str(panel), "select", name=name)
        assert text(find(str(select), "option", value="")[0]) == "—"


def test_overview_steps_mark_done_current_and_empty_phases(anna: Any, salesperson: Any, lead_company: Any,
                                                            funnel: dict) -> None:  # fmt: skip
    """The funnel steps are built in Python (sales.overview_html): passed phases marked done,
    the current one as the step, dashes where the sale never was, names escaped, translated."""
    phases = funnel["phases"]
    phases["proposal"].name = "Offer <& quote>"
    phases["proposal"].save()
    sale = overview_sale(lead_company)
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=phases["qualified"], score=70)
    html = body(anna.get(f"/companies/{lead_company.pk}/?tab=overview"))
    [funnel_row] = find(html, "ol", class_="funnel")
    lead, qualified, proposal, closing = find(str(funnel_row), "li")
    assert dict(lead.attributes)["class"] == "done" and "aria-current" not in dict(lead.attributes)
    assert dict(qualified.attributes)["aria-current"] == "step" and "(current phase)" in text(qualified)
    assert "70" in text(qualified)
    assert "Offer <& quote>" in text(proposal) and "Offer &lt;&amp; quote&gt;" in html
    assert [text(d) for d in find(str(closing), "dd")] == ["—", "—", "—"]
    dutch = body(anna.get(f"/companies/{lead_company.pk}/?tab=overview", HTTP_ACCEPT_LANGUAGE="nl"))
    assert "(huidige fase)" in dutch and 'aria-label="Leadfasen"' in dutch


def test_overview_query_count_does_not_grow_with_its_sales(anna: Any, salesperson: Any, lead_company: Any,
                                                            funnel: dict) -> None:  # fmt: skip
    CompetitorFactory(name="Globex")
    page = f"/companies/{lead_company.pk}/?tab=overview"
    anna.get(page)  # warm up
    with CaptureQueriesContext(connection) as few:
        assert anna.get(page).status_code == 200
    for _ in range(6):
        SaleFactory(owner=salesperson, company=lead_company, pipeline=funnel["pipeline"], sale_date=today())
    with CaptureQueriesContext(connection) as many:
        html = body(anna.get(page))
    assert html.count(">Globex<") == 7  # a close form with the competitors for each open sale
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_overview_tab_is_absent_without_lead_phases_or_funnel(anna: Any, salesperson: Any, funnel: dict) -> None:
    plain = AccountTypeFactory(code="supplier", uses_lead_phases=False, pipeline=None)
    company = CompanyFactory(owner=salesperson, account_type=plain)
    SaleFactory(owner=salesperson, company=company, pipeline=funnel["pipeline"])
    html = body(anna.get(f"/companies/{company.pk}/?tab=overview"))
    assert not find(html, role="tablist") and not find(html, id="overview")
    assert anna.get(f"/companies/{company.pk}/overview/").status_code == 404

    typed = AccountTypeFactory(code="lead", uses_lead_phases=True, pipeline=funnel["pipeline"])
    company.account_type = typed
    company.save()
    assert find(body(anna.get(f"/companies/{company.pk}/")), role="tablist")
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    html = body(anna.get(f"/companies/{company.pk}/?tab=overview"))
    assert not find(html, role="tablist") and not find(html, id="overview")


def test_overview_enter_values_for_the_current_phase(anna: Any, lead_company: Any) -> None:
    sale = overview_sale(lead_company)
    p = f"v{sale.pk}"
    response = anna.post(f"/sales/{sale.pk}/overview/values/", {f"{p}-score": "75", f"{p}-expected_value": "1500",
                         f"{p}-recurring_value": "25", f"{p}-version": "1"}, headers=HTMX)  # fmt: skip
    html = body(response).strip()
    assert html.startswith('<section id="overview"')
    assert "Saved." in text(find(html, role="status")[0])
    [current] = find(html, "li", aria_current="step")
    assert "75" in text(current) and "1,500.00" in text(current) and "25.00" in text(current)
    # The card's list of sales is updated out of band.
    [oob] = find(html, "section", id="sales")
    assert dict(oob.attributes)["hx-swap-oob"] == "true"
    record = PhaseRecord.objects.get(sale=sale, left_at__isnull=True)
    assert (record.score, record.expected_value, record.recurring_value) == (75, Decimal("1500.00"), Decimal("25.00"))


@pytest.mark.parametrize(("field", "value"), [("score", "0"), ("score", "101"), ("score", "7.5"),
                                               ("expected_value", "-3"), ("recurring_value", "abc")])  # fmt: skip
def test_overview_refuses_bad_values_in_place(anna: Any, lead_company: Any, field: str, value: str) -> None:
    sale = overview_sale(lead_company)
    p = f"v{sale.pk}"
    html = body(anna.post(f"/sales/{sale.pk}/overview/values/", {f"{p}-{field}": value}, headers=HTMX))
    assert html.strip().startswith('<section id="overview"') and errors(html)
    assert value_of(html, f"{p}-{field}") == value
    assert fresh(sale).version == 1


def test_overview_refusal_without_script_shows_a_page_of_its_own(anna: Any, lead_company: Any) -> None:
    sale = overview_sale(lead_company)
    response = anna.post(f"/sales/{sale.pk}/overview/values/", {f"v{sale.pk}-score": "101"})
    html = body(response)
    assert response.status_code == 200 and "<html" in html and find(html, "section", id="overview")
    assert any("less than or equal to 100" in e for e in errors(html))
    [back] = [a for a in find(html, "a") if text(a) == "← Bakery Smit"]
    assert dict(back.attributes)["href"] == f"/companies/{lead_company.pk}/?tab=overview"


def test_a_guide_step_of_another_sale_type_is_a_404(anna: Any, sale: Sale) -> None:
    other = GuideStepFactory(phase=phases_of(pipeline_with_phases())["lead"])
    assert anna.post(f"/sales/{sale.pk}/guide/{other.pk}/", {"done": "1"}).status_code == 404
    assert not sale.guide_ticks.exists()


def test_overview_complete_phase_moves_to_the_next(anna: Any, lead_company: Any, funnel: dict) -> None:
    sale = overview_sale(lead_company)
    p = f"v{sale.pk}"
    html = body(anna.post(f"/sales/{sale.pk}/overview/complete/", {f"{p}-score": "60", f"{p}-version": "1"},
                          headers=HTMX))  # fmt: skip
    assert "Qualified" in text(find(html, "li", aria_current="step")[0])
    assert fresh(sale).phase == funnel["phases"]["qualified"]
    assert PhaseRecord.objects.get(sale=sale, phase=funnel["phases"]["lead"]).score == 60
    # Without script: back to the card with the tab open.
    response = anna.post(f"/sales/{sale.pk}/overview/complete/", {f"{p}-version": str(fresh(sale).version)})
    assert response.status_code == 302
    assert response["Location"] == f"/companies/{lead_company.pk}/?tab=overview#overview"
    assert fresh(sale).phase == funnel["phases"]["proposal"]
    # The next phase closes the sale: no Complete button, and a POST is refused.
    html = body(anna.get(f"/companies/{lead_company.pk}/overview/", headers=HTMX))
    assert not [b for b in find(html, "button") if "Complete phase" in text(b)]
    html = body(anna.post(f"/sales/{sale.pk}/overview/complete/", {}, headers=HTMX))
    assert any("close the sale instead" in e for e in errors(html))
    assert fresh(sale).phase == funnel["phases"]["proposal"]


def test_overview_close_refusals_and_success(anna: Any, lead_company: Any, funnel: dict) -> None:
    sale = overview_sale(lead_company)
    p = f"c{sale.pk}"
    html = body(anna.post(f"/sales/{sale.pk}/overview/close/", {f"{p}-outcome": "lost"}, headers=HTMX))
    assert "Choose a close reason." in errors(html)
    html = body(anna.post(f"/sales/{sale.pk}/overview/close/", {f"{p}-outcome": "won",
                          f"{p}-close_reason": funnel["lost"].pk}, headers=HTMX))  # fmt: skip
    assert any("does not fit the outcome “Won”" in e for e in errors(html))
    assert value_of(html, f"{p}-close_reason") == str(funnel["lost"].pk)
    assert fresh(sale).status == SaleStatus.OPEN

    html = body(anna.post(f"/sales/{sale.pk}/overview/close/", {f"{p}-outcome": "lost",
                          f"{p}-close_reason": funnel["lost"].pk, f"{p}-competitor": funnel["competitor"].pk},
                          headers=HTMX))  # fmt: skip
    assert fresh(sale).status == SaleStatus.LOST
    assert "Closing" in text(find(html, "li", aria_current="step")[0])
    assert "Too expensive" in html and not find(html, "input", name=f"v{sale.pk}-score")


def test_winning_in_the_overview_can_leave_a_type_without_overview(anna: Any, salesperson: Any, funnel: dict) -> None:
    customer = AccountTypeFactory(code="customer", uses_lead_phases=False)
    lead = AccountTypeFactory(
        code="lead", uses_lead_phases=True, pipeline=funnel["pipeline"], won_account_type=customer
    )
    from dealflow.relations import services as relations

    company = relations.company_create(actor=salesperson, data={"name": "Winner", "account_type": lead})
    sale = overview_sale(company)
    response = anna.post(f"/sales/{sale.pk}/overview/close/", {f"c{sale.pk}-outcome": "won",
                         f"c{sale.pk}-close_reason": funnel["won"].pk}, headers=HTMX)  # fmt: skip
    assert response.status_code == 204 and response["HX-Redirect"] == f"/companies/{company.pk}/"
    company.refresh_from_db()
    assert company.account_type == customer


def test_overview_start_a_sale(anna: Any, lead_company: Any, salesperson: Any, funnel: dict) -> None:
    services.sale_close(actor=salesperson, sale=overview_sale(lead_company), outcome=Outcome.LOST,
                        close_reason=funnel["lost"])  # fmt: skip
    html = body(anna.post(f"/companies/{lead_company.pk}/overview/start/", headers=HTMX))
    assert "A sale was started in this funnel." in html
    assert Sale.objects.filter(company=lead_company, status=SaleStatus.OPEN).count() == 1
    assert len(find(html, "article", class_="funnel-sale")) == 2


def test_company_card_query_count_with_overview(anna: Any, lead_company: Any, salesperson: Any, funnel: dict) -> None:
    anna.get(f"/companies/{lead_company.pk}/")
    with CaptureQueriesContext(connection) as one:
        anna.get(f"/companies/{lead_company.pk}/")
    for _ in range(3):
        services.sale_close(actor=salesperson, sale=Sale.objects.filter(company=lead_company, status="open").get(),
                            outcome=Outcome.LOST, close_reason=funnel["lost"])  # fmt: skip
        services.company_start_funnel(actor=salesperson, company=lead_company)
    with CaptureQueriesContext(connection) as four:
        anna.get(f"/companies/{lead_company.pk}/")
    assert len(four) == len(one)


def test_card_query_count_does_not_grow(anna: Any, sale: Sale, salesperson: Any, funnel: dict, settings: Any,
                                        tmp_path: Any) -> None:  # fmt: skip
    settings.MEDIA_ROOT = tmp_path

    def grow() -> None:
        person = PersonFactory(company=CompanyFactory(owner=salesperson), owner=salesperson)
        services.stakeholder_add(actor=salesperson, sale=sale, person=person, role="User")
        services.sale_document_add(actor=salesperson, sale=sale, file=SimpleUploadedFile("a.txt", b"a"), name="A")
        other = SaleFactory(owner=salesperson, company=CompanyFactory(owner=salesperson), pipeline=funnel["pipeline"])
        services.sale_link(actor=salesperson, sale=sale, other=other)
        GuideStepFactory(phase=funnel["phases"]["lead"])
        services.sale_update(actor=salesperson, sale=fresh(sale), data={"score": sale.score or 1})

    grow()
    anna.get(url("card", sale))
    with CaptureQueriesContext(connection) as few:
        anna.get(url("card", sale, "from=sort%3Dtitle&i=0"))
    for _ in range(4):
        grow()
    with CaptureQueriesContext(connection) as many:
        anna.get(url("card", sale, "from=sort%3Dtitle&i=0"))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 25, len(many)  # whether the user sees every owner comes with the people they see
    # The card's option lists (pipeline, competitor, phases...) are plain reads: on PostgreSQL
    # Django's own `.iterator()` opened a server-side cursor for each (DECLARE, FETCH, CLOSE).
    assert not [q["sql"] for q in many.captured_queries if "DECLARE" in q["sql"] or "FETCH" in q["sql"]]
    assert '<option value="">—</option>' in anna.get(url("card", sale)).content.decode()


def test_card_pickers_use_the_company_and_person_read_with_the_sale(anna: Any, sale: Sale, company: Any,
                                                                   salesperson: Any) -> None:  # fmt: skip
    """The card's company and person pickers show the sale's own, read once with the sale; a
    person of another company is read again to show that company in the label."""
    sale.person = PersonFactory(first_name="Ada", last_name="Smit", company=company, owner=salesperson)
    sale.save()

    def reads_of(table: str, captured: Any) -> list[str]:  # the picker's read of the one chosen
        return [q["sql"] for q in captured.captured_queries if re.search(f'AND "{table}"."id" = \\d+\\)', q["sql"])]

    with CaptureQueriesContext(connection) as captured:
        html = body(anna.get(url("card", sale)))
    assert reads_of("relations_company", captured) == []
    assert reads_of("relations_person", captured) == []
    assert value_of(html, "company") == str(company.pk)
    assert value_of(html, "person") == str(sale.person.pk)
    assert "Ada Smit · Acme Installations" in html

    elsewhere = CompanyFactory(name="Elsewhere BV", owner=salesperson)
    sale.person = PersonFactory(first_name="Bo", last_name="Vos", company=elsewhere, owner=salesperson)
    sale.save()
    with CaptureQueriesContext(connection) as captured:
        html = body(anna.get(url("card", sale)))
    assert len(reads_of("relations_person", captured)) == 1
    assert value_of(html, "person") == str(sale.person.pk)
    assert "Bo Vos · Elsewhere BV" in html


def test_card_reads_its_pipeline_with_the_phases(anna: Any, sale: Sale, funnel: dict) -> None:
    """The pipeline the card names comes with its phases (one query); the only other read of
    pipelines is the sale type picker's options."""
    with CaptureQueriesContext(connection) as captured:
        html = body(anna.get(url("card", sale)))
    reads = [q["sql"] for q in captured.captured_queries if re.search(r'FROM "sales_pipeline"', q["sql"])]
    assert len(reads) == 1, reads
    assert f"· {funnel['pipeline'].name}" in html
