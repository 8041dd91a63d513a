"""The selection form: name, kind, visibility, and for a dynamic selection the filter fields of
its entity (companies, persons or sales)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import assignable_owners
from dealflow.core.forms import DetachedInstanceMixin
from dealflow.relations.models import AccountType
from dealflow.sales.models import Phase, Pipeline

from .models import Entity, Selection, SelectionKind, Visibility


def _owner_field() -> forms.ModelChoiceField[User]:
    return forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Owner"),
                                  empty_label=_("Anyone"))  # fmt: skip


def _filter_fields(entity: str) -> dict[str, forms.Field]:
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    if entity == Entity.COMPANY:
        return {
            "q": q,
            "account_type": forms.ModelChoiceField(
                queryset=AccountType.objects.filter(is_active=True),
                required=False,
                label=_("Account type"),
                empty_label=_("Any"),
            ),  # fmt: skip
            "owner": _owner_field(),
            "city": forms.CharField(required=False, max_length=100, label=_("City")),
            "archived": forms.BooleanField(required=False, label=_("Archived")),
        }
    if entity == Entity.PERSON:
        return {
            "q": q,
            "company": forms.IntegerField(required=False, min_value=1, label=_("Company number")),
            "owner": _owner_field(),
            "archived": forms.BooleanField(required=False, label=_("Archived")),
        }
    statuses = [("", _("Any")), ("open", _("Open")), ("sold", _("Sold")), ("lost", _("Lost")),
                ("stalled", _("Stalled")), ("completed", _("Completed"))]  # fmt: skip
    return {
        "q": q,
        "status": forms.ChoiceField(choices=statuses, required=False, label=_("Status")),
        "pipeline": forms.ModelChoiceField(
            queryset=Pipeline.objects.filter(is_active=True),
            required=False,
            label=_("Sale type (pipeline)"),
            empty_label=_("Any"),
        ),  # fmt: skip
        "phase": forms.ModelChoiceField(
            queryset=Phase.objects.filter(is_active=True).select_related("pipeline"),
            required=False,
            label=_("Lead phase"),
            empty_label=_("Any"),
        ),  # fmt: skip
        "owner": _owner_field(),
        "sale_date_from": forms.DateField(
            required=False, label=_("Sale date from"), widget=forms.DateInput(attrs={"type": "date"})
        ),  # fmt: skip
        "sale_date_to": forms.DateField(
            required=False, label=_("Sale date to"), widget=forms.DateInput(attrs={"type": "date"})
        ),  # fmt: skip
    }


class SelectionForm(DetachedInstanceMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Selection
        fields = ["name", "kind", "visibility"]
        widgets = {"kind": forms.RadioSelect, "visibility": forms.RadioSelect}

    def __init__(self, *args: Any, user: User, entity: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.entity = entity
        self.filter_names = list(_filter_fields(entity))
        for name, field in _filter_fields(entity).items():
            self.fields[name] = field
            if name == "owner":
                field.queryset = assignable_owners(user)  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            for name, value in (self.instance.filters or {}).items():
                if name in self.fields:
                    self.initial[name] = value
        self.fields["kind"].initial = self.fields["kind"].initial or SelectionKind.STATIC
        self.fields["visibility"].initial = Visibility.PRIVATE

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.filter_names]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "kind", "visibility")]

    def service_data(self) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        for name in self.filter_names:
            value: Any = self.cleaned_data.get(name)
            if hasattr(value, "pk"):
                value = value.pk
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            if value not in (None, "", False):
                filters[name] = value
        data = {k: self.cleaned_data[k] for k in ("name", "kind", "visibility")}
        return {**data, "entity": self.entity, "filters": filters}
