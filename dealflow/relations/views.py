"""Company, person and project screens. Views validate, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealflow.audit.services import history_for
from dealflow.core.forms import run_service
from dealflow.core.types import AuthedRequest
from dealflow.core.views import int_or_none, list_context
from dealflow.insights import export_lists, exports
from dealflow.sales.selectors import user_field_values
from dealflow.sales.views_overview import company_sales_context, related_sales
from dealflow.saved import lists, views_lists
from dealflow.saved.calllist import call_list_query, with_call_list

from . import selectors, services
from .forms import CompanyDeleteForm, CompanyForm, PersonForm, ProjectForm
from .models import ProjectStatus


def _list(
    request: AuthedRequest,
    template: str,
    qs_for: Callable[..., Any],
    sorts: dict,
    spec: lists.ListSpec | None = None,
    **filters: Any,
) -> HttpResponse:
    menu: dict[str, Any] = {}
    if spec is not None:
        opened, menu = views_lists.open_view(request, spec)
        if opened is not None:
            return opened
    sort = request.GET.get("sort", "name")
    sort = sort if sort in sorts else "name"
    qs = qs_for(
        user=request.user,
        q=request.GET.get("q", "").strip(),
        sort=sort,
        archived=request.GET.get("archived") == "1",
        **filters,
    )
    fmt = exports.wanted_format(request)
    if fmt:
        name = next((n for n in ("persons", "projects") if n[:-1] in template), "companies")
        rows = {"persons": export_lists.person_rows, "projects": export_lists.project_rows}.get(
            name, export_lists.company_rows
        )(qs)
        return exports.export(fmt, rows, name, name)  # type: ignore[return-value]
    if spec is None:
        context = list_context(
            request, qs, sort, paginator_class=lists.TwoStepPaginator, exports=exports.export_links(request)
        )
    else:
        state = lists.list_state(spec, request.GET)
        context = list_context(
            request,
            lists.apply_group(spec, qs, state["group"]),
            sort,
            paginator_class=lists.TwoStepPaginator,
            exports=exports.export_links(request),
            group_totals=lists.group_totals(spec, qs, state["group"]),
            **state,
            **menu,
        )
    if request.htmx and request.htmx.target == "list-results":
        return render(request, f"{template}#results", context)
    return render(request, template, context)


def _form_page(
    request: AuthedRequest,
    form_class: type,
    template: str,
    save: Callable[[Any], Any],
    instance: Any = None,
    initial: dict | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(form, lambda: save(form))
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect(with_call_list(saved.get_absolute_url(), request))
    context = {"form": form, "object": instance, "call_qs": call_list_query(request), **(extra or {})}
    return render(request, template, context)


def _archive(request: AuthedRequest, obj: Any, service: Callable[..., Any], kw: str) -> HttpResponse:
    archived = request.POST.get("archived") == "1"
    service(actor=request.user, archived=archived, **{kw: obj})
    messages.success(request, _("Archived.") if archived else _("Restored."))
    return redirect(with_call_list(obj.get_absolute_url(), request))


# --- companies -----------------------------------------------------------------------------


@login_required
def company_list(request: AuthedRequest) -> HttpResponse:
    return _list(
        request,
        "relations/company_list.html",
        selectors.company_list,
        selectors.COMPANY_SORTS,
        lists.COMPANY,
        account_type=int_or_none(request.GET.get("account_type")),
    )


@login_required
def company_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    company = selectors.company_get_for_user(request.user, pk)
    return render(
        request,
        "relations/company_detail.html",
        {
            "object": company,
            "persons": selectors.person_list(user=request.user, company=company.pk)[:100],
            "projects": selectors.project_list(user=request.user, company=company.pk)[:100],
            "history": history_for(company),
            "user_fields": user_field_values("company", company.custom),
            "tab": request.GET.get("tab", ""),
            "call_qs": call_list_query(request),
            **company_sales_context(request, company),
        },
    )


@login_required
def company_create(request: AuthedRequest) -> HttpResponse:
    return _form_page(
        request,
        CompanyForm,
        "relations/company_form.html",
        lambda form: services.company_create(actor=request.user, data=form.service_data()),
    )


@login_required
def company_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    company = selectors.company_get_for_user(request.user, pk)
    return _form_page(
        request,
        CompanyForm,
        "relations/company_form.html",
        lambda form: services.company_update(
            actor=request.user,
            company=company,
            data=form.service_data(),
            expected_version=form.cleaned_data.get("version"),
        ),
        instance=company,
    )


@login_required
@require_POST
def company_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    return _archive(request, selectors.company_get_for_user(request.user, pk), services.company_set_archived, "company")


@login_required
def company_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    company = selectors.company_get_for_user(request.user, pk)
    form = CompanyDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.company_delete(actor=request.user, company=company, persons=form.cleaned_data["persons"])
        messages.success(request, _("Company “%(name)s” was deleted.") % {"name": company.name})
        return redirect("relations:company_list")
    return render(
        request,
        "relations/company_delete.html",
        {"object": company, "form": form, "counts": selectors.company_dependants(company)},
    )


# --- persons -------------------------------------------------------------------------------


@login_required
def person_list(request: AuthedRequest) -> HttpResponse:
    return _list(
        request,
        "relations/person_list.html",
        selectors.person_list,
        selectors.PERSON_SORTS,
        lists.PERSON,
        company=int_or_none(request.GET.get("company")),
    )


@login_required
def person_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, pk)
    return render(
        request,
        "relations/person_detail.html",
        {
            "object": person,
            "history": history_for(person),
            "user_fields": user_field_values("person", person.custom),
            "call_qs": call_list_query(request),
            **related_sales(request, person=person.pk),
        },
    )


@login_required
def person_create(request: AuthedRequest) -> HttpResponse:
    return _form_page(
        request,
        PersonForm,
        "relations/person_form.html",
        lambda form: services.person_create(actor=request.user, data=form.service_data()),
        initial={"company": int_or_none(request.GET.get("company"))},
    )


@login_required
def person_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, pk)
    return _form_page(
        request,
        PersonForm,
        "relations/person_form.html",
        lambda form: services.person_update(
            actor=request.user,
            person=person,
            data=form.service_data(),
            expected_version=form.cleaned_data.get("version"),
        ),
        instance=person,
    )


@login_required
@require_POST
def person_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    return _archive(request, selectors.person_get_for_user(request.user, pk), services.person_set_archived, "person")


@login_required
def person_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, pk)
    if request.method == "POST":
        services.person_delete(actor=request.user, person=person)
        messages.success(request, _("Person “%(name)s” was deleted.") % {"name": person})
        return redirect("relations:person_list")
    return render(request, "relations/confirm_delete.html", {"object": person})


# --- projects ------------------------------------------------------------------------------


@login_required
def project_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    return _list(
        request,
        "relations/project_list.html",
        selectors.project_list,
        selectors.PROJECT_SORTS,
        company=int_or_none(request.GET.get("company")),
        status=status if status in ProjectStatus.values else "",
    )


@login_required
def project_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    return render(
        request,
        "relations/project_detail.html",
        {"object": project, "history": history_for(project), **related_sales(request, project=project.pk)},
    )


@login_required
def project_create(request: AuthedRequest) -> HttpResponse:
    return _form_page(
        request,
        ProjectForm,
        "relations/project_form.html",
        lambda form: services.project_create(actor=request.user, data=form.service_data()),
        initial={"company": int_or_none(request.GET.get("company"))},
    )


@login_required
def project_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    return _form_page(
        request,
        ProjectForm,
        "relations/project_form.html",
        lambda form: services.project_update(
            actor=request.user,
            project=project,
            data=form.service_data(),
            expected_version=form.cleaned_data.get("version"),
        ),
        instance=project,
    )


@login_required
@require_POST
def project_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    return _archive(request, selectors.project_get_for_user(request.user, pk), services.project_set_archived, "project")


@login_required
def project_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    if request.method == "POST":
        services.project_delete(actor=request.user, project=project)
        messages.success(request, _("Project “%(name)s” was deleted.") % {"name": project})
        return redirect("relations:project_list")
    return render(request, "relations/confirm_delete.html", {"object": project})
