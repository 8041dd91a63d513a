from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealflow.core.links import record_url
from dealflow.core.models import TimeStamped, Versioned
from dealflow.core.validators import validate_not_blank, validate_phone


class AccountType(TimeStamped):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100, validators=[validate_not_blank])
    order = models.PositiveIntegerField(_("order"), default=0)
    is_default = models.BooleanField(_("default"), default=False)
    uses_lead_phases = models.BooleanField(_("uses lead phases"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    pipeline = models.ForeignKey(
        "sales.Pipeline",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_types",
        verbose_name=_("sale type (pipeline)"),
    )
    won_account_type = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account type when won"),
        help_text=_("A company of this type becomes this type when one of its sales is won."),
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("account type")
        verbose_name_plural = _("account types")

    def __str__(self) -> str:
        return self.name


class Company(Versioned):
    name = models.CharField(_("name"), max_length=200, validators=[validate_not_blank])
    account_type = models.ForeignKey(
        AccountType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="companies",
        verbose_name=_("account type"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="companies",
        verbose_name=_("owner"),
    )
    registration_number = models.CharField(_("registration number"), max_length=40, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True)
    visiting_street = models.CharField(_("visiting address"), max_length=200, blank=True)
    visiting_postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    visiting_city = models.CharField(_("city"), max_length=100, blank=True)
    postal_street = models.CharField(_("postal address"), max_length=200, blank=True)
    postal_postcode = models.CharField(_("postal postcode"), max_length=20, blank=True)
    postal_city = models.CharField(_("postal city"), max_length=100, blank=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter country code, for example NL."))],
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=20000)
    custom = models.JSONField(_("user-defined fields"), default=dict, blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["owner", "archived", "name"]),
            models.Index(fields=["archived", "name"]),
            # The list's sorts, carrying the visibility and archive filters: the page's ids come
            # from walking one of these in order, without sorting every visible company.
            models.Index(fields=["name", "id", "owner", "archived"], name="company_list_by_name"),
            models.Index(fields=["visiting_city", "name", "id", "owner", "archived"], name="company_list_by_city"),
            models.Index(fields=["created_at", "id", "owner", "archived"], name="company_list_by_created"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return record_url("relations:company_detail", self.pk)


class Person(Versioned):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, validators=[validate_not_blank])
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        verbose_name=_("company"),
    )
    # The company's name, copied by database triggers (denorm.py; None without a company): the
    # list's company sort walks person_list_by_company instead of joining and sorting every person.
    company_name = models.CharField(max_length=200, null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="persons",
        verbose_name=_("owner"),
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])
    mobile = models.CharField(_("mobile"), max_length=40, blank=True, validators=[validate_phone])
    note = models.TextField(_("note"), blank=True, max_length=20000)
    custom = models.JSONField(_("user-defined fields"), default=dict, blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["owner", "archived", "last_name"]),
            models.Index(fields=["archived", "last_name"]),
            # The list's sorts, carrying the visibility and archive filters (as for companies).
            models.Index(fields=["last_name", "first_name", "id", "owner", "archived"], name="person_list_by_name"),
            models.Index(fields=["created_at", "id", "owner", "archived"], name="person_list_by_created"),
            models.Index(
                fields=["company_name", "last_name", "id", "owner", "archived"], name="person_list_by_company"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        return str(self)

    def get_absolute_url(self) -> str:
        return record_url("relations:person_detail", self.pk)


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Project(Versioned):
    name = models.CharField(_("name"), max_length=200, validators=[validate_not_blank])
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="projects", verbose_name=_("company"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("owner"),
    )
    status = models.CharField(_("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=20000)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [models.Index(fields=["owner", "archived", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return record_url("relations:project_detail", self.pk)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
