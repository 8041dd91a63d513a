"""/api/v1/ for the sales funnel: pipelines and phases, reasons, competitors, sales and what
happens to them. Real HTTP through Django's handler with real Bearer tokens, real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from dealflow.core.models import SiteSettings
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory
from dealflow.sales import services
from dealflow.sales.models import (
    CloseReason,
    Competitor,
    Outcome,
    Phase,
    PhaseRecord,
    Pipeline,
    Sale,
    SaleStatus,
    Stakeholder,
    StallReason,
    UserDefinedField,
)
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    CompetitorFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # These tests never log in with a password; hashing one per user was most of their time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def funnel(db: Any) -> dict[str, Any]:
    pipeline = pipeline_with_phases(code="b2b", name="B2B")
    return {
        "pipeline": pipeline,
        "phases": phases_of(pipeline),
        "won": CloseReasonFactory(code="fit", name="Good fit", outcome=Outcome.WON),
        "lost": CloseReasonFactory(code="price", name="Too expensive", outcome=Outcome.LOST),
        "either": CloseReasonFactory(code="other", name="Other", outcome=Outcome.EITHER),
        "stall": StallReasonFactory(name="No budget yet"),
        "rival": CompetitorFactory(name="Acme"),
    }


@pytest.fixture
def company(salesperson: Any) -> Any:
    return CompanyFactory(name="Anna BV", owner=salesperson)


@pytest.fixture
def sale(funnel: dict[str, Any], salesperson: Any, company: Any) -> Sale:
    return services.sale_create(
        actor=salesperson,
        data={"title": "New boiler", "company": company, "pipeline": funnel["pipeline"], "amount": Decimal("1000")},
    )


@pytest.fixture
def foreign_sale(funnel: dict[str, Any], outsider: Any) -> Sale:
    """Another team's sale: invisible to the first team."""
    return services.sale_create(
        actor=outsider,
        data={"title": "Klara's deal", "company": CompanyFactory(owner=outsider), "pipeline": funnel["pipeline"]},
    )


@pytest.fixture
def anna(api_for: Any, salesperson: Any) -> Any:
    return api_for(salesperson)


@pytest.fixture
def root(api_for: Any, admin_user: Any) -> Any:
    return api_for(admin_user)


def errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"]
    return body["errors"]


def switch_funnel(on: bool) -> None:
    settings = SiteSettings.load()
    settings.funnel_enabled = on
    settings.save()


# --- the schema, authentication and the funnel switch --------------------------------------

FUNNEL_PATHS = [
    "/api/v1/pipelines",
    "/api/v1/pipelines/{pk}",
    "/api/v1/pipelines/{pk}/phases",
    "/api/v1/pipelines/{pk}/phases/{phase_id}",
    "/api/v1/pipelines/{pk}/phases/reorder",
    "/api/v1/close-reasons",
    "/api/v1/close-reasons/{pk}",
    "/api/v1/stall-reasons",
    "/api/v1/stall-reasons/{pk}",
    "/api/v1/competitors",
    "/api/v1/competitors/{pk}",
    "/api/v1/sales",
    "/api/v1/sales/{pk}",
    "/api/v1/sales/{pk}/phase",
    "/api/v1/sales/{pk}/close",
    "/api/v1/sales/{pk}/stall",
    "/api/v1/sales/{pk}/reopen",
    "/api/v1/sales/{pk}/phase-records",
    "/api/v1/sales/{pk}/stakeholders",
    "/api/v1/sales/{pk}/stakeholders/{sid}",
]


def test_openapi_lists_every_funnel_path_and_documents_money_as_a_string(client: Any) -> None:
    schema = client.get("/api/openapi.json").json()

    assert set(FUNNEL_PATHS) <= set(schema["paths"])
    assert {"/api/v1/companies", "/api/v1/account-types"} <= set(schema["paths"])
    methods = {p: set(ops) for p, ops in schema["paths"].items()}
    assert methods["/api/v1/sales/{pk}"] >= {"get", "patch", "delete"}
    assert methods["/api/v1/pipelines/{pk}/phases/{phase_id}"] >= {"patch", "delete"}
    amount = schema["components"]["schemas"]["SaleOut"]["properties"]["amount"]
    assert amount["type"] == "string" and "two" in amount["description"]
    account_type = schema["components"]["schemas"]["AccountTypeOut"]["properties"]
    assert {"pipeline", "won_account_type"} <= set(account_type)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/sales"),
        ("get", "/api/v1/pipelines"),
        ("post", "/api/v1/close-reasons"),
        ("get", "/api/v1/sales/1"),
    ],
)
def test_without_a_token_is_401(api_for: Any, funnel: Any, method: str, path: str) -> None:
    api = api_for(None)
    response = api.get(path) if method == "get" else api.post(path, {"name": "x"})

    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_session_works_too(client: Any, salesperson: Any, sale: Sale) -> None:
    client.force_login(salesperson)

    response = client.get(f"/api/v1/sales/{sale.pk}")

    assert response.status_code == 200
    assert response.json()["title"] == "New boiler"


