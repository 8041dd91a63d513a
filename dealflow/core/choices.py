"""Option lists of model choice fields read in one plain query.

Django reads a ModelChoiceField's options with `.iterator()`, which on PostgreSQL opens a
server-side cursor: DECLARE, FETCH and CLOSE, three round trips for a list of a dozen phases or
reasons (a sale card paid that three times). Our option lists are short, so they are read like
any other query. Server-side cursors stay for what needs them: the streamed exports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.forms.models import ModelChoiceField, ModelChoiceIterator


class ListedChoiceIterator(ModelChoiceIterator):
    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a fresh read each time, as Django's own iterator does
            yield self.choice(obj)


def use_listed_choices() -> None:
    """Every model choice field (ModelMultipleChoiceField inherits it) lists its options."""
    ModelChoiceField.iterator = ListedChoiceIterator  # type: ignore[misc]  # a documented hook, set once
