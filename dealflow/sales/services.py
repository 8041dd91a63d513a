"""Every write to a sale goes through here: the card, the Overview tab, the board, the API and
the importer all call these functions, so the phase and status rules live in one place."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Max
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.audit.services import audit_record
from dealflow.core.funnel import forget_switch
from dealflow.core.models import SiteSettings
from dealflow.core.services import StaleVersion, changes_since, create_instance, update_instance
from dealflow.relations.models import AccountType, Company, Person

from .models import (
    CloseReason,
    Competitor,
    GuideStep,
    GuideTick,
    Outcome,
    Phase,
    PhaseRecord,
    Pipeline,
    Sale,
    SaleDocument,
    SaleStatus,
    Stakeholder,
    StallReason,
    UserDefinedField,
)

CENT = Decimal("0.01")

# Fields a plain edit may change; phase, status and their companions only move through the
# dedicated services below.
EDITABLE_FIELDS = {
    "title", "company", "person", "project", "owner", "amount", "currency", "recurring_value",
    "recurring_interval", "sale_date", "probability", "score", "total_cost", "profit", "profit_pct",
    "competitor", "note", "custom", "pipeline",
}  # fmt: skip
MONEY_FIELDS = {"amount", "recurring_value", "total_cost", "profit", "profit_pct"}


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _check_version(sale: Sale, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != sale.version:
        raise StaleVersion(sale, changes_since(sale, expected_version))


def _bump(sale: Sale, fields: list[str]) -> None:
    """Save `fields` of a locked sale and raise its version."""
    sale.version += 1
    sale.save(update_fields=[*fields, "version", "updated_at"])


def _lock(sale: Sale) -> Sale:
    """Re-read the sale under a row lock so two moves cannot interleave."""
    return Sale.objects.select_for_update(of=("self",)).select_related("phase", "pipeline", "company").get(pk=sale.pk)


def _check_owner(actor: User, owner: User) -> None:
    ids = visible_owner_ids(actor)
    if ids is not None and owner.pk not in ids:
        raise ValidationError({"owner": _("You cannot give sales to this user.")})


def _open_record(sale: Sale, phase: Phase, actor: User | None, status: str = SaleStatus.OPEN) -> PhaseRecord:
    now = timezone.now()
    PhaseRecord.objects.filter(sale=sale, left_at__isnull=True).update(left_at=now)
    return PhaseRecord.objects.create(
        sale=sale,
        phase=phase,
        entered_at=now,
        moved_by=actor if getattr(actor, "pk", None) else None,
        score=sale.score,
        expected_value=sale.amount,
        recurring_value=sale.recurring_value,
        status=status,
    )


def current_record(sale: Sale) -> PhaseRecord | None:
    return sale.phase_records.filter(left_at__isnull=True).order_by("-entered_at", "-id").first()


# --- profit maths --------------------------------------------------------------------------


def recalculate_profit(
    *, amount: Decimal, total_cost: Decimal | None, profit: Decimal | None, profit_pct: Decimal | None, changed: str
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Editing one of cost, profit and profit % recalculates the other two from the amount.
    Profit % is profit as a share of the amount."""
    amount = Decimal(amount or 0)
    if changed == "total_cost" and total_cost is not None:
        profit = amount - total_cost
        profit_pct = (profit * 100 / amount) if amount else None
    elif changed == "profit" and profit is not None:
        total_cost = amount - profit
        profit_pct = (profit * 100 / amount) if amount else None
    elif changed == "profit_pct" and profit_pct is not None:
        profit = _money(amount * profit_pct / 100)  # round first: cost + profit must be the amount
        total_cost = amount - profit  # type: ignore[operator]
    elif changed == "amount" and total_cost is not None:
        profit = amount - total_cost
        profit_pct = (profit * 100 / amount) if amount else None
    return _money(total_cost), _money(profit), _money(profit_pct)


def _which_profit_field_changed(sale: Sale, data: dict[str, Any]) -> str | None:
    for name in ("profit_pct", "profit", "total_cost"):
        if name in data and data[name] is not None and _money(data[name]) != getattr(sale, name):
            return name
    if "amount" in data and _money(data["amount"]) != sale.amount:
        return "amount"
    return None


# --- create and edit -----------------------------------------------------------------------


def default_pipeline(company: Company | None) -> Pipeline | None:
    if company is not None and company.account_type_id:
        account_type = company.account_type
        assert account_type is not None  # account_type_id is set
        if account_type.pipeline_id:
            return account_type.pipeline
    return Pipeline.objects.filter(is_active=True).first()


