"""The address of one record's card (a sale, an activity, a company …) on the busiest screens.
Django's `reverse()` walks the URL patterns on every call (20–40 µs here), and a list, a board
or a card asks for dozens of addresses. The pattern of a name is reversed once per URL prefix
and URLconf, and the record's id is filled in."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

_MARK = "2147483647"  # an id no pattern contains as text; replaced by the record's


@lru_cache(maxsize=256)
def _pattern(name: str, prefix: str, urlconf: str) -> tuple[str, str]:
    url = reverse(name, args=[int(_MARK)], urlconf=urlconf)
    head, found, tail = url.partition(_MARK)
    if not found or _MARK in tail:
        raise ValueError(f"{name} does not take one record id")
    return head, tail


def record_url(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL whose only argument is a record's id."""
    head, tail = _pattern(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return f"{head}{int(pk)}{tail}"
