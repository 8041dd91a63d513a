"""The sales list grouped (?group=…) read a group at a time (sales.list_groups): the same rows in
the same order, with the same group on each row, as ordering by the group first in one query,
on every page, for every group, sort and status filter; the group totals (which say where each
group starts) the same as one aggregate over the list; and a page's ids found like the list
filtered to one group — walking the sort index, not sorting every visible sale — in a number of
queries that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory
from dealflow.relations.tests.test_person_company_sort import plan
from dealflow.sales import list_groups, selectors
from dealflow.sales.models import Sale, SaleStatus
from dealflow.sales.tests.factories import SaleFactory, phases_of, pipeline_with_phases
from dealflow.saved import lists

pytestmark = pytest.mark.django_db

GROUPS = ["status", "phase", "owner", "account_type", "month"]
FILTERS = ["", "open", "sold", "lost", "stalled", "completed"]
SORTS = ["-date", "date", "amount", "-title", "company", "phase", "-phase"]


def listing(user: Any, group: str, sort: str, status: str) -> tuple[Any, dict[str, Any]]:
    filters = {"q": "", "sort": sort, "status": status, "pipeline": None, "company": None, "person": None,
               "project": None}  # fmt: skip
    return selectors.sale_list_effective(user=user, **filters), filters


def reference(user: Any, group: str, sort: str, status: str) -> list[tuple[int, Any]]:
    """(id, group) of every row as one query ordered by the group first gave them (the list
    before: saved.lists.apply_group, the account type through the join to the company)."""
    qs, _filters = listing(user, group, sort, status)
    rows = lists.apply_group(lists.SALE, selectors.sale_list_rows(qs), group)
    return list(rows.values_list("pk", "group_key"))


def listed(user: Any, group: str, sort: str, status: str, per_page: int) -> list[tuple[int, Any]]:
    """(id, group) of every row, page by page, as the list view fetches them."""
    qs, filters = listing(user, group, sort, status)
    totals = selectors.sale_group_totals(user=user, filters=filters, qs=qs, group=group)
    paginator = lists.CappedPaginator(list_groups.grouped_rows(qs, group=group, totals=totals, sort=sort), per_page)
    found = [(s.pk, s.group_key) for number in paginator.page_range for s in paginator.page(number).object_list]
    assert paginator.count == len(found)
    return found


@pytest.fixture
def world(salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    """Sales of two pipelines in every phase and status (stalled ones on both sides of their
    reopen date, and without one), of companies of two account types, one without a type and
    none, over a few months and without a sale date, with equal dates and amounts so that the id
    decides ties; and another team's."""
    today = timezone.localdate()
    customer = AccountTypeFactory(code="customer", name="Customer", order=1)
    lead = AccountTypeFactory(code="lead", name="Lead", order=2)
    companies = [CompanyFactory(name="Bakker", owner=salesperson, account_type=customer),
                 CompanyFactory(name="Visser", owner=teammate, account_type=lead),
                 CompanyFactory(name="Smit", owner=salesperson), None]  # fmt: skip
    kinds = [(SaleStatus.OPEN, None), (SaleStatus.STALLED, 3), (SaleStatus.STALLED, -1), (SaleStatus.SOLD, None),
             (SaleStatus.LOST, None), (SaleStatus.OPEN, None), (SaleStatus.STALLED, 0)]  # fmt: skip
    dates = [dt.date(2025, 1, 31), dt.date(2025, 2, 1), dt.date(2025, 2, 1), None, dt.date(2025, 12, 5)]
    made = 0
    for pipeline in (pipeline_with_phases(name="Projects"), pipeline_with_phases(name="Service")):
        for phase in phases_of(pipeline).values():
            for owner in (salesperson, teammate, outsider):
                status, days = kinds[made % len(kinds)]
                sale = SaleFactory(owner=owner, pipeline=pipeline, company=companies[made % len(companies)],
                                   amount=Decimal(100 * (made % 3)))  # fmt: skip
                Sale.objects.filter(pk=sale.pk).update(
                    phase=phase,
                    status=status,
                    reopen_date=today + dt.timedelta(days=days) if days is not None else None,
                    sale_date=dates[made % len(dates)],
                )
                made += 1
    return {"customer": customer, "lead": lead}


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("who", ["salesperson", "manager", "admin_user"])
def test_every_page_has_the_rows_and_groups_of_one_ordered_query(
    request: Any, world: Any, who: str, group: str
) -> None:
    user = request.getfixturevalue(who)
    for sort in SORTS:
        for status in FILTERS:
            expected = reference(user, group, sort, status)
            for per_page in (1, 4, 25):
                assert listed(user, group, sort, status, per_page) == expected, (group, sort, status, per_page)
    hidden = 0 if who == "admin_user" else Sale.objects.filter(owner=request.getfixturevalue("outsider")).count()
    assert len(reference(user, group, "-date", "")) == Sale.objects.count() - hidden > 0


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("status", FILTERS)
def test_the_group_totals_are_one_aggregate_over_the_list(manager: Any, world: Any, group: str, status: str) -> None:
    """Also for "open" and "stalled", which count a stalled sale whose reopen date has come as open."""
    qs, filters = listing(manager, group, "-date", status)
    totals = selectors.sale_group_totals(user=manager, filters=filters, qs=qs, group=group)
    assert totals == lists.group_totals(lists.SALE, qs, group)
    assert sum(g["count"] for g in totals.values()) == qs.count()
    if group == "status" and status == "open":
        assert set(totals) == {SaleStatus.OPEN, SaleStatus.STALLED}  # the stalled ones due to reopen


