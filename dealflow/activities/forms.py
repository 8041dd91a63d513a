from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import assignable_owners, scope_by_owner
from dealflow.core.forms import DetachedInstanceMixin, model_choice_field
from dealflow.relations.models import Company, Person, Project
from dealflow.sales.models import Sale

from .models import Activity, ActivityType

LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_REMINDER = 31 * 24 * 60


ID_AT_END = re.compile(r"\(#(\d+)\)\s*$")
PICKER_LIMIT = 20


def picked_id(value: Any) -> int | None:
    """The record number in a picker's text: "123", "#123" or "Label (#123)"."""
    text = str(value or "").strip()
    match = ID_AT_END.search(text) or re.fullmatch(r"#?(\d+)", text)
    return int(match.group(1)) if match else None


def picker_label(obj: Model) -> str:
    """What a picker shows for a record: its name, its company, and its number to pick it by."""
    company = getattr(obj, "company", None) if not isinstance(obj, Company) else None
    name = str(obj)
    return f"{name} · {company} (#{obj.pk})" if company is not None else f"{name} (#{obj.pk})"


def picker_options(queryset: QuerySet[Any], q: str, kind: str, company: int | None) -> list[Any]:
    """At most PICKER_LIMIT visible records matching the typed words (by name, and the
    company's name), narrowed to the chosen company: never the whole table."""
    fields = {"sale": ["title"], "company": ["name"], "person": ["first_name", "last_name", "email"],
              "project": ["name"]}[kind]  # fmt: skip
    from dealflow.search import substring

    text = ID_AT_END.sub("", q).strip()
    terms = [t for t in re.split(r"[\s·]+", text) if t][:5]
    qs = substring.matching(queryset, terms, fields, company=None if kind == "company" else "company")
    if company and kind != "company":
        qs = qs.filter(company_id=company)
    if kind != "company":
        qs = qs.select_related("company")
    return list(qs.order_by("-pk" if kind == "sale" else "pk")[:PICKER_LIMIT])


class RecordPicker(forms.TextInput):
    """A text field with up to 20 suggestions (a <datalist> that htmx fills from
    /activities/pick/<kind>/ as the user types). The chosen text ends in the record's number;
    without script the user types the number itself."""

    template_name = "activities/widgets/record_picker.html"

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})
        self.kind = kind
        self.input_type = "search"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        list_id = f"{widget['attrs'].get('id', name)}-options"
        widget["attrs"]["list"] = list_id
        widget["list_id"] = list_id
        widget["pick_url"] = reverse("activities:activity_pick", args=[self.kind])
        widget["kind"] = self.kind
        widget["attrs"].update({
            "hx-get": widget["pick_url"], "hx-trigger": "focus, input changed delay:250ms", "hx-target": f"#{list_id}",
            "hx-swap": "innerHTML", "hx-sync": "this:replace",
            **({"hx-include": "[name='company']"} if self.kind != "company" else {}),
        })  # fmt: skip
        return context


class RecordPickerField(forms.ModelChoiceField):
    """A linked record chosen by number (typed, or picked from the suggestions), or by its
    exact name when exactly one visible record has it. Only records in the queryset (those the
    user may see) are accepted."""

    default_error_messages = {
        "invalid_choice": _("No record with this number exists, or you may not see it."),
        "ambiguous": _("Pick one of the suggestions, or give the record's number."),
    }

    def __init__(self, *, kind: str, name_field: str | None, **kwargs: Any) -> None:
        self.kind = kind
        self.name_field = name_field
        self._labels: dict[int, str] = {}
        kwargs.setdefault("queryset", None)
        kwargs.setdefault("help_text", _("Type to search, or give the record's number."))
        super().__init__(widget=RecordPicker(kind), required=False, **kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values or not str(value).strip():
            return None
        if isinstance(value, Model):
            return value
        pk = picked_id(value)
        assert self.queryset is not None
        if pk is None:
            if not self.name_field:
                raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous")
            found = list(self.queryset.filter(**{f"{self.name_field}__iexact": str(value).strip()})[:2])
            if len(found) != 1:
                raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous")
            return found[0]
        obj = self.queryset.filter(pk=pk).first()
        if obj is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return obj

    def prepare_value(self, value: Any) -> Any:
        """A number (the initial link) shows as the record's label; typed text stays as typed."""
        if isinstance(value, Model):
            return picker_label(value)
        if value in self.empty_values:
            return ""
        if isinstance(value, int) or str(value).isdigit():
            pk = int(value)
            if pk not in self._labels:
                assert self.queryset is not None
                qs = self.queryset if self.kind == "company" else self.queryset.select_related("company")
                obj = qs.filter(pk=pk).first()
                self._labels[pk] = picker_label(obj) if obj is not None else str(pk)
            return self._labels[pk]
        return value


class ActivityForm(DetachedInstanceMixin, forms.ModelForm):
    """The links (sale, company, person, project) come prefilled from the card the user started
    from, and can be changed with a picker that suggests at most 20 records the user may see.
    That a person, sale or project belongs to the chosen company is the services' rule; the
    view's run_service puts their message on the field."""

    company = RecordPickerField(kind="company", name_field="name", label=_("Company"))
    person = RecordPickerField(kind="person", name_field=None, label=_("Person"))
    sale = RecordPickerField(kind="sale", name_field="title", label=_("Sale"))
    project = RecordPickerField(kind="project", name_field="name", label=_("Project"))

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
            "company",
            "person",
            "sale",
            "project",
        ]
        widgets = {
            "starts_at": LOCAL_DATETIME,
            "ends_at": LOCAL_DATETIME,
            "text": forms.Textarea(attrs={"rows": 4}),
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
            if self.is_bound:
                value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
                pk = value.pk if value is not None else None
            else:
                pk = picked_id(self.initial.get(name) if name in self.initial else None)
            queryset = model_choice_field(self, name).queryset
            if pk and queryset is not None:
                obj = queryset.filter(pk=pk).first()
                if obj is not None:
                    out.append((label, obj))
        return out
