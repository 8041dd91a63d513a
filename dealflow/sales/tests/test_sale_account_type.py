"""The company's account type copied onto each sale (`Sale.account_type`, relations.denorm's
SALE_ACCOUNT_TYPES, sales migration 0013): it is the company's whatever path wrote the sale or the
company — services, the API, QuerySet.update(), bulk_create, raw SQL, a won sale converting its
company's type —, and the win/loss report by account type and the list grouped by account type
read it without joining the companies, with the same numbers as through the join."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import ProtectedError

from dealflow.accounts.visibility import scope_by_owner
from dealflow.insights import selectors as insights
from dealflow.relations import denorm
from dealflow.relations import services as relations_services
from dealflow.relations.models import AccountType, Company
from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory
from dealflow.relations.tests.test_person_company_sort import plan
from dealflow.sales import services
from dealflow.sales.models import Outcome, Sale, SaleStatus
from dealflow.sales.tests.factories import CloseReasonFactory, SaleFactory, pipeline_with_phases

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 14)


def types_kept() -> bool:
    """Every sale's account_type_id is its company's (None without a company or type)."""
    rows = Sale.objects.values_list("account_type_id", "company__account_type_id")
    return all(kept == actual for kept, actual in rows)


def kept(sale: Sale) -> int | None:
    return Sale.objects.values_list("account_type_id", flat=True).get(pk=sale.pk)


@pytest.fixture
def world(salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    """Three account types (one without companies), companies of each and one without a type,
    sales in every status, some without a company, and another team's."""
    pipeline = pipeline_with_phases(name="Projects")
    customer = AccountTypeFactory(code="customer", name="Customer", order=1)
    lead = AccountTypeFactory(code="lead", name="Lead", order=2, won_account_type=customer)
    unused = AccountTypeFactory(code="unused", name="Unused", order=3)
    bakker = CompanyFactory(name="Bakker", owner=salesperson, account_type=customer)
    visser = CompanyFactory(name="Visser", owner=teammate, account_type=lead)
    smit = CompanyFactory(name="Smit", owner=salesperson)  # no account type
    other = CompanyFactory(name="Other", owner=outsider, account_type=lead)
    statuses = [SaleStatus.OPEN, SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.STALLED]
    made = 0
    for company, count in ((bakker, 4), (visser, 3), (smit, 2), (None, 2), (other, 2)):
        for _ in range(count):
            owner = company.owner if company else salesperson
            sale = SaleFactory(owner=owner, pipeline=pipeline, company=company, amount=Decimal(100 + made))
            closed = DAY if statuses[made % 4] in (SaleStatus.SOLD, SaleStatus.LOST) else None
            Sale.objects.filter(pk=sale.pk).update(status=statuses[made % 4], closed_date=closed)
            made += 1
    assert types_kept()
    return {"pipeline": pipeline, "customer": customer, "lead": lead, "unused": unused, "bakker": bakker,
            "visser": visser, "smit": smit, "other": other}  # fmt: skip


# --- the type follows every write ------------------------------------------------------------


