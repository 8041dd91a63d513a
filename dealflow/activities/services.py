"""Writes for activities, reminders and the calendar feed. One function per user action, each in
a transaction and written to the change log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealflow.accounts.models import User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.audit.services import audit_record
from dealflow.core.services import create_instance, update_instance

from .models import Activity, CalendarFeed, Notification

EDITABLE_FIELDS = {
    "kind",
    "subject",
    "text",
    "starts_at",
    "ends_at",
    "duration",
    "owner",
    "company",
    "person",
    "sale",
    "project",
    "remind_minutes_before",
}
LINKS = ("company", "person", "sale", "project")
NOT_VISIBLE = "Select a valid choice. That choice is not one of the available choices."


def _check_links(actor: User, data: dict[str, Any]) -> None:
    """The owner and every linked record must be ones the actor may see."""
    ids = visible_owner_ids(actor)
    if ids is None:
        return
    errors: dict[str, str] = {}
    owner = data.get("owner")
    if owner is not None and owner.pk not in ids:
        errors["owner"] = _("You cannot give records to this user.")
    for name in LINKS:
        obj = data.get(name)
        if obj is not None and obj.owner_id not in ids:
            errors[name] = _(NOT_VISIBLE)
    if errors:
        raise ValidationError(errors)


def _check_company(links: dict[str, Any]) -> None:
    """A linked sale, person or project must belong to the activity's company; with no company
    given, to the company of the first of them that has one (the one `_fill` would choose).
    A record without a company fits any."""
    company = links.get("company")
    company_id = company.pk if company is not None else None
    if company_id is None:
        company_id = next(
            (
                obj.company_id
                for n in ("sale", "project", "person")
                if (obj := links.get(n)) is not None and obj.company_id
            ),
            None,
        )
    if company_id is None:
        return
    messages = {
        "sale": _("This sale does not belong to the chosen company."),
        "person": _("This person does not belong to the chosen company."),
        "project": _("This project does not belong to the chosen company."),
    }
    errors = {
        name: message
        for name, message in messages.items()
        if (obj := links.get(name)) is not None and obj.company_id and obj.company_id != company_id
    }
    if errors:
        raise ValidationError(errors)


def _fill(data: dict[str, Any]) -> dict[str, Any]:
    """Company from the sale, person or project when not given; the end from the duration."""
    for source in ("sale", "project", "person"):
        if data.get("company") is None and data.get(source) is not None and data[source].company_id:
            data["company"] = data[source].company
    if data.get("ends_at") is None and data.get("starts_at") and data.get("duration"):
        data["ends_at"] = data["starts_at"] + dt.timedelta(minutes=data["duration"])
    return data


def _check_times(starts_at: dt.datetime | None, ends_at: dt.datetime | None) -> None:
    if ends_at is not None and starts_at is None:
        raise ValidationError({"starts_at": _("Give a start time when you give an end time.")})
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        raise ValidationError({"ends_at": _("The end cannot be before the start.")})


@transaction.atomic
def activity_create(*, actor: User, data: dict[str, Any]) -> Activity:
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS | {"guide_step"}}
    if data.get("owner") is None:
        data["owner"] = actor
    if not str(data.get("subject") or "").strip():
        raise ValidationError({"subject": _("Give the activity a subject.")})
    data = _fill(data)
    _check_links(actor, data)
    _check_company(data)
    _check_times(data.get("starts_at"), data.get("ends_at"))
    return create_instance(actor=actor, model=Activity, data=data)


@transaction.atomic
def activity_update(
    *, actor: User, activity: Activity, data: dict[str, Any], expected_version: int | None = None
) -> Activity:
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    if "owner" in data and data["owner"] is None:
        data["owner"] = activity.owner
    if "subject" in data and not str(data["subject"] or "").strip():
        raise ValidationError({"subject": _("Give the activity a subject.")})
    changed = {k: v for k, v in data.items() if k in LINKS + ("owner",) and getattr(activity, k) != v}
    _check_links(actor, changed)
    if any(name in changed for name in LINKS):
        # The links as they will be after this change, so a new company is checked against
        # the person, sale and project the activity keeps.
        _check_company({name: data.get(name, getattr(activity, name)) for name in LINKS})
    _check_times(data.get("starts_at", activity.starts_at), data.get("ends_at", activity.ends_at))
    if "starts_at" in data and data.get("starts_at") != activity.starts_at:
        data["reminded_at"] = None  # a moved activity is reminded again
    return update_instance(actor=actor, instance=activity, data=data, expected_version=expected_version)


@transaction.atomic
def activity_set_done(*, actor: User, activity: Activity, done: bool, expected_version: int | None = None) -> Activity:
    if activity.done == done:
        return activity
    return update_instance(
        actor=actor,
        instance=activity,
        data={"done": done, "done_at": timezone.now() if done else None},
        expected_version=expected_version,
        action="done" if done else "undone",
    )


@transaction.atomic
def activity_delete(*, actor: User, activity: Activity) -> None:
    audit_record(actor=actor, action="delete", instance=activity)
    activity.delete()


# --- the sales guide ---------------------------------------------------------------------


def _due_on(day: dt.date, now: dt.datetime) -> dt.datetime:
    """09:00 on `day`, or the next full hour when that has already gone by — but never past the
    day's end: late in the evening a follow-up due today is due now, not tomorrow."""
    nine = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
    if nine >= now:
        return nine
    local = timezone.localtime(now).replace(second=0, microsecond=0)
    next_hour = (local + dt.timedelta(hours=1)).replace(minute=0)
    return next_hour if next_hour.date() == day else local


