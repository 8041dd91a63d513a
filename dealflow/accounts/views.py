from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealflow.core.types import AuthedRequest

from . import services
from .forms import PreferencesForm, TeamForm, TokenForm, UserForm
from .models import ApiToken, Team, User


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: remembered on the user when logged in, else in a cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    response = redirect(nxt)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
def user_settings(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={"language": user.language, "skip_completed_sales": user.preference("skip_completed_sales", False)},
    )
    if request.method == "POST" and form.is_valid():
        services.user_set_preferences(
            user=user,
            language=form.cleaned_data["language"],
            preferences={"skip_completed_sales": form.cleaned_data["skip_completed_sales"]},
        )
        messages.success(request, _("Your preferences were saved."))
        return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "token_form": TokenForm(), "tokens": user.api_tokens.all()},
    )


@login_required
@require_POST
def token_create(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "accounts/settings.html",
            {"form": PreferencesForm(), "token_form": form, "tokens": request.user.api_tokens.all()},
            status=400,
        )
    token, raw = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
    return render(request, "accounts/token_created.html", {"token": token, "raw": raw})


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:settings")


# --- administration of users and teams ----------------------------------------------------


@admin_required
def user_list(request: AuthedRequest) -> HttpResponse:
    users = User.objects.prefetch_related("teams").order_by("username")
    return render(request, "accounts/user_list.html", {"users": users})


@admin_required
def user_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = get_object_or_404(User, pk=pk) if pk else None
    form = UserForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in UserForm.Meta.fields}
        teams = list(form.cleaned_data["teams"])
        if user is None:
            services.user_create(actor=request.user, data=data, password=form.cleaned_data["password"], teams=teams)
        else:
            if form.cleaned_data["password"]:
                user.set_password(form.cleaned_data["password"])
            services.user_update(actor=request.user, user=user, data=data, teams=teams)
        messages.success(request, _("Saved."))
        return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "object": user})


@admin_required
def team_list(request: AuthedRequest) -> HttpResponse:
    teams = Team.objects.prefetch_related("members", "managers")
    return render(request, "accounts/team_list.html", {"teams": teams})


@admin_required
def team_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        services.team_save(
            actor=request.user,
            team=team,
            name=form.cleaned_data["name"],
            members=list(form.cleaned_data["members"]),
            managers=list(form.cleaned_data["managers"]),
        )
        messages.success(request, _("Saved."))
        return redirect("accounts:team_list")
    return render(request, "accounts/team_form.html", {"form": form, "object": team})
