"""Template helpers that put activities on other apps' pages without a query per row: the
*next activity* of a page of sales or companies, a card's Activities section, and the user's
calendar address on the settings page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse

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
def calendar_feed_url(context: Any) -> str:
    """The absolute address of the user's calendar feed, or "" when they have none."""
    from dealflow.activities.selectors import calendar_feed_for

    request = context["request"]
    feed = calendar_feed_for(request.user)
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("activities:ical", args=[feed.token]))
