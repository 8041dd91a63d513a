"""Sale pieces built in Python and shown on many pages: {% sale_status s %} (the effective
status badge, list_html.status_cell) and {% overview_funnel cells %} (overview_html)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from dealflow.sales import list_html, overview_html

register = template.Library()


@register.simple_tag
def sale_status(sale: Any) -> SafeString:
    return mark_safe(list_html.status_cell(sale))  # noqa: S308 - status_cell escapes every value


@register.simple_tag
def overview_funnel(cells: list[dict[str, Any]]) -> SafeString:
    return overview_html.funnel_steps(cells)
