from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

# --- query-string parameters: a bad value reads as "not given", never as an error page ---------


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def date_or_none(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def choice(params: QueryDict, name: str, allowed: Collection[str], default: str, unknown: str | None = None) -> str:
    """`params[name]` when it is one of `allowed`; `default` when it is absent, `unknown` (by
    default the same) when it is something else."""
    value = params.get(name, default)
    if value in allowed:
        return value
    return default if unknown is None else unknown


def ids(params: QueryDict, *names: str) -> dict[str, int | None]:
    """The record ids a list is narrowed to (?company=3&person=…), each None when absent or bad."""
    return {name: int_or_none(params.get(name)) for name in names}


def rows_in_order(qs: QuerySet, bottom: int, top: int) -> list[Any]:
    """qs[bottom:top] in two steps: the ids by a lean query (no joins for the related rows the
    page shows, so the database walks its sort index and stops after the page), then those rows
    with everything they show. One wide query with joins would sort every matching row first."""
    ids = list(qs.values_list("pk", flat=True)[bottom:top])
    found = {row.pk: row for row in qs.order_by().filter(pk__in=ids)} if ids else {}
    return [found[pk] for pk in ids if pk in found]


def paginate(
    request: HttpRequest, qs: QuerySet, per_page: int | None = None, paginator_class: type[Paginator] = Paginator
) -> Page:
    paginator = paginator_class(qs, per_page or settings.PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def querystring_without(request: HttpRequest, *keys: str) -> str:
    params = request.GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()


def list_context(
    request: HttpRequest, qs: QuerySet, sort: str, paginator_class: type[Paginator] = Paginator, **extra: Any
) -> dict[str, Any]:
    page = paginate(request, qs, paginator_class=paginator_class)
    return {
        "page": page,
        "q": request.GET.get("q", ""),
        "sort": sort,
        "archived": request.GET.get("archived") == "1",
        "base_qs": querystring_without(request, "page"),
        "sort_qs": querystring_without(request, "page", "sort"),
        **extra,
    }
