"""The funnel and pipeline-by-phase reports. Views validate the filters, call one selector and
render — or, with ?format=csv|xlsx, stream the same cells as a file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest

from . import charts_more, exports
from .forms_funnel import FunnelForm, PipelineForm
from .funnel import FunnelReport, funnel
from .pipeline_history import PipelineReport, pipeline_by_phase


def _opt(value: Any) -> Any:
    return "" if value is None else value


def funnel_table(report: FunnelReport) -> Iterator[list[Any]]:
    """Header and one row per phase: the cells the page shows and the exports write."""
    yield [
        _("Phase"), _("Entered"), _("To a later phase"), _("Conversion to next %"), _("Won"),
        _("Conversion to won %"), _("Average days"), _("Median days"), _("Lost here"), _("Close reasons (lost)"),
    ]  # fmt: skip
    for row in report.rows:
        yield [
            row.phase.name,
            row.entered,
            "" if row.is_closing else row.advanced,
            _opt(row.next_rate),
            row.won,
            _opt(row.won_rate),
            _opt(row.avg_days),
            _opt(row.median_days),
            "" if row.is_closing else row.lost_here,
            "; ".join(f"{name}: {n}" for name, n in row.lost_reasons),
        ]


def pipeline_table(report: PipelineReport) -> Iterator[list[Any]]:
    yield [_("Sale type (pipeline)"), _("Phase"), _("Open sales"), _("Value"), _("Weighted value")]
    for row in [*report.rows]:
        yield [row.phase.pipeline.name, row.phase.name, row.count, row.value, row.weighted]
    total = report.totals
    yield [_("Total"), "", total.count, total.value, total.weighted]


def _render(request: AuthedRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "report":
        template += "#report"
    return render(request, template, context, status=status)


@login_required
@funnel_required
def funnel_report(request: AuthedRequest) -> HttpResponseBase:
    form = FunnelForm.with_defaults(request.GET)
    fmt = exports.wanted_format(request)
    if not form.is_valid():
        return _render(request, "insights/funnel.html", {"form": form}, status=400 if fmt else 200)
    data = form.cleaned_data
    report = funnel(cast(User, request.user), data["pipeline"], data["date_from"], data["date_to"])
    if fmt:
        name = f"funnel_{report.pipeline.code}_{report.date_from.isoformat()}_{report.date_to.isoformat()}"
        return exports.export(fmt, funnel_table(report), name, _("Funnel"))
    table = list(funnel_table(report))
    context = {
        "form": form,
        "report": report,
        "header": table[0],
        "table": list(zip(report.rows, table[1:], strict=True)),
        "exports": exports.export_links(request),
        "chart": charts_more.count_bars(
            [(r.phase.name, r.entered) for r in report.rows],
            title=_("Sales entering each phase, %(start)s – %(end)s")
            % {
                "start": date_format(report.date_from, "SHORT_DATE_FORMAT"),
                "end": date_format(report.date_to, "SHORT_DATE_FORMAT"),
            },
            chart_id="funnel-chart",
        ),
    }
    return _render(request, "insights/funnel.html", context)


@login_required
@funnel_required
def pipeline_report(request: AuthedRequest) -> HttpResponseBase:
    form = PipelineForm.with_defaults(request.GET)
    fmt = exports.wanted_format(request)
    if not form.is_valid():
        return _render(request, "insights/pipeline.html", {"form": form}, status=400 if fmt else 200)
    data = form.cleaned_data
    report = pipeline_by_phase(cast(User, request.user), data.get("pipeline"), data.get("as_of"))
    if fmt:
        day = report.as_of.isoformat() if report.as_of else "now"
        code = report.pipeline.code if report.pipeline else "all"
        return exports.export(fmt, pipeline_table(report), f"pipeline_{code}_{day}", _("Pipeline"))
    table = list(pipeline_table(report))
    context = {
        "form": form,
        "report": report,
        "header": table[0],
        "body": table[1:-1],
        "footer": table[-1],
        "exports": exports.export_links(request),
    }
    return _render(request, "insights/pipeline.html", context)
