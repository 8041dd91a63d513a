"""The lists' search box through the trigram indexes (dealflow/search/substring.py): the same
rows, in the same order and count, as the plain `icontains` filter it replaces, on each
database with that database's case rules, and the index is really what the query reads."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q, QuerySet
from django.test.utils import CaptureQueriesContext

from dealflow.accounts.visibility import scope_by_owner
from dealflow.activities.forms import picker_options
from dealflow.activities.selectors import activity_list
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.relations import services as relations_services
from dealflow.relations.models import Company, Person, Project
from dealflow.relations.selectors import company_list, person_list, project_list
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory, ProjectFactory
from dealflow.sales import services as sales_services
from dealflow.sales.models import Sale
from dealflow.sales.selectors import sale_list, sale_options
from dealflow.sales.tests.factories import SaleFactory
from dealflow.search import schema, substring

pytestmark = pytest.mark.django_db

COMPANY_FIELDS = ("name", "email", "phone", "visiting_city", "registration_number", "vat_number")
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "mobile")

# Each list: how it is read, the fields its search box looks in, and its company foreign key.
LISTS: dict[str, tuple[Callable[[Any, str], QuerySet[Any]], tuple[str, ...], str | None]] = {
    "sales": (lambda user, q: sale_list(user=user, q=q), ("title",), "company"),
    "companies": (lambda user, q: company_list(user=user, q=q), COMPANY_FIELDS, None),
    "persons": (lambda user, q: person_list(user=user, q=q), PERSON_FIELDS, "company"),
    "projects": (lambda user, q: project_list(user=user, q=q), ("name",), "company"),
    "activities": (lambda user, q: activity_list(user=user, q=q), ("subject", "text"), "company"),
}
PICKERS = {
    "sale": (Sale, ["title"]),
    "company": (Company, ["name"]),
    "person": (Person, ["first_name", "last_name", "email"]),
    "project": (Project, ["name"]),
}

# Mixed case, several words, short words, a word only in a company's name, digits of a phone
# number, letters outside ASCII (SQLite's LIKE folds ASCII only, PostgreSQL's UPPER all of
# them), LIKE's own wildcards and a quote (FTS5's phrase syntax).
QUERIES = [
    "acme",
    "ACME",
    "aCmE boiler",
    "acme heat pump",
    "de",
    "ac",
    "a",
    "summit",
    "Summit ROOF",
    "555 0101",
    "0101",
    "+31",
    "1234",
    "müller",
    "MÜLLER",
    "école",
    "ÉCOLE",
    "100%",
    "solar_co",
    "_",
    '"quoted"',
    "xyzzy",
    "jan jansen",
    "inst ams",
    "vries",
]

# The thresholds that choose how a word is searched, set so that each form is used.
MODES = {
    "as configured": {},
    "start from the matches": {"DRIVE": 10**9, "WALK": 10**9, "PG_DRIVE": 10**9},
    "check rows while walking": {"DRIVE": 0, "WALK": 10**9, "PG_DRIVE": 0},
    "scan": {"DRIVE": 0, "WALK": 0, "PG_DRIVE": 0},
    "companies as a subquery": {"COMPANY_IDS": 0, "PG_COMPANY_IDS": 0},
}


@pytest.fixture(params=list(MODES))
def mode(request: Any, monkeypatch: Any) -> str:
    for name, value in MODES[request.param].items():
        monkeypatch.setattr(substring, name, value)
    return str(request.param)


def plain(qs: QuerySet[Any], terms: list[str], fields: tuple[str, ...] | list[str], fk: str | None) -> QuerySet[Any]:
    """The reference: the filter the lists had before the index, word by word."""
    for term in terms:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": term})
        if fk:
            condition |= Q(**{f"{fk}__name__icontains": term})
        qs = qs.filter(condition)
    return qs


def ids(qs: QuerySet[Any]) -> list[int]:
    return list(qs.values_list("pk", flat=True))


def assert_lists_match(user: Any, q: str) -> dict[str, int]:
    """Every list and picker gives the plain filter's rows for `q`; returns each list's count."""
    counts = {}
    for name, (select, fields, fk) in LISTS.items():
        found, expected = select(user, q), plain(select(user, ""), q.split()[:5], fields, fk)
        assert ids(found) == ids(expected), (name, q)
        assert found.count() == expected.count(), (name, q)
        counts[name] = expected.count()
    expected_options = list(plain(scope_by_owner(Sale.objects.all(), user), q.split()[:5], ("title",), "company"))
    expected_options.sort(key=lambda s: (s.title, s.pk))
    assert [s.pk for s in sale_options(user=user, q=q)] == [s.pk for s in expected_options[:30]], q
    terms = [t for t in re.split(r"[\s·]+", q) if t][:5]
    for kind, (model, fields) in PICKERS.items():
        visible = scope_by_owner(model.objects.all(), user)
        fk = None if kind == "company" else "company"
        expected_picks = picker_options(plain(visible, terms, fields, fk), "", kind, None)
        assert [r.pk for r in picker_options(visible, q, kind, None)] == [r.pk for r in expected_picks], (kind, q)
    return counts


@pytest.fixture
def world(salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    acme = CompanyFactory(
        name="Acme Installatietechniek",
        owner=salesperson,
        email="info@acme-example.nl",
        phone="+31 20 555 0101",
        registration_number="12345678",
        vat_number="NL001234567B01",
        visiting_city="Amsterdam",
    )
    muller = CompanyFactory(name="Müller Haustechnik", owner=salesperson, visiting_city="München")
    summit = CompanyFactory(name="Summit Partners", owner=teammate, phone="020-5550101")
    ecole = CompanyFactory(name="ÉCOLE Supérieure", owner=salesperson)
    solar = CompanyFactory(name="100% Solar_Co", owner=teammate)
    CompanyFactory(name="Acme Archived", owner=salesperson, archived=True)
    outside = CompanyFactory(name="Acme Outside", owner=outsider)
    PersonFactory(
        first_name="Jan", last_name="Jansen", company=acme, email="jan@acme-example.nl", mobile="06 1234 5678"
    )
    PersonFactory(first_name="Anna", last_name="Müller", company=muller, phone="+49 89 1234")
    PersonFactory(first_name="Piet", last_name="de Vries", company=None, owner=salesperson, email='"quoted"@x.nl')
    PersonFactory(first_name="Eve", last_name="Summit", company=ecole)
    PersonFactory(first_name="Out", last_name="Sider", company=outside)
    for title, company, owner in [
        ("Heat pump retrofit", acme, salesperson),
        ("Boiler for Acme", None, salesperson),
        ("Solar panels", summit, teammate),
        ("Summit roof", muller, salesperson),
        ("École boiler 100%", ecole, salesperson),
        ("Acme outside deal", outside, outsider),
    ]:
        SaleFactory(title=title, company=company, owner=owner)
    ProjectFactory(name="Roof renovation", company=acme)
    ProjectFactory(name="Acme HQ", company=summit)
    ProjectFactory(name="Solar_Co plant", company=solar)
    for subject, text, company, owner in [
        ("Call about the boiler", "", acme, salesperson),
        ("Send the proposal", "Discussed summit pricing", muller, salesperson),
        ("Demo", "100% sure", None, salesperson),
        ("Visit", "Müller wants a call", ecole, teammate),
        ("Call outside", "acme", outside, outsider),
    ]:
        ActivityFactory(subject=subject, text=text, company=company, owner=owner)
    return {"acme": acme, "summit": summit, "muller": muller}


@pytest.mark.parametrize("q", QUERIES)
def test_same_rows_as_the_plain_filter(world: Any, salesperson: Any, mode: str, q: str) -> None:
    assert_lists_match(salesperson, q)


def test_the_reference_finds_rows_so_the_comparison_means_something(world: Any, salesperson: Any) -> None:
    counts = assert_lists_match(salesperson, "acme")
    assert counts == {"sales": 2, "companies": 1, "persons": 1, "projects": 2, "activities": 1}
    assert assert_lists_match(salesperson, "summit")["sales"] == 2  # one by its title, one by its company
    assert assert_lists_match(salesperson, "555 0101")["companies"] == 2  # "+31 20 555 0101" and "020-5550101"
    assert assert_lists_match(salesperson, "xyzzy") == dict.fromkeys(LISTS, 0)


def test_other_users_see_their_own_rows(world: Any, outsider: Any, manager: Any, admin_user: Any, mode: str) -> None:
    for user in (outsider, manager, admin_user):
        for q in ("acme", "summit", "ac", "acme outside"):
            assert_lists_match(user, q)
    assert assert_lists_match(outsider, "acme")["sales"] == 1


def test_writes_reach_the_index(world: Any, salesperson: Any, mode: str) -> None:
    """Insert, update (also a company's new name seen through its sales and persons) and delete."""
    sale = SaleFactory(title="Kiwi order", owner=salesperson, company=world["acme"])
    assert assert_lists_match(salesperson, "kiwi")["sales"] == 1
    sales_services.sale_update(actor=salesperson, sale=sale, data={"title": "Mango order"})
    assert assert_lists_match(salesperson, "kiwi")["sales"] == 0
    assert assert_lists_match(salesperson, "mango")["sales"] == 1

    acme = world["acme"]
    relations_services.company_update(actor=salesperson, company=acme, data={"name": "Wombat Techniek"})
    counts = assert_lists_match(salesperson, "wombat")
    assert counts["sales"] == 2 and counts["persons"] == 1 and counts["companies"] == 1
    assert assert_lists_match(salesperson, "installatie")["sales"] == 0
    Company.objects.filter(pk=acme.pk).update(email="sales@wombat.example")  # a bulk update too
    assert assert_lists_match(salesperson, "sales@wombat")["companies"] == 1

    person = Person.objects.get(last_name="Jansen")
    relations_services.person_update(actor=salesperson, person=person, data={"mobile": "06 9999 0000"})
    assert assert_lists_match(salesperson, "9999")["persons"] == 1
    assert assert_lists_match(salesperson, "1234 5678")["persons"] == 0

    sales_services.sale_delete(actor=salesperson, sale=sale)
    assert assert_lists_match(salesperson, "mango")["sales"] == 0
    Person.objects.filter(pk=person.pk).delete()
    assert assert_lists_match(salesperson, "9999")["persons"] == 0


# --- the index is what the query reads ---------------------------------------------------------


PLAIN_SCANS = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")


def _plans(run: Callable[[], Any]) -> list[str]:
    """The SQL of the queries `run` makes and, on PostgreSQL, each one's plan with the scans of
    a whole table or index discouraged: a handful of rows is cheaper to read whole, so only then
    does the plan show whether the trigram index can serve the query (one that cannot is not
    used whatever the settings)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    found = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if connection.vendor == "postgresql" and sql.lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                for setting in PLAIN_SCANS:
                    cursor.execute(f"SET LOCAL {setting} = off")
                cursor.execute("EXPLAIN " + sql)
                sql = "\n".join(row[0] for row in cursor.fetchall())
                for setting in PLAIN_SCANS:
                    cursor.execute(f"SET LOCAL {setting} = on")
        found.append(sql)
    return found


def _reads(plans: list[str], index: str) -> bool:
    if connection.vendor == "sqlite":
        return any(f"{index} MATCH" in sql for sql in plans)
    return any(f"Index Scan on {index}_" in plan for plan in plans)


@pytest.mark.parametrize(
    ("name", "q", "index"),
    [
        ("sales", "retrofit", "substring_sale"),
        ("sales", "partners", "substring_company"),  # a word only in a company's name
        ("companies", "installatie", "substring_company"),
        ("persons", "jansen", "substring_person"),
        ("persons", "haustechnik", "substring_company"),
        ("projects", "renovation", "substring_project"),
        ("activities", "proposal", "substring_activity"),
    ],
)
def test_the_list_reads_the_index(world: Any, salesperson: Any, name: str, q: str, index: str) -> None:
    select = LISTS[name][0]
    plans = _plans(lambda: (select(salesperson, q).count(), ids(select(salesperson, q)[:25])))
    assert _reads(plans, index), plans


def test_the_pickers_read_the_index(world: Any, salesperson: Any) -> None:
    for kind, (model, _fields) in PICKERS.items():
        visible = scope_by_owner(model.objects.all(), salesperson)
        plans = _plans(lambda visible=visible, kind=kind: picker_options(visible, "acme", kind, None))
        assert _reads(plans, f"substring_{kind}"), (kind, plans)
    assert _reads(_plans(lambda: sale_options(user=salesperson, q="retrofit")), "substring_sale")


def test_a_page_walks_its_sort_index_and_a_count_starts_from_the_matches(
    world: Any, salesperson: Any, monkeypatch: Any
) -> None:
    """SQLite's planner does not weigh a LIMIT: given company ids matching many sales, a page is
    told to check them while it walks (`+company_id`) and a count to start from them."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's planner weighs the LIMIT itself")
    monkeypatch.setattr(substring, "DRIVE", 0)  # as if "partners" were in many sales' companies
    page, count = (
        _plans(lambda: ids(sale_list(user=salesperson, q="partners")[:25])),
        _plans(lambda: sale_list(user=salesperson, q="partners").order_by()[:10001].count()),
    )
    assert any('+"sales_sale"."company_id" IN' in sql for sql in page), page
    assert not any('+"sales_sale"."company_id"' in sql for sql in count) and any(
        '"sales_sale"."company_id" IN' in sql for sql in count
    ), count