def test_funnel_switched_off_every_funnel_path_is_404(anna: Any, root: Any, sale: Sale, funnel: Any) -> None:
    switch_funnel(False)
    pipeline = funnel["pipeline"]

    for path in [
        "/api/v1/sales",
        f"/api/v1/sales/{sale.pk}",
        f"/api/v1/sales/{sale.pk}/phase-records",
        "/api/v1/pipelines",
        f"/api/v1/pipelines/{pipeline.pk}/phases",
        "/api/v1/close-reasons",
        "/api/v1/stall-reasons",
        "/api/v1/competitors",
    ]:
        response = anna.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]
    assert root.post("/api/v1/competitors", {"name": "Rival"}).status_code == 404
    assert anna.post(f"/api/v1/sales/{sale.pk}/reopen", {}).status_code == 404
    assert not Competitor.objects.filter(name="Rival").exists()
    # The rest of the CRM still answers.
    assert anna.get("/api/v1/companies").status_code == 200

    switch_funnel(True)
    assert anna.get("/api/v1/sales").status_code == 200


# --- pipelines -------------------------------------------------------------------------------

LADDER = [
    {"code": "new", "name": "New", "kind": "initial", "probability": 10},
    {"code": "offer", "name": "Offer", "kind": "regular", "probability": 50},
    {"code": "done", "name": "Done", "kind": "closing", "probability": 100},
]


def test_everyone_reads_pipelines_with_their_phases(anna: Any, funnel: Any) -> None:
    Pipeline.objects.create(code="old", name="Old", is_active=False)
    pipeline = funnel["pipeline"]

    listed = anna.get("/api/v1/pipelines").json()
    assert [p["code"] for p in listed] == ["b2b"]
    assert [ph["code"] for ph in listed[0]["phases"]] == ["lead", "qualified", "proposal", "closing"]
    assert {p["code"] for p in anna.get("/api/v1/pipelines", include_inactive="true").json()} == {"b2b", "old"}

    one = anna.get(f"/api/v1/pipelines/{pipeline.pk}").json()
    assert one["name"] == "B2B"
    assert one["phases"][0] == {
        "id": funnel["phases"]["lead"].pk,
        "pipeline": pipeline.pk,
        "code": "lead",
        "name": "Lead",
        "order": 10,
        "kind": "initial",
        "probability": 10,
        "days_to_stall": None,
        "exit_required_fields": [],
        "exit_requires_guide_done": False,
        "is_active": True,
    }
    assert anna.get("/api/v1/pipelines/999999").status_code == 404


