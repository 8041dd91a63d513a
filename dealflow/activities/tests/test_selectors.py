from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from dealflow.activities import selectors
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.tests.factories import SaleFactory

pytestmark = pytest.mark.django_db


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days, hours=hours)


def test_list_is_scoped_by_owner_and_linked_records(salesperson: Any, teammate: Any, outsider: Any) -> None:
    mine = ActivityFactory(owner=salesperson)
    team = ActivityFactory(owner=teammate)
    ActivityFactory(owner=outsider)
    # Owned by a teammate but about a company of another team: not visible.
    ActivityFactory(owner=teammate, company=CompanyFactory(owner=outsider))
    assert set(selectors.activity_list(user=salesperson)) == {mine, team}
    with pytest.raises(Http404):
        selectors.activity_get_for_user(outsider, mine.pk)


def test_list_filters(salesperson: Any) -> None:
    late = ActivityFactory(owner=salesperson, subject="Late call", starts_at=at(hours=-3))
    later = ActivityFactory(owner=salesperson, subject="Meeting", starts_at=at(days=2))
    done = ActivityFactory(owner=salesperson, subject="Done call", starts_at=at(days=-1), done=True)
    assert list(selectors.activity_list(user=salesperson, status="overdue")) == [late]
    assert list(selectors.activity_list(user=salesperson, status="open")) == [late, later]
    assert list(selectors.activity_list(user=salesperson, status="done")) == [done]
    assert set(selectors.activity_list(user=salesperson, q="call")) == {late, done}
    today = timezone.localdate()
    assert list(selectors.activity_list(user=salesperson, date_from=today + dt.timedelta(days=1))) == [later]
    assert list(selectors.activity_list(user=salesperson, sort="-due"))[0] == later


def test_agenda_has_overdue_on_top_and_sale_dates(salesperson: Any) -> None:
    today = timezone.localdate()
    overdue = ActivityFactory(owner=salesperson, subject="Overdue", starts_at=at(days=-2))
    ActivityFactory(owner=salesperson, subject="Old done", starts_at=at(days=-2), done=True)
    noon = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(12)))
    tomorrow = ActivityFactory(owner=salesperson, subject="Tomorrow", starts_at=noon)
    closing = SaleFactory(owner=salesperson, sale_date=today + dt.timedelta(days=1))
    late_sale = SaleFactory(owner=salesperson, sale_date=today - dt.timedelta(days=3))
    week = selectors.my_agenda(user=salesperson, day=today + dt.timedelta(days=1), view="week")
    assert week.overdue == [overdue]
    assert week.overdue_sales == [late_sale]
    assert len(week.days) == 7
    day = next(d for d in week.days if d.day == today + dt.timedelta(days=1))
    assert day.activities == [tomorrow] and day.sales == [closing]
    one = selectors.my_agenda(user=salesperson, day=today + dt.timedelta(days=1))
    assert one.view == "day" and len(one.days) == 1 and one.days[0].activities == [tomorrow]


def test_manager_sees_a_team_members_agenda_others_get_404(
    salesperson: Any, teammate: Any, manager: Any, outsider: Any
) -> None:
    ActivityFactory(owner=salesperson, subject="Anna's", starts_at=at(days=-1))
    agenda = selectors.my_agenda(user=manager, for_user=salesperson.pk)
    assert agenda.owner == salesperson and [a.subject for a in agenda.overdue] == ["Anna's"]
    with pytest.raises(Http404):
        selectors.my_agenda(user=teammate, for_user=salesperson.pk)
    with pytest.raises(Http404):
        selectors.my_agenda(user=manager, for_user=outsider.pk)


