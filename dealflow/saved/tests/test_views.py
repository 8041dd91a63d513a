from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.tests.factories import SaleFactory
from dealflow.saved import services
from dealflow.saved.models import Favourite, Selection

pytestmark = pytest.mark.django_db


@pytest.fixture
def calllist(salesperson):
    companies = [CompanyFactory(name=f"Firm {n}", owner=salesperson) for n in range(3)]
    Activity.objects.create(subject="Call back", owner=salesperson, company=companies[1],
                            starts_at=timezone.now() - dt.timedelta(hours=2))  # fmt: skip
    selection = services.selection_create(actor=salesperson, data={"name": "Call today", "entity": "company",
                                          "kind": "static"}, members=[c.pk for c in companies])  # fmt: skip
    return selection, companies


def test_work_opens_the_members_card_with_the_call_list_panel(client, salesperson, calllist):
    selection, companies = calllist
    client.force_login(salesperson)
    work = reverse("saved:selection_work", args=[selection.pk])
    response = client.get(work)
    assert response.status_code == 302
    assert response["Location"] == f"{companies[0].get_absolute_url()}?selection={selection.pk}&i=1"
    assert client.get(work + "?i=2")["Location"].endswith(f"?selection={selection.pk}&i=2")
    assert client.get(work + "?i=99")["Location"].endswith(f"?selection={selection.pk}&i=3")  # clamped
    html = client.get(client.get(work + "?i=2")["Location"]).content.decode()
    assert "<h1>Firm 1" in html  # the real company card
    assert '<aside id="call-panel"' in html and "2 of 3" in html
    assert f'<li value="2" class="overdue"><a href="{companies[1].get_absolute_url()}?selection={selection.pk}&amp;i=2"' \
        ' aria-current="true">Firm 1</a> <span class="overdue-mark">Overdue</span>' in html  # fmt: skip
    assert "This member has overdue work." in html
    assert f'href="{companies[0].get_absolute_url()}?selection={selection.pk}&amp;i=1" rel="prev"' in html
    assert f'href="{companies[2].get_absolute_url()}?selection={selection.pk}&amp;i=3" rel="next"' in html
    # Without the parameters (or for a selection over another kind) the card has no panel.
    assert "call-panel" not in client.get(companies[1].get_absolute_url()).content.decode()
    other = services.selection_create(actor=salesperson, data={"name": "Deals", "entity": "sale", "kind": "static"})
    assert (
        "call-panel" not in client.get(f"{companies[1].get_absolute_url()}?selection={other.pk}&i=1").content.decode()
    )


def test_editing_or_archiving_a_member_keeps_the_call_list(client, salesperson, calllist):
    """Edit and Archive on a company or person card opened from a call list come back to the
    card with the panel (the same ?selection=&i=), also after Cancel and a save."""
    from dealflow.relations.tests.factories import PersonFactory

    selection, companies = calllist
    person = PersonFactory(owner=salesperson, company=None, last_name="Bos")
    people = services.selection_create(actor=salesperson, data={"name": "People", "entity": "person",
                                       "kind": "static"}, members=[person.pk])  # fmt: skip
    client.force_login(salesperson)
    for card, edit, archive, qs, data in (
        (companies[1].get_absolute_url(), f"/companies/{companies[1].pk}/edit/",
         f"/companies/{companies[1].pk}/archive/", f"selection={selection.pk}&i=2",
         {"name": "Firm 1 BV", "owner": "", "version": "1"}),
        (person.get_absolute_url(), f"/persons/{person.pk}/edit/", f"/persons/{person.pk}/archive/",
         f"selection={people.pk}&i=1", {"last_name": "Bosch", "version": "1"}),
    ):  # fmt: skip
        html = client.get(f"{card}?{qs}").content.decode()
        amp = qs.replace("&", "&amp;")
        assert f'href="{edit}?{amp}"' in html and f'action="{archive}?{amp}"' in html
        form = client.get(f"{edit}?{qs}").content.decode()
        assert f'href="{card}?{amp}">Cancel</a>' in form
        response = client.post(f"{edit}?{qs}", data)
        assert response.status_code == 302 and response["Location"] == f"{card}?{qs}"
        assert '<aside id="call-panel"' in client.get(response["Location"]).content.decode()
        response = client.post(f"{archive}?{qs}", {"archived": "1"})
        assert response["Location"] == f"{card}?{qs}"
        # Opened without a call list, the card's pages keep the plain addresses.
        assert f'href="{edit}"' in client.get(card).content.decode()
        assert client.post(archive, {"archived": "0"})["Location"] == card
    companies[1].refresh_from_db()
    person.refresh_from_db()
    assert companies[1].name == "Firm 1 BV" and person.last_name == "Bosch" and not person.archived