def test_new_sales_get_the_type_however_they_are_made(salesperson: Any, world: dict[str, Any]) -> None:
    made = services.sale_create(
        actor=salesperson, data={"title": "New", "company": world["bakker"], "pipeline": world["pipeline"]}
    )
    assert kept(made) == world["customer"].pk
    none = services.sale_create(actor=salesperson, data={"title": "Alone", "pipeline": world["pipeline"]})
    assert kept(none) is None
    phase = Sale.objects.get(pk=made.pk).phase
    Sale.objects.bulk_create(
        [
            Sale(title="Bulk 1", company=world["visser"], owner=salesperson, pipeline=world["pipeline"], phase=phase),
            Sale(title="Bulk 2", company=None, owner=salesperson, pipeline=world["pipeline"], phase=phase,
                 account_type=world["unused"]),
            Sale(title="Bulk 3", company=world["smit"], owner=salesperson, pipeline=world["pipeline"], phase=phase,
                 account_type=world["unused"]),
            Sale(title="Bulk 4", company=world["bakker"], owner=salesperson, pipeline=world["pipeline"], phase=phase,
                 account_type=world["unused"]),
        ]
    )  # fmt: skip
    found = dict(Sale.objects.filter(title__startswith="Bulk").values_list("title", "account_type_id"))
    assert found == {"Bulk 1": world["lead"].pk, "Bulk 2": None, "Bulk 3": None, "Bulk 4": world["customer"].pk}
    columns = [f.column for f in Sale._meta.concrete_fields if f.column not in ("id", "title", "company_id",
                                                                                  "account_type_id")]  # fmt: skip
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute(
            f"INSERT INTO sales_sale ({', '.join(columns)}, title, company_id, account_type_id) "  # noqa: S608
            f"SELECT {', '.join(columns)}, 'Raw', %s, %s FROM sales_sale WHERE id = %s",
            [world["visser"].pk, world["unused"].pk, made.pk],
        )
    assert Sale.objects.values_list("account_type_id", flat=True).get(title="Raw") == world["lead"].pk
    assert types_kept()


def test_a_sale_moved_to_another_company_or_none_gets_its_type(salesperson: Any, world: dict[str, Any]) -> None:
    sale = Sale.objects.filter(company=world["bakker"]).first()
    services.sale_update(actor=salesperson, sale=sale, data={"company": world["visser"]})
    assert kept(sale) == world["lead"].pk
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=sale.pk), data={"company": world["smit"]})
    assert kept(sale) is None
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=sale.pk), data={"company": world["bakker"]})
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=sale.pk), data={"company": None})
    assert kept(sale) is None
    Sale.objects.filter(company=world["smit"]).update(company=world["bakker"])  # a bulk update
    assert set(Sale.objects.filter(company=world["bakker"]).values_list("account_type_id", flat=True)) == {
        world["customer"].pk
    }
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute("UPDATE sales_sale SET company_id = %s WHERE id = %s", [world["visser"].pk, sale.pk])
    assert kept(sale) == world["lead"].pk
    assert types_kept()


def test_a_company_given_another_type_gives_it_to_its_sales(salesperson: Any, world: dict[str, Any]) -> None:
    relations_services.company_update(actor=salesperson, company=world["bakker"], data={"account_type": world["lead"]})
    assert set(world["bakker"].sales.values_list("account_type_id", flat=True)) == {world["lead"].pk}
    relations_services.company_update(actor=salesperson, company=world["smit"], data={"account_type": world["unused"]})
    assert set(world["smit"].sales.values_list("account_type_id", flat=True)) == {world["unused"].pk}
    assert types_kept()
    Company.objects.filter(pk=world["visser"].pk).update(account_type=None)  # QuerySet.update()
    assert set(world["visser"].sales.values_list("account_type_id", flat=True)) == {None}
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute(
            "UPDATE relations_company SET account_type_id = %s WHERE id IN (%s, %s)",
            [world["customer"].pk, world["visser"].pk, world["other"].pk],
        )
    assert set(world["other"].sales.values_list("account_type_id", flat=True)) == {world["customer"].pk}
    assert types_kept()


def test_a_won_sale_converting_its_company_converts_its_sales(salesperson: Any, teammate: Any, world: Any) -> None:
    """Winning a sale of a Lead makes the company a Customer (the type's won_account_type):
    that sale, written in the same transaction, and the company's other sales follow."""
    sale = Sale.objects.filter(company=world["visser"], status=SaleStatus.OPEN).first()
    reason = CloseReasonFactory(code="fit", outcome=Outcome.EITHER)
    services.sale_close(actor=teammate, sale=sale, outcome=Outcome.WON, close_reason=reason)
    assert Company.objects.get(pk=world["visser"].pk).account_type_id == world["customer"].pk
    assert set(world["visser"].sales.values_list("account_type_id", flat=True)) == {world["customer"].pk}
    assert types_kept()