@transaction.atomic
def sale_create(*, actor: User, data: dict[str, Any]) -> Sale:
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS | {"phase"}}
    if data.get("owner") is None:
        data["owner"] = actor
    _check_owner(actor, data["owner"])
    pipeline = data.get("pipeline") or default_pipeline(data.get("company"))
    if pipeline is None:
        raise ValidationError({"pipeline": _("Set up a sale type (pipeline) before creating sales.")})
    phase = data.pop("phase", None) or pipeline.initial_phase()
    if phase is None:
        raise ValidationError({"phase": _("This sale type has no initial phase.")})
    if phase.pipeline_id != pipeline.pk:
        raise ValidationError({"phase": _("This phase belongs to another sale type.")})
    if not phase.is_active:
        raise ValidationError({"phase": _("This phase is no longer in use.")})
    if phase.is_closing:
        raise ValidationError({"phase": _("A new sale cannot start in a closing phase.")})
    data["pipeline"] = pipeline
    data["phase"] = phase
    if data.get("probability") is None:
        data["probability"] = phase.probability
    else:
        data["probability_overridden"] = data["probability"] != phase.probability
    for name in ("amount", "recurring_value"):
        if data.get(name) is None:
            data.pop(name, None)
    if data.get("total_cost") is not None:
        data["total_cost"], data["profit"], data["profit_pct"] = recalculate_profit(
            amount=data.get("amount") or Decimal(0),
            total_cost=data["total_cost"],
            profit=None,
            profit_pct=None,
            changed="total_cost",
        )
    data.setdefault("phase_entered_at", timezone.now())
    sale = create_instance(actor=actor, model=Sale, data=data)
    _open_record(sale, phase, actor)
    _plan_follow_ups(actor, sale)
    return sale


def _plan_follow_ups(actor: User, sale: Sale) -> None:
    """The sales guide's follow-ups for the phase the sale just entered become activities."""
    from dealflow.activities.services import activities_from_guide

    if sale.status == SaleStatus.OPEN:
        activities_from_guide(actor=actor, sale=sale)