def test_next_activity_is_the_earliest_open_dated_one_with_the_lowest_id_among_equals(
    salesperson: Any, django_assert_num_queries: Any
) -> None:
    from dealflow.activities.selectors_next import next_activity_for_companies, next_activity_for_sales

    company, other = CompanyFactory(owner=salesperson), CompanyFactory(owner=salesperson)
    sale, quiet = SaleFactory(owner=salesperson, company=company), SaleFactory(owner=salesperson, company=other)
    soon = at(hours=2)
    ActivityFactory(owner=salesperson, sale=sale, company=company, starts_at=at(hours=-5), done=True)
    ActivityFactory(owner=salesperson, sale=sale, company=company, starts_at=None)
    first = ActivityFactory(owner=salesperson, sale=sale, company=company, starts_at=soon)
    ActivityFactory(owner=salesperson, sale=sale, company=company, starts_at=soon)
    ActivityFactory(owner=salesperson, sale=sale, company=company, starts_at=at(days=3))
    overdue = ActivityFactory(owner=salesperson, company=other, starts_at=at(days=-2))
    ActivityFactory(owner=salesperson, sale=quiet, company=other, starts_at=at(days=1), done=True)
    with django_assert_num_queries(1):
        by_sale = next_activity_for_sales([sale.pk, quiet.pk, 0])
    assert by_sale == {sale.pk: first}
    assert by_sale[sale.pk].subject == first.subject and by_sale[sale.pk].starts_at == soon
    with django_assert_num_queries(1):
        by_company = next_activity_for_companies([company.pk, other.pk])
    assert by_company == {company.pk: first, other.pk: overdue}
    assert by_company[other.pk].is_overdue
    with django_assert_num_queries(0):
        assert next_activity_for_sales([]) == {}


def test_an_items_type_reads_as_get_kind_display_in_every_language() -> None:
    from django.utils import translation

    from dealflow.activities.item_html import kind_label
    from dealflow.activities.models import Activity, ActivityType

    for language in ("en", "nl", "de", "pt"):
        with translation.override(language):
            for kind in [*ActivityType.values, "retired"]:
                activity = Activity(kind=kind)
                assert kind_label(activity) == activity.get_kind_display()
    with translation.override("nl"):
        assert kind_label(Activity(kind="meeting")) != "Meeting"


def test_each_link_to_another_team_hides_an_activity_in_every_sort_and_status(
    salesperson: Any, teammate: Any, outsider: Any
) -> None:
    from dealflow.relations.tests.factories import PersonFactory, ProjectFactory

    ours, theirs = CompanyFactory(owner=teammate), CompanyFactory(owner=outsider)
    shown = [
        ActivityFactory(owner=salesperson, subject="B unlinked", starts_at=at(days=2)),
        ActivityFactory(owner=teammate, kind="task", subject="A ours", starts_at=at(hours=-2), company=ours),
        ActivityFactory(
            owner=salesperson,
            subject="C all ours",
            starts_at=at(days=-2),
            done=True,
            company=ours,
            person=PersonFactory(company=ours),
            project=ProjectFactory(company=ours),
            sale=SaleFactory(owner=teammate),
        ),
    ]
    for link in (
        {"company": theirs},
        {"person": PersonFactory(company=theirs)},
        {"project": ProjectFactory(company=theirs)},
        {"sale": SaleFactory(owner=outsider)},
    ):
        ActivityFactory(owner=salesperson, subject="hidden", **link)
    ActivityFactory(owner=outsider, subject="hidden")
    for sort in selectors.ACTIVITY_SORTS:
        for status in ("", *selectors.ACTIVITY_STATUSES):
            listed = list(selectors.activity_list(user=salesperson, sort=sort, status=status))
            assert "hidden" not in {a.subject for a in listed}
            assert set(listed) <= set(shown)
    assert [a.subject for a in selectors.activity_list(user=salesperson, sort="subject", status="open")] == [
        "A ours",
        "B unlinked",
    ]
    assert [a.subject for a in selectors.activity_list(user=salesperson, sort="-due", status="")] == [
        "B unlinked",
        "A ours",
        "C all ours",
    ]
    assert [a.subject for a in selectors.activity_list(user=salesperson, sort="-type", status="")] == [
        "A ours",
        "B unlinked",
        "C all ours",
    ]
    assert [a.subject for a in selectors.activity_list(user=salesperson, status="done")] == ["C all ours"]
    assert [a.subject for a in selectors.activity_list(user=salesperson, status="overdue")] == ["A ours"]
    # The agenda applies the same rule.
    agenda = selectors.my_agenda(user=salesperson, view="week", day=timezone.localdate() + dt.timedelta(days=2))
    assert "hidden" not in {a.subject for d in agenda.days for a in d.activities}
