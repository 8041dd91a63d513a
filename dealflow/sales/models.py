"""The sales funnel: pipelines and phases, reasons, sales, phase records, stakeholders, guides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealflow.core.links import record_url
from dealflow.core.models import TimeStamped, Versioned
from dealflow.core.validators import validate_not_blank

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Pipeline(TimeStamped):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100, validators=[validate_not_blank])
    order = models.PositiveIntegerField(_("order"), default=0)
    days_to_stall = models.PositiveIntegerField(
        _("days to stall"), null=True, blank=True, help_text=_("A sale idle this long in one phase is flagged.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("sale type (pipeline)")
        verbose_name_plural = _("sale types (pipelines)")

    def __str__(self) -> str:
        return self.name

    def initial_phase(self) -> Phase | None:
        return self.phases.filter(kind=Phase.Kind.INITIAL, is_active=True).first()

    def closing_phase(self) -> Phase | None:
        return self.phases.filter(kind=Phase.Kind.CLOSING, is_active=True).first()


class Phase(TimeStamped):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial")
        REGULAR = "regular", _("Regular")
        CLOSING = "closing", _("Closing")

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="phases", verbose_name=_("sale type (pipeline)")
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100, validators=[validate_not_blank])
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    probability = models.PositiveSmallIntegerField(
        _("default probability"), default=0, validators=[MaxValueValidator(100)]
    )
    days_to_stall = models.PositiveIntegerField(_("days to stall"), null=True, blank=True)
    # Exit rules of the sales guide: fields that must be filled, and whether every
    # suggested follow-up of the phase must be ticked off, before a sale may leave.
    exit_required_fields = models.JSONField(_("required fields to leave"), default=list, blank=True)
    exit_requires_guide_done = models.BooleanField(_("all follow-ups done to leave"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pipeline", "order", "id"]
        verbose_name = _("lead phase")
        verbose_name_plural = _("lead phases")
        constraints = [models.UniqueConstraint(fields=["pipeline", "code"], name="phase_code_unique_per_pipeline")]
        # The sales list sorted by phase takes the phases in this order, then each phase's sales
        # from sale_list_by_phase (see Sale's indexes).
        indexes = [models.Index(fields=["order", "id"], name="phase_by_order")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closing(self) -> bool:
        return self.kind == self.Kind.CLOSING

    def stall_days(self) -> int | None:
        return self.days_to_stall or self.pipeline.days_to_stall


class Outcome(models.TextChoices):
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    EITHER = "either", _("Won or lost")


class CloseReason(TimeStamped):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100, validators=[validate_not_blank])
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.EITHER)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("close reason")
        verbose_name_plural = _("close reasons")

    def __str__(self) -> str:
        return self.name

    def fits(self, outcome: str) -> bool:
        return self.outcome in (Outcome.EITHER, outcome)


class StallReason(TimeStamped):
    name = models.CharField(_("name"), max_length=100, unique=True, validators=[validate_not_blank])
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("stall reason")
        verbose_name_plural = _("stall reasons")

    def __str__(self) -> str:
        return self.name


class Competitor(TimeStamped):
    name = models.CharField(_("name"), max_length=100, unique=True, validators=[validate_not_blank])
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")

    def __str__(self) -> str:
        return self.name


class SaleStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SOLD = "sold", _("Sold")
    LOST = "lost", _("Lost")
    STALLED = "stalled", _("Stalled")


class RecurringInterval(models.TextChoices):
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


class Sale(Versioned):
    title = models.CharField(_("title"), max_length=200, validators=[validate_not_blank])
    company = models.ForeignKey(
        "relations.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("company"),
    )
    # The company's name, copied by database triggers (relations/denorm.py; None without a
    # company): the list's company sort walks sale_list_by_company instead of joining and sorting.
    company_name = models.CharField(max_length=200, null=True, blank=True, editable=False)
    # The company's account type, copied the same way (relations/denorm.py; None without a company
    # or type): the win/loss report and the list grouped by account type read it without joining
    # every sale to its company. The company's own foreign key guards the type, so none here.
    account_type = models.ForeignKey(
        "relations.AccountType",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    person = models.ForeignKey(
        "relations.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("person"),
    )
    project = models.ForeignKey(
        "relations.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("project"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales", verbose_name=_("owner")
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="sales", verbose_name=_("sale type (pipeline)")
    )
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="sales", verbose_name=_("lead phase"))
    phase_entered_at = models.DateTimeField(_("in phase since"), default=timezone.now)
    status = models.CharField(_("status"), max_length=8, choices=SaleStatus.choices, default=SaleStatus.OPEN)
    amount = models.DecimalField(_("expected value"), default=Decimal("0"), validators=NON_NEGATIVE, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    recurring_value = models.DecimalField(_("recurring value"), default=Decimal("0"), validators=NON_NEGATIVE, **MONEY)
    recurring_interval = models.CharField(
        _("recurring interval"), max_length=8, choices=RecurringInterval.choices, default=RecurringInterval.MONTH
    )
    sale_date = models.DateField(_("sale date"), null=True, blank=True, help_text=_("Expected close date."))
    probability = models.PositiveSmallIntegerField(_("probability"), default=0, validators=[MaxValueValidator(100)])
    probability_overridden = models.BooleanField(default=False)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    total_cost = models.DecimalField(_("total cost"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY)
    profit = models.DecimalField(_("profit"), null=True, blank=True, **MONEY)
    profit_pct = models.DecimalField(_("profit %"), null=True, blank=True, max_digits=7, decimal_places=2)
    competitor = models.ForeignKey(
        Competitor, on_delete=models.PROTECT, null=True, blank=True, related_name="sales", verbose_name=_("competitor")
    )
    close_reason = models.ForeignKey(
        CloseReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("close reason"),
    )
    closed_date = models.DateField(_("closed date"), null=True, blank=True)
    stall_reason = models.ForeignKey(
        StallReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("reason (stalled)"),
    )
    reopen_date = models.DateField(_("reopen date"), null=True, blank=True)
    # None follows the probability (>= 70 commit, >= 40 best case, else pipeline); a manager may override.
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=10,
        choices=[("pipeline", _("Pipeline")), ("best_case", _("Best case")), ("commit", _("Commit"))],
        null=True,
        blank=True,
    )
    note = models.TextField(_("note"), blank=True, max_length=50000)
    custom = models.JSONField(_("user-defined fields"), default=dict, blank=True)
    linked_sales = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("linked sales"))

    class Meta:
        ordering = ["-sale_date", "-id"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        indexes = [
            models.Index(fields=["pipeline", "status", "phase"]),
            models.Index(fields=["company", "status"]),
            # A company's latest sales (its card, and the sale card's other sales of the company):
            # walked newest first with the owner checked inside, not all of a big customer's
            # thousands of sales read and sorted.
            models.Index(fields=["company", "sale_date", "id", "owner"], name="sale_by_company_date"),
            models.Index(fields=["status", "closed_date"]),
            models.Index(fields=["status", "reopen_date"]),
            # The list's sort orders, each with the owner, the status and the reopen date, so that the
            # visibility rule and the status filter are checked inside the index while the page is
            # walked (see lists.CappedPaginator.page and selectors.only_statuses).
            models.Index(fields=["sale_date", "id", "owner", "status", "reopen_date"], name="sale_list_by_date"),
            models.Index(fields=["amount", "id", "owner", "status", "reopen_date"], name="sale_list_by_amount"),
            models.Index(fields=["created_at", "id", "owner", "status", "reopen_date"], name="sale_list_by_created"),
            models.Index(fields=["title", "id", "owner", "status", "reopen_date"], name="sale_list_by_title"),
            models.Index(fields=["company_name", "id", "owner", "status", "reopen_date"], name="sale_list_by_company"),
            # The phase sort orders by the phase's order, so no sale index gives its order: the
            # phases are taken in order (phase_by_order) and each one's visible sales with the asked
            # statuses read from this index and sorted by id, a phase at a time, up to the page.
            models.Index(fields=["phase", "owner", "status", "reopen_date", "id"], name="sale_list_by_phase"),
            # The list's capped count under a status filter: one range per owner and status.
            models.Index(fields=["owner", "status", "pipeline", "reopen_date"], name="sale_list_status"),
            # The board: a column's cards in card order; the closing column's recently closed
            # sales and their head from the index alone, one range per owner (the other heads
            # come from SaleTotal).
            models.Index(fields=["phase", "sale_date", "id", "owner", "status"], name="sale_board_column"),
            models.Index(
                fields=["phase", "owner", "status", "closed_date", "amount", "probability", "sale_date", "id"],
                name="sale_board_closed",
            ),
            # The reports: closed sales by owner and closing date, and the open pipeline by owner and
            # expected date, with every column they group or sum on (read from the index alone; the
            # win/loss report's account type is the one copied onto the sale).
            models.Index(
                fields=[
                    "owner",
                    "status",
                    "closed_date",
                    "close_reason",
                    "competitor",
                    "pipeline",
                    "amount",
                    "account_type",
                ],
                name="sale_report_closed",
            ),
            models.Index(
                fields=["owner", "status", "sale_date", "pipeline", "amount", "probability", "forecast_category"],
                name="sale_report_open",
            ),
            # The same for everyone's sales (an administrator's reports): one range per status,
            # instead of every owner's index entries.
            models.Index(
                fields=[
                    "status",
                    "closed_date",
                    "owner",
                    "pipeline",
                    "close_reason",
                    "competitor",
                    "account_type",
                    "amount",
                ],
                name="sale_report_by_closed_date",
            ),
            # The funnel report: one pipeline's sales by owner (and its lost ones), with what it counts
            # (read from the index alone); and its open sales longest in their phase first, for the
            # idle list (walked in order, the owner checked in the index, stopping at the cap).
            models.Index(fields=["pipeline", "owner", "status", "id", "close_reason"], name="sale_funnel_scope"),
            models.Index(
                fields=["pipeline", "status", "phase_entered_at", "id", "owner", "phase"], name="sale_funnel_idle"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return record_url("sales:sale_detail", self.pk)

    @property
    def effective_status(self) -> str:
        """A stalled sale whose reopen date has passed reads as open, even before the job runs."""
        if self.status == SaleStatus.STALLED and self.reopen_date and self.reopen_date <= timezone.localdate():
            return SaleStatus.OPEN
        return self.status

    def get_effective_status_display(self) -> str:
        return str(SaleStatus(self.effective_status).label)

    @property
    def is_completed(self) -> bool:
        return self.status in (SaleStatus.SOLD, SaleStatus.LOST)

    @property
    def weighted_value(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))

    def days_in_phase(self, today: dt.date | None = None) -> int:
        today = today or timezone.localdate()
        return (today - timezone.localtime(self.phase_entered_at).date()).days

    @property
    def is_idle(self) -> bool:
        limit = self.phase.stall_days() if self.phase_id else None
        return bool(limit and self.status == SaleStatus.OPEN and self.days_in_phase() > limit)


class PhaseRecord(models.Model):
    """One stay of a sale in a phase, with what was captured while it was there."""

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="phase_records")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="records", verbose_name=_("lead phase"))
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moved by"),
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    expected_value = models.DecimalField(_("expected value"), default=Decimal("0"), **MONEY)
    recurring_value = models.DecimalField(_("recurring value"), default=Decimal("0"), **MONEY)
    status = models.CharField(_("status"), max_length=8, choices=SaleStatus.choices, default=SaleStatus.OPEN)

    class Meta:
        ordering = ["entered_at", "id"]
        verbose_name = _("phase record")
        verbose_name_plural = _("phase records")
        indexes = [
            models.Index(fields=["sale", "entered_at"]),
            models.Index(fields=["phase", "entered_at"]),
            # The funnel report: a sale's history in order, with what it folds (read from the index alone).
            models.Index(
                fields=["sale", "entered_at", "id", "phase", "status", "left_at"], name="phase_record_history"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} @ {self.phase}"


class Stakeholder(TimeStamped):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="stakeholders")
    person = models.ForeignKey(
        "relations.Person", on_delete=models.CASCADE, related_name="stakes", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=100, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        constraints = [models.UniqueConstraint(fields=["sale", "person"], name="stakeholder_once_per_sale")]

    def __str__(self) -> str:
        return f"{self.person} ({self.role})" if self.role else str(self.person)


def sale_document_path(instance: SaleDocument, filename: str) -> str:
    return f"sales/{instance.sale_id}/{filename}"


class SaleDocument(TimeStamped):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to=sale_document_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.name


class GuideStep(TimeStamped):
    """A suggestion of the sales guide for one phase: a follow-up or a document."""

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Follow-up")
        DOCUMENT = "document", _("Document")

    class ActivityType(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")
        EMAIL = "email", _("E-mail")
        NOTE = "note", _("Note")

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="guide_steps")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FOLLOW_UP)
    activity_type = models.CharField(_("activity type"), max_length=10, choices=ActivityType.choices, blank=True)
    text = models.CharField(_("text"), max_length=300, validators=[validate_not_blank])
    days_after = models.PositiveIntegerField(_("days after the previous one"), default=0)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["phase", "order", "id"]
        verbose_name = _("sales guide step")
        verbose_name_plural = _("sales guide steps")

    def __str__(self) -> str:
        return self.text


class GuideTick(models.Model):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="guide_ticks")
    step = models.ForeignKey(GuideStep, on_delete=models.CASCADE, related_name="ticks")
    done_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sale", "step"], name="guide_tick_once")]

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.step_id}"


class UserDefinedField(TimeStamped):
    class Entity(models.TextChoices):
        SALE = "sale", _("Sale")
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DECIMAL = "decimal", _("Decimal")
        DATE = "date", _("Date")
        CHECKBOX = "checkbox", _("Checkbox")
        CHOICE = "choice", _("Choice list")

    entity = models.CharField(_("for"), max_length=10, choices=Entity.choices)
    code = models.SlugField(_("code"), max_length=30)
    label = models.CharField(_("label"), max_length=100, validators=[validate_not_blank])
    field_type = models.CharField(_("type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One choice per line."))
    required = models.BooleanField(_("required"), default=False)
    pinned = models.BooleanField(_("pinned to the main tab"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["entity", "order", "id"]
        verbose_name = _("user-defined field")
        verbose_name_plural = _("user-defined fields")
        constraints = [models.UniqueConstraint(fields=["entity", "code"], name="udf_code_unique_per_entity")]

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class SaleTotal(models.Model):
    """How many sales, and their amount and weighted amount in cents, per pipeline, phase, owner
    and status. Written only by the database triggers of sales.totals (every write to a sale
    counts, whichever path it takes); read by the board's heads and the list's group totals."""

    pipeline_id = models.BigIntegerField()
    phase_id = models.BigIntegerField()
    owner_id = models.BigIntegerField()
    status = models.CharField(max_length=8)
    sales = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)
    weighted_cents = models.BigIntegerField(default=0)  # the sum of amount in cents × probability (%)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pipeline_id", "phase_id", "owner_id", "status"], name="sale_total_key")
        ]
        indexes = [models.Index(fields=["owner_id", "pipeline_id", "phase_id"], name="sale_total_owner")]

    def __str__(self) -> str:
        return f"{self.pipeline_id}/{self.phase_id}/{self.owner_id}/{self.status}: {self.sales}"


class SaleClosedMonth(models.Model):
    """How many sales were won or lost, and for how much in cents, per month of their closed date,
    owner, pipeline, status, close reason and competitor (0 for none). Written only by the
    database triggers of sales.month_totals; read by the win/loss report and the forecast's sold
    column for the months a report covers whole."""

    month = models.DateField()
    owner_id = models.BigIntegerField()
    pipeline_id = models.BigIntegerField()
    status = models.CharField(max_length=8)
    close_reason_id = models.BigIntegerField()
    competitor_id = models.BigIntegerField()
    sales = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_id", "month", "pipeline_id", "status", "close_reason_id", "competitor_id"],
                name="sale_closed_month_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}/{self.owner_id}/{self.status}: {self.sales}"


class SaleOpenMonth(models.Model):
    """How many open sales, their amount and weighted amount in cents, per month of their expected
    close date (sale date), owner, pipeline and forecast category (the one set, else the one the
    probability gives). Written only by the triggers of sales.month_totals; read by the forecast."""

    month = models.DateField()
    owner_id = models.BigIntegerField()
    pipeline_id = models.BigIntegerField()
    category = models.CharField(max_length=10)
    sales = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)
    weighted_cents = models.BigIntegerField(default=0)  # the sum of amount in cents × probability (%)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner_id", "month", "pipeline_id", "category"], name="sale_open_month_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}/{self.owner_id}/{self.category}: {self.sales}"
