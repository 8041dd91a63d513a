"""{% board_card card %}: a board card from sales.board_html, with the board's context."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from dealflow.sales import board_html

register = template.Library()


@register.simple_tag(takes_context=True)
def board_card(context: Any, card: Any) -> SafeString:
    return board_html.board_card(
        card,
        phases=context.get("phases") or [],
        board_qs=context.get("board_qs") or "",
        csrf_token=str(context.get("csrf_token") or ""),
        oob=bool(context.get("card_oob")),
    )