def test_admin_creates_and_edits_a_pipeline_with_its_ladder(root: Any) -> None:
    response = root.post(
        "/api/v1/pipelines", {"code": "service", "name": "Service", "days_to_stall": 30, "phases": LADDER}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert [(p["code"], p["order"], p["kind"]) for p in body["phases"]] == [
        ("new", 10, "initial"),
        ("offer", 20, "regular"),
        ("done", 30, "closing"),
    ]
    pk = body["id"]
    ids = {p["code"]: p["id"] for p in body["phases"]}

    # PATCH without phases leaves the ladder alone.
    response = root.patch(f"/api/v1/pipelines/{pk}", {"name": "Service contracts", "days_to_stall": None})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Service contracts"
    assert response.json()["days_to_stall"] is None
    assert [p["code"] for p in response.json()["phases"]] == ["new", "offer", "done"]

    # PATCH with phases: rename one (by id, code kept), drop the unused one, add one.
    ladder = [
        {"id": ids["new"], "name": "Fresh"},
        {"code": "visit", "name": "Visit", "probability": 30},
        {"id": ids["done"]},
    ]
    response = root.patch(f"/api/v1/pipelines/{pk}", {"phases": ladder})
    assert response.status_code == 200, response.content
    assert [(p["code"], p["name"]) for p in response.json()["phases"]] == [
        ("new", "Fresh"),
        ("visit", "Visit"),
        ("done", "Done"),
    ]
    assert not Phase.objects.filter(pk=ids["offer"]).exists()


def test_a_pipeline_without_a_closing_phase_is_refused(root: Any) -> None:
    response = root.post("/api/v1/pipelines", {"code": "half", "name": "Half", "phases": LADDER[:2]})

    assert "closing phase" in " ".join(errors(response)["phases"])
    assert not Pipeline.objects.filter(code="half").exists()


def test_pipeline_input_is_checked(root: Any, funnel: Any) -> None:
    assert "code" in errors(root.post("/api/v1/pipelines", {"name": "No code", "phases": LADDER}))
    assert "code" in errors(root.post("/api/v1/pipelines", {"code": "b2b", "name": "Again", "phases": LADDER}))
    bad = [dict(LADDER[0], probability=120), *LADDER[1:]]
    assert "phases.0.probability" in errors(root.post("/api/v1/pipelines", {"code": "x", "name": "X", "phases": bad}))
    twice = [LADDER[0], dict(LADDER[1], code="new"), LADDER[2]]
    assert "phases" in errors(root.post("/api/v1/pipelines", {"code": "y", "name": "Y", "phases": twice}))


def test_deleting_a_pipeline_in_use_is_refused(root: Any, sale: Sale, funnel: Any) -> None:
    spare = root.post("/api/v1/pipelines", {"code": "spare", "name": "Spare", "phases": LADDER}).json()

    assert root.delete(f"/api/v1/pipelines/{spare['id']}").status_code == 204
    assert not Pipeline.objects.filter(code="spare").exists()
    assert "Deactivate" in root.delete(f"/api/v1/pipelines/{funnel['pipeline'].pk}").json()["detail"]


def test_set_up_writes_are_for_administrators_only(anna: Any, funnel: Any) -> None:
    pipeline, phase = funnel["pipeline"], funnel["phases"]["qualified"]
    calls = [
        anna.post("/api/v1/pipelines", {"code": "mine", "name": "Mine", "phases": LADDER}),
        anna.patch(f"/api/v1/pipelines/{pipeline.pk}", {"name": "Hijacked"}),
        anna.delete(f"/api/v1/pipelines/{pipeline.pk}"),
        anna.post(f"/api/v1/pipelines/{pipeline.pk}/phases", {"code": "x", "name": "X"}),
        anna.patch(f"/api/v1/pipelines/{pipeline.pk}/phases/{phase.pk}", {"name": "X"}),
        anna.delete(f"/api/v1/pipelines/{pipeline.pk}/phases/{phase.pk}"),
        anna.post(f"/api/v1/pipelines/{pipeline.pk}/phases/reorder", {"phase_ids": []}),
        anna.post("/api/v1/close-reasons", {"code": "x", "name": "X"}),
        anna.patch(f"/api/v1/close-reasons/{funnel['won'].pk}", {"name": "X"}),
        anna.delete(f"/api/v1/close-reasons/{funnel['won'].pk}"),
        anna.post("/api/v1/stall-reasons", {"name": "X"}),
        anna.delete(f"/api/v1/stall-reasons/{funnel['stall'].pk}"),
        anna.post("/api/v1/competitors", {"name": "X"}),
        anna.patch(f"/api/v1/competitors/{funnel['rival'].pk}", {"name": "X"}),
    ]

    assert [c.status_code for c in calls] == [403] * len(calls)
    assert calls[0].json()["detail"]
    pipeline.refresh_from_db()
    assert pipeline.name == "B2B" and pipeline.phases.count() == 4
    assert not CloseReason.objects.filter(code="x").exists()


# --- phases of a pipeline ----------------------------------------------------------------


def test_phases_listed_added_edited_and_reordered(root: Any, funnel: Any) -> None:
    pipeline, phases = funnel["pipeline"], funnel["phases"]
    base = f"/api/v1/pipelines/{pipeline.pk}/phases"
    assert [p["code"] for p in root.get(base).json()] == ["lead", "qualified", "proposal", "closing"]

    # A new regular phase goes before the closing one unless told where.
    response = root.post(base, {"code": "demo", "name": "Demo", "probability": 70})
    assert response.status_code == 201, response.content
    demo = response.json()
    assert demo["kind"] == "regular" and demo["probability"] == 70
    assert [p["code"] for p in root.get(base).json()] == ["lead", "qualified", "proposal", "demo", "closing"]
    response = root.post(base, {"code": "intro", "name": "Intro", "position": 1})
    assert [p["code"] for p in root.get(base).json()] == ["lead", "intro", "qualified", "proposal", "demo", "closing"]

    response = root.patch(f"{base}/{demo['id']}", {"name": "Live demo", "probability": 75, "days_to_stall": 14})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["probability"], response.json()["days_to_stall"]) == (
        "Live demo",
        75,
        14,
    )
    assert response.json()["code"] == "demo"

    intro = Phase.objects.get(pipeline=pipeline, code="intro").pk
    order = [phases["lead"].pk, phases["proposal"].pk, phases["qualified"].pk, demo["id"], intro, phases["closing"].pk]
    response = root.post(f"{base}/reorder", {"phase_ids": order})
    assert response.status_code == 200, response.content
    assert [p["id"] for p in response.json()] == order

    assert "phases" in errors(root.post(f"{base}/reorder", {"phase_ids": order[:-1]}))


def test_phase_rules(root: Any, funnel: Any, sale: Sale) -> None:
    pipeline, phases = funnel["pipeline"], funnel["phases"]
    base = f"/api/v1/pipelines/{pipeline.pk}/phases"

    assert "probability" in errors(root.patch(f"{base}/{phases['proposal'].pk}", {"probability": 120}))
    # Deleting a phase a sale is in: refused, deactivate instead.
    response = root.delete(f"{base}/{phases['lead'].pk}")
    assert response.status_code == 422
    assert "Deactivate it instead" in response.json()["detail"]
    # Deleting the only closing phase would leave the pipeline without one.
    assert root.delete(f"{base}/{phases['closing'].pk}").status_code == 422
    assert Phase.objects.filter(pk=phases["closing"].pk).exists()
    # Deactivating the only closing phase: the same rule.
    assert "phases" in errors(root.patch(f"{base}/{phases['closing'].pk}", {"is_active": False}))
    # An unused phase goes.
    assert root.delete(f"{base}/{phases['proposal'].pk}").status_code == 204
    assert not Phase.objects.filter(pk=phases["proposal"].pk).exists()
    # Phases of another pipeline are not found here.
    other = pipeline_with_phases(code="other")
    assert root.delete(f"{base}/{phases_of(other)['lead'].pk}").status_code == 404