def test_a_stale_instance_cannot_store_a_stale_type(salesperson: Any, world: dict[str, Any]) -> None:
    """The services write every column of a sale; one read before the company changed type still
    carries the old one, and the trigger puts the current one back (also over a forged value)."""
    sale = Sale.objects.filter(company=world["bakker"]).first()
    relations_services.company_update(actor=salesperson, company=world["bakker"], data={"account_type": world["lead"]})
    services.sale_update(actor=salesperson, sale=sale, data={"note": "Called back"})
    assert sale.account_type_id == world["customer"].pk  # what the instance wrote
    assert kept(sale) == world["lead"].pk
    Sale.objects.filter(pk=sale.pk).update(account_type=world["unused"])
    assert kept(sale) == world["lead"].pk
    assert types_kept()


def test_deleting_keeps_the_types_right(salesperson: Any, world: dict[str, Any]) -> None:
    """A company with sales, or a type with companies, cannot be deleted (PROTECT); deleting a
    sale, a company without sales or an unused type leaves no sale pointing at what went."""
    with pytest.raises(ProtectedError):
        relations_services.company_delete(actor=salesperson, company=world["bakker"], persons="detach")
    with pytest.raises(ProtectedError):
        world["lead"].delete()
    Sale.objects.filter(company=world["smit"]).delete()
    relations_services.company_delete(actor=salesperson, company=world["smit"], persons="detach")
    unused, customer = world["unused"].pk, world["customer"].pk
    world["unused"].delete()
    assert not Sale.objects.filter(account_type_id=unused).exists()
    Company.objects.filter(account_type=customer).update(account_type=None)
    assert Sale.objects.filter(company=world["bakker"], account_type=None).count() == 4
    AccountType.objects.filter(pk=customer).delete()
    assert not Sale.objects.filter(account_type_id=customer).exists()
    assert types_kept()


# --- the triggers ----------------------------------------------------------------------------


def test_triggers_put_back_after_a_table_rebuild_repair_the_types(world: dict[str, Any]) -> None:
    assert denorm.ensure_installed(connection) is False  # installed by the migrations
    denorm.drop_triggers(connection, [denorm.SALE_ACCOUNT_TYPES])  # as SQLite's rebuild of sales_sale does
    Company.objects.filter(pk=world["bakker"].pk).update(account_type=world["unused"])
    Sale.objects.filter(company=world["smit"]).update(company=world["visser"])
    assert not types_kept()
    others = set(denorm.PERSONS.triggers(connection)) | set(denorm.SALES.triggers(connection))
    assert denorm.trigger_names(connection) == others  # the names' copies are untouched
    denorm.after_migrate(using=connection.alias)
    assert types_kept()
    assert denorm.trigger_names(connection) == set(
        denorm.SQLITE_TRIGGERS if connection.vendor == "sqlite" else denorm.PG_TRIGGERS
    )


def test_rebuild_corrects_only_wrong_types(world: dict[str, Any]) -> None:
    assert denorm.rebuild(connection) == 0
    denorm.drop_triggers(connection)
    Sale.objects.filter(company=world["smit"]).update(account_type=world["unused"])
    Sale.objects.filter(company=None).update(account_type=world["lead"])
    assert denorm.rebuild(connection, [denorm.SALE_ACCOUNT_TYPES]) == 4  # smit's two, the two without a company
    denorm.install_triggers(connection)
    assert types_kept()


def test_the_generated_data_set_carries_the_types(db: Any) -> None:
    """generate_data writes the sales' account types itself (its bulk load runs without the
    triggers), checks them once at the end and puts the triggers back."""
    from dealflow.core import datagen

    lines: list[str] = []
    datagen.generate("small", seed=5, report=lines.append)
    assert Sale.objects.filter(account_type__isnull=False).exists()
    assert types_kept()
    assert "company names and account types: 0 corrected" in " ".join(lines)
    assert denorm.ensure_installed(connection) is False
    company = Company.objects.filter(sales__isnull=False).first()
    target = AccountType.objects.exclude(pk=company.account_type_id).first()
    Company.objects.filter(pk=company.pk).update(account_type=target)
    assert set(company.sales.values_list("account_type_id", flat=True)) == {target.pk}


# --- the readers -----------------------------------------------------------------------------


