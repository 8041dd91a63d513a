"""The favourite star, the "Add to selection" control and the call-list panel on a member's card."""

from __future__ import annotations

from typing import Any

from django import template

from dealflow.saved import calllist, selectors

register = template.Library()


@register.inclusion_tag("saved/_star.html", takes_context=True)
def favourite_star(context: Any, target: Any, kind: str) -> dict[str, Any]:
    user = context["request"].user
    on = selectors.is_favourite(user, kind, target.pk)
    return {"target": target, "kind": kind, "on": on, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("saved/_add_to_selection.html", takes_context=True)
def add_to_selection(context: Any, target: Any, kind: str) -> dict[str, Any]:
    request = context["request"]
    return {
        "target": target,
        "kind": kind,
        "selections": selectors.static_selections_for(user=request.user, entity=kind),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("saved/_call_panel.html", takes_context=True)
def call_list_panel(context: Any, target: Any, kind: str) -> dict[str, Any]:
    """The call-list panel when the card was opened from a call list (?selection=&i=), else nothing."""
    return calllist.call_list_context(context["request"], kind, target)
