"""Forms of the administrators' funnel set-up screens. They check the shape of the input; the
services (pipeline_save, lookup_save, udf_save, guide_step_save) enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dealflow.core.forms import DetachedInstanceMixin

from .models import CloseReason, Competitor, GuideStep, Phase, Pipeline, StallReason, UserDefinedField

# Sale fields a phase can require before a sale may leave it (the sales guide's exit rules).
EXIT_FIELDS: list[tuple[str, Any]] = [
    ("sale_date", _("Sale date")),
    ("amount", _("Expected value")),
    ("recurring_value", _("Recurring value")),
    ("score", _("Score")),
    ("person", _("Person")),
    ("competitor", _("Competitor")),
]


def exit_field_choices(sale_udfs: list[UserDefinedField]) -> list[tuple[str, Any]]:
    """The fixed sale fields, then the active user-defined fields of sales."""
    return EXIT_FIELDS + [(f"custom.{u.code}", u.label) for u in sale_udfs]


class FunnelSwitchForm(forms.Form):
    funnel_enabled = forms.BooleanField(label=_("Sales funnel switched on"), required=False)


class PipelineForm(DetachedInstanceMixin, forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "code", "order", "days_to_stall", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["days_to_stall"].widget.attrs["min"] = 1

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self._meta.fields or ()}
        if data["order"] is None:
            data["order"] = self.instance.order if self.instance.pk else 0
        return data


class PhaseForm(forms.Form):
    """One row of the phases table; its prefix is `ph-<row key>`."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    code = forms.SlugField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Phase.Kind.choices, initial=Phase.Kind.REGULAR)
    probability = forms.IntegerField(
        label=_("Default probability (%)"), min_value=0, max_value=100, initial=0,
        widget=forms.NumberInput(attrs={"class": "num"}),
    )  # fmt: skip
    days_to_stall = forms.IntegerField(
        label=_("Days to stall"), min_value=1, required=False, widget=forms.NumberInput(attrs={"class": "num"})
    )
    exit_required_fields = forms.MultipleChoiceField(
        label=_("Required to leave the phase"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exit_requires_guide_done = forms.BooleanField(label=_("All follow-ups done to leave"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, exit_choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        exit_fields = self.fields["exit_required_fields"]
        assert isinstance(exit_fields, forms.MultipleChoiceField)
        exit_fields.choices = exit_choices
        self.fields["name"].widget.attrs["data-reorder-name"] = ""

    @classmethod
    def initial_for(cls, phase: Phase) -> dict[str, Any]:
        return {
            "id": phase.pk,
            "code": phase.code,
            "name": phase.name,
            "kind": phase.kind,
            "probability": phase.probability,
            "days_to_stall": phase.days_to_stall,
            "exit_required_fields": list(phase.exit_required_fields or []),
            "exit_requires_guide_done": phase.exit_requires_guide_done,
            "is_active": phase.is_active,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data.get("id"):
            data.pop("id", None)
        data["exit_required_fields"] = list(data.get("exit_required_fields") or [])
        return data


class _LookupForm(DetachedInstanceMixin, forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["order"].help_text = _("Leave empty to put it at the end.")
        if not self.instance.pk:
            self.initial.pop("order", None)
            self.fields["order"].initial = None

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self._meta.fields or ()}
        if data.get("order") is None:
            if self.instance.pk:
                data["order"] = self.instance.order
            else:
                data.pop("order", None)
        return data


class CloseReasonForm(_LookupForm):
    class Meta:
        model = CloseReason
        fields = ["code", "name", "outcome", "order", "is_active"]


class StallReasonForm(_LookupForm):
    class Meta:
        model = StallReason
        fields = ["name", "order", "is_active"]


class CompetitorForm(_LookupForm):
    class Meta:
        model = Competitor
        fields = ["name", "order", "is_active"]


class UserDefinedFieldForm(DetachedInstanceMixin, forms.ModelForm):
    """`locked`: records hold values for the field, so entity, code and type stay as they are."""

    class Meta:
        model = UserDefinedField
        fields = ["entity", "label", "code", "field_type", "choices", "required", "pinned", "order", "is_active"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["order"].help_text = _("Leave empty to put it at the end.")
        if not self.instance.pk:
            self.initial.pop("order", None)
            self.fields["order"].initial = None
        self.fields["entity"].label = _("Record type")
        self.fields["choices"].help_text = _("Only for a choice list: one choice per line.")
        self.fields["pinned"].help_text = _("At most three fields per record type are pinned.")
        if locked:
            for name in ("entity", "code", "field_type"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: records hold values for this field.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entity, code = data.get("entity"), data.get("code")
        taken = UserDefinedField.objects.filter(entity=entity, code=code).exclude(pk=self.instance.pk)
        if entity and code and taken.exists():
            # In plain words, before the model's generic “… already exists” check.
            self.add_error("code", _("Another field of this record type already uses this code."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class GuideStepForm(forms.Form):
    field_order = ["kind", "text", "activity_type", "days_after"]

    kind = forms.ChoiceField(
        label=_("Kind"), choices=GuideStep.Kind.choices, initial=GuideStep.Kind.FOLLOW_UP, widget=forms.RadioSelect
    )
    activity_type = forms.ChoiceField(
        label=_("Activity type"), choices=[("", "—"), *GuideStep.ActivityType.choices], required=False,
        help_text=_("For a follow-up."),
    )  # fmt: skip
    text = forms.CharField(
        label=_("Text"),
        max_length=300,
        help_text=_("What to do, or which document to prepare."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    days_after = forms.IntegerField(
        label=_("Days after the previous one"), min_value=0, initial=0, required=False,
        help_text=_("For a follow-up."),
    )  # fmt: skip

    @classmethod
    def initial_for(cls, step: GuideStep) -> dict[str, Any]:
        return {
            "kind": step.kind,
            "activity_type": step.activity_type,
            "text": step.text,
            "days_after": step.days_after,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["days_after"] = data.get("days_after") or 0
        return data
