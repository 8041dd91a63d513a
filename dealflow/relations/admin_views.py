"""Administrators' screens for account types."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from dealflow.accounts.views import admin_required
from dealflow.core.forms import run_service
from dealflow.core.types import AuthedRequest

from . import services
from .forms import AccountTypeForm
from .models import AccountType


@admin_required
def account_type_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "relations/account_type_list.html", {"account_types": AccountType.objects.all()})


@admin_required
def account_type_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    account_type = get_object_or_404(AccountType, pk=pk) if pk else None
    form = AccountTypeForm(request.POST or None, instance=account_type)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in AccountTypeForm.Meta.fields}
        if account_type is None:
            saved = run_service(form, lambda: services.account_type_create(actor=request.user, data=data))
        else:
            saved = run_service(
                form, lambda: services.account_type_update(actor=request.user, account_type=account_type, data=data)
            )
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("relations:account_type_list")
    return render(request, "relations/account_type_form.html", {"form": form, "object": account_type})


@admin_required
def account_type_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    account_type = get_object_or_404(AccountType, pk=pk)
    if request.method == "POST":
        try:
            services.account_type_delete(actor=request.user, account_type=account_type)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("relations:account_type_list")
        messages.success(request, _("Deleted."))
        return redirect("relations:account_type_list")
    return render(request, "relations/confirm_delete.html", {"object": account_type})
