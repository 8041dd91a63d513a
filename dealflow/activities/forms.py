from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import assignable_owners, scope_by_owner
from dealflow.core.forms import DetachedInstanceMixin, model_choice_field
from dealflow.relations.models import Company, Person, Project
from dealflow.sales.models import Sale

from .models import Activity, ActivityType

LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_REMINDER = 31 * 24 * 60


class ActivityForm(DetachedInstanceMixin, forms.ModelForm):
    """The links (sale, company, person, project) come with the card the user started from and
    travel as hidden fields; the querysets keep them to what the user may see."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "starts_at",
            "ends_at",
            "duration",
            "remind_minutes_before",
            "owner",
            "text",
            "sale",
            "company",
            "person",
            "project",
        ]
        widgets = {
            "starts_at": LOCAL_DATETIME,
            "ends_at": LOCAL_DATETIME,
            "text": forms.Textarea(attrs={"rows": 4}),
            "sale": forms.HiddenInput,
            "company": forms.HiddenInput,
            "person": forms.HiddenInput,
            "project": forms.HiddenInput,
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        self.fields["subject"].required = True
        self.fields["kind"].required = False  # a task unless said otherwise
        self.fields["starts_at"].label = _("Due")
        owner = model_choice_field(self, "owner")
        owner.queryset = assignable_owners(user)
        owner.required = False
        owner.empty_label = _("Me")
        for name, model in (("sale", Sale), ("company", Company), ("person", Person), ("project", Project)):
            model_choice_field(self, name).queryset = scope_by_owner(model.objects.all(), user)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or ActivityType.TASK

    def clean_remind_minutes_before(self) -> int | None:
        value = self.cleaned_data.get("remind_minutes_before")
        if value is not None and value > MAX_REMINDER:
            raise forms.ValidationError(_("A reminder can be at most 31 days before."))
        return value

    def service_data(self) -> dict[str, Any]:
        assert self._meta.fields is not None
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}

    def links(self) -> list[tuple[Any, Any]]:
        """(label, record) of the linked records, to show what the activity is about."""
        out = []
        for name, label in (
            ("sale", _("Sale")),
            ("company", _("Company")),
            ("person", _("Person")),
            ("project", _("Project")),
        ):
            value = self[name].value()
            queryset = model_choice_field(self, name).queryset
            if value and str(value).isdigit() and queryset is not None:
                obj = queryset.filter(pk=value).first()
                if obj is not None:
                    out.append((label, obj))
        return out
