"""Logging in and out, passwords, preferences, language, API tokens, and the admin screens for
users and teams; plus Django's deployment checks with production settings."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from dealflow.accounts.models import ApiToken, Role, Team, User
from dealflow.accounts.services import api_token_create
from dealflow.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from dealflow.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anna(client, salesperson):
    client.force_login(salesperson)
    return client


@pytest.fixture
def root(client, admin_user):
    client.force_login(admin_user)
    return client


def api_status(raw: str) -> int:
    return Client().get("/api/v1/companies", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


# --- log in, log out, password -----------------------------------------------------------


def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_login_and_logout(client, salesperson):
    response = client.post("/login/", {"username": "anna", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/companies/").status_code == 200

    assert client.get("/logout/").status_code == 405  # logging out is a POST, not a link
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/companies/").status_code == 302


def test_login_goes_to_next(client, salesperson):
    response = client.post("/login/?next=/persons/", {"username": "anna", "password": PASSWORD, "next": "/persons/"})
    assert response["Location"] == "/persons/"


def test_login_refuses_open_redirect(client, salesperson):
    response = client.post("/login/", {"username": "anna", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize(("username", "password"), [("anna", "wrong"), ("nobody", PASSWORD), ("", "")])
def test_login_with_wrong_credentials(client, salesperson, username, password):
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_log_in(client, salesperson):
    salesperson.is_active = False
    salesperson.save()
    response = client.post("/login/", {"username": "anna", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logged_in_user_is_sent_away_from_login(anna):
    assert anna.get("/login/").status_code == 302


def test_password_change(anna, salesperson):
    new = "An0ther-long-Passphrase"
    response = anna.post("/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response["Location"] == "/password/done/"
    assert anna.get("/companies/").status_code == 200  # still logged in
    salesperson.refresh_from_db()
    assert salesperson.check_password(new)
    assert not salesperson.check_password(PASSWORD)
    assert Client().login(username="anna", password=new)


@pytest.mark.parametrize(
    ("old", "new1", "new2"),
    [
        ("wrong", "An0ther-long-Passphrase", "An0ther-long-Passphrase"),
        (PASSWORD, "An0ther-long-Passphrase", "different-Passphrase-9"),
        (PASSWORD, "short", "short"),
        (PASSWORD, "password", "password"),
        (PASSWORD, "1234567890123", "1234567890123"),
    ],
)
def test_password_change_refused(anna, salesperson, old, new1, new2):
    response = anna.post("/password/", {"old_password": old, "new_password1": new1, "new_password2": new2})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    salesperson.refresh_from_db()
    assert salesperson.check_password(PASSWORD)


# --- preferences and language --------------------------------------------------------------


def test_preferences_are_saved(anna, salesperson):
    page = anna.get("/settings/")
    assert page.status_code == 200
    response = anna.post("/settings/", {"language": "de", "skip_completed_sales": "on"})
    assert response["Location"] == "/settings/"
    salesperson.refresh_from_db()
    assert salesperson.language == "de"
    assert salesperson.preference("skip_completed_sales") is True

    anna.post("/settings/", {"language": "", "skip_completed_sales": ""})
    salesperson.refresh_from_db()
    assert salesperson.language == ""
    assert salesperson.preference("skip_completed_sales") is False


def test_preferences_keep_other_keys(anna, salesperson):
    salesperson.preferences = {"columns": ["name"]}
    salesperson.save()
    anna.post("/settings/", {"language": "nl"})
    salesperson.refresh_from_db()
    assert salesperson.preferences == {"columns": ["name"], "skip_completed_sales": False}


def test_unknown_language_preference_is_refused(anna, salesperson):
    response = anna.post("/settings/", {"language": "xx"})
    assert response.status_code == 200
    salesperson.refresh_from_db()
    assert salesperson.language == ""


def test_users_language_is_used_for_pages(anna, salesperson):
    salesperson.language = "nl"
    salesperson.save()
    response = anna.get("/companies/", HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="nl">' in response.content.decode()
    assert response["Content-Language"] == "nl"


def test_browser_language_is_used_when_user_has_none(anna):
    response = anna.get("/companies/", HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9")
    assert '<html lang="pt">' in response.content.decode()


def test_language_switcher_sets_users_language(anna, salesperson):
    response = anna.post("/language/", {"language": "nl", "next": "/companies/?q=x"})
    assert response["Location"] == "/companies/?q=x"
    assert response.cookies["django_language"].value == "nl"
    salesperson.refresh_from_db()
    assert salesperson.language == "nl"
    assert '<html lang="nl">' in anna.get("/companies/").content.decode()

    anna.post("/language/", {"language": "de", "next": "/"})
    salesperson.refresh_from_db()
    assert salesperson.language == "de"


def test_language_switcher_is_post_only_and_safe(anna, salesperson):
    assert anna.get("/language/").status_code == 405
    response = anna.post("/language/", {"language": "klingon", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    salesperson.refresh_from_db()
    assert salesperson.language == "en"


def test_language_switcher_for_anonymous_uses_a_cookie(client):
    response = client.post("/language/", {"language": "de", "next": "/login/"})
    assert response["Location"] == "/login/"
    assert '<html lang="de">' in client.get("/login/").content.decode()


def test_language_switcher_is_on_every_page(anna):
    html = anna.get("/companies/").content.decode()
    assert 'id="language-switcher"' in html
    assert 'action="/language/"' in html


# --- API tokens ----------------------------------------------------------------------------


def test_token_is_shown_once_and_only_its_hash_is_stored(anna, salesperson):
    response = anna.post("/settings/tokens/", {"name": "Zapier"})
    assert response.status_code == 200
    html = response.content.decode()
    token = ApiToken.objects.get(user=salesperson)
    raw = html.split('id="raw-token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert raw.startswith("dft_") and len(raw) > 40
    assert token.name == "Zapier"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.hint == raw[:8]
    # The raw value is nowhere in the database ...
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        stored = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert raw not in stored
    assert not AuditEvent.objects.filter(changes__icontains=raw[8:]).exists()
    # ... nor on the settings page afterwards, which shows only its start.
    settings_page = anna.get("/settings/").content.decode()
    assert raw not in settings_page
    assert raw[:8] in settings_page
    # And it works.
    assert api_status(raw) == 200


def test_token_needs_a_name(anna, salesperson):
    response = anna.post("/settings/tokens/", {"name": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoke_token(anna, salesperson):
    token, raw = api_token_create(user=salesperson, name="script")
    response = anna.post(f"/settings/tokens/{token.pk}/revoke/")
    assert response["Location"] == "/settings/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_status(raw) == 401
    assert "Revoked" in anna.get("/settings/").content.decode()
    assert AuditEvent.objects.filter(object_type="apitoken", object_id=token.pk, message="revoked").exists()


def test_cannot_revoke_someone_elses_token(anna, teammate):
    token, raw = api_token_create(user=teammate, name="theirs")
    assert anna.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
    assert anna.get(f"/settings/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_status(raw) == 200


def test_settings_page_lists_only_own_tokens(anna, salesperson, teammate):
    api_token_create(user=salesperson, name="mine-token")
    api_token_create(user=teammate, name="their-token")
    html = anna.get("/settings/").content.decode()
    assert "mine-token" in html and "their-token" not in html


def test_api_token_command_prints_a_working_token(salesperson):
    out = StringIO()
    call_command("api_token", "anna", "--name", "cron", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("dft_")
    token = ApiToken.objects.get(user=salesperson)
    assert token.name == "cron"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert api_status(raw) == 200


def test_api_token_command_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("api_token", "nobody", stdout=StringIO())
    assert not ApiToken.objects.exists()


# --- administration of users and teams -----------------------------------------------------


def test_admin_creates_a_user_in_teams(root, admin_user, team):
    response = root.post(
        "/admin/users/new/",
        {
            "username": "dirk",
            "first_name": "Dirk",
            "last_name": "de Vries",
            "email": "dirk@example.com",
            "role": Role.MANAGER,
            "language": "nl",
            "is_active": "on",
            "password": "Str0ng-Passphrase-here",
            "teams": [team.pk],
        },
    )
    assert response["Location"] == "/admin/users/"
    dirk = User.objects.get(username="dirk")
    assert (dirk.role, dirk.language, dirk.is_active) == (Role.MANAGER, "nl", True)
    assert list(dirk.teams.all()) == [team]
    assert Client().login(username="dirk", password="Str0ng-Passphrase-here")
    assert AuditEvent.objects.filter(object_type="user", object_id=dirk.pk, action="create", actor=admin_user).exists()
    assert "dirk" in root.get("/admin/users/").content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": ""}, "password"),
        ({"password": "short"}, "password"),
        ({"username": "anna"}, "username"),
        ({"username": ""}, "username"),
        ({"email": "nope"}, "email"),
        ({"role": "god"}, "role"),
    ],
)
def test_admin_user_form_errors(root, salesperson, change, field):
    data = {"username": "dirk", "role": Role.SALESPERSON, "is_active": "on", "password": "Str0ng-Passphrase-here"}
    response = root.post("/admin/users/new/", {**data, **change})
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.filter(username="dirk").exists()


def test_admin_edits_a_user(root, admin_user, salesperson, team, other_team):
    form = root.get(f"/admin/users/{salesperson.pk}/").content.decode()
    assert 'value="anna"' in form
    response = root.post(
        f"/admin/users/{salesperson.pk}/",
        {
            "username": "anna",
            "first_name": salesperson.first_name,
            "last_name": salesperson.last_name,
            "email": salesperson.email,
            "role": Role.MANAGER,
            "language": "",
            "is_active": "on",
            "password": "",
            "teams": [other_team.pk],
        },
    )
    assert response["Location"] == "/admin/users/"
    salesperson.refresh_from_db()
    assert salesperson.role == Role.MANAGER
    assert list(salesperson.teams.all()) == [other_team]
    assert salesperson.check_password(PASSWORD)  # empty password field keeps the password
    [event] = AuditEvent.objects.filter(object_type="user", object_id=salesperson.pk, action="update")
    assert event.actor == admin_user
    assert event.changes == {"role": ["sales", "manager"]}


def test_admin_resets_a_password_and_deactivates(root, salesperson):
    response = root.post(
        f"/admin/users/{salesperson.pk}/",
        {"username": "anna", "role": Role.SALESPERSON, "password": "N3w-Passphrase-here"},
    )
    assert response.status_code == 302
    salesperson.refresh_from_db()
    assert salesperson.check_password("N3w-Passphrase-here")
    assert salesperson.is_active is False
    assert not Client().login(username="anna", password="N3w-Passphrase-here")


def test_admin_creates_and_edits_a_team(root, admin_user, salesperson, teammate, manager):
    response = root.post(
        "/admin/teams/new/", {"name": "East", "members": [salesperson.pk, teammate.pk], "managers": [manager.pk]}
    )
    assert response["Location"] == "/admin/teams/"
    east = Team.objects.get(name="East")
    assert set(east.members.all()) == {salesperson, teammate}
    assert list(east.managers.all()) == [manager]
    assert AuditEvent.objects.filter(object_type="team", object_id=east.pk, action="create").exists()
    listing = root.get("/admin/teams/").content.decode()
    assert "East" in listing and str(manager) in listing

    response = root.post(f"/admin/teams/{east.pk}/", {"name": "East 2", "members": [teammate.pk], "managers": []})
    assert response.status_code == 302
    east.refresh_from_db()
    assert east.name == "East 2"
    assert list(east.members.all()) == [teammate]
    assert not east.managers.exists()


def test_team_membership_drives_visibility(root, salesperson, outsider):
    from dealflow.relations.selectors import company_list
    from dealflow.relations.tests.factories import CompanyFactory

    CompanyFactory(owner=outsider, name="Klara Kozijnen")
    assert not company_list(user=User.objects.get(pk=salesperson.pk)).exists()
    team = TeamFactory(name="Joint")
    root.post(f"/admin/teams/{team.pk}/", {"name": "Joint", "members": [salesperson.pk, outsider.pk]})
    assert [c.name for c in company_list(user=User.objects.get(pk=salesperson.pk))] == ["Klara Kozijnen"]


def test_team_name_must_be_unique(root, team):
    response = root.post("/admin/teams/new/", {"name": team.name})
    assert response.status_code == 200
    assert Team.objects.filter(name=team.name).count() == 1


@pytest.mark.parametrize("url", ["/admin/users/", "/admin/teams/", "/admin/users/new/", "/admin/teams/new/"])
def test_user_and_team_screens_need_an_admin(client, salesperson, manager, url):
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for user in (salesperson, manager):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_admin_cannot_edit_unknown_user(root):
    assert root.get("/admin/users/999999/").status_code == 404
    assert root.get("/admin/teams/999999/").status_code == 404


def test_superuser_counts_as_admin(client):
    boss = UserFactory(username="boss", is_superuser=True)
    client.force_login(boss)
    assert client.get("/admin/users/").status_code == 200


# --- deployment ------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEALFLOW_HTTPS": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "ALLOWED_HOSTS": "crm.example.com",
        "DEALFLOW_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert len(env["SECRET_KEY"]) == 60
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output, output
