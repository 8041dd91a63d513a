"""Reads for activities, the agenda and notifications, always scoped to what the user may see:
the activity's owner, and every record it is linked to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dealflow.accounts.models import User
from dealflow.accounts.visibility import sees_every_owner, visible_owner_ids

from .models import Activity, CalendarFeed, Notification

ACTIVITY_SORTS = {
    "due": ("starts_at", "id"),
    "-due": ("-starts_at", "-id"),
    "subject": ("subject", "id"),
    "-subject": ("-subject", "-id"),
    "type": ("kind", "starts_at", "id"),
    "-type": ("-kind", "-starts_at", "-id"),
    "owner": ("owner__username", "starts_at", "id"),
    "-owner": ("-owner__username", "-starts_at", "-id"),
}
ACTIVITY_STATUSES = ("open", "done", "overdue")


def _link_models() -> dict[str, type[Model]]:
    from dealflow.relations.models import Company, Person, Project
    from dealflow.sales.models import Sale

    return {"sale": Sale, "company": Company, "person": Person, "project": Project}


def visible_links(ids: set[int]) -> Q:
    """Each linked sale, company, person and project, if any, has an owner in `ids`: per link
    "no link, or (SELECT owner IN ids FROM the linked record)". Both planners then check that
    only for the rows they walk, so a list walks its sort index and stops after a page (with
    LEFT JOINs they read and sorted every match first). Written as a boolean subquery because
    PostgreSQL estimates one at half the rows; for "(SELECT owner) IN ids" or NOT EXISTS it
    guessed a handful of rows and sorted them all instead of walking."""
    rule = Q()
    for link, model in _link_models().items():
        owner_visible = model._default_manager.filter(pk=OuterRef(f"{link}_id")).order_by()
        owner_visible = owner_visible.annotate(ok=ExpressionWrapper(Q(owner_id__in=ids), BooleanField()))
        rule &= Q(**{f"{link}__isnull": True}) | Q(Subquery(owner_visible.values("ok"), BooleanField()))
    return rule


def activity_scope(user: User) -> QuerySet[Activity]:
    """The activities of the owners `user` sees whose linked records they see too. Where every
    link has the activity's owner (links_share_owner, kept by triggers: denorm.py) that follows
    from the owner, so the links' owners are read only for the other rows; and not at all when
    the people `user` sees are everyone (no linked record can then be hidden)."""
    ids = visible_owner_ids(user)
    qs = Activity.objects.all()
    if ids is None:
        return qs
    qs = qs.filter(owner_id__in=ids)
    if sees_every_owner(user):
        return qs
    return qs.filter(Q(links_share_owner=True) | visible_links(ids))


def done_is(qs: QuerySet[Activity], done: bool, *, by_due: bool) -> QuerySet[Activity]:
    """done = True / False. Sorted by due (or owner, then due), written as an IN list, which
    SQLite looks up in activity_list_by_due or the owner's index (it cannot for Django's
    `NOT "done"`). Sorted otherwise, left as `"done"` / `NOT "done"`, which SQLite checks inside
    the sort index: as a lookup it made SQLite's planner sort every match of an index on the
    owner and status instead."""
    return qs.filter(done__in=[done]) if by_due else qs.filter(done=done)


# What the search box (`?q=`) matches: every word in the subject, the text or the company's name.
SEARCHED = ("subject", "text")


def activity_list(
    *,
    user: User,
    q: str = "",
    status: str = "",
    sort: str = "due",
    owner: int | None = None,
    sale: int | None = None,
    company: int | None = None,
    person: int | None = None,
    project: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str = "",
) -> QuerySet[Activity]:
    sort = sort if sort in ACTIVITY_SORTS else "due"
    from dealflow.search import substring

    qs = substring.matching(activity_scope(user), substring.words(q), SEARCHED, company="company")
    qs = _narrowed(qs, status, sort, owner, sale, company, person, project, date_from, date_to, kind)
    return qs.select_related("owner", "company", "sale", "person").order_by(*ACTIVITY_SORTS[sort])


# How many rows activity_count_floor reads at most for a word too short for the search index: a
# word in a tenth of the rows or more is then settled past the count cap, and a rare one costs at
# most this many index entries.
FLOOR_READS = 100_000


def activity_count_floor(
    *,
    user: User,
    cap: int,
    q: str = "",
    status: str = "",
    sort: str = "due",
    owner: int | None = None,
    sale: int | None = None,
    company: int | None = None,
    person: int | None = None,
    project: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str = "",
) -> int | None:
    """For a search: a floor under the number of rows of activity_list() with the same arguments
    (None without a search), counted up to cap + 1, so that a floor above `cap` says that the list
    has more than `cap` rows without counting them.

    It counts rows of the list: those whose subject holds every word (as the list matches them)
    among those the list's other filters keep and whose links all share their owner
    (links_share_owner). activity_search_floor carries the subject, so this reads index entries
    only; the list's own capped count reads each row (for its text) until it has found cap + 1 of
    them, ~60k rows for a word in a sixth of the subjects. The words go through the search index
    (substring.matching), so a rare word is counted from its few matches and a word no subject
    has costs nothing; a word too short for it is checked in at most FLOOR_READS rows."""
    from dealflow.search import substring

    words = substring.words(q)
    if not words:
        return None
    sort = sort if sort in ACTIVITY_SORTS else "due"
    ids = visible_owner_ids(user)
    qs = Activity.objects.all()
    if ids is None or sees_every_owner(user):
        # Nobody's records are hidden from `user`, so no link is checked: PostgreSQL counts the
        # list by reading the table in order, subject and text together, and a floor would only
        # read the same rows once more (SQLite walks an index and reads each row: it gains).
        if connections[qs.db].vendor == "postgresql":
            return None
    else:
        qs = qs.filter(links_share_owner=True)
    if ids is not None:
        qs = qs.filter(owner_id__in=ids)
    qs = _narrowed(qs, status, sort, owner, sale, company, person, project, date_from, date_to, kind).order_by()
    if all(len(word) >= substring.MIN_LENGTH for word in words):
        return substring.matching(qs, words, ("subject",))[: cap + 1].count()
    in_subject = Q()
    for word in words:
        in_subject &= Q(subject__icontains=word)
    read = qs.annotate(hit=ExpressionWrapper(in_subject, BooleanField())).values("hit")[:FLOOR_READS]
    sql, params = read.query.get_compiler(using=qs.db).as_sql()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            f'SELECT COUNT(*) FROM (SELECT 1 FROM ({sql}) floor_rows WHERE floor_rows."hit" LIMIT {int(cap) + 1}) hits',  # noqa: S608 - Django's SQL and an int
            params,
        )
        return int(cursor.fetchone()[0])


def _narrowed(
    qs: QuerySet[Activity],
    status: str,
    sort: str,
    owner: int | None,
    sale: int | None,
    company: int | None,
    person: int | None,
    project: int | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    kind: str,
) -> QuerySet[Activity]:
    """The list's filters other than the search."""
    by_due = sort in ("due", "-due", "owner", "-owner")
    if status == "open":
        qs = done_is(qs, False, by_due=by_due)
    elif status == "done":
        qs = done_is(qs, True, by_due=by_due)
    elif status == "overdue":
        qs = done_is(qs, False, by_due=by_due).filter(starts_at__lt=timezone.now())
    for name, value in (
        ("owner", owner),
        ("sale", sale),
        ("company", company),
        ("person", person),
        ("project", project),
    ):
        if value:
            qs = qs.filter(**{f"{name}_id": value})
    if kind:
        qs = qs.filter(kind=kind)
    if date_from:
        qs = qs.filter(starts_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(starts_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return qs


def owner_sort_owners(user: User, owner: int | None, *, descending: bool) -> list[int]:
    """The owners whose activities the list may show (one when it is narrowed to an owner), in
    the order of its owner sort: by user name (unique, so no two owners tie)."""
    ids = visible_owner_ids(user)
    users = User.objects.all() if ids is None else User.objects.filter(pk__in=ids)
    if owner:
        users = users.filter(pk=owner)
    return list(users.order_by("-username" if descending else "username").values_list("pk", flat=True))


def owner_sorted_ids(
    qs: QuerySet[Activity], owners: list[int], status: str, *, descending: bool, bottom: int, top: int
) -> list[int]:
    """The ids of rows bottom..top-1 of `qs` sorted by owner (`owners`, in their order), then due
    time and id (ACTIVITY_SORTS["owner"] or "-owner"): the same rows in the same order as slicing
    it. Neither planner has an index in owner name order (the names are in another table), so
    sorted as one query they read and sorted every visible row of every owner; and no index gives
    an owner's rows in due order across both done values, which the list with every status needs.

    So the rows are read owner by owner (_owner_runs): the first owner's first `top` rows; when
    they are fewer, each other owner's rows are counted (up to the rows still wanted, one query)
    and the rows of the owners the page falls on are read (one more query). At most three queries,
    each reading at most the rows up to the page's end of the owners it reads."""
    if top <= bottom or not owners:
        return []
    done_values = {"open": (False,), "overdue": (False,), "done": (True,)}.get(status, (False, True))
    ids = _owner_runs(qs, [(owners[0], top)], done_values, descending)
    if len(ids) >= top or len(owners) == 1:
        return ids[bottom:top]
    start = len(ids)  # the place of the next owner's first row in the whole list
    counts = _owner_counts(qs, owners[1:], top - start)
    first = None  # the place of the first row read below
    wanted: list[tuple[int, int]] = []
    for owner, n in zip(owners[1:], counts, strict=True):
        if start >= top:
            break
        if n and start + n > bottom:
            first = start if first is None else first
            wanted.append((owner, min(n, top - start)))
        start += n
    if not wanted:
        return ids[bottom:top]
    assert first is not None
    ids = [*ids, *([0] * (first - len(ids)))]  # rows of owners before the page are not read
    return [*ids, *_owner_runs(qs, wanted, done_values, descending)][bottom:top]


def _owner_counts(qs: QuerySet[Activity], owners: list[int], cap: int) -> list[int]:
    """Each owner's rows in `qs`, counted up to `cap`, in one query: an index range each."""
    parts: list[str] = []
    params: list[Any] = []
    for owner in owners:
        run = qs.filter(owner_id=owner).order_by().values("pk")[:cap]
        try:
            sql, run_params = run.query.get_compiler(using=qs.db).as_sql()
        except EmptyResultSet:
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c{len(parts)})")  # noqa: S608 - Django's SQL
        params.extend(run_params)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return [int(n) for n in cursor.fetchone()]


def _owner_runs(
    qs: QuerySet[Activity], wanted: list[tuple[int, int]], done_values: tuple[bool, ...], descending: bool
) -> list[int]:
    """For each (owner, n) in order, the owner's first n ids in the owner sort's order: per done
    value its first n rows in due order (a walk of activity_by_owner_due that stops there), merged
    by owner, due time and id in one query."""
    order = ("-starts_at", "-id") if descending else ("starts_at", "id")
    parts: list[str] = []
    params: list[Any] = []
    for rank, (owner, limit) in enumerate(wanted):
        for done in done_values:
            run = qs.filter(owner_id=owner, done__in=[done]).order_by(*order).values_list("pk", "starts_at")[:limit]
            try:
                sql, run_params = run.query.get_compiler(using=qs.db).as_sql()
            except EmptyResultSet:
                continue
            alias = f"r{len(parts)}"
            parts.append(f'SELECT {alias}."pk", {alias}."starts_at", {int(rank)} AS "rank" FROM ({sql}) {alias}')  # noqa: S608 - Django's SQL, ints
            params.extend(run_params)
    if not parts:
        return []
    direction = "DESC" if descending else "ASC"
    sql = (
        f'SELECT "pk" FROM ({" UNION ALL ".join(parts)}) runs '  # noqa: S608 - the parts above, ints
        f'ORDER BY "rank", "starts_at" {direction}, "pk" {direction} LIMIT {sum(n for _o, n in wanted)}'
    )
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [int(pk) for (pk,) in cursor.fetchall()]


def activity_get_for_user(user: User, pk: int) -> Activity:
    qs = activity_scope(user).select_related("owner", "company", "sale", "person", "project")
    return get_object_or_404(qs, pk=pk)


def activities_for(user: User, limit: int = 50, **link: int) -> list[Activity]:
    """The activities on a card (a sale's or a company's): open ones first, by due time."""
    qs = activity_scope(user).filter(**{f"{k}_id": v for k, v in link.items()})
    return list(qs.order_by("done", "starts_at", "id")[:limit])


# --- the agenda ----------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# The week view shows at most this many activities and sale dates per day, the day view at most
# DAY_CAP activities; each day says how many more there are and links to where they all are.
WEEK_CAP = 50
WEEK_SALES_CAP = 10
DAY_CAP = 200
OVERDUE_CAP = 100
OVERDUE_SALES_CAP = 50
# What an agenda item shows (item_html): the activity's own columns and the name of the sale or
# company it belongs to (as `sale_title` and `company_name`), not three whole records per item.
ITEM_FIELDS = ("id", "kind", "subject", "starts_at", "done", "sale_id", "company_id")
SALE_FIELDS = ("id", "title", "amount", "currency", "sale_date", "company__id", "company__name")


@dataclass
class AgendaDay:
    day: dt.date
    activities: list[Activity] = field(default_factory=list)
    sales: list[Any] = field(default_factory=list)
    total: int = 0  # the day's activities, shown or not (those on top as overdue aside)
    sales_total: int = 0

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()

    @property
    def more_activities(self) -> int:
        return self.total - len(self.activities)

    @property
    def more(self) -> int:
        """How many of the day's activities and sale dates are not shown."""
        return self.more_activities + self.sales_total - len(self.sales)


@dataclass
class Agenda:
    owner: User
    view: str
    start: dt.date
    end: dt.date  # exclusive
    overdue: list[Activity]
    overdue_sales: list[Any]
    days: list[AgendaDay]
    overdue_more: bool = False  # more open activities are past due than the block shows

    @property
    def previous(self) -> dt.date:
        return self.start - (self.end - self.start)

    @property
    def next(self) -> dt.date:
        return self.end


def agenda_owner(user: User, for_user: int | None) -> User:
    """Whose agenda: one's own, or (for a manager) a team member's; anyone else's is a 404."""
    if not for_user or for_user == user.pk:
        return user
    ids = visible_owner_ids(user)
    if not (user.is_admin or user.is_manager) or (ids is not None and for_user not in ids):
        raise Http404("Not your team.")
    return get_object_or_404(User.objects.filter(is_active=True), pk=for_user)


def agenda_team(user: User) -> QuerySet[User]:
    """The people whose agenda `user` may open (managers and administrators only)."""
    if not (user.is_admin or user.is_manager):
        return User.objects.filter(pk=user.pk)
    ids = visible_owner_ids(user)
    qs = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return qs if ids is None else qs.filter(pk__in=ids)


def my_agenda(*, user: User, day: dt.date | None = None, view: str = "day", for_user: int | None = None) -> Agenda:
    """The day or week of the owner's activities and the sale dates of their open sales, with
    what is overdue (open activities past due, open sales past their date) on top. Each day holds
    its first activities and sale dates (up to the view's cap) and how many it has in all."""
    from dealflow.sales.models import Sale, SaleStatus

    owner = agenda_owner(user, for_user)
    day = day or timezone.localdate()
    if view == "week":
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=7)
    else:
        view, start, end = "day", day, day + dt.timedelta(days=1)
    week = view == "week"
    today = timezone.localdate()
    mine = activity_scope(user).filter(owner=owner).order_by()
    # Written as a lookup (done_is), SQLite walks the owner's open ones by due time; as `NOT done`
    # it walked every owner's past activities by due time, ~200 ms for someone with none overdue.
    open_ones = done_is(mine, False, by_due=True)
    overdue = list(_lean(open_ones.filter(starts_at__lt=timezone.now())).order_by("starts_at", "id")[: OVERDUE_CAP + 1])
    overdue_more = len(overdue) > OVERDUE_CAP
    del overdue[OVERDUE_CAP:]
    days = [AgendaDay(day=start + dt.timedelta(days=i)) for i in range((end - start).days)]
    _fill_activities(days, mine.exclude(pk__in=[a.pk for a in overdue]), WEEK_CAP if week else DAY_CAP)
    open_sales = Sale.objects.filter(owner=owner, status=SaleStatus.OPEN).select_related("company").only(*SALE_FIELDS)
    overdue_sales = list(open_sales.filter(sale_date__lt=today).order_by("sale_date", "id")[:OVERDUE_SALES_CAP])
    _fill_sales(days, open_sales.filter(sale_date__gte=max(start, today)), WEEK_SALES_CAP if week else None)
    return Agenda(
        owner=owner,
        view=view,
        start=start,
        end=end,
        overdue=overdue,
        overdue_sales=overdue_sales,
        days=days,
        overdue_more=overdue_more,
    )