def test_a_page_sorted_by_a_searched_field_starts_from_the_matches(world: Any, salesperson: Any) -> None:
    """PostgreSQL's planner expects matches spread evenly along the sort index; a name searched
    in a list sorted by name is not, so such a page is told the matches are few."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's planner does not weigh the LIMIT")
    hint = ")::int = 1"
    by_name = _sql(lambda: ids(person_list(user=salesperson, q="jansen")[:25]))
    assert any(hint in sql for sql in by_name), by_name
    by_date = _sql(lambda: ids(person_list(user=salesperson, q="jansen", sort="created")[:25]))
    counted = _sql(lambda: person_list(user=salesperson, q="jansen").count())
    assert not any(hint in sql for sql in by_date + counted)


def _sql(run: Callable[[], Any]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run()
    return [query["sql"] for query in captured.captured_queries]


def test_short_words_keep_the_scan(world: Any, salesperson: Any) -> None:
    plans = _plans(lambda: ids(sale_list(user=salesperson, q="ac")))
    assert not _reads(plans, "substring_sale") and not _reads(plans, "substring_company")


def test_a_word_in_no_row_makes_no_list_query(world: Any, salesperson: Any) -> None:
    with CaptureQueriesContext(connection) as captured:
        found = sale_list(user=salesperson, q="xyzzy")
    probes = len(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        assert ids(found) == [] and found.count() == 0
    assert len(captured.captured_queries) == 0 and probes <= 3  # the word counted, its companies looked up


def test_a_field_without_an_index_is_refused(world: Any) -> None:
    with pytest.raises(ValueError, match="no search index on note"):
        substring.matching(Company.objects.all(), ["acme"], ("name", "note"))


# --- keeping the index -------------------------------------------------------------------------


@pytest.fixture
def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps this index by triggers; PostgreSQL's indexes keep themselves")


def test_a_missing_trigger_is_put_back_and_the_index_refilled(world: Any, salesperson: Any, sqlite_only: None) -> None:
    """As after a migration that rebuilt the table: rows written meanwhile are found again."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER substring_sale_ai")
    SaleFactory(title="Papaya order", owner=salesperson)
    assert Sale.objects.filter(title__icontains="papaya").count() == 1
    assert [s.title for s in sale_list(user=salesperson, q="papaya")] == []  # the index missed it
    assert schema.ensure_installed(connection) is False  # the global search index was whole
    assert [s.title for s in sale_list(user=salesperson, q="papaya")] == ["Papaya order"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'substring_sale_ai'")
        assert cursor.fetchone()[0] == 1


def test_the_rebuild_command_refills_the_index(world: Any, salesperson: Any, sqlite_only: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO substring_sale(substring_sale) VALUES ('delete-all')")
    assert ids(sale_list(user=salesperson, q="retrofit")) == []
    call_command("rebuild_search_index", stdout=io.StringIO())
    assert [s.title for s in sale_list(user=salesperson, q="retrofit")] == ["Heat pump retrofit"]


def test_a_bulk_load_drops_and_refills_the_index(world: Any, salesperson: Any, sqlite_only: None) -> None:
    schema.drop(connection)  # as the bulk loader does before it writes
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'substring%' AND type <> 'index'")
        assert cursor.fetchone()[0] == 0
    CompanyFactory(name="Quokka Loaded", owner=salesperson)  # written without the triggers
    schema.ensure_installed(connection)
    schema.rebuild(connection)
    assert [c.name for c in company_list(user=salesperson, q="quokka")] == ["Quokka Loaded"]
    assert_lists_match(salesperson, "acme")


def test_a_missing_index_is_made_again(world: Any) -> None:
    name = "substring_sale_by_company" if connection.vendor == "sqlite" else "substring_sale_title"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the fixture's rows leave deferred checks pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP INDEX {name}")
    assert not _has(name)
    assert "sales_sale" in substring.install(connection)
    assert _has(name)


def _has(index: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = %s", [index])
        else:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = %s", [index])
        return bool(cursor.fetchone()[0])


def test_the_index_is_only_wanted_once_its_migration_ran() -> None:
    """After every migrate the indexes are put back where missing, but not for a database whose
    migration to them is not (or no longer) applied."""
    from django.db.migrations.recorder import MigrationRecorder

    assert substring.wanted(connection)
    MigrationRecorder(connection).record_unapplied(*substring.MIGRATION)
    assert not substring.wanted(connection)


@pytest.fixture
def generated(db: Any) -> Iterator[None]:
    from dealflow.core import datagen

    datagen.generate("small", seed=3, report=lambda line: None)
    yield


def test_a_generated_data_set_is_searched_the_same(generated: None) -> None:
    from dealflow.accounts.models import User

    seller = User.objects.get(username="gen-sales-1")
    company = Company.objects.filter(owner=seller).order_by("pk").first()
    assert company is not None
    word = company.name.split()[0]
    for q in (word, word.upper(), f"{word} deal", "deal 1", company.phone[-4:], "jansen", "call"):
        assert_lists_match(seller, q)
    assert assert_lists_match(seller, word)["companies"] > 0
