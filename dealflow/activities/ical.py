"""A small RFC 5545 writer for the personal calendar feed: CRLF line ends, lines folded at 75
octets, text values escaped, times in UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from .models import Activity

DEFAULT_MINUTES = 30


def escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(activity: Activity, host: str, stamp: str) -> list[str]:
    assert activity.starts_at is not None
    end = activity.ends_at or activity.starts_at + dt.timedelta(minutes=activity.duration or DEFAULT_MINUTES)
    lines = [
        "BEGIN:VEVENT",
        f"UID:activity-{activity.pk}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{utc(activity.starts_at)}",
        f"DTEND:{utc(end)}",
        f"SUMMARY:{escape(activity.subject)}",
    ]
    description = activity.text
    if activity.company_id and activity.company is not None:
        description = f"{activity.company.name}\n{description}".strip()
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    lines.append(f"CATEGORIES:{escape(activity.get_kind_display().upper())}")
    lines.append("STATUS:COMPLETED" if activity.done else "STATUS:CONFIRMED")
    lines.append(f"SEQUENCE:{activity.version}")
    lines.append("END:VEVENT")
    return lines


def calendar(activities: Iterable[Activity], *, host: str, name: str) -> str:
    stamp = utc(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Dealflow//Activities//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for activity in activities:
        if activity.starts_at is not None:
            lines += _event(activity, host, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