def test_a_new_phase_needs_a_code(root: Any, funnel: Any) -> None:
    base = f"/api/v1/pipelines/{funnel['pipeline'].pk}/phases"

    assert "code" in errors(root.post(base, {"name": "No code"}))
    assert "code" in errors(root.post(base, {"code": "not a slug!", "name": "Bad code"}))
    assert "exit_required_fields" in errors(
        root.post(base, {"code": "x", "name": "X", "exit_required_fields": ["objects"]})
    )
    assert "days_to_stall" in errors(root.post(base, {"code": "x", "name": "X", "days_to_stall": 0}))

    response = root.post(base, {"code": "x", "name": "X", "exit_required_fields": ["sale_date", "amount"]})
    assert response.status_code == 201, response.content
    assert response.json()["exit_required_fields"] == ["sale_date", "amount"]
    assert response.json()["is_active"] is True


def test_a_ladder_row_is_checked_like_on_the_set_up_screen(root: Any, funnel: Any) -> None:
    pipeline = funnel["pipeline"]
    lead = funnel["phases"]["lead"].pk

    problems = errors(root.patch(f"/api/v1/pipelines/{pipeline.pk}", {"phases": [{"id": lead}, {"id": 999999}]}))
    assert "phases.1.id" in problems
    problems = errors(root.patch(f"/api/v1/pipelines/{pipeline.pk}", {"phases": [{"id": lead, "name": ""}]}))
    assert "phases.0.name" in problems


# --- close reasons, stall reasons, competitors -------------------------------------------

LOOKUPS = [
    ("close-reasons", CloseReason, {"code": "late", "name": "Too late", "outcome": "lost"}),
    ("stall-reasons", StallReason, {"name": "Waiting for permit"}),
    ("competitors", Competitor, {"name": "Globex"}),
]


@pytest.mark.parametrize(("path", "model", "new"), LOOKUPS)
def test_lookup_lists_reads_creates_edits_and_deletes(
    root: Any, anna: Any, funnel: Any, path: str, model: Any, new: dict
) -> None:
    base = f"/api/v1/{path}"
    old = model.objects.create(
        **{**new, "name": "Retired", "is_active": False, **({"code": "old"} if "code" in new else {})}
    )

    active = anna.get(base).json()
    assert old.pk not in {r["id"] for r in active} and active
    assert old.pk in {r["id"] for r in anna.get(base, include_inactive="true").json()}
    assert anna.get(f"{base}/{old.pk}").json()["name"] == "Retired"
    assert anna.get(f"{base}/999999").status_code == 404

    response = root.post(base, new)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == new["name"] and created["is_active"] is True and created["order"] > 0

    response = root.patch(f"{base}/{created['id']}", {"name": "Renamed", "is_active": False})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["is_active"]) == ("Renamed", False)

    assert "name" in errors(root.post(base, {k: v for k, v in new.items() if k != "name"} | {"code": "nameless"}))
    assert root.delete(f"{base}/{created['id']}").status_code == 204
    assert not model.objects.filter(pk=created["id"]).exists()


def test_a_close_reason_needs_a_known_outcome(root: Any) -> None:
    assert "outcome" in errors(root.post("/api/v1/close-reasons", {"code": "x", "name": "X", "outcome": "maybe"}))


def test_lookups_in_use_cannot_be_deleted(root: Any, anna: Any, sale: Sale, funnel: Any) -> None:
    anna.post(
        f"/api/v1/sales/{sale.pk}/close",
        {"outcome": "lost", "close_reason": funnel["lost"].pk, "competitor": funnel["rival"].pk},
    )
    other = services.sale_create(actor=sale.owner, data={"title": "Other", "pipeline": funnel["pipeline"]})
    services.sale_stall(
        actor=sale.owner, sale=other, reopen_date=today() + dt.timedelta(days=5), stall_reason=funnel["stall"]
    )

    for path, obj in [
        ("close-reasons", funnel["lost"]),
        ("competitors", funnel["rival"]),
        ("stall-reasons", funnel["stall"]),
    ]:
        response = root.delete(f"/api/v1/{path}/{obj.pk}")
        assert response.status_code == 422, path
        assert "Deactivate it instead" in response.json()["detail"]
        assert type(obj).objects.filter(pk=obj.pk).exists()


# --- sales: create, read, list ------------------------------------------------------------


def test_create_a_sale(anna: Any, salesperson: Any, company: Any, funnel: Any) -> None:
    response = anna.post(
        "/api/v1/sales",
        {
            "title": "Heat pump",
            "company": company.pk,
            "amount": "1250.5",
            "recurring_value": 20,
            "score": 40,
            "sale_date": "2030-01-31",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == salesperson.pk
    assert body["pipeline"] == funnel["pipeline"].pk
    assert body["phase"] == funnel["phases"]["lead"].pk
    assert (body["status"], body["effective_status"]) == ("open", "open")
    assert (body["amount"], body["recurring_value"], body["weighted_value"]) == ("1250.50", "20.00", "125.05")
    assert (body["probability"], body["score"], body["version"]) == (10, 40, 1)
    sale = Sale.objects.get(pk=body["id"])
    assert sale.amount == Decimal("1250.50")
    assert PhaseRecord.objects.filter(sale=sale).count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"score": 0}, "score"),
        ({"score": 101}, "score"),
        ({"score": 7.5}, "score"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"recurring_value": -5}, "recurring_value"),
        ({"probability": 120}, "probability"),
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"currency": "EURO"}, "currency"),
    ],
)
def test_sale_rules(anna: Any, funnel: Any, payload: dict, field: str) -> None:
    data = {"title": "Valid title", **payload}

    assert field in errors(anna.post("/api/v1/sales", data))
    assert not Sale.objects.exists()


