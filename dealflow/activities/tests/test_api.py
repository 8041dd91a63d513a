from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.audit.models import AuditEvent
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory
from dealflow.sales.tests.factories import SaleFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/activities"


def iso(hours: float) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


def test_unauthenticated_is_401(api_for: Any) -> None:
    assert api_for(None).get(BASE).status_code == 401


def test_create_read_patch_done_undone_delete(api_for: Any, salesperson: Any) -> None:
    api = api_for(salesperson)
    company = CompanyFactory(owner=salesperson)
    sale = SaleFactory(owner=salesperson, company=company)
    response = api.post(BASE, {"subject": "Call", "kind": "call", "starts_at": iso(-1), "sale": sale.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sale"] == sale.pk and body["company"] == company.pk and body["owner"] == salesperson.pk
    assert body["overdue"] is True and body["version"] == 1
    pk = body["id"]
    assert api.get(f"{BASE}/{pk}").json()["subject"] == "Call"
    patched = api.patch(f"{BASE}/{pk}", {"subject": "Call again", "version": 1})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert patched.json()["sale"] == sale.pk  # not sent: kept
    stale = api.patch(f"{BASE}/{pk}", {"subject": "Lost update", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    done = api.post(f"{BASE}/{pk}/done", {})
    assert done.status_code == 200 and done.json()["done"] is True and done.json()["overdue"] is False
    undone = api.post(f"{BASE}/{pk}/undone", {})
    assert undone.json()["done"] is False
    assert api.delete(f"{BASE}/{pk}").status_code == 204
    assert not Activity.objects.exists()


def test_422_for_missing_subject_and_end_before_start(api_for: Any, salesperson: Any) -> None:
    api = api_for(salesperson)
    response = api.post(BASE, {"kind": "call"})
    assert response.status_code == 422 and "subject" in response.json()["errors"]
    response = api.post(BASE, {"subject": "x", "starts_at": iso(2), "ends_at": iso(1)})
    assert response.status_code == 422, response.content
    assert response.json()["errors"].get("ends_at") == ["The end cannot be before the start."], response.json()
    response = api.post(BASE, {"subject": "x", "kind": "party"})
    assert response.status_code == 422
    assert not Activity.objects.exists()


def test_a_person_of_another_company_is_422_on_create_and_update(api_for: Any, salesperson: Any) -> None:
    api = api_for(salesperson)
    acme, other = CompanyFactory(owner=salesperson), CompanyFactory(owner=salesperson)
    colleague = PersonFactory(owner=salesperson, company=acme)
    stranger = PersonFactory(owner=salesperson, company=other)
    wrong = {"detail": "Some fields are not valid.", "errors": {"person": ["This person does not belong to the chosen company."]}}  # fmt: skip
    response = api.post(BASE, {"subject": "Call", "company": acme.pk, "person": stranger.pk})
    assert response.status_code == 422 and response.json() == wrong, response.content
    assert not Activity.objects.exists()
    response = api.post(BASE, {"subject": "Call", "company": acme.pk, "person": colleague.pk})
    assert response.status_code == 201, response.content
    assert (response.json()["company"], response.json()["person"]) == (acme.pk, colleague.pk)
    pk = response.json()["id"]
    for change in ({"person": stranger.pk, "subject": "Changed"}, {"company": other.pk}):
        response = api.patch(f"{BASE}/{pk}", {**change, "version": 1})
        assert response.status_code == 422 and response.json() == wrong, response.content
    activity = Activity.objects.get(pk=pk)
    assert (activity.company, activity.person, activity.subject, activity.version) == (acme, colleague, "Call", 1)
    assert not AuditEvent.objects.filter(object_type="activity", object_id=pk, action="update").exists()
    response = api.patch(f"{BASE}/{pk}", {"company": other.pk, "person": stranger.pk, "version": 1})
    assert response.status_code == 200, response.content
    assert (response.json()["company"], response.json()["person"], response.json()["version"]) == (
        other.pk,
        stranger.pk,
        2,
    )


def test_list_filters_and_pagination(api_for: Any, salesperson: Any, teammate: Any) -> None:
    api = api_for(salesperson)
    sale = SaleFactory(owner=salesperson)
    late = ActivityFactory(owner=salesperson, sale=sale, starts_at=timezone.now() - dt.timedelta(hours=1))
    ActivityFactory(owner=salesperson, done=True)
    theirs = ActivityFactory(owner=teammate)
    ids = lambda r: [x["id"] for x in r.json()["results"]]  # noqa: E731
    assert api.get(BASE, overdue="true").json()["count"] == 1
    assert ids(api.get(BASE, sale=sale.pk)) == [late.pk]
    assert ids(api.get(BASE, owner=teammate.pk)) == [theirs.pk]
    assert api.get(BASE, done="false").json()["count"] == 2
    assert api.get(BASE, done="true").json()["count"] == 1
    page = api.get(BASE, page_size=2).json()
    assert page["count"] == 3 and page["pages"] == 2 and len(page["results"]) == 2
    today = timezone.localdate()
    ranged = api.get(BASE, **{"from": (today + dt.timedelta(days=1)).isoformat()}).json()
    assert ranged["count"] == 2


def test_another_teams_activity_is_404_and_links_are_checked(api_for: Any, salesperson: Any, outsider: Any) -> None:
    mine = ActivityFactory(owner=salesperson)
    api = api_for(outsider)
    assert api.get(f"{BASE}/{mine.pk}").status_code == 404
    assert api.patch(f"{BASE}/{mine.pk}", {"subject": "x"}).status_code == 404
    assert api.post(f"{BASE}/{mine.pk}/done", {}).status_code == 404
    assert api.delete(f"{BASE}/{mine.pk}").status_code == 404
    assert api.get(BASE).json()["count"] == 0
    foreign_company = CompanyFactory(owner=salesperson)
    assert api.post(BASE, {"subject": "x", "company": foreign_company.pk}).status_code == 422
