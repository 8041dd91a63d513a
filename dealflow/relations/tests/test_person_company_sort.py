"""The person list sorted by company: the company's name copied onto the person by database
triggers (relations.denorm) gives the same rows in the same order as sorting through the join,
on every page, whatever path changed a name or a person's company."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import F

from dealflow.accounts.visibility import scope_by_owner
from dealflow.core.views import rows_in_order
from dealflow.relations import denorm, selectors, services
from dealflow.relations.models import Company, Person
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory
from dealflow.saved.lists import TwoStepPaginator

pytestmark = pytest.mark.django_db

# The sort as it was: through the join to the company (NULLs where each database puts them).
REFERENCE = {"company": ("company__name", "last_name", "id"), "-company": ("-company__name", "-last_name", "-id")}


def reference(user: Any, sort: str, archived: bool = False) -> list[int]:
    qs = scope_by_owner(Person.objects.all(), user).filter(archived=archived)
    return list(qs.order_by(*REFERENCE[sort]).values_list("pk", flat=True))


def listed(user: Any, sort: str, archived: bool = False, per_page: int = 4) -> list[int]:
    """The list's ids page by page, fetched the way the list view does (TwoStepPaginator)."""
    paginator = TwoStepPaginator(selectors.person_list(user=user, sort=sort, archived=archived), per_page)
    return [p.pk for number in paginator.page_range for p in paginator.page(number).object_list]


def names_kept() -> bool:
    """Every person's company_name is its company's name (None without a company)."""
    rows = Person.objects.values_list("company_name", "company__name")
    return all(kept == actual for kept, actual in rows)


def assert_same_order(user: Any) -> None:
    assert names_kept()
    for sort in REFERENCE:
        assert listed(user, sort) == reference(user, sort)


