"""The sales list sorted by company: the company's name copied onto the sale by database
triggers (relations.denorm, sales migration 0010) gives the same rows in the same order as
sorting through the join did, on every page and status filter, whatever path changed a name or
a sale's company; and a page is read from sale_list_by_company alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import F, ProtectedError
from django.test.utils import CaptureQueriesContext

from dealflow.relations import denorm
from dealflow.relations import services as relations_services
from dealflow.relations.models import Company
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.relations.tests.test_person_company_sort import plan
from dealflow.sales import selectors, services
from dealflow.sales.models import Sale, SaleStatus
from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases
from dealflow.saved import lists

pytestmark = pytest.mark.django_db

FILTERS = ["", "open", "sold", "lost", "stalled", "completed"]
# The sort as it was: through the join to the company (NULLs where each database puts them).
REFERENCE = {"company": ("company__name", "id"), "-company": ("-company__name", "-id")}


def reference(user: Any, sort: str, status: str = "") -> list[int]:
    """The list's rows in the old order: its own filters, sorted through the join."""
    qs = selectors.sale_list_effective(user=user, status=status).order_by(*REFERENCE[sort])
    return list(qs.values_list("pk", flat=True))


def listed(user: Any, sort: str, status: str = "", per_page: int = 4) -> list[int]:
    """The list's ids page by page, fetched the way the list view does (CappedPaginator)."""
    qs = selectors.sale_list_rows(selectors.sale_list_effective(user=user, sort=sort, status=status))
    paginator = lists.CappedPaginator(qs, per_page)
    return [s.pk for number in paginator.page_range for s in paginator.page(number).object_list]


def names_kept() -> bool:
    """Every sale's company_name is its company's name (None without a company)."""
    rows = Sale.objects.values_list("company_name", "company__name")
    return all(kept == actual for kept, actual in rows)


def assert_same_order(user: Any) -> None:
    assert names_kept()
    for sort in REFERENCE:
        for status in FILTERS:
            assert listed(user, sort, status) == reference(user, sort, status), (sort, status)


@pytest.fixture
def world(salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    """Companies with equal and differing names (one lower case), several sales per company in
    every status so that the id decides ties, sales without a company, and hidden ones."""
    pipeline = pipeline_with_phases(name="Projects")
    beta = CompanyFactory(name="Beta", owner=salesperson)
    alpha = CompanyFactory(name="Alpha", owner=teammate)
    twin = CompanyFactory(name="Beta", owner=salesperson)  # same name: the id decides
    gamma = CompanyFactory(name="gamma", owner=salesperson)
    statuses = [SaleStatus.OPEN, SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.STALLED]
    made = 0
    for company, count in ((beta, 3), (alpha, 2), (twin, 2), (gamma, 1), (None, 3)):
        for _ in range(count):
            owner = company.owner if company else salesperson
            sale = SaleFactory(title=f"Sale {made}", owner=owner, pipeline=pipeline, company=company)
            Sale.objects.filter(pk=sale.pk).update(status=statuses[made % 4])  # stalled without reopen date
            made += 1
    SaleFactory(title="Hidden", owner=outsider, pipeline=pipeline, company=CompanyFactory(name="Aaa", owner=outsider))
    return {"alpha": alpha, "beta": beta, "twin": twin, "gamma": gamma, "pipeline": pipeline}


# --- the same rows in the same order ---------------------------------------------------------


@pytest.mark.parametrize("who", ["salesperson", "manager", "admin_user"])
def test_both_directions_match_the_join_on_every_page(request: Any, world: dict[str, Any], who: str) -> None:
    user = request.getfixturevalue(who)
    for sort in REFERENCE:
        for status in FILTERS:
            for per_page in (1, 3, 25):
                assert listed(user, sort, status, per_page) == reference(user, sort, status), (sort, status)
    assert len(reference(world["beta"].owner, "company")) == 11  # 8 with a company, 3 without; not the hidden one


def test_sales_without_a_company_sort_where_the_join_put_them(salesperson: Any, world: dict[str, Any]) -> None:
    ids = listed(salesperson, "company", per_page=25)
    without = set(Sale.objects.filter(company=None).values_list("pk", flat=True))
    assert Sale.objects.filter(pk__in=without, company_name__isnull=False).count() == 0
    # SQLite puts NULL first in ascending order, PostgreSQL last (and the other way round when
    # descending); the join gave the same, so the list keeps each database's order.
    if connection.vendor == "sqlite":
        assert set(ids[:3]) == without
        assert set(listed(salesperson, "-company", per_page=25)[-3:]) == without
    else:
        assert set(ids[-3:]) == without
        assert set(listed(salesperson, "-company", per_page=25)[:3]) == without
    assert [s for s in listed(salesperson, "-company", per_page=25) if s in without] == sorted(without, reverse=True)


def test_the_api_sorts_the_same_way(api_for: Any, salesperson: Any, world: dict[str, Any]) -> None:
    api = api_for(salesperson)
    made = api.post("/api/v1/sales", {"title": "Api", "company": world["alpha"].pk, "pipeline": world["pipeline"].pk})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert Sale.objects.get(pk=pk).company_name == "Alpha"
    moved = api.patch(f"/api/v1/sales/{pk}", {"company": world["gamma"].pk})
    assert moved.status_code == 200, moved.content
    assert Sale.objects.get(pk=pk).company_name == "gamma"
    renamed = api.patch(f"/api/v1/companies/{world['gamma'].pk}", {"name": "Gamma Two"})
    assert renamed.status_code == 200, renamed.content
    assert Sale.objects.get(pk=pk).company_name == "Gamma Two"
    for sort in REFERENCE:
        page = api.get("/api/v1/sales", sort=sort, page_size=200)
        assert page.status_code == 200
        assert [s["id"] for s in page.json()["results"]] == reference(salesperson, sort)


# --- the name follows every write --------------------------------------------------------------


def test_a_sale_moved_to_another_company_or_none_gets_the_right_name(salesperson: Any, world: dict[str, Any]) -> None:
    sale = Sale.objects.filter(company=world["beta"]).first()
    services.sale_update(actor=salesperson, sale=sale, data={"company": world["gamma"]})
    assert Sale.objects.get(pk=sale.pk).company_name == "gamma"
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=sale.pk), data={"company": None})
    assert Sale.objects.get(pk=sale.pk).company_name is None
    Sale.objects.filter(company=world["twin"]).update(company=world["alpha"])  # a bulk update
    assert set(Sale.objects.filter(company=world["alpha"]).values_list("company_name", flat=True)) == {"Alpha"}
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute("UPDATE sales_sale SET company_id = %s WHERE id = %s", [world["beta"].pk, sale.pk])
    assert Sale.objects.get(pk=sale.pk).company_name == "Beta"
    assert_same_order(salesperson)


