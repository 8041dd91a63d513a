"""/api/v1/ companies, persons, projects and account types, called with real Bearer tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from dealflow.accounts.models import ApiToken
from dealflow.accounts.services import api_token_create, api_token_revoke
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

V1 = "/api/v1"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anna(api_for, salesperson):
    return api_for(salesperson)


@pytest.fixture
def root(api_for, admin_user):
    return api_for(admin_user)


@pytest.fixture
def foreign(outsider):
    company = CompanyFactory(owner=outsider, name="Klara Kozijnen")
    return {
        "companies": company,
        "persons": PersonFactory(company=company),
        "projects": ProjectFactory(company=company),
    }


def assert_invalid(response, *fields):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"]
    assert set(fields) <= set(body["errors"]), body["errors"]
    for field in fields:
        assert body["errors"][field] and all(isinstance(m, str) and m for m in body["errors"][field])
    return body["errors"]


# --- authentication ------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/companies"),
    ("get", "/companies/1"),
    ("post", "/companies"),
    ("patch", "/companies/1"),
    ("delete", "/companies/1"),
    ("get", "/persons"),
    ("post", "/persons"),
    ("get", "/projects"),
    ("patch", "/projects/1"),
    ("get", "/account-types"),
    ("post", "/account-types"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_token_is_401(client, method, path):
    response = getattr(client, method)(V1 + path, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer dft_not-a-real-token", "Bearer ", "Bearer nonsense", "Token dft_abc", "Basic YW5uYTpwdw=="],
)
def test_bad_token_is_401(client, salesperson, header):
    CompanyFactory(owner=salesperson)
    response = client.get(f"{V1}/companies", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_revoked_token_is_401(salesperson):
    token, raw = api_token_create(user=salesperson, name="script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"{V1}/companies").status_code == 200
    api_token_revoke(user=salesperson, token=token)
    assert client.get(f"{V1}/companies").status_code == 401


def test_token_of_deactivated_user_is_401(salesperson):
    _token, raw = api_token_create(user=salesperson, name="script")
    salesperson.is_active = False
    salesperson.save()
    assert Client().get(f"{V1}/companies", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_token_use_is_recorded(salesperson):
    token, raw = api_token_create(user=salesperson, name="script")
    assert token.last_used_at is None
    Client().get(f"{V1}/companies", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_session_auth_from_the_browser_needs_csrf(salesperson):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(salesperson)
    assert browser.get(f"{V1}/companies").status_code == 200

    refused = browser.post(f"{V1}/companies", {"name": "No CSRF"}, content_type="application/json")
    assert refused.status_code == 403
    assert not Company.objects.exists()

    browser.get("/companies/")  # a page sets the CSRF cookie, as in the browser
    csrf = browser.cookies["csrftoken"].value
    created = browser.post(
        f"{V1}/companies", {"name": "With CSRF"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert created.status_code == 201, created.content
    assert Company.objects.get().owner == salesperson


def test_bearer_calls_need_no_csrf(salesperson):
    _token, raw = api_token_create(user=salesperson, name="script")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post(f"{V1}/companies", {"name": "Script BV"}, content_type="application/json")
    assert response.status_code == 201


def test_openapi_lists_the_four_resources(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for resource in ("companies", "persons", "projects", "account-types"):
        assert f"{V1}/{resource}" in paths
        assert f"{V1}/{resource}/{{pk}}" in paths
        assert {"get", "post"} <= set(paths[f"{V1}/{resource}"])
        assert {"get", "patch", "delete"} <= set(paths[f"{V1}/{resource}/{{pk}}"])
    schemes = response.json()["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


# --- companies -----------------------------------------------------------------------------


def test_list_companies_is_scoped_and_paginated(anna, salesperson, teammate, foreign):
    for i in range(7):
        CompanyFactory(owner=salesperson if i % 2 else teammate, name=f"Firm {i}")

    body = anna.get(f"{V1}/companies", page_size=3).json()
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (7, 1, 3, 3)
    assert [c["name"] for c in body["results"]] == ["Firm 0", "Firm 1", "Firm 2"]

    last = anna.get(f"{V1}/companies", page_size=3, page=3).json()
    assert [c["name"] for c in last["results"]] == ["Firm 6"]
    assert anna.get(f"{V1}/companies", page_size=3, page=4).json()["results"] == []

    everything = anna.get(f"{V1}/companies", page_size=200).json()
    assert "Klara Kozijnen" not in [c["name"] for c in everything["results"]]


def test_list_companies_rejects_bad_paging(anna):
    assert_invalid(anna.get(f"{V1}/companies", page=0), "page")
    assert_invalid(anna.get(f"{V1}/companies", page_size=201), "page_size")
    assert_invalid(anna.get(f"{V1}/companies", page="two"), "page")


def test_list_companies_search_sort_and_filters(anna, salesperson, teammate):
    lead = AccountTypeFactory(code="lead")
    a = CompanyFactory(owner=salesperson, name="Bakkerij Alfa", account_type=lead, visiting_city="Gouda")
    b = CompanyFactory(owner=teammate, name="Bakkerij Beta", visiting_city="Assen")
    c = CompanyFactory(owner=salesperson, name="Staal", archived=True)

    def ids(**params):
        return [r["id"] for r in anna.get(f"{V1}/companies", **params).json()["results"]]

    assert ids(q="bakkerij") == [a.pk, b.pk]
    assert ids(q="gouda") == [a.pk]
    assert ids(sort="-name") == [b.pk, a.pk]
    assert ids(sort="city") == [b.pk, a.pk]
    assert ids(account_type=lead.pk) == [a.pk]
    assert ids(owner=teammate.pk) == [b.pk]
    assert ids(archived="true") == [c.pk]


def test_read_company(anna, salesperson):
    lead = AccountTypeFactory(code="lead")
    company = CompanyFactory(owner=salesperson, name="Acme", account_type=lead, email="info@acme.example")
    body = anna.get(f"{V1}/companies/{company.pk}").json()
    assert body["id"] == company.pk
    assert body["name"] == "Acme"
    assert body["owner"] == salesperson.pk
    assert body["account_type"] == lead.pk
    assert body["email"] == "info@acme.example"
    assert body["version"] == 1
    assert body["archived"] is False


@pytest.mark.parametrize("resource", ["companies", "persons", "projects"])
def test_another_teams_record_is_404_everywhere(anna, foreign, resource):
    obj = foreign[resource]
    url = f"{V1}/{resource}/{obj.pk}"
    assert anna.get(url).status_code == 404
    assert anna.get(url).json()["detail"]
    patch = {"last_name": "Hacked"} if resource == "persons" else {"name": "Hacked"}
    assert anna.patch(url, patch).status_code == 404
    delete = anna.delete(url, persons="delete") if resource == "companies" else anna.delete(url)
    assert delete.status_code == 404
    fresh = type(obj).objects.get(pk=obj.pk)
    assert fresh.version == 1


@pytest.mark.parametrize("resource", ["companies", "persons", "projects", "account-types"])
def test_nonexistent_id_is_404(root, resource):
    url = f"{V1}/{resource}/987654"
    assert root.get(url).status_code == 404
    assert root.patch(url, {}).status_code == 404
    params = {"persons": "detach"} if resource == "companies" else {}
    assert root.delete(url, **params).status_code == 404


def test_create_company(anna, salesperson):
    default = AccountTypeFactory(code="prospect", is_default=True)
    response = anna.post(
        f"{V1}/companies",
        {"name": "Acme", "email": "info@acme.example", "country": "nl", "phone": "+31 20 123 4567"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    company = Company.objects.get(pk=body["id"])
    assert (company.name, company.owner, company.account_type, company.country) == ("Acme", salesperson, default, "NL")
    assert body["owner"] == salesperson.pk and body["version"] == 1
    [event] = AuditEvent.objects.filter(object_type="company", object_id=company.pk)
    assert (event.action, event.actor) == ("create", salesperson)


def test_create_company_for_team_mate(anna, teammate):
    response = anna.post(f"{V1}/companies", {"name": "Acme", "owner": teammate.pk})
    assert response.status_code == 201
    assert Company.objects.get().owner == teammate


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"name": "x" * 201}, ["name"]),
        ({"name": "Acme", "email": "not-an-email"}, ["email"]),
        (
            {"name": "", "email": "a@", "website": "acme", "phone": "??", "country": "Holland"},
            ["name", "email", "website", "phone", "country"],
        ),
        ({"name": "Acme", "account_type": 987654}, ["account_type"]),
        ({"name": 12}, ["name"]),  # wrong JSON type: caught by the schema
        ({"name": "Acme", "owner": "me"}, ["owner"]),
    ],
)
def test_create_company_invalid_is_422_per_field(anna, payload, fields):
    assert_invalid(anna.post(f"{V1}/companies", payload), *fields)
    assert not Company.objects.exists()


def test_create_company_with_inactive_account_type_is_422(anna):
    gone = AccountTypeFactory(code="old", is_active=False)
    assert_invalid(anna.post(f"{V1}/companies", {"name": "Acme", "account_type": gone.pk}), "account_type")


def test_create_company_for_another_team_is_422(anna, outsider):
    assert_invalid(anna.post(f"{V1}/companies", {"name": "Acme", "owner": outsider.pk}), "owner")
    assert not Company.objects.exists()


def test_create_company_malformed_json_is_4xx(salesperson):
    _token, raw = api_token_create(user=salesperson, name="script")
    response = Client().post(
        f"{V1}/companies", "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code in (400, 422)
    assert not Company.objects.exists()


def test_patch_company_changes_only_what_was_sent(anna, salesperson):
    lead = AccountTypeFactory(code="lead")
    company = CompanyFactory(
        owner=salesperson, name="Acme", account_type=lead, visiting_city="Utrecht", email="info@acme.example"
    )
    response = anna.patch(f"{V1}/companies/{company.pk}", {"name": "Acme BV", "version": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["version"], body["visiting_city"], body["account_type"]) == (
        "Acme BV",
        2,
        "Utrecht",
        lead.pk,
    )
    company.refresh_from_db()
    assert (company.name, company.email, company.owner, company.version) == (
        "Acme BV",
        "info@acme.example",
        salesperson,
        2,
    )
    [event] = AuditEvent.objects.filter(object_type="company", action="update")
    assert event.changes == {"name": ["Acme", "Acme BV"], "version": [1, 2]}


def test_patch_company_can_clear_and_archive(anna, salesperson):
    company = CompanyFactory(owner=salesperson, account_type=AccountTypeFactory(code="lead"), phone="030 123 4567")
    response = anna.patch(f"{V1}/companies/{company.pk}", {"account_type": None, "phone": "", "archived": True})
    assert response.status_code == 200, response.content
    company.refresh_from_db()
    assert (company.account_type, company.phone, company.archived) == (None, "", True)


def test_patch_company_without_version_still_saves(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    services.company_update(actor=salesperson, company=company, data={"category": "Bouw"})
    response = anna.patch(f"{V1}/companies/{company.pk}", {"visiting_city": "Zeist"})
    assert response.status_code == 200
    assert Company.objects.get(pk=company.pk).visiting_city == "Zeist"


def test_patch_company_with_stale_version_is_409(anna, salesperson, teammate):
    company = CompanyFactory(owner=salesperson, name="Acme", visiting_city="Utrecht")
    services.company_update(actor=teammate, company=Company.objects.get(pk=company.pk), data={"visiting_city": "Zeist"})
    response = anna.patch(f"{V1}/companies/{company.pk}", {"name": "Mine", "version": 1})
    assert response.status_code == 409
    body = response.json()
    assert body["detail"]
    assert body["current_version"] == 2
    assert body["changes"] == {"visiting_city": ["Utrecht", "Zeist"]}
    assert Company.objects.get(pk=company.pk).name == "Acme"

    retry = anna.patch(f"{V1}/companies/{company.pk}", {"name": "Mine", "version": 2})
    assert retry.status_code == 200
    assert retry.json()["version"] == 3


def test_patch_company_invalid_is_422_and_changes_nothing(anna, salesperson, outsider):
    company = CompanyFactory(owner=salesperson, name="Acme")
    assert_invalid(anna.patch(f"{V1}/companies/{company.pk}", {"name": "", "email": "x"}), "name", "email")
    assert_invalid(anna.patch(f"{V1}/companies/{company.pk}", {"owner": outsider.pk}), "owner")
    assert_invalid(anna.patch(f"{V1}/companies/{company.pk}", {"account_type": 987654}), "account_type")
    fresh = Company.objects.get(pk=company.pk)
    assert (fresh.name, fresh.owner, fresh.version) == ("Acme", salesperson, 1)


def test_delete_company_detaching_persons(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    person = PersonFactory(company=company)
    ProjectFactory(company=company)
    response = anna.delete(f"{V1}/companies/{company.pk}", persons="detach")
    assert response.status_code == 204
    assert not Company.objects.exists()
    assert not Project.objects.exists()
    assert Person.objects.get(pk=person.pk).company is None


def test_delete_company_with_persons(anna, salesperson):
    company = CompanyFactory(owner=salesperson)
    PersonFactory.create_batch(2, company=company)
    assert anna.delete(f"{V1}/companies/{company.pk}", persons="delete").status_code == 204
    assert not Person.objects.exists()


@pytest.mark.parametrize("params", [{}, {"persons": "keep"}])
def test_delete_company_must_say_what_happens_to_persons(anna, salesperson, params):
    company = CompanyFactory(owner=salesperson)
    assert_invalid(anna.delete(f"{V1}/companies/{company.pk}", **params), "persons")
    assert Company.objects.filter(pk=company.pk).exists()


# --- persons -------------------------------------------------------------------------------


def test_person_crud(anna, salesperson, teammate):
    company = CompanyFactory(owner=teammate, name="Acme")
    created = anna.post(
        f"{V1}/persons", {"first_name": "Eva", "last_name": "Bos", "company": company.pk, "email": "eva@acme.example"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["company"], body["owner"], body["version"]) == (company.pk, teammate.pk, 1)
    pk = body["id"]

    assert anna.get(f"{V1}/persons/{pk}").json()["last_name"] == "Bos"
    listed = anna.get(f"{V1}/persons", company=company.pk).json()
    assert [p["id"] for p in listed["results"]] == [pk]
    assert anna.get(f"{V1}/persons", q="eva@acme").json()["count"] == 1
    assert anna.get(f"{V1}/persons", q="nobody").json()["count"] == 0

    patched = anna.patch(f"{V1}/persons/{pk}", {"position": "CEO", "company": None, "version": 1})
    assert patched.status_code == 200, patched.content
    person = Person.objects.get(pk=pk)
    assert (person.position, person.company, person.first_name, person.version) == ("CEO", None, "Eva", 2)

    assert anna.patch(f"{V1}/persons/{pk}", {"position": "CFO", "version": 1}).status_code == 409
    assert anna.delete(f"{V1}/persons/{pk}").status_code == 204
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"first_name": "Eva"}, ["last_name"]),
        ({"last_name": "Bos", "email": "eva@"}, ["email"]),
        ({"last_name": "Bos", "mobile": "mobile"}, ["mobile"]),
        ({"last_name": "Bos", "company": 987654}, ["company"]),
    ],
)
def test_create_person_invalid_is_422(anna, payload, fields):
    assert_invalid(anna.post(f"{V1}/persons", payload), *fields)
    assert not Person.objects.exists()


def test_person_for_another_teams_company_is_422(anna, salesperson, foreign):
    assert_invalid(anna.post(f"{V1}/persons", {"last_name": "Spy", "company": foreign["companies"].pk}), "company")
    mine = PersonFactory(owner=salesperson, company=None)
    assert_invalid(anna.patch(f"{V1}/persons/{mine.pk}", {"company": foreign["companies"].pk}), "company")
    assert Person.objects.get(pk=mine.pk).company is None


def test_list_persons_is_scoped(anna, salesperson, foreign):
    mine = PersonFactory(company=CompanyFactory(owner=salesperson))
    assert [p["id"] for p in anna.get(f"{V1}/persons").json()["results"]] == [mine.pk]


# --- projects ------------------------------------------------------------------------------


def test_project_crud(anna, salesperson):
    company = CompanyFactory(owner=salesperson, name="Acme")
    created = anna.post(
        f"{V1}/projects",
        {
            "name": "Roof",
            "company": company.pk,
            "status": "active",
            "start_date": "2025-03-01",
            "end_date": "2025-04-01",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["start_date"], body["end_date"], body["owner"]) == (
        "active",
        "2025-03-01",
        "2025-04-01",
        salesperson.pk,
    )
    pk = body["id"]
    ProjectFactory(company=company, name="Wall", status="planned")

    assert [p["name"] for p in anna.get(f"{V1}/projects").json()["results"]] == ["Roof", "Wall"]
    assert [p["name"] for p in anna.get(f"{V1}/projects", status="planned").json()["results"]] == ["Wall"]
    assert [p["name"] for p in anna.get(f"{V1}/projects", q="roof").json()["results"]] == ["Roof"]
    assert anna.get(f"{V1}/projects", company=company.pk).json()["count"] == 2

    patched = anna.patch(f"{V1}/projects/{pk}", {"status": "done", "version": 1})
    assert patched.status_code == 200
    assert patched.json()["status"] == "done"
    assert patched.json()["start_date"] == "2025-03-01"

    stale = anna.patch(f"{V1}/projects/{pk}", {"status": "cancelled", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["changes"] == {"status": ["active", "done"]}

    assert anna.delete(f"{V1}/projects/{pk}").status_code == 204
    assert not Project.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"name": "Roof"}, ["company"]),
        ({"name": "", "company": "COMPANY"}, ["name"]),
        ({"name": "Roof", "company": "COMPANY", "status": "someday"}, ["status"]),
        ({"name": "Roof", "company": "COMPANY", "start_date": "2025-05-02", "end_date": "2025-05-01"}, ["end_date"]),
        ({"name": "Roof", "company": "COMPANY", "start_date": "02-05-2025"}, ["start_date"]),
    ],
)
def test_create_project_invalid_is_422(anna, salesperson, payload, fields):
    company = CompanyFactory(owner=salesperson)
    payload = {k: (company.pk if v == "COMPANY" else v) for k, v in payload.items()}
    assert_invalid(anna.post(f"{V1}/projects", payload), *fields)
    assert not Project.objects.exists()


def test_project_for_another_teams_company_is_422(anna, foreign):
    assert_invalid(anna.post(f"{V1}/projects", {"name": "Spy", "company": foreign["companies"].pk}), "company")


# --- account types -------------------------------------------------------------------------


def test_account_types_are_readable_by_everyone(anna):
    lead = AccountTypeFactory(code="lead", name="Lead", order=2)
    cust = AccountTypeFactory(code="cust", name="Customer", order=1)
    old = AccountTypeFactory(code="old", is_active=False)
    assert [t["code"] for t in anna.get(f"{V1}/account-types").json()] == ["cust", "lead"]
    assert {t["id"] for t in anna.get(f"{V1}/account-types", include_inactive="true").json()} == {
        lead.pk,
        cust.pk,
        old.pk,
    }
    body = anna.get(f"{V1}/account-types/{lead.pk}").json()
    expected = {
        "id": lead.pk,
        "code": "lead",
        "name": "Lead",
        "order": 2,
        "is_default": False,
        "uses_lead_phases": False,
        "is_active": True,
    }
    assert {k: body[k] for k in expected} == expected


@pytest.mark.parametrize("who", ["salesperson", "manager"])
def test_only_admins_write_account_types(api_for, request, who):
    client = api_for(request.getfixturevalue(who))
    lead = AccountTypeFactory(code="lead", name="Lead")
    assert client.post(f"{V1}/account-types", {"code": "new", "name": "New"}).status_code == 403
    assert client.patch(f"{V1}/account-types/{lead.pk}", {"name": "Hacked"}).status_code == 403
    assert client.delete(f"{V1}/account-types/{lead.pk}").status_code == 403
    assert client.post(f"{V1}/account-types", {"code": "new", "name": "New"}).json()["detail"]
    assert list(AccountType.objects.values_list("code", "name")) == [("lead", "Lead")]


def test_admin_manages_account_types(root, salesperson):
    created = root.post(f"{V1}/account-types", {"code": "lead", "name": "Lead", "is_default": True})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["is_default"], body["is_active"], body["order"]) == (True, True, 0)
    pk = body["id"]

    other = root.post(f"{V1}/account-types", {"code": "cust", "name": "Customer", "is_default": True, "order": 5})
    assert other.status_code == 201
    assert AccountType.objects.get(pk=pk).is_default is False

    patched = root.patch(f"{V1}/account-types/{pk}", {"name": "Lead (new)", "order": 3})
    assert patched.status_code == 200, patched.content
    lead = AccountType.objects.get(pk=pk)
    assert (lead.name, lead.order, lead.code, lead.is_active) == ("Lead (new)", 3, "lead", True)

    deactivated = root.patch(f"{V1}/account-types/{pk}", {"is_active": False})
    assert deactivated.status_code == 200
    assert AccountType.objects.get(pk=pk).is_active is False

    assert_invalid(root.post(f"{V1}/account-types", {"code": "lead", "name": "Again"}), "code")
    assert_invalid(root.post(f"{V1}/account-types", {"code": "bad code", "name": ""}), "code", "name")

    CompanyFactory(owner=salesperson, account_type=lead)
    in_use = root.delete(f"{V1}/account-types/{pk}")
    assert in_use.status_code == 422
    assert "Deactivate it instead" in in_use.json()["detail"]

    spare = AccountTypeFactory(code="spare")
    assert root.delete(f"{V1}/account-types/{spare.pk}").status_code == 204
    assert not AccountType.objects.filter(code="spare").exists()


# --- admins and managers through the API ----------------------------------------------------


def test_manager_and_admin_scopes(api_for, manager, admin_user, salesperson, foreign):
    mine = CompanyFactory(owner=salesperson)
    manager_ids = {c["id"] for c in api_for(manager).get(f"{V1}/companies").json()["results"]}
    assert manager_ids == {mine.pk}
    admin_ids = {c["id"] for c in api_for(admin_user).get(f"{V1}/companies").json()["results"]}
    assert admin_ids == {mine.pk, foreign["companies"].pk}
    assert api_for(admin_user).get(f"{V1}/companies/{foreign['companies'].pk}").status_code == 200


# --- user-defined fields -------------------------------------------------------------------


def test_companies_and_persons_carry_their_user_defined_fields(anna, salesperson):
    """`custom: {code: value}` on companies and persons, read and written through the same
    form as the card: required fields, types and choices are checked, unknown codes refused,
    codes not sent kept on a partial update, and a failed write changes nothing."""
    from dealflow.sales.models import UserDefinedField

    UserDefinedField.objects.create(
        entity="company", code="segment", label="Segment", field_type="choice", choices="SME\nEnterprise", required=True
    )
    UserDefinedField.objects.create(entity="company", code="staff", label="Staff", field_type="number")
    UserDefinedField.objects.create(entity="person", code="birthday", label="Birthday", field_type="date")
    UserDefinedField.objects.create(entity="person", code="budget", label="Budget", field_type="decimal")
    UserDefinedField.objects.create(entity="sale", code="region", label="Region", field_type="text")

    assert_invalid(anna.post(f"{V1}/companies", {"name": "No segment"}), "custom.segment")
    assert_invalid(anna.post(f"{V1}/companies", {"name": "Bad", "custom": {"segment": "Huge"}}), "custom.segment")
    errors = assert_invalid(
        anna.post(f"{V1}/companies", {"name": "Bad", "custom": {"segment": "SME", "region": "North"}}), "custom.region"
    )
    assert errors["custom.region"] == ["There is no user-defined field with this code."]
    assert_invalid(anna.post(f"{V1}/companies", {"name": "Bad", "custom": {"segment": "SME", "staff": "many"}}),
                   "custom.staff")  # fmt: skip
    assert not Company.objects.exists()

    response = anna.post(f"{V1}/companies", {"name": "Acme", "custom": {"segment": "SME", "staff": 12}})
    assert response.status_code == 201, response.content
    company = response.json()
    assert company["custom"] == {"segment": "SME", "staff": 12}
    assert Company.objects.get(pk=company["id"]).custom == {"segment": "SME", "staff": 12}

    changed = anna.patch(f"{V1}/companies/{company['id']}", {"custom": {"staff": 40}})
    assert changed.status_code == 200, changed.content
    assert changed.json()["custom"] == {"segment": "SME", "staff": 40}
    phoned = anna.patch(f"{V1}/companies/{company['id']}", {"phone": "+31 30 123 4567"})
    assert phoned.status_code == 200, phoned.content
    assert phoned.json()["custom"]["segment"] == "SME"
    assert_invalid(anna.patch(f"{V1}/companies/{company['id']}", {"custom": {"segment": ""}}), "custom.segment")
    assert anna.get(f"{V1}/companies/{company['id']}").json()["custom"] == {"segment": "SME", "staff": 40}
    [listed] = anna.get(f"{V1}/companies").json()["results"]
    assert listed["custom"] == {"segment": "SME", "staff": 40}

    response = anna.post(
        f"{V1}/persons", {"last_name": "Bos", "company": company["id"], "custom": {"birthday": "1980-02-29"}}
    )
    assert response.status_code == 201, response.content
    person = response.json()
    assert person["custom"] == {"birthday": "1980-02-29", "budget": None}
    changed = anna.patch(f"{V1}/persons/{person['id']}", {"custom": {"budget": "1250.50"}})
    assert changed.json()["custom"] == {"birthday": "1980-02-29", "budget": "1250.50"}
    assert_invalid(anna.patch(f"{V1}/persons/{person['id']}", {"custom": {"birthday": "someday"}}), "custom.birthday")
    assert Person.objects.get(pk=person["id"]).custom == {"birthday": "1980-02-29", "budget": "1250.50"}
    assert anna.get(f"{V1}/persons/{person['id']}").json()["custom"]["budget"] == "1250.50"
