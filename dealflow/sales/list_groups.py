"""The sales list grouped (?group=status, phase, owner, account_type, month), a group at a time.

Ordered by the group and then by the list's sort in one query, no index gave the order: the
database sorted every visible sale for each page (~200 ms for a team's 250k sales grouped by
status, ~500 ms for everyone's on SQLite). The group totals the page shows anyway (count per
group, in selectors.sale_group_totals) say where each group starts; a page takes its rows from
the group it starts in and the one it ends in, each read like the list filtered to that group —
by walking the sort index with the owner and the status checked inside it, stopping after the
page —, and from the groups in between (fewer rows than a page) in one query. The rows and their
order are the same as sorting by the group first; the count is the totals' sum (no count query)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

from django.db import connections
from django.db.models import F, QuerySet

from dealflow.core.dates_sql import MonthStart

from .models import Sale
from .selectors import only_statuses, sale_list_rows


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months(qs: QuerySet[Sale], values: list[Any]) -> QuerySet[Sale]:
    if values == [None]:
        return qs.filter(sale_date__isnull=True)
    return qs.filter(sale_date__gte=min(values), sale_date__lt=_next_month(max(values)))


@dataclass(frozen=True)
class GroupRows:
    """How the rows of some groups are found: the same rows, and the same group key, as
    `group_key` of saved.lists.SALE (the account type as copied onto the sale: no join).
    `rows(qs, values, sort)` narrows to the groups `values` (only None, or no None)."""

    key: Callable[[], Any]
    rows: Callable[[QuerySet[Sale], list[Any], str], QuerySet[Sale]]


def _by(field: str) -> Callable[[QuerySet[Sale], list[Any], str], QuerySet[Sale]]:
    def rows(qs: QuerySet[Sale], values: list[Any], sort: str) -> QuerySet[Sale]:
        return qs.filter(**({f"{field}__isnull": True} if values == [None] else {f"{field}__in": values}))

    return rows


GROUP_ROWS: dict[str, GroupRows] = {
    # the status filter the list itself uses (walked in its sort index on SQLite too)
    "status": GroupRows(lambda: F("status"), lambda qs, values, sort: only_statuses(qs, values, sort)),
    "phase": GroupRows(lambda: F("phase_id"), _by("phase_id")),
    "owner": GroupRows(lambda: F("owner_id"), _by("owner_id")),
    "account_type": GroupRows(lambda: F("account_type_id"), _by("account_type_id")),
    "month": GroupRows(lambda: MonthStart("sale_date"), lambda qs, values, sort: _months(qs, values)),
}


def in_database_order(keys: Any, vendor: str) -> list[Any]:
    """The group keys as ORDER BY sorts them, ascending: SQLite puts NULL first, PostgreSQL last."""
    values = sorted(k for k in keys if k is not None)
    if None not in keys:
        return values
    return [None, *values] if vendor == "sqlite" else [*values, None]


class GroupedRows:
    """The rows of the list `qs` (ordered by its sort) grouped by `group`, for the paginator:
    its length is the sum of the groups' counts, and a slice reads the ids of the group it
    starts in and of the one it ends in, each like the list filtered to that group, and of the
    groups in between (which the slice holds whole, so fewer rows than a page) in one query;
    then those rows (one query). Each row carries its `group_key`, as saved.lists.apply_group
    would have annotated it."""

    def __init__(self, qs: QuerySet[Sale], *, group: str, totals: dict[Any, dict[str, Any]], sort: str) -> None:
        self.qs = qs
        self.spec = GROUP_ROWS[group]
        self.sort = sort
        self.groups = [(key, totals[key]["count"]) for key in in_database_order(totals, connections[qs.db].vendor)]

    def __len__(self) -> int:
        return sum(count for _key, count in self.groups)

    def _ids(self, values: list[Any], lo: int, hi: int) -> list[tuple[int, Any]]:
        rows = self.spec.rows(self.qs, values, self.sort)
        if len(values) == 1:
            return [(pk, values[0]) for pk in rows.values_list("pk", flat=True)[lo:hi]]
        ordered = rows.annotate(group_key=self.spec.key()).order_by("group_key", *self.qs.query.order_by)
        return list(ordered.values_list("pk", "group_key")[lo:hi])

    @overload
    def __getitem__(self, item: int) -> Sale: ...
    @overload
    def __getitem__(self, item: slice) -> list[Sale]: ...
    def __getitem__(self, item: int | slice) -> Sale | list[Sale]:
        if isinstance(item, int):
            return self[item : item + 1][0]
        bottom, top = item.start or 0, len(self) if item.stop is None else item.stop
        spans: list[tuple[Any, int, int]] = []  # (group, first, end) of the groups the slice reaches
        start = 0
        for key, count in self.groups:
            end = start + count
            if start < top and end > bottom:
                spans.append((key, max(bottom, start) - start, min(top, end) - start))
            start = end
        wanted: list[tuple[int, Any]] = []
        if spans:
            first, middle, last = spans[0], spans[1:-1], spans[-1]
            wanted += self._ids([first[0]], first[1], first[2])
            if middle:  # whole groups, never the NULL one (it comes first or last of all)
                wanted += self._ids([key for key, _lo, _hi in middle], 0, sum(hi for _key, _lo, hi in middle))
            if len(spans) > 1:
                wanted += self._ids([last[0]], last[1], last[2])
        if not wanted:
            return []
        found = {row.pk: row for row in sale_list_rows(self.qs).order_by().filter(pk__in=[pk for pk, _k in wanted])}
        rows = []
        for pk, key in wanted:
            if pk in found:
                found[pk].group_key = key  # type: ignore[attr-defined]
                rows.append(found[pk])
        return rows


def grouped_rows(
    qs: QuerySet[Sale], *, group: str, totals: dict[Any, dict[str, Any]], sort: str
) -> QuerySet[Sale] | GroupedRows:
    """What the list's paginator pages: the rows of `qs`, a group at a time when grouped."""
    if not group:
        return sale_list_rows(qs)
    return GroupedRows(qs, group=group, totals=totals, sort=sort)
