from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from dealflow.core.services import StaleVersion


class DetachedInstanceMixin:
    """A ModelForm writes the submitted values onto its instance while it validates. The
    services compare the record as read with the values to save (for the change log and the
    optimistic lock), so the form works on a copy and leaves the caller's instance untouched."""

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=copy.copy(instance) if instance is not None else None, **kwargs)  # type: ignore[call-arg]


def run_service(form: forms.BaseForm, call: Callable[[], Any]) -> Any | None:
    """Call a service; turn its refusals into form errors so the user's input stays on screen."""
    try:
        return call()
    except StaleVersion as exc:
        changed = ", ".join(
            f"{_field_label(form, name)}: {old!s} → {new!s}" for name, (old, new) in exc.changes.items()
        )
        msg = _("Someone else saved this record while you were editing it. Their changes: %(changes)s.") % {
            "changes": changed or _("unknown")
        }
        form.add_error(None, msg)
        if "version" in form.fields:
            # The next submit is based on what the user has now seen.
            data = cast("QueryDict | dict[str, Any]", form.data).copy()  # bound: a QueryDict or a dict
            data["version"] = str(exc.current.version)
            form.data = data
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
    return None


def _field_label(form: forms.BaseForm, name: str) -> str:
    field = form.fields.get(name)
    return str(field.label) if field and field.label else name


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """`form.fields[name]` as the ModelChoiceField it is (a foreign key, or declared as one), so
    that its `queryset` and `empty_label` can be set."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])
