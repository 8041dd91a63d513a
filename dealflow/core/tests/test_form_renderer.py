"""The widgets built in Python give exactly what Django's widget templates give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from dealflow.core.form_renderer import BUILT, FormRenderer, field_html

TRICKY = "a \"quoted\" <b>&amp; 'single'"


class Everything(forms.Form):
    text = forms.CharField(
        max_length=20, help_text="x", widget=forms.TextInput(attrs={"data-x": TRICKY, "autofocus": True})
    )
    number = forms.DecimalField(required=False)
    whole = forms.IntegerField(min_value=0, max_value=100)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(required=False)
    clock = forms.TimeField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    flag = forms.BooleanField(required=False)
    off = forms.BooleanField(required=False, disabled=True)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    choice = forms.ChoiceField(
        choices=[("", "—"), ("a", TRICKY), ("b", mark_safe("<i>safe</i>")), (3, gettext_lazy("Sold"))]
    )
    grouped = forms.ChoiceField(choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear & co")]), ("x", "Loose")])
    several = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two"), (3, "Three")], required=False)


VALUES: list[dict[str, Any]] = [
    {},
    {
        "text": TRICKY,
        "number": Decimal("12.50"),
        "whole": 7,
        "email": "a@b.nl",
        "url": "https://x.nl/?a=1&b=2",
        "day": dt.date(2026, 11, 22),
        "moment": dt.datetime(2026, 11, 22, 23, 5),
        "clock": dt.time(9, 30),
        "secret": "s&cret",
        "hidden": "<h>",
        "flag": True,
        "off": True,
        "body": "line 1\n<line 2> & more",
        "choice": "b",
        "grouped": "pear",
        "several": [1, 3],
    },
    {"text": "", "choice": 3, "grouped": "x", "body": "", "several": []},
]


@pytest.mark.parametrize("initial", VALUES)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_each_widget_renders_as_django_s_template_does(initial: dict[str, Any], language: str) -> None:
    with override(language):
        ours = Everything(initial=initial, renderer=FormRenderer())
        django_s = Everything(initial=initial, renderer=DjangoTemplates())
        for name in Everything.base_fields:
            assert str(ours[name]) == str(django_s[name]), name


def test_bound_forms_with_errors_and_every_built_template_is_covered() -> None:
    data = {"text": TRICKY * 3, "whole": "-1", "day": "not a day", "choice": "zzz", "flag": "on", "several": ["2"]}
    ours, django_s = Everything(data, renderer=FormRenderer()), Everything(data, renderer=DjangoTemplates())
    assert not ours.is_valid()
    for name in Everything.base_fields:
        assert str(ours[name]) == str(django_s[name]), name
    # The whole form (its own template, the error lists) still comes out the same.
    assert str(ours) == str(django_s)
    used = {str(ours[name].field.widget.template_name) for name in Everything.base_fields}
    assert used - set(BUILT) == set(), "a widget of this form is not built in Python: the test no longer covers it"


def test_a_widget_with_its_own_option_template_goes_through_the_engine() -> None:
    class Radios(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)

    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    class Odd(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "A")], widget=OwnOption)

    for form in (Radios, Odd):
        assert str(form(renderer=FormRenderer())["pick"]) == str(form(renderer=DjangoTemplates())["pick"])
    assert "<input" in str(Odd(renderer=FormRenderer())["pick"])  # its own option template was used


def test_the_app_renders_forms_with_it() -> None:
    assert isinstance(Everything().renderer, FormRenderer)


def test_a_field_is_laid_out_with_its_label_help_and_errors() -> None:
    class Sample(forms.Form):
        title = forms.CharField(label="Title <b>", help_text="Say what & why.", min_length=5)
        flag = forms.BooleanField(label="VIP", required=False)

    form = Sample({"title": "ab", "flag": "on"})
    assert not form.is_valid()
    form.add_error("title", "Second & last.")
    html = field_html(form["title"], wide=True)
    assert html.startswith('<div class="field has-error wide">')
    assert '<label for="id_title">Title &lt;b&gt;<span class="req" aria-hidden="true">*</span></label>' in html
    # The widget points at the help text and the first error, and those carry these ids.
    assert 'aria-describedby="id_title_helptext id_title_error"' in html
    assert '<small class="help" id="id_title_helptext">Say what &amp; why.</small>' in html
    assert html.count('id="id_title_error"') == 1
    assert '<p class="error">Second &amp; last.</p>' in html
    check = field_html(form["flag"])
    assert check.startswith('<div class="field check">')
    assert '<input type="checkbox" name="flag" id="id_flag" checked> <label for="id_flag">VIP</label>' in check
