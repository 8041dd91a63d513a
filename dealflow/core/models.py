from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Versioned(TimeStamped):
    """Optimistic locking: a save based on an older version is refused (see core.services)."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class SiteSettings(models.Model):
    """Installation-wide switches, one row."""

    funnel_enabled = models.BooleanField(_("sales funnel switched on"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site settings")

    def __str__(self) -> str:
        return "site settings"

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