@transaction.atomic
def sale_update(*, actor: User, sale: Sale, data: dict[str, Any], expected_version: int | None = None) -> Sale:
    """Edit the plain fields of a sale. Phase and status have their own services."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    sale = _lock(sale)
    _check_version(sale, expected_version)
    data = dict(data)
    for name in MONEY_FIELDS & set(data):
        if isinstance(data[name], (Decimal, int)):
            data[name] = _money(data[name])
    if "owner" in data:
        if data["owner"] is None:
            data["owner"] = sale.owner
        _check_owner(actor, data["owner"])
    if "pipeline" in data and data["pipeline"] is not None and data["pipeline"] != sale.pipeline:
        if sale.status != SaleStatus.OPEN:
            raise ValidationError({"pipeline": _("Only an open sale can change its sale type.")})
        new_phase = data["pipeline"].initial_phase()
        if new_phase is None:
            raise ValidationError({"pipeline": _("This sale type has no initial phase.")})
    else:
        data.pop("pipeline", None)
        new_phase = None
    if "probability" in data:
        if data["probability"] is None:
            data["probability"] = sale.phase.probability
        data["probability_overridden"] = data["probability"] != sale.phase.probability
    changed = _which_profit_field_changed(sale, data)
    if changed:
        amount = data.get("amount", sale.amount)
        data["total_cost"], data["profit"], data["profit_pct"] = recalculate_profit(
            amount=amount,
            total_cost=data.get("total_cost", sale.total_cost),
            profit=data.get("profit", sale.profit),
            profit_pct=data.get("profit_pct", sale.profit_pct),
            changed=changed,
        )
    if new_phase is not None:
        data["phase"] = new_phase
        data["phase_entered_at"] = timezone.now()
        if not sale.probability_overridden:
            data["probability"] = new_phase.probability
    sale = update_instance(actor=actor, instance=sale, data=data, expected_version=expected_version)
    if new_phase is not None:
        _open_record(sale, new_phase, actor)
    elif {"score", "amount", "recurring_value"} & set(data):
        _sync_current_record(sale)
    return sale


def _sync_current_record(sale: Sale) -> None:
    PhaseRecord.objects.filter(sale=sale, left_at__isnull=True).update(
        score=sale.score, expected_value=sale.amount, recurring_value=sale.recurring_value
    )


@transaction.atomic
def sale_record_phase_values(
    *,
    actor: User,
    sale: Sale,
    score: int | None = None,
    expected_value: Decimal | None = None,
    recurring_value: Decimal | None = None,
    expected_version: int | None = None,
) -> Sale:
    """Enter the score, expected value and recurring value for the current phase (CRM+ Overview)."""
    data: dict[str, Any] = {}
    if score is not None:
        data["score"] = score
    if expected_value is not None:
        data["amount"] = expected_value
    if recurring_value is not None:
        data["recurring_value"] = recurring_value
    if not data:
        return sale
    sale = _lock(sale)
    if sale.effective_status != SaleStatus.OPEN:
        raise ValidationError(_("Only an open sale can be changed in its phase."))
    if sale.status == SaleStatus.STALLED:  # its reopen date has passed: it reads as open
        _reopen_stalled(sale, actor)
    return sale_update(actor=actor, sale=sale, data=data, expected_version=expected_version)


# --- moving --------------------------------------------------------------------------------


def _check_exit_rules(sale: Sale) -> None:
    phase = sale.phase
    errors: dict[str, list[str]] = {}
    for name in phase.exit_required_fields or []:
        value = getattr(sale, name, None) if not name.startswith("custom.") else sale.custom.get(name[7:])
        if value in (None, "", 0, Decimal(0)):
            label = cast(Field, Sale._meta.get_field(name)).verbose_name if hasattr(Sale, name) else name[7:]
            errors.setdefault(name.replace("custom.", ""), []).append(
                _("Fill in “%(field)s” before the sale leaves the phase “%(phase)s”.")
                % {"field": label, "phase": phase}
            )
    if phase.exit_requires_guide_done:
        missing = GuideStep.objects.filter(phase=phase, kind=GuideStep.Kind.FOLLOW_UP).exclude(ticks__sale=sale)
        if missing.exists():
            errors.setdefault("phase", []).append(
                _("Tick off every follow-up of the phase “%(phase)s” before the sale leaves it.") % {"phase": phase}
            )
    if errors:
        raise ValidationError(errors)


def _validate_close(outcome: str | None, reason: CloseReason | None, competitor: Competitor | None) -> None:
    errors: dict[str, str] = {}
    if outcome not in (Outcome.WON, Outcome.LOST):
        errors["outcome"] = _("Choose whether the sale was won or lost.")
    if reason is None:
        errors["close_reason"] = _("Choose a close reason.")
    elif not reason.is_active:
        errors["close_reason"] = _("This close reason is no longer in use.")
    elif outcome in (Outcome.WON, Outcome.LOST) and not reason.fits(outcome):
        errors["close_reason"] = _("The close reason “%(reason)s” does not fit the outcome “%(outcome)s”.") % {
            "reason": reason,
            "outcome": Outcome(outcome).label,
        }
    if competitor is not None and not competitor.is_active:
        errors["competitor"] = _("This competitor is no longer in use.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def sale_move_to_phase(
    *,
    actor: User,
    sale: Sale,
    phase: Phase,
    score: int | None = None,
    expected_value: Decimal | None = None,
    recurring_value: Decimal | None = None,
    outcome: str | None = None,
    close_reason: CloseReason | None = None,
    competitor: Competitor | None = None,
    closed_date: dt.date | None = None,
    expected_version: int | None = None,
) -> Sale:
    """Complete the current phase and enter `phase`. A closing phase closes the sale."""
    sale = _lock(sale)
    _check_version(sale, expected_version)
    if sale.effective_status != SaleStatus.OPEN:
        raise ValidationError(
            {"phase": _("Only open sales can change phase. This sale has the status “%(status)s”; reopen it first.")
             % {"status": sale.get_status_display()}}
        )  # fmt: skip
    if phase.pipeline_id != sale.pipeline_id:
        raise ValidationError({"phase": _("This phase belongs to another sale type.")})
    if not phase.is_active:
        raise ValidationError({"phase": _("This phase is no longer in use.")})
    if phase.pk == sale.phase_id:
        raise ValidationError({"phase": _("The sale is already in this phase.")})
    if phase.is_closing:
        _validate_close(outcome, close_reason, competitor)
    if sale.status == SaleStatus.STALLED:  # its reopen date has passed: it reads as open
        _reopen_stalled(sale, actor)
    values = {"score": score, "amount": expected_value, "recurring_value": recurring_value}
    values = {k: v for k, v in values.items() if v is not None}
    if values:
        sale = sale_update(actor=actor, sale=sale, data=values)
    _check_exit_rules(sale)

    old_phase = sale.phase
    sale.phase = phase
    sale.phase_entered_at = timezone.now()
    if not sale.probability_overridden:
        sale.probability = phase.probability
    fields = ["phase", "phase_entered_at", "probability"]
    changes: dict[str, list[Any]] = {"phase": [str(old_phase), str(phase)]}
    if phase.is_closing:
        assert outcome is not None and close_reason is not None
        fields += _apply_close(sale, outcome, close_reason, competitor, closed_date, changes)
    _bump(sale, fields)
    _open_record(sale, phase, actor, status=sale.status)
    changes["version"] = [sale.version - 1, sale.version]
    audit_record(actor=actor, action="update", instance=sale, changes=changes, message="phase")
    if phase.is_closing and outcome == Outcome.WON:
        _convert_account_type(actor, sale)
    _plan_follow_ups(actor, sale)
    return sale


def _apply_close(
    sale: Sale,
    outcome: str,
    reason: CloseReason,
    competitor: Competitor | None,
    closed_date: dt.date | None,
    changes: dict[str, list[Any]],
) -> list[str]:
    new_status = SaleStatus.SOLD if outcome == Outcome.WON else SaleStatus.LOST
    changes["status"] = [sale.status, new_status]
    changes["close_reason"] = [str(sale.close_reason or ""), str(reason)]
    sale.status = new_status
    sale.close_reason = reason
    sale.competitor = competitor
    sale.closed_date = closed_date or timezone.localdate()
    sale.stall_reason = None
    sale.reopen_date = None
    sale.probability = 100 if outcome == Outcome.WON else 0
    if competitor is not None:
        changes["competitor"] = ["", str(competitor)]
    changes["closed_date"] = [None, sale.closed_date.isoformat()]
    return ["status", "close_reason", "competitor", "closed_date", "stall_reason", "reopen_date", "probability"]


@transaction.atomic
def sale_close(
    *,
    actor: User,
    sale: Sale,
    outcome: str,
    close_reason: CloseReason | None,
    competitor: Competitor | None = None,
    closed_date: dt.date | None = None,
    phase: Phase | None = None,
    expected_version: int | None = None,
) -> Sale:
    """Mark a sale sold or lost: it moves into the (first) closing phase of its pipeline."""
    sale = _lock(sale)
    if phase is None:
        phase = sale.pipeline.closing_phase()
    if phase is None:
        raise ValidationError({"phase": _("This sale type has no closing phase.")})
    if not phase.is_closing:
        raise ValidationError({"phase": _("Choose a closing phase.")})
    return sale_move_to_phase(
        actor=actor,
        sale=sale,
        phase=phase,
        outcome=outcome,
        close_reason=close_reason,
        competitor=competitor,
        closed_date=closed_date,
        expected_version=expected_version,
    )


def _convert_account_type(actor: User, sale: Sale) -> None:
    company = sale.company
    if company is None or company.account_type_id is None:
        return
    account_type = company.account_type
    assert account_type is not None  # account_type_id is set
    target = account_type.won_account_type
    if target is None or target.pk == company.account_type_id:
        return
    update_instance(actor=actor, instance=company, data={"account_type": target}, action="update")


@transaction.atomic
def sale_stall(
    *,
    actor: User,
    sale: Sale,
    reopen_date: dt.date | None,
    stall_reason: StallReason | None,
    expected_version: int | None = None,
) -> Sale:
    sale = _lock(sale)
    _check_version(sale, expected_version)
    errors: dict[str, str] = {}
    if sale.effective_status != SaleStatus.OPEN:
        errors["status"] = _("Only open sales can be stalled.")
    if reopen_date is None:
        errors["reopen_date"] = _("Choose the date on which the sale reopens.")
    elif reopen_date <= timezone.localdate():
        errors["reopen_date"] = _("The reopen date must be in the future.")
    if stall_reason is None:
        errors["stall_reason"] = _("Choose a reason.")
    elif not stall_reason.is_active:
        errors["stall_reason"] = _("This reason is no longer in use.")
    if errors:
        raise ValidationError(errors)
    changes: dict[str, list[Any]] = {
        "status": [sale.status, SaleStatus.STALLED],
        "reopen_date": [None, reopen_date.isoformat()],  # type: ignore[union-attr]
        "stall_reason": ["", str(stall_reason)],
    }
    sale.status = SaleStatus.STALLED
    sale.reopen_date = reopen_date
    sale.stall_reason = stall_reason
    _bump(sale, ["status", "reopen_date", "stall_reason"])
    PhaseRecord.objects.filter(sale=sale, left_at__isnull=True).update(status=SaleStatus.STALLED)
    changes["version"] = [sale.version - 1, sale.version]
    audit_record(actor=actor, action="update", instance=sale, changes=changes, message="stall")
    return sale


def _reopen_stalled(sale: Sale, actor: User | None) -> None:
    changes: dict[str, list[Any]] = {
        "status": [sale.status, SaleStatus.OPEN],
        "reopen_date": [str(sale.reopen_date), None],
    }
    sale.status = SaleStatus.OPEN
    sale.reopen_date = None
    sale.stall_reason = None
    _bump(sale, ["status", "reopen_date", "stall_reason"])
    PhaseRecord.objects.filter(sale=sale, left_at__isnull=True).update(status=SaleStatus.OPEN)
    changes["version"] = [sale.version - 1, sale.version]
    audit_record(actor=actor, action="update", instance=sale, changes=changes, message="reopen")


@transaction.atomic
def sale_reopen(*, actor: User, sale: Sale, expected_version: int | None = None) -> Sale:
    """Explicitly reopen a sold, lost or stalled sale. A closed one goes back to the phase it
    was in before closing; the move is recorded like any other."""
    sale = _lock(sale)
    _check_version(sale, expected_version)
    if sale.status == SaleStatus.OPEN:
        raise ValidationError({"status": _("This sale is already open.")})
    if sale.status == SaleStatus.STALLED:
        _reopen_stalled(sale, actor)
        return sale
    previous = sale.phase_records.exclude(phase__kind=Phase.Kind.CLOSING).order_by("-entered_at", "-id").first()
    phase = previous.phase if previous else sale.pipeline.initial_phase()
    assert phase is not None
    changes: dict[str, list[Any]] = {
        "status": [sale.status, SaleStatus.OPEN],
        "phase": [str(sale.phase), str(phase)],
        "close_reason": [str(sale.close_reason or ""), ""],
    }
    sale.status = SaleStatus.OPEN
    sale.phase = phase
    sale.phase_entered_at = timezone.now()
    sale.close_reason = None
    sale.closed_date = None
    # Closing set the probability to 100 % or 0 %; back in an open phase the phase's default applies.
    sale.probability = phase.probability
    sale.probability_overridden = False
    _bump(sale, ["status", "phase", "phase_entered_at", "close_reason", "closed_date", "probability",
                 "probability_overridden"])  # fmt: skip
    _open_record(sale, phase, actor)
    changes["version"] = [sale.version - 1, sale.version]
    audit_record(actor=actor, action="update", instance=sale, changes=changes, message="reopen")
    return sale


def sales_reopen_due(*, today: dt.date | None = None) -> int:
    """Reopen every stalled sale whose reopen date has come. Run daily by a timer."""
    today = today or timezone.localdate()
    count = 0
    for sale in Sale.objects.filter(status=SaleStatus.STALLED, reopen_date__lte=today).iterator():
        with transaction.atomic():
            locked = _lock(sale)
            if locked.status == SaleStatus.STALLED:
                _reopen_stalled(locked, None)
                count += 1
    return count


@transaction.atomic
def sale_delete(*, actor: User, sale: Sale) -> None:
    audit_record(actor=actor, action="delete", instance=sale)
    sale.delete()


# --- stakeholders, guide, links -----------------------------------------------------------


@transaction.atomic
def stakeholder_add(*, actor: User, sale: Sale, person: Any, role: str = "", comment: str = "") -> Stakeholder:
    if Stakeholder.objects.filter(sale=sale, person=person).exists():
        raise ValidationError({"person": _("This person is already a stakeholder of this sale.")})
    stakeholder = Stakeholder(sale=sale, person=person, role=role.strip(), comment=comment.strip())
    stakeholder.full_clean()
    stakeholder.save()
    audit_record(actor=actor, action="update", instance=sale, changes={"stakeholders": [None, str(stakeholder)]})
    return stakeholder


@transaction.atomic
def stakeholder_remove(*, actor: User, stakeholder: Stakeholder) -> None:
    audit_record(
        actor=actor, action="update", instance=stakeholder.sale, changes={"stakeholders": [str(stakeholder), None]}
    )
    stakeholder.delete()


@transaction.atomic
def guide_step_toggle(*, actor: User, sale: Sale, step: GuideStep, done: bool) -> None:
    if step.phase.pipeline_id != sale.pipeline_id:
        raise ValidationError(_("This step belongs to another sale type."))
    if done:
        GuideTick.objects.get_or_create(sale=sale, step=step, defaults={"done_by": actor})
    else:
        GuideTick.objects.filter(sale=sale, step=step).delete()


@transaction.atomic
def sale_link(*, actor: User, sale: Sale, other: Sale) -> None:
    if other.pk == sale.pk:
        raise ValidationError({"other": _("A sale cannot be linked to itself.")})
    sale.linked_sales.add(other)
    audit_record(actor=actor, action="update", instance=sale, changes={"linked_sales": [None, str(other)]})


@transaction.atomic
def sale_unlink(*, actor: User, sale: Sale, other: Sale) -> None:
    sale.linked_sales.remove(other)
    audit_record(actor=actor, action="update", instance=sale, changes={"linked_sales": [str(other), None]})


# --- the Overview tab: a company enters the funnel ---------------------------------------


def company_start_funnel(*, actor: User, company: Company) -> Sale | None:
    """Giving a company an account type that uses lead phases starts its first sale in the
    initial phase of that type's pipeline, unless it already has an open one there."""
    account_type: AccountType | None = company.account_type
    if account_type is None or not account_type.uses_lead_phases or account_type.pipeline_id is None:
        return None
    pipeline = account_type.pipeline
    assert pipeline is not None  # pipeline_id is set
    if not pipeline.is_active or pipeline.initial_phase() is None:
        return None
    if Sale.objects.filter(
        company=company, pipeline=pipeline, status__in=[SaleStatus.OPEN, SaleStatus.STALLED]
    ).exists():
        return None
    return sale_create(
        actor=actor,
        data={"title": company.name, "company": company, "owner": company.owner, "pipeline": pipeline},
    )


