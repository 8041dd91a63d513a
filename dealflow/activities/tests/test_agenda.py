"""The agenda on a busy calendar: the week shows each day's first activities and sale dates with
"N more" linking to the day, the day view shows its first ones with a link to all of them in the
activity list, each day's totals are counted in the database under the visibility rule, and the
number of queries does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from dealflow.activities import selectors
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.tests.factories import SaleFactory

pytestmark = pytest.mark.django_db


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def next_monday() -> dt.date:
    """A whole week ahead, so nothing in it is overdue."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


@pytest.fixture
def small_caps(monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "WEEK_CAP", 3)
    monkeypatch.setattr(selectors, "WEEK_SALES_CAP", 2)
    monkeypatch.setattr(selectors, "DAY_CAP", 4)


def day_of(agenda: selectors.Agenda, day: dt.date) -> selectors.AgendaDay:
    return next(d for d in agenda.days if d.day == day)


def test_the_week_shows_the_first_of_each_day_and_counts_the_rest(
    salesperson: Any, next_monday: dt.date, small_caps: None
) -> None:
    tuesday = next_monday + dt.timedelta(days=1)
    busy = [ActivityFactory(owner=salesperson, subject=f"Tue {h}", starts_at=local(tuesday, h)) for h in range(9, 15)]
    # Local midnight is the border: 00:30 on Wednesday is Wednesday's, 23:30 on Tuesday Tuesday's.
    late = ActivityFactory(owner=salesperson, subject="Tue late", starts_at=local(tuesday, 23, 30))
    early = ActivityFactory(
        owner=salesperson, subject="Wed early", starts_at=local(tuesday + dt.timedelta(days=1), 0, 30)
    )
    sales = [SaleFactory(owner=salesperson, sale_date=tuesday) for _ in range(3)]
    ActivityFactory(owner=salesperson, starts_at=local(next_monday + dt.timedelta(days=7), 9))  # next week

    week = selectors.my_agenda(user=salesperson, day=tuesday, view="week")

    tue = day_of(week, tuesday)
    assert tue.activities == busy[:3] and tue.total == 7 and tue.more_activities == 4
    assert tue.sales == sorted(sales, key=lambda s: s.pk)[:2] and tue.sales_total == 3
    assert tue.more == 5  # 4 activities and 1 sale date not shown
    wed = day_of(week, tuesday + dt.timedelta(days=1))
    assert wed.activities == [early] and wed.total == 1 and wed.more == 0
    assert sum(d.total for d in week.days) == 8

    day = selectors.my_agenda(user=salesperson, day=tuesday, view="day")
    (only,) = day.days
    assert only.activities == [*busy[:4]] and only.total == 7 and only.more_activities == 3
    assert only.sales == sorted(sales, key=lambda s: s.pk) and only.sales_total == 3  # the day shows every sale date
    assert late not in only.activities


def test_day_totals_leave_out_what_is_hidden_and_what_is_on_top_as_overdue(
    salesperson: Any, outsider: Any, next_monday: dt.date, small_caps: None
) -> None:
    theirs = CompanyFactory(owner=outsider)
    mine = [ActivityFactory(owner=salesperson, starts_at=local(next_monday, h)) for h in (9, 10)]
    # Linked to another team's company or sale: neither shown nor counted (the visibility rule).
    ActivityFactory(owner=salesperson, company=theirs, starts_at=local(next_monday, 8))
    ActivityFactory(owner=salesperson, sale=SaleFactory(owner=outsider), starts_at=local(next_monday, 11))
    monday = day_of(selectors.my_agenda(user=salesperson, day=next_monday, view="week"), next_monday)
    assert monday.activities == mine and monday.total == 2 and monday.more == 0

    # Open and past due today: on top, and not again in the day or in its count.
    today, now = timezone.localdate(), timezone.now()
    overdue = ActivityFactory(owner=salesperson, starts_at=max(local(today, 0), now - dt.timedelta(seconds=1)))
    done = ActivityFactory(owner=salesperson, starts_at=local(today, 0), done=True)
    agenda = selectors.my_agenda(user=salesperson, day=today)
    (only,) = agenda.days
    assert agenda.overdue == [overdue]
    assert only.activities == [done] and only.total == 1


def test_the_week_page_links_n_more_to_the_day_and_the_day_to_all_in_the_activity_list(
    client: Any, salesperson: Any, next_monday: dt.date, small_caps: None
) -> None:
    friday = next_monday + dt.timedelta(days=4)
    subjects = [f"Visit {n}" for n in range(6)]
    for n, subject in enumerate(subjects):
        ActivityFactory(owner=salesperson, subject=subject, starts_at=local(friday, 8 + n))
    client.force_login(salesperson)

    week = client.get("/agenda/", {"view": "week", "date": friday.isoformat()}).content.decode()
    assert [s for s in subjects if f">{s}</a>" in week] == subjects[:3]
    more = re.findall(r'<a href="\?view=day&amp;date=([\d-]+)">(\d+) more', week)
    assert more == [(friday.isoformat(), "3")]

    day = client.get("/agenda/", {"view": "day", "date": friday.isoformat()}).content.decode()
    assert [s for s in subjects if f">{s}</a>" in day] == subjects[:4]
    assert "The first 4 of 6 activities of this day." in day
    link = re.search(r'<a href="(/activities/\?[^"]+)">Show them all in the activity list</a>', day)
    assert link
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert all(f">{s}</a>" in listed for s in subjects) and "6 activities" in listed


