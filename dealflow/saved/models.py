"""Selections (saved filters or hand-picked lists used as call lists) and favourites."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealflow.core.models import Versioned


class Entity(models.TextChoices):
    COMPANY = "company", _("Companies")
    PERSON = "person", _("Persons")
    SALE = "sale", _("Sales")


class SelectionKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Dynamic (a saved filter)")
    STATIC = "static", _("Static (hand-picked)")


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Private")
    SHARED = "shared", _("Shared with my team")


class Selection(Versioned):
    name = models.CharField(_("name"), max_length=120)
    entity = models.CharField(_("over"), max_length=8, choices=Entity.choices, default=Entity.COMPANY)
    kind = models.CharField(_("kind"), max_length=8, choices=SelectionKind.choices, default=SelectionKind.STATIC)
    visibility = models.CharField(_("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="selections", verbose_name=_("owner")
    )
    filters = models.JSONField(_("filter"), default=dict, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("selection")
        verbose_name_plural = _("selections")
        indexes = [models.Index(fields=["owner", "entity"]), models.Index(fields=["visibility", "owner"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("saved:selection_detail", args=[self.pk])

    @property
    def is_dynamic(self) -> bool:
        return self.kind == SelectionKind.DYNAMIC


class SelectionMember(models.Model):
    """A hand-picked member of a static selection: the id of a company, person or sale (the
    selection's entity says which). Members are always read back through the visible lists."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="members")
    object_id = models.PositiveBigIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["selection", "object_id"], name="selection_member_once")]

    def __str__(self) -> str:
        return f"{self.selection_id}:{self.object_id}"


class Favourite(models.Model):
    """A starred company, person or sale of one user (exactly one of the three is set)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    company = models.ForeignKey("relations.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    person = models.ForeignKey("relations.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    sale = models.ForeignKey("sales.Sale", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(company__isnull=False, person__isnull=True, sale__isnull=True)
                    | models.Q(company__isnull=True, person__isnull=False, sale__isnull=True)
                    | models.Q(company__isnull=True, person__isnull=True, sale__isnull=False)
                ),
                name="favourite_exactly_one",
            ),
            models.UniqueConstraint(fields=["user", "company"], name="favourite_company_once"),
            models.UniqueConstraint(fields=["user", "person"], name="favourite_person_once"),
            models.UniqueConstraint(fields=["user", "sale"], name="favourite_sale_once"),
        ]

    def __str__(self) -> str:
        return str(self.target)

    @property
    def kind(self) -> str:
        return Entity.COMPANY if self.company_id else Entity.PERSON if self.person_id else Entity.SALE

    @property
    def target(self) -> models.Model:
        return self.company or self.person or self.sale  # type: ignore[return-value]


class ListEntity(models.TextChoices):
    SALE = "sale", _("Sales")
    COMPANY = "company", _("Companies")
    PERSON = "person", _("Persons")
    ACTIVITY = "activity", _("Activities")


class SavedView(Versioned):
    """A named way to look at a list: which columns, filters, sort and grouping. Personal or
    shared with the owner's team; each user may mark one view per list as their default."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("owner")
    )
    entity = models.CharField(_("list"), max_length=8, choices=ListEntity.choices)
    name = models.CharField(_("name"), max_length=120)
    shared = models.BooleanField(_("shared with my team"), default=False)
    is_default = models.BooleanField(_("default view"), default=False)
    config = models.JSONField(_("settings"), default=dict, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        indexes = [models.Index(fields=["owner", "entity"]), models.Index(fields=["entity", "shared"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "entity"], condition=models.Q(is_default=True), name="saved_view_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name