# --- pipelines and phases -----------------------------------------------------------------


def pipeline_check(pipeline: Pipeline) -> None:
    """Exactly one initial phase and at least one closing phase among the active ones."""
    phases = list(pipeline.phases.filter(is_active=True))
    initial = sum(1 for p in phases if p.kind == Phase.Kind.INITIAL)
    closing = sum(1 for p in phases if p.kind == Phase.Kind.CLOSING)
    errors = []
    if initial != 1:
        errors.append(_("A sale type needs exactly one initial phase (it has %(n)s).") % {"n": initial})
    if closing < 1:
        errors.append(_("A sale type needs at least one closing phase."))
    if errors:
        raise ValidationError({"phases": errors})


@transaction.atomic
def pipeline_save(
    *, actor: User, pipeline: Pipeline | None, data: dict[str, Any], phases: list[dict[str, Any]]
) -> Pipeline:
    """Create or update a pipeline with its phases, in the order given. Phases missing from
    `phases` are deleted if no sale ever used them, otherwise deactivated."""
    creating = pipeline is None
    pipeline = pipeline or Pipeline()
    for key, value in data.items():
        setattr(pipeline, key, value)
    pipeline.full_clean()
    pipeline.save()
    errors: dict[str, list[str]] = {}
    # Codes are checked up front: the database refuses a second phase with the same code.
    codes = [p.get("code") for p in phases]
    if len(set(codes)) != len(codes):
        errors.setdefault("phases", []).append(_("Each phase needs its own code."))
        seen: set[Any] = set()
        for index, code in enumerate(codes):
            if code in seen:
                errors.setdefault(f"phases.{index}.code", []).append(_("Each phase needs its own code."))
            seen.add(code)
    # Phases left out go first, so that a code they free can be taken by a new phase.
    submitted = [p["id"] for p in phases if p.get("id")]
    set_aside: dict[str, Phase] = {}
    phase: Phase | None
    for phase in pipeline.phases.exclude(pk__in=submitted):
        if phase_in_use(phase):
            if phase.is_active:
                phase.is_active = False
                phase.save(update_fields=["is_active"])
            set_aside[phase.code] = phase
        else:
            phase.delete()
    for index, item in enumerate(phases):
        item = dict(item)
        pk = item.pop("id", None)
        phase = pipeline.phases.filter(pk=pk).first() if pk else Phase(pipeline=pipeline)
        if phase is None:
            errors.setdefault("phases", []).append(_("Unknown phase %(id)s.") % {"id": pk})
            continue
        for key, value in item.items():
            setattr(phase, key, value)
        phase.order = (index + 1) * 10
        if phase.code in set_aside:
            errors.setdefault(f"phases.{index}.code", []).append(
                _("The deactivated phase “%(phase)s” keeps this code; choose another.")
                % {"phase": set_aside[phase.code]}
            )
            continue
        try:
            phase.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                errors.setdefault(f"phases.{index}.{field}", []).extend(msgs)
            continue
        if f"phases.{index}.code" in errors:  # the same code as an earlier row
            continue
        try:
            with transaction.atomic():
                phase.save()
        except IntegrityError:  # e.g. two phases swapping their codes in one save
            errors.setdefault(f"phases.{index}.code", []).append(
                _("Another phase of this sale type already uses this code.")
            )
    if errors:
        raise ValidationError(errors)
    pipeline_check(pipeline)
    audit_record(actor=actor, action="create" if creating else "update", instance=pipeline,
                 changes={"phases": [None, [p.get("name") for p in phases]]})  # fmt: skip
    return pipeline


