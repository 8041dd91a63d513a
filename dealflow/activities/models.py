"""Activities (follow-ups): calls, meetings, tasks, e-mails and notes, with their reminders."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealflow.core.links import record_url
from dealflow.core.models import Versioned
from dealflow.core.validators import validate_not_blank


class ActivityType(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    TASK = "task", _("Task")
    EMAIL = "email", _("E-mail")
    NOTE = "note", _("Note")


class Activity(Versioned):
    kind = models.CharField(_("type"), max_length=10, choices=ActivityType.choices, default=ActivityType.TASK)
    subject = models.CharField(_("subject"), max_length=200, validators=[validate_not_blank])
    text = models.TextField(_("text"), blank=True, max_length=20000)
    starts_at = models.DateTimeField(_("due"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    duration = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities", verbose_name=_("owner")
    )
    company = models.ForeignKey(
        "relations.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("company"),
    )
    person = models.ForeignKey(
        "relations.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("person"),
    )
    sale = models.ForeignKey(
        "sales.Sale", on_delete=models.CASCADE, null=True, blank=True, related_name="activities", verbose_name=_("sale")
    )
    project = models.ForeignKey(
        "relations.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("project"),
    )
    guide_step = models.ForeignKey(
        "sales.GuideStep", on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    remind_minutes_before = models.PositiveIntegerField(_("reminder (minutes before)"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Whether every linked record has this owner, kept by database triggers (denorm.py): the
    # visibility rule checks the links' owners only where it is false (selectors.activity_scope).
    links_share_owner = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # "Next activity" and "overdue" are the earliest open activity per sale / company.
            models.Index(fields=["sale", "done", "starts_at"]),
            # The company's activities by due time, carrying the owner and the visibility rule's
            # columns: a search for a company name counts the activities of the matching
            # companies (dealflow/search/substring.py) from this index alone, where it read
            # each activity's row for its owner (250 ms for "zenith", 7,392 companies).
            models.Index(
                fields=["company", "done", "starts_at", "owner", "links_share_owner", "sale", "person", "project"],
                name="activity_by_company_due",
            ),
            # The owner's activities by due time (the agenda, the overdue view's count, the list
            # sorted by owner), carrying the visibility rule's columns so that it is checked
            # inside the index: without the links, SQLite sorted every visible row for the owner
            # sort and PostgreSQL read each overdue row to count it. Named to sort before
            # activity_list_count: where both serve as well, SQLite takes the index created last,
            # and the bulk load creates them by name (the count of a ?q= search, which reads each
            # row, took 30-50 % longer in this index's order on the generated set).
            models.Index(
                fields=["owner", "done", "starts_at", "links_share_owner", "sale", "company", "person", "project"],
                name="activity_by_owner_due",
            ),
            # The floor under a search's count (selectors.activity_count_floor): the subject of
            # the rows whose links share their owner, with the list's other filters, read here
            # instead of ~60k rows. Without the links' columns on purpose: SQLite takes an index
            # that covers a query over one it must look rows up from, so one that covered the
            # list's own queries (the visibility checks included) made it sort every visible row
            # for the subject sort instead of walking activity_list_by_subject (20 -> 75 ms); and
            # not in activity_list_count, which a wider entry made lose to activity_by_owner_due
            # for the counts that read each row (in due order, twice as long).
            models.Index(
                fields=["owner", "done", "links_share_owner", "subject", "kind", "starts_at"],
                name="activity_search_floor",
            ),
            # The list's sort orders, each carrying the owner (and done) so that the visibility
            # rule and the status are checked inside the index while a page is walked.
            models.Index(fields=["done", "starts_at", "id", "owner"], name="activity_list_by_due"),
            models.Index(fields=["starts_at", "id", "owner"], name="activity_list_by_due_all"),
            models.Index(fields=["subject", "id", "owner", "done"], name="activity_list_by_subject"),
            models.Index(fields=["kind", "starts_at", "id", "owner", "done"], name="activity_list_by_type"),
            # The list's capped count: links_share_owner, then the linked records in sale order for
            # the rows where it is false, so that checking their owners reads neither the activity
            # nor a random page of sales per row.
            models.Index(
                fields=["owner", "done", "links_share_owner", "sale", "company", "person", "project"],
                name="activity_list_count",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return record_url("activities:activity_detail", self.pk)

    @property
    def is_overdue(self) -> bool:
        return not self.done and self.starts_at is not None and self.starts_at < timezone.now()


class Notification(models.Model):
    """An in-app notice, e.g. a reminder that an activity is due."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message


class CalendarFeed(models.Model):
    """The secret address of a user's iCalendar feed; revoking it makes a new one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"feed of {self.user_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
