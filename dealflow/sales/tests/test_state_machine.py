"""The sale status machine, driven at random by Hypothesis.

One sale lives in one pipeline (Lead → Qualified → Proposal → Won/Lost closing phases, plus a
deactivated phase and a phase of another pipeline to aim at). Rules move it (into any phase,
closing ones with any outcome and reason), stall it (with any reopen date, past ones too),
reopen it, and let days pass and run the daily reopen job. Each rule predicts whether the
services must accept or refuse; a refused action must change nothing at all.

The clock (`django.utils.timezone.now`) is a fake one the machine winds forward, so "today"
moves for the services, the models and the job alike. Each example runs in its own savepoint,
rolled back afterwards, so every example starts from an empty funnel.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from dealflow.accounts.tests.factories import UserFactory
from dealflow.audit.models import AuditEvent
from dealflow.core.services import StaleVersion
from dealflow.sales import services
from dealflow.sales.models import CloseReason, Outcome, Phase, PhaseRecord, Sale, SaleStatus, SaleTotal, StallReason
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)
from dealflow.sales.tests.test_month_totals import counted as counted_months
from dealflow.sales.tests.test_month_totals import kept as kept_months

PHASES = [
    ("lead", "Lead", Phase.Kind.INITIAL, 10),
    ("qualified", "Qualified", Phase.Kind.REGULAR, 30),
    ("proposal", "Proposal", Phase.Kind.REGULAR, 60),
    ("parked", "Parked", Phase.Kind.REGULAR, 5),  # deactivated below
    ("won", "Won", Phase.Kind.CLOSING, 100),
    ("lost", "Lost", Phase.Kind.CLOSING, 0),
]
PHASE_CHOICES = ["lead", "qualified", "proposal", "parked", "won", "lost", "foreign"]
OPEN_PHASE_CHOICES = ["lead", "qualified", "proposal", "parked", "foreign"]
REASON_CHOICES = ["won", "lost", "either", "inactive", None]
STATUSES = {s.value for s in SaleStatus}


class Clock:
    """A fake `timezone.now`: a fixed start, wound forward by whole days, ticking one
    microsecond per call so that every timestamp is distinct and ordered."""

    def __init__(self) -> None:
        self.start = dt.datetime.now(dt.UTC).replace(hour=11, minute=0, second=0, microsecond=0)
        self.offset = dt.timedelta(0)
        self.ticks = 0

    def reset(self) -> None:
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        self.ticks += 1
        return self.start + self.offset + dt.timedelta(microseconds=self.ticks)


CLOCK = Clock()


class SaleMachine(RuleBasedStateMachine):
    user: Any = None  # made once by the test: hashing a password per example is slow

    def __init__(self) -> None:
        super().__init__()
        CLOCK.reset()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.pipeline = pipeline_with_phases(PHASES)
        self.phases: dict[str, Phase] = phases_of(self.pipeline)
        Phase.objects.filter(pk=self.phases["parked"].pk).update(is_active=False)
        self.phases["parked"].refresh_from_db()
        self.phases["foreign"] = phases_of(pipeline_with_phases())["qualified"]
        self.reasons: dict[str | None, CloseReason | None] = {
            "won": CloseReasonFactory(code="m-won", outcome=Outcome.WON),
            "lost": CloseReasonFactory(code="m-lost", outcome=Outcome.LOST),
            "either": CloseReasonFactory(code="m-either", outcome=Outcome.EITHER),
            "inactive": CloseReasonFactory(code="m-old", outcome=Outcome.EITHER, is_active=False),
            None: None,
        }
        self.stall_reasons: dict[str | None, StallReason | None] = {
            "active": StallReasonFactory(name="Budget"),
            "inactive": StallReasonFactory(name="Old reason", is_active=False),
            None: None,
        }
        self.sale = services.sale_create(
            actor=self.user, data={"title": "Machine", "pipeline": self.pipeline, "sale_date": dt.date(2026, 5, 20)}
        )
        self.version = self.sale.version

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------

    def fresh(self) -> Sale:
        return Sale.objects.select_related("phase", "close_reason").get(pk=self.sale.pk)

    def snapshot(self) -> dict[str, Any]:
        return {
            "sale": Sale.objects.filter(pk=self.sale.pk).values().get(),
            "records": list(PhaseRecord.objects.filter(sale_id=self.sale.pk).order_by("id").values()),
            "audit": AuditEvent.objects.filter(object_type="sale", object_id=self.sale.pk).count(),
        }

    def today(self) -> dt.date:
        return timezone.localdate()

    def effectively_open(self, sale: Sale) -> bool:
        return sale.status == SaleStatus.OPEN or (
            sale.status == SaleStatus.STALLED and sale.reopen_date is not None and sale.reopen_date <= self.today()
        )

    def attempt(self, accepted: bool, action: Any) -> Sale | None:
        """Run `action`; it must be accepted (version up) or refused (nothing changed) as predicted."""
        before = self.snapshot()
        try:
            action()
        except (ValidationError, StaleVersion) as exc:
            assert not accepted, f"refused unexpectedly: {exc}"
            assert self.snapshot() == before, "a refused action changed something"
            return None
        assert accepted, "accepted an action the rules refuse"
        sale = self.fresh()
        assert sale.version > self.version, "an accepted change must raise the version"
        self.version = sale.version
        return sale

    # --- rules -----------------------------------------------------------------------------

    @rule(
        to=st.sampled_from(PHASE_CHOICES),
        outcome=st.sampled_from([Outcome.WON, Outcome.LOST, None]),
        reason=st.sampled_from(REASON_CHOICES),
        score=st.sampled_from([None, 55, 101]),
    )
    def move(self, to: str, outcome: str | None, reason: str | None, score: int | None) -> None:
        self._move(to, outcome, reason, score)

    @rule(to=st.sampled_from(OPEN_PHASE_CHOICES))
    def move_open(self, to: str) -> None:
        self._move(to, None, None, None)

    @rule(
        to=st.sampled_from(["won", "lost"]),
        outcome=st.sampled_from([Outcome.WON, Outcome.LOST]),
        reason=st.sampled_from(REASON_CHOICES),
    )
    def close(self, to: str, outcome: str, reason: str | None) -> None:
        """Closing is where most rules are: aim at it more often than a uniform move would."""
        self._move(to, outcome, reason, None)

    def _move(self, to: str, outcome: str | None, reason: str | None, score: int | None) -> None:
        sale = self.fresh()
        phase = self.phases[to]
        close_reason = self.reasons[reason]
        closing_ok = not phase.is_closing or (
            outcome in (Outcome.WON, Outcome.LOST)
            and close_reason is not None
            and close_reason.is_active
            and close_reason.fits(outcome)
        )
        accepted = (
            self.effectively_open(sale)
            and phase.pipeline_id == sale.pipeline_id
            and phase.is_active
            and phase.pk != sale.phase_id
            and closing_ok
            and score != 101
        )
        after = self.attempt(
            accepted,
            lambda: services.sale_move_to_phase(
                actor=self.user,
                sale=sale,
                phase=phase,
                score=score,
                outcome=outcome,
                close_reason=close_reason,
                expected_version=self.version,
            ),
        )
        if after is None:
            return
        assert after.phase_id == phase.pk
        if phase.is_closing:
            assert after.status == (SaleStatus.SOLD if outcome == Outcome.WON else SaleStatus.LOST)
            assert after.closed_date == self.today()
            assert after.close_reason_id == close_reason.pk  # type: ignore[union-attr]
            assert after.probability == (100 if outcome == Outcome.WON else 0)
        else:
            assert after.status == SaleStatus.OPEN
            assert after.probability == phase.probability
        if score is not None:
            assert after.score == score

    @rule(offset=st.integers(min_value=-2, max_value=6), reason=st.sampled_from(["active", "inactive", None]))
    def stall(self, offset: int, reason: str | None) -> None:
        self._stall(offset, reason)

    @rule(offset=st.integers(min_value=1, max_value=4), wait=st.booleans())
    def stall_for_days(self, offset: int, wait: bool) -> None:
        """A stall that should be accepted, so the stalled states get explored; `wait` lets the
        reopen date come without the daily job running, so the sale reads as open again."""
        self._stall(offset, "active")
        if wait:
            self.days_pass(offset)

    def _stall(self, offset: int, reason: str | None) -> None:
        sale = self.fresh()
        stall_reason = self.stall_reasons[reason]
        reopen_date = self.today() + dt.timedelta(days=offset)
        accepted = self.effectively_open(sale) and offset > 0 and reason == "active"
        after = self.attempt(
            accepted,
            lambda: services.sale_stall(
                actor=self.user,
                sale=sale,
                reopen_date=reopen_date,
                stall_reason=stall_reason,
                expected_version=self.version,
            ),
        )
        if after is not None:
            assert (after.status, after.reopen_date, after.phase_id) == (SaleStatus.STALLED, reopen_date, sale.phase_id)

    @rule()
    def reopen(self) -> None:
        sale = self.fresh()
        was_completed = sale.is_completed
        before_closing = (
            PhaseRecord.objects.filter(sale=sale).exclude(phase__kind=Phase.Kind.CLOSING).order_by("-id").first()
        )
        records_before = PhaseRecord.objects.filter(sale=sale).count()
        after = self.attempt(
            sale.status != SaleStatus.OPEN,
            lambda: services.sale_reopen(actor=self.user, sale=sale, expected_version=self.version),
        )
        if after is None:
            return
        assert after.status == SaleStatus.OPEN
        assert (after.closed_date, after.close_reason_id, after.reopen_date) == (None, None, None)
        if was_completed:
            assert before_closing is not None
            assert after.phase_id == before_closing.phase_id
            assert PhaseRecord.objects.filter(sale=sale).count() == records_before + 1
        else:
            assert after.phase_id == sale.phase_id
            assert PhaseRecord.objects.filter(sale=sale).count() == records_before
        assert AuditEvent.objects.filter(object_type="sale", object_id=sale.pk, message="reopen").exists()

    @rule(days=st.integers(min_value=1, max_value=4))
    def days_pass(self, days: int) -> None:
        """Time passes and the daily job has not run (yet): a stalled sale may now read as open."""
        before = self.snapshot()
        CLOCK.offset += dt.timedelta(days=days)
        assert self.snapshot() == before
        sale = self.fresh()
        assert (sale.effective_status == SaleStatus.OPEN) == self.effectively_open(sale)

    @rule(days=st.integers(min_value=0, max_value=4))
    def reopen_due(self, days: int) -> None:
        CLOCK.offset += dt.timedelta(days=days)
        sale = self.fresh()
        due = sale.status == SaleStatus.STALLED and sale.reopen_date is not None and sale.reopen_date <= self.today()
        before = self.snapshot()
        assert services.sales_reopen_due() == (1 if due else 0)
        after = self.fresh()
        if due:
            assert after.status == SaleStatus.OPEN
            assert after.version > self.version
            self.version = after.version
        else:
            assert self.snapshot() == before

    @precondition(lambda self: self.version > 1)
    @rule(to=st.sampled_from(["qualified", "proposal", "won"]))
    def stale_move(self, to: str) -> None:
        """Someone else saved in between: refused, whatever the move would have been."""
        sale = self.fresh()
        self.attempt(
            False,
            lambda: services.sale_move_to_phase(
                actor=self.user,
                sale=sale,
                phase=self.phases[to],
                outcome=Outcome.WON,
                close_reason=self.reasons["either"],
                expected_version=self.version - 1,
            ),
        )

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def status_fits_phase(self) -> None:
        sale = self.fresh()
        assert sale.status in STATUSES
        if sale.status in (SaleStatus.SOLD, SaleStatus.LOST):
            assert sale.phase.is_closing
            assert sale.closed_date is not None
            assert sale.close_reason is not None
            assert sale.close_reason.fits(Outcome.WON if sale.status == SaleStatus.SOLD else Outcome.LOST)
        else:
            assert not sale.phase.is_closing
            assert sale.closed_date is None and sale.close_reason_id is None
        if sale.status == SaleStatus.STALLED:
            assert sale.reopen_date is not None and sale.stall_reason_id is not None
        else:
            assert sale.reopen_date is None and sale.stall_reason_id is None
        assert sale.version == self.version

    @invariant()
    def running_totals_count_the_sale_where_it_is(self) -> None:
        """The trigger-kept totals hold this one sale, once, under its current phase and status."""
        sale = self.fresh()
        rows = {(t.phase_id, t.status): t.sales for t in SaleTotal.objects.filter(pipeline_id=self.pipeline.pk)}
        assert {key: n for key, n in rows.items() if n} == {(sale.phase_id, sale.status): 1}

    @invariant()
    def monthly_totals_match_the_sales(self) -> None:
        """The trigger-kept monthly totals (closed month, expected month and category) agree
        with the sales, whatever the step did to status, dates, probability or reasons."""
        assert kept_months() == counted_months()

    @invariant()
    def one_current_record_ladder_in_order(self) -> None:
        sale = self.fresh()
        recs = list(PhaseRecord.objects.filter(sale=sale).order_by("id"))
        current = [r for r in recs if r.left_at is None]
        assert len(current) == 1
        assert current[0] is recs[-1]
        assert current[0].phase_id == sale.phase_id
        assert current[0].status == sale.status
        assert current[0].entered_at == max(r.entered_at for r in recs)
        for earlier, later in zip(recs, recs[1:], strict=False):
            assert earlier.entered_at < later.entered_at
            assert earlier.left_at == later.entered_at
        assert [r.pk for r in PhaseRecord.objects.filter(sale=sale)] == [r.pk for r in recs]  # default ordering


def test_sale_state_machine(db: Any) -> None:
    SaleMachine.user = UserFactory(username="machine")
    with mock.patch("django.utils.timezone.now", CLOCK.now):
        run_state_machine_as_test(
            SaleMachine,
            settings=settings(
                max_examples=int(os.environ.get("SALE_MACHINE_EXAMPLES", "30")),
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            ),
        )


@pytest.mark.parametrize("days_ahead", [1, 3])
def test_clock_moves_today_for_services_and_models(db: Any, days_ahead: int) -> None:
    """The fake clock is what the machine relies on: check that it really moves 'today'."""
    with mock.patch("django.utils.timezone.now", CLOCK.now):
        CLOCK.reset()
        start = timezone.localdate()
        CLOCK.offset += dt.timedelta(days=days_ahead)
        assert timezone.localdate() == start + dt.timedelta(days=days_ahead)
    CLOCK.reset()
