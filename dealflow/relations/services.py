"""Writes for companies, persons, projects and account types. One function per user action."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dealflow.accounts.models import User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.audit.services import audit_record
from dealflow.core.services import create_instance, update_instance

from .models import AccountType, Company, Person, Project


def _check_owner(actor: User, owner: User | None) -> None:
    ids = visible_owner_ids(actor)
    if owner is not None and ids is not None and owner.pk not in ids:
        raise ValidationError({"owner": _("You cannot give records to this user.")})


def _check_company(actor: User, company: Company | None, field: str = "company") -> None:
    ids = visible_owner_ids(actor)
    if company is not None and ids is not None and company.owner_id not in ids:
        raise ValidationError({field: _("Select a valid choice. That choice is not one of the available choices.")})


# --- account types -------------------------------------------------------------------------


@transaction.atomic
def account_type_create(*, actor: User, data: dict[str, Any]) -> AccountType:
    account_type = create_instance(actor=actor, model=AccountType, data=data)
    if account_type.is_default:
        AccountType.objects.exclude(pk=account_type.pk).update(is_default=False)
    return account_type


@transaction.atomic
def account_type_update(*, actor: User, account_type: AccountType, data: dict[str, Any]) -> AccountType:
    before = {k: getattr(account_type, k) for k in data}
    for key, value in data.items():
        setattr(account_type, key, value)
    account_type.full_clean()
    account_type.save()
    if account_type.is_default:
        AccountType.objects.exclude(pk=account_type.pk).update(is_default=False)
    changes = {k: [str(before[k]), str(v)] for k, v in data.items() if before[k] != v}
    if changes:
        audit_record(actor=actor, action="update", instance=account_type, changes=changes)
    return account_type


@transaction.atomic
def account_type_delete(*, actor: User, account_type: AccountType) -> None:
    """Delete an unused account type. One in use can only be deactivated, so history stays."""
    in_use = account_type.companies.count()
    if in_use:
        raise ValidationError(
            ngettext(
                "This account type is used by %(count)s company. Deactivate it instead.",
                "This account type is used by %(count)s companies. Deactivate it instead.",
                in_use,
            )
            % {"count": in_use}
        )
    audit_record(actor=actor, action="delete", instance=account_type)
    account_type.delete()


def default_account_type() -> AccountType | None:
    return AccountType.objects.filter(is_default=True, is_active=True).first()


# --- companies -----------------------------------------------------------------------------


@transaction.atomic
def company_create(*, actor: User, data: dict[str, Any]) -> Company:
    data = dict(data)
    data.setdefault("owner", actor)
    if data.get("owner") is None:
        data["owner"] = actor
    if "account_type" not in data:
        data["account_type"] = default_account_type()
    _check_owner(actor, data["owner"])
    company = create_instance(actor=actor, model=Company, data=data)
    _start_funnel(actor, company)
    return company


def _start_funnel(actor: User, company: Company) -> None:
    from dealflow.core.models import SiteSettings
    from dealflow.sales.services import company_start_funnel

    if SiteSettings.load().funnel_enabled:
        company_start_funnel(actor=actor, company=company)


@transaction.atomic
def company_update(
    *, actor: User, company: Company, data: dict[str, Any], expected_version: int | None = None
) -> Company:
    if "owner" in data:
        if data["owner"] is None:
            data = {**data, "owner": company.owner}
        _check_owner(actor, data["owner"])
    old_type = company.account_type_id
    company = update_instance(actor=actor, instance=company, data=data, expected_version=expected_version)
    if company.account_type_id != old_type:
        _start_funnel(actor, company)
    return company


@transaction.atomic
def company_set_archived(*, actor: User, company: Company, archived: bool) -> Company:
    return update_instance(
        actor=actor,
        instance=company,
        data={"archived": archived},
        action="archive" if archived else "restore",
    )


PersonFate = Literal["detach", "delete"]


@transaction.atomic
def company_delete(*, actor: User, company: Company, persons: PersonFate = "detach") -> None:
    """Delete a company. Its persons are detached (kept) or deleted, as the user chose;
    its projects go with it, and the confirmation says so beforehand."""
    for person in list(company.persons.all()):
        if persons == "delete":
            person_delete(actor=actor, person=person)
        else:
            update_instance(actor=actor, instance=person, data={"company": None})
    for project in list(company.projects.all()):
        project_delete(actor=actor, project=project)
    audit_record(actor=actor, action="delete", instance=company)
    company.delete()


# --- persons -------------------------------------------------------------------------------


@transaction.atomic
def person_create(*, actor: User, data: dict[str, Any]) -> Person:
    data = dict(data)
    if data.get("owner") is None:
        data["owner"] = data["company"].owner if data.get("company") else actor
    _check_owner(actor, data["owner"])
    _check_company(actor, data.get("company"))
    return create_instance(actor=actor, model=Person, data=data)


@transaction.atomic
def person_update(*, actor: User, person: Person, data: dict[str, Any], expected_version: int | None = None) -> Person:
    if "owner" in data:
        if data["owner"] is None:
            data = {**data, "owner": person.owner}
        _check_owner(actor, data["owner"])
    if "company" in data and data["company"] != person.company:
        _check_company(actor, data["company"])
    return update_instance(actor=actor, instance=person, data=data, expected_version=expected_version)


@transaction.atomic
def person_set_archived(*, actor: User, person: Person, archived: bool) -> Person:
    return update_instance(
        actor=actor, instance=person, data={"archived": archived}, action="archive" if archived else "restore"
    )


@transaction.atomic
def person_delete(*, actor: User, person: Person) -> None:
    audit_record(actor=actor, action="delete", instance=person)
    person.delete()


# --- projects ------------------------------------------------------------------------------


@transaction.atomic
def project_create(*, actor: User, data: dict[str, Any]) -> Project:
    data = dict(data)
    if data.get("owner") is None:
        data["owner"] = actor
    _check_owner(actor, data["owner"])
    _check_company(actor, data.get("company"))
    return create_instance(actor=actor, model=Project, data=data)


@transaction.atomic
def project_update(
    *, actor: User, project: Project, data: dict[str, Any], expected_version: int | None = None
) -> Project:
    if "owner" in data:
        if data["owner"] is None:
            data = {**data, "owner": project.owner}
        _check_owner(actor, data["owner"])
    if "company" in data and data["company"] != project.company:
        _check_company(actor, data["company"])
    return update_instance(actor=actor, instance=project, data=data, expected_version=expected_version)


@transaction.atomic
def project_set_archived(*, actor: User, project: Project, archived: bool) -> Project:
    return update_instance(
        actor=actor, instance=project, data={"archived": archived}, action="archive" if archived else "restore"
    )


@transaction.atomic
def project_delete(*, actor: User, project: Project) -> None:
    audit_record(actor=actor, action="delete", instance=project)
    project.delete()
