"""The Overview tab's funnel of a sale, as HTML built in Python: a step per lead phase with its
score, expected and recurring value (ten sales of six phases made ~60 template loops)."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dealflow.core.html import e, money

DASH = "—"
CURRENT = ' aria-current="step"'


def _step(cell: dict[str, Any], labels: tuple[str, str, str, str]) -> str:
    record = cell["record"]
    current_label, score_label, expected_label, recurring_label = labels
    current = f'<span class="sr-only"> ({current_label})</span>' if cell["current"] else ""
    score = e(record.score) if record is not None and record.score else DASH
    expected = e(money(record.expected_value)) if record is not None else DASH
    recurring = e(money(record.recurring_value)) if record is not None else DASH
    return (
        f'<li class="{"done" if cell["done"] else ""}"{CURRENT if cell["current"] else ""}>'
        f'<span class="phase-name">{e(cell["phase"].name)}{current}</span>'
        f"<dl><dt>{score_label}</dt><dd>{score}</dd>"
        f"<dt>{expected_label}</dt><dd>{expected}</dd>"
        f"<dt>{recurring_label}</dt><dd>{recurring}</dd></dl></li>"
    )


def funnel_steps(cells: list[dict[str, Any]]) -> SafeString:
    """<ol class="funnel">: every lead phase, those passed marked done, the current one as the
    step (cells: phase, record, current, done — from views_overview.overview_context)."""
    labels = (e(_("current phase")), e(_("Score")), e(_("Expected value")), e(_("Recurring value")))
    aria = e(_("Lead phases"))
    steps = "\n      ".join(_step(cell, labels) for cell in cells)
    return mark_safe(f'<ol class="funnel" aria-label="{aria}">\n      {steps}\n    </ol>')  # noqa: S308 - escaped
