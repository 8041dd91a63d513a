from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import assignable_owners, scope_by_owner
from dealflow.core.forms import DetachedInstanceMixin, model_choice_field

from .models import AccountType, Company, Person, Project


class VersionedForm(DetachedInstanceMixin, forms.ModelForm):
    """Carries the version the user started from, so a stale save can be refused, and the
    record's user-defined fields (as `udf_<code>`) when `udf_entity` names its kind."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    udf_entity = ""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        if "owner" in self.fields:
            owner = model_choice_field(self, "owner")
            owner.queryset = assignable_owners(user)
            owner.required = False
            owner.empty_label = _("Me")
        self.udfs: list[Any] = []
        if self.udf_entity:
            self._add_user_fields()

    def _add_user_fields(self) -> None:
        from dealflow.sales.forms import custom_form_field, custom_initial
        from dealflow.sales.models import UserDefinedField

        self.udfs = list(
            UserDefinedField.objects.filter(entity=self.udf_entity, is_active=True).order_by("order", "id")
        )
        custom = (self.instance.custom or {}) if self.instance.pk else {}
        for udf in self.udfs:
            field = custom_form_field(udf)
            field.initial = custom_initial(udf, custom.get(udf.code))
            self.fields[f"udf_{udf.code}"] = field

    def pinned_fields(self) -> list[forms.BoundField]:
        return [self[f"udf_{u.code}"] for u in self.udfs if u.pinned]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[f"udf_{u.code}"] for u in self.udfs]

    def service_data(self) -> dict[str, Any]:
        assert self._meta.fields is not None  # every VersionedForm lists its Meta.fields
        data = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        if self.udfs:
            from dealflow.sales.forms import custom_to_json

            custom = dict(self.instance.custom or {}) if self.instance.pk else {}
            for udf in self.udfs:
                custom[udf.code] = custom_to_json(self.cleaned_data.get(f"udf_{udf.code}"))
            data["custom"] = custom
        return data


class CompanyForm(VersionedForm):
    udf_entity = "company"
    # A site typed without its scheme ("acme.example") is saved as https://, the scheme
    # Django 6 assumes (Django 5 assumed http:// and warned on every form).
    website = Company._meta.get_field("website").formfield(assume_scheme="https")

    class Meta:
        model = Company
        fields = [
            "name",
            "account_type",
            "owner",
            "category",
            "phone",
            "email",
            "website",
            "visiting_street",
            "visiting_postcode",
            "visiting_city",
            "postal_street",
            "postal_postcode",
            "postal_city",
            "country",
            "registration_number",
            "vat_number",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = AccountType.objects.filter(is_active=True)
        if self.instance.pk and self.instance.account_type_id:
            qs = AccountType.objects.filter(pk=self.instance.account_type_id) | qs
        model_choice_field(self, "account_type").queryset = qs.distinct()
        if not self.instance.pk:
            # A new company starts with the default account type (the user may change it).
            self.fields["account_type"].initial = qs.filter(is_default=True).values_list("pk", flat=True).first()

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()

    def clean_website(self) -> str:
        return self.cleaned_data.get("website") or ""


class PersonForm(VersionedForm):
    udf_entity = "person"

    class Meta:
        model = Person
        fields = ["first_name", "last_name", "company", "position", "email", "phone", "mobile", "owner", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "company").queryset = scope_by_owner(Company.objects.filter(archived=False), self.user)


class ProjectForm(VersionedForm):
    class Meta:
        model = Project
        fields = ["name", "company", "status", "start_date", "end_date", "owner", "note"]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 4}),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "company").queryset = scope_by_owner(Company.objects.filter(archived=False), self.user)


class AccountTypeForm(DetachedInstanceMixin, forms.ModelForm):
    class Meta:
        model = AccountType
        fields = [
            "code",
            "name",
            "order",
            "is_default",
            "uses_lead_phases",
            "pipeline",
            "won_account_type",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from dealflow.sales.models import Pipeline

        current = self.instance.pipeline_id if self.instance.pk else None
        model_choice_field(self, "pipeline").queryset = Pipeline.objects.filter(Q(is_active=True) | Q(pk=current))
        model_choice_field(self, "won_account_type").queryset = AccountType.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.won_account_type_id if self.instance.pk else None)
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("uses_lead_phases") and not data.get("pipeline"):
            self.add_error("pipeline", _("An account type that uses lead phases needs a sale type (pipeline)."))
        if data.get("won_account_type") and self.instance.pk and data["won_account_type"].pk == self.instance.pk:
            self.add_error("won_account_type", _("Choose another account type."))
        return data


class CompanyDeleteForm(forms.Form):
    persons = forms.ChoiceField(
        label=_("What happens to the persons of this company?"),
        choices=[
            ("detach", _("Keep them, without a company")),
            ("delete", _("Delete them too")),
        ],
        widget=forms.RadioSelect,
        initial="detach",
    )