def through_the_join(user: Any, date_from: dt.date, date_to: dt.date) -> dict[Any, tuple[int, int, Decimal, Decimal]]:
    """The win/loss numbers by account type as the report counted them before: through the
    join to every closed sale's company."""
    sales = scope_by_owner(
        Sale.objects.filter(closed_date__gte=date_from, closed_date__lte=date_to, status__in=["sold", "lost"]), user
    )
    found: dict[Any, list[Any]] = {}
    for key, status, amount in sales.values_list("company__account_type_id", "status", "amount"):
        row = found.setdefault(key, [0, 0, Decimal(0), Decimal(0)])
        won = status == SaleStatus.SOLD
        row[0 if won else 1] += 1
        row[2 if won else 3] += amount
    return {key: (w, lost, wv.quantize(Decimal("0.01")), lv.quantize(Decimal("0.01"))) for key, (w, lost, wv, lv) in
            found.items()}  # fmt: skip


@pytest.mark.parametrize("who", ["salesperson", "manager", "admin_user"])
def test_the_win_loss_report_by_account_type_matches_the_join(request: Any, world: dict[str, Any], who: str) -> None:
    user = request.getfixturevalue(who)
    salesperson = request.getfixturevalue("salesperson")
    # a change of type after the sales closed counts under the new type, as through the join
    relations_services.company_update(actor=salesperson, company=world["smit"], data={"account_type": world["lead"]})
    result = insights.win_loss(user, dt.date(2025, 1, 1), dt.date(2025, 12, 31), "account_type")
    got = {r.key: (r.won, r.lost, r.won_value, r.lost_value) for r in result.rows}
    assert got == through_the_join(user, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert None in got  # the sales without a company (or type) form "(none)"


@pytest.mark.parametrize("who", ["salesperson", "admin_user"])
@pytest.mark.parametrize("group_by", ["account_type", "close_reason", "competitor", "pipeline"])
def test_the_report_reads_the_sales_alone_from_an_index(request: Any, world: Any, who: str, group_by: str) -> None:
    """The report's count of the closed sales of some days (all of them, by account type), as
    insights.selectors builds it: no join, every column from an index — a team's from
    sale_report_closed (one range per owner), everyone's from sale_report_by_closed_date."""
    from django.db.models import Count, Q, Sum

    user = request.getfixturevalue(who)
    sales = scope_by_owner(Sale.objects.filter(closed_date__gte=DAY, closed_date__lte=DAY, status__in=["sold", "lost"]),
                           user)  # fmt: skip
    won = Q(status=SaleStatus.SOLD)
    qs = insights._grouped(sales, group_by, "month", "closed_date", world["pipeline"].pk, None,
                           n_won=Count("owner", filter=won), v_won=Sum("amount", filter=won))  # fmt: skip
    assert "relations_company" not in str(qs.query)
    index = "sale_report_closed" if who == "salesperson" else "sale_report_by_closed_date"
    if connection.vendor == "sqlite":
        found = plan(qs, index)
        assert f"COVERING INDEX {index}" in found, found
    else:
        # Which index a tiny table is read by is anyone's guess; what the plan reads of sales_sale
        # (EXPLAIN VERBOSE names every column a node outputs or filters on) must be in the index.
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN VERBOSE " + sql, params)
            found = "\n".join(row[0] for row in cursor.fetchall())
            read = set(re.findall(r"sales_sale\.(\w+)", found))
            columns = connection.introspection.get_constraints(cursor, "sales_sale")[index]["columns"]
        assert read and read <= set(columns), (read, columns, found)
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "sales_sale")
    assert indexes["sale_report_closed"]["columns"] == [
        "owner_id", "status", "closed_date", "close_reason_id", "competitor_id", "pipeline_id", "amount",
        "account_type_id",
    ]  # fmt: skip
    assert indexes["sale_report_by_closed_date"]["columns"] == [
        "status", "closed_date", "owner_id", "pipeline_id", "close_reason_id", "competitor_id", "account_type_id",
        "amount",
    ]  # fmt: skip
