"""The forecast page: validate the filters, call the selectors, render table, chart and accuracy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealflow.core.funnel import funnel_required
from dealflow.core.types import AuthedRequest
from dealflow.sales.selectors import sale_get_for_user

from . import exports, forecast, forecast_html
from .charts_forecast import forecast_chart
from .forms_targets import ForecastForm
from .models import ForecastCategory
from .targets_services import can_edit_targets, sale_forecast_category_set


def accuracy_range(date_from: dt.date, date_to: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    """The finished months of the chosen range, or else the twelve months before this one."""
    this_month = today.replace(day=1)
    if date_from < this_month:
        return date_from, min(date_to, this_month - dt.timedelta(days=1))
    return forecast.add_months(this_month, -12), this_month - dt.timedelta(days=1)


def forecast_table(report: forecast.ForecastReport) -> Iterator[list[Any]]:
    """The export: per group (when grouped) and period, then the totals per period and overall —
    the same cells as the tables on the page."""
    yield [_("Group"), _("Period"), _("Unweighted"), _("Weighted"), _("Commit"), _("Best case"), _("Pipeline"),
           _("Target"), _("Sold"), _("Still to find")]  # fmt: skip

    def line(group: str, period: str, c: forecast.ForecastCell) -> list[Any]:
        return [group, period, c.unweighted, c.weighted, c.commit, c.best_case, c.pipeline, c.target, c.sold, c.gap]

    for group in report.groups:
        for start, label in report.period_labels:
            if start in group.cells:
                yield line(group.label, label, group.cells[start])
        yield line(group.label, _("Total"), group.total)
    for start, label in report.period_labels:
        yield line(_("Total"), label, report.totals.cells[start])
    yield line(_("Total"), _("Total"), report.totals.total)


@login_required
@funnel_required
def forecast_page(request: AuthedRequest) -> HttpResponseBase:
    form = ForecastForm.with_defaults(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form, "report": None}
    fmt = exports.wanted_format(request)
    if fmt and not form.is_valid():
        return render(request, "insights/forecast.html", context, status=400)
    if form.is_valid():
        kwargs = form.report_kwargs()
        report = forecast.forecast(request.user, **kwargs)
        if fmt:
            name = f"forecast_{report.date_from.isoformat()}_{report.date_to.isoformat()}"
            return exports.export(fmt, forecast_table(report), name, _("Forecast"))
        start, end = accuracy_range(kwargs["date_from"], kwargs["date_to"], timezone.localdate())
        accuracy = forecast.forecast_accuracy(request.user, date_from=start, date_to=end, pipeline=kwargs["pipeline"])
        largest = forecast.largest_open_sales(
            request.user, date_from=kwargs["date_from"], date_to=kwargs["date_to"], pipeline=kwargs["pipeline"]
        )
        sales = [(sale, forecast.effective_category(sale)) for sale in largest]
        can_override = can_edit_targets(request.user)
        context.update(
            report=report,
            period_rows=forecast_html.period_rows(
                (p, label, report.totals.cells[p]) for p, label in report.period_labels
            ),
            total_row=forecast_html.total_row(report.totals.total),
            group_rows=[(g, [g.cells.get(p) for p in report.periods]) for g in report.groups],
            chart=forecast_chart(
                report,
                title=_("Forecast %(start)s – %(end)s: sold and weighted pipeline against the target")
                % {
                    "start": date_format(report.date_from, "SHORT_DATE_FORMAT"),
                    "end": date_format(report.date_to, "SHORT_DATE_FORMAT"),
                },
            ),
            accuracy_rows=forecast_html.accuracy_rows(accuracy),
            sales=sales,
            sale_rows=forecast_html.sale_rows(
                sales,
                categories=ForecastCategory.choices,
                can_override=can_override,
                csrf_token=get_token(request) if can_override else "",
                back=request.get_full_path(),
            ),
            exports=exports.export_links(request),
        )
    template = "insights/forecast.html"
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "report":
        template += "#report"
    return render(request, template, context)


@login_required
@funnel_required
@require_POST
def forecast_category(request: AuthedRequest, sale_id: int) -> HttpResponseBase:
    """A manager sets (or, with an empty choice, resets) an open sale's forecast category."""
    if not can_edit_targets(request.user):
        raise PermissionDenied
    sale = sale_get_for_user(request.user, sale_id)
    try:
        sale_forecast_category_set(actor=request.user, sale=sale, category=request.POST.get("category") or None)
        messages.success(request, _("Forecast category of “%(sale)s” saved.") % {"sale": sale.title})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "insights:forecast")
