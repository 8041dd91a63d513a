"""The sales list filtered by status: the same rows, order and counts as the effective-status
rule applied to the whole visible list (a stalled sale whose reopen date has come reads as
open), on every page and sort; and the page and the capped count are read from the indexes
made for them (sales migration 0009)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dealflow.accounts.visibility import scope_by_owner
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.relations.tests.test_person_company_sort import plan
from dealflow.sales import selectors
from dealflow.sales.models import Sale, SaleStatus
from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases
from dealflow.saved import lists

pytestmark = pytest.mark.django_db

FILTERS = ["", "open", "sold", "lost", "stalled", "completed"]
# (status, reopen date in days from today): the stalled ones on both sides of the rule's edge.
KINDS = [("open", None), ("sold", None), ("lost", None), ("stalled", -1), ("stalled", 0), ("stalled", 1),
         ("stalled", None), ("stalled", 30)]  # fmt: skip


def reference(user: Any, status: str, sort: str, pipeline: int | None = None) -> list[int]:
    """The visible sales in the list's order, kept when their effective status (Sale's own rule,
    in Python) is the one asked for."""
    qs = scope_by_owner(Sale.objects.all(), user)
    if pipeline:
        qs = qs.filter(pipeline_id=pipeline)
    wanted = {"completed": {SaleStatus.SOLD, SaleStatus.LOST}}.get(status, {status})
    return [s.pk for s in qs.order_by(*selectors.SALE_SORTS[sort]) if not status or s.effective_status in wanted]


def the_list(user: Any, status: str, sort: str, pipeline: int | None = None) -> Any:
    return selectors.sale_list_rows(
        selectors.sale_list_effective(user=user, status=status, sort=sort, pipeline=pipeline)
    )


def listed(user: Any, status: str, sort: str, pipeline: int | None = None, per_page: int = 4) -> tuple[list[int], int]:
    """The ids page by page and the count, the way the list view gets them (CappedPaginator)."""
    paginator = lists.CappedPaginator(the_list(user, status, sort, pipeline), per_page)
    ids = [s.pk for number in paginator.page_range for s in paginator.page(number).object_list]
    return ids, paginator.count


@pytest.fixture
def world(salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    """Every status in two pipelines, owned by the salesperson and a teammate (and hidden ones of
    another team), with equal and missing sale dates, amounts and titles so that the id decides."""
    today = timezone.localdate()
    pipelines = [pipeline_with_phases(name="Projects"), pipeline_with_phases(name="Service")]
    company = CompanyFactory(name="Acme", owner=salesperson)
    for i in range(len(KINDS) * 6):  # each kind for each owner in each pipeline
        status, days = KINDS[i % len(KINDS)]
        owner = (salesperson, teammate, outsider)[i % 3]
        sale = SaleFactory(title=f"Sale {i % 5}", owner=owner, pipeline=pipelines[i // (len(KINDS) * 3)],
                           company=company if owner != outsider and i % 3 else None, amount=Decimal(i % 3 * 100))  # fmt: skip
        Sale.objects.filter(pk=sale.pk).update(
            status=status,
            reopen_date=None if days is None else today + dt.timedelta(days=days),
            sale_date=None if i % 6 == 5 else today + dt.timedelta(days=i % 4 * 10 - 15),
        )
    return {"pipelines": pipelines}


@pytest.mark.parametrize("who", ["salesperson", "manager", "admin_user"])
def test_every_status_filter_and_sort_matches_the_rule_on_every_page(request: Any, world: Any, who: str) -> None:
    user = request.getfixturevalue(who)
    for status in FILTERS:
        for sort in selectors.SALE_SORTS:
            expected = reference(user, status, sort)
            assert listed(user, status, sort) == (expected, len(expected)), (status, sort)
        assert reference(user, status, "-date"), status  # every filter has rows to compare
    pipeline = world["pipelines"][1].pk
    for status in FILTERS:
        for sort in ("-date", "amount", "-title"):
            expected = reference(user, status, sort, pipeline)
            assert listed(user, status, sort, pipeline, per_page=3) == (expected, len(expected)), (status, sort)


def test_the_reopen_date_edge(salesperson: Any, world: Any) -> None:
    """Reopen date today or earlier: open. Tomorrow or later, or none: stalled."""
    today = timezone.localdate()
    opened = set(selectors.sale_list_effective(user=salesperson, status="open").values_list("reopen_date", flat=True))
    stalled = set(
        selectors.sale_list_effective(user=salesperson, status="stalled").values_list("reopen_date", flat=True)
    )
    assert opened == {None, today - dt.timedelta(days=1), today}
    assert stalled == {None, today + dt.timedelta(days=1), today + dt.timedelta(days=30)}


def test_the_capped_count_and_the_api_count(monkeypatch: Any, api_for: Any, salesperson: Any, world: Any) -> None:
    monkeypatch.setattr(lists, "COUNT_CAP", 3)
    for status in FILTERS:
        expected = reference(salesperson, status, "-date")
        paginator = lists.CappedPaginator(the_list(salesperson, status, "-date"), 25)
        assert (paginator.count, paginator.capped) == (min(len(expected), 3), len(expected) > 3), status
        page = api_for(salesperson).get("/api/v1/sales", status=status, page_size=200)
        assert page.status_code == 200
        assert page.json()["count"] == len(expected)
        assert [s["id"] for s in page.json()["results"]] == expected


# --- the fast path -----------------------------------------------------------------------------


def test_the_list_indexes_carry_the_status_and_the_reopen_date(db: Any) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "sales_sale")
    for name, column in (("sale_list_by_date", "sale_date"), ("sale_list_by_amount", "amount"),
                         ("sale_list_by_created", "created_at"), ("sale_list_by_title", "title")):  # fmt: skip
        assert constraints[name]["columns"] == [column, "id", "owner_id", "status", "reopen_date"]
    assert constraints["sale_list_status"]["columns"] == ["owner_id", "status", "pipeline_id", "reopen_date"]


@pytest.mark.parametrize("status", FILTERS[1:])
@pytest.mark.parametrize(("sort", "index"), [("-date", "sale_list_by_date"), ("amount", "sale_list_by_amount"),
                                             ("-title", "sale_list_by_title")])  # fmt: skip
def test_a_page_is_read_from_the_sort_index_alone(
    salesperson: Any, world: Any, status: str, sort: str, index: str
) -> None:
    """Owner, status and reopen date are checked inside the index walked in the list's order, so
    closed sales (the oldest sale dates) cost no table reads on the way to their first page."""
    ids = the_list(salesperson, status, sort).values_list("pk", flat=True)[:25]
    found = plan(ids, index)
    if connection.vendor == "sqlite":
        assert f"COVERING INDEX {index}" in found and "TEMP B-TREE" not in found, found
    else:
        assert "Index Only Scan" in found and index in found and "Sort" not in found, found


@pytest.mark.parametrize("status", ["stalled", "open", "completed"])
def test_the_capped_count_can_be_read_from_sale_list_status(salesperson: Any, world: Any, status: str) -> None:
    """SQLite counts from sale_list_status alone (its sort index walk needs the negative form);
    PostgreSQL gets the statuses as they are, one range of sale_list_status per owner and status,
    instead of reading every visible sale and dropping the other statuses."""
    counted = the_list(salesperson, status, "-date").order_by().values_list("pk", flat=True)[: lists.COUNT_CAP + 1]
    sql = str(counted.query)
    if connection.vendor == "sqlite":
        found = plan(counted, "sale_list_status", count=True)
        assert "COVERING INDEX sale_list_status" in found, found
        assert 'NOT ("sales_sale"."status" IN' in sql
    else:
        assert '"sales_sale"."status" IN' in sql and 'NOT ("sales_sale"."status" IN' not in sql, sql
