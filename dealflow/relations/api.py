"""/api/v1/ companies, persons, projects and account types."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from dealflow.api.common import (
    CUSTOM_DOC,
    CustomValue,
    ErrorOut,
    PageOut,
    paginate_qs,
    validated_custom_form,
    validated_form,
)
from dealflow.core.types import AuthedRequest

from . import selectors, services
from .forms import AccountTypeForm, CompanyForm, PersonForm, ProjectForm
from .models import AccountType

router = Router()
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: Any, 422: ErrorOut}


# --- schemas -------------------------------------------------------------------------------


class AccountTypeOut(Schema):
    id: int
    code: str
    name: str
    order: int
    is_default: bool
    uses_lead_phases: bool
    pipeline: int | None = Field(
        None, alias="pipeline_id", description="The sale type (pipeline) whose lead phases it uses."
    )
    won_account_type: int | None = Field(
        None,
        alias="won_account_type_id",
        description="The account type a company moves to when one of its sales is won.",
    )
    is_active: bool


class AccountTypeIn(Schema):
    code: str | None = None
    name: str | None = None
    order: int | None = None
    is_default: bool | None = None
    uses_lead_phases: bool | None = None
    pipeline: int | None = Field(None, description="Sale type (pipeline) id; required when uses_lead_phases.")
    won_account_type: int | None = Field(None, description="Account type id a company gets when a sale is won.")
    is_active: bool | None = None


class CompanyOut(Schema):
    id: int
    name: str
    account_type: int | None = Field(None, alias="account_type_id")
    owner: int = Field(..., alias="owner_id")
    registration_number: str
    vat_number: str
    visiting_street: str
    visiting_postcode: str
    visiting_city: str
    postal_street: str
    postal_postcode: str
    postal_city: str
    country: str
    phone: str
    email: str
    website: str
    category: str
    note: str
    custom: dict[str, Any] = Field(..., description=CUSTOM_DOC)
    archived: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CompanyIn(Schema):
    name: str | None = None
    account_type: int | None = None
    owner: int | None = None
    registration_number: str | None = None
    vat_number: str | None = None
    visiting_street: str | None = None
    visiting_postcode: str | None = None
    visiting_city: str | None = None
    postal_street: str | None = None
    postal_postcode: str | None = None
    postal_city: str | None = None
    country: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    category: str | None = None
    note: str | None = None
    custom: dict[str, CustomValue] | None = Field(None, description=CUSTOM_DOC)
    archived: bool | None = None
    version: int | None = Field(None, description="The version you read; a stale one is refused with 409.")


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    company: int | None = Field(None, alias="company_id")
    owner: int = Field(..., alias="owner_id")
    position: str
    email: str
    phone: str
    mobile: str
    note: str
    custom: dict[str, Any] = Field(..., description=CUSTOM_DOC)
    archived: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonIn(Schema):
    first_name: str | None = None
    last_name: str | None = None
    company: int | None = None
    owner: int | None = None
    position: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    note: str | None = None
    custom: dict[str, CustomValue] | None = Field(None, description=CUSTOM_DOC)
    archived: bool | None = None
    version: int | None = Field(None, description="The version you read; a stale one is refused with 409.")


class ProjectOut(Schema):
    id: int
    name: str
    company: int = Field(..., alias="company_id")
    owner: int = Field(..., alias="owner_id")
    status: str
    start_date: dt.date | None
    end_date: dt.date | None
    note: str
    archived: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProjectIn(Schema):
    name: str | None = None
    company: int | None = None
    owner: int | None = None
    status: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    note: str | None = None
    archived: bool | None = None
    version: int | None = None


class CompanyPage(PageOut):
    results: list[CompanyOut]


class PersonPage(PageOut):
    results: list[PersonOut]


class ProjectPage(PageOut):
    results: list[ProjectOut]


class ListParams(Schema):
    q: str = ""
    sort: str = "name"
    archived: bool = False
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class CompanyFilters(ListParams):
    account_type: int | None = None
    owner: int | None = None


class PersonFilters(ListParams):
    company: int | None = None


class ProjectFilters(ListParams):
    company: int | None = None
    status: str = ""


def _sent(payload: Schema) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True)


def _save_with_archive(data: dict[str, Any], form_data: dict[str, Any]) -> dict[str, Any]:
    if "archived" in data and data["archived"] is not None:
        form_data["archived"] = data["archived"]
    return form_data


# --- account types -------------------------------------------------------------------------


def _require_admin(request: AuthedRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@router.get("/account-types", response=list[AccountTypeOut], tags=["account types"])
def list_account_types(request: AuthedRequest, include_inactive: bool = False) -> Any:
    return list(selectors.account_type_choices(include_inactive=include_inactive))


@router.get("/account-types/{pk}", response={200: AccountTypeOut, **ERRORS}, tags=["account types"])
def get_account_type(request: AuthedRequest, pk: int) -> Any:
    return get_object_or_404(AccountType, pk=pk)


@router.post("/account-types", response={201: AccountTypeOut, **ERRORS}, tags=["account types"])
def create_account_type(request: AuthedRequest, payload: AccountTypeIn) -> Any:
    _require_admin(request)
    form = _account_type_form(_sent(payload), None)
    return 201, services.account_type_create(actor=request.user, data=_account_type_data(form))


@router.patch("/account-types/{pk}", response={200: AccountTypeOut, **ERRORS}, tags=["account types"])
def update_account_type(request: AuthedRequest, pk: int, payload: AccountTypeIn) -> Any:
    _require_admin(request)
    account_type = get_object_or_404(AccountType, pk=pk)
    form = _account_type_form(_sent(payload), account_type)
    return services.account_type_update(actor=request.user, account_type=account_type, data=_account_type_data(form))


@router.delete("/account-types/{pk}", response={204: None, **ERRORS}, tags=["account types"])
def delete_account_type(request: AuthedRequest, pk: int) -> Any:
    _require_admin(request)
    services.account_type_delete(actor=request.user, account_type=get_object_or_404(AccountType, pk=pk))
    return 204, None


def _account_type_form(payload: dict[str, Any], instance: AccountType | None) -> AccountTypeForm:
    from django.forms.models import model_to_dict

    from dealflow.api.common import FormInvalid, form_errors

    data: dict[str, Any] = model_to_dict(instance) if instance else {"order": 0, "is_active": True}
    data.update({k: v for k, v in payload.items() if v is not None})
    # Checkboxes: a form treats a missing key as False, so drop explicit False values.
    data = {k: v for k, v in data.items() if v is not False}
    form = AccountTypeForm(data=data, instance=instance)
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    return form


def _account_type_data(form: AccountTypeForm) -> dict[str, Any]:
    return {f: form.cleaned_data[f] for f in AccountTypeForm.Meta.fields}


# --- companies -----------------------------------------------------------------------------


@router.get("/companies", response={200: CompanyPage, **ERRORS}, tags=["companies"])
def list_companies(request: AuthedRequest, filters: Query[CompanyFilters]) -> Any:
    qs = selectors.company_list(
        user=request.user,
        q=filters.q,
        sort=filters.sort,
        archived=filters.archived,
        account_type=filters.account_type,
        owner=filters.owner,
    )
    items, meta = paginate_qs(qs, filters.page, filters.page_size)
    return {**meta, "results": items}


@router.get("/companies/{pk}", response={200: CompanyOut, **ERRORS}, tags=["companies"])
def get_company(request: AuthedRequest, pk: int) -> Any:
    return selectors.company_get_for_user(request.user, pk)


@router.post("/companies", response={201: CompanyOut, **ERRORS}, tags=["companies"])
def create_company(request: AuthedRequest, payload: CompanyIn) -> Any:
    sent = _sent(payload)
    form = validated_custom_form(CompanyForm, "company", sent, user=request.user)
    data = form.service_data()
    if "account_type" not in sent:
        data.pop("account_type", None)  # not sent: the service gives the default account type
    return 201, services.company_create(actor=request.user, data=data)


@router.patch("/companies/{pk}", response={200: CompanyOut, **ERRORS}, tags=["companies"])
def update_company(request: AuthedRequest, pk: int, payload: CompanyIn) -> Any:
    company = selectors.company_get_for_user(request.user, pk)
    sent = _sent(payload)
    form = validated_custom_form(CompanyForm, "company", sent, user=request.user, instance=company)
    data = _save_with_archive(sent, form.service_data())
    return services.company_update(actor=request.user, company=company, data=data, expected_version=sent.get("version"))


@router.delete("/companies/{pk}", response={204: None, **ERRORS}, tags=["companies"])
def delete_company(
    request: AuthedRequest,
    pk: int,
    persons: str = Query(
        ...,
        pattern="^(detach|delete)$",
        description="What happens to the company's persons: detach (kept, without a company) or delete.",
    ),
) -> Any:  # type: ignore[assignment]
    company = selectors.company_get_for_user(request.user, pk)
    services.company_delete(actor=request.user, company=company, persons=persons)  # type: ignore[arg-type]
    return 204, None


# --- persons -------------------------------------------------------------------------------


@router.get("/persons", response={200: PersonPage, **ERRORS}, tags=["persons"])
def list_persons(request: AuthedRequest, filters: Query[PersonFilters]) -> Any:
    qs = selectors.person_list(
        user=request.user, q=filters.q, sort=filters.sort, archived=filters.archived, company=filters.company
    )
    items, meta = paginate_qs(qs, filters.page, filters.page_size)
    return {**meta, "results": items}


@router.get("/persons/{pk}", response={200: PersonOut, **ERRORS}, tags=["persons"])
def get_person(request: AuthedRequest, pk: int) -> Any:
    return selectors.person_get_for_user(request.user, pk)


@router.post("/persons", response={201: PersonOut, **ERRORS}, tags=["persons"])
def create_person(request: AuthedRequest, payload: PersonIn) -> Any:
    form = validated_custom_form(PersonForm, "person", _sent(payload), user=request.user)
    return 201, services.person_create(actor=request.user, data=form.service_data())


@router.patch("/persons/{pk}", response={200: PersonOut, **ERRORS}, tags=["persons"])
def update_person(request: AuthedRequest, pk: int, payload: PersonIn) -> Any:
    person = selectors.person_get_for_user(request.user, pk)
    sent = _sent(payload)
    form = validated_custom_form(PersonForm, "person", sent, user=request.user, instance=person)
    data = _save_with_archive(sent, form.service_data())
    return services.person_update(actor=request.user, person=person, data=data, expected_version=sent.get("version"))


@router.delete("/persons/{pk}", response={204: None, **ERRORS}, tags=["persons"])
def delete_person(request: AuthedRequest, pk: int) -> Any:
    services.person_delete(actor=request.user, person=selectors.person_get_for_user(request.user, pk))
    return 204, None


# --- projects ------------------------------------------------------------------------------


@router.get("/projects", response={200: ProjectPage, **ERRORS}, tags=["projects"])
def list_projects(request: AuthedRequest, filters: Query[ProjectFilters]) -> Any:
    qs = selectors.project_list(
        user=request.user,
        q=filters.q,
        sort=filters.sort,
        archived=filters.archived,
        company=filters.company,
        status=filters.status,
    )
    items, meta = paginate_qs(qs, filters.page, filters.page_size)
    return {**meta, "results": items}


@router.get("/projects/{pk}", response={200: ProjectOut, **ERRORS}, tags=["projects"])
def get_project(request: AuthedRequest, pk: int) -> Any:
    return selectors.project_get_for_user(request.user, pk)


@router.post("/projects", response={201: ProjectOut, **ERRORS}, tags=["projects"])
def create_project(request: AuthedRequest, payload: ProjectIn) -> Any:
    form = validated_form(ProjectForm, _sent(payload), user=request.user)
    return 201, services.project_create(actor=request.user, data=form.service_data())


@router.patch("/projects/{pk}", response={200: ProjectOut, **ERRORS}, tags=["projects"])
def update_project(request: AuthedRequest, pk: int, payload: ProjectIn) -> Any:
    project = selectors.project_get_for_user(request.user, pk)
    sent = _sent(payload)
    form = validated_form(ProjectForm, sent, user=request.user, instance=project)
    data = _save_with_archive(sent, form.service_data())
    return services.project_update(actor=request.user, project=project, data=data, expected_version=sent.get("version"))


@router.delete("/projects/{pk}", response={204: None, **ERRORS}, tags=["projects"])
def delete_project(request: AuthedRequest, pk: int) -> Any:
    services.project_delete(actor=request.user, project=selectors.project_get_for_user(request.user, pk))
    return 204, None
