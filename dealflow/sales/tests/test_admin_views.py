"""The administrators' funnel set-up screens through Django's test client: each screen's happy
path, its refusals (shown next to what they are about, with the user's input kept), who may
see it (administrators only) and the funnel switch (404 everywhere while it is off)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dealflow.audit.models import AuditEvent
from dealflow.core.models import SiteSettings
from dealflow.relations.models import AccountType
from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory
from dealflow.sales.models import (
    CloseReason,
    Competitor,
    GuideStep,
    Phase,
    Pipeline,
    Sale,
    StallReason,
    UserDefinedField,
)
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


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def pipeline():
    return pipeline_with_phases(name="Installations", code="install")


def html(response) -> str:
    return response.content.decode()


def events(model_name: str, action: str | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(object_type=model_name).order_by("id")
    return list(qs.filter(action=action) if action else qs)


def phase_post(rows: list[tuple[str, dict[str, Any]]], **pipeline: Any) -> dict[str, Any]:
    """The POST of the pipeline page: the sale type's fields, then each phase row in order."""
    data: dict[str, Any] = {"name": "Installations", "code": "install", "order": "1", "is_active": "on", **pipeline}
    data["rows"] = [key for key, _ in rows]
    for key, row in rows:
        row = {"kind": "regular", "probability": "0", "is_active": "on", **row}
        for name, value in row.items():
            if value is not None:
                data[f"ph-{key}-{name}"] = value
    return data


STANDARD = [
    ("n1", {"code": "lead", "name": "Lead", "kind": "initial", "probability": "10"}),
    ("n2", {"code": "offer", "name": "Offer", "probability": "50", "exit_required_fields": ["amount", "sale_date"]}),
    ("n3", {"code": "won", "name": "Won", "kind": "closing", "probability": "100"}),
]


# --- who may see the set-up -----------------------------------------------------------------

SCREENS = [
    ("funnel:index", {}),
    ("funnel:pipeline_list", {}),
    ("funnel:pipeline_create", {}),
    ("funnel:pipeline_edit", {"pk": "pipeline"}),
    ("funnel:pipeline_delete", {"pk": "pipeline"}),
    ("funnel:guide_edit", {"pk": "phase"}),
    ("funnel:lookup_list", {"kind": "close-reasons"}),
    ("funnel:lookup_list", {"kind": "stall-reasons"}),
    ("funnel:lookup_list", {"kind": "competitors"}),
    ("funnel:lookup_create", {"kind": "competitors"}),
    ("funnel:lookup_edit", {"kind": "competitors", "pk": "competitor"}),
    ("funnel:lookup_delete", {"kind": "competitors", "pk": "competitor"}),
    ("funnel:udf_list", {}),
    ("funnel:udf_create", {}),
    ("funnel:udf_edit", {"pk": "udf"}),
    ("funnel:udf_delete", {"pk": "udf"}),
]


@pytest.fixture
def things(pipeline):
    return {
        "pipeline": pipeline.pk,
        "phase": phases_of(pipeline)["lead"].pk,
        "competitor": CompetitorFactory(name="Rival").pk,
        "udf": UserDefinedField.objects.create(entity="sale", code="region", label="Region").pk,
    }


def url_of(name: str, kwargs: dict[str, str], things: dict[str, int]) -> str:
    return reverse(name, kwargs={k: things.get(v, v) for k, v in kwargs.items()})


@pytest.mark.parametrize(("name", "kwargs"), SCREENS)
def test_every_screen_answers_an_administrator(admin, things, name, kwargs):
    assert admin.get(url_of(name, kwargs, things)).status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), [*SCREENS, ("funnel:settings", {})])
def test_salespeople_and_managers_are_refused(client, salesperson, manager, things, name, kwargs):
    url = url_of(name, kwargs, things)
    for user in (salesperson, manager):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {}).status_code == 403


