"""Filters of the funnel and pipeline reports, shared by the pages, the exports and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealflow.sales.models import Pipeline

from .forms import DateRangeForm, _date_input, last_twelve_months, params_with_defaults


class FunnelForm(DateRangeForm):
    pipeline = forms.ModelChoiceField(label=_("Sale type (pipeline)"), queryset=Pipeline.objects.all())
    field_order = ["pipeline", "date_from", "date_to"]

    @classmethod
    def with_defaults(cls, params: QueryDict | dict[str, Any]) -> FunnelForm:
        date_from, date_to = last_twelve_months()
        first = Pipeline.objects.filter(is_active=True).values_list("pk", flat=True).first()
        defaults = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "pipeline": first}
        return cls(params_with_defaults(params, cls.base_fields, defaults))


class PipelineForm(forms.Form):
    pipeline = forms.ModelChoiceField(
        label=_("Sale type (pipeline)"), queryset=Pipeline.objects.all(), required=False, empty_label=_("All")
    )
    as_of = forms.DateField(
        label=_("As it stood on"), widget=_date_input(), required=False, help_text=_("Leave empty for today.")
    )

    @classmethod
    def with_defaults(cls, params: QueryDict | dict[str, Any]) -> PipelineForm:
        return cls(params_with_defaults(params, cls.base_fields, {}))

    def clean_as_of(self) -> dt.date | None:
        value = self.cleaned_data.get("as_of")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value
