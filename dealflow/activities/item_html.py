"""Activities as HTML built in Python, the one source for their markup on every page: a card's
Activities section and the agenda list dozens of items, and the template engine's per-value
cost made those items most of a company card's time (30 items took ~12 ms)."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dealflow.core.html import e, time_tag
from dealflow.core.links import record_url

from .models import ActivityType

DASH = "—"


def kind_label(activity: Any) -> str:
    """The type's label as `get_kind_display()` gives it, without translating every type's
    label to find the one (a third of an item's time)."""
    try:
        return str(ActivityType(activity.kind).label)
    except ValueError:
        return str(activity.kind)


def overdue_mark(activity: Any) -> SafeString:
    """ " Overdue" after an activity whose time has gone by while it is not done."""
    if not activity.is_overdue:
        return mark_safe("")
    label = e(_("Overdue"))
    return mark_safe(f' <span class="overdue-mark">{label}</span>')  # noqa: S308 - escaped


def next_activity(activity: Any) -> SafeString:
    """When and what, marked when overdue; a dash when there is none."""
    if activity is None:
        return mark_safe(f'<span class="muted">{DASH}</span>')  # noqa: S308 - a constant
    css = " overdue" if activity.is_overdue else ""
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<span class="next-activity{css}">{time_tag(activity.starts_at)} {e(activity.subject)}'
        f"{overdue_mark(activity)}</span>"
    )


def _done_form(activity: Any, *, back: str, csrf_token: str) -> str:
    url = e(record_url("activities:activity_done", activity.pk))
    done = activity.done
    label = e(_("Mark not done") if done else _("Mark done"))
    return (
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#activity-{activity.pk}" '
        f'hx-swap="outerHTML" class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="{e(csrf_token)}">\n'
        f'    <input type="hidden" name="shape" value="item"><input type="hidden" name="done" '
        f'value="{0 if done else 1}">\n'
        f'    <input type="hidden" name="next" value="{e(back)}">\n'
        f'    <button type="submit" class="check" aria-pressed="{"true" if done else "false"}" title="{label}">'
        f'<span aria-hidden="true">{"☑" if done else "☐"}</span><span class="sr-only">{label}: '
        f"{e(activity.subject)}</span></button>\n  </form>"
    )


def _when(activity: Any, short_time: bool) -> str:
    if activity.starts_at is None:
        return ""
    return time_tag(activity.starts_at, "TIME_FORMAT" if short_time else "SHORT_DATETIME_FORMAT")


def _link(activity: Any) -> str:
    """The sale, or else the company, an agenda item belongs to."""
    target = activity.sale or activity.company
    if target is None:
        return ""
    name = activity.sale.title if activity.sale else activity.company.name
    return f'<span class="muted small">· <a href="{e(target.get_absolute_url())}">{e(name)}</a></span>'


def activity_item(
    activity: Any,
    *,
    next_id: int | None,
    back: str,
    csrf_token: str,
    show_links: bool = False,
    short_time: bool = False,
) -> SafeString:
    """One item of a card's Activities section or of the agenda: the done toggle, when, what
    kind, the subject linking to the activity, the "next activity" badge and overdue mark, and on
    the agenda what it belongs to."""
    css = "activity-item"
    if activity.done:
        css += " done"
    if activity.is_overdue:
        css += " overdue"
    badge = ""
    if activity.pk == next_id:
        css += " next"
        label = e(_("Next activity"))
        badge = f' <span class="badge next-badge">{label}</span>'
    parts = [
        f'<li id="activity-{activity.pk}" class="{css}">',
        "  " + _done_form(activity, back=back, csrf_token=csrf_token),
        "  " + _when(activity, short_time),
        f'  <span class="kind">{e(kind_label(activity))}</span>',
        f'  <a href="{e(activity.get_absolute_url())}">{e(activity.subject)}</a>{badge}{overdue_mark(activity)}',
        "  " + (_link(activity) if show_links else ""),
        "</li>",
    ]
    return mark_safe("\n".join(parts))  # noqa: S308 - every value is escaped