def test_anonymous_goes_to_the_login_page(client, things):
    response = client.get(reverse("funnel:index"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(("name", "kwargs"), SCREENS)
def test_funnel_switched_off_answers_404(admin, things, name, kwargs):
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    assert admin.get(url_of(name, kwargs, things)).status_code == 404


def test_unknown_lookup_kind_is_404(admin):
    assert admin.get("/admin/colours/").status_code == 404


# --- the funnel switch and the index -----------------------------------------------------


def test_switch_the_funnel_off_and_on_again(admin, admin_user):
    url = reverse("funnel:settings")
    page = admin.get(url)
    assert 'name="funnel_enabled"' in html(page) and "checked" in html(page)

    response = admin.post(url, {}, follow=True)  # an unticked box sends nothing

    assert SiteSettings.load().funnel_enabled is False
    assert "The sales funnel is switched off." in html(response)
    event = events("sitesettings")[-1]
    assert (event.actor, event.changes) == (admin_user, {"funnel_enabled": [True, False]})
    # Everything else of the funnel is gone, the switch itself stays.
    assert admin.get(reverse("funnel:index")).status_code == 404
    assert admin.get(url).status_code == 200
    assert f'href="{reverse("funnel:index")}"' not in html(admin.get(url))

    admin.post(url, {"funnel_enabled": "on"})
    assert SiteSettings.load().funnel_enabled is True
    assert len(events("sitesettings")) == 2
    admin.post(url, {"funnel_enabled": "on"})  # no change, nothing to record
    assert len(events("sitesettings")) == 2


def test_index_links_every_set_up_screen(admin, pipeline):
    page = html(admin.get(reverse("funnel:index")))
    for url in (
        reverse("funnel:settings"),
        reverse("relations:account_type_list"),
        reverse("funnel:pipeline_list"),
        reverse("funnel:lookup_list", args=["close-reasons"]),
        reverse("funnel:lookup_list", args=["stall-reasons"]),
        reverse("funnel:lookup_list", args=["competitors"]),
        reverse("funnel:udf_list"),
    ):
        assert f'href="{url}"' in page


# --- sale types (pipelines) ----------------------------------------------------------------


def test_pipeline_list_shows_phases_and_use_with_a_flat_query_count(admin, salesperson, django_assert_max_num_queries):
    used = pipeline_with_phases(name="Used type", code="used")
    SaleFactory(pipeline=used, owner=salesperson)
    with django_assert_max_num_queries(10):  # +1: the notification bell, +1: the favourites menu
        page = html(admin.get(reverse("funnel:pipeline_list")))
    assert "Used type" in page and "used by sales" in page
    for n in range(10):
        pipeline_with_phases(name=f"Type {n}", code=f"type-{n}")
    with django_assert_max_num_queries(10):  # +1: the notification bell, +1: the favourites menu
        page = html(admin.get(reverse("funnel:pipeline_list")))
    assert "Type 9" in page


def test_new_pipeline_page_offers_an_initial_and_a_closing_row(admin):
    page = html(admin.get(reverse("funnel:pipeline_create")))
    assert page.count('name="rows"') == 3  # two rows and the template row
    assert '<option value="initial" selected>' in page and '<option value="closing" selected>' in page
    assert 'id="phase-row-template"' in page and "dealflow/reorder.js" in page


def test_create_a_pipeline_with_its_phases_in_order(admin, admin_user):
    response = admin.post(reverse("funnel:pipeline_create"), phase_post(STANDARD, days_to_stall="30"))

    assert response.status_code == 302 and response["Location"] == reverse("funnel:pipeline_list")
    pipeline = Pipeline.objects.get(code="install")
    assert pipeline.days_to_stall == 30
    phases = list(pipeline.phases.order_by("order"))
    assert [(p.code, p.kind, p.probability, p.order) for p in phases] == [
        ("lead", "initial", 10, 10), ("offer", "regular", 50, 20), ("won", "closing", 100, 30),
    ]  # fmt: skip
    assert phases[1].exit_required_fields == ["amount", "sale_date"]
    assert events("pipeline", "create")[0].actor == admin_user


def test_the_order_of_the_rows_is_the_order_saved(admin, pipeline):
    ph = phases_of(pipeline)
    rows = [(f"p{ph[c].pk}", {"id": ph[c].pk, "code": c, "name": ph[c].name, "kind": ph[c].kind,
                              "probability": ph[c].probability}) for c in ("lead", "proposal", "qualified", "closing")]  # fmt: skip
    response = admin.post(reverse("funnel:pipeline_edit", args=[pipeline.pk]), phase_post(rows))
    assert response.status_code == 302
    assert list(pipeline.phases.order_by("order").values_list("code", flat=True)) == [
        "lead", "proposal", "qualified", "closing",
    ]  # fmt: skip


def test_edit_page_lists_phases_with_move_buttons_and_guide_links(admin, pipeline, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        page = html(admin.get(reverse("funnel:pipeline_edit", args=[pipeline.pk])))
    ph = phases_of(pipeline)
    assert page.count('data-move="up"') == 5 and page.count('data-move="down"') == 5  # 4 rows + template
    assert 'aria-label="Move up"' in page and 'data-label-template="Move “{name}” up"' in page
    assert reverse("funnel:guide_edit", args=[ph["proposal"].pk]) in page
    assert 'value="proposal"' in page


def test_edit_page_query_count_does_not_grow_with_phases(admin, django_assert_max_num_queries):
    many = pipeline_with_phases(
        [("lead", "Lead", "initial", 10)] + [(f"p{i}", f"P{i}", "regular", 20) for i in range(12)]
        + [("won", "Won", "closing", 100)], code="many",
    )  # fmt: skip
    with django_assert_max_num_queries(12):
        page = html(admin.get(reverse("funnel:pipeline_edit", args=[many.pk])))
    assert page.count('data-move="up"') == 15


def test_pipeline_without_closing_phase_is_refused_and_input_kept(admin):
    rows = [STANDARD[0], ("n2", {"code": "offer", "name": "Offer with a long name", "probability": "50"})]
    response = admin.post(reverse("funnel:pipeline_create"), phase_post(rows))

    assert response.status_code == 400
    assert "A sale type needs at least one closing phase." in html(response)
    assert 'value="Offer with a long name"' in html(response)
    assert not Pipeline.objects.exists()


def test_two_initial_phases_are_refused(admin):
    rows = [STANDARD[0], ("n2", {"code": "intake", "name": "Intake", "kind": "initial"}), STANDARD[2]]
    response = admin.post(reverse("funnel:pipeline_create"), phase_post(rows))

    assert response.status_code == 400
    assert "A sale type needs exactly one initial phase (it has 2)." in html(response)
    assert not Pipeline.objects.exists() and not Phase.objects.exists()


def test_row_errors_are_shown_on_their_row(admin):
    rows = [*STANDARD, ("n4", {"code": "won", "name": "Won again", "kind": "closing", "probability": "100"}),
            ("n5", {"code": "bad", "name": "Bad", "probability": "150"})]  # fmt: skip
    response = admin.post(reverse("funnel:pipeline_create"), phase_post(rows))

    page = html(response)
    assert response.status_code == 400
    assert 'id="id_ph-n5-probability_error"' in page  # the form refuses 150 on its row
    assert not Pipeline.objects.exists()

    rows = [*STANDARD, ("n4", {"code": "won", "name": "Won again", "kind": "closing", "probability": "100"})]
    page = html(admin.post(reverse("funnel:pipeline_create"), phase_post(rows)))
    # The service refuses the second "won" on the fourth row and says so there.
    assert 'id="id_ph-n4-code_error"><p>Each phase needs its own code.' in page
    assert 'id="id_ph-n3-code_error"' not in page
    assert 'value="Won again"' in page
    assert not Pipeline.objects.exists()


def test_swapping_two_codes_in_one_save_is_a_message_not_a_crash(admin, pipeline):
    ph = phases_of(pipeline)
    rows = [(f"p{p.pk}", {"id": p.pk, "code": code, "name": p.name, "kind": p.kind, "probability": p.probability})
            for p, code in ((ph["lead"], "lead"), (ph["qualified"], "proposal"), (ph["proposal"], "qualified"),
                            (ph["closing"], "closing"))]  # fmt: skip
    response = admin.post(reverse("funnel:pipeline_edit", args=[pipeline.pk]), phase_post(rows))
    assert response.status_code == 400
    assert "Another phase of this sale type already uses this code." in html(response)
    assert phases_of(pipeline)["qualified"].pk == ph["qualified"].pk  # nothing changed


def test_removing_rows_deletes_unused_phases_and_deactivates_used_ones(admin, pipeline, salesperson):
    SaleFactory(pipeline=pipeline, owner=salesperson)  # the lead phase is used now
    ph = phases_of(pipeline)
    page = html(admin.get(reverse("funnel:pipeline_edit", args=[pipeline.pk])))
    assert page.count("used by sales") == 1
    rows = [
        ("x1", {"code": "intake", "name": "Intake", "kind": "initial", "probability": "5"}),
        (f"p{ph['closing'].pk}", {"id": ph["closing"].pk, "code": "closing", "name": "Closing", "kind": "closing",
                                  "probability": "100"}),
    ]  # fmt: skip
    response = admin.post(reverse("funnel:pipeline_edit", args=[pipeline.pk]), phase_post(rows))

    assert response.status_code == 302
    assert not Phase.objects.filter(pk__in=[ph["qualified"].pk, ph["proposal"].pk]).exists()
    assert Phase.objects.get(pk=ph["lead"].pk).is_active is False
    # The inactive phase is still on the page, so a save keeps it.
    page = html(admin.get(reverse("funnel:pipeline_edit", args=[pipeline.pk])))
    assert 'value="lead"' in page and "inactive" in page


def test_a_new_phase_cannot_take_the_code_of_a_deactivated_one(admin, pipeline, salesperson):
    SaleFactory(pipeline=pipeline, owner=salesperson)
    ph = phases_of(pipeline)
    rows = [
        ("x1", {"code": "lead", "name": "New lead", "kind": "initial", "probability": "5"}),
        (f"p{ph['closing'].pk}", {"id": ph["closing"].pk, "code": "closing", "name": "Closing", "kind": "closing"}),
    ]
    response = admin.post(reverse("funnel:pipeline_edit", args=[pipeline.pk]), phase_post(rows))
    assert response.status_code == 400
    assert "The deactivated phase “Lead” keeps this code; choose another." in html(response)
    assert Phase.objects.get(pk=ph["lead"].pk).is_active is True  # rolled back


def test_pipeline_code_must_be_unique(admin, pipeline):
    response = admin.post(reverse("funnel:pipeline_create"), phase_post(STANDARD, code="install"))
    assert response.status_code == 400
    assert 'id="id_code_error"' in html(response)
    assert Pipeline.objects.count() == 1


def test_delete_an_unused_pipeline(admin):
    spare = pipeline_with_phases(name="Spare", code="spare")
    assert "Delete “Spare”?" in html(admin.get(reverse("funnel:pipeline_delete", args=[spare.pk])))
    response = admin.post(reverse("funnel:pipeline_delete", args=[spare.pk]), follow=True)
    assert not Pipeline.objects.filter(pk=spare.pk).exists()
    assert "The sale type “Spare” was deleted." in html(response)


def test_a_pipeline_in_use_is_not_deleted(admin, pipeline, salesperson):
    SaleFactory(pipeline=pipeline, owner=salesperson)
    response = admin.post(reverse("funnel:pipeline_delete", args=[pipeline.pk]), follow=True)
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert "Deactivate it instead." in html(response)


def test_a_pipeline_of_an_account_type_is_not_deleted(admin, pipeline):
    AccountTypeFactory(code="lead", name="Lead", uses_lead_phases=True, pipeline=pipeline)
    response = admin.post(reverse("funnel:pipeline_delete", args=[pipeline.pk]), follow=True)
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert "Deactivate it instead." in html(response)


# --- the sales guide -------------------------------------------------------------------------


def test_add_edit_reorder_and_remove_guide_steps(admin, pipeline, admin_user):
    phase = phases_of(pipeline)["qualified"]
    url = reverse("funnel:guide_edit", args=[phase.pk])
    assert "No steps yet." in html(admin.get(url))

    response = admin.post(url, {"kind": "follow_up", "activity_type": "call", "text": "Call back", "days_after": "2"})
    assert response.status_code == 302
    admin.post(url, {"kind": "document", "activity_type": "call", "text": "Reference list", "days_after": "5"})
    call, doc = GuideStep.objects.filter(phase=phase).order_by("order")
    assert (call.activity_type, call.days_after, call.order) == ("call", 2, 10)
    assert (doc.kind, doc.activity_type, doc.days_after, doc.order) == ("document", "", 0, 20)
    assert len(events("guidestep", "create")) == 2

    page = html(admin.get(url))
    assert "2 days after the previous one" in page and "Reference list" in page

    # Edit the first one.
    edit = html(admin.get(url, {"step": call.pk}))
    assert "Call back</textarea>" in edit and "Edit step" in edit
    admin.post(
        url, {"step": call.pk, "kind": "follow_up", "activity_type": "meeting", "text": "Visit", "days_after": "3"}
    )
    call.refresh_from_db()
    assert (call.activity_type, call.text, call.days_after) == ("meeting", "Visit", 3)

    # Reorder: the document first.
    admin.post(reverse("funnel:guide_reorder", args=[phase.pk]), {"steps": [doc.pk, call.pk]})
    assert list(GuideStep.objects.filter(phase=phase).order_by("order").values_list("pk", flat=True)) == [
        doc.pk,
        call.pk,
    ]
    # A stale order (a step missing) is refused with a message.
    response = admin.post(reverse("funnel:guide_reorder", args=[phase.pk]), {"steps": [doc.pk]}, follow=True)
    assert "reload the page" in html(response)

    # Remove.
    admin.post(reverse("funnel:guide_step_delete", args=[doc.pk]))
    assert list(GuideStep.objects.filter(phase=phase)) == [call]
    assert len(events("guidestep", "delete")) == 1


def test_a_follow_up_needs_its_activity_type(admin, pipeline):
    phase = phases_of(pipeline)["lead"]
    response = admin.post(
        reverse("funnel:guide_edit", args=[phase.pk]), {"kind": "follow_up", "activity_type": "", "text": "Ring them"}
    )
    assert response.status_code == 400
    assert "Choose the type of follow-up." in html(response) and "Ring them</textarea>" in html(response)
    assert not GuideStep.objects.exists()


def test_guide_step_of_another_phase_is_404(admin, pipeline):
    ph = phases_of(pipeline)
    step = GuideStepFactory(phase=ph["lead"])
    assert admin.get(reverse("funnel:guide_edit", args=[ph["closing"].pk]), {"step": step.pk}).status_code == 404


def test_guide_delete_and_reorder_need_post(admin, pipeline):
    step = GuideStepFactory(phase=phases_of(pipeline)["lead"])
    assert admin.get(reverse("funnel:guide_step_delete", args=[step.pk])).status_code == 405
    assert admin.get(reverse("funnel:guide_reorder", args=[step.phase_id])).status_code == 405


# --- close reasons, stall reasons, competitors -------------------------------------------


def test_create_and_edit_a_close_reason(admin, admin_user):
    url = reverse("funnel:lookup_create", args=["close-reasons"])
    response = admin.post(url, {"code": "price", "name": "Price", "outcome": "lost", "is_active": "on"})
    assert response.status_code == 302
    reason = CloseReason.objects.get(code="price")
    assert (reason.outcome, reason.order, reason.is_active) == ("lost", 10, True)
    assert events("closereason", "create")[0].actor == admin_user

    page = html(admin.get(reverse("funnel:lookup_list", args=["close-reasons"])))
    assert "Price" in page and "Lost" in page

    admin.post(reverse("funnel:lookup_edit", args=["close-reasons", reason.pk]),
               {"code": "price", "name": "Too expensive", "outcome": "lost", "order": "5"})  # fmt: skip
    reason.refresh_from_db()
    assert (reason.name, reason.order, reason.is_active) == ("Too expensive", 5, False)


def test_lookup_form_refusals_keep_input(admin):
    CloseReasonFactory(code="price")
    response = admin.post(reverse("funnel:lookup_create", args=["close-reasons"]),
                          {"code": "price", "name": "Dupe", "outcome": "won"})  # fmt: skip
    assert response.status_code == 400
    assert 'id="id_code_error"' in html(response) and 'value="Dupe"' in html(response)
    response = admin.post(reverse("funnel:lookup_create", args=["stall-reasons"]), {"name": "  "})
    assert response.status_code == 400
    assert not StallReason.objects.exists()


@pytest.mark.parametrize(
    ("kind", "make", "field"),
    [
        ("close-reasons", lambda: CloseReasonFactory(code="budget", name="Budget"), "close_reason"),
        ("stall-reasons", lambda: StallReasonFactory(name="Holiday"), "stall_reason"),
        ("competitors", lambda: CompetitorFactory(name="Rival"), "competitor"),
    ],
)
def test_lookup_delete_unused_and_refused_in_use(admin, pipeline, salesperson, kind, make, field):
    unused = make()
    admin.post(reverse("funnel:lookup_delete", args=[kind, unused.pk]))
    assert not type(unused).objects.filter(pk=unused.pk).exists()

    used = make()
    sale = SaleFactory(pipeline=pipeline, owner=salesperson)
    Sale.objects.filter(pk=sale.pk).update(**{field: used})
    page = html(admin.get(reverse("funnel:lookup_list", args=[kind])))
    assert "used by sales" in page
    response = admin.post(reverse("funnel:lookup_delete", args=[kind, used.pk]), follow=True)
    assert type(used).objects.filter(pk=used.pk).exists()
    assert "is used by sales and cannot be deleted. Deactivate it instead." in html(response)


def test_lookup_list_query_count_is_flat(admin, django_assert_max_num_queries):
    for n in range(3):
        CompetitorFactory(name=f"C{n}")
    with django_assert_max_num_queries(10):  # +1: the notification bell, +1: the favourites menu
        admin.get(reverse("funnel:lookup_list", args=["competitors"]))
    for n in range(3, 15):
        CompetitorFactory(name=f"C{n}")
    with django_assert_max_num_queries(10):  # +1: the notification bell, +1: the favourites menu
        page = html(admin.get(reverse("funnel:lookup_list", args=["competitors"])))
    assert "C14" in page and Competitor.objects.count() == 15


# --- user-defined fields ---------------------------------------------------------------------


def udf_post(**data: Any) -> dict[str, Any]:
    return {"entity": "sale", "label": "Region", "code": "region", "field_type": "text", "is_active": "on", **data}


def test_create_a_choice_field(admin, admin_user):
    response = admin.post(
        reverse("funnel:udf_create"), udf_post(field_type="choice", choices=" North \n\nSouth\n", pinned="on")
    )
    assert response.status_code == 302
    udf = UserDefinedField.objects.get(code="region")
    assert (udf.choice_list(), udf.pinned, udf.order) == (["North", "South"], True, 10)
    assert events("userdefinedfield", "create")[0].actor == admin_user
    page = html(admin.get(reverse("funnel:udf_list")))
    assert "Region" in page and "North, South" in page


def test_a_choice_list_needs_choices(admin):
    response = admin.post(reverse("funnel:udf_create"), udf_post(field_type="choice", label="Region of the sale"))
    assert response.status_code == 400
    assert "List the choices, one per line." in html(response)
    assert 'value="Region of the sale"' in html(response)
    assert not UserDefinedField.objects.exists()


def test_a_fourth_pinned_field_is_refused(admin):
    for code in ("a", "b", "c"):
        UserDefinedField.objects.create(entity="company", code=code, label=code.upper(), pinned=True)
    UserDefinedField.objects.create(entity="sale", code="d", label="D", pinned=True)  # another entity

    response = admin.post(reverse("funnel:udf_create"), udf_post(entity="company", pinned="on"))

    assert response.status_code == 400
    assert "At most three fields can be pinned to the main tab (Company)." in html(response)
    assert not UserDefinedField.objects.filter(code="region").exists()
    # Unpinned, it is fine; and a deactivated pinned field does not count.
    UserDefinedField.objects.filter(code="a").update(is_active=False)
    assert admin.post(reverse("funnel:udf_create"), udf_post(entity="company", pinned="on")).status_code == 302


def test_udf_code_is_unique_per_entity(admin):
    UserDefinedField.objects.create(entity="sale", code="region", label="Region")
    response = admin.post(reverse("funnel:udf_create"), udf_post())
    assert response.status_code == 400
    assert "Another field of this record type already uses this code." in html(response)
    assert admin.post(reverse("funnel:udf_create"), udf_post(entity="person")).status_code == 302


def test_delete_an_unused_field(admin, salesperson, pipeline):
    udf = UserDefinedField.objects.create(entity="sale", code="region", label="Region")
    sale = SaleFactory(pipeline=pipeline, owner=salesperson)
    Sale.objects.filter(pk=sale.pk).update(custom={"region": None, "other": "x"})  # empty is no value
    assert "This cannot be undone." in html(admin.get(reverse("funnel:udf_delete", args=[udf.pk])))
    response = admin.post(reverse("funnel:udf_delete", args=[udf.pk]), follow=True)
    assert not UserDefinedField.objects.filter(pk=udf.pk).exists()
    assert "The field “Region” was deleted." in html(response)


@pytest.mark.parametrize("entity", ["sale", "company", "person"])
def test_a_field_with_values_is_deactivated_not_deleted(admin, salesperson, pipeline, entity):
    udf = UserDefinedField.objects.create(entity=entity, code="region", label="Region", field_type="text")
    if entity == "sale":
        record = SaleFactory(pipeline=pipeline, owner=salesperson)
    elif entity == "company":
        record = CompanyFactory(owner=salesperson)
    else:
        from dealflow.relations.tests.factories import PersonFactory

        record = PersonFactory(owner=salesperson)
    type(record).objects.filter(pk=record.pk).update(custom={"region": "North"})

    assert "deactivated instead of deleted" in html(admin.get(reverse("funnel:udf_delete", args=[udf.pk])))
    response = admin.post(reverse("funnel:udf_delete", args=[udf.pk]), follow=True)

    udf.refresh_from_db()
    assert udf.is_active is False
    assert "so it was deactivated instead of deleted" in html(response)
    # Its code and type are fixed now.
    page = html(admin.get(reverse("funnel:udf_edit", args=[udf.pk])))
    assert "Records hold values for this field" in page
    admin.post(
        reverse("funnel:udf_edit", args=[udf.pk]),
        udf_post(entity="person", code="area", field_type="number", label="Area"),
    )
    udf.refresh_from_db()
    assert (udf.entity, udf.code, udf.field_type, udf.label) == (entity, "region", "text", "Area")


# --- account types (the relations screen the index links to) -------------------------------


def test_account_type_form_offers_pipeline_and_won_type(admin, pipeline):
    AccountTypeFactory(code="customer", name="Customer")
    page = html(admin.get(reverse("relations:account_type_create")))
    assert 'name="pipeline"' in page and "Installations" in page
    assert 'name="won_account_type"' in page and "Customer" in page
    assert 'for="id_pipeline"' in page and 'for="id_won_account_type"' in page


def test_account_type_with_lead_phases_needs_a_pipeline(admin, pipeline):
    data = {"code": "lead", "name": "Lead", "order": "1", "uses_lead_phases": "on", "is_active": "on"}
    response = admin.post(reverse("relations:account_type_create"), data)
    assert response.status_code == 200
    assert "needs a sale type (pipeline)" in html(response)
    assert not AccountType.objects.exists()
    response = admin.post(reverse("relations:account_type_create"), {**data, "pipeline": pipeline.pk})
    assert response.status_code == 302
    assert AccountType.objects.get(code="lead").pipeline == pipeline


def test_the_switch_is_read_once_per_request_and_again_after_it_changed(admin, admin_user):
    from django.db import connection
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from dealflow.core.funnel import SwitchOncePerRequestMiddleware, funnel_enabled
    from dealflow.sales.services import funnel_set_enabled

    def reads(captured: Any) -> int:
        return sum('"core_sitesettings"' in q["sql"] and q["sql"].startswith("SELECT") for q in captured)

    admin.get(reverse("funnel:index"))  # warm up (the row exists)
    with CaptureQueriesContext(connection) as page:
        assert admin.get(reverse("funnel:index")).status_code == 200  # view, menu and tab ask
    assert reads(page.captured_queries) == 1

    seen = []

    def view(request: Any) -> HttpResponse:
        seen.append(funnel_enabled())
        funnel_set_enabled(actor=admin_user, enabled=False)
        seen.append(funnel_enabled())
        return HttpResponse()

    SwitchOncePerRequestMiddleware(view)(RequestFactory().get("/"))
    assert seen == [True, False]
    assert funnel_enabled() is False  # outside a request: read every time
    SiteSettings.objects.filter(pk=1).update(funnel_enabled=True)
    assert funnel_enabled() is True
