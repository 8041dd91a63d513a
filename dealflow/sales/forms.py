"""Forms shared by the browser and the API: one place says what valid input is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner, visible_owner_ids
from dealflow.core.form_renderer import select_html
from dealflow.core.forms import model_choice_field
from dealflow.relations.forms import VersionedForm
from dealflow.relations.models import Company, Person, Project

from .models import CloseReason, Competitor, Outcome, Phase, Pipeline, Sale, StallReason, UserDefinedField


class MoneyField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)


def custom_form_field(udf: UserDefinedField) -> forms.Field:
    common: dict[str, Any] = {"label": udf.label, "required": udf.required}
    match udf.field_type:
        case UserDefinedField.FieldType.NUMBER:
            return forms.IntegerField(**common)
        case UserDefinedField.FieldType.DECIMAL:
            return forms.DecimalField(max_digits=14, decimal_places=2, localize=True, **common)
        case UserDefinedField.FieldType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
        case UserDefinedField.FieldType.CHECKBOX:
            return forms.BooleanField(**{**common, "required": False})
        case UserDefinedField.FieldType.CHOICE:
            return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in udf.choice_list()], **common)
        case _:
            return forms.CharField(max_length=500, **common)


def custom_initial(udf: UserDefinedField, stored: Any) -> Any:
    """A stored JSON value as the form field expects it."""
    if udf.field_type == UserDefinedField.FieldType.DATE and stored:
        return dt.date.fromisoformat(stored)
    return stored


def custom_display(udf: UserDefinedField, stored: Any) -> Any:
    """A stored value as a card shows it (dates as dates, for locale formatting)."""
    if stored in (None, ""):
        return None
    if udf.field_type == UserDefinedField.FieldType.DATE:
        return dt.date.fromisoformat(stored)
    if udf.field_type == UserDefinedField.FieldType.DECIMAL:
        return Decimal(str(stored))
    return stored


def custom_to_json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class SaleForm(VersionedForm):
    """The Sale, Details, More and Note tabs. User-defined fields arrive as `udf_<code>`."""

    udf_entity = "sale"

    score = forms.IntegerField(label=_("Score"), min_value=1, max_value=100, required=False)
    probability = forms.IntegerField(label=_("Probability"), min_value=0, max_value=100, required=False)
    amount = MoneyField(label=_("Expected value"))
    recurring_value = MoneyField(label=_("Recurring value"))
    total_cost = MoneyField(label=_("Total cost"))
    profit = forms.DecimalField(label=_("Profit"), max_digits=14, decimal_places=2, required=False, localize=True)
    profit_pct = forms.DecimalField(label=_("Profit %"), max_digits=7, decimal_places=2, required=False, localize=True)

    class Meta:
        model = Sale
        fields = [
            "title", "company", "person", "project", "owner", "pipeline", "amount", "currency", "sale_date",
            "probability", "score", "recurring_value", "recurring_interval", "total_cost", "profit", "profit_pct",
            "competitor", "note",
        ]  # fmt: skip
        widgets = {
            "sale_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user: User = self.user

        # Active choices, plus whatever the sale already points at (an archived company or a
        # deactivated competitor must not make the rest of the sale uneditable).
        def keep(name: str) -> Q:
            current = getattr(self.instance, f"{name}_id", None) if self.instance.pk else None
            return Q(pk=current) if current else Q(pk__in=[])

        # Company, person and project: those the user may see, and the one the sale has even
        # when another team owns it (else the card showed "—" and saving cleared the link).
        owners = visible_owner_ids(user)
        pickable = Q(archived=False) if owners is None else Q(archived=False, owner_id__in=owners)
        model_choice_field(self, "company").queryset = Company.objects.filter(pickable | keep("company"))
        model_choice_field(self, "person").queryset = Person.objects.filter(pickable | keep("person"))
        model_choice_field(self, "project").queryset = Project.objects.filter(pickable | keep("project"))
        model_choice_field(self, "pipeline").queryset = Pipeline.objects.filter(Q(is_active=True) | keep("pipeline"))
        self.fields["pipeline"].required = False
        model_choice_field(self, "competitor").queryset = Competitor.objects.filter(
            Q(is_active=True) | keep("competitor")
        )
        self.fields["currency"].required = False
        self.fields["recurring_interval"].required = False
        self.fields["title"].widget.attrs["autofocus"] = True
        # Phase and status move through their own dialogs; the sale type only while open.
        if self.instance.pk and self.instance.status != "open":
            self.fields["pipeline"].disabled = True

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "EUR").strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError(_("Use a three-letter currency code, for example EUR."))
        return value

    def clean_recurring_interval(self) -> str:
        return self.cleaned_data.get("recurring_interval") or "month"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        person, company = data.get("person"), data.get("company")
        if person and company and person.company_id and person.company_id != company.pk:
            self.add_error("person", _("This person does not work at the chosen company."))
        project = data.get("project")
        if project and company and project.company_id != company.pk:
            self.add_error("project", _("This project belongs to another company."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        for name in ("amount", "recurring_value"):
            if data.get(name) is None:
                data[name] = Decimal("0")
        if self.instance.pk and self.fields["pipeline"].disabled:
            data.pop("pipeline", None)
        return data


class MoveForm(forms.Form):
    """Complete the current phase and enter another; a closing phase needs the close fields."""

    phase = forms.ModelChoiceField(label=_("Lead phase"), queryset=Phase.objects.none())
    score = forms.IntegerField(label=_("Score"), min_value=1, max_value=100, required=False)
    expected_value = MoneyField(label=_("Expected value"))
    recurring_value = MoneyField(label=_("Recurring value"))
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), (Outcome.WON, _("Won")), (Outcome.LOST, _("Lost"))], required=False
    )
    close_reason = forms.ModelChoiceField(label=_("Close reason"), queryset=CloseReason.objects.none(), required=False)
    competitor = forms.ModelChoiceField(label=_("Competitor"), queryset=Competitor.objects.none(), required=False)
    closed_date = forms.DateField(
        label=_("Closed date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sale: Sale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sale = sale
        model_choice_field(self, "phase").queryset = Phase.objects.filter(
            pipeline_id=sale.pipeline_id, is_active=True
        ).order_by("order")
        model_choice_field(self, "close_reason").queryset = CloseReason.objects.filter(is_active=True)
        model_choice_field(self, "competitor").queryset = Competitor.objects.filter(is_active=True)
        self.fields["version"].initial = sale.version
        self.fields["closed_date"].initial = timezone.localdate()

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "phase": d["phase"],
            "score": d.get("score"),
            "expected_value": d.get("expected_value"),
            "recurring_value": d.get("recurring_value"),
            "outcome": d.get("outcome") or None,
            "close_reason": d.get("close_reason"),
            "competitor": d.get("competitor"),
            "closed_date": d.get("closed_date"),
            "expected_version": d.get("version"),
        }


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[(Outcome.WON, _("Won")), (Outcome.LOST, _("Lost"))])
    # "—" here, not later: the Overview builds the choices from `shared` in __init__.
    close_reason = forms.ModelChoiceField(
        label=_("Close reason"), queryset=CloseReason.objects.none(), required=False, empty_label="—"
    )
    competitor = forms.ModelChoiceField(
        label=_("Competitor"), queryset=Competitor.objects.none(), required=False, empty_label="—"
    )
    closed_date = forms.DateField(
        label=_("Closed date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sale: Sale, shared: dict[str, list[Any]] | None = None, **kwargs: Any) -> None:
        """`shared`: the active close reasons and competitors, read once for a page that shows
        one form per sale (the Overview), instead of two queries per form."""
        super().__init__(*args, **kwargs)
        model_choice_field(self, "close_reason").queryset = CloseReason.objects.filter(is_active=True)
        model_choice_field(self, "competitor").queryset = Competitor.objects.filter(is_active=True)
        for name, rows in (shared or {}).items():
            field = model_choice_field(self, name)
            field.choices = [("", field.empty_label), *((row.pk, str(row)) for row in rows)]
        self.fields["version"].initial = sale.version
        self.fields["closed_date"].initial = timezone.localdate()

    @staticmethod
    def shared_choices() -> dict[str, list[Any]]:
        return {
            "close_reason": list(CloseReason.objects.filter(is_active=True)),
            "competitor": list(Competitor.objects.filter(is_active=True)),
        }

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "outcome": d["outcome"],
            "close_reason": d.get("close_reason"),
            "competitor": d.get("competitor"),
            "closed_date": d.get("closed_date"),
            "expected_version": d.get("version"),
        }


class StallForm(forms.Form):
    reopen_date = forms.DateField(
        label=_("Reopen date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    stall_reason = forms.ModelChoiceField(
        label=_("Reason (stalled)"), queryset=StallReason.objects.none(), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sale: Sale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "stall_reason").queryset = StallReason.objects.filter(is_active=True)
        self.fields["version"].initial = sale.version

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "reopen_date": d.get("reopen_date"),
            "stall_reason": d.get("stall_reason"),
            "expected_version": d.get("version"),
        }


class StakeholderForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    role = forms.CharField(label=_("Role"), max_length=100, required=False)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Stakeholders may come from any company the user can see.
        model_choice_field(self, "person").queryset = scope_by_owner(
            Person.objects.filter(archived=False), user
        ).select_related("company")


# --- the sale card ------------------------------------------------------------------------

PROFIT_FIELDS = ("total_cost", "profit", "profit_pct")


class SearchSelect(forms.Select):
    """A select that lists only a few choices (the current one, and those of the sale's
    company) with a search box beside it that fetches more: a select of 100,000 companies is
    no use to anyone. Validation still accepts any choice of the field's queryset."""

    def __init__(self, *args: Any, search_url: str = "", search_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.search_url = search_url
        self.search_label = search_label

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        """The select, then the search box that refills its options (htmx); built in Python as
        the plain widgets are (see core.form_renderer)."""
        widget = self.get_context(name, value, attrs)["widget"]
        target = esc(widget["attrs"].get("id", ""))
        label = esc(self.search_label)
        search = (
            f'<input type="search" class="picker-search" id="{target}-search" aria-label="{label}" '
            f'placeholder="{label}…" autocomplete="off" hx-get="{esc(self.search_url)}" '
            f'hx-trigger="input changed delay:300ms" hx-target="#{target}" hx-swap="innerHTML" hx-include="this" '
            f'name="q" form="picker-none">'
        )
        select = select_html(widget)
        assert select is not None  # the standard option template
        return mark_safe(f'<span class="search-select">{select}\n{search}</span>')  # noqa: S308  # escaped parts


class SaleCardForm(SaleForm):
    """SaleForm on the sale screens (card and create). Company, person and project are
    pickers (see SearchSelect). Of total cost, profit and profit % only the one the user
    edited goes to the service, which recalculates the other two (the browser does the same
    live and says which one it was in `profit_basis`; without script it is found here)."""

    profit_basis = forms.ChoiceField(
        choices=[("", "")] + [(name, name) for name in PROFIT_FIELDS], required=False, widget=forms.HiddenInput
    )

    PICKERS = {
        "company": (_("Find a company"), 0),
        "person": (_("Find a person"), 50),
        "project": (_("Find a project"), 50),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["title"].widget.attrs.pop("autofocus", None)  # the card is read before it is edited
        from django.urls import reverse

        for name in ("pipeline", "competitor"):
            model_choice_field(self, name).empty_label = "—"
        company = self._value("company")
        for name, (label, extra) in self.PICKERS.items():
            field = model_choice_field(self, name)
            field.widget = SearchSelect(
                search_url=reverse("sales:options", args=[name]), search_label=str(label), attrs=field.widget.attrs
            )
            chosen = self._value(name)
            queryset = field.queryset
            assert queryset is not None  # set in SaleForm.__init__
            qs = queryset if name == "company" else queryset.select_related("company")
            loaded = self._loaded(name, chosen)
            options = [loaded] if loaded else list(qs.filter(pk=chosen)) if chosen else []
            if extra and company:
                options += list(qs.filter(company_id=company).exclude(pk=chosen or 0)[:extra])
            field.widget.choices = [("", "—")] + [(o.pk, _option_label(o)) for o in options]

    def _loaded(self, name: str, chosen: int | None) -> Any:
        """The sale's own company, person or project when it is the one chosen, as the sale was
        read with it (no second query). A person or project of another company than the sale's
        is read again, to show its company in the label."""
        sale = self.instance
        if not chosen or getattr(sale, f"{name}_id") != chosen or not sale._meta.get_field(name).is_cached(sale):
            return None
        loaded = getattr(sale, name)
        if name == "company" or loaded.company_id is None:
            return loaded
        if loaded.company_id == sale.company_id and sale._meta.get_field("company").is_cached(sale):
            loaded.company = sale.company
            return loaded
        return None

    def _value(self, name: str) -> int | None:
        value = self[name].value()
        value = getattr(value, "pk", value)
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def _edited_profit_field(self) -> str | None:
        basis = self.cleaned_data.get("profit_basis")
        if basis in PROFIT_FIELDS and basis in self.changed_data:
            return basis
        for name in PROFIT_FIELDS:
            if name in self.changed_data:
                return name
        return None

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        if not self.instance.pk:
            return data  # a new sale: the service works from the total cost
        edited = self._edited_profit_field()
        if edited is not None and data.get(edited) is None:
            return data  # a cleared value is saved as given
        for name in PROFIT_FIELDS:
            if name != edited:
                data.pop(name, None)
        return data


def _option_label(obj: Any) -> str:
    company = getattr(obj, "company", None) if not isinstance(obj, Company) else None
    return f"{obj} · {company}" if company else str(obj)


class PhaseValuesForm(forms.Form):
    """The Overview tab: what was captured in the current phase."""

    score = forms.IntegerField(label=_("Score"), min_value=1, max_value=100, required=False)
    expected_value = MoneyField(label=_("Expected value"))
    recurring_value = MoneyField(label=_("Recurring value"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sale: Sale, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "score": sale.score,
                "expected_value": sale.amount,
                "recurring_value": sale.recurring_value,
                "version": sale.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.sale = sale


class VersionForm(forms.Form):
    """Only the version the user saw: for actions without input (complete a phase, reopen)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sale: Sale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = sale.version


MAX_DOCUMENT_BYTES = 25 * 1024 * 1024


class SaleDocumentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > MAX_DOCUMENT_BYTES:
            raise ValidationError(_("The file is too large (at most 25 MB)."))
        return file


class SaleLinkForm(forms.Form):
    other = forms.ModelChoiceField(label=_("Sale"), queryset=Sale.objects.none())

    def __init__(self, *args: Any, user: User, sale: Sale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "other").queryset = scope_by_owner(Sale.objects.exclude(pk=sale.pk), user)
