"""Report filters, shared by the pages, the CSV exports and the API: one place says what valid
input is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealflow.accounts.models import User

from . import selectors


def last_twelve_months(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """From the first day of the month eleven months back up to today: twelve month columns,
    the last one still running."""
    today = today or timezone.localdate()
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1), today


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def params_with_defaults(params: QueryDict | dict[str, Any], names: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """Form data for a report: what the user sent, the defaults for what they left out."""
    data = dict(defaults)
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            data[name] = value
    return data


class DateRangeForm(forms.Form):
    """A report period: from and to, both days included, in order."""

    date_from = forms.DateField(label=_("From"), widget=_date_input())
    date_to = forms.DateField(label=_("To"), widget=_date_input())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return cleaned


class WinLossForm(DateRangeForm):
    group_by = forms.ChoiceField(label=_("Group by"), choices=list(selectors.GROUP_LABELS.items()))
    period = forms.ChoiceField(label=_("Period"), choices=list(selectors.PERIOD_LABELS.items()), required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Sale type (pipeline)"), queryset=selectors.report_pipelines(), required=False, empty_label=_("All")
    )
    owner = OwnerChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("All"))

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["owner"].queryset = selectors.report_owners(user)  # type: ignore[attr-defined]

    @classmethod
    def with_defaults(cls, params: QueryDict | dict[str, Any], *, user: User) -> WinLossForm:
        """A bound form: what the user sent, the defaults (the last twelve months, by close
        reason) for what they left out."""
        date_from, date_to = last_twelve_months()
        defaults = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "group_by": "close_reason"}
        return cls(params_with_defaults(params, cls.base_fields, defaults), user=user)

    def report_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "group_by": data["group_by"],
            "period": data.get("period") or "",
            "pipeline": data.get("pipeline"),
            "owner": data.get("owner"),
        }

    def querystring(self) -> str:
        """The cleaned filters as a query string (for the export link)."""
        params = QueryDict(mutable=True)
        for name, value in self.report_kwargs().items():
            if value:
                params[name] = value.isoformat() if isinstance(value, dt.date) else getattr(value, "pk", value)
        return params.urlencode()