@pytest.fixture
def world(salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    """Companies with equal and differing names, persons with equal last names, some without a
    company, an archived one and one of another team."""
    beta = CompanyFactory(name="Beta", owner=salesperson)
    alpha = CompanyFactory(name="Alpha", owner=teammate)
    twin = CompanyFactory(name="Beta", owner=salesperson)  # same name: last name, then id decide
    gamma = CompanyFactory(name="gamma", owner=salesperson)
    for company, last_names in ((beta, ["Smit", "Jansen", "Smit"]), (alpha, ["Bakker", "Visser"]),
                                (twin, ["Jansen", "Smit"]), (gamma, ["Mulder"])):  # fmt: skip
        for last_name in last_names:
            PersonFactory(company=company, last_name=last_name, owner=company.owner)
    for last_name in ("De Boer", "Smit", "Smit"):
        PersonFactory(company=None, last_name=last_name, owner=salesperson)
    PersonFactory(company=beta, last_name="Archived", owner=salesperson, archived=True)
    PersonFactory(company=CompanyFactory(name="Other", owner=outsider), last_name="Hidden", owner=outsider)
    return {"alpha": alpha, "beta": beta, "twin": twin, "gamma": gamma}


# --- the same rows in the same order ---------------------------------------------------------


def test_both_directions_match_the_join_on_every_page(salesperson: Any, world: dict[str, Any]) -> None:
    for sort in REFERENCE:
        for per_page in (1, 3, 4, 25):
            assert listed(salesperson, sort, per_page=per_page) == reference(salesperson, sort)
    assert listed(salesperson, "company", archived=True) == reference(salesperson, "company", archived=True)
    assert len(reference(salesperson, "company")) == 11  # 8 with a company, 3 without; not the hidden one


def test_persons_without_a_company_sort_where_the_join_put_them(salesperson: Any, world: dict[str, Any]) -> None:
    ids = listed(salesperson, "company", per_page=25)
    without = set(Person.objects.filter(company=None).values_list("pk", flat=True))
    assert Person.objects.filter(pk__in=without, company_name__isnull=False).count() == 0
    # SQLite puts NULL first in ascending order, PostgreSQL last; the list keeps each one's order.
    if connection.vendor == "sqlite":
        assert set(ids[:3]) == without
    else:
        assert set(ids[-3:]) == without
    assert [p for p in listed(salesperson, "-company", per_page=25) if p in without] == sorted(
        without, key=lambda pk: (Person.objects.get(pk=pk).last_name, pk), reverse=True
    )


def test_a_renamed_company_moves_its_persons(salesperson: Any, world: dict[str, Any]) -> None:
    services.company_update(actor=salesperson, company=world["alpha"], data={"name": "Zeta"})
    assert set(Person.objects.filter(company=world["alpha"]).values_list("company_name", flat=True)) == {"Zeta"}
    assert_same_order(salesperson)
    Company.objects.filter(pk=world["beta"].pk).update(name="Aardvark")  # a bulk update
    assert_same_order(salesperson)
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute("UPDATE relations_company SET name = %s WHERE id = %s", ["Mid", world["gamma"].pk])
    assert_same_order(salesperson)


def test_a_person_moved_detached_or_added_gets_the_right_name(salesperson: Any, world: dict[str, Any]) -> None:
    person = Person.objects.filter(company=world["beta"]).first()
    services.person_update(actor=salesperson, person=person, data={"company": world["gamma"]})
    assert Person.objects.get(pk=person.pk).company_name == "gamma"
    Person.objects.filter(company=world["twin"]).update(company=world["alpha"])
    services.person_update(actor=salesperson, person=Person.objects.get(pk=person.pk), data={"company": None})
    assert Person.objects.get(pk=person.pk).company_name is None
    created = services.person_create(actor=salesperson, data={"last_name": "Nieuw", "company": world["beta"]})
    assert Person.objects.get(pk=created.pk).company_name == "Beta"
    Person.objects.bulk_create([Person(last_name="Bulk", company=world["gamma"], owner=salesperson)])
    assert_same_order(salesperson)
    services.company_delete(actor=salesperson, company=world["beta"], persons="detach")
    assert_same_order(salesperson)


def test_a_stale_instance_cannot_store_a_stale_name(salesperson: Any, world: dict[str, Any]) -> None:
    """The services write every column of a model instance; one read before a rename still
    writes the old name, and the trigger puts the current one back."""
    person = Person.objects.filter(company=world["gamma"]).get()
    services.company_update(actor=salesperson, company=world["gamma"], data={"name": "Omega"})
    services.person_update(actor=salesperson, person=person, data={"position": "Buyer"})
    assert person.company_name == "gamma"  # what the instance wrote
    assert Person.objects.get(pk=person.pk).company_name == "Omega"
    Person.objects.filter(pk=person.pk).update(company_name="Forged")
    assert Person.objects.get(pk=person.pk).company_name == "Omega"
    assert_same_order(salesperson)


def test_the_api_keeps_the_name(api_for: Any, salesperson: Any, world: dict[str, Any]) -> None:
    api = api_for(salesperson)
    made = api.post("/api/v1/persons", {"last_name": "Api", "company": world["alpha"].pk})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert Person.objects.get(pk=pk).company_name == "Alpha"
    moved = api.patch(f"/api/v1/persons/{pk}", {"company": world["gamma"].pk})
    assert moved.status_code == 200, moved.content
    assert Person.objects.get(pk=pk).company_name == "gamma"
    renamed = api.patch(f"/api/v1/companies/{world['gamma'].pk}", {"name": "Gamma Two"})
    assert renamed.status_code == 200, renamed.content
    assert Person.objects.get(pk=pk).company_name == "Gamma Two"
    page = api.get("/api/v1/persons", sort="company")
    assert page.status_code == 200
    assert [p["id"] for p in page.json()["results"]] == reference(salesperson, "company")


# --- the fast path -----------------------------------------------------------------------------


def plan(qs: Any, index: str, count: bool = False) -> str:
    """The database's plan for `qs` (with `count`: for counting its rows, as the capped count does)
    when it is made to use `index` where it can (SQLite: INDEXED BY; PostgreSQL: sorting and
    table scans priced out, as they are for a large table)."""
    sql, params = qs.query.sql_with_params()
    if connection.vendor == "sqlite":
        table = f'FROM "{qs.model._meta.db_table}"'
        sql = sql.replace(table, f"{table} INDEXED BY {index}", 1)
    if count:
        sql = f"SELECT COUNT(*) FROM ({sql}) subquery"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("sort", ["company", "-company"])
def test_a_page_of_the_company_sort_is_read_from_its_index_alone(salesperson: Any, world: Any, sort: str) -> None:
    ids = selectors.person_list(user=salesperson, sort=sort).values_list("pk", flat=True)[:25]
    assert "relations_company" not in str(ids.query)  # no join: the name is the person's
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "relations_person")
    assert constraints["person_list_by_company"]["columns"] == [
        "company_name", "last_name", "id", "owner_id", "archived",
    ]  # fmt: skip
    found = plan(ids, "person_list_by_company")
    if connection.vendor == "sqlite":
        assert "COVERING INDEX person_list_by_company" in found and "TEMP B-TREE" not in found, found
    else:
        assert "Index Only Scan" in found and "person_list_by_company" in found and "Sort" not in found, found
    # The rows of the page come as the list shows them.
    assert [p.pk for p in rows_in_order(selectors.person_list(user=salesperson, sort=sort), 0, 25)] == reference(
        salesperson, sort
    )


