"""The installation-wide funnel switch: when off, no funnel screen, tab, menu item or API
path answers (404), and nothing else changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest

from .models import SiteSettings


def funnel_enabled() -> bool:
    return SiteSettings.load().funnel_enabled


def funnel_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not funnel_enabled():
            raise Http404("The sales funnel is switched off.")
        request.funnel_on = True  # type: ignore[attr-defined]  # read by `context`: saves a query
        return view(request, *args, **kwargs)

    return wrapper


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: `funnel_on` for menus and tabs."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"funnel_on": False}
    known = getattr(request, "funnel_on", None)
    return {"funnel_on": funnel_enabled() if known is None else known}
