"""The form renderer: Django's own, with the plain widgets built in Python.

A sale card renders some thirty widgets; through Django's widget templates each one costs an
include of the attributes template per option and per field, about a quarter of the card's time. The input,
select and textarea templates are small and stable, so they are written here as functions that
give the same HTML from the same widget context. Every other template (our own pickers, forms
rendered whole, error lists) still goes through the template engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape as esc
from django.utils.html import escape

WIDGETS = "django/forms/widgets/"
OPTION = WIDGETS + "select_option.html"


def attrs_html(attrs: dict[str, Any]) -> str:
    """attrs.html: False leaves an attribute out, True writes its bare name. Values are escaped
    even when marked safe, as the template's `stringformat` filter makes them plain strings."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {esc(name)}" if value is True else f' {esc(name)}="{escape(value)}"')
    return "".join(parts)


def input_html(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{shown}{attrs_html(widget["attrs"])}>'


def option_html(option: dict[str, Any]) -> str:
    return f'<option value="{escape(option["value"])}"{attrs_html(option["attrs"])}>{esc(option["label"])}</option>'


def select_html(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{esc(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{esc(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None  # a widget with its own option template: let the engine render it
            parts.append("\n  " + option_html(option) + "\n")  # the option template ends in a newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def textarea_html(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return f'<textarea name="{esc(widget["name"])}"{attrs_html(widget["attrs"])}>\n{esc(value) if value else ""}</textarea>'


INPUT_TYPES = ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel",
               "color", "checkbox", "input")  # fmt: skip
BUILT: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{f"{WIDGETS}{name}.html": input_html for name in INPUT_TYPES},
    WIDGETS + "select.html": select_html,
    WIDGETS + "textarea.html": textarea_html,
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        build = BUILT.get(template_name)
        if build is not None and "widget" in context:
            html = build(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)


def field_html(field: BoundField, wide: bool = False) -> str:
    """One form field as the screens lay it out: label (with a required mark), widget, help
    text and errors, in a `div.field` of the grid. `wide` spans the grid's width. The help text
    and the first error carry the ids that the widget's aria-describedby points at."""
    is_check = getattr(field.field.widget, "input_type", None) == "checkbox"
    classes = (
        "field" + (" has-error" if field.errors else "") + (" check" if is_check else "") + (" wide" if wide else "")
    )
    label = f'<label for="{esc(field.id_for_label)}">{esc(field.label)}'
    if is_check:
        parts = [f"{field} {label}</label>"]
    else:
        required = '<span class="req" aria-hidden="true">*</span>' if field.field.required else ""
        parts = [f"{label}{required}</label>", str(field)]
    if field.help_text:
        parts.append(f'<small class="help" id="{esc(field.auto_id)}_helptext">{esc(field.help_text)}</small>')
    for number, error in enumerate(field.errors):  # messages (str), as a template loop gives them
        error_id = f' id="{esc(field.auto_id)}_error"' if number == 0 else ""
        parts.append(f'<p class="error"{error_id}>{esc(str(error))}</p>')
    return f'<div class="{classes}">\n  ' + "\n  ".join(parts) + "\n</div>"
