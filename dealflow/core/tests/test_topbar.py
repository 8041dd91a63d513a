"""The top bar built in Python (dealflow/core/topbar.py): its menus follow the role, the funnel
switch and the language; its user box shows the user's own favourites, unread count, name and
CSRF tokens, all escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealflow.activities.models import Notification
from dealflow.core.models import SiteSettings

pytestmark = pytest.mark.django_db


def header(client: Any, url: str = "/companies/") -> str:
    html = client.get(url).content.decode()
    return html[html.index('<header class="topbar">') : html.index("</header>")]


def links(html: str) -> dict[str, str]:
    """Each link's text and address."""
    return {text: href for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html)}


def test_a_salesperson_sees_the_funnel_menus_and_no_administration(client, salesperson):
    client.force_login(salesperson)
    bar = links(header(client))
    assert bar["Sales"] == "/sales/" and bar["Board"] == "/board/"
    assert bar["Win/loss"] == "/reports/win-loss/" and bar["Forecast"] == "/reports/forecast/"
    assert bar["+ Sale"] == "/sales/new/" and bar["New company"] == "/companies/new/"
    assert "Users" not in bar and "Funnel set-up" not in bar
    assert bar["Companies"] == "/companies/" and bar["Agenda"] == "/agenda/"


def test_an_administrator_sees_administration_and_the_switch_changes_the_menus(client, admin_user):
    client.force_login(admin_user)
    bar = links(header(client))
    assert bar["Users"] == "/admin/users/" and bar["Funnel set-up"] == "/admin/funnel/"

    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    bar = links(header(client))
    for hidden in ("Sales", "Board", "Win/loss", "Forecast", "+ Sale"):
        assert hidden not in bar
    assert bar["Funnel set-up"] == "/admin/funnel/switch/"
    assert bar["Companies"] == "/companies/" and bar["+ Activity"] == "/activities/new/"


def test_the_menus_follow_each_users_language(client, salesperson, teammate):
    salesperson.language = "nl"
    salesperson.save()
    teammate.language = "de"
    teammate.save()
    client.force_login(salesperson)
    dutch = links(header(client))
    client.force_login(teammate)
    german = links(header(client))
    client.force_login(salesperson)
    assert links(header(client)) == dutch
    assert dutch["Verkopen"] == "/sales/" and "Sales" not in dutch
    assert german["Verkäufe"] == "/sales/"


def test_the_unread_count_is_the_users_own(client, salesperson, teammate):
    client.force_login(salesperson)
    assert 'aria-label="Notifications: 0 unread"' in header(client)
    assert 'class="count"' not in header(client)
    for message in ("one", "two"):
        Notification.objects.create(user=salesperson, message=message)
    Notification.objects.create(user=salesperson, message="read", read_at="2026-01-01T00:00:00Z")
    Notification.objects.create(user=teammate, message="not mine")
    bar = header(client)
    assert 'aria-label="Notifications: 2 unread"' in bar and '<span class="count">2</span>' in bar


def test_names_searches_and_paths_are_escaped_and_both_forms_carry_the_csrf_token(client, salesperson):
    salesperson.first_name = "<b>Anna</b>"
    salesperson.save()
    client.force_login(salesperson)
    bar = header(client, '/search/?q="x<y')
    assert "<b>Anna" not in bar and "&lt;b&gt;Anna&lt;/b&gt;" in bar
    assert 'value="&quot;x&lt;y"' in bar
    assert 'name="next" value="/search/?q=%22x%3Cy"' in bar
    assert bar.count('name="csrfmiddlewaretoken"') == 2
    assert '<option value="en" selected>English</option>' in bar
    assert '<option value="nl">Nederlands</option>' in bar


def test_the_top_bar_reads_two_rows_without_favourites(client, salesperson):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/companies/")
    request.user = salesperson
    salesperson._visible_owner_ids = {salesperson.pk}
    bar = Template("{% load dealflow %}{% topbar %}")
    with CaptureQueriesContext(connection) as queries:
        html = bar.render(Context({"request": request, "user": salesperson, "funnel_on": True}))
    # The favourites and the unread count; the menus come from memory after the first page.
    assert len(queries.captured_queries) == 2
    assert "No favourites yet" in html


def test_the_login_page_offers_the_language_switcher(client):
    html = client.get("/login/?next=/sales/").content.decode()
    assert 'id="language-switcher"' in html and 'name="next" value="/login/?next=/sales/"' in html
    assert '<header class="topbar">' not in html