def test_call_list_on_sale_and_person_cards_marks_a_passed_sale_date(client, salesperson):
    from dealflow.relations.tests.factories import PersonFactory

    late = SaleFactory(owner=salesperson, title="Late deal", sale_date=timezone.localdate() - dt.timedelta(days=3))
    fine = SaleFactory(owner=salesperson, title="Fine deal", sale_date=timezone.localdate() + dt.timedelta(days=30))
    deals = services.selection_create(actor=salesperson, data={"name": "Deals", "entity": "sale", "kind": "static"},
                                      members=[late.pk, fine.pk])  # fmt: skip
    client.force_login(salesperson)
    first = client.get(reverse("saved:selection_work", args=[deals.pk]))["Location"]
    html = client.get(first).content.decode()
    assert 'class="sale-head"' in html and '<aside id="call-panel"' in html
    items = {name: cls for cls, name in re.findall(r'<li value="\d+"( class="overdue")?><a [^>]*>([^<]+)</a>', html)}
    assert items == {"Late deal": ' class="overdue"', "Fine deal": ""}
    # A card action keeps the call list (the browse parameters travel along).
    assert f"selection={deals.pk}&amp;i=" in html.split('class="actions no-print"')[1].split("</div>")[0]
    person = PersonFactory(owner=salesperson)
    people = services.selection_create(actor=salesperson, data={"name": "People", "entity": "person",
                                       "kind": "static"}, members=[person.pk])  # fmt: skip
    html = client.get(client.get(reverse("saved:selection_work", args=[people.pk]))["Location"]).content.decode()
    assert '<aside id="call-panel"' in html and "1 of 1" in html and 'aria-disabled="true">‹ Previous' in html


def test_call_list_panel_query_count_does_not_grow(client, salesperson, calllist, django_assert_max_num_queries):
    selection, companies = calllist
    client.force_login(salesperson)
    url = f"{companies[0].get_absolute_url()}?selection={selection.pk}&i=1"
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for n in range(3, 40):
        services.selection_add_members(actor=salesperson, selection=selection,
                                       ids=[CompanyFactory(name=f"More {n}", owner=salesperson).pk])  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert "1 of 40" in html and "Later members" in html
    last = client.get(f"{reverse('saved:selection_work', args=[selection.pk])}?i=40")["Location"]
    assert "40 of 40" in client.get(last).content.decode()


def test_an_empty_call_list_says_so(client, salesperson):
    empty = services.selection_create(actor=salesperson, data={"name": "Nobody", "entity": "company",
                                      "kind": "static"})  # fmt: skip
    client.force_login(salesperson)
    html = client.get(reverse("saved:selection_work", args=[empty.pk])).content.decode()
    assert "This selection has no members you can see." in html


def test_other_users_private_selection_is_404(client, teammate, calllist):
    selection, _ = calllist
    client.force_login(teammate)
    for name in ("selection_detail", "selection_work", "selection_edit", "selection_delete"):
        assert client.get(reverse(f"saved:{name}", args=[selection.pk])).status_code == 404