# --- the triggers ------------------------------------------------------------------------------


def test_triggers_put_back_after_a_table_rebuild_repair_the_names(salesperson: Any, world: Any) -> None:
    assert denorm.ensure_installed(connection) is False  # installed by the migration
    denorm.drop_triggers(connection)  # as SQLite's table rebuild in a later migration does
    Company.objects.filter(pk=world["alpha"].pk).update(name="Renamed meanwhile")
    Person.objects.filter(company=world["beta"]).update(company=world["gamma"])
    assert not names_kept()
    denorm.after_migrate(using=connection.alias)
    assert names_kept()
    assert denorm.trigger_names(connection) == set(
        denorm.SQLITE_TRIGGERS if connection.vendor == "sqlite" else denorm.PG_TRIGGERS
    )
    assert_same_order(salesperson)


def test_migrate_hooks_make_way_for_a_table_rebuild_on_sqlite(salesperson: Any, world: Any) -> None:
    """SQLite refuses to rebuild one table while a trigger of the other names it, so the triggers
    are dropped while migrations run (and not put back by migration 0004 in that run), then
    installed again with the names written meanwhile repaired. PostgreSQL keeps them."""
    wanted = set(denorm.SQLITE_TRIGGERS if connection.vendor == "sqlite" else denorm.PG_TRIGGERS)
    denorm.before_migrate(using=connection.alias, plan=[])  # nothing to migrate: nothing dropped
    assert denorm.trigger_names(connection) == wanted
    denorm.before_migrate(using=connection.alias, plan=[("a migration", False)])
    denorm.install_in_migration(connection)
    assert denorm.trigger_names(connection) == (set() if connection.vendor == "sqlite" else wanted)
    Company.objects.filter(pk=world["alpha"].pk).update(name="Renamed by a data migration")
    denorm.after_migrate(using=connection.alias)
    assert denorm.trigger_names(connection) == wanted
    assert names_kept()
    assert_same_order(salesperson)


def test_rebuild_corrects_only_wrong_names(salesperson: Any, world: Any) -> None:
    assert denorm.rebuild(connection) == 0
    denorm.drop_triggers(connection)
    Person.objects.filter(company=world["twin"]).update(company_name=F("last_name"))
    Person.objects.filter(company=None).update(company_name="Nobody")
    assert denorm.rebuild(connection) == 5  # twin's two, the three without a company
    denorm.install_triggers(connection)
    assert names_kept()


def test_the_generated_data_set_carries_the_names(salesperson: Any) -> None:
    """generate_data writes the names itself (its bulk load runs without the triggers), checks
    them once at the end and puts the triggers back."""
    from dealflow.core import datagen

    lines: list[str] = []
    datagen.generate("small", seed=3, report=lines.append)
    assert Person.objects.filter(company_name__isnull=True).count() == 0
    assert names_kept()
    assert "company names and account types: 0 corrected" in " ".join(lines)
    assert denorm.ensure_installed(connection) is False
    company = Company.objects.filter(persons__isnull=False).first()
    Company.objects.filter(pk=company.pk).update(name="Renamed after the load")
    assert set(company.persons.values_list("company_name", flat=True)) == {"Renamed after the load"}
