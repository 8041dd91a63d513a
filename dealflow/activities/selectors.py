"""Reads for activities, the agenda and notifications, always scoped to what the user may see:
the activity's owner, and every record it is linked to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Model, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dealflow.accounts.models import User
from dealflow.accounts.visibility import visible_owner_ids

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


def visible_links(qs: QuerySet[Activity], ids: set[int]) -> QuerySet[Activity]:
    """Each linked sale, company, person and project, if any, has an owner in `ids`: per link
    "no link, or (SELECT owner IN ids FROM the linked record)". Both planners then check that
    only for the rows they walk, so a list walks its sort index and stops after a page (with
    LEFT JOINs they read and sorted every match first). Written as a boolean subquery because
    PostgreSQL estimates one at half the rows; for "(SELECT owner) IN ids" or NOT EXISTS it
    guessed a handful of rows and sorted them all instead of walking."""
    for link, model in _link_models().items():
        owner_visible = model._default_manager.filter(pk=OuterRef(f"{link}_id")).order_by()
        owner_visible = owner_visible.annotate(ok=ExpressionWrapper(Q(owner_id__in=ids), BooleanField()))
        qs = qs.filter(Q(**{f"{link}__isnull": True}) | Q(Subquery(owner_visible.values("ok"), BooleanField())))
    return qs


def activity_scope(user: User) -> QuerySet[Activity]:
    ids = visible_owner_ids(user)
    qs = Activity.objects.all()
    if ids is None:
        return qs
    return visible_links(qs.filter(owner_id__in=ids), ids)


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
    for term in [t for t in q.split() if t][:5]:
        qs = qs.filter(Q(subject__icontains=term) | Q(text__icontains=term) | Q(company__name__icontains=term))
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


@dataclass
class AgendaDay:
    day: dt.date
    activities: list[Activity] = field(default_factory=list)
    sales: list[Any] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


@dataclass
class Agenda:
    owner: User
    view: str
    start: dt.date
    end: dt.date  # exclusive
    overdue: list[Activity]
    overdue_sales: list[Any]
    days: list[AgendaDay]

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
    what is overdue (open activities past due, open sales past their date) on top."""
    from dealflow.sales.models import Sale, SaleStatus

    owner = agenda_owner(user, for_user)
    day = day or timezone.localdate()
    if view == "week":
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=7)
    else:
        view, start, end = "day", day, day + dt.timedelta(days=1)
    now = timezone.now()
    today = timezone.localdate()
    mine = activity_scope(user).filter(owner=owner).select_related("company", "sale", "person")
    overdue = list(mine.filter(done=False, starts_at__lt=now).order_by("starts_at", "id")[:100])
    overdue_ids = {a.pk for a in overdue}
    in_range = [
        a
        for a in mine.filter(starts_at__gte=_day_start(start), starts_at__lt=_day_start(end)).order_by(
            "starts_at", "id"
        )
        if a.pk not in overdue_ids
    ]
    open_sales = Sale.objects.filter(owner=owner, status=SaleStatus.OPEN).select_related("company")
    overdue_sales = list(open_sales.filter(sale_date__lt=today).order_by("sale_date", "id")[:50])
    sales = list(open_sales.filter(sale_date__gte=max(start, today), sale_date__lt=end).order_by("sale_date", "id"))
    days = [AgendaDay(day=start + dt.timedelta(days=i)) for i in range((end - start).days)]
    by_day = {d.day: d for d in days}
    for activity in in_range:
        assert activity.starts_at is not None
        by_day[timezone.localdate(activity.starts_at)].activities.append(activity)
    for sale in sales:
        if sale.sale_date is not None:
            by_day[sale.sale_date].sales.append(sale)
    return Agenda(owner=owner, view=view, start=start, end=end, overdue=overdue, overdue_sales=overdue_sales, days=days)


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