def test_missing_title_is_refused(anna: Any, funnel: Any) -> None:
    assert "title" in errors(anna.post("/api/v1/sales", {"amount": "10"}))


def test_a_company_you_cannot_see_is_refused(anna: Any, funnel: Any, outsider: Any) -> None:
    theirs = CompanyFactory(owner=outsider)

    assert "company" in errors(anna.post("/api/v1/sales", {"title": "Poach", "company": theirs.pk}))


def test_user_defined_fields_go_through_the_form(anna: Any, funnel: Any) -> None:
    UserDefinedField.objects.create(
        entity="sale", code="region", label="Region", field_type="choice", choices="North\nSouth", required=True
    )
    UserDefinedField.objects.create(entity="sale", code="area", label="Area m²", field_type="decimal")
    UserDefinedField.objects.create(entity="sale", code="visit", label="Visit", field_type="date")
    UserDefinedField.objects.create(entity="sale", code="vip", label="VIP", field_type="checkbox")

    assert "custom.region" in errors(anna.post("/api/v1/sales", {"title": "No region"}))
    assert "custom.region" in errors(anna.post("/api/v1/sales", {"title": "Bad", "custom": {"region": "East"}}))
    assert "custom.nope" in errors(
        anna.post("/api/v1/sales", {"title": "Bad", "custom": {"region": "North", "nope": 1}})
    )
    assert "custom.area" in errors(
        anna.post("/api/v1/sales", {"title": "Bad", "custom": {"region": "North", "area": "lots"}})
    )

    response = anna.post(
        "/api/v1/sales",
        {"title": "Good", "custom": {"region": "North", "area": "12.5", "visit": "2030-02-01", "vip": True}},
    )
    assert response.status_code == 201, response.content
    assert response.json()["custom"] == {"region": "North", "area": "12.5", "visit": "2030-02-01", "vip": True}

    # A partial update keeps the user-defined fields it does not mention.
    pk = response.json()["id"]
    response = anna.patch(f"/api/v1/sales/{pk}", {"custom": {"area": 20}})
    assert response.status_code == 200, response.content
    assert response.json()["custom"] == {"region": "North", "area": "20", "visit": "2030-02-01", "vip": True}
    response = anna.patch(f"/api/v1/sales/{pk}", {"title": "Good, renamed"})
    assert response.json()["custom"]["region"] == "North"


def test_read_a_sale(anna: Any, sale: Sale, funnel: Any) -> None:
    body = anna.get(f"/api/v1/sales/{sale.pk}").json()

    assert body["id"] == sale.pk and body["title"] == "New boiler"
    assert (body["amount"], body["weighted_value"], body["version"]) == ("1000.00", "100.00", 1)
    assert body["effective_status"] == "open" and body["custom"] == {}
    assert body["total_cost"] is None


def test_a_stalled_sale_past_its_reopen_date_reads_open(anna: Any, sale: Sale, funnel: Any) -> None:
    Sale.objects.filter(pk=sale.pk).update(status=SaleStatus.STALLED, reopen_date=today() - dt.timedelta(days=1))

    body = anna.get(f"/api/v1/sales/{sale.pk}").json()

    assert (body["status"], body["effective_status"]) == ("stalled", "open")
    assert [s["id"] for s in anna.get("/api/v1/sales", status="open").json()["results"]] == [sale.pk]


def test_list_sales_filters_sorts_pages_and_scopes(
    anna: Any, salesperson: Any, teammate: Any, company: Any, funnel: Any, foreign_sale: Sale
) -> None:
    pipeline, phases = funnel["pipeline"], funnel["phases"]
    mine = [
        services.sale_create(
            actor=salesperson,
            data={"title": f"Boiler {i}", "company": company, "pipeline": pipeline, "amount": Decimal(100 * i)},
        )
        for i in range(1, 4)
    ]
    theirs = services.sale_create(actor=teammate, data={"title": "Ben's roof", "pipeline": pipeline})
    services.sale_move_to_phase(actor=salesperson, sale=mine[0], phase=phases["qualified"])

    page = anna.get("/api/v1/sales", sort="amount", page_size=2).json()
    assert (page["count"], page["pages"], page["page"]) == (4, 2, 1)  # the team's, not Klara's
    assert [s["title"] for s in page["results"]] == ["Ben's roof", "Boiler 1"]
    page2 = anna.get("/api/v1/sales", sort="amount", page_size=2, page=2).json()
    assert [s["title"] for s in page2["results"]] == ["Boiler 2", "Boiler 3"]

    def titles(**params: Any) -> list[str]:
        return [s["title"] for s in anna.get("/api/v1/sales", **{"sort": "title", **params}).json()["results"]]

    assert titles(q="boiler 2") == ["Boiler 2"]
    assert titles(company=company.pk) == ["Boiler 1", "Boiler 2", "Boiler 3"]
    assert titles(owner=teammate.pk) == ["Ben's roof"]
    assert titles(phase=phases["qualified"].pk) == ["Boiler 1"]
    assert titles(pipeline=pipeline.pk, sort="-amount") == ["Boiler 3", "Boiler 2", "Boiler 1", "Ben's roof"]
    assert titles(status="sold") == []
    assert titles(owner=foreign_sale.owner_id) == []
    assert theirs.pk in {s["id"] for s in anna.get("/api/v1/sales").json()["results"]}
    assert "status" in errors(anna.get("/api/v1/sales", status="bogus"))


