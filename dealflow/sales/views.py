"""The sales list, creating a sale, and the sale card. Views validate, call one service or
selector, render. Every screen needs a login and the funnel switched on; a sale the user
may not see is a 404 (selectors.sale_get_for_user)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from dealflow.audit.services import history_for
from dealflow.core.forms import run_service
from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest
from dealflow.core.views import choice, ids, int_or_none, list_context
from dealflow.insights import export_lists, exports
from dealflow.relations import selectors as relations_selectors
from dealflow.relations.models import Person, Project
from dealflow.saved import calllist, lists, views_lists

from . import list_groups, selectors, services
from .forms import SaleCardForm, SaleDocumentForm, SaleLinkForm, StakeholderForm
from .models import Sale, SaleStatus

TABS = ("sale", "details", "more", "note", "links")
DETAILS_FIELDS = {"total_cost", "profit", "profit_pct", "competitor"}


def dashes(form: Any) -> Any:
    """Show an empty choice as "—" rather than Django's "---------"."""
    from django.forms import ModelChoiceField

    for field in form.fields.values():
        if isinstance(field, ModelChoiceField) and field.empty_label is not None:
            field.empty_label = "—"
    return form


# --- the list ------------------------------------------------------------------------------


def list_filters(params: QueryDict) -> dict[str, Any]:
    """The list's filters from a querystring: the list itself and the card's browsing use it."""
    return {
        "q": params.get("q", "").strip()[:200],
        "sort": choice(params, "sort", selectors.SALE_SORTS, "-date"),
        "status": choice(params, "status", selectors.SALE_STATUS_FILTERS, ""),
        **ids(params, "pipeline", "company", "person", "project"),
    }


@login_required
@funnel_required
def sale_list(request: AuthedRequest) -> HttpResponse:
    opened, menu = views_lists.open_view(request, lists.SALE)
    if opened is not None:
        return opened
    filters = list_filters(request.GET)
    qs = selectors.sale_list_effective(user=request.user, **filters)
    fmt = exports.wanted_format(request)
    if fmt:
        return exports.export(fmt, export_lists.sale_rows(qs), "sales", _("Sales"))  # type: ignore[return-value]
    state = lists.list_state(lists.SALE, request.GET)
    totals = selectors.sale_group_totals(user=request.user, filters=filters, qs=qs, group=state["group"])
    # grouped: a page is read a group at a time, from where the group totals say each one starts
    rows: Any = list_groups.grouped_rows(qs, group=state["group"], totals=totals, sort=filters["sort"])
    context = list_context(
        request,
        rows,
        filters["sort"],
        paginator_class=lists.CappedPaginator,
        group_totals=totals,
        **state,
        **menu,
        status=filters["status"],
        pipeline=filters["pipeline"],
        pipelines=selectors.active_pipelines(),
        statuses=[
            ("open", _("Open")),
            ("sold", _("Sold")),
            ("lost", _("Lost")),
            ("stalled", _("Stalled")),
            ("completed", _("Completed")),
        ],  # fmt: skip
        narrowed=[(key, filters[key]) for key in ("company", "person", "project") if filters[key]],
        exports=exports.export_links(request),
    )
    if request.htmx and request.htmx.target == "list-results":
        return render(request, "sales/sale_list.html#results", context)
    return render(request, "sales/sale_list.html", context)


# --- create --------------------------------------------------------------------------------


def _prefill(request: AuthedRequest) -> dict[str, Any]:
    """?company=, ?person=, ?project= from the card the user came from (only what they may see)."""
    initial: dict[str, Any] = {}
    for name, obj in selectors.linked_records(request.user, request.GET, ("project", "person", "company")):
        initial[name] = obj.pk
        if name in ("project", "person") and getattr(obj, "company_id", None):
            initial.setdefault("company_obj", cast("Project | Person", obj).company)
        if name == "company":
            initial["company_obj"] = obj
    company = initial.pop("company_obj", None)
    if company is not None:
        initial["company"] = company.pk
        pipeline = services.default_pipeline(company)
        if pipeline is not None:
            initial["pipeline"] = pipeline.pk
    return initial


