"""The actions on a sale card: change phase, mark sold or lost, stall, reopen, delete.

Each has its own URL, so it works without script as a page of its own; with htmx the card
loads the same form into a dialog. A refusal from the service is shown on the form with the
user's input kept and nothing changed; success goes back to the card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dealflow.core.forms import run_service
from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest

from . import selectors, services
from .forms import CloseForm, MoveForm, StallForm, VersionForm
from .models import Outcome, Sale
from .views import browse_params, card_url, dashes

# The dialogs open on the card, whose own form has fields of the same names: other ids.
AUTO_ID = "action_%s"
FormT = TypeVar("FormT", bound=forms.Form)


def _done(request: AuthedRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        # The dialog's form answered: reload the card (it shows the new state and the message).
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


def _action(
    request: AuthedRequest,
    sale: Sale,
    *,
    kind: str,
    title: str,
    form: FormT,
    call: Callable[[FormT], Any],
    message: str,
    submit: str,
    done_url: str | None = None,
    **extra: Any,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        result = run_service(form, lambda: call(form) or True)
        if result is not None:
            return _done(request, done_url or card_url(sale, request), message)
    context = {
        "sale": sale,
        "kind": kind,
        "title": title,
        "form": form,
        "submit": submit,
        "action_url": request.get_full_path(),
        "cancel_url": card_url(sale, request),
        **extra,
    }
    template = "sales/action.html#dialog" if request.htmx else "sales/action.html"
    return render(request, template, context)


@login_required
@funnel_required
def sale_move(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = dashes(MoveForm(request.POST if request.method == "POST" else None, sale=sale, auto_id=AUTO_ID))
    return _action(
        request,
        sale,
        kind="move",
        title=_("Change phase"),
        form=form,
        call=lambda f: services.sale_move_to_phase(actor=request.user, sale=sale, **f.service_kwargs()),
        message=_("The sale moved to another phase."),
        submit=_("Change phase"),
        phases=form.fields["phase"].queryset,
        reasons=form.fields["close_reason"].queryset,
    )


@login_required
@funnel_required
def sale_close(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    outcome = request.GET.get("outcome") if request.GET.get("outcome") in (Outcome.WON, Outcome.LOST) else Outcome.WON
    form = dashes(
        CloseForm(
            request.POST if request.method == "POST" else None, sale=sale, initial={"outcome": outcome}, auto_id=AUTO_ID
        )
    )
    won = (form.data.get("outcome") if form.is_bound else outcome) == Outcome.WON

    def call(f: CloseForm) -> Sale:
        return services.sale_close(actor=request.user, sale=sale, **f.service_kwargs())

    return _action(
        request,
        sale,
        kind="close",
        title=_("Mark sold") if won else _("Mark lost"),
        form=form,
        call=call,
        message=_("The sale is marked sold.") if won else _("The sale is marked lost."),
        submit=_("Mark sold") if won else _("Mark lost"),
        reasons=form.fields["close_reason"].queryset,
    )


@login_required
@funnel_required
def sale_stall(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = dashes(StallForm(request.POST if request.method == "POST" else None, sale=sale, auto_id=AUTO_ID))
    return _action(
        request,
        sale,
        kind="stall",
        title=_("Stall the sale"),
        form=form,
        call=lambda f: services.sale_stall(actor=request.user, sale=sale, **f.service_kwargs()),
        message=_("The sale is stalled."),
        submit=_("Stall"),
    )


@login_required
@funnel_required
def sale_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = VersionForm(request.POST if request.method == "POST" else None, sale=sale, auto_id=AUTO_ID)
    return _action(
        request,
        sale,
        kind="reopen",
        title=_("Reopen the sale"),
        form=form,
        call=lambda f: services.sale_reopen(
            actor=request.user, sale=sale, expected_version=f.cleaned_data.get("version")
        ),
        message=_("The sale is open again."),
        submit=_("Reopen"),
    )


@login_required
@funnel_required
def sale_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    params = browse_params(request)
    back = reverse("sales:sale_list") + (f"?{params['from']}" if params.get("from") else "")
    return _action(
        request,
        sale,
        kind="delete",
        title=_("Delete the sale"),
        form=forms.Form(request.POST if request.method == "POST" else None),
        call=lambda f: services.sale_delete(actor=request.user, sale=sale),
        message=_("Sale “%(title)s” was deleted.") % {"title": sale.title},
        submit=_("Delete"),
        done_url=back,
    )
