"""The sales list sorted by phase (its order, then the sale's id) under every status filter: the
same rows in the same order as before, also when phases of two pipelines share an order; and a
page is found by taking the phases in order (phase_by_order) and each one's sales from
sale_list_by_phase alone, sorted a phase at a time, instead of sorting every visible sale after
reading its row (sales migration 0011)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dealflow.accounts.tests.factories import UserFactory
from dealflow.sales import selectors
from dealflow.sales.models import Sale, SaleStatus
from dealflow.sales.tests.factories import SaleFactory, phases_of, pipeline_with_phases
from dealflow.saved import lists

pytestmark = pytest.mark.django_db

FILTERS = ["", "open", "sold", "lost", "stalled", "completed"]


def reference(user: Any, sort: str, status: str) -> list[int]:
    """The list's rows sorted as they always were: by the phase's order, then the sale's id."""
    order = ("phase__order", "id") if sort == "phase" else ("-phase__order", "-id")
    return list(selectors.sale_list_effective(user=user, status=status).order_by(*order).values_list("pk", flat=True))


def listed(user: Any, sort: str, status: str, per_page: int = 3) -> list[int]:
    qs = selectors.sale_list_rows(selectors.sale_list_effective(user=user, sort=sort, status=status))
    paginator = lists.CappedPaginator(qs, per_page)
    return [s.pk for number in paginator.page_range for s in paginator.page(number).object_list]


@pytest.fixture
def world(salesperson: Any, teammate: Any, outsider: Any) -> None:
    """Two pipelines whose phases share their orders (10, 20, ...), sales in every phase and status
    (stalled ones on both sides of their reopen date), and another team's."""
    today = timezone.localdate()
    kinds = [(SaleStatus.OPEN, None), (SaleStatus.STALLED, 3), (SaleStatus.STALLED, -1), (SaleStatus.SOLD, None),
             (SaleStatus.LOST, None)]  # fmt: skip
    made = 0
    for pipeline in (pipeline_with_phases(name="Projects"), pipeline_with_phases(name="Service")):
        for phase in phases_of(pipeline).values():
            for owner in (salesperson, teammate, outsider):
                status, days = kinds[made % len(kinds)]
                sale = SaleFactory(owner=owner, pipeline=pipeline)
                Sale.objects.filter(pk=sale.pk).update(
                    phase=phase, status=status, reopen_date=today + dt.timedelta(days=days) if days else None
                )
                made += 1


@pytest.mark.parametrize("sort", ["phase", "-phase"])
def test_every_status_filter_keeps_the_order_on_every_page(salesperson: Any, world: None, sort: str) -> None:
    for status in FILTERS:
        expected = reference(salesperson, sort, status)
        assert expected, status
        assert listed(salesperson, sort, status) == expected, status
    # Phases of both pipelines with the same order are one group, their sales in id order.
    orders = [
        s.phase.order for s in Sale.objects.filter(pk__in=reference(salesperson, sort, "")).select_related("phase")
    ]
    assert len(set(orders)) < len(Sale.objects.values("phase").distinct())


def planned(qs: Any) -> str:
    """The plan the database's own planner makes for `qs`, with fresh statistics."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sales_sale")
        cursor.execute("ANALYZE sales_phase")
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many(salesperson: Any, teammate: Any, outsider: Any) -> None:
    """2,000 sales shaped like the generated data set's (closed ones in the closing phase, open
    and stalled ones spread over the others), a third of them visible to the salesperson: enough
    for both planners to weigh sorting all the visible sales against an index (with a few dozen
    rows, sorting them all is the cheaper plan, and rightly so)."""
    rng = random.Random(7)
    pipeline = pipeline_with_phases(name="Projects")
    phases = list(phases_of(pipeline).values())
    owners = [salesperson, teammate, outsider, *UserFactory.create_batch(3)]
    today = timezone.localdate()
    rows = []
    for i in range(2000):
        status = rng.choice(
            [SaleStatus.OPEN] * 5
            + [SaleStatus.STALLED, SaleStatus.SOLD, SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.LOST]
        )
        closed = status in (SaleStatus.SOLD, SaleStatus.LOST)
        reopen = today + dt.timedelta(days=rng.randint(-5, 30)) if status == SaleStatus.STALLED else None
        rows.append(Sale(title=f"Sale {i}", owner=rng.choice(owners), pipeline=pipeline, status=status,
                         phase=phases[-1] if closed else rng.choice(phases[:-1]), reopen_date=reopen))  # fmt: skip
    Sale.objects.bulk_create(rows, batch_size=500)


def test_a_page_is_sorted_a_phase_at_a_time_from_the_index(salesperson: Any, many: None) -> None:
    for sort in ("phase", "-phase"):
        for status in FILTERS:
            qs = selectors.sale_list_effective(user=salesperson, sort=sort, status=status)
            ids = qs.values_list("pk", flat=True)[:25]
            found = planned(ids)
            if connection.vendor == "sqlite":
                # The phases in order, each one's visible sales (only the statuses asked for: see
                # selectors.only_statuses) from the index alone; only the ids sorted, a phase at a time.
                seek = " AND status=?)" if status else ")"
                assert "SCAN sales_phase USING COVERING INDEX phase_by_order" in found, (sort, status, found)
                assert f"COVERING INDEX sale_list_by_phase (phase_id=? AND owner_id=?{seek}" in found, (
                    sort,
                    status,
                    found,
                )
                assert "RIGHT PART OF ORDER BY" in found and "TEMP B-TREE FOR ORDER BY" not in found, (
                    sort,
                    status,
                    found,
                )
            else:
                assert "Incremental Sort" in found and 'Presorted Key: sales_phase."order"' in found, (
                    sort,
                    status,
                    found,
                )
                assert "using phase_by_order on sales_phase" in found, (sort, status, found)
                # Which index gives each phase's sales is weighed by size: for a few thousand rows
                # never vacuumed, reading the table costs about as much; on the large data set it is
                # sale_list_by_phase, read alone (no heap fetches).
            assert listed(salesperson, sort, status, per_page=200) == reference(salesperson, sort, status)


def test_the_indexes_carry_what_the_status_filters_and_the_visibility_rule_read(db: Any) -> None:
    with connection.cursor() as cursor:
        sales = connection.introspection.get_constraints(cursor, "sales_sale")
        phases = connection.introspection.get_constraints(cursor, "sales_phase")
    assert sales["sale_list_by_phase"]["columns"] == ["phase_id", "owner_id", "status", "reopen_date", "id"]
    assert phases["phase_by_order"]["columns"] == ["order", "id"]