@login_required
@funnel_required
def sale_create(request: AuthedRequest) -> HttpResponse:
    form = SaleCardForm(
        request.POST if request.method == "POST" else None, initial=_prefill(request), user=request.user
    )
    if request.method == "POST" and form.is_valid():
        sale = run_service(form, lambda: services.sale_create(actor=request.user, data=form.service_data()))
        if sale is not None:
            messages.success(request, _("Sale “%(title)s” was created.") % {"title": sale.title})
            return redirect(sale.get_absolute_url())
    context = {
        "form": form,
        "cancel_url": _cancel_url(request),
        "more_fields": [{"udf": u, "field": form[f"udf_{u.code}"]} for u in form.udfs],
        "decimal_separator": get_format("DECIMAL_SEPARATOR"),
    }
    return render(request, "sales/sale_form.html", context)


def _cancel_url(request: AuthedRequest) -> str:
    for name, url_name in (("project", "relations:project_detail"), ("person", "relations:person_detail"),
                           ("company", "relations:company_detail")):  # fmt: skip
        pk = int_or_none(request.GET.get(name))
        if pk:
            return reverse(url_name, args=[pk])
    return reverse("sales:sale_list")


# --- the card ------------------------------------------------------------------------------


def browse_params(request: AuthedRequest) -> dict[str, str]:
    """The list the card was opened from (?from=<list query>&i=<row>) or the call list
    (?selection=<id>&i=<n>), passed along."""
    params = {}
    if "from" in request.GET:
        params["from"] = request.GET["from"][:1000]
        if int_or_none(request.GET.get("i")) is not None:
            params["i"] = request.GET["i"]
    else:
        params.update(calllist.call_list_params(request))
    return params


def card_url(sale: Sale | int, request: AuthedRequest, **extra: str) -> str:
    pk = sale if isinstance(sale, int) else sale.pk
    params = {**browse_params(request), **{k: v for k, v in extra.items() if v}}
    url = reverse("sales:sale_detail", args=[pk])
    return f"{url}?{urlencode(params)}" if params else url


def _browse(request: AuthedRequest, sale: Sale) -> dict[str, Any]:
    params = browse_params(request)
    if "from" not in params:
        return {}
    if params["from"].startswith("selection:"):
        return _browse_selection(request, sale, params)
    query = QueryDict(params["from"])
    filters = list_filters(query)
    qs = selectors.sale_list_effective(user=request.user, **filters)
    found = selectors.sale_neighbours(
        qs,
        sale_id=sale.pk,
        index=int_or_none(params.get("i")),
        skip_completed=bool(request.user.preference("skip_completed_sales", False)),
    )
    back = reverse("sales:sale_list") + "?" + params["from"]
    if found is None:
        return {"back_url": back}
    page = found["position"] // settings.PAGE_SIZE + 1
    back = reverse("sales:sale_list") + "?" + urlencode([*query.lists(), ("page", page)], doseq=True)

    def link(item: tuple[int, int] | None) -> str | None:
        if item is None:
            return None
        pk, position = item
        return reverse("sales:sale_detail", args=[pk]) + "?" + urlencode({"from": params["from"], "i": position})

    return {
        "back_url": back,
        "prev_url": link(found["prev"]),
        "next_url": link(found["next"]),
        "position": found["position"] + 1,
    }


def _browse_selection(request: AuthedRequest, sale: Sale, params: dict[str, str]) -> dict[str, Any]:
    """Previous/next through the selection the card was opened from (?from=selection:<id>&i=<n>,
    n counted from 0), in the call list's order, skipping completed sales if the user asks."""
    from dealflow.saved import selectors as saved_selectors

    pk = int_or_none(params["from"].removeprefix("selection:"))
    try:
        selection = saved_selectors.selection_get_for_user(request.user, pk or 0)
    except Http404:
        return {}
    if selection.entity != "sale":
        return {}
    found = selectors.sale_neighbours(
        saved_selectors.selection_members(user=request.user, selection=selection),
        sale_id=sale.pk,
        index=int_or_none(params.get("i")),
        skip_completed=bool(request.user.preference("skip_completed_sales", False)),
    )
    back = reverse("saved:selection_work", args=[selection.pk])
    if found is None:
        return {"back_url": back}

    def link(item: tuple[int, int] | None) -> str | None:
        if item is None:
            return None
        return reverse("sales:sale_detail", args=[item[0]]) + "?" + urlencode({"from": params["from"], "i": item[1]})

    return {
        "back_url": f"{back}?i={found['position'] + 1}",
        "prev_url": link(found["prev"]),
        "next_url": link(found["next"]),
        "position": found["position"] + 1,
    }


