"""What every app's API router shares: authentication, error shapes, pagination, form-backed input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
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