def test_a_renamed_company_renames_its_sales(salesperson: Any, world: dict[str, Any]) -> None:
    relations_services.company_update(actor=salesperson, company=world["alpha"], data={"name": "Zeta"})
    assert set(Sale.objects.filter(company=world["alpha"]).values_list("company_name", flat=True)) == {"Zeta"}
    assert_same_order(salesperson)
    Company.objects.filter(pk=world["beta"].pk).update(name="Aardvark")  # QuerySet.update()
    assert set(Sale.objects.filter(company=world["beta"]).values_list("company_name", flat=True)) == {"Aardvark"}
    assert_same_order(salesperson)
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute("UPDATE relations_company SET name = %s WHERE id = %s", ["Mid", world["gamma"].pk])
    assert_same_order(salesperson)
    # The persons' copy is kept by its own triggers beside the sales' one.
    assert not Company.objects.exclude(persons__company_name=F("name")).filter(persons__isnull=False).exists()


def test_new_sales_get_the_name_however_they_are_made(salesperson: Any, world: dict[str, Any]) -> None:
    made = services.sale_create(
        actor=salesperson, data={"title": "New", "company": world["beta"], "pipeline": world["pipeline"]}
    )
    assert Sale.objects.get(pk=made.pk).company_name == "Beta"
    template = Sale.objects.get(pk=made.pk)
    bulk = [
        Sale(title="Bulk 1", company=world["gamma"], owner=salesperson, pipeline=world["pipeline"],
             phase=template.phase),
        Sale(title="Bulk 2", company=None, owner=salesperson, pipeline=world["pipeline"], phase=template.phase,
             company_name="Forged"),
        Sale(title="Bulk 3", company=world["alpha"], owner=salesperson, pipeline=world["pipeline"],
             phase=template.phase, company_name="Forged"),
    ]  # fmt: skip
    Sale.objects.bulk_create(bulk)
    names = dict(Sale.objects.filter(title__startswith="Bulk").values_list("title", "company_name"))
    assert names == {"Bulk 1": "gamma", "Bulk 2": None, "Bulk 3": "Alpha"}
    assert_same_order(salesperson)


def test_a_stale_instance_cannot_store_a_stale_name(salesperson: Any, world: dict[str, Any]) -> None:
    """The services write every column of a sale; one read before a rename still carries the
    old name, and the trigger puts the current one back."""
    sale = Sale.objects.filter(company=world["gamma"]).get()
    relations_services.company_update(actor=salesperson, company=world["gamma"], data={"name": "Omega"})
    services.sale_update(actor=salesperson, sale=sale, data={"note": "Called back"})
    assert sale.company_name == "gamma"  # what the instance wrote
    assert Sale.objects.get(pk=sale.pk).company_name == "Omega"
    Sale.objects.filter(pk=sale.pk).update(company_name="Forged")
    assert Sale.objects.get(pk=sale.pk).company_name == "Omega"
    assert_same_order(salesperson)


