"""Template helpers that put activities on other apps' pages without a query per row: the
*next activity* of a page of sales or companies, a card's Activities section and its items
(markup from item_html), and the user's calendar address on the settings page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from dealflow.activities import item_html

register = template.Library()


@register.simple_tag
def next_activities(rows: Iterable[Any], kind: str = "sale") -> dict[int, Any]:
    """{% next_activities page.object_list "sale" as nexts %}: one query for the whole page."""
    from dealflow.activities.selectors_next import next_activity_for_companies, next_activity_for_sales

    ids = [row.pk for row in rows]
    return next_activity_for_companies(ids) if kind == "company" else next_activity_for_sales(ids)


@register.filter
def get_item(mapping: dict | None, key: Any) -> Any:
    return (mapping or {}).get(key)


@register.inclusion_tag("activities/_section.html", takes_context=True)
def activities_section(context: Any, **link: Any) -> dict[str, Any]:
    """{% activities_section sale=sale %} or {% activities_section company=company %}."""
    from dealflow.activities.selectors import activities_for

    request = context["request"]
    name, obj = next(iter(link.items()))
    activities = activities_for(request.user, **{name: obj.pk})
    upcoming = [a for a in activities if not a.done and a.starts_at is not None]
    next_activity = min(upcoming, key=lambda a: (a.starts_at, a.pk)) if upcoming else None
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "activities": activities,
        "next_activity": next_activity,
        "next_id": next_activity.pk if next_activity else None,
        "link_qs": f"{name}={obj.pk}",
    }


@register.simple_tag(takes_context=True)
def activity_item(context: Any, activity: Any, show_links: bool = False, short_time: bool = False) -> SafeString:
    """{% activity_item a %}: an item of the Activities section or the agenda (item_html)."""
    return activity_items(context, [activity], show_links=show_links, short_time=short_time)


@register.simple_tag(takes_context=True)
def activity_items(context: Any, activities: Any, show_links: bool = False, short_time: bool = False) -> SafeString:
    """{% activity_items day.activities show_links=True %}: a list's items in one call."""
    return item_html.activity_items(
        activities,
        next_id=context.get("next_id"),
        back=context["request"].get_full_path(),
        csrf_token=str(context.get("csrf_token") or ""),
        show_links=show_links,
        short_time=short_time,
    )


@register.simple_tag
def sale_date_items(sales: Any, overdue: bool = False) -> SafeString:
    """{% sale_date_items day.sales %}: the agenda's sale dates (item_html)."""
    return mark_safe("\n".join(item_html.sale_date_item(s, overdue=overdue) for s in sales))  # noqa: S308


@register.simple_tag
def next_activity(activity: Any) -> SafeString:
    """{% next_activity a %}: when and what, marked when overdue; a dash for none."""
    return item_html.next_activity(activity)


@register.simple_tag
def overdue_mark(activity: Any) -> SafeString:
    """{% overdue_mark a %}: " Overdue" when the activity's time has gone by undone."""
    return item_html.overdue_mark(activity)


@register.simple_tag(takes_context=True)
def calendar_feed_url(context: Any) -> str:
    """The absolute address of the user's calendar feed, or "" when they have none."""
    from dealflow.activities.selectors import calendar_feed_for

    request = context["request"]
    feed = calendar_feed_for(request.user)
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("activities:ical", args=[feed.token]))
