"""{% sale_row s forloop.counter0 %}: a row of the sales list from sales.list_html."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from dealflow.sales import list_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sale_row(context: Any, sale: Any, counter0: int) -> SafeString:
    page = context["page"]
    return list_html.sale_row(
        sale,
        columns=context.get("columns") or (),
        next_activity=(context.get("nexts") or {}).get(sale.pk),
        from_qs=context.get("base_qs") or "",
        index=page.start_index() + counter0 - 1,
    )