def test_a_company_with_sales_cannot_be_deleted_one_without_can(salesperson: Any, world: dict[str, Any]) -> None:
    """Sale.company is PROTECT: deleting a company never leaves sales with its name behind. The
    persons of a company without sales are detached (their copy of the name cleared)."""
    with pytest.raises(ProtectedError):
        relations_services.company_delete(actor=salesperson, company=world["beta"], persons="detach")
    assert Sale.objects.filter(company=world["beta"], company_name="Beta").count() == 3
    empty = CompanyFactory(name="Empty", owner=salesperson)
    sale = SaleFactory(owner=salesperson, pipeline=world["pipeline"], company=empty)
    services.sale_update(actor=salesperson, sale=sale, data={"company": world["alpha"]})
    relations_services.company_delete(actor=salesperson, company=empty, persons="detach")
    assert not Company.objects.filter(pk=empty.pk).exists()
    assert Sale.objects.get(pk=sale.pk).company_name == "Alpha"
    assert_same_order(salesperson)


# --- the fast path -----------------------------------------------------------------------------


def test_the_index_carries_the_visibility_and_the_status_filters(db: Any) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "sales_sale")
    assert constraints["sale_list_by_company"]["columns"] == ["company_name", "id", "owner_id", "status", "reopen_date"]


@pytest.mark.parametrize("status", FILTERS)
@pytest.mark.parametrize("sort", ["company", "-company"])
def test_a_page_is_read_from_sale_list_by_company_alone(salesperson: Any, world: Any, sort: str, status: str) -> None:
    qs = selectors.sale_list_effective(user=salesperson, sort=sort, status=status)
    ids = qs.values_list("pk", flat=True)[:25]
    assert "relations_company" not in str(ids.query)  # no join: the name is the sale's
    found = plan(ids, "sale_list_by_company")
    if connection.vendor == "sqlite":
        assert "COVERING INDEX sale_list_by_company" in found and "TEMP B-TREE" not in found, found
    else:
        assert "Index Only Scan" in found and "sale_list_by_company" in found and "Sort" not in found, found


def test_the_list_makes_as_many_queries_as_the_date_sort(client: Any, salesperson: Any, world: Any) -> None:
    client.force_login(salesperson)
    client.get("/sales/")  # warm up (site settings row, sessions)
    counts = {}
    for sort in ("-date", "company", "-company"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/sales/", {"sort": sort}).status_code == 200
        counts[sort] = len(queries)
    for _ in range(10):
        SaleFactory(owner=salesperson, pipeline=world["pipeline"], company=world["gamma"])
    with CaptureQueriesContext(connection) as more:
        assert client.get("/sales/", {"sort": "company"}).status_code == 200
    assert counts["company"] == counts["-company"] == counts["-date"] == len(more), counts


# --- the triggers ------------------------------------------------------------------------------


def test_triggers_put_back_after_a_table_rebuild_repair_the_names(salesperson: Any, world: Any) -> None:
    assert denorm.ensure_installed(connection) is False  # installed by the migrations
    denorm.drop_triggers(connection, [denorm.SALES])  # as SQLite's rebuild of sales_sale does
    Company.objects.filter(pk=world["alpha"].pk).update(name="Renamed meanwhile")
    Sale.objects.filter(company=world["beta"]).update(company=world["gamma"])
    assert not names_kept()
    others = set(denorm.PERSONS.triggers(connection)) | set(denorm.SALE_ACCOUNT_TYPES.triggers(connection))
    assert denorm.trigger_names(connection) == others  # the persons' copy and the account types are untouched
    denorm.after_migrate(using=connection.alias)
    assert names_kept()
    assert denorm.trigger_names(connection) == set(
        denorm.SQLITE_TRIGGERS if connection.vendor == "sqlite" else denorm.PG_TRIGGERS
    )
    assert_same_order(salesperson)


def test_rebuild_corrects_only_wrong_names(salesperson: Any, world: Any) -> None:
    assert denorm.rebuild(connection) == 0
    denorm.drop_triggers(connection)
    Sale.objects.filter(company=world["twin"]).update(company_name=F("title"))
    Sale.objects.filter(company=None).update(company_name="Nobody")
    assert denorm.rebuild(connection, [denorm.SALES]) == 5  # twin's two, the three without a company
    denorm.install_triggers(connection)
    assert names_kept()


def test_the_generated_data_set_carries_the_names(db: Any) -> None:
    """generate_data writes the sales' names itself (its bulk load runs without the triggers),
    checks them once at the end and puts the triggers back."""
    from dealflow.core import datagen

    lines: list[str] = []
    datagen.generate("small", seed=3, report=lines.append)
    assert Sale.objects.filter(company_name__isnull=True).count() == Sale.objects.filter(company=None).count()
    assert names_kept()
    assert "company names and account types: 0 corrected" in " ".join(lines)
    assert denorm.ensure_installed(connection) is False
    company = Company.objects.filter(sales__isnull=False).first()
    Company.objects.filter(pk=company.pk).update(name="Renamed after the load")
    assert set(company.sales.values_list("company_name", flat=True)) == {"Renamed after the load"}
