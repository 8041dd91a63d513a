"""The activity list's pages: the lists' capped paginator, with two shortcuts that keep the rows,
their order and the count exactly as they are (selectors.activity_count_floor and
selectors.owner_sorted_ids say how)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet
from django.utils.functional import cached_property

from dealflow.accounts.models import User
from dealflow.saved import lists

from . import selectors


class ActivityPaginator(lists.CappedPaginator):
    """For `user` and the list's `filters` (views.list_filters): a search is counted from the
    floor first, which settles "more than COUNT_CAP" for a common word; a list sorted by owner
    (and not grouped) reads its page owner by owner."""

    user: User
    filters: dict[str, Any]

    @cached_property
    def _counted(self) -> int:
        qs: Any = self.object_list
        if isinstance(qs, QuerySet) and not qs.query.is_empty():  # a word nothing has: no rows
            floor = selectors.activity_count_floor(user=self.user, cap=lists.COUNT_CAP, **self.filters)
            if floor is not None and floor > lists.COUNT_CAP:
                return floor
        return super()._counted

    def page(self, number: Any) -> Page:
        qs: Any = self.object_list
        sort = self.filters.get("sort", "")
        if (
            sort not in ("owner", "-owner")
            or not isinstance(qs, QuerySet)
            or qs.query.is_sliced
            or tuple(qs.query.order_by) != selectors.ACTIVITY_SORTS[sort]
        ):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        descending = sort == "-owner"
        owners = selectors.owner_sort_owners(self.user, self.filters.get("owner"), descending=descending)
        ids = selectors.owner_sorted_ids(
            qs, owners, self.filters.get("status", ""), descending=descending, bottom=bottom, top=top
        )
        found = {row.pk: row for row in qs.order_by().filter(pk__in=ids)} if ids else {}
        return Page([found[pk] for pk in ids if pk in found], number, self)


def activity_paginator(user: User, filters: dict[str, Any]) -> type[ActivityPaginator]:
    """The paginator class for one request's list (list_context makes the paginator itself)."""
    return type("ActivityPaginator", (ActivityPaginator,), {"user": user, "filters": filters})
