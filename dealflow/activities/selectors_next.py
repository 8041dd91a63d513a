"""The *next activity* of sales and companies: their earliest open activity. One query for a
whole page of rows, so lists, the board and cards never make a query per row."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from .models import Activity

# What a next activity shows anywhere (when, what, overdue or not).
NEXT_FIELDS = ("sale_id", "company_id", "subject", "starts_at", "done")


def _next_by(field: str, ids: Iterable[int]) -> dict[int, Activity]:
    """Per id the open, dated activity that starts first (the lowest id among equals): one
    query, numbering each record's open activities by that order and keeping the first."""
    ids = [i for i in ids if i]
    if not ids:
        return {}
    firsts = (
        Activity.objects.filter(**{f"{field}__in": ids}, done=False, starts_at__isnull=False)
        .annotate(place=Window(RowNumber(), partition_by=F(field), order_by=[F("starts_at").asc(), F("id").asc()]))
        .filter(place=1)
        .only(*NEXT_FIELDS)
        .order_by()
    )
    return {getattr(activity, f"{field}_id"): activity for activity in firsts}


def next_activity_for_sales(sale_ids: Iterable[int]) -> dict[int, Activity]:
    return _next_by("sale", sale_ids)


def next_activity_for_companies(company_ids: Iterable[int]) -> dict[int, Activity]:
    return _next_by("company", company_ids)
