"""Sales targets and the weekly forecast snapshots. The reports only read; these two tables are
what the targets grid writes and what `snapshot_forecast` stores each week."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetScope(models.TextChoices):
    USER = "user", _("User")
    TEAM = "team", _("Team")
    COMPANY = "company", _("Whole company")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Measure(models.TextChoices):
    AMOUNT_SOLD = "amount_sold", _("Amount sold")
    NUMBER_WON = "number_won", _("Number of sales won")
    PROFIT = "profit", _("Profit")


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")


class SalesTarget(models.Model):
    scope = models.CharField(_("scope"), max_length=8, choices=TargetScope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_targets",
        verbose_name=_("user"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_targets",
        verbose_name=_("team"),
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    period_number = models.PositiveSmallIntegerField(_("period number"), default=1)
    measure = models.CharField(_("measure"), max_length=12, choices=Measure.choices)
    pipeline = models.ForeignKey(
        "sales.Pipeline",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_targets",
        verbose_name=_("sale type (pipeline)"),
    )
    value = models.DecimalField(_("value"), validators=[MinValueValidator(Decimal(0))], max_digits=14, decimal_places=2)
    locked = models.BooleanField(_("locked"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year", "measure", "scope", "period_kind", "period_number", "id"]
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        indexes = [models.Index(fields=["year", "measure", "period_kind"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=0), name="salestarget_value_not_negative"),
            models.CheckConstraint(
                condition=models.Q(scope="user", user__isnull=False, team__isnull=True)
                | models.Q(scope="team", user__isnull=True, team__isnull=False)
                | models.Q(scope="company", user__isnull=True, team__isnull=True),
                name="salestarget_scope_matches_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} {self.period_label} {self.get_measure_display()}"

    @property
    def subject_label(self) -> str:
        if self.scope == TargetScope.USER and self.user is not None:
            return str(self.user)
        if self.scope == TargetScope.TEAM and self.team is not None:
            return str(self.team)
        return str(_("Whole company"))

    @property
    def period_label(self) -> str:
        if self.period_kind == PeriodKind.MONTH:
            return f"{self.year}-{self.period_number:02d}"
        if self.period_kind == PeriodKind.QUARTER:
            return f"{self.year} Q{self.period_number}"
        return str(self.year)


class ForecastSnapshot(models.Model):
    """The forecast as it stood on `taken_on`, for one owner, pipeline and expected close month."""

    taken_on = models.DateField(_("taken on"))
    month = models.DateField(_("month"), help_text=_("The first day of the expected close month."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("owner")
    )
    pipeline = models.ForeignKey(
        "sales.Pipeline", on_delete=models.CASCADE, related_name="+", verbose_name=_("sale type (pipeline)")
    )
    unweighted = models.DecimalField(_("unweighted"), default=Decimal(0), max_digits=14, decimal_places=2)
    weighted = models.DecimalField(_("weighted"), default=Decimal(0), max_digits=14, decimal_places=2)
    commit = models.DecimalField(_("commit"), default=Decimal(0), max_digits=14, decimal_places=2)
    best_case = models.DecimalField(_("best case"), default=Decimal(0), max_digits=14, decimal_places=2)
    pipeline_value = models.DecimalField(_("pipeline"), default=Decimal(0), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "month"]
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        constraints = [
            models.UniqueConstraint(fields=["taken_on", "owner", "pipeline", "month"], name="forecastsnapshot_unique")
        ]
        indexes = [models.Index(fields=["month", "taken_on"])]

    def __str__(self) -> str:
        return f"{self.taken_on} {self.month:%Y-%m}"


class PipelineDelta(models.Model):
    """What the open stays of the phase records add to the pipeline on one UTC day, per current
    owner of the sale and phase: +1 and +value on the day a stay began, -1 and -value on the day
    it ended. Written only by the database triggers of insights.pipeline_deltas; the pipeline as
    it stood at a past moment is the sum of the days before it (pipeline_history)."""

    day = models.DateField()
    owner_id = models.BigIntegerField()
    phase_id = models.BigIntegerField()
    records = models.BigIntegerField(default=0)
    value_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner_id", "day", "phase_id"], name="pipeline_delta_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.owner_id}/{self.phase_id}: {self.records:+d}"
