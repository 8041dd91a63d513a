"""The activities list with the shared list toolkit: columns, grouping with counts, saved views
and bulk actions (change owner, mark done, export), all scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.audit.models import AuditEvent
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.saved import lists
from dealflow.saved.models import SavedView

pytestmark = pytest.mark.django_db

LIST = "/activities/"
BULK = reverse("saved:bulk", args=["activity"])


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days, hours=hours)


def test_grouped_by_type_with_a_count_per_group_and_chosen_columns(client: Any, salesperson: Any) -> None:
    for kind in ("call", "call", "meeting"):
        ActivityFactory(owner=salesperson, kind=kind)
    client.force_login(salesperson)
    html = client.get(LIST, {"group": "type", "cols": ["starts_at", "owner"]}).content.decode()
    assert html.count('class="group-head"') == 2
    assert "2 activities" in html and "1 activity<" in html and ">Call<" in html and ">Meeting<" in html
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert "Owner" in head and "Company" not in head and "Due" in head


def test_grouped_by_status_and_month(client: Any, salesperson: Any) -> None:
    ActivityFactory(owner=salesperson, starts_at=at(hours=-2), subject="Late")
    ActivityFactory(owner=salesperson, starts_at=at(days=2), subject="Soon")
    ActivityFactory(owner=salesperson, starts_at=at(days=2), subject="Finished", done=True)
    client.force_login(salesperson)
    html = client.get(LIST, {"group": "status", "status": "all"}).content.decode()
    titles = [t.split("<")[0] for t in html.split('<span class="group-title">')[1:]]
    assert sorted(titles) == ["Done", "Open", "Overdue"]
    totals = lists.group_totals(lists.ACTIVITY, Activity.objects.all(), "month")
    assert sum(t["count"] for t in totals.values()) == 3
    html = client.get(LIST, {"group": "month", "status": "all"}).content.decode()
    assert 'class="group-head"' in html and "No date" not in html


def test_query_count_stays_flat_as_rows_grow(client: Any, salesperson: Any, django_assert_max_num_queries: Any) -> None:
    def add(n: int) -> None:
        for k in range(n):
            firm = CompanyFactory(owner=salesperson, name=f"Firm {k}")
            ActivityFactory(owner=salesperson, company=firm, kind="call" if k % 2 else "task")

    add(2)
    client.force_login(salesperson)
    params = {"group": "type", "cols": ["starts_at", "kind", "company", "sale", "person", "owner", "done"]}
    # 15 today: whether the user sees every owner comes with the people they see (one query)
    with django_assert_max_num_queries(15) as few:
        client.get(LIST, params)
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(LIST, params).content.decode()
    assert html.count('class="activity-row') == 22


def test_save_a_view_and_reopen_it_as_the_default(client: Any, salesperson: Any) -> None:
    ActivityFactory(owner=salesperson)
    client.force_login(salesperson)
    response = client.post(
        reverse("saved:view_save", args=["activity"]),
        {"name": "By owner", "params": "group=owner&cols=kind&status=overdue&sort=-due", "is_default": "1"},
    )
    view = SavedView.objects.get()
    assert view.entity == "activity"
    assert view.config == {"columns": ["kind"], "filters": {"status": "overdue"}, "sort": "-due", "group_by": "owner"}
    assert f"view={view.pk}" in response["Location"]
    default = client.get(LIST)
    assert default.status_code == 302 and "group=owner" in default["Location"]
    html = client.get(default["Location"]).content.decode()
    assert f'href="?view={view.pk}" aria-current="true"' in html


def test_bulk_change_owner_goes_through_the_audited_service(client: Any, salesperson: Any, teammate: Any) -> None:
    a, b, c = (ActivityFactory(owner=salesperson) for _ in range(3))
    client.force_login(salesperson)
    before = AuditEvent.objects.filter(object_type="activity").count()
    client.post(BULK, {"action": "owner", "owner": teammate.pk, "ids": [a.pk, b.pk]})
    assert dict(Activity.objects.values_list("pk", "owner_id")) == {
        a.pk: teammate.pk, b.pk: teammate.pk, c.pk: salesperson.pk,
    }  # fmt: skip
    assert AuditEvent.objects.filter(object_type="activity").count() - before == 2


def test_bulk_mark_done_of_all_filtered_rows_respects_visibility(client: Any, salesperson: Any, outsider: Any) -> None:
    calls = [ActivityFactory(owner=salesperson, kind="call") for _ in range(2)]
    task = ActivityFactory(owner=salesperson, kind="task")
    theirs = ActivityFactory(owner=outsider, kind="call")
    client.force_login(salesperson)
    response = client.post(BULK, {"action": "done", "all": "1", "params": "kind=call", "ids": [theirs.pk]})
    assert response.status_code == 302 and "kind=call" in response["Location"]
    done = dict(Activity.objects.values_list("pk", "done"))
    assert [done[c.pk] for c in calls] == [True, True]
    assert (done[task.pk], done[theirs.pk]) == (False, False)
    assert AuditEvent.objects.filter(object_type="activity", action="done").count() == 2
    # Another team's activity by id changes nothing either.
    client.post(BULK, {"action": "done", "ids": [theirs.pk]})
    client.post(BULK, {"action": "owner", "owner": salesperson.pk, "ids": [theirs.pk]})
    theirs.refresh_from_db()
    assert (theirs.done, theirs.owner_id) == (False, outsider.pk)


def test_bulk_without_rows_or_with_a_foreign_owner_says_so_and_changes_nothing(
    client: Any, salesperson: Any, outsider: Any
) -> None:
    mine = ActivityFactory(owner=salesperson)
    client.force_login(salesperson)
    response = client.post(BULK, {"action": "done"}, follow=True)
    assert "Select at least one row" in response.content.decode()
    response = client.post(BULK, {"action": "owner", "owner": outsider.pk, "ids": [mine.pk]}, follow=True)
    assert "You cannot give records to this user." in response.content.decode()
    mine.refresh_from_db()
    assert (mine.done, mine.owner_id) == (False, salesperson.pk)


def test_bulk_export_of_checked_activities(client: Any, salesperson: Any) -> None:
    a = ActivityFactory(owner=salesperson, subject="Exported call")
    ActivityFactory(owner=salesperson, subject="Left out")
    client.force_login(salesperson)
    response = client.post(BULK, {"action": "export", "ids": [a.pk]})
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "Exported call" in body and "Left out" not in body


def test_list_offers_mark_done_but_not_add_to_selection(client: Any, salesperson: Any) -> None:
    ActivityFactory(owner=salesperson)
    client.force_login(salesperson)
    html = client.get(LIST).content.decode()
    assert '<option value="done">Mark done</option>' in html and 'value="selection"' not in html
    assert 'form="bulk-form"' in html and "Columns and grouping" in html


def test_agenda_query_count_stays_flat_as_rows_grow(
    client: Any, salesperson: Any, django_assert_max_num_queries: Any
) -> None:
    from dealflow.sales.tests.factories import SaleFactory

    def add(n: int) -> None:
        for k in range(n):
            firm = CompanyFactory(owner=salesperson, name=f"Firm {k}")
            sale = SaleFactory(owner=salesperson, company=firm)
            ActivityFactory(
                owner=salesperson, company=firm, sale=sale, starts_at=timezone.now() + dt.timedelta(hours=k)
            )
            ActivityFactory(owner=salesperson, company=firm, starts_at=timezone.now() - dt.timedelta(days=1 + k))

    add(1)
    client.force_login(salesperson)
    with django_assert_max_num_queries(13) as few:  # the people seen and whether that is everyone in one
        client.get("/agenda/", {"view": "week"})
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/agenda/", {"view": "week"}).content.decode()
    # The past ones at least (the overdue block); the coming ones may fall in next week.
    assert html.count('<li id="activity-') >= 11