def phase_in_use(phase: Phase) -> bool:
    return phase.sales.exists() or phase.records.exists()


@transaction.atomic
def phase_delete(*, actor: User, phase: Phase) -> None:
    if phase_in_use(phase):
        raise ValidationError(
            _("The phase “%(phase)s” is used by sales and cannot be deleted. Deactivate it instead.") % {"phase": phase}
        )
    pipeline = phase.pipeline
    phase.delete()
    pipeline_check(pipeline)
    audit_record(actor=actor, action="update", instance=pipeline, changes={"phases": [str(phase), None]})


@transaction.atomic
def phases_reorder(*, actor: User, pipeline: Pipeline, phase_ids: list[int]) -> None:
    existing = set(pipeline.phases.values_list("pk", flat=True))
    if set(phase_ids) != existing:
        raise ValidationError({"phases": _("Send every phase of this sale type exactly once.")})
    for index, pk in enumerate(phase_ids):
        Phase.objects.filter(pk=pk).update(order=(index + 1) * 10)
    audit_record(actor=actor, action="update", instance=pipeline, changes={"order": [None, phase_ids]})


@transaction.atomic
def pipeline_delete(*, actor: User, pipeline: Pipeline) -> None:
    if pipeline.sales.exists() or pipeline.account_types.exists():
        raise ValidationError(_("This sale type is in use and cannot be deleted. Deactivate it instead."))
    audit_record(actor=actor, action="delete", instance=pipeline)
    pipeline.delete()


