"""Saved list views, grouping with counts and sums, bulk actions, capped counts, and walking
a selection from the sale card."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealflow.audit.models import AuditEvent
from dealflow.sales.models import Sale
from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases
from dealflow.saved import lists, selectors, services, services_views
from dealflow.saved.models import SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return pipeline_with_phases()


# --- services ------------------------------------------------------------------------------


def test_whitelists_refuse_unknown_columns_filters_and_groups_by_name(salesperson):
    for config, word in (({"columns": ["title", "secret"]}, "column"), ({"filters": {"password": "x"}}, "filter"),
                         ({"group_by": "colour"}, "grouping"), ({"sort": "random"}, "sort")):  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            services_views.saved_view_create(actor=salesperson, entity="sale", name="Bad", config=config)
        text = " ".join(exc.value.messages)
        assert f"Unknown {word}" in text and "Allowed" in text
    with pytest.raises(ValidationError):
        services_views.saved_view_create(actor=salesperson, entity="quote", name="X", config={})
    assert not SavedView.objects.exists()


def test_one_default_per_user_and_list_and_every_change_audited(salesperson):
    first = services_views.saved_view_create(actor=salesperson, entity="sale", name="A", config={}, is_default=True)
    second = services_views.saved_view_create(actor=salesperson, entity="sale", name="B", config={}, is_default=True)
    other = services_views.saved_view_create(actor=salesperson, entity="company", name="C", config={}, is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default, other.is_default) == (False, True, True)
    services_views.saved_view_set_default(actor=salesperson, view=first, entity="sale")
    assert list(SavedView.objects.filter(is_default=True, entity="sale")) == [first]
    services_views.saved_view_delete(actor=salesperson, view=second)
    assert AuditEvent.objects.filter(object_type__icontains="savedview").count() >= 6


def test_shared_views_are_seen_by_the_team_only(salesperson, teammate, outsider):
    mine = services_views.saved_view_create(actor=salesperson, entity="sale", name="Mine", config={})
    shared = services_views.saved_view_create(actor=salesperson, entity="sale", name="Team", config={}, shared=True)
    assert selectors.saved_view_list(user=teammate, entity="sale") == [shared]
    assert selectors.saved_view_list(user=outsider, entity="sale") == []
    assert set(selectors.saved_view_list(user=salesperson, entity="sale")) == {mine, shared}


# --- the grouped list ------------------------------------------------------------------------


def test_grouped_list_shows_each_group_with_count_and_sum_from_one_aggregate(client, salesperson, teammate, pipeline):
    for owner, amount in ((salesperson, "100"), (salesperson, "50.50"), (teammate, "7")):
        SaleFactory(owner=owner, pipeline=pipeline, amount=Decimal(amount))
    client.force_login(salesperson)
    html = client.get(reverse("sales:sale_list"), {"group": "owner", "cols": ["amount", "owner"]}).content.decode()
    assert html.count('class="group-head"') == 2
    assert "2 sales" in html and "150.50" in html
    assert "1 sale<" in html and "7.00" in html
    assert '<th scope="col">Owner</th>' in html and "Next activity" not in html.split("<tbody>")[0].split("<thead>")[1]
    qs = Sale.objects.all()
    totals = lists.group_totals(lists.SALE, qs, "phase")
    assert sum(t["count"] for t in totals.values()) == 3
    assert sum(t["sum"] for t in totals.values()) == Decimal("157.50")


def test_group_by_month_and_account_type(client, salesperson, pipeline):
    import datetime as dt

    SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal("10"), sale_date=dt.date(2026, 3, 4))
    SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal("20"), sale_date=dt.date(2026, 3, 30))
    client.force_login(salesperson)
    html = client.get(reverse("sales:sale_list"), {"group": "month"}).content.decode()
    assert html.count('class="group-head"') == 1 and "March 2026" in html and "30.00" in html
    html = client.get(reverse("sales:sale_list"), {"group": "account_type"}).content.decode()
    assert html.count('class="group-head"') == 1


# --- saved view round trip -------------------------------------------------------------------


def test_save_reopen_from_the_menu_and_default_applies(client, salesperson, pipeline):
    SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal("5"))
    client.force_login(salesperson)
    response = client.post(reverse("saved:view_save", args=["sale"]), {
        "name": "By phase", "params": "group=phase&cols=amount&status=open&bogus=1", "is_default": "1"})  # fmt: skip
    view = SavedView.objects.get()
    assert view.config == {"columns": ["amount"], "filters": {"status": "open"}, "sort": "", "group_by": "phase"}
    assert response.status_code == 302 and f"view={view.pk}" in response["Location"]
    html = client.get(response["Location"]).content.decode()
    assert f'href="?view={view.pk}" aria-current="true"' in html and 'class="group-head"' in html
    reopened = client.get(reverse("sales:sale_list"), {"view": view.pk})
    assert reopened.status_code == 302 and "group=phase" in reopened["Location"]
    default = client.get(reverse("sales:sale_list"))
    assert default.status_code == 302 and "group=phase" in default["Location"]


def test_someone_elses_private_view_is_404(client, salesperson, teammate):
    view = services_views.saved_view_create(actor=teammate, entity="sale", name="Private", config={})
    client.force_login(salesperson)
    assert client.get(reverse("sales:sale_list"), {"view": view.pk}).status_code == 404


# --- bulk actions ----------------------------------------------------------------------------


def test_bulk_change_owner_of_checked_rows_is_audited_per_record(client, salesperson, teammate, pipeline):
    a, b, c = (SaleFactory(owner=salesperson, pipeline=pipeline) for _ in range(3))
    client.force_login(salesperson)
    before = AuditEvent.objects.count()
    client.post(reverse("saved:bulk", args=["sale"]), {"action": "owner", "owner": teammate.pk, "ids": [a.pk, b.pk]})
    assert {s.pk: s.owner_id for s in Sale.objects.all()} == {
        a.pk: teammate.pk,
        b.pk: teammate.pk,
        c.pk: salesperson.pk,
    }
    assert AuditEvent.objects.count() - before == 2


def test_bulk_change_owner_respects_visibility(client, salesperson, outsider, pipeline):
    mine = SaleFactory(owner=salesperson, pipeline=pipeline)
    theirs = SaleFactory(owner=outsider, pipeline=pipeline)
    client.force_login(salesperson)
    # Cannot hand a sale to another team's user.
    client.post(reverse("saved:bulk", args=["sale"]), {"action": "owner", "owner": outsider.pk, "ids": [mine.pk]})
    # Cannot touch another team's sale, even by id or through "all rows".
    client.post(reverse("saved:bulk", args=["sale"]), {"action": "owner", "owner": salesperson.pk,
                                                        "ids": [theirs.pk], "all": "1"})  # fmt: skip
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.owner_id, theirs.owner_id) == (salesperson.pk, outsider.pk)


def test_bulk_add_all_filtered_rows_to_a_selection(client, salesperson, pipeline):
    sales = [SaleFactory(owner=salesperson, pipeline=pipeline, title=f"Pump {n}") for n in range(2)]
    SaleFactory(owner=salesperson, pipeline=pipeline, title="Other")
    selection = services.selection_create(actor=salesperson, data={"name": "Call", "entity": "sale", "kind": "static"})
    client.force_login(salesperson)
    client.post(reverse("saved:bulk", args=["sale"]), {"action": "selection", "selection": selection.pk,
                                                        "all": "1", "params": "q=Pump"})  # fmt: skip
    assert set(selection.members.values_list("object_id", flat=True)) == {s.pk for s in sales}


def test_bulk_export_of_checked_rows(client, salesperson, pipeline):
    a = SaleFactory(owner=salesperson, pipeline=pipeline, title="Exported")
    SaleFactory(owner=salesperson, pipeline=pipeline, title="Left out")
    client.force_login(salesperson)
    response = client.post(reverse("saved:bulk", args=["sale"]), {"action": "export", "ids": [a.pk]})
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "Exported" in body and "Left out" not in body


# --- capped count ----------------------------------------------------------------------------


def test_capped_paginator_counts_at_most_the_cap(monkeypatch, salesperson, pipeline):
    monkeypatch.setattr(lists, "COUNT_CAP", 3)
    for _n in range(5):
        SaleFactory(owner=salesperson, pipeline=pipeline)
    paginator = lists.CappedPaginator(Sale.objects.order_by("id"), 2)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (3, True, 2)
    small = lists.CappedPaginator(Sale.objects.order_by("id")[:2], 2)
    assert (small.count, small.capped) == (2, False)


def test_capped_paginator_pages_hold_the_rows_of_the_ordered_list_in_order(salesperson, pipeline):
    from decimal import Decimal

    for n, amount in enumerate([5, 9, 9, 1, 7, 3, 9]):
        SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal(amount), title=f"S{n}")
    qs = Sale.objects.select_related("owner").order_by("-amount", "-id")
    expected = list(qs.values_list("id", flat=True))
    paginator = lists.CappedPaginator(qs, 3)
    pages = [paginator.page(n) for n in paginator.page_range]
    assert [[s.pk for s in page.object_list] for page in pages] == [expected[0:3], expected[3:6], expected[6:7]]
    assert pages[0].object_list[0].owner == salesperson  # the rows come with what they show
    assert (pages[2].has_next(), pages[2].start_index(), pages[2].end_index()) == (False, 7, 7)


def test_list_says_more_than_when_capped(client, monkeypatch, salesperson, pipeline):
    monkeypatch.setattr(lists, "COUNT_CAP", 2)
    for _n in range(3):
        SaleFactory(owner=salesperson, pipeline=pipeline)
    client.force_login(salesperson)
    assert "More than 2 sales" in client.get(reverse("sales:sale_list")).content.decode()


# --- browsing a selection from the card ----------------------------------------------------


def test_card_walks_the_selection_it_was_opened_from_skipping_completed(client, salesperson, pipeline):
    a, b, c = (SaleFactory(owner=salesperson, pipeline=pipeline, title=t) for t in ("A", "B", "C"))
    Sale.objects.filter(pk=b.pk).update(status="sold")
    selection = services.selection_create(actor=salesperson, data={"name": "Walk", "entity": "sale", "kind": "static"},
                                          members=[a.pk, b.pk, c.pk])  # fmt: skip
    members = list(selectors.selection_members(user=salesperson, selection=selection).values_list("pk", flat=True))
    client.force_login(salesperson)
    first = members[0]
    html = client.get(reverse("sales:sale_detail", args=[first]), {"from": f"selection:{selection.pk}", "i": 0})
    text = html.content.decode()
    assert f"/sales/{members[1]}/?from=selection%3A{selection.pk}&amp;i=1" in text
    salesperson.preferences = {"skip_completed_sales": True}
    salesperson.save()
    text = client.get(
        reverse("sales:sale_detail", args=[first]), {"from": f"selection:{selection.pk}", "i": 0}
    ).content.decode()
    nxt = next(i for i, pk in enumerate(members) if i > 0 and pk != b.pk)
    assert f"/sales/{members[nxt]}/?from=selection%3A{selection.pk}&amp;i={nxt}" in text
    assert reverse("saved:selection_work", args=[selection.pk]) in text


# --- companies and persons use the same toolkit ----------------------------------------------


def test_company_list_groups_by_account_type_and_chooses_columns(client, salesperson):
    from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory

    lead, customer = AccountTypeFactory(code="lead", name="Lead"), AccountTypeFactory(code="cust", name="Customer")
    for n, kind in enumerate((lead, lead, customer)):
        CompanyFactory(owner=salesperson, account_type=kind, name=f"Firm {n}", visiting_city="Delft")
    client.force_login(salesperson)
    html = client.get(reverse("relations:company_list"), {"group": "account_type", "cols": ["city"]}).content.decode()
    assert html.count('class="group-head"') == 2 and "2 companies" in html and "1 company" in html
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert "City" in head and "Phone" not in head


def test_person_list_groups_by_company_and_saves_a_view(client, salesperson):
    from dealflow.relations.tests.factories import CompanyFactory, PersonFactory

    firm = CompanyFactory(owner=salesperson, name="Acme")
    PersonFactory(company=firm, owner=salesperson)
    PersonFactory(company=firm, owner=salesperson)
    client.force_login(salesperson)
    html = client.get(reverse("relations:person_list"), {"group": "company"}).content.decode()
    assert html.count('class="group-head"') == 1 and "2 persons" in html and "Acme" in html
    client.post(reverse("saved:view_save", args=["person"]), {"name": "By firm", "params": "group=company"})
    assert SavedView.objects.get().entity == "person"


def test_bulk_change_owner_of_companies_respects_visibility(client, salesperson, teammate, outsider):
    from dealflow.relations.models import Company
    from dealflow.relations.tests.factories import CompanyFactory

    mine = CompanyFactory(owner=salesperson)
    theirs = CompanyFactory(owner=outsider)
    client.force_login(salesperson)
    client.post(reverse("saved:bulk", args=["company"]), {"action": "owner", "owner": teammate.pk, "all": "1"})
    assert dict(Company.objects.values_list("pk", "owner_id")) == {mine.pk: teammate.pk, theirs.pk: outsider.pk}
