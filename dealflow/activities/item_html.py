"""Activities as HTML built in Python, the one source for their markup on every page: a card's
Activities section and the agenda list dozens of items, and the template engine's per-value
cost made those items most of a company card's time (30 items took ~12 ms)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dealflow.core.html import e, format_date, money, short_date, time_tag
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


_MARK = 2147483647  # an id no address contains as text


def _url_of(name: str) -> Callable[[int], str]:
    """record_url(name, pk) for many records: the address split around the id once per list."""
    head, _found, tail = record_url(name, _MARK).partition(str(_MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"


class _Shared:
    """What every item of one list has in common, worked out once per list: the translated labels
    and the escaped CSRF token and way back (a per-item gettext and escape were a third of an
    item's time on an agenda of hundreds)."""

    def __init__(self, *, back: str, csrf_token: str) -> None:
        self.back = e(back)
        self.csrf = e(csrf_token)
        self.mark_done = e(_("Mark done"))
        self.mark_not_done = e(_("Mark not done"))
        self.next_badge = f' <span class="badge next-badge">{e(_("Next activity"))}</span>'
        self.overdue = f' <span class="overdue-mark">{e(_("Overdue"))}</span>'
        self.kinds: dict[str, str] = {}
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.done_url = _url_of("activities:activity_done")
        self.url = _url_of("activities:activity_detail")
        self.sale_url = _url_of("sales:sale_detail")
        self.company_url = _url_of("relations:company_detail")

    def kind(self, activity: Any) -> str:
        label = self.kinds.get(activity.kind)
        if label is None:
            label = self.kinds[activity.kind] = e(kind_label(activity))
        return label


def _done_form(activity: Any, shared: _Shared) -> str:
    url = e(shared.done_url(activity.pk))
    done = activity.done
    label = shared.mark_not_done if done else shared.mark_done
    return (
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#activity-{activity.pk}" '
        f'hx-swap="outerHTML" class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="{shared.csrf}">\n'
        f'    <input type="hidden" name="shape" value="item"><input type="hidden" name="done" '
        f'value="{0 if done else 1}">\n'
        f'    <input type="hidden" name="next" value="{shared.back}">\n'
        f'    <button type="submit" class="check" aria-pressed="{"true" if done else "false"}" title="{label}">'
        f'<span aria-hidden="true">{"☑" if done else "☐"}</span><span class="sr-only">{label}: '
        f"{e(activity.subject)}</span></button>\n  </form>"
    )


def _when(activity: Any, short_time: bool, shared: _Shared) -> str:
    """time_tag() with the list's time zone looked up once."""
    moment = activity.starts_at
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = moment.astimezone(shared.tz)
    shown = format_date(moment, "TIME_FORMAT" if short_time else "SHORT_DATETIME_FORMAT")
    return f'<time datetime="{e(moment.isoformat())}">{e(shown)}</time>'


def _link(activity: Any, shared: _Shared) -> str:
    """The sale, or else the company, an agenda item belongs to. The agenda's rows carry just
    their names (`sale_title`, `company_name`); other pages' the records."""
    if hasattr(activity, "sale_title"):
        if activity.sale_id:
            url, name = shared.sale_url(activity.sale_id), activity.sale_title
        elif activity.company_id:
            url, name = shared.company_url(activity.company_id), activity.company_name
        else:
            return ""
    else:
        target = activity.sale or activity.company
        if target is None:
            return ""
        url = target.get_absolute_url()
        name = activity.sale.title if activity.sale else activity.company.name
    return f'<span class="muted small">· <a href="{e(url)}">{e(name)}</a></span>'


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
    shared = _Shared(back=back, csrf_token=csrf_token)
    return mark_safe(_item(activity, shared, next_id, show_links, short_time))  # noqa: S308 - escaped


def _item(activity: Any, shared: _Shared, next_id: int | None, show_links: bool, short_time: bool) -> str:
    css = "activity-item"
    done = activity.done
    if done:
        css += " done"
    overdue = not done and activity.starts_at is not None and activity.starts_at < shared.now
    if overdue:
        css += " overdue"
    badge = ""
    if activity.pk == next_id:
        css += " next"
        badge = shared.next_badge
    parts = [
        f'<li id="activity-{activity.pk}" class="{css}">',
        "  " + _done_form(activity, shared),
        "  " + _when(activity, short_time, shared),
        f'  <span class="kind">{shared.kind(activity)}</span>',
        f'  <a href="{e(shared.url(activity.pk))}">{e(activity.subject)}</a>{badge}{shared.overdue if overdue else ""}',
        "  " + (_link(activity, shared) if show_links else ""),
        "</li>",
    ]
    return "\n".join(parts)


def activity_items(
    activities: Any, *, next_id: int | None, back: str, csrf_token: str, show_links: bool, short_time: bool
) -> SafeString:
    """Many items at once, sharing their labels: the agenda shows hundreds."""
    shared = _Shared(back=back, csrf_token=csrf_token)
    return mark_safe(  # noqa: S308 - each item escapes its values
        "\n".join(_item(a, shared, next_id, show_links, short_time) for a in activities)
    )


def sale_date_item(sale: Any, *, overdue: bool) -> SafeString:
    """A sale date on the agenda: the sale, its company, and either its past date marked overdue
    or (on its day) the amount."""
    kind = e(_("Sale date"))
    company = f' <span class="muted small">· {e(sale.company.name)}</span>' if sale.company_id else ""
    link = f'<a href="{e(sale.get_absolute_url())}">{e(sale.title)}</a>{company}'
    if overdue:
        when = f'<time datetime="{sale.sale_date.isoformat()}">{short_date(sale.sale_date)}</time>'
        mark = e(_("Overdue"))
        return mark_safe(  # noqa: S308 - every value is escaped
            f'<li class="agenda-sale overdue"><span class="kind">{kind}</span> {when}\n      {link} '
            f'<span class="overdue-mark">{mark}</span></li>'
        )
    amount = f'<span class="money">{e(money(sale.amount))} {e(sale.currency)}</span>'
    return mark_safe(f'<li class="agenda-sale"><span class="kind">{kind}</span> {link} {amount}</li>')  # noqa: S308
