"""Reads for companies, persons and projects, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner
from dealflow.search import substring

from .models import AccountType, Company, Person, Project

COMPANY_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "city": ("visiting_city", "name", "id"),
    "-city": ("-visiting_city", "-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "type": ("account_type__order", "name", "id"),
    "-type": ("-account_type__order", "-name", "-id"),
}
PERSON_SORTS = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    # The company's name as copied onto the person (denorm.py), so the page's ids come from walking
    # person_list_by_company, not from joining the companies and sorting every visible person.
    "company": ("company_name", "last_name", "id"),
    "-company": ("-company_name", "-last_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
PROJECT_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "company": ("company__name", "name", "id"),
    "-company": ("-company__name", "-name", "-id"),
    "start": ("start_date", "id"),
    "-start": ("-start_date", "-id"),
    "status": ("status", "name", "id"),
    "-status": ("-status", "-name", "-id"),
}


COMPANY_SEARCH = ("name", "email", "phone", "visiting_city", "registration_number", "vat_number")


def _terms(q: str) -> list[str]:
    return substring.words(q)


def company_list(
    *,
    user: User,
    q: str = "",
    sort: str = "name",
    archived: bool = False,
    account_type: int | None = None,
    owner: int | None = None,
) -> QuerySet[Company]:
    qs = scope_by_owner(Company.objects.all(), user).filter(archived=archived)
    qs = substring.matching(qs, _terms(q), COMPANY_SEARCH)
    if account_type:
        qs = qs.filter(account_type_id=account_type)
    if owner:
        qs = qs.filter(owner_id=owner)
    return qs.select_related("account_type", "owner").order_by(*COMPANY_SORTS.get(sort, COMPANY_SORTS["name"]))


def company_get_for_user(user: User, pk: int) -> Company:
    qs = scope_by_owner(Company.objects.select_related("account_type", "owner"), user)
    return get_object_or_404(qs, pk=pk)


def company_dependants(company: Company) -> dict[str, int]:
    counts = Company.objects.filter(pk=company.pk).aggregate(
        persons=Count("persons", distinct=True), projects=Count("projects", distinct=True)
    )
    return {"persons": counts["persons"] or 0, "projects": counts["projects"] or 0}


def person_list(
    *, user: User, q: str = "", sort: str = "name", archived: bool = False, company: int | None = None
) -> QuerySet[Person]:
    qs = scope_by_owner(Person.objects.all(), user).filter(archived=archived)
    qs = substring.matching(qs, _terms(q), ("first_name", "last_name", "email", "phone", "mobile"), company="company")
    if company:
        qs = qs.filter(company_id=company)
    return qs.select_related("company", "owner").order_by(*PERSON_SORTS.get(sort, PERSON_SORTS["name"]))


def person_get_for_user(user: User, pk: int) -> Person:
    return get_object_or_404(scope_by_owner(Person.objects.select_related("company", "owner"), user), pk=pk)


def project_list(
    *,
    user: User,
    q: str = "",
    sort: str = "name",
    archived: bool = False,
    company: int | None = None,
    status: str = "",
) -> QuerySet[Project]:
    qs = scope_by_owner(Project.objects.all(), user).filter(archived=archived)
    qs = substring.matching(qs, _terms(q), ("name",), company="company")
    if company:
        qs = qs.filter(company_id=company)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("company", "owner").order_by(*PROJECT_SORTS.get(sort, PROJECT_SORTS["name"]))


def project_get_for_user(user: User, pk: int) -> Project:
    return get_object_or_404(scope_by_owner(Project.objects.select_related("company", "owner"), user), pk=pk)


def account_type_choices(include_inactive: bool = False) -> QuerySet[AccountType]:
    qs = AccountType.objects.all()
    return qs if include_inactive else qs.filter(is_active=True)
