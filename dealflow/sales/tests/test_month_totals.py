"""The monthly totals the database triggers keep (won/lost per closed month, open per expected
month and forecast category): after every kind of write they equal a count of the sales made in
Python, and a rebuild gives the same rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dealflow.insights.forecast import effective_category
from dealflow.insights.targets_services import sale_forecast_category_set
from dealflow.sales import month_totals, services
from dealflow.sales.models import CloseReason, Outcome, Sale, SaleClosedMonth, SaleOpenMonth, SaleStatus
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    CompetitorFactory,
    SaleFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)

pytestmark = pytest.mark.django_db

Totals = dict[tuple[Any, ...], tuple[int, ...]]


def kept() -> Totals:
    """Both tables as {("closed" | "open", key…): (count, cents[, weighted cents])}, without the
    rows whose sales have all moved on."""
    out: Totals = {}
    for c in SaleClosedMonth.objects.all():
        if c.sales:
            key = ("closed", c.month, c.owner_id, c.pipeline_id, c.status, c.close_reason_id, c.competitor_id)
            out[key] = (c.sales, c.amount_cents)
    for o in SaleOpenMonth.objects.all():
        if o.sales:
            out[("open", o.month, o.owner_id, o.pipeline_id, o.category)] = (o.sales, o.amount_cents, o.weighted_cents)
    return out


def counted() -> Totals:
    """The same numbers counted from the sales, one by one, in Python."""
    out: dict[tuple[Any, ...], list[int]] = {}
    for s in Sale.objects.all():
        cents = int((s.amount * 100).to_integral_value())
        if s.status in (SaleStatus.SOLD, SaleStatus.LOST) and s.closed_date:
            key = ("closed", s.closed_date.replace(day=1), s.owner_id, s.pipeline_id, s.status,
                   s.close_reason_id or 0, s.competitor_id or 0)  # fmt: skip
            row = out.setdefault(key, [0, 0])
            row[0] += 1
            row[1] += cents
        if s.status == SaleStatus.OPEN and s.sale_date:
            key = ("open", s.sale_date.replace(day=1), s.owner_id, s.pipeline_id, effective_category(s))
            row = out.setdefault(key, [0, 0, 0])
            row[0] += 1
            row[1] += cents
            row[2] += cents * s.probability
    return {k: tuple(v) for k, v in out.items()}


@pytest.fixture
def funnel(salesperson: Any, teammate: Any) -> dict[str, Any]:
    pipeline = pipeline_with_phases()
    today = timezone.localdate()
    return {
        "pipeline": pipeline,
        "phases": phases_of(pipeline),
        "a": SaleFactory(
            owner=salesperson,
            pipeline=pipeline,
            amount=Decimal("1000.10"),
            probability=25,
            sale_date=today + dt.timedelta(days=40),
        ),  # fmt: skip
        "b": SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal("250.55"), sale_date=today),
        "c": SaleFactory(owner=teammate, pipeline=pipeline, amount=Decimal("99.99"), probability=90, sale_date=None),
    }


def test_creating_sales_counts_the_open_ones_by_expected_month(funnel: dict[str, Any], salesperson: Any) -> None:
    assert kept() == counted()
    a = funnel["a"]
    assert kept()[("open", a.sale_date.replace(day=1), salesperson.pk, funnel["pipeline"].pk, "pipeline")] == (
        1, 100010, 100010 * 25,
    )  # fmt: skip
    assert not any(k[0] == "closed" for k in kept())  # nothing closed yet; a sale without a date is in no month


def test_every_service_write_keeps_the_monthly_totals(
    funnel: dict[str, Any], salesperson: Any, teammate: Any, manager: Any
) -> None:
    phases, a, b, c = funnel["phases"], funnel["a"], funnel["b"], funnel["c"]
    services.sale_move_to_phase(actor=salesperson, sale=a, phase=phases["proposal"])  # probability changes
    assert kept() == counted()
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=a.pk), data={"amount": Decimal("1500.00")})
    assert kept() == counted()
    sale_forecast_category_set(actor=manager, sale=Sale.objects.get(pk=a.pk), category="commit")
    assert kept() == counted()
    reason = CloseReasonFactory(code="price", outcome=Outcome.EITHER)
    rival = CompetitorFactory()
    services.sale_close(actor=salesperson, sale=Sale.objects.get(pk=a.pk), outcome=Outcome.WON, close_reason=reason)
    assert kept() == counted()
    services.sale_close(actor=salesperson, sale=Sale.objects.get(pk=b.pk), outcome=Outcome.LOST,
                        close_reason=reason, competitor=rival)  # fmt: skip
    assert kept() == counted()
    assert sum(v[0] for k, v in kept().items() if k[0] == "closed") == 2
    services.sale_reopen(actor=salesperson, sale=Sale.objects.get(pk=a.pk))
    assert kept() == counted()
    services.sale_stall(actor=salesperson, sale=Sale.objects.get(pk=a.pk),
                        reopen_date=timezone.localdate() + dt.timedelta(days=3), stall_reason=StallReasonFactory())  # fmt: skip
    assert kept() == counted()
    services.sale_update(actor=teammate, sale=c, data={"owner": salesperson, "sale_date": dt.date(2026, 2, 14)})
    assert kept() == counted()
    services.sale_delete(actor=salesperson, sale=Sale.objects.get(pk=b.pk))
    assert kept() == counted()


def test_bulk_updates_and_deletes_keep_the_monthly_totals(funnel: dict[str, Any], salesperson: Any,
                                                           teammate: Any) -> None:  # fmt: skip
    """Writes that bypass the services count too: owners, dates, categories, statuses, deletes."""
    Sale.objects.filter(owner=salesperson).update(owner=teammate)
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["a"].pk).update(sale_date=dt.date(2025, 12, 31), probability=45)
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["b"].pk).update(status=SaleStatus.SOLD, closed_date=dt.date(2026, 3, 31))
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["b"].pk).update(closed_date=dt.date(2026, 4, 1), amount=Decimal("0.01"))
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["b"].pk).update(close_reason=CloseReasonFactory(code="fit"))
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["c"].pk).update(forecast_category="best_case", sale_date=dt.date(2027, 1, 1))
    assert kept() == counted()
    Sale.objects.filter(pk=funnel["c"].pk).update(title="Renamed only")  # no counted column: no change
    assert kept() == counted()
    Sale.objects.filter(pk__in=[funnel["a"].pk, funnel["b"].pk]).delete()
    assert kept() == counted()
    assert set(kept()) == {("open", dt.date(2027, 1, 1), teammate.pk, funnel["pipeline"].pk, "best_case")}


def test_rebuild_gives_the_same_rows(funnel: dict[str, Any], salesperson: Any) -> None:
    reason = CloseReason.objects.create(code="late", name="Too late", outcome=Outcome.EITHER)
    services.sale_close(actor=salesperson, sale=funnel["a"], outcome=Outcome.LOST, close_reason=reason)
    before = kept()
    SaleClosedMonth.objects.all().delete()
    SaleOpenMonth.objects.all().delete()
    month_totals.rebuild(connection)
    assert kept() == before == counted()


@pytest.mark.parametrize(
    ("date_from", "date_to", "whole"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31), (dt.date(2026, 1, 1), dt.date(2027, 1, 1))),
        (dt.date(2025, 12, 1), dt.date(2026, 11, 22), (dt.date(2025, 12, 1), dt.date(2026, 11, 1))),
        (dt.date(2026, 1, 15), dt.date(2026, 3, 31), (dt.date(2026, 2, 1), dt.date(2026, 4, 1))),
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29), (dt.date(2024, 2, 1), dt.date(2024, 3, 1))),  # leap day
        (dt.date(2026, 1, 2), dt.date(2026, 2, 27), None),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 30), None),
        (dt.date(2026, 12, 5), dt.date(2026, 12, 5), None),
        (dt.date(2026, 1, 1), dt.date(9999, 12, 31), None),
    ],
)
def test_whole_months(date_from: dt.date, date_to: dt.date, whole: tuple[dt.date, dt.date] | None) -> None:
    assert month_totals.whole_months(date_from, date_to) == whole


def test_the_category_follows_the_probability_at_its_bounds(funnel: dict[str, Any]) -> None:
    """Without a category set, 70 % and more is commit, 40–69 % best case, below 40 % pipeline."""
    sale = funnel["a"]
    for probability, category in ((39, "pipeline"), (40, "best_case"), (69, "best_case"), (70, "commit")):
        Sale.objects.filter(pk=sale.pk).update(probability=probability)
        assert kept() == counted()
        month = sale.sale_date.replace(day=1)
        rows = SaleOpenMonth.objects.filter(month=month, owner_id=sale.owner_id, sales__gt=0)
        assert list(rows.values_list("category", flat=True)) == [category]
