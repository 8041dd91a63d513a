"""Activity screens: the list, create (from a card, the agenda or the shortcut), edit, done and
undone, delete. Views validate, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealflow.accounts.visibility import scope_by_owner
from dealflow.audit.services import history_for
from dealflow.core.forms import run_service
from dealflow.core.types import AuthedRequest
from dealflow.core.views import choice, date_or_none, ids, list_context
from dealflow.insights import export_lists, exports
from dealflow.relations.models import Company, Person, Project
from dealflow.sales import selectors as sales_selectors
from dealflow.sales.models import Sale
from dealflow.saved import lists, views_lists

from . import selectors, services
from .forms import ActivityForm, picked_id, picker_label, picker_options
from .item_html import activity_item
from .models import ActivityType
from .paging import activity_paginator


def _next_url(request: AuthedRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def list_filters(params: QueryDict) -> dict[str, Any]:
    """The list's filters from a querystring: the list and its bulk actions use it. No status
    given means the open ones; "all" (or anything unknown) means every activity."""
    return {
        "q": params.get("q", "").strip()[:200],
        "status": choice(params, "status", selectors.ACTIVITY_STATUSES, "open", unknown=""),
        "sort": choice(params, "sort", selectors.ACTIVITY_SORTS, "due"),
        "kind": choice(params, "kind", ActivityType.values, ""),
        **ids(params, "owner", "sale", "company", "person", "project"),
        "date_from": date_or_none(params.get("from")),
        "date_to": date_or_none(params.get("to")),
    }


@login_required
def activity_list(request: AuthedRequest) -> HttpResponse:
    opened, menu = views_lists.open_view(request, lists.ACTIVITY)
    if opened is not None:
        return opened
    filters = list_filters(request.GET)
    qs = selectors.activity_list(user=request.user, **filters)
    fmt = exports.wanted_format(request)
    if fmt:
        return exports.export(fmt, export_lists.activity_rows(qs), "activities", _("Activities"))  # type: ignore[return-value]
    state = lists.list_state(lists.ACTIVITY, request.GET)
    context = list_context(
        request,
        lists.apply_group(lists.ACTIVITY, qs, state["group"]),
        filters["sort"],
        paginator_class=activity_paginator(request.user, filters),
        group_totals=lists.group_totals(lists.ACTIVITY, qs, state["group"]),
        **state,
        **menu,
        exports=exports.export_links(request),
        status=filters["status"],
        kind=filters["kind"],
        kinds=ActivityType.choices,
        statuses=[("open", _("Open")), ("overdue", _("Overdue")), ("done", _("Done"))],
        narrowed=[(key, filters[key]) for key in ("owner", "sale", "company", "person", "project") if filters[key]],
        now=timezone.now(),
    )
    if request.htmx and request.htmx.target == "list-results":
        return render(request, "activities/activity_list.html#results", context)
    return render(request, "activities/activity_list.html", context)


def _prefill(request: AuthedRequest) -> dict[str, Any]:
    """?sale=, ?company=, ?person=, ?project= (only what the user may see) and ?date= from the agenda."""
    initial: dict[str, Any] = {}
    for name, obj in sales_selectors.linked_records(
        request.user, request.GET, ("sale", "project", "person", "company")
    ):
        initial[name] = obj.pk
        if name != "company" and getattr(obj, "company_id", None):
            initial.setdefault("company", obj.company_id)
        if name == "sale" and getattr(obj, "person_id", None):
            initial.setdefault("person", obj.person_id)
    day = date_or_none(request.GET.get("date"))
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    if day is not None:
        start = start.replace(year=day.year, month=day.month, day=day.day)
    initial["starts_at"] = start
    kind = request.GET.get("kind")
    if kind in ActivityType.values:
        initial["kind"] = kind
    return initial


def _form_page(request: AuthedRequest, form: ActivityForm, save: Any, activity: Any = None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        saved = run_service(form, lambda: save(form))
        if saved is not None:
            messages.success(request, _("Activity “%(subject)s” was saved.") % {"subject": saved.subject})
            return redirect(_next_url(request) or saved.get_absolute_url())
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "object": activity,
            "links": form.links(),
            "next": _next_url(request) or "",
            "history": history_for(activity) if activity is not None else [],
        },
    )


@login_required
def activity_create(request: AuthedRequest) -> HttpResponse:
    form = ActivityForm(request.POST or None, initial=_prefill(request), user=request.user)
    return _form_page(request, form, lambda f: services.activity_create(actor=request.user, data=f.service_data()))


PICK_MODELS: dict[str, Any] = {"sale": Sale, "company": Company, "person": Person, "project": Project}


@login_required
def activity_pick(request: AuthedRequest, kind: str) -> HttpResponse:
    """The picker's suggestions: at most 20 <option>s of records the user may see that match
    what was typed (?<kind>= or ?q=), narrowed to the chosen company (?company=)."""
    model = PICK_MODELS.get(kind)
    if model is None:
        raise Http404
    q = (request.GET.get(kind) or request.GET.get("q") or "")[:200]
    queryset = scope_by_owner(model.objects.all(), request.user)
    rows = picker_options(queryset, q, kind, picked_id(request.GET.get("company")))
    return render(request, "activities/_pick_options.html", {"options": [picker_label(r) for r in rows]})


@login_required
def activity_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_user(request.user, pk)
    form = ActivityForm(request.POST or None, instance=activity, user=request.user)
    return _form_page(
        request,
        form,
        lambda f: services.activity_update(
            actor=request.user,
            activity=activity,
            data=f.service_data(),
            expected_version=f.cleaned_data.get("version"),
        ),
        activity,
    )


@login_required
@require_POST
def activity_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """Done or undone (done=0). For htmx the activity's row comes back in the shape it was in."""
    activity = selectors.activity_get_for_user(request.user, pk)
    activity = services.activity_set_done(actor=request.user, activity=activity, done=request.POST.get("done") != "0")
    if request.htmx:
        if request.POST.get("shape") == "item":
            back = request.POST.get("next") or request.get_full_path()
            return HttpResponse(activity_item(activity, next_id=None, back=back, csrf_token=get_token(request)))
        cols = QueryDict(mutable=True)
        cols.setlist("cols", request.POST.get("cols", "").split(","))
        columns = lists.chosen_columns(lists.ACTIVITY, cols)
        return render(
            request, "activities/activity_list.html#row", {"a": activity, "now": timezone.now(), "columns": columns}
        )
    messages.success(request, _("Marked done.") if activity.done else _("Marked not done."))
    return redirect(_next_url(request) or "activities:activity_list")


@login_required
def activity_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_user(request.user, pk)
    if request.method == "POST":
        services.activity_delete(actor=request.user, activity=activity)
        messages.success(request, _("Activity “%(subject)s” was deleted.") % {"subject": activity.subject})
        return redirect(_next_url(request) or "activities:activity_list")
    return render(request, "activities/activity_delete.html", {"object": activity, "next": _next_url(request) or ""})


@login_required
@require_POST
def plan_follow_ups(request: AuthedRequest, sale_pk: int) -> HttpResponse:
    """The sale card's "Plan follow-ups": the sales guide's follow-ups for the current phase."""
    sale = sales_selectors.sale_get_for_user(request.user, sale_pk)
    created = services.activities_from_guide(actor=request.user, sale=sale)
    if created:
        messages.success(request, _("%(count)s follow-ups were planned.") % {"count": len(created)})
    else:
        messages.info(request, _("The follow-ups of this phase are already planned."))
    return redirect(_next_url(request) or sale.get_absolute_url() + "#activities")
