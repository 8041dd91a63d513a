"""What every app's API router shares: authentication, error shapes, pagination, form-backed input."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.security import HttpBearer, django_auth

from dealflow.accounts.services import api_token_authenticate
from dealflow.core.views import rows_in_order

if TYPE_CHECKING:
    from dealflow.relations.forms import VersionedForm

T = TypeVar("T")
FormT = TypeVar("FormT", bound="VersionedForm")

__all__ = ["BearerAuth", "django_auth"]


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("invalid")


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class ConflictOut(Schema):
    detail: str
    changes: dict[str, list[Any]] = {}
    current_version: int


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, errs in form.errors.items():
        errors["non_field_errors" if field == "__all__" else field] = [str(e) for e in errs]
    return errors


def validated_form(
    form_class: type[FormT],
    payload: dict[str, Any],
    *,
    user: Any,
    instance: Any = None,
) -> FormT:
    """Validate API input with the same form the browser uses. For a partial update the
    fields not sent keep their current values. Every field of the form counts, including the
    ones it adds at run time (a sale's user-defined fields `udf_<code>`), not only Meta.fields."""
    blank = form_class(instance=instance, user=user)
    data: dict[str, Any] = {}
    if instance is not None:
        for name, field in blank.fields.items():
            value = blank.get_initial_for_field(field, name)
            data[name] = "" if value is None else value
    for key, value in payload.items():
        if key in blank.fields:
            data[key] = "" if value is None else value
    form = form_class(data=data, instance=instance, user=user)
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    return form


CustomValue = str | bool | int | float | None
CUSTOM_DOC = "User-defined fields by code."


def _custom_value(field_type: str, value: Any) -> Any:
    # A Decimal, not text: text would be read with the active language's separators.
    if field_type == "decimal" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            return value
    return value


def validated_custom_form(
    form_class: type[FormT], entity: str, payload: dict[str, Any], *, user: Any, instance: Any = None
) -> FormT:
    """`validated_form` for a record with user-defined fields: `custom: {code: value}` becomes
    the form's `udf_<code>` fields (codes not sent keep their values), and their errors come
    back as `custom.<code>`. An unknown code is refused."""
    from dealflow.sales.selectors import user_fields

    data = {k: v for k, v in payload.items() if k != "custom"}
    custom = payload.get("custom") or {}
    udfs = {u.code: u for u in user_fields(entity)}
    unknown = {
        f"custom.{code}": [_("There is no user-defined field with this code.")] for code in custom if code not in udfs
    }
    if unknown:
        raise FormInvalid(unknown)
    for code, value in custom.items():
        data[f"udf_{code}"] = _custom_value(udfs[code].field_type, value)
    try:
        return validated_form(form_class, data, user=user, instance=instance)
    except FormInvalid as exc:
        raise FormInvalid(
            {f"custom.{k[4:]}" if k.startswith("udf_") else k: v for k, v in exc.errors.items()}
        ) from None


class PageOut(Schema):
    count: int
    page: int
    page_size: int
    pages: int


def paginate_qs(qs: QuerySet, page: int, page_size: int) -> tuple[list[Any], dict[str, int]]:
    page_size = max(1, min(page_size, 200))
    page = max(1, page)
    count = qs.count()
    items = rows_in_order(qs, (page - 1) * page_size, page * page_size)
    pages = max(1, (count + page_size - 1) // page_size)
    return items, {"count": count, "page": page, "page_size": page_size, "pages": pages}
