"""The top bar of every signed-in page, built in Python: in the template engine it cost about
3 ms of every page (some forty links, labels and translations). The menus are the same for
every page in a language, so they are built once per language, URL prefix, funnel switch and
role; the favourites, the unread count, the language switcher's return path, the search text,
the user's name and the CSRF token are filled in on every page."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info, ngettext
from django.utils.translation import gettext as _

from dealflow.core.html import e
from dealflow.saved import selectors as saved


def _link(url_name: str, label: str, extra: str = "") -> str:
    return f'<li><a href="{e(reverse(url_name))}"{extra}>{e(label)}</a></li>'


def _new_link(url_name: str, label: str, keys: str, title: str) -> str:
    shortcut = f' data-shortcut="{keys}" aria-keyshortcuts="{keys.upper()}" title="{e(title)}"'
    return _link(url_name, label, shortcut)


def _menu(summary: str, links: list[str]) -> str:
    items = "\n".join(links)
    return f'<li><details class="menu"><summary>{e(summary)}</summary>\n<ul>\n{items}\n</ul>\n</details></li>'


@lru_cache(maxsize=64)
def _nav(language: str | None, prefix: str, funnel_on: bool, is_admin: bool) -> str:
    """The main menu for one language, URL prefix, funnel switch and role."""
    items = [
        _link("relations:company_list", _("Companies")),
        _link("relations:person_list", _("Persons")),
        _link("relations:project_list", _("Projects")),
    ]
    if funnel_on:
        items += [_link("sales:sale_list", _("Sales")), _link("sales:board", _("Board"))]
    items += [
        _link("activities:agenda", _("Agenda")),
        _link("activities:activity_list", _("Activities")),
        _link("saved:selection_list", _("Selections")),
    ]
    if funnel_on:
        items.append(_menu(_("Reports"), [
            _link("insights:win_loss", _("Win/loss")),
            _link("insights:funnel", _("Funnel")),
            _link("insights:pipeline", _("Pipeline by phase")),
            _link("insights:forecast", _("Forecast")),
            _link("insights:targets", _("Sales targets")),
        ]))  # fmt: skip
    new = [_new_link("sales:sale_create", _("+ Sale"), "n s", _("New sale (keys: n, then s)"))] if funnel_on else []
    new += [
        _new_link("activities:activity_create", _("+ Activity"), "n a", _("New activity (keys: n, then a)")),
        _link("relations:company_create", _("New company")),
        _link("relations:person_create", _("New person")),
    ]
    items.append(_menu(_("New"), new))
    if is_admin:
        items.append(_menu(_("Administration"), [
            _link("accounts:user_list", _("Users")),
            _link("accounts:team_list", _("Teams")),
            _link("relations:account_type_list", _("Account types")),
            _link("funnel:index" if funnel_on else "funnel:settings", _("Funnel set-up")),
        ]))  # fmt: skip
    brand, main = e(_("Dealflow")), e(_("Main"))
    return (
        f'<a class="brand" href="{e(reverse("home"))}">{brand}</a>\n'
        f'<nav aria-label="{main}">\n<ul>\n' + "\n".join(items) + "\n</ul>\n</nav>"
    )


@lru_cache(maxsize=16)
def _static_parts(language: str | None, prefix: str) -> dict[str, str]:
    """The pieces of the user box that only change with the language and the URL prefix."""
    return {
        "search_label": e(_("Search companies, persons and sales")),
        "search_action": e(reverse("search:results")),
        "search_placeholder": e(_("Search… (Ctrl+K)")),
        "suggest": e(reverse("search:suggest")),
        "results_label": e(_("Search results")),
        "search_css": e(static("search/search.css")),
        "search_js": e(static("search/search.js")),
        "saved_css": e(static("saved/saved.css")),
        "favourites": e(_("Favourites")),
        "no_favourites": e(_("No favourites yet: star a company, person or sale.")),
        "all_favourites_url": e(reverse("saved:favourites")),
        "all_favourites": e(_("All favourites")),
        "notifications_url": e(reverse("activities:notification_list")),
        "bell": e(static("dealflow/bell.svg")),
        "set_language": e(reverse("accounts:set_language")),
        "language": e(_("Language")),
        "change_language": e(_("Change language")),
        "settings_url": e(reverse("accounts:settings")),
        "logout_url": e(reverse("accounts:logout")),
        "log_out": e(_("Log out")),
    }


@lru_cache(maxsize=1)
def _language_names() -> tuple[tuple[str, str], ...]:
    """Each language under its own name, as the switcher offers them."""
    return tuple((code, e(capfirst(get_language_info(code)["name_local"]))) for code, _name in settings.LANGUAGES)


def favourites_menu_html(user: Any) -> str:
    """The favourites menu: the user's favourites by kind (companies, persons, sales)."""
    parts = _static_parts(get_language(), get_script_prefix())
    groups = []
    for _kind, label, favourites in saved.favourites_by_kind(user):
        targets: list[Any] = [f.target for f in favourites]
        links = "".join(f'<li><a href="{e(t.get_absolute_url())}">{e(t)}</a></li>' for t in targets)
        groups.append(f'<p class="menu-head">{e(label)}</p>\n<ul>{links}</ul>')
    body = "\n".join(groups) or f'<p class="empty">{parts["no_favourites"]}</p>'
    return (
        f'<link rel="stylesheet" href="{parts["saved_css"]}">\n<details class="favourites-menu">\n'
        f'<summary><span aria-hidden="true">★</span> {parts["favourites"]}</summary>\n'
        f'<div class="menu" role="group" aria-label="{parts["favourites"]}">\n{body}\n'
        f'<p><a href="{parts["all_favourites_url"]}">{parts["all_favourites"]}</a></p>\n</div>\n</details>'
    )