# --- reasons and competitors (simple, ordered, deactivatable lists) ----------------------


@transaction.atomic
def lookup_save(*, actor: User, model: type[Any], instance: Any | None, data: dict[str, Any]) -> Any:
    if instance is None:
        if "order" not in data or data["order"] is None:
            data = {**data, "order": (model.objects.aggregate(m=Max("order"))["m"] or 0) + 10}
        return create_instance(actor=actor, model=model, data=data)
    for key, value in data.items():
        setattr(instance, key, value)
    instance.full_clean()
    instance.save()
    audit_record(actor=actor, action="update", instance=instance, changes={k: [None, str(v)] for k, v in data.items()})
    return instance


@transaction.atomic
def lookup_delete(*, actor: User, instance: Any) -> None:
    if instance.sales.exists():
        raise ValidationError(
            _("“%(name)s” is used by sales and cannot be deleted. Deactivate it instead.") % {"name": instance}
        )
    audit_record(actor=actor, action="delete", instance=instance)
    instance.delete()


# --- documents on a sale (the Links tab) ---------------------------------------------------


@transaction.atomic
def sale_document_add(*, actor: User, sale: Sale, file: Any, name: str = "") -> SaleDocument:
    """Store an uploaded file under MEDIA_ROOT (sales/<sale id>/) and list it on the sale."""
    name = (name or "").strip() or str(getattr(file, "name", "") or _("Document"))
    document = SaleDocument(sale=sale, file=file, name=name[:200], uploaded_by=actor)
    document.full_clean()
    document.save()
    audit_record(actor=actor, action="update", instance=sale, changes={"documents": [None, document.name]})
    return document


