from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.forms import BoundField
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from dealflow.core.form_renderer import field_html
from dealflow.core.topbar import language_switcher_html, topbar_html

register = template.Library()


@lru_cache(maxsize=64)
def _model_for(model_name: str) -> Any:
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return model
    return None


@register.simple_tag
def field_label(object_type: str, field: str) -> str:
    """The translated label of a field named in the change log."""
    model = _model_for(object_type)
    if model is None:
        return field
    try:
        f = model._meta.get_field(field)
    except FieldDoesNotExist:
        return field
    # A reverse relation (e.g. a sale's "stakeholders" or "documents") has no verbose_name.
    label = getattr(f, "verbose_name", None) or f.related_model._meta.verbose_name_plural
    return capfirst(str(label))


@register.simple_tag(takes_context=True)
def sort_link(context: Any, key: str) -> str:
    """The sort value a column header links to: ascending first, then descending."""
    current = context.get("sort", "")
    return f"-{key}" if current == key else key


@register.simple_tag
def change_value(object_type: str, field: str, value: Any) -> str:
    """A value from the change log as a person reads it: a choice's translated label, a date
    or time in the locale's format, yes/no for booleans, a dash for nothing."""
    import datetime as dt

    from django.utils import formats, timezone
    from django.utils.translation import gettext

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(change_value(object_type, field, v) for v in value)
    model = _model_for(object_type)
    if model is not None:
        try:
            f = model._meta.get_field(field)
        except FieldDoesNotExist:
            f = None
        choices = dict(getattr(f, "flatchoices", None) or [])
        if choices and value in choices:
            return str(choices[value])
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
            moment = dt.datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        except ValueError:
            pass
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d{1,2}", value):
        return formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    return formats.localize(value) if isinstance(value, (int, float)) else str(value)


@register.simple_tag
def field(bound_field: BoundField, wide: bool = False) -> str:
    """{% field form.title wide=True %}: a form field with its label, help text and errors."""
    return mark_safe(field_html(bound_field, wide))  # noqa: S308  # built from escaped parts


@register.simple_tag(takes_context=True)
def topbar(context: Any) -> str:
    """The signed-in user's top bar (menus, search, favourites, notifications, language)."""
    return topbar_html(context, bool(context.get("funnel_on")))


@register.simple_tag(takes_context=True)
def language_switcher(context: Any) -> str:
    return mark_safe(language_switcher_html(context))  # noqa: S308 - built from escaped values