def _lean(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.only(*ITEM_FIELDS).annotate(sale_title=F("sale__title"), company_name=F("company__name"))


def _fill_activities(days: list[AgendaDay], qs: QuerySet[Activity], cap: int) -> None:
    """Each day's first `cap` activities (by due time) and its total, counted in the database: a
    window over the ids ranks and counts each day's rows, then the shown ones are read. A day is
    [local midnight, next local midnight), numbered by a CASE over those bounds (no time zone
    functions in SQL, so both databases read the same days)."""
    bounds = [_day_start(d.day) for d in days] + [_day_start(days[-1].day + dt.timedelta(days=1))]
    day_index = Case(
        *(When(starts_at__lt=bound, then=Value(i)) for i, bound in enumerate(bounds[1:])), output_field=IntegerField()
    )
    # "done is true or false" (always so) lets both databases read just the owner's days, as two
    # ranges of the (owner, done, starts_at) index, instead of every owner's days or all of theirs.
    ranked = (
        qs.filter(done__in=[False, True], starts_at__gte=bounds[0], starts_at__lt=bounds[-1])
        .annotate(day_index=day_index)
        .annotate(
            rank=Window(RowNumber(), partition_by=F("day_index"), order_by=[F("starts_at").asc(), F("id").asc()]),
            day_total=Window(Count("id"), partition_by=F("day_index")),
        )
        .filter(rank__lte=cap)
        .values_list("id", "day_index", "day_total")
    )
    day_of: dict[int, AgendaDay] = {}
    for pk, index, total in ranked:
        days[index].total = total
        day_of[pk] = days[index]
    if day_of:
        for activity in _lean(Activity.objects.filter(pk__in=list(day_of))).order_by("starts_at", "id"):
            day_of[activity.pk].activities.append(activity)


def _fill_sales(days: list[AgendaDay], qs: QuerySet[Any], cap: int | None) -> None:
    """Each day's sale dates (the first `cap` by id when capped) and how many the day has."""
    by_day = {d.day: d for d in days}
    qs = qs.filter(sale_date__gte=days[0].day, sale_date__lte=days[-1].day)
    totals: dict[int, int] = {}
    if cap is not None:
        ranked = (
            qs.order_by()
            .annotate(
                rank=Window(RowNumber(), partition_by=F("sale_date"), order_by=F("id").asc()),
                day_total=Window(Count("id"), partition_by=F("sale_date")),
            )
            .filter(rank__lte=cap)
            .values_list("id", "day_total")
        )
        totals = dict(ranked)
        qs = qs.filter(pk__in=list(totals))
    for sale in qs.order_by("sale_date", "id"):
        agenda_day = by_day[sale.sale_date]
        agenda_day.sales.append(sale)
        agenda_day.sales_total = totals.get(sale.pk, len(agenda_day.sales))


# --- notifications and the feed -------------------------------------------------------------


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("activity")


def calendar_feed_for(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_activities(token: str) -> tuple[User, list[Activity]]:
    """The owner of a feed token and their activities from 90 days back on; an unknown or
    revoked token is a 404."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    if not feed.user.is_active:
        raise Http404("Inactive user.")
    since = timezone.now() - dt.timedelta(days=90)
    qs = Activity.objects.filter(owner=feed.user, starts_at__gte=since).select_related("company")
    return feed.user, list(qs.order_by("starts_at", "id")[:5000])
