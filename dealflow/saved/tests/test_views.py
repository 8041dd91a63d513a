from __future__ import annotations

import datetime as dt

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


def test_call_list_shows_member_position_panel_and_red_overdue(client, salesperson, calllist):
    selection, companies = calllist
    client.force_login(salesperson)
    html = client.get(reverse("saved:selection_work", args=[selection.pk]) + "?i=2").content.decode()
    assert "2 of 3" in html
    assert '<h2 id="member-h" class="overdue"><a href="%s">Firm 1</a>' % companies[1].get_absolute_url() in html
    assert '<aside id="call-panel"' in html
    assert 'class="overdue"' in html and "Overdue" in html
    assert 'rel="prev"' in html and 'rel="next"' in html and "?i=3" in html


def test_call_list_panel_partial_and_flat_query_count(client, salesperson, calllist, django_assert_max_num_queries):
    selection, _companies = calllist
    client.force_login(salesperson)
    url = reverse("saved:selection_work", args=[selection.pk])
    partial = client.get(url, headers={"HX-Request": "true", "HX-Target": "call-panel"}).content.decode()
    assert partial.lstrip().startswith("<aside") and "Firm 0" in partial
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(3, 20):
        services.selection_add_members(actor=salesperson, selection=selection,
                                       ids=[CompanyFactory(name=f"More {n}", owner=salesperson).pk])  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


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


def test_favourites_menu_is_one_query(salesperson):
    from django.db import connection
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    for _n in range(5):
        services.favourite_toggle(actor=salesperson, kind="company", target=CompanyFactory(owner=salesperson))
    services.favourite_toggle(actor=salesperson, kind="sale", target=SaleFactory(owner=salesperson))
    request = RequestFactory().get("/")
    request.user = salesperson
    salesperson._visible_owner_ids = {salesperson.pk}
    with CaptureQueriesContext(connection) as queries:
        html = Template('{% include "saved/_favourites_menu.html" %}').render(Context({"request": request}))
    assert len(queries.captured_queries) == 1
    assert html.count("<li>") == 6 and html.count('class="menu-head"') == 2


def test_favourite_of_an_invisible_record_is_404(client, outsider, salesperson):
    company = CompanyFactory(owner=salesperson)
    client.force_login(outsider)
    assert client.post(reverse("saved:favourite_toggle", args=["company", company.pk])).status_code == 404
