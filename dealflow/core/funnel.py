"""The installation-wide funnel switch: when off, no funnel screen, tab, menu item or API
path answers (404), and nothing else changes."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from .models import SiteSettings

# The switch as read once during the current request (a page asked for it up to three times:
# the view, the Overview tab and the menus); outside a request it is read every time.
_read_in_request: ContextVar[dict[str, bool] | None] = ContextVar("funnel_switch", default=None)


def funnel_enabled() -> bool:
    memo = _read_in_request.get()
    if memo is None:
        return SiteSettings.load().funnel_enabled
    if "on" not in memo:
        memo["on"] = SiteSettings.load().funnel_enabled
    return memo["on"]


def forget_switch() -> None:
    """After the switch changed: the rest of this request reads it again."""
    memo = _read_in_request.get()
    if memo is not None:
        memo.clear()


class SwitchOncePerRequestMiddleware:
    """Lets `funnel_enabled` read the switch at most once per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _read_in_request.set({})
        try:
            return self.get_response(request)
        finally:
            _read_in_request.reset(token)


def funnel_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not funnel_enabled():
            raise Http404("The sales funnel is switched off.")
        return view(request, *args, **kwargs)

    return wrapper


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: `funnel_on` for menus and tabs."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"funnel_on": False}
    return {"funnel_on": funnel_enabled()}