def test_the_list_does_not_query_more_with_more_rows(
    anna: Any, salesperson: Any, funnel: Any, django_assert_max_num_queries: Any
) -> None:
    def make(n: int) -> None:
        for i in range(n):
            services.sale_create(
                actor=salesperson,
                data={"title": f"S{i}", "pipeline": funnel["pipeline"], "company": CompanyFactory(owner=salesperson)},
            )

    make(2)
    anna.get("/api/v1/sales")  # warm: the funnel switch row exists
    with django_assert_max_num_queries(9) as few:
        assert len(anna.get("/api/v1/sales").json()["results"]) == 2
    make(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(anna.get("/api/v1/sales").json()["results"]) == 22


def test_each_listed_sale_reads_as_the_sale_on_its_own(anna: Any, salesperson: Any, company: Any, funnel: Any) -> None:
    """The list builds its page without validating it: every field must still come out as the
    single sale's, which goes through the response schema."""
    UserDefinedField.objects.create(entity="sale", code="area", label="Area m²", field_type="decimal")
    UserDefinedField.objects.create(entity="sale", code="vip", label="VIP", field_type="checkbox")
    person = PersonFactory(company=company, owner=salesperson)
    full = anna.post("/api/v1/sales", {
        "title": "Full", "company": company.pk, "person": person.pk, "pipeline": funnel["pipeline"].pk,
        "amount": "1234.5", "total_cost": "1000", "score": 7, "sale_date": "2030-01-31", "recurring_value": "10",
        "recurring_interval": "year", "competitor": funnel["rival"].pk, "note": "Ümlaut & <b>",
        "custom": {"area": "12.5", "vip": True},
    }).json()  # fmt: skip
    bare = services.sale_create(actor=salesperson, data={"title": "Bare", "pipeline": funnel["pipeline"]})
    sold = services.sale_create(actor=salesperson, data={"title": "Sold", "pipeline": funnel["pipeline"], "amount": 5})
    services.sale_close(actor=salesperson, sale=sold, outcome=Outcome.WON, close_reason=funnel["won"])
    stalled = services.sale_create(actor=salesperson, data={"title": "Stalled", "pipeline": funnel["pipeline"]})
    services.sale_stall(actor=salesperson, sale=stalled, reopen_date=today() + dt.timedelta(days=9),
                        stall_reason=funnel["stall"])  # fmt: skip
    # Microseconds, which the JSON of a datetime shortens to milliseconds.
    Sale.objects.filter(pk=bare.pk).update(updated_at=timezone.now().replace(microsecond=123456))

    listed = anna.get("/api/v1/sales", page_size=200).json()["results"]
    assert {s["title"] for s in listed} == {"Full", "Bare", "Sold", "Stalled"}
    for item in listed:
        assert item == anna.get(f"/api/v1/sales/{item['id']}").json()
    by_title = {s["title"]: s for s in listed}
    assert by_title["Full"] == full | {"version": by_title["Full"]["version"]}
    assert (by_title["Full"]["amount"], by_title["Full"]["profit"]) == ("1234.50", "234.50")
    assert by_title["Full"]["custom"] == {"area": "12.5", "vip": True}
    assert by_title["Sold"]["close_reason"] == funnel["won"].pk
    assert by_title["Stalled"]["effective_status"] == "stalled"
    assert by_title["Bare"]["updated_at"].endswith(".123Z")


# --- sales: edit, optimistic lock, delete -----------------------------------------------


def test_patch_changes_only_what_was_sent(anna: Any, sale: Sale) -> None:
    response = anna.patch(f"/api/v1/sales/{sale.pk}", {"title": "Two boilers", "version": 1})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["amount"], body["version"]) == ("Two boilers", "1000.00", 2)
    assert body["company"] == sale.company_id

    response = anna.patch(f"/api/v1/sales/{sale.pk}", {"total_cost": "600"})
    assert (response.json()["profit"], response.json()["profit_pct"]) == ("400.00", "40.00")
    assert "score" in errors(anna.patch(f"/api/v1/sales/{sale.pk}", {"score": 101}))
    assert "amount" in errors(anna.patch(f"/api/v1/sales/{sale.pk}", {"amount": "-3"}))


def test_the_second_of_two_saves_is_refused_with_what_changed(
    anna: Any, api_for: Any, teammate: Any, sale: Sale
) -> None:
    ben = api_for(teammate)
    first = ben.patch(f"/api/v1/sales/{sale.pk}", {"title": "Ben's title", "version": 1})
    assert first.status_code == 200

    second = anna.patch(f"/api/v1/sales/{sale.pk}", {"amount": "5", "version": 1})

    assert second.status_code == 409
    body = second.json()
    assert body["changes"]["title"] == ["New boiler", "Ben's title"]
    assert body["current_version"] == 2 and body["detail"]
    sale.refresh_from_db()
    assert sale.amount == Decimal("1000.00")


def test_a_completed_sale_cannot_change_its_sale_type(anna: Any, sale: Sale, funnel: Any) -> None:
    other = pipeline_with_phases(code="other")
    services.sale_close(actor=sale.owner, sale=sale, outcome="won", close_reason=funnel["won"])

    assert "pipeline" in errors(anna.patch(f"/api/v1/sales/{sale.pk}", {"pipeline": other.pk}))


