"""Activity.links_share_owner, kept by database triggers (activities.denorm), lets the activity
scope skip the linked records' owners where they all are the activity's owner. The rule must
stay exactly what it was — who sees which activity — whatever path changed an owner or a link:
services, bulk owner changes, `QuerySet.update()`, deletes, stale instances, raw SQL."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import Q

from dealflow.accounts.models import User
from dealflow.accounts.tests.factories import UserFactory
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.activities import denorm, selectors, services
from dealflow.activities.models import Activity
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.relations import services as rel_services
from dealflow.relations.models import Company, Person, Project
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory, ProjectFactory
from dealflow.sales import services as sale_services
from dealflow.sales.models import Sale
from dealflow.sales.tests.factories import SaleFactory

pytestmark = pytest.mark.django_db

LINKS = {"sale": Sale, "company": Company, "person": Person, "project": Project}


def fresh(user: Any) -> User:
    """The user as a new request sees them (nothing cached from an earlier call)."""
    return User.objects.get(pk=user.pk)


def truth() -> dict[int, bool]:
    """Per activity, read from the tables: does every set link have the activity's owner?"""
    owners = {name: dict(model.objects.values_list("pk", "owner_id")) for name, model in LINKS.items()}
    result = {}
    for row in Activity.objects.values("pk", "owner_id", *(f"{name}_id" for name in LINKS)):
        links = [(name, row[f"{name}_id"]) for name in LINKS if row[f"{name}_id"] is not None]
        result[row["pk"]] = all(owners[name].get(pk) == row["owner_id"] for name, pk in links)
    return result


def old_rule(user: User) -> set[int]:
    """The rule before the flag: the owner and the owner of every linked record visible."""
    ids = visible_owner_ids(fresh(user))
    qs = Activity.objects.all()
    if ids is not None:
        qs = qs.filter(Q(owner_id__in=ids) & selectors.visible_links(ids))
    return set(qs.values_list("pk", flat=True))


def assert_exact(*users: Any) -> None:
    """Every flag is right, and each user's scope holds the same activities as the old rule."""
    flags = dict(Activity.objects.values_list("pk", "links_share_owner"))
    assert flags == truth()
    for user in users:
        assert set(selectors.activity_scope(fresh(user)).values_list("pk", flat=True)) == old_rule(user)


@pytest.fixture
def people(salesperson: Any, teammate: Any, manager: Any, outsider: Any, admin_user: Any) -> dict[str, Any]:
    """Two team mates, their manager, someone of another team, an administrator, and a user in no
    team (so that nobody but the administrator sees every owner)."""
    loner = UserFactory(username="lone")
    return {"anna": salesperson, "ben": teammate, "max": manager, "klara": outsider, "root": admin_user, "lone": loner}


