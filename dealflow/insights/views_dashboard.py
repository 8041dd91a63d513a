"""The home page: the dashboard for the user's role (scoped numbers), then the record counts and
the user's recent changes."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner
from dealflow.audit.models import AuditEvent
from dealflow.core.funnel import funnel_enabled
from dealflow.core.types import AuthedRequest
from dealflow.relations.models import Company, Person, Project

from . import charts_more
from .dashboard import dashboard
from .targets_services import can_edit_targets


def home(request: AuthedRequest) -> HttpResponse:
    user = cast(User, request.user)
    # `archived IN (false)` rather than `NOT archived`: SQLite reads the flag from the (owner,
    # archived, …) index only for the former, instead of every record of the owners.
    counts = {
        "companies": scope_by_owner(Company.objects.filter(archived__in=[False]), user).count(),
        "persons": scope_by_owner(Person.objects.filter(archived__in=[False]), user).count(),
        "projects": scope_by_owner(Project.objects.filter(archived__in=[False]), user).count(),
    }
    recent = AuditEvent.objects.filter(actor=user).select_related("actor")[:10]
    context: dict[str, Any] = {"counts": counts, "recent": recent}
    if funnel_enabled():
        board = dashboard(user)
        year = board.today.year
        months = [date_format(board.today.replace(month=m, day=1), "M") for m in range(1, 13)]
        context["board"] = board
        context["can_edit_targets"] = can_edit_targets(user)
        context["year_chart"] = charts_more.year_over_year(
            months, board.this_year, board.last_year,
            labels=(str(year), str(year - 1)),
            title=_("Sold per month: %(this)s against %(last)s") % {"this": year, "last": year - 1},
        )  # fmt: skip
    return render(request, "core/home.html", context)
