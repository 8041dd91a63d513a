from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from dealflow.activities.models import Activity, Notification
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.tests.factories import GuideStepFactory, SaleFactory, phases_of, pipeline_with_phases

pytestmark = pytest.mark.django_db


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days, hours=hours)


@pytest.fixture
def anna(client: Any, salesperson: Any) -> Any:
    client.force_login(salesperson)
    return client


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="activity-row-\d+" class="([^"]*)"', html)


def test_anonymous_is_sent_to_login(client: Any) -> None:
    for path in ("/activities/", "/activities/new/", "/agenda/", "/notifications/"):
        assert client.get(path).status_code == 302


def test_list_partial_marks_overdue_rows_red(anna: Any, salesperson: Any) -> None:
    ActivityFactory(owner=salesperson, subject="Late call", starts_at=at(hours=-2))
    ActivityFactory(owner=salesperson, subject="Future call", starts_at=at(days=1))
    response = anna.get("/activities/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-results")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="list-results"')
    assert "<html" not in html
    classes = rows(html)
    assert classes[0].split() == ["activity-row", "overdue"] and "overdue" not in classes[1]
    assert html.count('<span class="overdue-mark">Overdue</span>') == 1
    overdue_only = anna.get("/activities/?status=overdue").content.decode()
    assert "Late call" in overdue_only and "Future call" not in overdue_only


def test_list_query_count_does_not_grow_with_rows(
    anna: Any, salesperson: Any, django_assert_max_num_queries: Any
) -> None:
    company = CompanyFactory(owner=salesperson)
    sale = SaleFactory(owner=salesperson, company=company)
    ActivityFactory(owner=salesperson, company=company, sale=sale)
    with django_assert_max_num_queries(16) as few:
        anna.get("/activities/")
    for _ in range(20):
        ActivityFactory(owner=salesperson, company=CompanyFactory(owner=salesperson), sale=sale)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = anna.get("/activities/")
    assert len(rows(response.content.decode())) == 21


def test_sales_and_company_lists_show_the_next_activity_with_a_flat_query_count(
    anna: Any, salesperson: Any, django_assert_max_num_queries: Any
) -> None:
    def add(n: int, overdue: bool) -> None:
        for _ in range(n):
            company = CompanyFactory(owner=salesperson)
            sale = SaleFactory(owner=salesperson, company=company)
            ActivityFactory(owner=salesperson, sale=sale, company=company, starts_at=at(hours=-1 if overdue else 5))

    add(1, True)
    counts = {}
    for path in ("/sales/", "/companies/"):
        with django_assert_max_num_queries(30) as q:
            html = anna.get(path).content.decode()
        counts[path] = len(q.captured_queries)
        assert "Next activity" in html and "next-activity overdue" in html and "Overdue" in html
    add(10, False)
    for path in ("/sales/", "/companies/"):
        with django_assert_max_num_queries(counts[path]):
            html = anna.get(path).content.decode()
        assert html.count('class="next-activity"') == 10
        assert html.count('class="next-activity overdue"') == 1


