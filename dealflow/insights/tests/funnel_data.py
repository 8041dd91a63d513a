"""A small fixed funnel, moved through the real sales services and then pinned to exact times.

Pipeline "Projects": Lead (initial, 10 %) → Qualified (30 %, 10 days to stall) → Proposal (60 %) → Closed.
All times are midnight in the installation's time zone, January 2025 unless said otherwise:

  sale  owner  amount  stays                                                   end
  S1    anna   1000    Lead 01→03, Qualified 03→08, Proposal 08→18, Closed 18  won
  S2    anna   2000    Lead 02→06, Qualified 06→10, Closed 10                  lost (Too expensive)
  S3    anna    500    Lead 05→11, Closed 11                                   lost (No budget)
  S4    anna    800    Lead 10→12, Qualified 12→ (still there)                 open, idle
  S5    klara   300    Lead 04→ (still there)                                  open
  S6    anna    100    Lead 2024-12-01→2024-12-05, Closed 2024-12-05           lost (not in January)

"Now" for the selectors is 2025-02-01 00:00 (see `frozen_now`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dealflow.sales import services
from dealflow.sales.models import CloseReason, Outcome, Phase, Pipeline, Sale


def at(month: int, day: int, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=timezone.get_current_timezone())


NOW = None  # set lazily: at(2, 1) needs the time zone of the running settings


@contextmanager
def frozen_now(monkeypatch: Any) -> Iterator[dt.datetime]:
    moment = at(2, 1)
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: moment)
        yield moment


def build(salesperson: Any, outsider: Any) -> dict[str, Any]:
    pipeline = Pipeline.objects.create(code="projects", name="Projects", order=1)
    lead = Phase.objects.create(
        pipeline=pipeline, code="lead", name="Lead", kind=Phase.Kind.INITIAL, order=1, probability=10
    )
    qualified = Phase.objects.create(
        pipeline=pipeline, code="qualified", name="Qualified", order=2, probability=30, days_to_stall=10
    )
    proposal = Phase.objects.create(pipeline=pipeline, code="proposal", name="Proposal", order=3, probability=60)
    closed = Phase.objects.create(
        pipeline=pipeline, code="closed", name="Closed", kind=Phase.Kind.CLOSING, order=4, probability=100
    )
    won_reason = CloseReason.objects.create(code="price", name="Best price", outcome=Outcome.WON)
    expensive = CloseReason.objects.create(code="expensive", name="Too expensive", outcome=Outcome.LOST)
    budget = CloseReason.objects.create(code="budget", name="No budget", outcome=Outcome.LOST)

    def sale(owner: Any, title: str, amount: str, path: list[Phase], close: tuple[str, CloseReason] | None,
             times: list[dt.datetime]) -> Sale:  # fmt: skip
        s = services.sale_create(actor=owner, data={"title": title, "amount": Decimal(amount), "pipeline": pipeline})
        for phase in path:
            s = services.sale_move_to_phase(actor=owner, sale=s, phase=phase)
        if close:
            s = services.sale_close(actor=owner, sale=s, outcome=close[0], close_reason=close[1])
        records = list(s.phase_records.order_by("entered_at", "id"))
        assert len(records) == len(times)
        for index, record in enumerate(records):
            left = times[index + 1] if index + 1 < len(times) else None
            type(record).objects.filter(pk=record.pk).update(entered_at=times[index], left_at=left)
        Sale.objects.filter(pk=s.pk).update(phase_entered_at=times[-1])
        s.refresh_from_db()
        return s

    anna, klara = salesperson, outsider
    d: Callable[[int], dt.datetime] = lambda day: at(1, day)  # noqa: E731
    s1 = sale(anna, "S1", "1000", [qualified, proposal], (Outcome.WON, won_reason), [d(1), d(3), d(8), d(18)])
    s2 = sale(anna, "S2", "2000", [qualified], (Outcome.LOST, expensive), [d(2), d(6), d(10)])
    s3 = sale(anna, "S3", "500", [], (Outcome.LOST, budget), [d(5), d(11)])
    s4 = sale(anna, "S4", "800", [qualified], None, [d(10), d(12)])
    s5 = sale(klara, "S5", "300", [], None, [d(4)])
    s6 = sale(anna, "S6", "100", [], (Outcome.LOST, budget), [at(12, 1, 2024), at(12, 5, 2024)])
    return {
        "pipeline": pipeline, "lead": lead, "qualified": qualified, "proposal": proposal, "closed": closed,
        "sales": [s1, s2, s3, s4, s5, s6],
    }  # fmt: skip