def test_delete_a_sale(anna: Any, sale: Sale) -> None:
    assert anna.delete(f"/api/v1/sales/{sale.pk}").status_code == 204
    assert not Sale.objects.filter(pk=sale.pk).exists()
    assert anna.delete(f"/api/v1/sales/{sale.pk}").status_code == 404


def test_another_teams_sale_is_404_everywhere(anna: Any, foreign_sale: Sale, funnel: Any, company: Any) -> None:
    base = f"/api/v1/sales/{foreign_sale.pk}"
    person = PersonFactory(company=company)
    calls = [
        anna.get(base),
        anna.patch(base, {"title": "Mine now"}),
        anna.delete(base),
        anna.post(f"{base}/phase", {"phase": funnel["phases"]["qualified"].pk}),
        anna.post(f"{base}/close", {"outcome": "won", "close_reason": funnel["won"].pk}),
        anna.post(
            f"{base}/stall", {"reopen_date": str(today() + dt.timedelta(days=3)), "stall_reason": funnel["stall"].pk}
        ),
        anna.post(f"{base}/reopen", {}),
        anna.get(f"{base}/phase-records"),
        anna.get(f"{base}/stakeholders"),
        anna.post(f"{base}/stakeholders", {"person": person.pk}),
    ]

    assert [c.status_code for c in calls] == [404] * len(calls)
    foreign_sale.refresh_from_db()
    assert (foreign_sale.title, foreign_sale.status, foreign_sale.version) == ("Klara's deal", "open", 1)


# --- moving, closing, stalling, reopening ------------------------------------------------


def test_move_to_the_next_phase_with_the_values_captured(anna: Any, sale: Sale, funnel: Any, salesperson: Any) -> None:
    qualified = funnel["phases"]["qualified"]

    response = anna.post(
        f"/api/v1/sales/{sale.pk}/phase", {"phase": qualified.pk, "score": 60, "expected_value": "1500", "version": 1}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["phase"], body["score"], body["amount"], body["probability"]) == (qualified.pk, 60, "1500.00", 30)
    ladder = anna.get(f"/api/v1/sales/{sale.pk}/phase-records").json()
    assert [(r["phase"]["name"], r["left_at"] is None) for r in ladder] == [("Lead", False), ("Qualified", True)]
    # The values are captured in the phase being completed, and carried into the next.
    assert (ladder[0]["score"], ladder[0]["expected_value"]) == (60, "1500.00")
    assert (ladder[1]["score"], ladder[1]["expected_value"], ladder[1]["recurring_value"]) == (60, "1500.00", "0.00")
    assert ladder[1]["moved_by"]["id"] == salesperson.pk and ladder[1]["moved_by"]["name"]
    assert ladder[1]["status"] == "open" and ladder[1]["entered_at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"score": 0}, "score"),
        ({"score": 101}, "score"),
        ({"score": 7.5}, "score"),
        ({"expected_value": "-1"}, "expected_value"),
    ],
)
def test_move_checks_its_input(anna: Any, sale: Sale, funnel: Any, payload: dict, field: str) -> None:
    data = {"phase": funnel["phases"]["qualified"].pk, **payload}

    assert field in errors(anna.post(f"/api/v1/sales/{sale.pk}/phase", data))
    sale.refresh_from_db()
    assert sale.phase == funnel["phases"]["lead"]


def test_move_into_the_closing_phase_needs_an_outcome_and_a_fitting_reason(anna: Any, sale: Sale, funnel: Any) -> None:
    url = f"/api/v1/sales/{sale.pk}/phase"
    closing = funnel["phases"]["closing"].pk

    assert {"outcome", "close_reason"} <= set(errors(anna.post(url, {"phase": closing})))
    assert "close_reason" in errors(
        anna.post(url, {"phase": closing, "outcome": "won", "close_reason": funnel["lost"].pk})
    )

    response = anna.post(
        url,
        {
            "phase": closing,
            "outcome": "lost",
            "close_reason": funnel["lost"].pk,
            "competitor": funnel["rival"].pk,
            "closed_date": "2024-05-01",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["close_reason"], body["competitor"], body["closed_date"]) == (
        "lost",
        funnel["lost"].pk,
        funnel["rival"].pk,
        "2024-05-01",
    )


def test_a_sold_sale_cannot_move(anna: Any, sale: Sale, funnel: Any) -> None:
    services.sale_close(actor=sale.owner, sale=sale, outcome="won", close_reason=funnel["won"])

    problems = errors(anna.post(f"/api/v1/sales/{sale.pk}/phase", {"phase": funnel["phases"]["qualified"].pk}))

    assert "reopen" in " ".join(problems["phase"])


def test_move_to_a_phase_of_another_pipeline_or_stale_version(anna: Any, sale: Sale, funnel: Any) -> None:
    elsewhere = phases_of(pipeline_with_phases(code="other"))["qualified"]

    assert "phase" in errors(anna.post(f"/api/v1/sales/{sale.pk}/phase", {"phase": elsewhere.pk}))
    services.sale_update(actor=sale.owner, sale=sale, data={"title": "Changed"})
    response = anna.post(f"/api/v1/sales/{sale.pk}/phase", {"phase": funnel["phases"]["qualified"].pk, "version": 1})
    assert response.status_code == 409
    assert response.json()["changes"]["title"] == ["New boiler", "Changed"]


def test_close_won(anna: Any, sale: Sale, funnel: Any) -> None:
    response = anna.post(
        f"/api/v1/sales/{sale.pk}/close", {"outcome": "won", "close_reason": funnel["won"].pk, "version": 1}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["probability"], body["closed_date"]) == ("sold", 100, today().isoformat())
    assert body["phase"] == funnel["phases"]["closing"].pk
    assert body["weighted_value"] == "1000.00"


def test_close_rules(anna: Any, sale: Sale, funnel: Any) -> None:
    url = f"/api/v1/sales/{sale.pk}/close"

    assert "close_reason" in errors(anna.post(url, {"outcome": "won"}))
    problems = errors(anna.post(url, {"outcome": "won", "close_reason": funnel["lost"].pk}))
    assert "does not fit" in " ".join(problems["close_reason"])
    assert "outcome" in errors(anna.post(url, {"outcome": "maybe", "close_reason": funnel["either"].pk}))
    assert "outcome" in errors(anna.post(url, {"close_reason": funnel["either"].pk}))
    sale.refresh_from_db()
    assert sale.status == SaleStatus.OPEN


def test_stall_and_reopen(anna: Any, sale: Sale, funnel: Any) -> None:
    reopen = today() + dt.timedelta(days=14)

    response = anna.post(
        f"/api/v1/sales/{sale.pk}/stall",
        {"reopen_date": reopen.isoformat(), "stall_reason": funnel["stall"].pk, "version": 1},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reopen_date"], body["stall_reason"]) == (
        "stalled",
        reopen.isoformat(),
        funnel["stall"].pk,
    )
    assert "status" in errors(
        anna.post(
            f"/api/v1/sales/{sale.pk}/stall", {"reopen_date": reopen.isoformat(), "stall_reason": funnel["stall"].pk}
        )
    )

    response = anna.post(f"/api/v1/sales/{sale.pk}/reopen", {"version": body["version"]})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["reopen_date"]) == ("open", None)


