from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from dealflow.activities import services
from dealflow.activities.models import Activity, Notification
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.audit.models import AuditEvent
from dealflow.core.services import StaleVersion
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory, ProjectFactory
from dealflow.sales.models import GuideStep
from dealflow.sales.services import sale_move_to_phase
from dealflow.sales.tests.factories import GuideStepFactory, SaleFactory, phases_of, pipeline_with_phases

pytestmark = pytest.mark.django_db


def soon(hours: float = 1) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def test_create_fills_the_company_from_the_sale_and_is_audited(salesperson: Any) -> None:
    company = CompanyFactory(owner=salesperson)
    sale = SaleFactory(owner=salesperson, company=company)
    activity = services.activity_create(
        actor=salesperson, data={"subject": "Call back", "sale": sale, "starts_at": soon(), "duration": 30}
    )
    assert activity.owner == salesperson
    assert activity.company == company
    assert activity.ends_at == activity.starts_at + dt.timedelta(minutes=30)
    assert AuditEvent.objects.filter(object_type="activity", object_id=activity.pk, action="create").exists()


def test_subject_is_required_and_nothing_is_saved(salesperson: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.activity_create(actor=salesperson, data={"subject": "  ", "starts_at": soon()})
    assert "subject" in exc.value.message_dict
    assert not Activity.objects.exists()


def test_end_before_start_is_refused_with_a_clear_message(salesperson: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.activity_create(actor=salesperson, data={"subject": "Meet", "starts_at": soon(2), "ends_at": soon(1)})
    assert exc.value.message_dict["ends_at"] == ["The end cannot be before the start."]
    assert not Activity.objects.exists()


def test_links_must_be_visible_to_the_actor(salesperson: Any, outsider: Any) -> None:
    foreign = CompanyFactory(owner=outsider)
    with pytest.raises(ValidationError) as exc:
        services.activity_create(actor=salesperson, data={"subject": "Peek", "company": foreign})
    assert "company" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.activity_create(actor=salesperson, data={"subject": "Give away", "owner": outsider})


def test_linked_records_must_belong_to_the_company_on_create(salesperson: Any) -> None:
    acme, other = CompanyFactory(owner=salesperson), CompanyFactory(owner=salesperson)
    stranger = PersonFactory(owner=salesperson, company=other)
    elsewhere = SaleFactory(owner=salesperson, company=other)
    side_project = ProjectFactory(owner=salesperson, company=other)
    with pytest.raises(ValidationError) as exc:
        services.activity_create(
            actor=salesperson,
            data={"subject": "Call", "company": acme, "person": stranger, "sale": elsewhere, "project": side_project},
        )
    assert exc.value.message_dict == {
        "person": ["This person does not belong to the chosen company."],
        "sale": ["This sale does not belong to the chosen company."],
        "project": ["This project does not belong to the chosen company."],
    }
    # Without a company the sale's company is the one the person must belong to.
    with pytest.raises(ValidationError) as exc:
        services.activity_create(
            actor=salesperson,
            data={"subject": "Call", "sale": elsewhere, "person": PersonFactory(owner=salesperson, company=acme)},
        )
    assert exc.value.message_dict == {"person": ["This person does not belong to the chosen company."]}
    assert not Activity.objects.exists()
    colleague = PersonFactory(owner=salesperson, company=acme)
    loner = PersonFactory(owner=salesperson, company=None)  # a person without a company fits any
    activity = services.activity_create(
        actor=salesperson, data={"subject": "Call", "company": acme, "person": colleague}
    )
    assert (activity.company, activity.person) == (acme, colleague)
    assert services.activity_create(actor=salesperson, data={"subject": "Call", "company": acme, "person": loner})
    activity = services.activity_create(actor=salesperson, data={"subject": "Call", "person": stranger})
    assert activity.company == other  # filled from the person


def test_linked_records_must_belong_to_the_company_on_update(salesperson: Any) -> None:
    acme, other = CompanyFactory(owner=salesperson), CompanyFactory(owner=salesperson)
    colleague = PersonFactory(owner=salesperson, company=acme)
    stranger = PersonFactory(owner=salesperson, company=other)
    activity = ActivityFactory(owner=salesperson, company=acme, person=colleague, subject="Call")
    with pytest.raises(ValidationError) as exc:
        services.activity_update(actor=salesperson, activity=activity, data={"person": stranger, "subject": "New"})
    assert exc.value.message_dict == {"person": ["This person does not belong to the chosen company."]}
    # A new company is checked against the person the activity keeps.
    with pytest.raises(ValidationError) as exc:
        services.activity_update(actor=salesperson, activity=activity, data={"company": other})
    assert exc.value.message_dict == {"person": ["This person does not belong to the chosen company."]}
    fresh = Activity.objects.get(pk=activity.pk)
    assert (fresh.company, fresh.person, fresh.subject, fresh.version) == (acme, colleague, "Call", 1)
    assert (activity.company, activity.person, activity.subject) == (acme, colleague, "Call")
    assert not AuditEvent.objects.filter(object_type="activity", object_id=activity.pk, action="update").exists()
    updated = services.activity_update(
        actor=salesperson, activity=activity, data={"company": other, "person": stranger}
    )
    assert (updated.company, updated.person, updated.version) == (other, stranger, 2)


def test_update_is_optimistic(salesperson: Any) -> None:
    activity = ActivityFactory(owner=salesperson)
    services.activity_update(actor=salesperson, activity=activity, data={"subject": "New"}, expected_version=1)
    stale = Activity.objects.get(pk=activity.pk)
    stale.version = 1
    with pytest.raises(StaleVersion):
        services.activity_update(actor=salesperson, activity=stale, data={"subject": "Old"}, expected_version=1)
    with pytest.raises(ValidationError):
        services.activity_update(
            actor=salesperson,
            activity=Activity.objects.get(pk=activity.pk),
            data={"ends_at": activity.starts_at - dt.timedelta(hours=1)},
        )


def test_done_and_undone(salesperson: Any) -> None:
    activity = ActivityFactory(owner=salesperson, starts_at=soon(-2))
    assert activity.is_overdue
    activity = services.activity_set_done(actor=salesperson, activity=activity, done=True)
    assert activity.done and activity.done_at is not None and not activity.is_overdue
    activity = services.activity_set_done(actor=salesperson, activity=activity, done=False)
    assert not activity.done and activity.done_at is None
    actions = list(
        AuditEvent.objects.filter(object_id=activity.pk, object_type="activity").values_list("action", flat=True)
    )
    assert "done" in actions and "undone" in actions


def test_delete_is_audited(salesperson: Any) -> None:
    activity = ActivityFactory(owner=salesperson)
    services.activity_delete(actor=salesperson, activity=activity)
    assert not Activity.objects.exists()
    assert AuditEvent.objects.filter(object_type="activity", action="delete").exists()


def _guided_pipeline() -> Any:
    pipeline = pipeline_with_phases(name="Guided")
    phases = phases_of(pipeline)
    GuideStepFactory(phase=phases["lead"], text="Intro call", days_after=0, order=1)
    GuideStepFactory(phase=phases["lead"], text="Send brochure", activity_type="email", days_after=2, order=2)
    GuideStepFactory(phase=phases["lead"], text="Check the docs", kind=GuideStep.Kind.DOCUMENT, order=3)
    GuideStepFactory(phase=phases["qualified"], text="Visit", activity_type="meeting", days_after=3, order=1)
    return pipeline


def test_guide_follow_ups_are_planned_when_a_sale_enters_a_phase_and_never_twice(salesperson: Any) -> None:
    pipeline = _guided_pipeline()
    sale = SaleFactory(owner=salesperson, pipeline=pipeline)
    planned = list(Activity.objects.filter(sale=sale).order_by("starts_at"))
    assert [a.subject for a in planned] == ["Intro call", "Send brochure"]
    assert [a.kind for a in planned] == ["call", "email"]
    today = timezone.localdate()
    assert timezone.localdate(planned[0].starts_at) == today
    assert timezone.localdate(planned[1].starts_at) == today + dt.timedelta(days=2)
    assert services.activities_from_guide(actor=salesperson, sale=sale) == []  # not twice
    sale_move_to_phase(actor=salesperson, sale=sale, phase=phases_of(pipeline)["qualified"])
    visit = Activity.objects.get(sale=sale, subject="Visit")
    assert visit.kind == "meeting"
    assert timezone.localdate(visit.starts_at) == today + dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("clock", "due"),
    [
        ("07:30", "09:00"),  # before nine: nine o'clock
        ("10:20", "11:00"),  # later in the day: the next full hour
        ("22:59", "23:00"),
        ("23:10", "23:10"),  # the next full hour is tomorrow: now, still today
        ("23:59", "23:59"),
    ],
)
def test_a_follow_up_due_today_stays_on_today_whatever_the_hour(clock: str, due: str) -> None:
    day = dt.date(2026, 11, 22)
    now = timezone.make_aware(dt.datetime.combine(day, dt.time.fromisoformat(clock)))
    planned = timezone.localtime(services._due_on(day, now))
    assert planned.date() == day
    assert planned.strftime("%H:%M") == due
    assert planned >= now.replace(second=0)


def test_reminders_notify_once_and_mail_when_configured(salesperson: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    salesperson.email = "anna@example.com"
    salesperson.save()
    due = ActivityFactory(owner=salesperson, subject="Call Acme", starts_at=soon(0.25), remind_minutes_before=30)
    ActivityFactory(owner=salesperson, starts_at=soon(5), remind_minutes_before=30)  # not yet
    ActivityFactory(owner=salesperson, starts_at=soon(0.1), remind_minutes_before=None)  # no reminder
    ActivityFactory(owner=salesperson, starts_at=soon(0.1), remind_minutes_before=30, done=True)
    call_command("send_reminders")
    notes = list(Notification.objects.all())
    assert len(notes) == 1 and notes[0].activity == due and notes[0].user == salesperson
    assert "Call Acme" in notes[0].message
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.com"]
    assert Activity.objects.get(pk=due.pk).reminded_at is not None
    call_command("send_reminders")
    assert Notification.objects.count() == 1


def test_notification_mark_read(salesperson: Any, teammate: Any) -> None:
    mine = Notification.objects.create(user=salesperson, message="a")
    Notification.objects.create(user=salesperson, message="b")
    theirs = Notification.objects.create(user=teammate, message="c")
    assert services.notification_mark_read(user=salesperson, notification_id=theirs.pk) == 0
    assert services.notification_mark_read(user=salesperson, notification_id=mine.pk) == 1
    assert services.notification_mark_read(user=salesperson) == 1


def test_calendar_feed_create_replaces_and_revoke_removes(salesperson: Any) -> None:
    first = services.calendar_feed_create(user=salesperson)
    second = services.calendar_feed_create(user=salesperson)
    assert first.token != second.token
    services.calendar_feed_revoke(user=salesperson)
    assert not type(first).objects.filter(user=salesperson).exists()
