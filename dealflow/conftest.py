"""Fixtures every app's tests share: users in teams, an API client with a real token, and a
real Chromium driven by Playwright against the live server."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

# Playwright's sync API runs an event loop; Django's ORM refuses to run beside one unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    # A request activates its user's language on the thread; don't let it leak into the next test.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    # The hashed manifest needs collectstatic; tests should not depend on it having run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ALLOWED_HOSTS = ["*"]
    # A deliberately slow hasher only slows the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db: Any) -> Any:
    from dealflow.accounts.tests.factories import TeamFactory

    return TeamFactory(name="North")


@pytest.fixture
def other_team(db: Any) -> Any:
    from dealflow.accounts.tests.factories import TeamFactory

    return TeamFactory(name="South")


@pytest.fixture
def admin_user(db: Any) -> Any:
    from dealflow.accounts.models import Role
    from dealflow.accounts.tests.factories import UserFactory

    return UserFactory(username="root", role=Role.ADMIN)


@pytest.fixture
def salesperson(team: Any) -> Any:
    from dealflow.accounts.tests.factories import UserFactory

    user = UserFactory(username="anna")
    team.members.add(user)
    return user


@pytest.fixture
def teammate(team: Any) -> Any:
    from dealflow.accounts.tests.factories import UserFactory

    user = UserFactory(username="ben")
    team.members.add(user)
    return user


@pytest.fixture
def manager(team: Any) -> Any:
    from dealflow.accounts.models import Role
    from dealflow.accounts.tests.factories import UserFactory

    user = UserFactory(username="max", role=Role.MANAGER)
    team.managers.add(user)
    return user


@pytest.fixture
def outsider(other_team: Any) -> Any:
    """A salesperson in another team: must never see the first team's records."""
    from dealflow.accounts.tests.factories import UserFactory

    user = UserFactory(username="klara")
    other_team.members.add(user)
    return user


class ApiClient:
    """Real HTTP-shaped calls through Django's handler with a Bearer token."""

    def __init__(self, client: Any, token: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data: Any = None, **params: Any) -> Any:
        fn = getattr(self.client, method)
        if method in ("get", "delete"):
            return fn(path, data=params or data, **self.headers)
        return fn(path, data=data, content_type="application/json", **self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, data: Any) -> Any:
        return self._call("post", path, data)

    def patch(self, path: str, data: Any) -> Any:
        return self._call("patch", path, data)

    def delete(self, path: str, **params: Any) -> Any:
        if params:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(params)}"
        return self.client.delete(path, **self.headers)


@pytest.fixture
def api_for(client: Any) -> Any:
    """api_for(user) -> a client that calls the API as `user` with a fresh personal token."""
    from django.test import Client

    from dealflow.accounts.services import api_token_create

    def make(user: Any | None) -> ApiClient:
        if user is None:
            return ApiClient(Client(), None)
        _token, raw = api_token_create(user=user, name="test")
        return ApiClient(Client(), raw)

    return make


# --- browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Generator[None, pluggy.Result[Any], None]:
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def login(page: Any, username: str, password: str = "pw-Secret-123") -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
