"""The running totals per (pipeline, phase, owner, status) that the database triggers keep:
after every kind of write — services, bulk updates, deletes — they equal a fresh count of the
sales, and a rebuild gives the same rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, F, Sum
from django.utils import timezone

from dealflow.sales import selectors, services, totals
from dealflow.sales.models import Outcome, Sale, SaleStatus, SaleTotal
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    SaleFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)
from dealflow.saved import lists

pytestmark = pytest.mark.django_db


def kept() -> dict[tuple[int, int, int, str], tuple[int, Decimal, Decimal]]:
    """The trigger-kept totals, without the rows whose sales have all moved on."""
    return {
        (t.pipeline_id, t.phase_id, t.owner_id, t.status): (
            t.sales,
            Decimal(t.amount_cents) / 100,
            Decimal(t.weighted_cents) / 10000,
        )
        for t in SaleTotal.objects.all()
        if t.sales
    }


def counted() -> dict[tuple[int, int, int, str], tuple[int, Decimal, Decimal]]:
    """The same numbers counted from the sales themselves."""
    rows = (
        Sale.objects.order_by()
        .values("pipeline_id", "phase_id", "owner_id", "status")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(F("amount") * F("probability")))
    )
    return {
        (r["pipeline_id"], r["phase_id"], r["owner_id"], r["status"]): (
            r["n"],
            Decimal(r["total"]).quantize(Decimal("0.01")),
            (Decimal(r["weighted"]) / 100).quantize(Decimal("0.0001")),
        )
        for r in rows
    }


@pytest.fixture
def funnel(salesperson: Any, teammate: Any) -> dict[str, Any]:
    pipeline = pipeline_with_phases()
    return {
        "pipeline": pipeline,
        "phases": phases_of(pipeline),
        "a": SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal("1000.10"), probability=25),
        "b": SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal("250.55")),
        "c": SaleFactory(owner=teammate, pipeline=pipeline, amount=Decimal("99.99"), probability=90),
    }


def test_creating_sales_counts_them(funnel: dict[str, Any], salesperson: Any) -> None:
    assert kept() == counted()
    lead = funnel["phases"]["lead"]
    n, total, _weighted = kept()[(funnel["pipeline"].pk, lead.pk, salesperson.pk, SaleStatus.OPEN)]
    assert (n, total) == (2, Decimal("1250.65"))


def test_every_service_write_keeps_the_totals(funnel: dict[str, Any], salesperson: Any, teammate: Any) -> None:
    phases, a, b, c = funnel["phases"], funnel["a"], funnel["b"], funnel["c"]
    services.sale_move_to_phase(actor=salesperson, sale=a, phase=phases["proposal"])
    assert kept() == counted()
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=a.pk), data={"amount": Decimal("1500.00")})
    assert kept() == counted()
    won = CloseReasonFactory(code="price", outcome=Outcome.EITHER)
    services.sale_close(actor=salesperson, sale=Sale.objects.get(pk=a.pk), outcome=Outcome.WON, close_reason=won)
    assert kept() == counted()
    services.sale_stall(
        actor=salesperson,
        sale=b,
        reopen_date=timezone.localdate() + dt.timedelta(days=3),
        stall_reason=StallReasonFactory(),
    )
    assert kept() == counted()
    services.sale_reopen(actor=salesperson, sale=Sale.objects.get(pk=a.pk))
    assert kept() == counted()
    services.sale_update(actor=teammate, sale=c, data={"owner": salesperson})
    assert kept() == counted()
    services.sale_delete(actor=salesperson, sale=Sale.objects.get(pk=b.pk))
    assert kept() == counted()
    assert sum(n for n, _t, _w in kept().values()) == 2


def test_bulk_updates_and_deletes_keep_the_totals(funnel: dict[str, Any], salesperson: Any, teammate: Any) -> None:
    """Writes that bypass the services (a bulk owner change, the admin's queryset delete) count too."""
    Sale.objects.filter(owner=salesperson).update(owner=teammate)
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["c"].pk).update(amount=Decimal("10.01"), probability=50)
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["c"].pk).update(title="Renamed only")  # no counted column: no change
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["a"].pk).delete()
    assert kept() == counted()


def test_rebuild_gives_the_same_rows(funnel: dict[str, Any], salesperson: Any) -> None:
    services.sale_move_to_phase(actor=salesperson, sale=funnel["a"], phase=funnel["phases"]["qualified"])
    before = kept()
    SaleTotal.objects.all().delete()
    totals.rebuild(connection)
    assert kept() == before == counted()


def test_sums_by_reads_one_owner_and_status(funnel: dict[str, Any], salesperson: Any, teammate: Any) -> None:
    lead = funnel["phases"]["lead"]
    mine = totals.sums_by("phase_id", owner_ids=[salesperson.pk], pipeline_id=funnel["pipeline"].pk)
    # weighted: 1000.10 × 25 % + 250.55 × 10 % (the lead phase's default) = 250.025 + 25.055
    assert mine == {lead.pk: {"count": 2, "total": Decimal("1250.65"), "weighted": Decimal("275.08")}}
    everyone = totals.sums_by("owner_id", owner_ids=None, statuses=[SaleStatus.OPEN])
    assert everyone[teammate.pk]["count"] == 1
    assert everyone[teammate.pk]["weighted"] == Decimal("89.99")
    assert totals.sums_by("phase_id", owner_ids=[], pipeline_id=funnel["pipeline"].pk) == {}


@pytest.mark.parametrize("group", ["phase", "owner", "status"])
@pytest.mark.parametrize("status", ["", "sold", "completed"])
def test_list_group_totals_from_the_totals_match_the_sales(
    funnel: dict[str, Any], salesperson: Any, outsider: Any, group: str, status: str
) -> None:
    """The grouped sales list reads its counts and sums from the running totals when it can;
    they are what an aggregate over the visible, filtered sales gives (never an outsider's)."""
    reason = CloseReasonFactory(code="fit", outcome=Outcome.EITHER)
    services.sale_close(actor=salesperson, sale=funnel["a"], outcome=Outcome.WON, close_reason=reason)
    SaleFactory(owner=outsider, pipeline=funnel["pipeline"], amount=Decimal("7"))
    filters = {"q": "", "status": status, "pipeline": funnel["pipeline"].pk}
    qs = selectors.sale_list_effective(user=salesperson, **filters)
    from_totals = selectors.sale_group_totals(user=salesperson, filters=filters, qs=qs, group=group)
    assert from_totals == lists.group_totals(lists.SALE, qs, group)
    assert sum(g["count"] for g in from_totals.values()) == qs.count()
