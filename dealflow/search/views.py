"""The global search: a full results page and the dropdown the top-bar box fills as you type."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dealflow.core.funnel import funnel_enabled
from dealflow.core.types import AuthedRequest

from . import hits_html, selectors

MAX_QUERY = 100


def _search(request: AuthedRequest, limit: int) -> dict:
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    results = selectors.global_search(user=request.user, q=q, limit=limit, include_sales=funnel_enabled())
    return {"results": results, "search_q": q, "min_length": selectors.MIN_LENGTH}


@require_GET
@login_required
def results(request: AuthedRequest) -> HttpResponse:
    context = _search(request, selectors.PAGE_LIMIT)
    groups = context["results"].groups.items()
    context["groups"] = [(kind, hits, hits_html.result_items(hits)) for kind, hits in groups if hits]
    return render(request, "search/results.html", context)


@require_GET
@login_required
def suggest(request: AuthedRequest) -> HttpResponse:
    context = _search(request, selectors.DROPDOWN_LIMIT)
    groups = context["results"].groups.items()
    context["groups"] = [(kind, hits, hits_html.dropdown_options(kind, hits)) for kind, hits in groups if hits]
    return render(request, "search/_dropdown.html", context)
