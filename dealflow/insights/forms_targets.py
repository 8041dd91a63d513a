"""Input for the targets grid, the forecast page and the targets API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealflow.accounts.models import User

from . import forecast, selectors
from .forms import DateRangeForm, params_with_defaults
from .models import Measure

MONTHS = range(1, 13)


def coming_twelve_months(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    start = (today or timezone.localdate()).replace(day=1)
    return start, forecast.add_months(start, 12) - dt.timedelta(days=1)


class ForecastForm(DateRangeForm):
    period = forms.ChoiceField(label=_("Period"), choices=[("month", _("Month")), ("quarter", _("Quarter"))])
    group_by = forms.ChoiceField(label=_("Group by"), choices=list(forecast.GROUP_BY_LABELS.items()), required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Sale type (pipeline)"), queryset=selectors.report_pipelines(), required=False, empty_label=_("All")
    )

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.user = user

    @classmethod
    def with_defaults(cls, params: QueryDict | dict[str, Any], *, user: User) -> ForecastForm:
        date_from, date_to = coming_twelve_months()
        defaults = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "period": "month"}
        return cls(params_with_defaults(params, cls.base_fields, defaults), user=user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and (date_to - date_from).days > 3 * 366:
            self.add_error("date_to", _("Choose a range of at most three years."))
        return cleaned

    def report_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "date_from": d["date_from"],
            "date_to": d["date_to"],
            "period": d["period"],
            "group_by": d.get("group_by") or "",
            "pipeline": d.get("pipeline"),
        }


class TargetGridFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices)
    pipeline = forms.ModelChoiceField(
        label=_("Sale type (pipeline)"), queryset=selectors.report_pipelines(), required=False, empty_label=_("All")
    )

    @classmethod
    def with_defaults(cls, params: QueryDict | dict[str, Any]) -> TargetGridFilterForm:
        data: dict[str, Any] = {"year": timezone.localdate().year, "measure": Measure.AMOUNT_SOLD}
        for name in cls.base_fields:
            value = params.get(name)
            if value not in (None, ""):
                data[name] = value
        return cls(data)


def _money(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))],
        error_messages={"min_value": _("A target cannot be negative.")},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )  # fmt: skip


class TargetRowForm(forms.Form):
    """One row of the grid: the subject, a yearly figure, twelve months, and the helpers."""

    row = forms.CharField(widget=forms.HiddenInput)  # "user:3", "team:2", "company"
    yearly = _money(_("Year"))
    copy_from = forms.CharField(label=_("Copy from row"), required=False)
    percent = forms.DecimalField(label=_("Last year + %"), required=False, max_digits=6, decimal_places=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for month in MONTHS:
            self.fields[f"m{month}"] = _money(_("Month %(month)d") % {"month": month})

    def month_values(self) -> list[Decimal | None]:
        return [self.cleaned_data.get(f"m{m}") for m in MONTHS]
