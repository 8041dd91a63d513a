"""The fields a dynamic selection may filter on, per entity, and how each is checked and applied.

A filter is stored as JSON (`{"q": "bakery", "city": "Utrecht"}`); the members are then read
through the visible list of that entity (companies, persons, sales), so visibility always holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.relations import selectors as relations_selectors
from dealflow.sales import selectors as sales_selectors

from .models import Entity


def _text(value: Any) -> str:
    if not isinstance(value, (str, int)):
        raise ValueError
    return str(value).strip()[:200]


def _id(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    number = int(value)
    if number < 1:
        raise ValueError
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in {"1", "true", "yes", "on"}:
        return True
    if str(value).lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError


def _date(value: Any) -> str:
    return dt.date.fromisoformat(str(value)).isoformat()


def _status(value: Any) -> str:
    if value not in sales_selectors.SALE_STATUS_FILTERS:
        raise ValueError
    return str(value)


FILTER_FIELDS: dict[str, dict[str, Callable[[Any], Any]]] = {
    Entity.COMPANY: {"q": _text, "account_type": _id, "owner": _id, "city": _text, "archived": _bool},
    Entity.PERSON: {"q": _text, "company": _id, "owner": _id, "archived": _bool},
    Entity.SALE: {
        "q": _text, "status": _status, "pipeline": _id, "phase": _id, "owner": _id, "company": _id,
        "sale_date_from": _date, "sale_date_to": _date,
    },
}  # fmt: skip


def clean_filters(entity: str, filters: Any) -> dict[str, Any]:
    """The filter with each value checked; an unknown field or a bad value is refused by name."""
    if filters in (None, ""):
        return {}
    if not isinstance(filters, dict):
        raise ValidationError({"filters": _("The filter must be an object of field names and values.")})
    allowed = FILTER_FIELDS.get(entity, {})
    unknown = sorted(set(filters) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                "filters": _("Unknown filter field: %(fields)s. Allowed fields: %(allowed)s.")
                % {"fields": ", ".join(unknown), "allowed": ", ".join(allowed)}
            }
        )
    cleaned: dict[str, Any] = {}
    for name, value in filters.items():
        if value in (None, ""):
            continue
        try:
            cleaned[name] = allowed[name](value)
        except (TypeError, ValueError):
            raise ValidationError(
                {"filters": _("The filter field %(field)s has a value that is not valid.") % {"field": name}}
            ) from None
    return {k: v for k, v in cleaned.items() if v not in ("", None)}


def visible_base(entity: str, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Any]:
    """The entity's visible list narrowed by an already-cleaned filter."""
    f = dict(filters or {})
    if entity == Entity.COMPANY:
        companies = relations_selectors.company_list(
            user=user, q=f.get("q", ""), archived=f.get("archived", False),
            account_type=f.get("account_type"), owner=f.get("owner"),
        )  # fmt: skip
        return companies.filter(visiting_city__icontains=f["city"]) if f.get("city") else companies
    if entity == Entity.PERSON:
        persons = relations_selectors.person_list(
            user=user, q=f.get("q", ""), archived=f.get("archived", False), company=f.get("company")
        )
        return persons.filter(owner_id=f["owner"]) if f.get("owner") else persons
    qs = sales_selectors.sale_list_effective(
        user=user, q=f.get("q", ""), status=f.get("status", ""), pipeline=f.get("pipeline"),
        phase=f.get("phase"), owner=f.get("owner"), company=f.get("company"), sort="date",
    )  # fmt: skip
    if f.get("sale_date_from"):
        qs = qs.filter(sale_date__gte=f["sale_date_from"])
    if f.get("sale_date_to"):
        qs = qs.filter(sale_date__lte=f["sale_date_to"])
    return qs
