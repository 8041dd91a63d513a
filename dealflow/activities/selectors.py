"""Reads for activities, the agenda and notifications, always scoped to what the user may see:
the activity's owner, and every record it is linked to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

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
    qs = activity_scope(user)
    sort = sort if sort in ACTIVITY_SORTS else "due"
    by_due = sort in ("due", "-due", "owner", "-owner")
    from dealflow.search import substring

    qs = substring.matching(qs, substring.words(q), ("subject", "text"), company="company")
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
    return qs.select_related("owner", "company", "sale", "person").order_by(*ACTIVITY_SORTS[sort])


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