def test_stall_rules(anna: Any, sale: Sale, funnel: Any) -> None:
    url = f"/api/v1/sales/{sale.pk}/stall"
    reason = funnel["stall"].pk

    assert "reopen_date" in errors(anna.post(url, {"stall_reason": reason}))
    assert "reopen_date" in errors(
        anna.post(url, {"stall_reason": reason, "reopen_date": (today() - dt.timedelta(days=1)).isoformat()})
    )
    assert "reopen_date" in errors(anna.post(url, {"stall_reason": reason, "reopen_date": today().isoformat()}))
    assert "stall_reason" in errors(anna.post(url, {"reopen_date": (today() + dt.timedelta(days=2)).isoformat()}))
    sale.refresh_from_db()
    assert sale.status == SaleStatus.OPEN


def test_reopen_a_lost_sale_goes_back_to_its_phase(anna: Any, sale: Sale, funnel: Any) -> None:
    services.sale_move_to_phase(actor=sale.owner, sale=sale, phase=funnel["phases"]["proposal"])
    services.sale_close(actor=sale.owner, sale=sale, outcome="lost", close_reason=funnel["lost"])

    response = anna.post(f"/api/v1/sales/{sale.pk}/reopen", {})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["phase"], body["close_reason"]) == ("open", funnel["phases"]["proposal"].pk, None)
    assert "status" in errors(anna.post(f"/api/v1/sales/{sale.pk}/reopen", {}))
    assert anna.post(f"/api/v1/sales/{sale.pk}/reopen", {"version": 1}).status_code == 409


# --- stakeholders --------------------------------------------------------------------------


def test_stakeholders(anna: Any, sale: Sale, company: Any, outsider: Any) -> None:
    person = PersonFactory(company=company, first_name="Piet", last_name="Jansen")
    base = f"/api/v1/sales/{sale.pk}/stakeholders"

    response = anna.post(base, {"person": person.pk, "role": "Decision maker", "comment": "Signs the order"})
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["person"], added["person_name"], added["role"]) == (person.pk, "Piet Jansen", "Decision maker")
    assert [s["id"] for s in anna.get(base).json()] == [added["id"]]

    assert "person" in errors(anna.post(base, {"person": person.pk}))  # already there
    hidden = PersonFactory(company=CompanyFactory(owner=outsider))
    assert "person" in errors(anna.post(base, {"person": hidden.pk}))
    assert "person" in errors(anna.post(base, {"role": "No one"}))

    assert anna.delete(f"{base}/{added['id']}").status_code == 204
    assert not Stakeholder.objects.exists()
    assert anna.delete(f"{base}/{added['id']}").status_code == 404


# --- account types point at a pipeline -----------------------------------------------------


def test_account_types_carry_their_pipeline_and_won_type(root: Any, funnel: Any) -> None:
    customer = root.post("/api/v1/account-types", {"code": "customer", "name": "Customer"}).json()

    response = root.post(
        "/api/v1/account-types",
        {
            "code": "lead",
            "name": "Lead",
            "uses_lead_phases": True,
            "pipeline": funnel["pipeline"].pk,
            "won_account_type": customer["id"],
        },
    )

    assert response.status_code == 201, response.content
    assert (response.json()["pipeline"], response.json()["won_account_type"]) == (funnel["pipeline"].pk, customer["id"])
    assert "pipeline" in errors(
        root.post("/api/v1/account-types", {"code": "x", "name": "X", "uses_lead_phases": True})
    )
