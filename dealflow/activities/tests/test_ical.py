from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dealflow.activities import services
from dealflow.activities.ical import fold
from dealflow.activities.tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse(raw: bytes) -> list[dict[str, str]]:
    """Parse an iCalendar stream back: check CRLF and 75-octet lines, unfold, split events."""
    assert raw.endswith(b"\r\n")
    physical = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert all(len(line) <= 75 for line in physical), [len(x) for x in physical]
    logical: list[str] = []
    for line in physical:
        if line.startswith(b" "):
            logical[-1] += line[1:].decode("utf-8")
        else:
            logical.append(line.decode("utf-8"))
    assert logical[0] == "BEGIN:VCALENDAR" and logical[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in logical and any(x.startswith("PRODID:") for x in logical)
    events, current = [], None
    for line in logical:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = unescape(value)
    return events


def utc(value: str) -> dt.datetime:
    assert value.endswith("Z")
    return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def test_fold_never_splits_a_character() -> None:
    folded = fold("SUMMARY:" + "é" * 100)
    parts = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert "".join(p.decode("utf-8")[1 if i else 0 :] for i, p in enumerate(parts)) == "SUMMARY:" + "é" * 100


def test_feed_parses_back(client: Any, salesperson: Any) -> None:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    long_text = "Line one; with, specials \\ and\nline two — " + "ü" * 80
    open_one = ActivityFactory(
        owner=salesperson, subject="Call, Acme; now", text=long_text, starts_at=start, duration=45
    )
    done = ActivityFactory(owner=salesperson, subject="Done", starts_at=start - dt.timedelta(days=2), done=True)
    ActivityFactory(starts_at=start)  # someone else's
    feed = services.calendar_feed_create(user=salesperson)
    response = client.get(f"/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = {e["UID"]: e for e in parse(response.content)}
    assert len(events) == 2
    first = next(e for e in events.values() if e["SUMMARY"] == "Call, Acme; now")
    assert first["DESCRIPTION"] == long_text
    assert utc(first["DTSTART"]) == start
    assert utc(first["DTEND"]) == start + dt.timedelta(minutes=45)
    assert "DTSTAMP" in first and first["STATUS"] != "COMPLETED"
    assert first["UID"].startswith(f"activity-{open_one.pk}@")
    assert next(e for e in events.values() if e["SUMMARY"] == "Done")["STATUS"] == "COMPLETED"
    assert done.pk


def test_revoked_or_unknown_feed_is_404(client: Any, salesperson: Any) -> None:
    feed = services.calendar_feed_create(user=salesperson)
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 200
    services.calendar_feed_revoke(user=salesperson)
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 404
    assert client.get("/calendar/nope.ics").status_code == 404


def test_settings_page_creates_shows_and_revokes_the_address(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    html = client.get("/settings/").content.decode()
    assert "Calendar feed" in html and "You have no calendar address." in html
    client.post("/calendar/new/")
    html = client.get("/settings/").content.decode()
    token = salesperson.calendar_feed.token
    assert f"/calendar/{token}.ics" in html
    client.post("/calendar/new/")  # a new address: the old one stops working
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    client.post("/calendar/revoke/")
    assert "You have no calendar address." in client.get("/settings/").content.decode()