def _error_tab(form: SaleCardForm) -> str | None:
    pinned = {f"udf_{u.code}" for u in form.udfs if u.pinned}
    for name in form.errors:
        if name == "__all__":
            continue
        if name in DETAILS_FIELDS:
            return "details"
        if name == "note":
            return "note"
        if name.startswith("udf_") and name not in pinned:
            return "more"
        return "sale"
    return None


def card_context(
    request: AuthedRequest, sale: Sale, form: SaleCardForm | None = None, tab: str | None = None, **extra: Any
) -> dict[str, Any]:
    user = request.user
    form = form or SaleCardForm(instance=sale, user=user)
    tab = (_error_tab(form) if form.is_bound else None) or tab or request.GET.get("tab") or "sale"
    phases = [p for p in selectors.sale_pipeline_phases(sale) if p.is_active or p.pk == sale.phase_id]
    if not Sale.phase.is_cached(sale):  # type: ignore[attr-defined]
        sale.phase = next(p for p in phases if p.pk == sale.phase_id)
    stakeholder_form = extra.pop("stakeholder_form", None) or dashes(StakeholderForm(user=user, prefix="stakeholder"))
    records = selectors.sale_phase_records(sale)
    documents = list(sale.documents.select_related("uploaded_by"))
    linked = linked_sales(user, sale)
    context = {
        "sale": sale,
        "form": form,
        "tab": tab if tab in TABS else "sale",
        "browse": _browse(request, sale),
        "browse_qs": urlencode(browse_params(request)),
        "phases": phases,
        "records": records,
        "visited": {r.phase_id for r in records},
        "more_fields": [{"udf": u, "field": form[f"udf_{u.code}"]} for u in form.udfs],
        "has_note": bool(sale.note.strip()),
        "decimal_separator": get_format("DECIMAL_SEPARATOR"),
        "stakeholders": list(sale.stakeholders.select_related("person__company")),
        "stakeholder_form": stakeholder_form,
        "stakeholder_people": stakeholder_people(user, sale),
        "guide": selectors.guide_for(sale),
        "documents": documents,
        "document_form": extra.pop("document_form", None) or SaleDocumentForm(prefix="document"),
        "linked": linked,
        "links_count": len(documents) + len(linked),
        "link_form": extra.pop("link_form", None) or SaleLinkForm(user=user, sale=sale, prefix="link"),
        "link_options": link_options(user, sale),
        "history": history_for(sale),
        "is_open": sale.effective_status == SaleStatus.OPEN,
        "can_reopen": sale.status != SaleStatus.OPEN,
        **extra,
    }
    return context


def stakeholder_people(user: Any, sale: Sale) -> list[Any]:
    """The people offered first when adding a stakeholder: those of the sale's company."""
    if not sale.company_id:
        return []
    return list(relations_selectors.person_list(user=user, company=sale.company_id).select_related("company")[:100])


def linked_sales(user: Any, sale: Sale) -> list[Sale]:
    from dealflow.accounts.visibility import scope_by_owner

    linked = scope_by_owner(sale.linked_sales.all(), user).select_related("company")
    return list(linked.only("title", "status", "reopen_date", "company__name").order_by("title"))


def link_options(user: Any, sale: Sale) -> list[Sale]:
    """The company's other sales, offered first; any other visible sale is found by searching."""
    if sale.company_id:
        others = selectors.sale_list(user=user, company=sale.company_id).exclude(pk=sale.pk)
        # An option shows the title and the company (sales/_options.html), nothing else.
        return list(others.select_related(None).select_related("company").only("title", "company__name")[:30])
    return []


@login_required
@funnel_required
def sale_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The card. POST saves the Sale, Details, More and Note tabs (one form, with the version
    the user started from: a stale save is refused with what changed, the input kept)."""
    sale = selectors.sale_get_for_user(request.user, pk)
    form = SaleCardForm(request.POST if request.method == "POST" else None, instance=sale, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.sale_update(
                actor=request.user,
                sale=sale,
                data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if saved is not None:
            messages.success(request, _("Saved."))
            tab = request.POST.get("tab", "")
            return redirect(card_url(saved, request, tab=tab if tab in TABS and tab != "sale" else ""))
    return render(request, "sales/sale_detail.html", card_context(request, sale, form))
