"""Request types for views that only run for a logged-in user (login_required, or an API
endpoint behind authentication), so type checkers know `request.user` is our User."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from dealflow.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