def _csrf_input(context: Any) -> str:
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(token)}">'


def language_switcher_html(context: Any) -> str:
    """The language switcher: back to this page in the chosen language (also on the login page)."""
    language = get_language()
    parts = _static_parts(language, get_script_prefix())
    options = "\n".join(
        f'<option value="{e(code)}"{" selected" if code == language else ""}>{name}</option>'
        for code, name in _language_names()
    )
    return (
        f'<form method="post" action="{parts["set_language"]}" class="inline langswitch">{_csrf_input(context)}\n'
        f'<input type="hidden" name="next" value="{e(context["request"].get_full_path())}">\n'
        f'<label for="language-switcher" class="sr-only">{parts["language"]}</label>\n'
        f'<select id="language-switcher" name="language" onchange="this.form.submit()">\n{options}\n</select>\n'
        f'<noscript><button type="submit">{parts["change_language"]}</button></noscript>\n</form>'
    )


def _search_box(parts: dict[str, str], search_q: str) -> str:
    return (
        f'<form role="search" class="global-search" method="get" action="{parts["search_action"]}" data-global-search-form>\n'
        f'<label for="global-search" class="sr-only">{parts["search_label"]}</label>\n'
        f'<input type="search" id="global-search" name="q" value="{e(search_q)}" maxlength="100" autocomplete="off" '
        f'placeholder="{parts["search_placeholder"]}" data-global-search role="combobox" aria-autocomplete="list" '
        f'aria-expanded="false" aria-controls="global-search-results" aria-keyshortcuts="Control+K Meta+K" '
        f'hx-get="{parts["suggest"]}" hx-trigger="input changed delay:200ms, search" '
        f'hx-target="#global-search-results" hx-swap="innerHTML" hx-sync="this:replace">\n'
        f'<div id="global-search-results" class="search-dropdown" role="listbox" '
        f'aria-label="{parts["results_label"]}" hidden></div>\n'
        f'<link rel="stylesheet" href="{parts["search_css"]}">\n<script src="{parts["search_js"]}" defer></script>\n'
        f"</form>"
    )


def unread_count(user: Any) -> int:
    """The user's unread notifications, for the bell (one indexed count)."""
    from dealflow.activities.models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def topbar_html(context: Any, funnel_on: bool) -> SafeString:
    """The <header> for the signed-in user of the page being rendered."""
    user = context["user"]
    language, prefix = get_language(), get_script_prefix()
    parts = _static_parts(language, prefix)
    unread = unread_count(user)
    unread_label = ngettext("Notifications: %(counter)s unread", "Notifications: %(counter)s unread", unread) % {
        "counter": unread
    }
    count = f' <span class="count">{unread}</span>' if unread else ""
    html = (
        f'<header class="topbar">\n{_nav(language, prefix, funnel_on, bool(user.is_admin))}\n<div class="userbox">\n'
        f"{_search_box(parts, context.get('search_q') or '')}\n{favourites_menu_html(user)}\n"
        f'<a href="{parts["notifications_url"]}" class="notifications" aria-label="{e(unread_label)}">'
        f'<img class="bell" src="{parts["bell"]}" alt="" width="18" height="18">{count}</a>\n'
        f"{language_switcher_html(context)}\n"
        f'<a href="{parts["settings_url"]}">{e(user)}</a>\n'
        f'<form method="post" action="{parts["logout_url"]}" class="inline">{_csrf_input(context)}\n'
        f'<button type="submit" class="link">{parts["log_out"]}</button>\n</form>\n</div>\n</header>'
    )
    return mark_safe(html)  # noqa: S308 - every value above is escaped
