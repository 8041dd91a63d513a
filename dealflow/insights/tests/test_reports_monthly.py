"""The win/loss report and the forecast read the months a range covers whole from the monthly
totals and the rest from the sales. Whatever the range — whole months, a few days, across a
year's end — their numbers equal a count of the sales made here in Python, sale by sale."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from dealflow.accounts.visibility import visible_owner_ids
from dealflow.insights import forecast, selectors
from dealflow.sales import services
from dealflow.sales.models import CloseReason, Competitor, Outcome, Phase, Pipeline, Sale, SaleStatus

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
RANGES = [
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),  # whole months only
    (dt.date(2025, 1, 15), dt.date(2025, 6, 10)),  # edges on both sides
    (dt.date(2024, 12, 31), dt.date(2025, 2, 1)),  # a day on each side of January
    (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),  # one month
    (dt.date(2025, 3, 5), dt.date(2025, 3, 9)),  # a few days
    (dt.date(2024, 11, 1), dt.date(2026, 4, 30)),  # across two year ends
]


def _start(day: dt.date, period: str) -> dt.date | None:
    if period == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if period == "year":
        return dt.date(day.year, 1, 1)
    return day.replace(day=1) if period == "month" else None


@pytest.fixture
def sales(admin_user: Any, salesperson: Any, teammate: Any, outsider: Any) -> list[Sale]:
    """Ninety sales of three owners in two pipelines, with statuses, dates, amounts,
    probabilities, categories, close reasons and competitors drawn from a seeded generator."""
    rng = random.Random(6)
    pipelines = []
    for order, code in enumerate(("projects", "service")):
        pipeline = Pipeline.objects.create(code=code, name=code.title(), order=order)
        Phase.objects.create(pipeline=pipeline, code="lead", name="Lead", kind=Phase.Kind.INITIAL, order=1)
        Phase.objects.create(pipeline=pipeline, code="won", name="Won", kind=Phase.Kind.CLOSING, order=2)
        pipelines.append(pipeline)
    reasons = [None, *(CloseReason.objects.create(code=c, name=c.title(), outcome=Outcome.EITHER) for c in "abc")]
    rivals = [None, *(Competitor.objects.create(name=n) for n in ("Acme", "Globex"))]
    made = []
    for i in range(90):
        owner = rng.choice([salesperson, teammate, outsider])
        sale = services.sale_create(
            actor=admin_user, data={"title": f"Sale {i}", "owner": owner, "pipeline": rng.choice(pipelines)}
        )
        status = rng.choice([SaleStatus.OPEN, SaleStatus.OPEN, SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.STALLED])
        day = dt.date(2024, 10, 1) + dt.timedelta(days=rng.randrange(640))
        closed = status in (SaleStatus.SOLD, SaleStatus.LOST)
        Sale.objects.filter(pk=sale.pk).update(
            status=status,
            amount=Decimal(rng.randrange(0, 500000)) / 100,
            probability=rng.randrange(0, 101),
            sale_date=None if rng.random() < 0.1 else day,
            closed_date=day if closed else None,
            close_reason=rng.choice(reasons) if closed else None,
            competitor=rng.choice(rivals) if closed else None,
            forecast_category=rng.choice([None, None, "commit", "best_case", "pipeline"]),
        )
        made.append(Sale.objects.get(pk=sale.pk))
    return made


@pytest.mark.parametrize("who", ["manager", "admin_user", "salesperson"])
@pytest.mark.parametrize(("group_by", "period"), [("close_reason", ""), ("competitor", "month"),
                                                  ("owner", "quarter"), ("pipeline", "year"),
                                                  ("account_type", "month")])  # fmt: skip
def test_win_loss_counts_every_range_like_the_sales(
    sales: list[Sale], request: Any, who: str, group_by: str, period: str
) -> None:
    user = request.getfixturevalue(who)
    ids = visible_owner_ids(user)
    key = {"close_reason": "close_reason_id", "competitor": "competitor_id", "owner": "owner_id",
           "pipeline": "pipeline_id", "account_type": None}[group_by]  # fmt: skip
    for date_from, date_to in RANGES:
        for pipeline in (None, sales[0].pipeline):
            expected: dict[tuple[Any, Any], list[Any]] = {}
            for s in sales:
                if s.status not in (SaleStatus.SOLD, SaleStatus.LOST) or not date_from <= s.closed_date <= date_to:
                    continue
                if (ids is not None and s.owner_id not in ids) or (pipeline and s.pipeline_id != pipeline.pk):
                    continue
                group = getattr(s, key) if key else None  # the sales here belong to no company
                row = expected.setdefault((group, _start(s.closed_date, period)), [0, 0, Decimal(0), Decimal(0)])
                won = s.status == SaleStatus.SOLD
                row[0 if won else 1] += 1
                row[2 if won else 3] += s.amount
            report = selectors.win_loss(user, date_from, date_to, group_by, period, pipeline=pipeline)
            got = {(r.key, r.period): [r.won, r.lost, r.won_value, r.lost_value] for r in report.rows}
            assert got == {k: [w, lo, wv.quantize(CENT), lv.quantize(CENT)] for k, (w, lo, wv, lv) in expected.items()}
            assert got or not expected


def _category(s: Sale) -> str:
    if s.forecast_category:
        return s.forecast_category
    return "commit" if s.probability >= 70 else "best_case" if s.probability >= 40 else "pipeline"


@pytest.mark.parametrize("who", ["manager", "admin_user"])
@pytest.mark.parametrize(("group_by", "period"), [("", "month"), ("owner", "quarter"), ("pipeline", "month")])
def test_forecast_counts_every_range_like_the_sales(
    sales: list[Sale], request: Any, who: str, group_by: str, period: str
) -> None:
    user = request.getfixturevalue(who)
    ids = visible_owner_ids(user)
    names = ("unweighted", "weighted", "commit", "best_case", "pipeline", "sold", "won")
    for date_from, date_to in RANGES:
        expected: dict[tuple[Any, Any], dict[str, Any]] = {}
        for s in sales:
            if ids is not None and s.owner_id not in ids:
                continue
            group = {"": None, "owner": s.owner_id, "pipeline": s.pipeline_id}[group_by]
            if s.status == SaleStatus.OPEN and s.sale_date and date_from <= s.sale_date <= date_to:
                cell = expected.setdefault((group, _start(s.sale_date, period)), dict.fromkeys(names, 0))
                cell["unweighted"] += s.amount
                cell["weighted"] += s.amount * s.probability / 100
                cell[_category(s)] += s.amount
            if s.status == SaleStatus.SOLD and date_from <= s.closed_date <= date_to:
                cell = expected.setdefault((group, _start(s.closed_date, period)), dict.fromkeys(names, 0))
                cell["sold"] += s.amount
                cell["won"] += 1
        report = forecast.forecast(user, date_from=date_from, date_to=date_to, period=period, group_by=group_by)
        groups = report.groups if group_by else [report.totals]
        got = {
            (g.key, start): {name: getattr(cell, name) for name in names}
            for g in groups
            for start, cell in g.cells.items()
            if any(getattr(cell, name) for name in names)
        }
        assert got == {
            k: {n: v if n == "won" else Decimal(v).quantize(CENT, rounding=ROUND_HALF_UP) for n, v in cell.items()}
            for k, cell in expected.items()
        }


def test_forecast_accuracy_counts_the_sold_months_like_the_sales(sales: list[Sale], manager: Any) -> None:
    ids = visible_owner_ids(manager)
    rows = forecast.forecast_accuracy(manager, date_from=dt.date(2024, 12, 1), date_to=dt.date(2025, 11, 30))
    assert len(rows) == 12
    for row in rows:
        sold = sum(
            (s.amount for s in sales
             if s.status == SaleStatus.SOLD and s.owner_id in ids and s.closed_date.replace(day=1) == row.month),
            Decimal(0),
        )  # fmt: skip
        assert row.sold == sold.quantize(CENT)