@pytest.fixture
def records(people: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per owner (anna, ben, klara): a company with a sale, a person and a project."""
    out = {}
    for name in ("anna", "ben", "klara"):
        owner = people[name]
        company = CompanyFactory(owner=owner, name=f"{name} BV")
        out[name] = {
            "company": company,
            "person": PersonFactory(company=company, owner=owner),
            "project": ProjectFactory(company=company, owner=owner),
            "sale": SaleFactory(owner=owner, company=company),
        }
    return out


@pytest.fixture
def mixed(people: dict[str, Any], records: dict[str, dict[str, Any]]) -> list[Activity]:
    """Activities of each owner, each link unset or a record of any of the three owners."""
    rng = random.Random(11)
    owners = ("anna", "ben", "klara")
    made = []
    for _ in range(90):
        links = {}
        for link in LINKS:
            pick = rng.choice((None, *owners))
            links[link] = records[pick][link] if pick else None
        made.append(ActivityFactory(owner=people[rng.choice(owners)], **links))
    for owner in owners:  # every link of the owner's own: the common case
        made.append(ActivityFactory(owner=people[owner], **records[owner]))
        made.append(ActivityFactory(owner=people[owner]))
    return made


def everyone(people: dict[str, Any]) -> list[Any]:
    return list(people.values())


# --- the same rows as the old rule -----------------------------------------------------------


def test_many_owner_and_link_combinations(people: Any, mixed: list[Activity]) -> None:
    assert_exact(*everyone(people))
    flags = {a.links_share_owner for a in Activity.objects.all()}
    assert flags == {True, False}  # both kinds are there
    assert len(old_rule(people["anna"])) > 0


def test_owner_changes_of_linked_records_through_the_services(people: Any, records: Any, mixed: Any) -> None:
    root = people["root"]
    a, k = records["anna"], records["klara"]
    sale_services.sale_update(actor=root, sale=a["sale"], data={"owner": people["klara"]})
    assert_exact(*everyone(people))
    rel_services.company_update(actor=root, company=a["company"], data={"owner": people["ben"]})
    assert_exact(*everyone(people))
    rel_services.person_update(actor=root, person=k["person"], data={"owner": people["anna"]})
    rel_services.project_update(actor=root, project=k["project"], data={"owner": people["anna"]})
    assert_exact(*everyone(people))
    # and back: the flags follow both ways
    for name in ("company", "person", "project"):
        model_update = getattr(rel_services, f"{name}_update")
        model_update(actor=root, **{name: LINKS[name].objects.get(pk=a[name].pk)}, data={"owner": people["anna"]})
    sale_services.sale_update(actor=root, sale=Sale.objects.get(pk=a["sale"].pk), data={"owner": people["anna"]})
    assert_exact(*everyone(people))


def test_the_lists_bulk_owner_change(client: Any, people: Any, records: Any, mixed: Any) -> None:
    client.force_login(people["root"])
    for entity, model in (("company", Company), ("person", Person), ("sale", Sale)):
        ids = [str(pk) for pk in model.objects.filter(owner=people["anna"]).values_list("pk", flat=True)]
        response = client.post(
            f"/views/{entity}/bulk/", {"action": "owner", "owner": people["klara"].pk, "ids": ids, "params": ""}
        )
        assert response.status_code == 302
        assert not model.objects.filter(owner=people["anna"]).exists()
        assert_exact(*everyone(people))


def test_queryset_updates_of_owners(people: Any, records: Any, mixed: Any) -> None:
    for model in LINKS.values():
        model.objects.filter(owner=people["ben"]).update(owner=people["klara"])
        assert_exact(*everyone(people))
    Activity.objects.filter(owner=people["anna"]).update(owner=people["ben"])
    assert_exact(*everyone(people))
    for model in LINKS.values():
        model.objects.filter(owner=people["klara"]).update(owner=people["ben"])
    assert_exact(*everyone(people))


def test_relinking_unlinking_and_nulling(people: Any, records: Any) -> None:
    anna, ben = records["anna"], records["ben"]
    actor = people["root"]
    activity = services.activity_create(actor=actor, data={"subject": "Ring", "owner": people["anna"], **anna})
    assert Activity.objects.get(pk=activity.pk).links_share_owner
    activity = services.activity_update(
        actor=actor, activity=activity, data={"company": ben["company"], "sale": None, "person": None, "project": None}
    )
    assert not Activity.objects.get(pk=activity.pk).links_share_owner
    assert_exact(*everyone(people))
    activity = services.activity_update(actor=actor, activity=activity, data={"owner": people["ben"]})
    assert Activity.objects.get(pk=activity.pk).links_share_owner
    activity = services.activity_update(actor=actor, activity=activity, data={"company": None})
    assert Activity.objects.get(pk=activity.pk).links_share_owner  # no links at all
    Activity.objects.filter(pk=activity.pk).update(person=anna["person"])
    assert not Activity.objects.get(pk=activity.pk).links_share_owner
    Activity.objects.filter(pk=activity.pk).update(person=None, project=ben["project"], sale=ben["sale"])
    assert Activity.objects.get(pk=activity.pk).links_share_owner
    assert_exact(*everyone(people))


def test_deleting_linked_records(people: Any, records: Any, mixed: Any) -> None:
    """A person or project deleted leaves its activities unlinked (SET_NULL), which may make
    their links all the owner's; a sale or company takes its activities with it (CASCADE)."""
    root, k = people["root"], records["klara"]
    rel_services.person_delete(actor=root, person=k["person"])
    assert_exact(*everyone(people))
    rel_services.project_delete(actor=root, project=k["project"])
    assert_exact(*everyone(people))
    sale_services.sale_delete(actor=root, sale=records["ben"]["sale"])
    assert_exact(*everyone(people))
    sale_services.sale_delete(actor=root, sale=k["sale"])  # a company with sales cannot go (PROTECT)
    rel_services.company_delete(actor=root, company=Company.objects.get(pk=k["company"].pk), persons="delete")
    assert_exact(*everyone(people))


def test_a_stale_instance_or_a_raw_write_cannot_store_a_wrong_flag(people: Any, records: Any) -> None:
    activity = ActivityFactory(owner=people["anna"], **records["anna"])
    stale = Activity.objects.get(pk=activity.pk)
    assert stale.links_share_owner
    Company.objects.filter(pk=records["anna"]["company"].pk).update(owner=people["klara"])
    stale.subject = "Saved from an old form"
    stale.save()  # writes every column, the old flag too
    assert not Activity.objects.get(pk=activity.pk).links_share_owner
    Activity.objects.filter(pk=activity.pk).update(links_share_owner=True)
    assert not Activity.objects.get(pk=activity.pk).links_share_owner
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {denorm.ACTIVITY} SET {denorm.COLUMN} = %s WHERE id = %s", [True, activity.pk])
    assert_exact(*everyone(people))


def test_bulk_created_activities_and_links_to_missing_records(people: Any, records: Any) -> None:
    a = records["anna"]
    Activity.objects.bulk_create(
        [
            Activity(subject="Mine", owner=people["anna"], company=a["company"], sale=a["sale"], person=a["person"]),
            Activity(subject="Theirs", owner=people["anna"], company=records["klara"]["company"]),
            Activity(subject="Told true", owner=people["ben"], company=a["company"], links_share_owner=True),
        ]
    )
    assert_exact(*everyone(people))
    # A linked record gone without its activities being told (raw SQL; the foreign key is checked
    # at commit): the link now points at nothing, which the old rule hides, and so does the flag.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM relations_project WHERE id = %s", [a["project"].pk])
        cursor.execute("UPDATE relations_person SET id = id + 1000 WHERE id = %s", [a["person"].pk])
    linked = ActivityFactory(owner=people["anna"], company=a["company"], project_id=a["project"].pk)
    assert not Activity.objects.get(pk=linked.pk).links_share_owner
    assert not Activity.objects.get(subject="Mine").links_share_owner  # its person's id is gone
    assert_exact(*everyone(people))
    # Leave no dangling key for the checks at the end of the test.
    Activity.objects.filter(pk=linked.pk).delete()
    Activity.objects.filter(subject="Mine").update(person=None)


def test_a_team_of_everyone_still_sees_exactly_the_old_rule(salesperson: Any, teammate: Any) -> None:
    ours = CompanyFactory(owner=teammate)
    ActivityFactory(owner=salesperson, company=ours)
    ActivityFactory(owner=teammate, company=ours)
    assert_exact(salesperson, teammate)


# --- the triggers ------------------------------------------------------------------------------


def wanted() -> set[str]:
    return set(denorm.SQLITE_TRIGGERS) if connection.vendor == "sqlite" else denorm.PG_TRIGGER_NAMES


def test_triggers_put_back_after_a_table_rebuild_repair_the_flags(people: Any, records: Any, mixed: Any) -> None:
    assert denorm.ensure_installed(connection) is False  # installed by the migration
    denorm.drop_triggers(connection)  # as SQLite's table rebuild in a later migration does
    assert denorm.trigger_names(connection) == set()
    Company.objects.filter(owner=people["anna"]).update(owner=people["ben"])
    Activity.objects.update(links_share_owner=True)
    assert dict(Activity.objects.values_list("pk", "links_share_owner")) != truth()
    denorm.after_migrate(using=connection.alias)
    assert denorm.trigger_names(connection) == wanted()
    assert_exact(*everyone(people))


def test_migrate_hooks_make_way_for_a_table_rebuild_on_sqlite(people: Any, records: Any, mixed: Any) -> None:
    denorm.before_migrate(using=connection.alias, plan=[])  # nothing to migrate: nothing dropped
    assert denorm.trigger_names(connection) == wanted()
    denorm.before_migrate(using=connection.alias, plan=[("a migration", False)])
    denorm.install_in_migration(connection)
    assert denorm.trigger_names(connection) == (set() if connection.vendor == "sqlite" else wanted())
    Sale.objects.filter(owner=people["klara"]).update(owner=people["anna"])  # a data migration
    denorm.after_migrate(using=connection.alias)
    assert denorm.trigger_names(connection) == wanted()
    assert_exact(*everyone(people))


def test_rebuild_corrects_only_wrong_flags(people: Any, records: Any, mixed: Any) -> None:
    assert denorm.rebuild(connection) == 0
    denorm.drop_triggers(connection)
    wrong = list(Activity.objects.filter(links_share_owner=False).values_list("pk", flat=True)[:5])
    Activity.objects.filter(pk__in=wrong).update(links_share_owner=True)
    assert denorm.rebuild(connection) == len(wrong) == 5
    denorm.install_triggers(connection)
    assert_exact(*everyone(people))


def test_the_generated_data_set_carries_the_flags(salesperson: Any) -> None:
    """generate_data writes the flags itself (its bulk load runs without the triggers), checks
    them once at the end and puts the triggers back."""
    from dealflow.core import datagen

    lines: list[str] = []
    datagen.generate("small", seed=3, report=lines.append)
    assert Activity.objects.exists()
    assert dict(Activity.objects.values_list("pk", "links_share_owner")) == truth()
    assert "links share owner: 0 corrected" in " ".join(lines)
    assert denorm.ensure_installed(connection) is False
    sale = Sale.objects.filter(activities__isnull=False).first()
    other = User.objects.exclude(pk=sale.owner_id).first()
    Sale.objects.filter(pk=sale.pk).update(owner=other)
    assert not Activity.objects.filter(sale=sale, links_share_owner=True).exists()


# --- PostgreSQL: concurrent writes ---------------------------------------------------------------


def _in_thread(work: Any) -> threading.Thread:
    """Run `work` on its own database connection (Django's connections are per thread)."""

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")


@pytest.mark.django_db(transaction=True)
def test_an_owner_change_waits_for_an_activity_being_written(on_postgresql: None) -> None:
    """The activity's trigger reads its company FOR SHARE: an owner change in another transaction
    waits for the write and then recomputes the new activity too."""
    anna, klara = UserFactory(username="anna"), UserFactory(username="klara")
    company = CompanyFactory(owner=anna)
    with transaction.atomic():
        activity = ActivityFactory(owner=anna, company=company)
        change = _in_thread(lambda: Company.objects.filter(pk=company.pk).update(owner=klara))
        change.join(timeout=1)
        assert change.is_alive()  # waiting for this transaction
    change.join(timeout=10)
    assert not change.is_alive()
    assert not Activity.objects.get(pk=activity.pk).links_share_owner
    assert dict(Activity.objects.values_list("pk", "links_share_owner")) == truth()


@pytest.mark.django_db(transaction=True)
def test_an_activity_written_during_an_owner_change_sees_the_new_owner(on_postgresql: None) -> None:
    anna, klara = UserFactory(username="anna"), UserFactory(username="klara")
    company = CompanyFactory(owner=anna)
    made: list[Activity] = []
    with transaction.atomic():
        Company.objects.filter(pk=company.pk).update(owner=klara)
        write = _in_thread(lambda: made.append(Activity.objects.create(subject="Ring", owner=anna, company=company)))
        write.join(timeout=1)
        assert write.is_alive()  # waiting for this transaction
    write.join(timeout=10)
    assert made and not Activity.objects.get(pk=made[0].pk).links_share_owner
    assert dict(Activity.objects.values_list("pk", "links_share_owner")) == truth()