def test_a_manager_follows_n_more_into_the_team_members_day(
    client: Any, salesperson: Any, manager: Any, next_monday: dt.date, small_caps: None
) -> None:
    for hour in range(8, 13):
        ActivityFactory(owner=salesperson, starts_at=local(next_monday, hour))
    client.force_login(manager)
    week = client.get("/agenda/", {"view": "week", "date": next_monday.isoformat(), "user": salesperson.pk})
    html = week.content.decode()
    assert f'<a href="?view=day&amp;date={next_monday.isoformat()}&amp;user={salesperson.pk}">2 more' in html


def test_nothing_more_no_link(client: Any, salesperson: Any, next_monday: dt.date) -> None:
    ActivityFactory(owner=salesperson, starts_at=local(next_monday, 10))
    client.force_login(salesperson)
    week = client.get("/agenda/", {"view": "week", "date": next_monday.isoformat()}).content.decode()
    day = client.get("/agenda/", {"date": next_monday.isoformat()}).content.decode()
    assert "agenda-more" not in week and "agenda-more" not in day


def test_full_days_take_no_more_queries(
    client: Any,
    salesperson: Any,
    outsider: Any,
    next_monday: dt.date,
    small_caps: None,
    django_assert_max_num_queries: Any,
) -> None:
    """With someone outside the team (`outsider`), every row's linked records are checked."""

    def add(per_day: int) -> None:
        for offset in range(7):
            for hour in range(per_day):
                firm = CompanyFactory(owner=salesperson)
                sale = SaleFactory(owner=salesperson, company=firm, sale_date=next_monday + dt.timedelta(days=offset))
                ActivityFactory(
                    owner=salesperson,
                    company=firm,
                    sale=sale,
                    starts_at=local(next_monday + dt.timedelta(offset), hour),
                )

    add(1)
    client.force_login(salesperson)
    params = {"view": "week", "date": next_monday.isoformat()}
    with django_assert_max_num_queries(15) as few:  # the people seen and whether that is everyone in one
        client.get("/agenda/", params)
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/agenda/", params).content.decode()
    assert html.count('<li id="activity-') == 7 * 3 and html.count('class="agenda-sale"') == 7 * 2
    assert html.count(">7 more") == 7  # per day 3 of 6 activities and 2 of 6 sale dates shown
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/agenda/", {"date": next_monday.isoformat()})


def test_a_full_overdue_block_links_to_all_overdue_activities(
    client: Any, salesperson: Any, manager: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "OVERDUE_CAP", 2)
    for days in (3, 2):
        ActivityFactory(owner=salesperson, starts_at=timezone.now() - dt.timedelta(days=days))
    client.force_login(salesperson)
    assert "Show all overdue activities" not in client.get("/agenda/").content.decode()
    ActivityFactory(owner=salesperson, starts_at=timezone.now() - dt.timedelta(days=1))
    client.force_login(manager)
    html = client.get("/agenda/", {"user": salesperson.pk}).content.decode()
    assert html.count('class="activity-item overdue"') == 2
    link = f'<a href="/activities/?status=overdue&amp;owner={salesperson.pk}">Show all overdue activities</a>'
    assert link in html
    listed = client.get("/activities/", {"status": "overdue", "owner": salesperson.pk}).content.decode()
    assert "3 activities" in listed


def test_sale_dates_read_as_before_escaped_with_amount_or_overdue_date(
    client: Any, salesperson: Any, next_monday: dt.date
) -> None:
    firm = CompanyFactory(owner=salesperson, name="Smith & <Sons>")
    coming = SaleFactory(owner=salesperson, company=firm, title="Pumps <2>", sale_date=next_monday, amount=1234.5)
    late = SaleFactory(owner=salesperson, title="Late one", sale_date=timezone.localdate() - dt.timedelta(days=2))
    client.force_login(salesperson)
    week = client.get("/agenda/", {"view": "week", "date": next_monday.isoformat()}).content.decode()
    assert (
        f'<li class="agenda-sale"><span class="kind">Sale date</span> <a href="/sales/{coming.pk}/">Pumps &lt;2&gt;</a>'
        ' <span class="muted small">· Smith &amp; &lt;Sons&gt;</span> <span class="money">1,234.50 EUR</span></li>'
    ) in week
    day = late.sale_date
    assert (
        f'<li class="agenda-sale overdue"><span class="kind">Sale date</span> <time datetime="{day.isoformat()}">'
        f'{day:%m/%d/%Y}</time>\n      <a href="/sales/{late.pk}/">Late one</a> '
        '<span class="overdue-mark">Overdue</span></li>'
    ) in week
