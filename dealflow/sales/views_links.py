"""What hangs off a sale card: stakeholders, the sales guide's ticks, documents and links to
other sales, plus the small pickers htmx fills. With htmx a section swaps in place; without
it each form posts and comes back to the card."""

from __future__ import annotations

import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealflow.core.forms import run_service
from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest
from dealflow.core.views import int_or_none
from dealflow.relations import selectors as relations_selectors

from . import selectors, services
from .forms import SaleDocumentForm, SaleLinkForm, StakeholderForm
from .models import GuideStep, Sale, SaleDocument, Stakeholder
from .views import card_context, card_url, stakeholder_people


def _card_with(request: AuthedRequest, sale: Sale, tab: str | None = None, **forms: Any) -> HttpResponse:
    """The whole card again, with the refused form and its errors in place."""
    return render(request, "sales/sale_detail.html", card_context(request, sale, tab=tab, **forms))


# --- stakeholders --------------------------------------------------------------------------


def _stakeholders(
    request: AuthedRequest, sale: Sale, form: StakeholderForm | None = None, note: str = ""
) -> HttpResponse:
    context = {
        "sale": sale,
        "stakeholders": list(sale.stakeholders.select_related("person__company")),
        "stakeholder_form": form or StakeholderForm(user=request.user, prefix="stakeholder"),
        "stakeholder_people": stakeholder_people(request.user, sale),
        "browse_qs": request.GET.urlencode(),
        "status_note": note,
    }
    return render(request, "sales/_stakeholders.html", context)


@login_required
@funnel_required
@require_POST
def stakeholder_add(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = StakeholderForm(request.POST, user=request.user, prefix="stakeholder")
    added = None
    if form.is_valid():
        d = form.cleaned_data
        added = run_service(
            form,
            lambda: services.stakeholder_add(
                actor=request.user, sale=sale, person=d["person"], role=d["role"], comment=d["comment"]
            ),
        )
    if request.htmx:
        if added is not None:
            return _stakeholders(request, sale, note=_("%(person)s was added.") % {"person": added.person})
        return _stakeholders(request, sale, form)
    if added is None:
        return _card_with(request, sale, stakeholder_form=form)
    messages.success(request, _("%(person)s was added.") % {"person": added.person})
    return redirect(card_url(sale, request) + "#stakeholders")


@login_required
@funnel_required
@require_POST
def stakeholder_remove(request: AuthedRequest, pk: int, stakeholder_pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    stakeholder = get_object_or_404(Stakeholder.objects.select_related("person", "sale"), pk=stakeholder_pk, sale=sale)
    services.stakeholder_remove(actor=request.user, stakeholder=stakeholder)
    note = _("%(person)s was removed.") % {"person": stakeholder.person}
    if request.htmx:
        return _stakeholders(request, sale, note=note)
    messages.success(request, note)
    return redirect(card_url(sale, request) + "#stakeholders")


# --- the sales guide -----------------------------------------------------------------------


@login_required
@funnel_required
@require_POST
def guide_toggle(request: AuthedRequest, pk: int, step_pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    step = get_object_or_404(GuideStep.objects.select_related("phase"), pk=step_pk, phase__pipeline_id=sale.pipeline_id)
    done = request.POST.get("done") in ("1", "on", "true")
    services.guide_step_toggle(actor=request.user, sale=sale, step=step, done=done)
    if request.htmx:
        return render(
            request,
            "sales/_guide.html",
            {"sale": sale, "guide": selectors.guide_for(sale), "browse_qs": request.GET.urlencode()},
        )
    return redirect(card_url(sale, request) + "#guide")


# --- documents -----------------------------------------------------------------------------


@login_required
@funnel_required
@require_POST
def document_upload(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = SaleDocumentForm(request.POST, request.FILES, prefix="document")
    if form.is_valid():
        d = form.cleaned_data
        doc = run_service(
            form, lambda: services.sale_document_add(actor=request.user, sale=sale, file=d["file"], name=d["name"])
        )
        if doc is not None:
            messages.success(request, _("“%(name)s” was uploaded.") % {"name": doc.name})
            return redirect(card_url(sale, request, tab="links"))
    return _card_with(request, sale, tab="links", document_form=form)


def _document(request: AuthedRequest, pk: int, document_pk: int) -> SaleDocument:
    sale = selectors.sale_get_for_user(request.user, pk)
    return get_object_or_404(SaleDocument.objects.select_related("sale"), pk=document_pk, sale=sale)


@login_required
@funnel_required
@require_GET
def document_download(request: AuthedRequest, pk: int, document_pk: int) -> FileResponse:
    """Files are served only through here: logged in, funnel on, and the sale visible."""
    document = _document(request, pk, document_pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing.")) from exc
    # Always as a download: an uploaded HTML file must never run in our origin.
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(document.file.name or "document"))


@login_required
@funnel_required
@require_POST
def document_delete(request: AuthedRequest, pk: int, document_pk: int) -> HttpResponse:
    document = _document(request, pk, document_pk)
    services.sale_document_delete(actor=request.user, document=document)
    messages.success(request, _("“%(name)s” was deleted.") % {"name": document.name})
    return redirect(card_url(document.sale, request, tab="links"))


# --- links to other sales ------------------------------------------------------------------


@login_required
@funnel_required
@require_POST
def sale_link_add(request: AuthedRequest, pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    form = SaleLinkForm(request.POST, user=request.user, sale=sale, prefix="link")
    if form.is_valid():
        other = form.cleaned_data["other"]
        if run_service(form, lambda: services.sale_link(actor=request.user, sale=sale, other=other) or True):
            messages.success(request, _("Linked to “%(title)s”.") % {"title": other.title})
            return redirect(card_url(sale, request, tab="links"))
    return _card_with(request, sale, tab="links", link_form=form)


@login_required
@funnel_required
@require_POST
def sale_link_remove(request: AuthedRequest, pk: int, other_pk: int) -> HttpResponse:
    sale = selectors.sale_get_for_user(request.user, pk)
    other = selectors.sale_get_for_user(request.user, other_pk)
    services.sale_unlink(actor=request.user, sale=sale, other=other)
    messages.success(request, _("The link to “%(title)s” was removed.") % {"title": other.title})
    return redirect(card_url(sale, request, tab="links"))


# --- pickers -------------------------------------------------------------------------------


@login_required
@funnel_required
@require_GET
def options(request: AuthedRequest, kind: str) -> HttpResponse:
    """<option>s of visible records matching ?q=, for the pickers on the sale screens."""
    q = request.GET.get("q", "").strip()[:100]
    context: dict[str, Any] = {"q": q, "records": []}
    if q:
        user = request.user
        if kind == "sale":
            context["records"] = selectors.sale_options(user=user, q=q, exclude=int_or_none(request.GET.get("exclude")))
        elif kind == "company":
            context["records"] = list(relations_selectors.company_list(user=user, q=q)[:30])
        elif kind == "person":
            context["records"] = list(relations_selectors.person_list(user=user, q=q)[:30])
        elif kind == "project":
            context["records"] = list(relations_selectors.project_list(user=user, q=q)[:30])
        else:
            raise Http404
    return render(request, "sales/_options.html", context)
