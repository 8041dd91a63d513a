"""The sale rules of PRODUCT.md ("Rules a user will hit"), one service at a time.

Given/when/then, against the real database: no mocks of our own code. A refused action is
checked twice: it says why (a ValidationError naming the field), and nothing changed
(the rows are re-read from the database).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealflow.audit.models import AuditEvent
from dealflow.core.models import SiteSettings
from dealflow.core.services import StaleVersion
from dealflow.relations import services as relations
from dealflow.relations.models import Company
from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory, PersonFactory
from dealflow.sales import services
from dealflow.sales.models import (
    CloseReason,
    Competitor,
    Outcome,
    Phase,
    PhaseRecord,
    Pipeline,
    Sale,
    SaleStatus,
    StallReason,
)
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    CompetitorFactory,
    GuideStepFactory,
    SaleFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


# --- helpers and fixtures ------------------------------------------------------------------


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def records(sale: Sale) -> list[PhaseRecord]:
    return list(PhaseRecord.objects.filter(sale=sale).order_by("entered_at", "id"))


def events_for(obj: Any, message: str | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(object_type=obj._meta.model_name, object_id=obj.pk).order_by("id")
    if message is not None:
        qs = qs.filter(message=message)
    return list(qs)


def state_of(sale: Sale) -> dict[str, Any]:
    """Everything a refused action must leave alone, re-read from the database."""
    row = Sale.objects.filter(pk=sale.pk).values().get()
    recs = list(PhaseRecord.objects.filter(sale_id=sale.pk).order_by("id").values())
    audit = AuditEvent.objects.filter(object_type="sale", object_id=sale.pk).count()
    company = Company.objects.filter(pk=row["company_id"]).values("account_type_id", "version").first()
    return {"sale": row, "records": recs, "audit": audit, "company": company}


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    err = exc.value
    if hasattr(err, "error_dict"):
        return " ".join(m for msgs in err.message_dict.values() for m in msgs)
    return " ".join(err.messages)


@pytest.fixture
def pipeline(db: Any) -> Pipeline:
    return pipeline_with_phases()


@pytest.fixture
def ph(pipeline: Pipeline) -> dict[str, Phase]:
    return phases_of(pipeline)


@pytest.fixture
def won_reason(db: Any) -> CloseReason:
    return CloseReasonFactory(code="price", name="Best price", outcome=Outcome.WON)


@pytest.fixture
def lost_reason(db: Any) -> CloseReason:
    return CloseReasonFactory(code="too-expensive", name="Too expensive", outcome=Outcome.LOST)


@pytest.fixture
def either_reason(db: Any) -> CloseReason:
    return CloseReasonFactory(code="timing", name="Timing", outcome=Outcome.EITHER)


@pytest.fixture
def stall_reason(db: Any) -> StallReason:
    return StallReasonFactory(name="Budget frozen")


@pytest.fixture
def sale(pipeline: Pipeline, salesperson: Any) -> Sale:
    return SaleFactory(pipeline=pipeline, owner=salesperson, title="Solar panels", amount=Decimal("1000.00"))


def close(sale: Sale, actor: Any, reason: CloseReason, outcome: str = Outcome.WON, **kwargs: Any) -> Sale:
    return services.sale_close(actor=actor, sale=sale, outcome=outcome, close_reason=reason, **kwargs)


# --- create --------------------------------------------------------------------------------


def test_create_starts_in_initial_phase_with_its_probability_and_one_record(pipeline, ph, salesperson):
    sale = services.sale_create(
        actor=salesperson,
        data={"title": "Heat pump", "pipeline": pipeline, "amount": Decimal("2500"), "score": 40},
    )

    sale.refresh_from_db()
    assert sale.phase == ph["lead"]
    assert sale.status == SaleStatus.OPEN
    assert sale.probability == 10
    assert sale.probability_overridden is False
    assert sale.owner == salesperson
    assert sale.version == 1
    [record] = records(sale)
    assert record.phase == ph["lead"]
    assert record.left_at is None
    assert record.moved_by == salesperson
    assert record.score == 40
    assert record.expected_value == Decimal("2500.00")
    assert record.status == SaleStatus.OPEN
    [event] = events_for(sale)
    assert event.action == "create"
    assert event.changes["title"] == [None, "Heat pump"]


def test_create_uses_pipeline_of_company_account_type(salesperson):
    other = pipeline_with_phases()  # first active pipeline: the fallback
    install = pipeline_with_phases(name="Installations")
    lead = AccountTypeFactory(code="lead", uses_lead_phases=True, pipeline=install)
    company = CompanyFactory(owner=salesperson, account_type=lead)

    sale = services.sale_create(actor=salesperson, data={"title": "Roof", "company": company})

    assert sale.pipeline == install != other
    assert sale.phase == phases_of(install)["lead"]


def test_create_with_explicit_probability_marks_it_overridden(pipeline, salesperson):
    sale = services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "probability": 45})
    assert (sale.probability, sale.probability_overridden) == (45, True)


@pytest.mark.parametrize("title", ["", "   "])
def test_create_requires_a_title(pipeline, salesperson, title):
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": title, "pipeline": pipeline})
    assert "title" in exc.value.message_dict
    assert not Sale.objects.exists()
    assert not PhaseRecord.objects.exists()


@pytest.mark.parametrize("score", [0, 101])
def test_create_refuses_score_outside_1_to_100(pipeline, salesperson, score):
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "score": score})
    assert "score" in exc.value.message_dict
    assert not Sale.objects.exists()


@pytest.mark.parametrize("score", [1, 100])
def test_create_accepts_score_bounds(pipeline, salesperson, score):
    assert (
        services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "score": score}).score
        == score
    )


@pytest.mark.parametrize("field", ["amount", "recurring_value", "total_cost"])
def test_create_refuses_negative_money(pipeline, salesperson, field):
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, field: Decimal("-0.01")})
    assert field in exc.value.message_dict
    assert not Sale.objects.exists()


def test_create_refuses_probability_over_100(pipeline, salesperson):
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "probability": 120})
    assert "probability" in exc.value.message_dict
    assert not Sale.objects.exists()


def test_create_cannot_start_in_a_closing_phase(pipeline, ph, salesperson):
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "phase": ph["closing"]})
    assert "closing phase" in messages(exc)
    assert not Sale.objects.exists()


def test_create_in_a_chosen_regular_phase(pipeline, ph, salesperson):
    sale = services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "phase": ph["proposal"]})
    assert (sale.phase, sale.probability) == (ph["proposal"], 60)
    assert [r.phase for r in records(sale)] == [ph["proposal"]]


def test_create_refuses_a_phase_of_another_pipeline(pipeline, salesperson):
    foreign = phases_of(pipeline_with_phases())["qualified"]
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "phase": foreign})
    assert "another sale type" in messages(exc)
    assert not Sale.objects.exists()


def test_create_without_any_pipeline_says_so(salesperson):
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": "X"})
    assert "pipeline" in exc.value.message_dict
    assert "Set up a sale type" in messages(exc)


def test_create_for_someone_outside_my_teams_is_refused(pipeline, salesperson, outsider):
    with pytest.raises(ValidationError) as exc:
        services.sale_create(actor=salesperson, data={"title": "X", "pipeline": pipeline, "owner": outsider})
    assert "owner" in exc.value.message_dict


def test_create_ignores_status_and_phase_companions(pipeline, ph, salesperson, won_reason):
    sale = services.sale_create(
        actor=salesperson,
        data={"title": "X", "pipeline": pipeline, "status": SaleStatus.SOLD, "close_reason": won_reason},
    )
    sale.refresh_from_db()
    assert (sale.status, sale.close_reason, sale.phase) == (SaleStatus.OPEN, None, ph["lead"])


# --- edit ----------------------------------------------------------------------------------


def test_update_bumps_version_and_audits_old_and_new(sale, salesperson):
    services.sale_update(actor=salesperson, sale=sale, data={"title": "Solar roof"}, expected_version=1)
    sale.refresh_from_db()
    assert (sale.title, sale.version) == ("Solar roof", 2)
    event = events_for(sale)[-1]
    assert event.changes["title"] == ["Solar panels", "Solar roof"]
    assert event.changes["version"] == [1, 2]


def test_update_refuses_phase_and_status(sale, ph, salesperson):
    with pytest.raises(ValidationError) as exc:
        services.sale_update(actor=salesperson, sale=sale, data={"phase": ph["proposal"], "status": "sold"})
    assert set(exc.value.message_dict) == {"phase", "status"}


def test_update_score_and_values_follow_into_current_record(sale, salesperson):
    services.sale_update(actor=salesperson, sale=sale, data={"score": 80, "amount": Decimal("1500")})
    [record] = records(sale)
    assert (record.score, record.expected_value) == (80, Decimal("1500.00"))


def test_saving_the_same_amount_written_differently_changes_nothing(sale, salesperson):
    services.sale_update(actor=salesperson, sale=sale, data={"amount": Decimal("1000"), "title": "Solar panels"})
    sale.refresh_from_db()
    assert sale.version == 1
    assert [e.action for e in events_for(sale)] == ["create"]


def test_update_probability_none_falls_back_to_phase_default(sale, salesperson):
    services.sale_update(actor=salesperson, sale=sale, data={"probability": 55})
    sale.refresh_from_db()
    assert (sale.probability, sale.probability_overridden) == (55, True)
    services.sale_update(actor=salesperson, sale=sale, data={"probability": None})
    sale.refresh_from_db()
    assert (sale.probability, sale.probability_overridden) == (10, False)


def test_update_pipeline_moves_open_sale_to_new_initial_phase(sale, salesperson):
    other = pipeline_with_phases(
        [("intake", "Intake", Phase.Kind.INITIAL, 5), ("done", "Done", Phase.Kind.CLOSING, 100)]
    )

    services.sale_update(actor=salesperson, sale=sale, data={"pipeline": other})

    sale.refresh_from_db()
    assert (sale.pipeline, sale.phase.code, sale.probability) == (other, "intake", 5)
    first, second = records(sale)
    assert first.left_at is not None and second.left_at is None
    assert second.phase.code == "intake"


def test_record_phase_values_captures_values_in_current_phase(sale, ph, salesperson):
    services.sale_record_phase_values(
        actor=salesperson, sale=sale, score=70, expected_value=Decimal("900"), recurring_value=Decimal("25")
    )
    sale.refresh_from_db()
    assert (sale.score, sale.amount, sale.recurring_value) == (70, Decimal("900.00"), Decimal("25.00"))
    [record] = records(sale)
    assert (record.phase, record.score, record.expected_value, record.recurring_value) == (
        ph["lead"],
        70,
        Decimal("900.00"),
        Decimal("25.00"),
    )


def test_record_phase_values_refused_on_a_closed_sale(sale, salesperson, won_reason):
    close(sale, salesperson, won_reason)
    before = state_of(sale)
    with pytest.raises(ValidationError):
        services.sale_record_phase_values(actor=salesperson, sale=sale, score=70)
    assert state_of(sale) == before


# --- moving --------------------------------------------------------------------------------


def test_move_writes_a_record_and_captures_values(sale, ph, salesperson, teammate):
    services.sale_move_to_phase(
        actor=teammate,
        sale=sale,
        phase=ph["qualified"],
        score=65,
        expected_value=Decimal("1200"),
        recurring_value=Decimal("30"),
    )

    sale.refresh_from_db()
    assert sale.phase == ph["qualified"]
    assert sale.probability == 30
    assert (sale.score, sale.amount, sale.recurring_value) == (65, Decimal("1200.00"), Decimal("30.00"))
    lead, qualified = records(sale)
    # The values were entered for the phase being completed, and carried into the next.
    assert (lead.phase, lead.score, lead.expected_value, lead.recurring_value) == (
        ph["lead"],
        65,
        Decimal("1200.00"),
        Decimal("30.00"),
    )
    assert lead.left_at is not None
    assert lead.left_at == qualified.entered_at
    assert qualified.phase == ph["qualified"]
    assert qualified.left_at is None
    assert qualified.moved_by == teammate
    assert (qualified.score, qualified.expected_value, qualified.recurring_value) == (
        65,
        Decimal("1200.00"),
        Decimal("30.00"),
    )
    assert abs(sale.phase_entered_at - qualified.entered_at) < dt.timedelta(seconds=1)
    [event] = events_for(sale, "phase")
    assert event.changes["phase"] == ["Lead", "Qualified"]
    assert event.actor == teammate


def test_move_backwards_is_allowed_and_recorded(sale, ph, salesperson):
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["proposal"])
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])
    assert [r.phase.code for r in records(sale)] == ["lead", "proposal", "qualified"]
    assert [r.left_at is None for r in records(sale)] == [False, False, True]


def test_probability_follows_phase_unless_overridden(sale, ph, salesperson):
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])
    sale.refresh_from_db()
    assert sale.probability == 30

    services.sale_update(actor=salesperson, sale=sale, data={"probability": 45})
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["proposal"])
    sale.refresh_from_db()
    assert (sale.probability, sale.probability_overridden) == (45, True)


@pytest.mark.parametrize("status", [SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.STALLED])
def test_only_open_sales_change_phase(sale, ph, salesperson, either_reason, stall_reason, status):
    if status == SaleStatus.STALLED:
        services.sale_stall(actor=salesperson, sale=sale, reopen_date=days(7), stall_reason=stall_reason)
    else:
        close(sale, salesperson, either_reason, Outcome.WON if status == SaleStatus.SOLD else Outcome.LOST)
    before = state_of(sale)

    with pytest.raises(ValidationError) as exc:
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])

    assert "Only open sales can change phase" in messages(exc)
    assert f"“{status.label}”" in messages(exc)
    assert state_of(sale) == before


def test_move_to_phase_of_another_pipeline_refused(sale, salesperson):
    foreign = phases_of(pipeline_with_phases())["qualified"]
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=foreign)
    assert "another sale type" in messages(exc)
    assert state_of(sale) == before


def test_move_to_same_or_inactive_phase_refused(sale, ph, salesperson):
    Phase.objects.filter(pk=ph["qualified"].pk).update(is_active=False)
    ph["qualified"].refresh_from_db()
    before = state_of(sale)
    with pytest.raises(ValidationError, match="already in this phase"):
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["lead"])
    with pytest.raises(ValidationError, match="no longer in use"):
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])
    assert state_of(sale) == before


def test_move_with_invalid_score_changes_nothing(sale, ph, salesperson):
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"], score=101)
    assert "score" in exc.value.message_dict
    assert state_of(sale) == before


# --- closing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "use_reason", "field"),
    [(None, True, "outcome"), ("maybe", True, "outcome"), (Outcome.WON, False, "close_reason")],
)
def test_closing_needs_outcome_and_reason(sale, ph, salesperson, either_reason, outcome, use_reason, field):
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        services.sale_move_to_phase(
            actor=salesperson,
            sale=sale,
            phase=ph["closing"],
            outcome=outcome,
            close_reason=either_reason if use_reason else None,
        )
    assert field in exc.value.message_dict
    assert state_of(sale) == before


@pytest.mark.parametrize(("outcome", "reason_outcome"), [(Outcome.WON, Outcome.LOST), (Outcome.LOST, Outcome.WON)])
def test_closing_reason_must_fit_the_outcome(sale, salesperson, outcome, reason_outcome):
    reason = CloseReasonFactory(code="only", name="Only this way", outcome=reason_outcome)
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        close(sale, salesperson, reason, outcome)
    assert "does not fit" in exc.value.message_dict["close_reason"][0]
    assert state_of(sale) == before


def test_won_sale_is_sold_today_at_100_percent(sale, ph, salesperson, won_reason):
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["proposal"])
    close(sale, salesperson, won_reason, Outcome.WON)

    sale.refresh_from_db()
    assert sale.status == SaleStatus.SOLD
    assert sale.is_completed
    assert sale.phase == ph["closing"]
    assert sale.closed_date == today()
    assert sale.close_reason == won_reason
    assert sale.probability == 100
    last = records(sale)[-1]
    assert (last.phase, last.status, last.left_at) == (ph["closing"], SaleStatus.SOLD, None)
    event = events_for(sale, "phase")[-1]
    assert event.changes["status"] == ["open", "sold"]
    assert event.changes["close_reason"] == ["", "Best price"]
    assert event.changes["closed_date"] == [None, today().isoformat()]


def test_lost_sale_with_competitor_and_date(sale, ph, salesperson, lost_reason):
    rival = CompetitorFactory(name="Rival BV")
    closed = days(-3)
    services.sale_move_to_phase(
        actor=salesperson,
        sale=sale,
        phase=ph["closing"],
        outcome=Outcome.LOST,
        close_reason=lost_reason,
        competitor=rival,
        closed_date=closed,
    )
    sale.refresh_from_db()
    assert (sale.status, sale.competitor, sale.closed_date, sale.probability) == (SaleStatus.LOST, rival, closed, 0)
    assert events_for(sale, "phase")[-1].changes["competitor"] == ["", "Rival BV"]


def test_either_reason_fits_both_outcomes(pipeline, salesperson, either_reason):
    won = SaleFactory(pipeline=pipeline, owner=salesperson)
    lost = SaleFactory(pipeline=pipeline, owner=salesperson)
    close(won, salesperson, either_reason, Outcome.WON)
    close(lost, salesperson, either_reason, Outcome.LOST)
    assert Sale.objects.get(pk=won.pk).status == SaleStatus.SOLD
    assert Sale.objects.get(pk=lost.pk).status == SaleStatus.LOST


def test_inactive_reason_or_competitor_refused(sale, salesperson, won_reason):
    old_rival = CompetitorFactory(name="Gone BV", is_active=False)
    old_reason = CloseReasonFactory(code="old", outcome=Outcome.EITHER, is_active=False)
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        close(sale, salesperson, old_reason)
    assert "close_reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        close(sale, salesperson, won_reason, competitor=old_rival)
    assert "competitor" in exc.value.message_dict
    assert state_of(sale) == before


def test_won_converts_company_account_type(pipeline, salesperson, won_reason):
    customer = AccountTypeFactory(code="customer", name="Customer")
    lead_type = AccountTypeFactory(
        code="lead", name="Lead", uses_lead_phases=True, pipeline=pipeline, won_account_type=customer
    )
    company = CompanyFactory(owner=salesperson, account_type=lead_type)
    sale = SaleFactory(pipeline=pipeline, owner=salesperson, company=company)

    close(sale, salesperson, won_reason, Outcome.WON)

    company.refresh_from_db()
    assert company.account_type == customer
    assert company.version == 2
    [event] = [e for e in events_for(company) if e.action == "update"]
    assert event.changes["account_type"] == ["Lead", "Customer"]


def test_lost_keeps_company_account_type(pipeline, salesperson, lost_reason):
    customer = AccountTypeFactory(code="customer")
    lead_type = AccountTypeFactory(code="lead", uses_lead_phases=True, pipeline=pipeline, won_account_type=customer)
    company = CompanyFactory(owner=salesperson, account_type=lead_type)
    sale = SaleFactory(pipeline=pipeline, owner=salesperson, company=company)
    close(sale, salesperson, lost_reason, Outcome.LOST)
    company.refresh_from_db()
    assert company.account_type == lead_type


def test_refused_close_does_not_convert_account_type(pipeline, salesperson, lost_reason):
    customer = AccountTypeFactory(code="customer")
    lead_type = AccountTypeFactory(code="lead", uses_lead_phases=True, pipeline=pipeline, won_account_type=customer)
    company = CompanyFactory(owner=salesperson, account_type=lead_type)
    sale = SaleFactory(pipeline=pipeline, owner=salesperson, company=company)
    before = state_of(sale)
    with pytest.raises(ValidationError):
        close(sale, salesperson, lost_reason, Outcome.WON)
    assert state_of(sale) == before


def test_close_picks_the_closing_phase_and_refuses_a_regular_one(sale, ph, salesperson, won_reason):
    with pytest.raises(ValidationError, match="closing phase"):
        close(sale, salesperson, won_reason, phase=ph["proposal"])
    close(sale, salesperson, won_reason)
    assert Sale.objects.get(pk=sale.pk).phase == ph["closing"]


# --- stall ---------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [None, 0, -1, -30])
def test_stall_needs_a_future_reopen_date(sale, salesperson, stall_reason, offset):
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        services.sale_stall(
            actor=salesperson,
            sale=sale,
            reopen_date=None if offset is None else days(offset),
            stall_reason=stall_reason,
        )
    assert "reopen_date" in exc.value.message_dict
    assert state_of(sale) == before


def test_stall_needs_an_active_reason(sale, salesperson):
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        services.sale_stall(actor=salesperson, sale=sale, reopen_date=days(5), stall_reason=None)
    assert "stall_reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.sale_stall(
            actor=salesperson, sale=sale, reopen_date=days(5), stall_reason=StallReasonFactory(is_active=False)
        )
    assert "stall_reason" in exc.value.message_dict
    assert state_of(sale) == before


def test_stall_marks_sale_and_its_record(sale, salesperson, stall_reason):
    services.sale_stall(actor=salesperson, sale=sale, reopen_date=days(1), stall_reason=stall_reason)
    sale.refresh_from_db()
    assert (sale.status, sale.reopen_date, sale.stall_reason, sale.version) == (
        SaleStatus.STALLED,
        days(1),
        stall_reason,
        2,
    )
    assert sale.effective_status == SaleStatus.STALLED
    [record] = records(sale)
    assert (record.status, record.left_at) == (SaleStatus.STALLED, None)
    assert events_for(sale, "stall")[-1].changes["status"] == ["open", "stalled"]


def test_completed_sale_cannot_stall(sale, salesperson, won_reason, stall_reason):
    close(sale, salesperson, won_reason)
    before = state_of(sale)
    with pytest.raises(ValidationError) as exc:
        services.sale_stall(actor=salesperson, sale=sale, reopen_date=days(5), stall_reason=stall_reason)
    assert "status" in exc.value.message_dict
    assert state_of(sale) == before


def test_sales_reopen_due_reopens_only_those_whose_date_came(pipeline, salesperson, stall_reason):
    soon = SaleFactory(pipeline=pipeline, owner=salesperson)
    later = SaleFactory(pipeline=pipeline, owner=salesperson)
    services.sale_stall(actor=salesperson, sale=soon, reopen_date=days(1), stall_reason=stall_reason)
    services.sale_stall(actor=salesperson, sale=later, reopen_date=days(5), stall_reason=stall_reason)

    assert services.sales_reopen_due(today=today()) == 0
    assert services.sales_reopen_due(today=days(1)) == 1

    soon.refresh_from_db()
    later.refresh_from_db()
    assert (soon.status, soon.reopen_date, soon.stall_reason) == (SaleStatus.OPEN, None, None)
    assert soon.version == 3
    assert records(soon)[-1].status == SaleStatus.OPEN
    assert events_for(soon, "reopen")[-1].actor is None
    assert later.status == SaleStatus.STALLED
    assert services.sales_reopen_due(today=days(1)) == 0


def test_stalled_sale_past_its_reopen_date_reads_open_and_can_move(sale, ph, salesperson, stall_reason):
    services.sale_stall(actor=salesperson, sale=sale, reopen_date=days(2), stall_reason=stall_reason)
    Sale.objects.filter(pk=sale.pk).update(reopen_date=days(-1))  # time passed; the daily job did not run yet
    sale.refresh_from_db()
    assert sale.status == SaleStatus.STALLED
    assert sale.effective_status == SaleStatus.OPEN

    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])

    sale.refresh_from_db()
    assert (sale.status, sale.phase, sale.reopen_date, sale.stall_reason) == (
        SaleStatus.OPEN,
        ph["qualified"],
        None,
        None,
    )
    assert [r.status for r in records(sale)] == [SaleStatus.OPEN, SaleStatus.OPEN]


# --- reopen --------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", [Outcome.WON, Outcome.LOST])
def test_reopen_completed_sale_goes_back_to_phase_before_closing(sale, ph, salesperson, either_reason, outcome):
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["proposal"])
    close(sale, salesperson, either_reason, outcome)

    services.sale_reopen(actor=salesperson, sale=sale)

    sale.refresh_from_db()
    assert sale.status == SaleStatus.OPEN
    assert sale.phase == ph["proposal"]
    assert (sale.close_reason, sale.closed_date) == (None, None)
    assert sale.probability == 60  # the phase's default again, not the 100 % / 0 % of closing
    assert [(r.phase.code, r.status) for r in records(sale)] == [
        ("lead", "open"),
        ("proposal", "open"),
        ("closing", "sold" if outcome == Outcome.WON else "lost"),
        ("proposal", "open"),
    ]
    assert [r.left_at is None for r in records(sale)] == [False, False, False, True]
    [event] = events_for(sale, "reopen")
    assert event.actor == salesperson
    assert event.changes["status"][1] == "open"
    assert event.changes["phase"] == ["Closing", "Proposal"]


def test_reopen_keeps_an_overridden_probability_from_being_stuck_at_100(sale, ph, salesperson, won_reason):
    services.sale_update(actor=salesperson, sale=sale, data={"probability": 45})
    close(sale, salesperson, won_reason)
    services.sale_reopen(actor=salesperson, sale=sale)
    sale.refresh_from_db()
    assert sale.probability != 100
    assert sale.probability == ph["lead"].probability


def test_reopen_open_sale_refused(sale, salesperson):
    before = state_of(sale)
    with pytest.raises(ValidationError, match="already open"):
        services.sale_reopen(actor=salesperson, sale=sale)
    assert state_of(sale) == before


def test_reopen_stalled_sale(sale, salesperson, stall_reason):
    services.sale_stall(actor=salesperson, sale=sale, reopen_date=days(10), stall_reason=stall_reason)
    services.sale_reopen(actor=salesperson, sale=sale)
    sale.refresh_from_db()
    assert (sale.status, sale.reopen_date, sale.stall_reason) == (SaleStatus.OPEN, None, None)
    assert len(records(sale)) == 1


def test_reopened_sale_can_be_closed_again(sale, salesperson, won_reason, lost_reason):
    close(sale, salesperson, won_reason)
    services.sale_reopen(actor=salesperson, sale=sale)
    close(sale, salesperson, lost_reason, Outcome.LOST)
    sale.refresh_from_db()
    assert (sale.status, sale.close_reason) == (SaleStatus.LOST, lost_reason)


# --- two people editing the same sale ------------------------------------------------------


def test_update_with_old_version_is_refused_with_what_changed(sale, salesperson, teammate):
    stale = Sale.objects.get(pk=sale.pk)
    services.sale_update(
        actor=teammate, sale=sale, data={"title": "Solar roof", "amount": Decimal("5")}, expected_version=1
    )
    before = state_of(sale)

    with pytest.raises(StaleVersion) as exc:
        services.sale_update(actor=salesperson, sale=stale, data={"note": "mine"}, expected_version=1)

    assert exc.value.changes["title"] == ["Solar panels", "Solar roof"]
    assert exc.value.changes["amount"] == ["1000.00", "5.00"]
    assert exc.value.current.version == 2
    assert state_of(sale) == before


def test_move_with_old_version_is_refused_with_what_changed(sale, ph, salesperson, teammate):
    services.sale_move_to_phase(actor=teammate, sale=sale, phase=ph["qualified"], expected_version=1)
    before = state_of(sale)

    with pytest.raises(StaleVersion) as exc:
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["proposal"], expected_version=1)

    assert exc.value.changes["phase"] == ["Lead", "Qualified"]
    assert state_of(sale) == before


def test_close_and_stall_with_old_version_refused(sale, ph, salesperson, won_reason, stall_reason):
    services.sale_update(actor=salesperson, sale=sale, data={"title": "New"})
    before = state_of(sale)
    with pytest.raises(StaleVersion):
        close(sale, salesperson, won_reason, expected_version=1)
    with pytest.raises(StaleVersion):
        services.sale_stall(
            actor=salesperson, sale=sale, reopen_date=days(3), stall_reason=stall_reason, expected_version=1
        )
    with pytest.raises(StaleVersion):
        services.sale_record_phase_values(actor=salesperson, sale=sale, score=10, expected_version=1)
    assert state_of(sale) == before


def test_current_version_is_accepted(sale, ph, salesperson):
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"], expected_version=1)
    services.sale_update(actor=salesperson, sale=sale, data={"title": "Y"}, expected_version=2)
    assert Sale.objects.get(pk=sale.pk).version == 3


# --- profit maths --------------------------------------------------------------------------


def test_editing_cost_profit_or_percentage_recalculates_the_others(sale, salesperson):
    services.sale_update(actor=salesperson, sale=sale, data={"total_cost": Decimal("600")})
    sale.refresh_from_db()
    assert (sale.total_cost, sale.profit, sale.profit_pct) == (Decimal("600.00"), Decimal("400.00"), Decimal("40.00"))

    services.sale_update(actor=salesperson, sale=sale, data={"profit": Decimal("250")})
    sale.refresh_from_db()
    assert (sale.total_cost, sale.profit, sale.profit_pct) == (Decimal("750.00"), Decimal("250.00"), Decimal("25.00"))

    services.sale_update(actor=salesperson, sale=sale, data={"profit_pct": Decimal("10")})
    sale.refresh_from_db()
    assert (sale.total_cost, sale.profit, sale.profit_pct) == (Decimal("900.00"), Decimal("100.00"), Decimal("10.00"))

    # A form posts all three; only the one that differs counts as edited.
    services.sale_update(
        actor=salesperson,
        sale=sale,
        data={"total_cost": Decimal("900.00"), "profit": Decimal("300.00"), "profit_pct": Decimal("10.00")},
    )
    sale.refresh_from_db()
    assert (sale.total_cost, sale.profit, sale.profit_pct) == (Decimal("700.00"), Decimal("300.00"), Decimal("30.00"))

    services.sale_update(actor=salesperson, sale=sale, data={"amount": Decimal("2000")})
    sale.refresh_from_db()
    assert (sale.total_cost, sale.profit, sale.profit_pct) == (Decimal("700.00"), Decimal("1300.00"), Decimal("65.00"))


def test_create_with_cost_fills_profit(pipeline, salesperson):
    sale = services.sale_create(
        actor=salesperson,
        data={"title": "X", "pipeline": pipeline, "amount": Decimal("200"), "total_cost": Decimal("50")},
    )
    assert (sale.profit, sale.profit_pct) == (Decimal("150.00"), Decimal("75.00"))


def test_profit_percentage_of_zero_amount_is_empty():
    assert services.recalculate_profit(
        amount=Decimal(0), total_cost=Decimal("10"), profit=None, profit_pct=None, changed="total_cost"
    ) == (Decimal("10.00"), Decimal("-10.00"), None)


money = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("9999999.99"), places=2, allow_nan=False, allow_infinity=False
)
percent = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=money, cost=money, profit=money, pct=percent, changed=st.sampled_from(["total_cost", "profit", "profit_pct"])
)
def test_profit_maths_adds_up(amount, cost, profit, pct, changed):
    total_cost, new_profit, profit_pct = services.recalculate_profit(
        amount=amount, total_cost=cost, profit=profit, profit_pct=pct, changed=changed
    )
    for value in (total_cost, new_profit, profit_pct):
        assert value is None or value == value.quantize(CENT)
    # cost + profit is the amount, to the cent, whichever one was edited
    assert total_cost + new_profit == amount
    if changed == "total_cost":
        assert total_cost == cost
    elif changed == "profit":
        assert new_profit == profit
    else:
        assert profit_pct == pct
        assert new_profit == (amount * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount > 0:
        if changed != "profit_pct":
            assert profit_pct == (new_profit / amount * 100).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            # the percentage the user typed stays; the profit is that share to the cent
            assert abs(new_profit / amount * 100 - profit_pct) <= Decimal("0.005") * 100 / amount + Decimal(
                "1e-20"
            )  # half a cent; the slack is Decimal division precision
    elif changed != "profit_pct":
        assert profit_pct is None


# --- exit rules of the sales guide ---------------------------------------------------------


def test_required_field_blocks_leaving_the_phase_until_filled(sale, ph, salesperson):
    Phase.objects.filter(pk=ph["lead"].pk).update(exit_required_fields=["sale_date"])
    before = state_of(sale)

    with pytest.raises(ValidationError) as exc:
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"], score=50)
    assert "sale_date" in exc.value.message_dict
    assert "Lead" in exc.value.message_dict["sale_date"][0]
    assert state_of(sale) == before  # the score given with the move was not kept either

    services.sale_update(actor=salesperson, sale=sale, data={"sale_date": days(30)})
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])
    assert Sale.objects.get(pk=sale.pk).phase == ph["qualified"]


def test_required_field_also_blocks_closing(sale, ph, salesperson, won_reason):
    Phase.objects.filter(pk=ph["lead"].pk).update(exit_required_fields=["score", "custom.po_number"])
    with pytest.raises(ValidationError) as exc:
        close(sale, salesperson, won_reason)
    assert set(exc.value.message_dict) == {"score", "po_number"}
    services.sale_update(actor=salesperson, sale=sale, data={"score": 90, "custom": {"po_number": "PO-1"}})
    close(sale, salesperson, won_reason)
    assert Sale.objects.get(pk=sale.pk).status == SaleStatus.SOLD


def test_guide_follow_ups_must_be_ticked_before_leaving(sale, ph, salesperson):
    Phase.objects.filter(pk=ph["lead"].pk).update(exit_requires_guide_done=True)
    call = GuideStepFactory(phase=ph["lead"], text="Call the buyer")
    mail = GuideStepFactory(phase=ph["lead"], text="Send brochure", activity_type="email")
    GuideStepFactory(phase=ph["lead"], kind="document", text="Reference list")  # documents do not block
    GuideStepFactory(phase=ph["qualified"], text="Visit")  # another phase's steps do not block

    with pytest.raises(ValidationError, match="Tick off every follow-up"):
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])

    services.guide_step_toggle(actor=salesperson, sale=sale, step=call, done=True)
    with pytest.raises(ValidationError):
        services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])

    services.guide_step_toggle(actor=salesperson, sale=sale, step=mail, done=True)
    services.guide_step_toggle(actor=salesperson, sale=sale, step=mail, done=True)  # twice is harmless
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])
    assert Sale.objects.get(pk=sale.pk).phase == ph["qualified"]


def test_ticks_of_another_sale_do_not_count(pipeline, ph, salesperson):
    Phase.objects.filter(pk=ph["lead"].pk).update(exit_requires_guide_done=True)
    step = GuideStepFactory(phase=ph["lead"])
    mine = SaleFactory(pipeline=pipeline, owner=salesperson)
    other = SaleFactory(pipeline=pipeline, owner=salesperson)
    services.guide_step_toggle(actor=salesperson, sale=other, step=step, done=True)
    with pytest.raises(ValidationError):
        services.sale_move_to_phase(actor=salesperson, sale=mine, phase=ph["qualified"])
    services.guide_step_toggle(actor=salesperson, sale=other, step=step, done=False)
    assert not other.guide_ticks.exists()


def test_guide_step_of_another_pipeline_refused(sale, salesperson):
    foreign = GuideStepFactory(phase=phases_of(pipeline_with_phases())["lead"])
    with pytest.raises(ValidationError, match="another sale type"):
        services.guide_step_toggle(actor=salesperson, sale=sale, step=foreign, done=True)


# --- pipelines, phases and lookups ---------------------------------------------------------

PHASES = [
    {"code": "lead", "name": "Lead", "kind": Phase.Kind.INITIAL, "probability": 10},
    {"code": "offer", "name": "Offer", "kind": Phase.Kind.REGULAR, "probability": 50},
    {"code": "won", "name": "Won", "kind": Phase.Kind.CLOSING, "probability": 100},
]


def test_pipeline_save_creates_phases_in_order(admin_user):
    pipeline = services.pipeline_save(
        actor=admin_user, pipeline=None, data={"code": "install", "name": "Install"}, phases=PHASES
    )
    assert [(p.code, p.order) for p in pipeline.phases.all()] == [("lead", 10), ("offer", 20), ("won", 30)]
    assert pipeline.initial_phase().code == "lead"


@pytest.mark.parametrize(
    ("kinds", "text"),
    [
        (["regular", "regular", "closing"], "exactly one initial"),
        (["initial", "initial", "closing"], "exactly one initial"),
        (["initial", "regular", "regular"], "at least one closing"),
    ],
)
def test_pipeline_save_needs_one_initial_and_a_closing_phase(admin_user, kinds, text):
    phases = [{**p, "kind": kind} for p, kind in zip(PHASES, kinds, strict=True)]
    with pytest.raises(ValidationError) as exc:
        services.pipeline_save(
            actor=admin_user, pipeline=None, data={"code": "install", "name": "Install"}, phases=phases
        )
    assert text in messages(exc)
    assert not Pipeline.objects.exists()
    assert not Phase.objects.exists()


def test_pipeline_save_refuses_duplicate_codes_and_bad_probability(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.pipeline_save(
            actor=admin_user,
            pipeline=None,
            data={"code": "x", "name": "X"},
            phases=[*PHASES, {"code": "won", "name": "Won again", "kind": "closing", "probability": 101}],
        )
    assert "phases.3.probability" in exc.value.message_dict
    assert not Pipeline.objects.exists()


def test_pipeline_check_counts_only_active_phases(pipeline, ph):
    services.pipeline_check(pipeline)
    Phase.objects.filter(pk=ph["closing"].pk).update(is_active=False)
    with pytest.raises(ValidationError, match="closing"):
        services.pipeline_check(pipeline)


def test_pipeline_save_deactivates_a_removed_phase_in_use_and_deletes_an_unused_one(
    pipeline, ph, admin_user, salesperson
):
    sale = SaleFactory(pipeline=pipeline, owner=salesperson)
    services.sale_move_to_phase(actor=salesperson, sale=sale, phase=ph["qualified"])
    # qualified is used now; lead has a record; proposal was never used
    keep = [
        {"id": ph["lead"].pk, "code": "lead", "name": "Lead", "kind": "initial", "probability": 10},
        {"id": ph["closing"].pk, "code": "closing", "name": "Closing", "kind": "closing", "probability": 100},
    ]

    services.pipeline_save(actor=admin_user, pipeline=pipeline, data={}, phases=keep)

    assert not Phase.objects.filter(pk=ph["proposal"].pk).exists()
    qualified = Phase.objects.get(pk=ph["qualified"].pk)
    assert qualified.is_active is False
    assert Sale.objects.get(pk=sale.pk).phase == qualified  # history intact


def test_replacing_an_initial_phase_in_use_makes_new_sales_start_in_the_new_one(pipeline, ph, admin_user, salesperson):
    SaleFactory(pipeline=pipeline, owner=salesperson)  # lead is in use
    new = [
        {"code": "intake", "name": "Intake", "kind": "initial", "probability": 5},
        {"id": ph["qualified"].pk, "code": "qualified", "name": "Qualified", "kind": "regular", "probability": 30},
        {"id": ph["closing"].pk, "code": "closing", "name": "Closing", "kind": "closing", "probability": 100},
    ]
    services.pipeline_save(actor=admin_user, pipeline=pipeline, data={}, phases=new)
    assert Phase.objects.get(pk=ph["lead"].pk).is_active is False

    sale = SaleFactory(pipeline=pipeline, owner=salesperson)
    assert sale.phase.code == "intake"


def test_phase_delete_refused_when_in_use(sale, ph, admin_user):
    with pytest.raises(ValidationError, match="Deactivate it instead"):
        services.phase_delete(actor=admin_user, phase=ph["lead"])
    assert Phase.objects.filter(pk=ph["lead"].pk).exists()


def test_phase_delete_of_unused_phase(pipeline, ph, admin_user):
    services.phase_delete(actor=admin_user, phase=ph["proposal"])
    assert set(phases_of(pipeline)) == {"lead", "qualified", "closing"}


def test_phase_delete_refused_when_pipeline_would_break(pipeline, ph, admin_user):
    pk = ph["closing"].pk
    with pytest.raises(ValidationError, match="at least one closing"):
        services.phase_delete(actor=admin_user, phase=ph["closing"])
    assert Phase.objects.filter(pk=pk).exists()


def test_phases_reorder(pipeline, ph, admin_user):
    order = [ph["lead"].pk, ph["proposal"].pk, ph["qualified"].pk, ph["closing"].pk]
    services.phases_reorder(actor=admin_user, pipeline=pipeline, phase_ids=order)
    assert [p.pk for p in pipeline.phases.all()] == order
    with pytest.raises(ValidationError):
        services.phases_reorder(actor=admin_user, pipeline=pipeline, phase_ids=order[:-1])


def test_pipeline_delete_refused_when_in_use(sale, pipeline, admin_user):
    with pytest.raises(ValidationError, match="Deactivate it instead"):
        services.pipeline_delete(actor=admin_user, pipeline=pipeline)


@pytest.mark.parametrize("kind", ["close_reason", "competitor", "stall_reason"])
def test_lookup_in_use_cannot_be_deleted_only_deactivated(sale, ph, salesperson, admin_user, kind):
    reason = CloseReasonFactory(code="fit", outcome=Outcome.EITHER)
    rival = CompetitorFactory(name="Rival")
    stall = StallReasonFactory(name="Holiday")
    if kind == "stall_reason":
        services.sale_stall(actor=salesperson, sale=sale, reopen_date=days(3), stall_reason=stall)
    else:
        close(sale, salesperson, reason, Outcome.LOST, competitor=rival)
    instance = {"close_reason": reason, "competitor": rival, "stall_reason": stall}[kind]

    with pytest.raises(ValidationError, match="Deactivate it instead"):
        services.lookup_delete(actor=admin_user, instance=instance)
    assert type(instance).objects.filter(pk=instance.pk).exists()

    services.lookup_save(actor=admin_user, model=type(instance), instance=instance, data={"is_active": False})
    instance.refresh_from_db()
    assert instance.is_active is False


def test_lookup_save_and_delete_unused(admin_user):
    first = services.lookup_save(actor=admin_user, model=Competitor, instance=None, data={"name": "A"})
    second = services.lookup_save(actor=admin_user, model=Competitor, instance=None, data={"name": "B"})
    assert second.order > first.order
    services.lookup_delete(actor=admin_user, instance=first)
    assert list(Competitor.objects.values_list("name", flat=True)) == ["B"]
    with pytest.raises(ValidationError):
        services.lookup_save(actor=admin_user, model=StallReason, instance=None, data={"name": " "})


# --- a company enters the funnel -----------------------------------------------------------


@pytest.fixture
def lead_type(pipeline: Pipeline) -> Any:
    return AccountTypeFactory(code="lead", name="Lead", uses_lead_phases=True, pipeline=pipeline)


def test_new_company_with_funnel_type_starts_one_sale(lead_type, ph, salesperson):
    company = relations.company_create(actor=salesperson, data={"name": "Acme", "account_type": lead_type})

    [sale] = Sale.objects.filter(company=company)
    assert (sale.title, sale.owner, sale.status, sale.phase) == ("Acme", salesperson, SaleStatus.OPEN, ph["lead"])
    assert len(records(sale)) == 1


def test_existing_company_given_funnel_type_starts_one_sale_not_twice(lead_type, ph, salesperson):
    prospect = AccountTypeFactory(code="prospect")
    company = relations.company_create(actor=salesperson, data={"name": "Acme", "account_type": prospect})
    assert not Sale.objects.filter(company=company).exists()

    company = relations.company_update(actor=salesperson, company=company, data={"account_type": lead_type})
    company = relations.company_update(actor=salesperson, company=company, data={"account_type": prospect})
    company = relations.company_update(actor=salesperson, company=company, data={"account_type": lead_type})
    company = relations.company_update(actor=salesperson, company=company, data={"name": "Acme BV"})

    [sale] = Sale.objects.filter(company=company)
    assert sale.phase == ph["lead"]
    assert services.company_start_funnel(actor=salesperson, company=company) is None
    assert Sale.objects.filter(company=company).count() == 1


def test_company_with_closed_sale_starts_a_new_one(lead_type, salesperson, won_reason):
    company = relations.company_create(actor=salesperson, data={"name": "Acme", "account_type": lead_type})
    close(Sale.objects.get(company=company), salesperson, won_reason)
    assert services.company_start_funnel(actor=salesperson, company=company) is not None
    assert Sale.objects.filter(company=company, status=SaleStatus.OPEN).count() == 1


@pytest.mark.parametrize("variant", ["no_lead_phases", "no_pipeline", "funnel_off", "inactive_pipeline"])
def test_no_sale_without_a_funnel(pipeline, salesperson, variant):
    if variant == "inactive_pipeline":
        pipeline.is_active = False
        pipeline.save()
    if variant == "funnel_off":
        SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    kwargs = {
        "uses_lead_phases": variant != "no_lead_phases",
        "pipeline": None if variant == "no_pipeline" else pipeline,
    }
    account_type = AccountTypeFactory(code="t", **kwargs)
    company = relations.company_create(actor=salesperson, data={"name": "Acme", "account_type": account_type})
    assert not Sale.objects.filter(company=company).exists()


# --- stakeholders --------------------------------------------------------------------------


def test_stakeholder_once_per_sale_and_audited(sale, salesperson):
    person = PersonFactory(owner=salesperson, company__owner=salesperson)
    stakeholder = services.stakeholder_add(actor=salesperson, sale=sale, person=person, role=" Buyer ")
    assert stakeholder.role == "Buyer"
    with pytest.raises(ValidationError) as exc:
        services.stakeholder_add(actor=salesperson, sale=sale, person=person)
    assert "person" in exc.value.message_dict
    services.stakeholder_remove(actor=salesperson, stakeholder=stakeholder)
    assert not sale.stakeholders.exists()
    assert [e.changes["stakeholders"] for e in events_for(sale) if "stakeholders" in e.changes] == [
        [None, str(stakeholder)],
        [str(stakeholder), None],
    ]


def test_pipeline_save_reusing_the_code_of_a_deactivated_phase_is_a_message_not_a_crash(
    pipeline, ph, admin_user, salesperson
):
    SaleFactory(pipeline=pipeline, owner=salesperson)
    services.sale_move_to_phase(actor=salesperson, sale=Sale.objects.get(), phase=ph["qualified"])
    keep = [
        {"id": ph["lead"].pk, "code": "lead", "name": "Lead", "kind": "initial", "probability": 10},
        {"id": ph["closing"].pk, "code": "closing", "name": "Closing", "kind": "closing", "probability": 100},
    ]
    services.pipeline_save(actor=admin_user, pipeline=pipeline, data={}, phases=keep)  # qualified deactivated

    again = [keep[0], {"code": "qualified", "name": "Qualified again", "kind": "regular", "probability": 30}, keep[1]]
    with pytest.raises(ValidationError) as exc:
        services.pipeline_save(actor=admin_user, pipeline=pipeline, data={}, phases=again)
    assert "phases.1.code" in exc.value.message_dict
    assert Phase.objects.filter(pipeline=pipeline).count() == 3
