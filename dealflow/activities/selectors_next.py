"""The *next activity* of sales and companies: their earliest open activity. One query for a
whole page of rows, so lists, the board and cards never make a query per row."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Min

from .models import Activity


def _next_by(field: str, ids: Iterable[int]) -> dict[int, Activity]:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    firsts = (
        Activity.objects.filter(**{f"{field}__in": ids}, done=False, starts_at__isnull=False)
        .values(field)
        .annotate(first=Min("starts_at"))
    )
    wanted = {(row[field], row["first"]) for row in firsts}
    if not wanted:
        return {}
    result: dict[int, Activity] = {}
    candidates = Activity.objects.filter(
        **{f"{field}__in": [k for k, _ in wanted]},
        done=False,
        starts_at__in={v for _, v in wanted},
    ).order_by("starts_at", "id")
    for activity in candidates:
        key = getattr(activity, f"{field}_id")
        if (key, activity.starts_at) in wanted and key not in result:
            result[key] = activity
    return result


def next_activity_for_sales(sale_ids: Iterable[int]) -> dict[int, Activity]:
    return _next_by("sale", sale_ids)


def next_activity_for_companies(company_ids: Iterable[int]) -> dict[int, Activity]:
    return _next_by("company", company_ids)