def test_create_from_a_sale_links_it_and_returns_to_the_card(anna: Any, salesperson: Any) -> None:
    company = CompanyFactory(owner=salesperson)
    sale = SaleFactory(owner=salesperson, company=company, title="Boiler")
    page = anna.get(f"/activities/new/?sale={sale.pk}&next=/sales/{sale.pk}/").content.decode()
    assert re.search(rf'name="sale" value="Boiler · [^"]+ \(#{sale.pk}\)"', page)
    response = anna.post(
        f"/activities/new/?sale={sale.pk}",
        {"kind": "call", "subject": "Call about boiler", "starts_at": "2030-01-02T10:00", "sale": sale.pk,
         "company": company.pk, "next": f"/sales/{sale.pk}/"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/sales/{sale.pk}/"
    activity = Activity.objects.get()
    assert activity.sale == sale and activity.company == company and activity.owner == salesperson


def test_bad_input_keeps_the_form_with_clear_messages(anna: Any) -> None:
    html = anna.post("/activities/new/", {"kind": "call", "subject": ""}).content.decode()
    assert "This field is required." in html
    html = anna.post(
        "/activities/new/",
        {"kind": "call", "subject": "x", "starts_at": "2030-01-02T10:00", "ends_at": "2030-01-02T09:00"},
    ).content.decode()
    assert "The end cannot be before the start." in html
    assert not Activity.objects.exists()


def test_a_foreign_sale_is_not_prefilled_and_a_foreign_activity_is_404(
    client: Any, outsider: Any, salesperson: Any
) -> None:
    sale = SaleFactory(owner=salesperson)
    activity = ActivityFactory(owner=salesperson)
    client.force_login(outsider)
    assert f"(#{sale.pk})" not in client.get(f"/activities/new/?sale={sale.pk}").content.decode()
    assert client.get(f"/activities/{activity.pk}/").status_code == 404
    assert client.post(f"/activities/{activity.pk}/done/").status_code == 404
    assert client.post(f"/activities/{activity.pk}/delete/").status_code == 404


def test_edit_done_undone_htmx_and_delete(anna: Any, salesperson: Any) -> None:
    activity = ActivityFactory(owner=salesperson, subject="Old", starts_at=at(hours=-1))
    html = anna.post(f"/activities/{activity.pk}/done/", {"done": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith(f'<tr id="activity-row-{activity.pk}" class="activity-row done"')
    assert "Overdue" not in html
    html = anna.post(
        f"/activities/{activity.pk}/done/", {"done": "0", "shape": "item"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert html.lstrip().startswith(f'<li id="activity-{activity.pk}"') and "overdue-mark" in html
    response = anna.post(
        f"/activities/{activity.pk}/",
        {"kind": "task", "subject": "New", "starts_at": "2030-01-02T10:00", "version": 3},
    )
    assert response.status_code == 302
    assert Activity.objects.get().subject == "New"
    assert "Delete the activity" in anna.get(f"/activities/{activity.pk}/delete/").content.decode()
    assert anna.post(f"/activities/{activity.pk}/delete/").status_code == 302
    assert not Activity.objects.exists()


def test_agenda_puts_overdue_on_top_in_red(anna: Any, salesperson: Any) -> None:
    ActivityFactory(owner=salesperson, subject="Missed call", starts_at=at(days=-1))
    ActivityFactory(owner=salesperson, subject="Later today", starts_at=at(hours=0.5))
    html = anna.get("/agenda/?view=week").content.decode()
    top = html.index("agenda-overdue")
    assert top < html.index("Missed call") < html.index("agenda-day")
    assert re.search(r'<li id="activity-\d+" class="activity-item overdue">', html)
    assert "overdue-mark" in html


def test_agenda_of_someone_else(client: Any, salesperson: Any, teammate: Any, manager: Any) -> None:
    ActivityFactory(owner=salesperson, subject="Call of Anna", starts_at=at(hours=-1))
    client.force_login(manager)
    html = client.get(f"/agenda/?user={salesperson.pk}").content.decode()
    assert "Call of Anna" in html and 'id="agenda-user"' in html
    client.force_login(teammate)
    assert client.get(f"/agenda/?user={salesperson.pk}").status_code == 404


def test_sale_card_has_activities_with_the_next_one_and_plans_guide_follow_ups(anna: Any, salesperson: Any) -> None:
    pipeline = pipeline_with_phases(name="Guided")
    sale = SaleFactory(owner=salesperson, pipeline=pipeline)
    GuideStepFactory(phase=phases_of(pipeline)["lead"], text="Intro call", days_after=1)
    ActivityFactory(owner=salesperson, sale=sale, subject="Missed", starts_at=at(hours=-1))
    ActivityFactory(owner=salesperson, sale=sale, subject="Later", starts_at=at(days=3))
    html = anna.get(f"/sales/{sale.pk}/").content.decode()
    assert 'id="activities"' in html and "Next activity" in html
    assert re.search(r'class="activity-item overdue next"', html)
    assert "Plan follow-ups" in html
    response = anna.post(f"/sales/{sale.pk}/plan-follow-ups/")
    assert response.status_code == 302
    assert Activity.objects.filter(sale=sale, subject="Intro call").count() == 1
    anna.post(f"/sales/{sale.pk}/plan-follow-ups/")
    assert Activity.objects.filter(sale=sale, subject="Intro call").count() == 1


def test_company_card_has_activities(anna: Any, salesperson: Any) -> None:
    company = CompanyFactory(owner=salesperson)
    ActivityFactory(owner=salesperson, company=company, subject="Visit them", starts_at=at(hours=-1))
    html = anna.get(f"/companies/{company.pk}/").content.decode()
    assert "Visit them" in html and "overdue-mark" in html
    assert f"/activities/new/?company={company.pk}" in html


def test_notifications_list_and_bell(anna: Any, salesperson: Any) -> None:
    note = Notification.objects.create(user=salesperson, message="Reminder: call")
    html = anna.get("/notifications/").content.decode()
    assert "Reminder: call" in html and "Notifications: 1 unread" in html
    anna.post("/notifications/read/", {"id": note.pk})
    assert Notification.objects.get().read_at is not None
    assert "Notifications: 0 unread" in anna.get("/notifications/").content.decode()


def test_shortcut_links(anna: Any) -> None:
    html = anna.get("/agenda/").content.decode()
    assert 'data-shortcut="n a"' in html


def test_activity_items_escape_and_carry_the_done_form_badges_and_links(anna: Any, salesperson: Any) -> None:
    """Items are built in Python (activities.item_html) on the cards and the agenda: values
    escaped, a working done toggle (CSRF token, where to come back), the next-activity badge,
    the overdue mark, and on the agenda the sale or company it belongs to."""
    acme = CompanyFactory(name="Smith & <Sons>", owner=salesperson)
    late = ActivityFactory(owner=salesperson, company=acme, subject="Call <back>", starts_at=at(hours=-2))
    soon = ActivityFactory(owner=salesperson, company=acme, subject='Visit "HQ"', starts_at=at(days=1))
    done = ActivityFactory(owner=salesperson, company=acme, subject="Sent", starts_at=at(days=-3), done=True)
    html = anna.get(f"/companies/{acme.pk}/").content.decode()

    def item(activity: Activity, page: str) -> str:
        found = re.search(rf'<li id="activity-{activity.pk}" class="[^"]*">.*?</li>', page, re.S)
        assert found, f"no item for {activity.subject}"
        return found.group(0)

    first = item(late, html)
    assert 'class="activity-item overdue next"' in first  # the earliest undone one is next
    assert "Call &lt;back&gt;" in first and "<back>" not in first
    assert '<span class="overdue-mark">Overdue</span>' in first and "next-badge" in first
    assert 'name="csrfmiddlewaretoken" value="' in first and '<input type="hidden" name="done" value="1">' in first
    assert f'<input type="hidden" name="next" value="/companies/{acme.pk}/">' in first
    assert f'hx-post="/activities/{late.pk}/done/"' in first and 'aria-pressed="false"' in first
    assert "Visit &quot;HQ&quot;" in item(soon, html) and "overdue" not in item(soon, html)
    sent = item(done, html)
    assert 'class="activity-item done"' in sent and 'aria-pressed="true"' in sent and "Mark not done" in sent
    assert re.search(r'class="next-line">Next activity: <span class="next-activity overdue">.*Call &lt;back&gt;', html)

    agenda = anna.get("/agenda/").content.decode()
    overdue = item(late, agenda)
    assert f'· <a href="/companies/{acme.pk}/">Smith &amp; &lt;Sons&gt;</a>' in overdue
    dutch = item(late, anna.get("/agenda/", HTTP_ACCEPT_LANGUAGE="nl").content.decode())
    assert '<span class="overdue-mark">Te laat</span>' in dutch and "Markeren als afgerond" in dutch
