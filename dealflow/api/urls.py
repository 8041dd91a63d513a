"""Assembles each app's router into /api/v1/ and turns every refusal into a JSON error."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from dealflow.activities.api import router as activities_router
from dealflow.api.common import BearerAuth, FormInvalid, django_auth
from dealflow.core.services import StaleVersion
from dealflow.insights.api import router as insights_router
from dealflow.insights.api_reports import router as reports_router
from dealflow.insights.api_targets import router as targets_router
from dealflow.relations.api import router as relations_router
from dealflow.sales.api import router as sales_router
from dealflow.sales.api_setup import router as funnel_setup_router
from dealflow.saved.api import router as saved_router

api = NinjaAPI(
    title="Dealflow API",
    version="1",
    urls_namespace="api",
    auth=[BearerAuth(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path", "filters")]
        errors.setdefault(".".join(loc) or "non_field_errors", []).append(str(err.get("msg", "")))
    return _error(request, 422, _("Some fields are not valid."), errors=errors)


@api.exception_handler(FormInvalid)
def on_form_invalid(request: HttpRequest, exc: FormInvalid) -> HttpResponse:
    return _error(request, 422, _("Some fields are not valid."), errors=exc.errors)


@api.exception_handler(DjangoValidationError)
def on_rule_broken(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {("non_field_errors" if k == "__all__" else k): list(v) for k, v in exc.message_dict.items()}
        return _error(request, 422, _("Some fields are not valid."), errors=errors)
    return _error(request, 422, " ".join(exc.messages), errors={"non_field_errors": exc.messages})


@api.exception_handler(StaleVersion)
def on_stale(request: HttpRequest, exc: StaleVersion) -> HttpResponse:
    return _error(request, 409, str(exc), changes=exc.changes, current_version=exc.current.version)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, _("You do not have permission to do this."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Log in or send a valid API token."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


api.add_router("/v1/", relations_router)
api.add_router("/v1/", funnel_setup_router)
api.add_router("/v1/", sales_router)
api.add_router("/v1/", insights_router)
api.add_router("/v1/", targets_router)
api.add_router("/v1/", activities_router)
api.add_router("/v1/", reports_router)
api.add_router("/v1/", saved_router)

urlpatterns = [path("", api.urls)]
