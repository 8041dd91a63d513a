"""Saved list views and bulk actions on a list's rows. The lists themselves (sales, ...) call
`open_view` to apply a saved or default view and `views_menu` to show the menu."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from dealflow.accounts.visibility import OWNER_NAME_FIELDS, assignable_owners
from dealflow.core.types import AuthedRequest
from dealflow.insights import export_lists, exports

from . import selectors, services, services_views
from .lists import SPECS, ListSpec, config_from_params, params_from_config


def open_view(request: AuthedRequest, spec: ListSpec) -> tuple[HttpResponseRedirect | None, dict[str, Any]]:
    """(a redirect that opens the asked-for or default view, or None; the views menu context).
    One query: the menu's views, the default among them."""
    views = selectors.saved_view_list(user=request.user, entity=spec.entity)
    target = None
    if set(request.GET) == {"view"}:
        target = next((v for v in views if str(v.pk) == request.GET["view"]), None)
        if target is None:
            raise Http404
    elif not request.GET and not request.htmx:
        target = selectors.default_view(views, request.user)
    if target is not None:
        url = reverse(spec.url_name) + "?" + params_from_config(target.config, target.pk).urlencode()
        return redirect(url), {}
    current = request.GET.get("view", "")
    return None, {"saved_views": views, "current_view": current, "view_entity": spec.entity,
                  "bulk_selections": selectors.static_selections_for(user=request.user, entity=spec.entity)
                  if spec.entity in ("sale", "company", "person") else [],
                  "bulk_owners": assignable_owners(request.user).only(*OWNER_NAME_FIELDS)}  # fmt: skip


def _spec(entity: str) -> ListSpec:
    if entity not in SPECS:
        raise Http404
    return SPECS[entity]


def _back(spec: ListSpec, params: str) -> str:
    return reverse(spec.url_name) + ("?" + params if params else "")


@login_required
@require_POST
def view_save(request: AuthedRequest, entity: str) -> HttpResponse:
    spec = _spec(entity)
    params = QueryDict(request.POST.get("params", "")[:2000])
    try:
        view = services_views.saved_view_create(
            actor=request.user, entity=entity, name=request.POST.get("name", ""),
            config=config_from_params(spec, params), shared=request.POST.get("shared") == "1",
            is_default=request.POST.get("is_default") == "1",
        )  # fmt: skip
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(_back(spec, params.urlencode()))
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
    return redirect(_back(spec, params_from_config(view.config, view.pk).urlencode()))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _bulk_target(user: Any, entity: str, params: QueryDict) -> tuple[Any, Any, Any, str, str]:
    """(the visible rows the list shows for `params`, the owner-change service, the export
    rows, the export's file name and title) per list that has bulk actions."""
    if entity == "sale":
        from dealflow.sales import selectors as sales_selectors
        from dealflow.sales import services as sales_services
        from dealflow.sales.views import list_filters

        qs: Any = sales_selectors.sale_list_effective(user=user, **list_filters(params))

        def change(obj: Any, owner: Any) -> Any:
            return sales_services.sale_update(actor=user, sale=obj, data={"owner": owner})

        return qs, change, export_lists.sale_rows, "sales", _("Sales")
    if entity == "activity":
        from dealflow.activities import selectors as act_selectors
        from dealflow.activities import services as act_services
        from dealflow.activities.views import list_filters as activity_filters

        qs = act_selectors.activity_list(user=user, **activity_filters(params))

        def change_activity(obj: Any, owner: Any) -> Any:
            return act_services.activity_update(actor=user, activity=obj, data={"owner": owner})

        return qs, change_activity, export_lists.activity_rows, "activities", _("Activities")
    from dealflow.relations import selectors as rel_selectors
    from dealflow.relations import services as rel_services

    common = {"user": user, "q": params.get("q", "").strip()[:200], "archived": params.get("archived") == "1"}
    if entity == "company":
        qs = rel_selectors.company_list(**common, account_type=_int(params.get("account_type")))

        def change_company(obj: Any, owner: Any) -> Any:
            return rel_services.company_update(actor=user, company=obj, data={"owner": owner})

        return qs, change_company, export_lists.company_rows, "companies", _("Companies")
    if entity == "person":
        qs = rel_selectors.person_list(**common, company=_int(params.get("company")))

        def change_person(obj: Any, owner: Any) -> Any:
            return rel_services.person_update(actor=user, person=obj, data={"owner": owner})

        return qs, change_person, export_lists.person_rows, "persons", _("Persons")
    raise Http404


@login_required
@require_POST
def bulk(request: AuthedRequest, entity: str) -> HttpResponse:
    """Change owner, add to a selection (sales, companies, persons), mark done (activities) or
    export: the checked rows, or all rows that match the list's filter; either way only rows of
    the list's visible queryset, and every change through the record's own (audited) service."""
    spec = _spec(entity)
    params = QueryDict(request.POST.get("params", "")[:2000])
    qs, change_owner, export_rows, file_name, title = _bulk_target(request.user, entity, params)
    if request.POST.get("all") != "1":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        if not ids:
            messages.error(request, _("Select at least one row, or choose all rows that match the filter."))
            return redirect(_back(spec, params.urlencode()))
        qs = qs.filter(pk__in=ids)
    action = request.POST.get("action", "")
    if action == "export":
        fmt = request.POST.get("format", "csv")
        fmt = fmt if fmt in exports.FORMATS else "csv"
        return exports.export(fmt, export_rows(qs), file_name, title)  # type: ignore[return-value]
    try:
        if action == "owner":
            owner = assignable_owners(request.user).filter(pk=_int(request.POST.get("owner")) or 0).first()
            if owner is None:
                raise ValidationError(_("You cannot give records to this user."))
            count = 0
            for obj in qs[:1000]:
                if obj.owner_id != owner.pk:
                    change_owner(obj, owner)
                    count += 1
            messages.success(request, _("The owner of %(n)s records was changed.") % {"n": count})
        elif action == "done" and entity == "activity":
            from dealflow.activities import services as act_services

            count = 0
            for obj in qs.filter(done=False)[:1000]:
                act_services.activity_set_done(actor=request.user, activity=obj, done=True)
                count += 1
            messages.success(
                request,
                ngettext("%(n)s activity was marked done.", "%(n)s activities were marked done.", count) % {"n": count},
            )
        elif action == "selection" and entity != "activity":
            selection = selectors.selection_get_for_edit(request.user, _int(request.POST.get("selection")) or 0)
            if selection.entity != entity:
                raise ValidationError(_("This selection is over another kind of record."))
            ids = list(qs.values_list("pk", flat=True)[:5000])
            added = services.selection_add_members(actor=request.user, selection=selection, ids=ids)
            messages.success(request, _("%(n)s added to “%(name)s”.") % {"n": added, "name": selection.name})
        else:
            messages.error(request, _("Choose an action."))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect(_back(spec, params.urlencode()))
