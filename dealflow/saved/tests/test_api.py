from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.relations.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_selection_crud_and_members(api_for, salesperson):
    api = api_for(salesperson)
    a, b = CompanyFactory(name="A", owner=salesperson), CompanyFactory(name="B", owner=salesperson)
    Activity.objects.create(subject="x", owner=salesperson, company=b, starts_at=timezone.now() - dt.timedelta(hours=1))
    created = api.post("/api/v1/selections", {"name": "Mine", "entity": "company", "kind": "static",
                                              "members": [a.pk, b.pk]})  # fmt: skip
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    members = api.get(f"/api/v1/selections/{sid}/members", page_size=1).json()
    assert members["count"] == 2 and members["pages"] == 2 and members["items"][0]["label"] == "A"
    assert api.get(f"/api/v1/selections/{sid}/members", page=2, page_size=1).json()["items"][0]["overdue"] is True
    patched = api.patch(f"/api/v1/selections/{sid}", {"name": "Renamed", "remove_members": [a.pk], "version": 1})
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    assert api.get(f"/api/v1/selections/{sid}/members").json()["count"] == 1
    assert api.get("/api/v1/selections").json()["count"] == 1
    assert api.get(f"/api/v1/selections/{sid}").json()["visibility"] == "private"
    assert api.delete(f"/api/v1/selections/{sid}").status_code == 204
    assert api.get(f"/api/v1/selections/{sid}").status_code == 404


def test_unknown_filter_field_is_422(api_for, salesperson):
    response = api_for(salesperson).post(
        "/api/v1/selections", {"name": "Bad", "entity": "sale", "kind": "dynamic", "filters": {"colour": "red"}}
    )
    assert response.status_code == 422
    assert "Unknown filter field: colour" in response.json()["errors"]["filters"][0]


def test_dynamic_selection_members_follow_the_filter(api_for, salesperson):
    CompanyFactory(name="Utrecht One", owner=salesperson, visiting_city="Utrecht")
    CompanyFactory(name="Delft One", owner=salesperson, visiting_city="Delft")
    api = api_for(salesperson)
    sid = api.post("/api/v1/selections", {"name": "U", "kind": "dynamic", "filters": {"city": "Utrecht"}}).json()["id"]
    assert [m["label"] for m in api.get(f"/api/v1/selections/{sid}/members").json()["items"]] == ["Utrecht One"]
    assert api.patch(f"/api/v1/selections/{sid}", {"filters": {"nope": 1}}).status_code == 422


def test_other_users_private_selection_is_404_and_shared_is_read_only(api_for, salesperson, teammate):
    owner_api, other = api_for(salesperson), api_for(teammate)
    private = owner_api.post("/api/v1/selections", {"name": "P"}).json()["id"]
    shared = owner_api.post("/api/v1/selections", {"name": "S", "visibility": "shared"}).json()["id"]
    for path in (f"/api/v1/selections/{private}", f"/api/v1/selections/{private}/members"):
        assert other.get(path).status_code == 404
    assert other.patch(f"/api/v1/selections/{private}", {"name": "x"}).status_code == 404
    assert other.delete(f"/api/v1/selections/{private}").status_code == 404
    assert other.get(f"/api/v1/selections/{shared}").status_code == 200
    assert other.patch(f"/api/v1/selections/{shared}", {"name": "x"}).status_code == 403
    assert [s["name"] for s in other.get("/api/v1/selections").json()["items"]] == ["S"]


def test_unauthenticated_is_401(api_for):
    assert api_for(None).get("/api/v1/selections").status_code == 401