def test_create_dynamic_selection_through_the_form_and_unknown_field_message(client, salesperson):
    client.force_login(salesperson)
    CompanyFactory(name="Utrecht Bakery", owner=salesperson, visiting_city="Utrecht")
    response = client.post(reverse("saved:selection_create"), {"entity": "company", "name": "Utrecht",
                           "kind": "dynamic", "visibility": "private", "city": "Utrecht"})  # fmt: skip
    selection = Selection.objects.get()
    assert response.status_code == 302 and selection.filters == {"city": "Utrecht"}
    assert "Utrecht Bakery" in client.get(selection.get_absolute_url()).content.decode()


def test_list_edit_and_delete(client, salesperson, calllist):
    selection, _ = calllist
    client.force_login(salesperson)
    assert "Call today" in client.get(reverse("saved:selection_list")).content.decode()
    assert 'href="/selections/"' in client.get("/").content.decode()  # the top-bar slot lights up
    client.post(reverse("saved:selection_edit", args=[selection.pk]),
                {"name": "Renamed", "kind": "static", "visibility": "shared", "version": selection.version})  # fmt: skip
    assert Selection.objects.get().name == "Renamed"
    assert "cannot be undone" in client.get(reverse("saved:selection_delete", args=[selection.pk])).content.decode()
    client.post(reverse("saved:selection_delete", args=[selection.pk]))
    assert not Selection.objects.exists()


def test_add_to_selection_from_the_card(client, salesperson, calllist):
    selection, _ = calllist
    company = CompanyFactory(name="New one", owner=salesperson)
    client.force_login(salesperson)
    html = client.get(company.get_absolute_url()).content.decode()
    assert "Add to selection" in html and 'aria-pressed="false"' in html
    client.post(reverse("saved:member_add"), {"selection": selection.pk, "object_id": company.pk})
    assert selection.members.filter(object_id=company.pk).exists()


def test_favourite_star_toggles_with_htmx_and_fills_the_menu(client, salesperson, django_assert_max_num_queries):
    sale = SaleFactory(owner=salesperson, title="Big deal")
    client.force_login(salesperson)
    url = reverse("saved:favourite_toggle", args=["sale", sale.pk])
    button = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert 'aria-pressed="true"' in button and "<form" in button
    assert Favourite.objects.filter(user=salesperson, sale=sale).exists()
    home = client.get("/").content.decode()
    assert '<details class="favourites-menu">' in home and "Big deal" in home and "Sales" in home
    card = client.get(sale.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in card
    assert "Big deal" in client.get(reverse("saved:favourites")).content.decode()
    client.post(url, headers={"HX-Request": "true"})
    assert not Favourite.objects.exists()


def test_favourites_menu_is_one_query_per_kind_and_one_without_favourites(salesperson):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dealflow.core.topbar import favourites_menu_html

    salesperson._visible_owner_ids = {salesperson.pk}
    with CaptureQueriesContext(connection) as queries:
        html = favourites_menu_html(salesperson)
    assert len(queries.captured_queries) == 1
    assert "No favourites yet" in html
    del salesperson._favourites

    for _n in range(5):
        services.favourite_toggle(actor=salesperson, kind="company", target=CompanyFactory(owner=salesperson))
    services.favourite_toggle(actor=salesperson, kind="sale", target=SaleFactory(owner=salesperson))
    with CaptureQueriesContext(connection) as queries:
        html = favourites_menu_html(salesperson)
    assert len(queries.captured_queries) == 3  # the favourites, their companies, their sales
    assert html.count("<li>") == 6 and html.count('class="menu-head"') == 2


def test_favourite_of_an_invisible_record_is_404(client, outsider, salesperson):
    company = CompanyFactory(owner=salesperson)
    client.force_login(outsider)
    assert client.post(reverse("saved:favourite_toggle", args=["company", company.pk])).status_code == 404
