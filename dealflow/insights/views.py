"""Report screens. Views validate the filters, call one selector, render (or stream CSV)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest

from . import charts, exports, selectors
from .forms import WinLossForm


def _rate(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _user(request: AuthedRequest) -> User:
    return cast(User, request.user)  # login_required has let only a logged-in user through


def win_loss_table(report: selectors.WinLossReport) -> Iterator[list[str]]:
    """The report as the rows of a sheet: a header, one row per group (and period), the totals.
    The page shows the same cells; the CSV export writes them."""
    with_period = bool(report.period)
    yield [
        *([report.period_heading] if with_period else []),
        report.group_label,
        _("Won"),
        _("Lost"),
        _("Won value"),
        _("Lost value"),
        _("Win rate % (count)"),
        _("Win rate % (value)"),
    ]
    for row in [*report.rows, report.totals]:
        yield [
            *([row.period_label] if with_period else []),
            row.label,
            str(row.won),
            str(row.lost),
            str(row.won_value),
            str(row.lost_value),
            _rate(row.win_rate),
            _rate(row.value_win_rate),
        ]


@login_required
@funnel_required
def win_loss(request: AuthedRequest) -> HttpResponse:
    form = WinLossForm.with_defaults(request.GET, user=_user(request))
    report = selectors.win_loss(_user(request), **form.report_kwargs()) if form.is_valid() else None
    fmt = exports.wanted_format(request)
    if report is not None and fmt:
        name = f"win-loss_{report.group_by}_{report.date_from.isoformat()}_{report.date_to.isoformat()}"
        return exports.export(fmt, win_loss_table(report), name, _("Win/loss"))  # type: ignore[return-value]
    context: dict[str, Any] = {"form": form, "report": report}
    if report is not None and not report.is_empty:
        context["chart"] = charts.win_loss_bars(
            report.groups,
            title=_("%(group)s: won and lost sales, %(start)s – %(end)s")
            % {
                "group": report.group_label,
                "start": date_format(report.date_from, "SHORT_DATE_FORMAT"),
                "end": date_format(report.date_to, "SHORT_DATE_FORMAT"),
            },
        )
        context["export_qs"] = form.querystring()
    template = "insights/win_loss.html"
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "report":
        template += "#report"
    # Bad filters re-render the form with its errors, like any form page (and htmx swaps only 2xx).
    return render(request, template, context)


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


@login_required
@funnel_required
def win_loss_csv(request: AuthedRequest) -> HttpResponseBase:
    form = WinLossForm.with_defaults(request.GET, user=_user(request))
    if not form.is_valid():
        return render(request, "insights/win_loss.html", {"form": form, "report": None}, status=400)
    report = selectors.win_loss(_user(request), **form.report_kwargs())
    writer = csv.writer(_Echo())
    lines = (writer.writerow(cells) for cells in win_loss_table(report))
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    name = f"win-loss_{report.group_by}_{report.date_from.isoformat()}_{report.date_to.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"  # spreadsheets read the file as UTF-8 only when it starts with a BOM
    yield from lines