@transaction.atomic
def activities_from_guide(*, actor: User, sale: Any) -> list[Activity]:
    """The follow-ups the sales guide suggests for the sale's current phase become activities,
    each `days_after` the previous one, starting today. A step is never planned twice."""
    from dealflow.sales.models import GuideStep

    steps = list(
        GuideStep.objects.filter(phase_id=sale.phase_id, kind=GuideStep.Kind.FOLLOW_UP).order_by("order", "id")
    )
    if not steps:
        return []
    planned = set(Activity.objects.filter(sale=sale, guide_step__in=steps).values_list("guide_step_id", flat=True))
    now = timezone.now()
    day = timezone.localdate()
    created = []
    for step in steps:
        day += dt.timedelta(days=step.days_after)
        if step.pk in planned:
            continue
        activity = create_instance(
            actor=actor,
            model=Activity,
            data={
                "kind": step.activity_type or "task",
                "subject": step.text[:200],
                "starts_at": _due_on(day, now),
                "owner": sale.owner,
                "sale": sale,
                "company": sale.company,
                "person": sale.person,
                "guide_step": step,
            },
        )
        created.append(activity)
    return created


# --- reminders -----------------------------------------------------------------------------


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """One notification (and an e-mail when mail is set up) per open activity whose reminder
    time has come; each activity is reminded once. Returns how many were sent."""
    now = now or timezone.now()
    # Reminders reach at most a month ahead, which keeps the scan to the near future.
    due = (
        Activity.objects.filter(done=False, reminded_at__isnull=True, remind_minutes_before__isnull=False)
        .filter(starts_at__isnull=False, starts_at__lte=now + dt.timedelta(days=31))
        .select_related("owner")
        .order_by("starts_at", "id")
    )
    sent = 0
    for activity in due.iterator():
        assert activity.starts_at is not None and activity.remind_minutes_before is not None
        if activity.starts_at - dt.timedelta(minutes=activity.remind_minutes_before) > now:
            continue
        with transaction.atomic():
            claimed = Activity.objects.filter(pk=activity.pk, reminded_at__isnull=True).update(reminded_at=now)
            if not claimed:
                continue  # another run got there first
            _notify(activity)
        sent += 1
    return sent


def _notify(activity: Activity) -> None:
    from django.utils import translation

    user = activity.owner
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        when = timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M") if activity.starts_at else ""
        message = _("Reminder: “%(subject)s” is due at %(when)s.") % {"subject": activity.subject, "when": when}
        Notification.objects.create(user=user, activity=activity, message=message[:300])
        if user.email and getattr(settings, "EMAIL_BACKEND", ""):
            send_mail(
                subject=message[:150],
                message=f"{message}\n\n{activity.text}".strip(),
                from_email=None,
                recipient_list=[user.email],
                fail_silently=True,
            )


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them when no id is given."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


# --- the calendar feed ---------------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, user: User) -> CalendarFeed:
    """A new secret address; the old one (if any) stops working."""
    CalendarFeed.objects.filter(user=user).delete()
    feed = CalendarFeed.objects.create(user=user, token=CalendarFeed.new_token())
    audit_record(actor=user, action="create", instance=feed, message="calendar feed")
    return feed


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> None:
    for feed in CalendarFeed.objects.filter(user=user):
        audit_record(actor=user, action="delete", instance=feed, message="calendar feed")
        feed.delete()
