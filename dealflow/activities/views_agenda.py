"""The agenda, the notification list and the personal iCalendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealflow.core.types import AuthedRequest
from dealflow.core.views import date_or_none, int_or_none, paginate

from . import ical, selectors, services


@login_required
def agenda(request: AuthedRequest) -> HttpResponse:
    view = request.GET.get("view", "day")
    result = selectors.my_agenda(
        user=request.user,
        day=date_or_none(request.GET.get("date")),
        view=view if view in ("day", "week") else "day",
        for_user=int_or_none(request.GET.get("user")),
    )
    team = selectors.agenda_team(request.user) if (request.user.is_manager or request.user.is_admin) else None
    return render(
        request,
        "activities/agenda.html",
        {"agenda": result, "team": team, "now": timezone.now(), "today": timezone.localdate()},
    )


@login_required
def notification_list(request: AuthedRequest) -> HttpResponse:
    page = paginate(request, selectors.notification_list(user=request.user))
    return render(request, "activities/notification_list.html", {"page": page, "base_qs": ""})


@login_required
@require_POST
def notification_read(request: AuthedRequest) -> HttpResponse:
    services.notification_mark_read(user=request.user, notification_id=int_or_none(request.POST.get("id")))
    return redirect("activities:notification_list")


@login_required
@require_POST
def calendar_feed_create(request: AuthedRequest) -> HttpResponse:
    services.calendar_feed_create(user=request.user)
    messages.success(request, _("Your calendar address was created. Any older address no longer works."))
    return redirect("accounts:settings")


@login_required
@require_POST
def calendar_feed_revoke(request: AuthedRequest) -> HttpResponse:
    services.calendar_feed_revoke(user=request.user)
    messages.success(request, _("Your calendar address was revoked."))
    return redirect("accounts:settings")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret feed: no login, the token is the key. An unknown or revoked token is a 404."""
    user, activities = selectors.calendar_feed_activities(token)
    body = ical.calendar(activities, host=request.get_host().split(":")[0] or "dealflow", name=f"Dealflow – {user}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
