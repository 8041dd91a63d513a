from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.audit.models import AuditEvent
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory
from dealflow.sales.tests.factories import SaleFactory
from dealflow.saved import selectors, services
from dealflow.saved.models import Favourite

pytestmark = pytest.mark.django_db


def make(actor, **data):
    return services.selection_create(actor=actor, data={"name": "List", **data}, members=data.pop("members", ()))


def test_dynamic_selection_runs_its_filter_inside_what_the_user_sees(salesperson, teammate, outsider):
    mine = CompanyFactory(name="Bakery Utrecht", owner=salesperson, visiting_city="Utrecht")
    CompanyFactory(name="Bakery Delft", owner=teammate, visiting_city="Delft")
    CompanyFactory(name="Bakery Hidden", owner=outsider, visiting_city="Utrecht")
    selection = make(salesperson, entity="company", kind="dynamic", filters={"q": "bakery", "city": "utrecht"})
    assert list(selectors.selection_members(user=salesperson, selection=selection)) == [mine]
    assert selection.filters == {"q": "bakery", "city": "utrecht"}


def test_static_selection_keeps_hand_picked_members_and_hides_what_the_viewer_cannot_see(
    salesperson, teammate, outsider
):
    a = CompanyFactory(name="A", owner=salesperson)
    b = CompanyFactory(name="B", owner=teammate)
    CompanyFactory(name="C", owner=salesperson)
    selection = make(salesperson, entity="company", kind="static", visibility="shared", members=[b.pk, a.pk])
    assert list(selectors.selection_members(user=salesperson, selection=selection)) == [a, b]
    # Someone who may not see the records (and not the selection) gets nothing.
    with pytest.raises(Http404):
        selectors.selection_get_for_user(outsider, selection.pk)


def test_members_the_actor_cannot_see_are_refused(salesperson, outsider):
    hidden = CompanyFactory(owner=outsider)
    with pytest.raises(ValidationError) as exc:
        make(salesperson, entity="company", kind="static", members=[hidden.pk])
    assert "members" in exc.value.message_dict


def test_unknown_filter_field_is_refused_by_name(salesperson):
    with pytest.raises(ValidationError) as exc:
        make(salesperson, entity="person", kind="dynamic", filters={"city": "Utrecht"})
    message = exc.value.message_dict["filters"][0]
    assert "Unknown filter field: city" in message and "company" in message


def test_bad_filter_value_is_refused(salesperson):
    with pytest.raises(ValidationError):
        make(salesperson, entity="sale", kind="dynamic", filters={"sale_date_from": "next week"})


def test_sale_filter_with_date_range(salesperson):
    today = timezone.localdate()
    inside = SaleFactory(owner=salesperson, title="In", sale_date=today)
    SaleFactory(owner=salesperson, title="Out", sale_date=today + dt.timedelta(days=60))
    selection = make(salesperson, entity="sale", kind="dynamic",
                     filters={"status": "open", "sale_date_from": str(today - dt.timedelta(days=1)),
                              "sale_date_to": str(today + dt.timedelta(days=1))})  # fmt: skip
    assert list(selectors.selection_members(user=salesperson, selection=selection)) == [inside]


def test_private_selection_of_another_user_is_not_found_and_shared_is_read_only(salesperson, teammate):
    private = make(salesperson, entity="company", kind="static")
    shared = make(salesperson, entity="company", kind="static", visibility="shared")
    with pytest.raises(Http404):
        selectors.selection_get_for_user(teammate, private.pk)
    assert selectors.selection_get_for_user(teammate, shared.pk) == shared
    with pytest.raises(PermissionDenied):
        selectors.selection_get_for_edit(teammate, shared.pk)
    assert set(selectors.selection_list(user=teammate)) == {shared}


def test_add_and_remove_members_are_audited(salesperson):
    company = CompanyFactory(owner=salesperson)
    selection = make(salesperson, entity="company", kind="static")
    assert services.selection_add_members(actor=salesperson, selection=selection, ids=[company.pk]) == 1
    assert services.selection_add_members(actor=salesperson, selection=selection, ids=[company.pk]) == 0
    assert services.selection_remove_members(actor=salesperson, selection=selection, ids=[company.pk]) == 1
    assert AuditEvent.objects.filter(object_type="selection", object_id=selection.pk).count() == 3


def test_dynamic_selection_has_no_hand_picked_members(salesperson):
    selection = make(salesperson, entity="company", kind="dynamic")
    with pytest.raises(ValidationError):
        services.selection_add_members(
            actor=salesperson, selection=selection, ids=[CompanyFactory(owner=salesperson).pk]
        )


def test_overdue_members_by_activity_and_by_passed_sale_date(salesperson):
    late, fine, due = (CompanyFactory(owner=salesperson) for _ in range(3))
    Activity.objects.create(
        subject="Call", owner=salesperson, company=late, starts_at=timezone.now() - dt.timedelta(hours=1)
    )
    Activity.objects.create(
        subject="Later", owner=salesperson, company=fine, starts_at=timezone.now() + dt.timedelta(days=1)
    )
    SaleFactory(owner=salesperson, company=due, sale_date=timezone.localdate() - dt.timedelta(days=2))
    assert selectors.overdue_ids("company", [late, fine, due]) == {late.pk, due.pk}
    old_sale = SaleFactory(owner=salesperson, sale_date=timezone.localdate() - dt.timedelta(days=1))
    new_sale = SaleFactory(owner=salesperson, sale_date=timezone.localdate() + dt.timedelta(days=1))
    assert selectors.overdue_ids("sale", [old_sale, new_sale]) == {old_sale.pk}


def test_favourite_toggle_and_visibility(salesperson, teammate, team):
    person = PersonFactory(owner=teammate, company=CompanyFactory(owner=teammate))
    assert services.favourite_toggle(actor=salesperson, kind="person", target=person) is True
    assert [f.target for f in selectors.user_favourites(salesperson)] == [person]
    salesperson._favourites = None
    team.members.remove(teammate)
    salesperson._visible_owner_ids = None
    assert selectors.user_favourites(salesperson) == []  # no longer visible: left out
    assert services.favourite_toggle(actor=salesperson, kind="person", target=person) is False
    assert not Favourite.objects.exists()
