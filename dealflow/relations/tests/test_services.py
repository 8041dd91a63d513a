"""Services and selectors for companies, persons, projects and account types.

Given/when/then, against the real database: no mocks of our own code.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dealflow.audit.models import AuditEvent
from dealflow.core.services import StaleVersion
from dealflow.relations import selectors, services
from dealflow.relations.models import AccountType, Company, Person, Project, ProjectStatus
from dealflow.relations.tests.factories import (
    AccountTypeFactory,
    CompanyFactory,
    PersonFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Real PBKDF2 costs ~0.3 s per factory user; what is hashed does not matter here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def events_for(obj, action=None):
    qs = AuditEvent.objects.filter(object_type=obj._meta.model_name, object_id=obj.pk).order_by("id")
    if action:
        qs = qs.filter(action=action)
    return list(qs)


def names(qs):
    return [c.name for c in qs]


@pytest.fixture
def world(admin_user, salesperson, teammate, manager, outsider):
    """One company per user: who sees which is the whole point of the visibility rule."""
    return {
        "anna": CompanyFactory(name="Anna BV", owner=salesperson, visiting_city="Utrecht"),
        "ben": CompanyFactory(name="Ben Bouw", owner=teammate, visiting_city="Zwolle"),
        "max": CompanyFactory(name="Max Metaal", owner=manager, visiting_city="Amersfoort"),
        "klara": CompanyFactory(name="Klara Kozijnen", owner=outsider, visiting_city="Breda"),
        "root": CompanyFactory(name="Root Holding", owner=admin_user, visiting_city="Delft"),
    }


# --- companies: create ---------------------------------------------------------------------


def test_company_create_saves_owner_default_type_and_audit(salesperson):
    default = AccountTypeFactory(code="prospect", name="Prospect", is_default=True)
    AccountTypeFactory(code="customer", name="Customer")

    company = services.company_create(
        actor=salesperson,
        data={"name": "Acme", "email": "info@acme.example", "country": "NL", "phone": "+31 20 123 4567"},
    )

    company.refresh_from_db()
    assert company.owner == salesperson
    assert company.account_type == default
    assert company.version == 1
    [event] = events_for(company)
    assert event.action == "create"
    assert event.actor == salesperson
    assert event.object_repr == "Acme"
    assert event.changes["name"] == [None, "Acme"]
    assert event.changes["email"] == [None, "info@acme.example"]
    assert event.changes["owner"] == [None, str(salesperson)]


def test_company_create_ignores_inactive_default_type(salesperson):
    AccountTypeFactory(code="old", is_default=True, is_active=False)
    company = services.company_create(actor=salesperson, data={"name": "Acme"})
    assert company.account_type is None


def test_company_create_with_explicit_owner_from_team(salesperson, teammate):
    company = services.company_create(actor=salesperson, data={"name": "Acme", "owner": teammate})
    assert company.owner == teammate


def test_company_create_refuses_owner_outside_team(salesperson, outsider):
    with pytest.raises(ValidationError) as exc:
        services.company_create(actor=salesperson, data={"name": "Acme", "owner": outsider})
    assert "owner" in exc.value.message_dict
    assert not Company.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 201),
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("website", "acme dot com"),
        ("website", "ftp//acme"),
        ("phone", "call me"),
        ("phone", "12345"),  # too few digits
        ("phone", "+31 20 123 4567 ext 8"),
        ("country", "nl"),
        ("country", "N1"),
        ("country", "NLD"),
        ("visiting_city", "y" * 101),
    ],
)
def test_company_create_rejects_invalid_field(salesperson, field, value):
    data = {"name": "Acme", field: value}
    with pytest.raises(ValidationError) as exc:
        services.company_create(actor=salesperson, data=data)
    assert field in exc.value.message_dict
    assert not Company.objects.exists()
    assert not AuditEvent.objects.filter(object_type="company").exists()


def test_company_create_accepts_boundary_values(salesperson):
    company = services.company_create(
        actor=salesperson,
        data={
            "name": "x" * 200,
            "phone": "(020) 123-456",
            "website": "https://acme.example/path",
            "country": "DE",
        },
    )
    assert Company.objects.get(pk=company.pk).name == "x" * 200


# --- companies: update, archive, optimistic locking ----------------------------------------


def test_company_update_writes_old_and_new_values(salesperson):
    company = CompanyFactory(name="Acme", owner=salesperson, visiting_city="Utrecht", phone="")

    services.company_update(
        actor=salesperson,
        company=company,
        data={"name": "Acme Holding", "visiting_city": "Utrecht", "phone": "030 123 4567"},
        expected_version=1,
    )

    company.refresh_from_db()
    assert company.name == "Acme Holding"
    assert company.phone == "030 123 4567"
    assert company.version == 2
    [event] = events_for(company, "update")
    assert event.actor == salesperson
    assert event.changes == {
        "name": ["Acme", "Acme Holding"],
        "phone": ["", "030 123 4567"],
        "version": [1, 2],
    }


def test_company_update_without_changes_writes_nothing(salesperson):
    company = CompanyFactory(name="Acme", owner=salesperson)
    services.company_update(actor=salesperson, company=company, data={"name": "Acme"}, expected_version=1)
    company.refresh_from_db()
    assert company.version == 1
    assert events_for(company, "update") == []


def test_company_update_account_type_is_logged_by_name(salesperson):
    lead = AccountTypeFactory(code="lead", name="Lead")
    customer = AccountTypeFactory(code="customer", name="Customer")
    company = CompanyFactory(owner=salesperson, account_type=lead)
    services.company_update(actor=salesperson, company=company, data={"account_type": customer})
    [event] = events_for(company, "update")
    assert event.changes["account_type"] == ["Lead", "Customer"]
    assert Company.objects.get(pk=company.pk).account_type == customer


def test_company_update_invalid_leaves_row_untouched(salesperson):
    company = CompanyFactory(name="Acme", owner=salesperson)
    with pytest.raises(ValidationError) as exc:
        services.company_update(actor=salesperson, company=company, data={"name": "", "email": "nope"})
    assert set(exc.value.message_dict) >= {"name", "email"}
    fresh = Company.objects.get(pk=company.pk)
    assert (fresh.name, fresh.email, fresh.version) == ("Acme", "", 1)
    assert events_for(company, "update") == []


def test_company_update_owner_none_keeps_owner(salesperson):
    company = CompanyFactory(owner=salesperson)
    services.company_update(actor=salesperson, company=company, data={"owner": None, "name": "Renamed"})
    company.refresh_from_db()
    assert company.owner == salesperson
    assert company.name == "Renamed"


def test_company_update_cannot_hand_to_other_team(salesperson, outsider):
    company = CompanyFactory(owner=salesperson)
    with pytest.raises(ValidationError) as exc:
        services.company_update(actor=salesperson, company=company, data={"owner": outsider})
    assert "owner" in exc.value.message_dict
    assert Company.objects.get(pk=company.pk).owner == salesperson


def test_stale_version_is_refused_with_the_other_users_changes(salesperson, teammate):
    company = CompanyFactory(name="Acme", owner=salesperson, visiting_city="Utrecht")
    mine = Company.objects.get(pk=company.pk)  # read by me at version 1
    theirs = Company.objects.get(pk=company.pk)  # read by my team mate at version 1
    services.company_update(
        actor=teammate, company=theirs, data={"name": "Acme BV", "visiting_city": "Zeist"}, expected_version=1
    )

    with pytest.raises(StaleVersion) as exc:
        services.company_update(actor=salesperson, company=mine, data={"phone": "030 123 4567"}, expected_version=1)

    assert exc.value.changes == {"name": ["Acme", "Acme BV"], "visiting_city": ["Utrecht", "Zeist"]}
    assert exc.value.current.version == 2
    fresh = Company.objects.get(pk=company.pk)
    assert (fresh.name, fresh.phone, fresh.version) == ("Acme BV", "", 2)
    assert len(events_for(company, "update")) == 1


def test_stale_version_reports_only_changes_after_the_version_read(salesperson, teammate):
    company = CompanyFactory(name="A", owner=salesperson, category="")
    services.company_update(actor=teammate, company=company, data={"name": "B"}, expected_version=1)
    services.company_update(actor=teammate, company=company, data={"category": "Bouw"}, expected_version=2)
    old = Company.objects.get(pk=company.pk)
    old.version = 2  # I read it after the first change only
    with pytest.raises(StaleVersion) as exc:
        services.company_update(actor=salesperson, company=old, data={"name": "C"}, expected_version=2)
    assert exc.value.changes == {"category": ["", "Bouw"]}


def test_concurrent_write_without_expected_version_is_still_caught(salesperson, teammate):
    """Two saves based on the same read: the conditional UPDATE refuses the second."""
    company = CompanyFactory(name="Acme", owner=salesperson)
    first = Company.objects.get(pk=company.pk)
    second = Company.objects.get(pk=company.pk)
    services.company_update(actor=teammate, company=first, data={"name": "First"})
    with pytest.raises(StaleVersion) as exc:
        services.company_update(actor=salesperson, company=second, data={"name": "Second"})
    assert exc.value.changes == {"name": ["Acme", "First"]}
    assert second.version == 1  # the refused save did not bump the in-memory version
    assert Company.objects.get(pk=company.pk).name == "First"


def test_matching_expected_version_after_earlier_edits_succeeds(salesperson):
    company = CompanyFactory(name="A", owner=salesperson)
    services.company_update(actor=salesperson, company=company, data={"name": "B"}, expected_version=1)
    services.company_update(actor=salesperson, company=company, data={"name": "C"}, expected_version=2)
    company.refresh_from_db()
    assert (company.name, company.version) == ("C", 3)


def test_company_archive_and_restore_are_audited(salesperson):
    company = CompanyFactory(owner=salesperson)
    services.company_set_archived(actor=salesperson, company=company, archived=True)
    assert Company.objects.get(pk=company.pk).archived is True
    services.company_set_archived(actor=salesperson, company=company, archived=False)
    assert Company.objects.get(pk=company.pk).archived is False
    actions = [(e.action, e.changes.get("archived")) for e in events_for(company) if e.action != "create"]
    assert actions == [("archive", [False, True]), ("restore", [True, False])]


# --- companies: delete ----------------------------------------------------------------------


def test_company_delete_detaches_persons_and_deletes_projects(salesperson):
    company = CompanyFactory(name="Acme", owner=salesperson)
    p1, p2 = PersonFactory(company=company), PersonFactory(company=company)
    project = ProjectFactory(company=company)
    other = PersonFactory(company=CompanyFactory(owner=salesperson))

    services.company_delete(actor=salesperson, company=company, persons="detach")

    assert not Company.objects.filter(name="Acme").exists()
    assert not Project.objects.filter(pk=project.pk).exists()
    for person in (p1, p2):
        person.refresh_from_db()
        assert person.company is None
        assert person.version == 2
        [event] = events_for(person, "update")
        assert event.changes["company"] == ["Acme", None]
    assert Person.objects.get(pk=other.pk).company is not None
    assert events_for(project, "delete")
    [deleted] = AuditEvent.objects.filter(object_type="company", action="delete")
    assert deleted.object_repr == "Acme"
    assert deleted.actor == salesperson


def test_company_delete_can_delete_persons_too(salesperson):
    company = CompanyFactory(owner=salesperson)
    persons = PersonFactory.create_batch(3, company=company)
    ProjectFactory.create_batch(2, company=company)

    services.company_delete(actor=salesperson, company=company, persons="delete")

    assert not Person.objects.exists()
    assert not Project.objects.exists()
    assert not Company.objects.exists()
    assert AuditEvent.objects.filter(object_type="person", action="delete").count() == 3
    assert {e.object_id for e in AuditEvent.objects.filter(object_type="person", action="delete")} == {
        p.pk for p in persons
    }
    assert AuditEvent.objects.filter(object_type="project", action="delete").count() == 2


def test_company_delete_default_keeps_persons(salesperson):
    company = CompanyFactory(owner=salesperson)
    person = PersonFactory(company=company)
    services.company_delete(actor=salesperson, company=company)
    assert Person.objects.get(pk=person.pk).company_id is None


def test_company_dependants_counts(salesperson):
    company = CompanyFactory(owner=salesperson)
    PersonFactory.create_batch(2, company=company)
    ProjectFactory.create_batch(3, company=company)
    assert selectors.company_dependants(company) == {"persons": 2, "projects": 3}
    assert selectors.company_dependants(CompanyFactory(owner=salesperson)) == {"persons": 0, "projects": 0}


# --- persons ---------------------------------------------------------------------------------


def test_person_create_takes_company_owner(salesperson, teammate):
    company = CompanyFactory(owner=teammate)
    person = services.person_create(actor=salesperson, data={"last_name": "Jansen", "company": company})
    assert person.owner == teammate
    [event] = events_for(person)
    assert event.changes["last_name"] == [None, "Jansen"]
    assert event.changes["company"] == [None, company.name]


def test_person_create_without_company_is_owned_by_actor(salesperson):
    person = services.person_create(actor=salesperson, data={"first_name": "Eva", "last_name": "Smit"})
    assert person.owner == salesperson
    assert person.company is None
    assert str(person) == "Eva Smit"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("last_name", ""),
        ("last_name", " "),
        ("last_name", "z" * 101),
        ("first_name", "z" * 101),
        ("email", "jan@"),
        ("phone", "phone"),
        ("mobile", "06-12"),
    ],
)
def test_person_create_rejects_invalid_field(salesperson, field, value):
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=salesperson, data={"last_name": "Jansen", field: value})
    assert field in exc.value.message_dict
    assert not Person.objects.exists()


def test_person_cannot_be_attached_to_another_teams_company(salesperson, outsider):
    foreign = CompanyFactory(owner=outsider)
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            actor=salesperson, data={"last_name": "Jansen", "company": foreign, "owner": salesperson}
        )
    assert "company" in exc.value.message_dict

    person = PersonFactory(owner=salesperson, company=None)
    with pytest.raises(ValidationError):
        services.person_update(actor=salesperson, person=person, data={"company": foreign})
    assert Person.objects.get(pk=person.pk).company is None


def test_person_update_and_stale(salesperson, teammate):
    person = PersonFactory(owner=salesperson, company=None, position="")
    copy = Person.objects.get(pk=person.pk)
    services.person_update(actor=salesperson, person=person, data={"position": "CEO"}, expected_version=1)
    [event] = events_for(person, "update")
    assert event.changes == {"position": ["", "CEO"], "version": [1, 2]}
    with pytest.raises(StaleVersion) as exc:
        services.person_update(actor=teammate, person=copy, data={"position": "CFO"}, expected_version=1)
    assert exc.value.changes == {"position": ["", "CEO"]}
    assert Person.objects.get(pk=person.pk).position == "CEO"


def test_person_archive_and_delete(salesperson):
    person = PersonFactory(owner=salesperson, company=None)
    services.person_set_archived(actor=salesperson, person=person, archived=True)
    assert Person.objects.get(pk=person.pk).archived
    pk = person.pk
    services.person_delete(actor=salesperson, person=person)
    assert not Person.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(object_type="person", object_id=pk, action="delete").exists()


# --- projects --------------------------------------------------------------------------------


def test_project_create_and_update(salesperson):
    company = CompanyFactory(owner=salesperson)
    project = services.project_create(
        actor=salesperson,
        data={"name": "Roof", "company": company, "start_date": dt.date(2025, 3, 1), "end_date": dt.date(2025, 3, 1)},
    )
    assert project.owner == salesperson
    assert project.status == ProjectStatus.PLANNED
    [created] = events_for(project)
    assert created.changes["start_date"] == [None, "2025-03-01"]

    services.project_update(
        actor=salesperson,
        project=project,
        data={"status": ProjectStatus.ACTIVE, "end_date": dt.date(2025, 6, 30)},
        expected_version=1,
    )
    [event] = events_for(project, "update")
    assert event.changes == {
        "status": ["planned", "active"],
        "end_date": ["2025-03-01", "2025-06-30"],
        "version": [1, 2],
    }


def test_project_end_before_start_is_refused(salesperson):
    company = CompanyFactory(owner=salesperson)
    with pytest.raises(ValidationError) as exc:
        services.project_create(
            actor=salesperson,
            data={
                "name": "Roof",
                "company": company,
                "start_date": dt.date(2025, 3, 2),
                "end_date": dt.date(2025, 3, 1),
            },
        )
    assert "end_date" in exc.value.message_dict
    assert not Project.objects.exists()

    project = ProjectFactory(company=company, start_date=dt.date(2025, 3, 2))
    with pytest.raises(ValidationError) as exc:
        services.project_update(actor=salesperson, project=project, data={"end_date": dt.date(2025, 1, 1)})
    assert "end_date" in exc.value.message_dict
    assert Project.objects.get(pk=project.pk).end_date is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("name", "p" * 201), ("status", "someday"), ("company", None)],
)
def test_project_create_rejects_invalid_field(salesperson, field, value):
    data = {"name": "Roof", "company": CompanyFactory(owner=salesperson), field: value}
    with pytest.raises(ValidationError) as exc:
        services.project_create(actor=salesperson, data=data)
    assert field in exc.value.message_dict
    assert not Project.objects.exists()


def test_project_for_another_teams_company_is_refused(salesperson, outsider):
    with pytest.raises(ValidationError) as exc:
        services.project_create(actor=salesperson, data={"name": "Spy", "company": CompanyFactory(owner=outsider)})
    assert "company" in exc.value.message_dict


def test_project_archive_and_delete(salesperson):
    project = ProjectFactory(company=CompanyFactory(owner=salesperson))
    services.project_set_archived(actor=salesperson, project=project, archived=True)
    assert Project.objects.get(pk=project.pk).archived
    assert [e.action for e in events_for(project)] == ["archive"]  # factories write no create event
    pk = project.pk
    services.project_delete(actor=salesperson, project=project)
    assert not Project.objects.filter(pk=pk).exists()


# --- account types ---------------------------------------------------------------------------


def test_account_type_default_is_unique(admin_user):
    first = services.account_type_create(actor=admin_user, data={"code": "lead", "name": "Lead", "is_default": True})
    second = services.account_type_create(
        actor=admin_user, data={"code": "cust", "name": "Customer", "is_default": True}
    )
    assert list(AccountType.objects.filter(is_default=True)) == [second]
    first.refresh_from_db()
    services.account_type_update(actor=admin_user, account_type=first, data={"is_default": True})
    assert list(AccountType.objects.filter(is_default=True)) == [first]
    [event] = events_for(first, "update")
    assert event.changes == {"is_default": ["False", "True"]}


def test_account_type_validation(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.account_type_create(actor=admin_user, data={"code": "not a slug", "name": ""})
    assert set(exc.value.message_dict) == {"code", "name"}
    AccountTypeFactory(code="lead")
    with pytest.raises(ValidationError) as exc:
        services.account_type_create(actor=admin_user, data={"code": "lead", "name": "Lead again"})
    assert "code" in exc.value.message_dict


def test_account_type_in_use_cannot_be_deleted(admin_user, salesperson):
    used = AccountTypeFactory(code="lead")
    CompanyFactory(owner=salesperson, account_type=used)
    with pytest.raises(ValidationError, match="1 company\\."):
        services.account_type_delete(actor=admin_user, account_type=used)
    assert AccountType.objects.filter(pk=used.pk).exists()

    unused = AccountTypeFactory(code="spare")
    services.account_type_delete(actor=admin_user, account_type=unused)
    assert not AccountType.objects.filter(code="spare").exists()


def test_account_type_choices_hide_inactive():
    active = AccountTypeFactory(code="a")
    inactive = AccountTypeFactory(code="b", is_active=False)
    assert list(selectors.account_type_choices()) == [active]
    assert set(selectors.account_type_choices(include_inactive=True)) == {active, inactive}


# --- visibility ------------------------------------------------------------------------------


def test_salesperson_sees_own_and_team_records(world, salesperson):
    assert names(selectors.company_list(user=salesperson)) == ["Anna BV", "Ben Bouw"]


def test_manager_sees_the_team_they_manage(world, manager):
    assert names(selectors.company_list(user=manager)) == ["Anna BV", "Ben Bouw", "Max Metaal"]


def test_admin_sees_everything(world, admin_user):
    assert len(selectors.company_list(user=admin_user)) == 5


def test_outsider_sees_nothing_of_the_other_team(world, outsider):
    assert names(selectors.company_list(user=outsider)) == ["Klara Kozijnen"]
    for company in (world["anna"], world["ben"], world["max"]):
        with pytest.raises(Http404):
            selectors.company_get_for_user(outsider, company.pk)


def test_manager_also_sees_teams_they_are_member_of(world, manager, other_team, outsider):
    other_team.members.add(manager)
    assert "Klara Kozijnen" in names(selectors.company_list(user=manager))


def test_get_for_user_follows_the_same_rule(world, salesperson, teammate, outsider, admin_user):
    assert selectors.company_get_for_user(salesperson, world["ben"].pk) == world["ben"]
    assert selectors.company_get_for_user(admin_user, world["klara"].pk) == world["klara"]
    with pytest.raises(Http404):
        selectors.company_get_for_user(salesperson, world["klara"].pk)
    with pytest.raises(Http404):
        selectors.company_get_for_user(salesperson, 999_999)


def test_persons_and_projects_are_scoped_too(world, salesperson, outsider):
    mine = PersonFactory(company=world["anna"], last_name="Mine")
    theirs = PersonFactory(company=world["klara"], last_name="Theirs")
    my_project = ProjectFactory(company=world["ben"], name="Ours")
    their_project = ProjectFactory(company=world["klara"], name="Theirs")

    assert [p.last_name for p in selectors.person_list(user=salesperson)] == ["Mine"]
    assert [p.last_name for p in selectors.person_list(user=outsider)] == ["Theirs"]
    assert names(selectors.project_list(user=salesperson)) == ["Ours"]
    assert selectors.person_get_for_user(salesperson, mine.pk) == mine
    assert selectors.project_get_for_user(salesperson, my_project.pk) == my_project
    with pytest.raises(Http404):
        selectors.person_get_for_user(salesperson, theirs.pk)
    with pytest.raises(Http404):
        selectors.project_get_for_user(salesperson, their_project.pk)


def test_user_without_team_sees_only_own(world, db):
    from dealflow.accounts.tests.factories import UserFactory

    loner = UserFactory(username="loner")
    CompanyFactory(owner=loner, name="Solo")
    assert names(selectors.company_list(user=loner)) == ["Solo"]


# --- search, filters, sort -------------------------------------------------------------------


def test_company_search_matches_each_field_case_insensitively(salesperson):
    CompanyFactory(owner=salesperson, name="Bakkerij de Vries", visiting_city="Utrecht")
    CompanyFactory(owner=salesperson, name="Staalbouw", email="info@staal.example", visiting_city="Delft")
    CompanyFactory(owner=salesperson, name="Dak & Co", phone="010 555 1234", visiting_city="Rotterdam")
    CompanyFactory(owner=salesperson, name="Register BV", registration_number="KVK998877", vat_number="NL001B01")

    def search(q):
        return names(selectors.company_list(user=salesperson, q=q))

    assert search("bakkerij") == ["Bakkerij de Vries"]
    assert search("STAAL.EXAMPLE") == ["Staalbouw"]
    assert search("555") == ["Dak & Co"]
    assert search("delft") == ["Staalbouw"]
    assert search("kvk998") == ["Register BV"]
    assert search("nl001") == ["Register BV"]
    assert search("  ") == names(selectors.company_list(user=salesperson))
    assert search("nothing-like-this") == []


def test_company_search_terms_must_all_match(salesperson):
    CompanyFactory(owner=salesperson, name="Bakkerij Utrecht", visiting_city="Zeist")
    CompanyFactory(owner=salesperson, name="Bakkerij Delft", visiting_city="Delft")
    assert names(selectors.company_list(user=salesperson, q="bakkerij zeist")) == ["Bakkerij Utrecht"]
    assert names(selectors.company_list(user=salesperson, q="delft bakkerij")) == ["Bakkerij Delft"]


def test_search_never_crosses_teams(world, salesperson):
    assert names(selectors.company_list(user=salesperson, q="Klara")) == []
    assert names(selectors.company_list(user=salesperson, q="Breda")) == []


def test_company_sorts(salesperson):
    lead = AccountTypeFactory(code="lead", order=2)
    cust = AccountTypeFactory(code="cust", order=1)
    a = CompanyFactory(owner=salesperson, name="Alpha", visiting_city="Zwolle", account_type=lead)
    b = CompanyFactory(owner=salesperson, name="Bravo", visiting_city="Arnhem", account_type=cust)
    c = CompanyFactory(owner=salesperson, name="Charlie", visiting_city="Milaan", account_type=lead)

    def order(sort):
        return list(selectors.company_list(user=salesperson, sort=sort))

    assert order("name") == [a, b, c]
    assert order("-name") == [c, b, a]
    assert order("city") == [b, c, a]
    assert order("-city") == [a, c, b]
    assert order("type") == [b, a, c]
    assert order("-type") == [c, a, b]
    assert order("created") == [a, b, c]
    assert order("-created") == [c, b, a]
    assert order("bogus") == [a, b, c]


def test_company_filters_archived_type_owner(salesperson, teammate):
    lead = AccountTypeFactory(code="lead")
    live = CompanyFactory(owner=salesperson, name="Live", account_type=lead)
    gone = CompanyFactory(owner=salesperson, name="Gone", archived=True)
    mate = CompanyFactory(owner=teammate, name="Mate")
    assert set(selectors.company_list(user=salesperson)) == {live, mate}
    assert list(selectors.company_list(user=salesperson, archived=True)) == [gone]
    assert list(selectors.company_list(user=salesperson, account_type=lead.pk)) == [live]
    assert list(selectors.company_list(user=salesperson, owner=teammate.pk)) == [mate]


def test_person_search_sort_and_company_filter(salesperson):
    acme = CompanyFactory(owner=salesperson, name="Acme")
    zeta = CompanyFactory(owner=salesperson, name="Zeta")
    jan = PersonFactory(company=zeta, first_name="Jan", last_name="Aalders", email="jan@zeta.example")
    eva = PersonFactory(company=acme, first_name="Eva", last_name="Bos", mobile="06 1234 5678")
    piet = PersonFactory(company=None, owner=salesperson, first_name="Piet", last_name="Cornelis")

    assert list(selectors.person_list(user=salesperson)) == [jan, eva, piet]
    assert list(selectors.person_list(user=salesperson, sort="-name")) == [piet, eva, jan]
    # Where persons without a company go differs per database (NULLS FIRST/LAST); the rest is by company name.
    assert [p for p in selectors.person_list(user=salesperson, sort="company") if p.company] == [eva, jan]
    assert [p for p in selectors.person_list(user=salesperson, sort="-company") if p.company] == [jan, eva]
    assert list(selectors.person_list(user=salesperson, q="acme")) == [eva]
    assert list(selectors.person_list(user=salesperson, q="zeta.example")) == [jan]
    assert list(selectors.person_list(user=salesperson, q="1234")) == [eva]
    assert list(selectors.person_list(user=salesperson, q="piet cornelis")) == [piet]
    assert list(selectors.person_list(user=salesperson, company=acme.pk)) == [eva]


def test_project_search_sort_and_filters(salesperson):
    acme = CompanyFactory(owner=salesperson, name="Acme")
    roof = ProjectFactory(company=acme, name="Roof", status=ProjectStatus.ACTIVE, start_date=dt.date(2025, 5, 1))
    wall = ProjectFactory(
        company=CompanyFactory(owner=salesperson, name="Bouw"), name="Wall", start_date=dt.date(2025, 1, 1)
    )
    assert list(selectors.project_list(user=salesperson)) == [roof, wall]
    assert list(selectors.project_list(user=salesperson, sort="start")) == [wall, roof]
    assert list(selectors.project_list(user=salesperson, sort="-company")) == [wall, roof]
    assert list(selectors.project_list(user=salesperson, q="acme")) == [roof]
    assert list(selectors.project_list(user=salesperson, q="wall")) == [wall]
    assert list(selectors.project_list(user=salesperson, status="active")) == [roof]
    assert list(selectors.project_list(user=salesperson, company=acme.pk)) == [roof]