def test_a_groups_page_is_read_from_the_sort_index(salesperson: Any, world: Any) -> None:
    """A page of the sales grouped by status is the list filtered to one status: its ids come
    from walking the sort index with the owner and the status checked inside it, nothing sorted."""
    qs, _filters = listing(salesperson, "status", "-date", "")
    for status in (SaleStatus.LOST, SaleStatus.OPEN):
        ids = list_groups.GROUP_ROWS["status"].rows(qs, [status], "-date").values_list("pk", flat=True)[:25]
        assert "relations_company" not in str(ids.query)
        found = plan(ids, "sale_list_by_date")
        if connection.vendor == "sqlite":
            assert "COVERING INDEX sale_list_by_date" in found and "TEMP B-TREE" not in found, found
        else:
            assert "sale_list_by_date" in found and "Sort" not in found, found


def test_the_list_reads_the_account_type_group_without_the_companies(salesperson: Any, world: Any) -> None:
    qs, filters = listing(salesperson, "account_type", "-date", "")
    with CaptureQueriesContext(connection) as queries:
        totals = selectors.sale_group_totals(user=salesperson, filters=filters, qs=qs, group="account_type")
        list(list_groups.grouped_rows(qs, group="account_type", totals=totals, sort="-date")[0:25])
    sales_queries = [q["sql"] for q in queries if 'FROM "sales_sale"' in q["sql"]]
    assert sales_queries and all("relations_company" not in sql for sql in sales_queries[:-1]), sales_queries
    assert set(totals) == {world["customer"].pk, world["lead"].pk, None}


@pytest.mark.parametrize("group", ["status", "phase", "account_type"])
def test_the_grouped_list_makes_no_more_queries_for_more_rows(client: Any, salesperson: Any, world: Any,
                                                              group: str) -> None:  # fmt: skip
    client.force_login(salesperson)
    client.get("/sales/")  # warm up (site settings row, sessions)
    with CaptureQueriesContext(connection) as plain:
        assert client.get("/sales/").status_code == 200
    with CaptureQueriesContext(connection) as grouped:
        response = client.get("/sales/", {"group": group})
        assert response.status_code == 200
    assert response.content.count(b'class="group-head"') >= 2
    # No count query (the group totals add up to it; with the names of the groups, two queries at
    # most); the ids of the first group of the page, of the last one and of those in between.
    assert len(grouped) <= len(plain) + 3, [q["sql"][:120] for q in grouped]
    pipeline = Sale.objects.filter(owner=salesperson).first().pipeline
    for _ in range(30):
        SaleFactory(owner=salesperson, pipeline=pipeline)
    with CaptureQueriesContext(connection) as more:
        assert client.get("/sales/", {"group": group}).status_code == 200
    assert len(more) <= len(grouped), ([q["sql"][:120] for q in grouped], [q["sql"][:120] for q in more])