@transaction.atomic
def sale_document_delete(*, actor: User, document: SaleDocument) -> None:
    """Remove a document from its sale; the file goes once the transaction has committed."""
    storage, path, sale = document.file.storage, document.file.name, document.sale
    audit_record(actor=actor, action="update", instance=sale, changes={"documents": [document.name, None]})
    document.delete()
    if path:
        transaction.on_commit(lambda: storage.delete(path))


# --- funnel set-up: the switch, user-defined fields, the sales guide ---------------------


@transaction.atomic
def funnel_set_enabled(*, actor: User, enabled: bool) -> SiteSettings:
    """Switch the sales funnel on or off for the whole installation. Nothing is deleted."""
    site = SiteSettings.load()
    site = SiteSettings.objects.select_for_update().get(pk=site.pk)
    if site.funnel_enabled != enabled:
        before = site.funnel_enabled
        site.funnel_enabled = enabled
        site.save(update_fields=["funnel_enabled", "updated_at"])
        forget_switch()
        audit_record(actor=actor, action="update", instance=site, changes={"funnel_enabled": [before, enabled]})
    return site


UDF_MODELS: dict[str, Any] = {
    UserDefinedField.Entity.SALE: Sale,
    UserDefinedField.Entity.COMPANY: Company,
    UserDefinedField.Entity.PERSON: Person,
}
MAX_PINNED = 3


def udf_in_use(udf: UserDefinedField) -> bool:
    """Whether any sale, company or person holds a value (not empty) for this field."""
    model = UDF_MODELS[udf.entity]
    value = KeyTransform(udf.code, "custom")
    return (
        model.objects.filter(custom__has_key=udf.code)
        .alias(udf_value=value)
        .exclude(udf_value=None)
        .exclude(udf_value="")
        .exists()
    )


