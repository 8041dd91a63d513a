"""The activity list's paginator (paging.py): the list sorted by owner read owner by owner, and a
search counted from its floor first. Both must give exactly the rows, order and count of the
plain queryset; and both must keep their shape (a few queries, index-only counts)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dealflow.accounts.tests.factories import UserFactory
from dealflow.activities import selectors
from dealflow.activities.paging import activity_paginator
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.activities.views import list_filters
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.tests.factories import SaleFactory
from dealflow.saved import lists

pytestmark = pytest.mark.django_db

STATUSES = ("all", "open", "done", "overdue")


def at(days: float = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def filters_of(**params: Any) -> dict[str, Any]:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query[key] = str(value)
    return list_filters(query)


def pages(user: Any, filters: dict[str, Any], per_page: int = 3) -> tuple[list[list[int]], list[int]]:
    """The list's pages through the paginator, and the plain queryset's rows in order."""
    qs = selectors.activity_list(user=user, **filters)
    paginator = activity_paginator(user, filters)(qs, per_page)
    return [[a.pk for a in paginator.page(n)] for n in paginator.page_range], [a.pk for a in qs]


@pytest.fixture
def owners(team: Any, salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    """Team members whose names are not in id order, with open and done activities at equal,
    missing and spread due times, one member without any, and rows the team may not see."""
    zoe, adam, carl = UserFactory(username="zoe"), UserFactory(username="adam"), UserFactory(username="carl")
    team.members.add(zoe, adam, carl)
    rng = random.Random(5)
    same = at(days=1)
    for owner, n in ((zoe, 7), (salesperson, 5), (adam, 4), (teammate, 6)):
        for k in range(n):
            starts = rng.choice([same, same, None, at(days=-3 - k), at(days=2 + k)])
            ActivityFactory(owner=owner, subject=f"Call {k}", starts_at=starts, done=rng.random() < 0.4)
    theirs = CompanyFactory(owner=outsider)
    ActivityFactory(owner=zoe, subject="Call hidden", company=theirs, starts_at=same)
    ActivityFactory(owner=adam, subject="Call hidden", sale=SaleFactory(owner=outsider), starts_at=None)
    ActivityFactory(owner=outsider, subject="Call hidden")
    return {"zoe": zoe, "adam": adam, "carl": carl}


@pytest.mark.parametrize("sort", ["owner", "-owner"])
@pytest.mark.parametrize("status", STATUSES)
def test_the_owner_sort_pages_are_the_plain_querysets_slices(
    owners: dict[str, Any], salesperson: Any, manager: Any, sort: str, status: str
) -> None:
    for user in (salesperson, manager):
        for extra in ({}, {"q": "call"}, {"owner": owners["zoe"].pk}, {"owner": owners["carl"].pk}):
            got, rows = pages(user, filters_of(sort=sort, status=status, **extra))
            assert [pk for page in got for pk in page] == rows
            assert all(len(page) == 3 for page in got[:-1])
    # the pages cross owners, and their order is the names' (not the ids')
    got, rows = pages(salesperson, filters_of(sort=sort, status="all"), per_page=4)
    from dealflow.activities.models import Activity

    names = [Activity.objects.select_related("owner").get(pk=pk).owner.username for pk in rows]
    assert names == sorted(names, reverse=sort == "-owner") and len(set(names)) == 4
    assert "hidden" not in {Activity.objects.get(pk=pk).subject for pk in rows}


def test_an_admin_sees_every_owner_in_name_order(owners: dict[str, Any], admin_user: Any) -> None:
    for status in STATUSES:
        got, rows = pages(admin_user, filters_of(sort="-owner", status=status), per_page=5)
        assert [pk for page in got for pk in page] == rows


def test_an_owner_sorted_page_reads_owner_by_owner_in_a_few_queries(
    owners: dict[str, Any], team: Any, salesperson: Any
) -> None:
    def queries_per_page() -> list[int]:
        salesperson.__dict__.pop("_visible_owner_ids", None)
        filters = filters_of(sort="owner", status="all")
        qs = selectors.activity_list(user=salesperson, **filters)
        paginator = activity_paginator(salesperson, filters)(qs, 3)
        assert paginator.count
        counts = []
        for n in paginator.page_range:
            with CaptureQueriesContext(connection) as captured:
                list(paginator.page(n))
            sqls = [q["sql"] for q in captured.captured_queries]
            # no query sorts the activities by their owners' names (that read and sorted them all)
            assert not any('ORDER BY "accounts_user"."username"' in sql for sql in sqls if "activities_" in sql)
            counts.append(len(sqls))
        return counts

    few = queries_per_page()
    assert max(few) <= 5  # the owners, the first owner's rows, the others' counts and rows, the rows
    for k in range(6):  # more owners, more rows: no more queries
        extra = UserFactory(username=f"bert{k}")
        team.members.add(extra)
        for _ in range(4):
            ActivityFactory(owner=extra, done=bool(k % 2))
    assert max(queries_per_page()) <= max(few)


@pytest.fixture
def cap(monkeypatch: Any) -> int:
    monkeypatch.setattr(lists, "COUNT_CAP", 5)
    return 5


def counted(user: Any, **params: Any) -> tuple[int, bool, list[str]]:
    filters = filters_of(**params)
    qs = selectors.activity_list(user=user, **filters)
    paginator = activity_paginator(user, filters)(qs, 25)
    with CaptureQueriesContext(connection) as captured:
        count, capped = paginator.count, paginator.capped
    return count, capped, [q["sql"] for q in captured.captured_queries]


# "bu" is too short for the search index: the floor checks it in the rows it reads
WORDS = ["budget", "bu"]


@pytest.mark.parametrize("word", WORDS)
def test_a_search_counted_from_its_floor_is_capped_without_counting_the_list(
    cap: int, salesperson: Any, teammate: Any, outsider: Any, word: str
) -> None:
    """(With someone outside the team: for a user who sees everyone PostgreSQL counts the list
    itself, see activity_count_floor.)"""
    for k in range(cap + 1):
        ActivityFactory(owner=teammate, subject=f"Budget check {k}")
    count, capped, sqls = counted(salesperson, q=word)
    assert (count, capped) == (cap, True)
    # the floor's count settled it: no count of the list itself (which checks the text)
    assert not any("COUNT(*)" in sql and '"text"' in sql for sql in sqls)


@pytest.mark.parametrize("word", WORDS)
def test_a_search_whose_floor_is_small_is_counted_exactly(
    cap: int, salesperson: Any, teammate: Any, outsider: Any, word: str
) -> None:
    ours, theirs = CompanyFactory(owner=teammate, name="Ours"), CompanyFactory(owner=outsider, name="Budget Ltd")
    for k in range(3):  # counted by the floor
        ActivityFactory(owner=salesperson, subject=f"Budget {k}")
    ActivityFactory(owner=salesperson, subject="Budget", company=ours)  # visible, links to a teammate's
    ActivityFactory(owner=salesperson, subject="Lunch", text="about the budget")  # by its text
    for k in range(10):  # hidden: linked to another team's company (whose name has the word too)
        ActivityFactory(owner=salesperson, subject=f"Budget {k}", company=theirs)
    ActivityFactory(owner=outsider, subject="Budget")
    assert counted(salesperson, q=word)[:2] == (5, False)
    ActivityFactory(owner=salesperson, subject="Call", text="Budget talk")
    assert counted(salesperson, q=word)[:2] == (5, True)
    assert counted(salesperson, q=f"{word} lunch")[:2] == (1, False)
    assert counted(salesperson, q="nothing")[:2] == (0, False)


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE activities_activity")
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # outside a transaction, so that VACUUM fills the visibility map index-only scans need;
        # with a few thousand rows reading the table is still the cheaper plan, so it is ruled out
        cursor.execute("VACUUM ANALYZE activities_activity")
        with transaction.atomic():
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())


def _last_sql(run: Any) -> str:
    with CaptureQueriesContext(connection) as captured:
        run()
    return captured.captured_queries[-1]["sql"]


@pytest.mark.django_db(transaction=True)
def test_the_search_counts_read_indexes_alone(salesperson: Any, teammate: Any, outsider: Any) -> None:
    """With enough rows (2,000, a third of them the salesperson's) for both planners to weigh the
    indexes as on the large set."""
    from dealflow.activities.models import Activity

    firm = CompanyFactory(owner=salesperson, name="Zenith Works")
    Activity.objects.bulk_create(
        Activity(
            owner=(salesperson, teammate, outsider)[k % 3],
            subject=("Call to qualify", "Demo meeting", "Follow up")[k % 7 % 3],
            company=firm if k % 5 == 0 else None,
            done=k % 4 == 0,
            starts_at=at(days=k % 50 - 25),
        )
        for k in range(2000)
    )
    # the floor reads the subject from its index, not from the rows (here: a word too short for
    # the search index, checked on each row the floor reads)
    floor = _last_sql(lambda: selectors.activity_count_floor(user=salesperson, cap=10, q="ca", status="open"))
    plan = _plan(floor)
    if connection.vendor == "sqlite":
        assert "COVERING INDEX activity_search_floor" in plan, plan
    else:
        assert "Index Only Scan using activity_search_floor" in plan, plan
    # ... and leaves the list's count to the narrower index, which reads the rows in a better order
    listed = selectors.activity_list(user=salesperson, q="ca", status="open")
    plan = _plan(_last_sql(lambda: listed.order_by()[: lists.COUNT_CAP + 1].count()))
    if connection.vendor == "sqlite":
        assert "activity_list_count" in plan, plan
    # a company's activities: the owner and the visibility rule's columns are in its index
    listed = selectors.activity_list(user=salesperson, company=firm.pk, status="open")
    plan = _plan(_last_sql(lambda: listed.order_by()[: lists.COUNT_CAP + 1].count()))
    if connection.vendor == "sqlite":
        assert "COVERING INDEX activity_by_company_due" in plan, plan
    else:  # either index that carries the company, the owner and the links will do
        scans = [line for line in plan.splitlines() if " on activities_activity" in line]
        assert scans and all("Index Only Scan using activity_" in line for line in scans), plan
