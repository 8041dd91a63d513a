"""/api/v1/reports/…: the reports as JSON, with the same filters (and the same form checking
them) as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal, cast

from django.http import Http404
from ninja import Field, Query, Router, Schema

from dealflow.accounts.models import User
from dealflow.api.common import ErrorOut, FormInvalid, form_errors
from dealflow.core.funnel import funnel_enabled
from dealflow.core.types import AuthedRequest

from . import selectors
from .forms import WinLossForm

router = Router(tags=["reports"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class WinLossParams(Schema):
    date_from: dt.date | None = Field(
        None, description="First closed date counted; default: the first day of the month eleven months ago."
    )
    date_to: dt.date | None = Field(None, description="Last closed date counted; default: today.")
    group_by: Literal["close_reason", "competitor", "owner", "account_type", "pipeline"] = "close_reason"
    period: Literal["month", "quarter", "year"] | None = Field(
        None, description="Split each group per period; none: the whole range."
    )
    pipeline: int | None = Field(None, description="Only sales of this sale type (pipeline).")
    owner: int | None = Field(None, description="Only sales of this owner (one whose sales you may see).")


class WinLossRowOut(Schema):
    key: int | None = Field(
        None,
        description="The id of the close reason, competitor, owner, account type or pipeline; null for “(none)” and the totals.",
    )
    label: str
    period: dt.date | None = Field(None, description="First day of the period; null without a period.")
    period_label: str
    won: int
    lost: int
    won_value: Decimal
    lost_value: Decimal
    win_rate: float | None = Field(None, description="Won / (won + lost) by count, in percent, one decimal.")
    value_win_rate: float | None = Field(None, description="Won / (won + lost) by value, in percent, one decimal.")


class WinLossOut(Schema):
    date_from: dt.date
    date_to: dt.date
    group_by: str
    period: str | None
    rows: list[WinLossRowOut]
    totals: WinLossRowOut


def _row(row: selectors.WinLossRow) -> dict[str, Any]:
    data = row.as_dict()
    for name in ("win_rate", "value_win_rate"):
        data[name] = None if data[name] is None else float(data[name])
    return data


@router.get("/reports/win-loss", response={200: WinLossOut, **ERRORS})
def win_loss(request: AuthedRequest, filters: Query[WinLossParams]) -> Any:
    """Won and lost sales closed in a date range, per group and period, with win rates by count
    and by value, and a totals row. Counts only the sales the caller may see."""
    if not funnel_enabled():
        raise Http404
    user = cast(User, request.user)  # the router's auth has let only a known user through
    form = WinLossForm.with_defaults(filters.model_dump(), user=user)
    if not form.is_valid():
        raise FormInvalid(form_errors(form))
    report = selectors.win_loss(user, **form.report_kwargs())
    return {
        "date_from": report.date_from,
        "date_to": report.date_to,
        "group_by": report.group_by,
        "period": report.period or None,
        "rows": [_row(r) for r in report.rows],
        "totals": _row(report.totals),
    }