@transaction.atomic
def udf_save(*, actor: User, udf: UserDefinedField | None, data: dict[str, Any]) -> UserDefinedField:
    """Create or change a user-defined field. A choice list needs its choices; at most three
    fields per entity are pinned to the main tab; a field that records hold values for keeps
    its entity, code and type."""
    creating = udf is None
    instance = udf or UserDefinedField()
    errors: dict[str, str] = {}
    if not creating and udf_in_use(instance):
        for name in ("entity", "code", "field_type"):
            if name in data and data[name] != getattr(instance, name):
                errors[name] = _("Records hold values for this field, so this cannot change.")
    before = {k: getattr(instance, k) for k in data} if not creating else {}
    for key, value in data.items():
        setattr(instance, key, value)
    if instance.order is None:
        instance.order = (
            UserDefinedField.objects.filter(entity=instance.entity).aggregate(m=Max("order"))["m"] or 0
        ) + 10
    lines = [line.strip() for line in (instance.choices or "").splitlines() if line.strip()]
    if instance.field_type == UserDefinedField.FieldType.CHOICE:
        if not lines:
            errors["choices"] = _("List the choices, one per line.")
        elif len(set(lines)) != len(lines):
            errors["choices"] = _("Each choice may appear only once.")
        instance.choices = "\n".join(lines)
    else:
        instance.choices = ""
    others = UserDefinedField.objects.filter(entity=instance.entity).exclude(pk=instance.pk)
    if instance.code and others.filter(code=instance.code).exists():
        errors["code"] = _("Another field of this record type already uses this code.")
    if instance.pinned and instance.is_active and others.filter(pinned=True, is_active=True).count() >= MAX_PINNED:
        errors["pinned"] = _(
            "At most three fields can be pinned to the main tab (%(entity)s). Unpin another one first."
        ) % {"entity": UserDefinedField.Entity(instance.entity).label if instance.entity in UDF_MODELS else "?"}
    if errors:
        raise ValidationError(errors)
    instance.full_clean()
    instance.save()
    if creating:
        changes = {k: [None, str(v)] for k, v in data.items() if v not in ("", None)}
    else:
        changes = {k: [str(before[k]), str(getattr(instance, k))] for k in data if before[k] != getattr(instance, k)}
    if creating or changes:
        audit_record(actor=actor, action="create" if creating else "update", instance=instance, changes=changes)
    return instance


@transaction.atomic
def udf_delete(*, actor: User, udf: UserDefinedField) -> bool:
    """Delete a field no record holds a value for; otherwise deactivate it, so the values stay.
    Returns True when deleted, False when deactivated."""
    if udf_in_use(udf):
        if udf.is_active:
            udf.is_active = False
            udf.save(update_fields=["is_active", "updated_at"])
            audit_record(actor=actor, action="update", instance=udf, changes={"is_active": [True, False]})
        return False
    audit_record(actor=actor, action="delete", instance=udf)
    udf.delete()
    return True


@transaction.atomic
def guide_step_save(*, actor: User, phase: Phase, step: GuideStep | None, data: dict[str, Any]) -> GuideStep:
    """Add or change one suggestion of a phase's sales guide: a follow-up (its activity type,
    text and the days after the previous one) or a document to prepare."""
    creating = step is None
    instance = step or GuideStep(phase=phase)
    if instance.phase_id != phase.pk:
        raise ValidationError(_("This step belongs to another phase."))
    before = {k: getattr(instance, k) for k in data}
    for key, value in data.items():
        setattr(instance, key, value)
    if instance.kind == GuideStep.Kind.FOLLOW_UP:
        if not instance.activity_type:
            raise ValidationError({"activity_type": _("Choose the type of follow-up.")})
    else:
        instance.activity_type = ""
        instance.days_after = 0
    if creating:
        instance.order = (GuideStep.objects.filter(phase=phase).aggregate(m=Max("order"))["m"] or 0) + 10
    instance.full_clean()
    instance.save()
    changes = {k: [None if creating else str(before[k]), str(getattr(instance, k))] for k in data
               if creating or before[k] != getattr(instance, k)}  # fmt: skip
    audit_record(actor=actor, action="create" if creating else "update", instance=instance, changes=changes,
                 message=f"{phase.pipeline.code}/{phase.code}")  # fmt: skip
    return instance


@transaction.atomic
def guide_step_delete(*, actor: User, step: GuideStep) -> None:
    audit_record(actor=actor, action="delete", instance=step, message=f"{step.phase.pipeline.code}/{step.phase.code}")
    step.delete()


@transaction.atomic
def guide_steps_reorder(*, actor: User, phase: Phase, step_ids: list[int]) -> None:
    existing = set(phase.guide_steps.values_list("pk", flat=True))
    if set(step_ids) != existing or len(step_ids) != len(existing):
        raise ValidationError(_("The sales guide changed meanwhile; reload the page and try again."))
    for index, pk in enumerate(step_ids):
        GuideStep.objects.filter(pk=pk).update(order=(index + 1) * 10)
    audit_record(actor=actor, action="update", instance=phase, changes={"guide_order": [None, step_ids]})
