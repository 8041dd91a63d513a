"""The interface speaks English, Dutch, German and Portuguese: these tests fail when it does not.

1. Every entry of every .po file is translated (all plural forms), not fuzzy, keeps its
   python-format placeholders, and is in the compiled .mo; every string marked in Python code
   is in every .po (so a forgotten `makemessages` shows up too).
2. Every screen rendered in nl/de/pt shows no English text node of the same screen unchanged,
   except record data and a short per-language list of words that really are the same.
3. Dates follow the locale.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext as pygettext
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import models

LANGUAGES = ["nl", "de", "pt"]
SOURCE = Path(settings.BASE_DIR) / "dealflow"
LOCALE = SOURCE / "locale"


# =============================================================================================
# 1. The catalogues
# =============================================================================================


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a PO string: {text!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader: msgctxt, msgid, msgid_plural, msgstr, msgstr[n], flags; skips obsolete."""
    entries: list[Entry] = []
    current: Entry | None = None
    has_msgid = False
    target: tuple[str, int] = ("msgid", 0)
    flags: set[str] = set()

    def start(lineno: int) -> Entry:
        nonlocal current, has_msgid, flags
        if current is not None:
            entries.append(current)
        current, has_msgid, flags = Entry(line=lineno, flags=flags), False, set()
        return current

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert current is not None, f"{path}:{lineno}: string outside an entry"
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, kind, (getattr(current, kind) or "") + _unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt" or (keyword == "msgid" and (current is None or has_msgid)):
            start(lineno)
        assert current is not None, f"{path}:{lineno}: {keyword} outside an entry"
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(current, keyword, _unquote(rest))
            has_msgid = has_msgid or keyword == "msgid"
            target = (keyword, 0)
        elif m := re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword):
            index = int(m.group(1) or 0)
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            raise AssertionError(f"{path}:{lineno}: unexpected {keyword!r}")
    if current is not None:
        entries.append(current)
    return entries


def _po(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


def _nplurals(entries: list[Entry]) -> int:
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None).msgstr[0]
    m = re.search(r"nplurals\s*=\s*(\d+)", header)
    assert m, "the header has no Plural-Forms"
    return int(m.group(1))


_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])")


def placeholders(text: str) -> list[str]:
    """The python-format placeholders of `text`, sorted; `%%` is not one."""
    found = []
    for m in _PLACEHOLDER.finditer(text):
        if m.group("conv") == "%":
            continue
        found.append(f"%({m.group('name')}){m.group('conv')}" if m.group("name") else f"%{m.group('conv')}")
    return sorted(found)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_po_header_is_usable(lang: str) -> None:
    entries = parse_po(_po(lang))
    header = next(e for e in entries if e.msgid == "")
    assert "fuzzy" not in header.flags, "a fuzzy header makes gettext ignore Plural-Forms"
    assert f"Language: {lang}\n" in header.msgstr[0]
    assert _nplurals(entries) >= 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated(lang: str) -> None:
    entries = parse_po(_po(lang))
    nplurals = _nplurals(entries)
    problems = []
    for e in entries:
        if e.msgid == "":
            continue
        where = f"line {e.line}: {e.msgid!r}"
        if "fuzzy" in e.flags:
            problems.append(f"{where} is fuzzy")
        forms = range(nplurals) if e.msgid_plural is not None else [0]
        for i in forms:
            if not e.msgstr.get(i, "").strip():
                problems.append(f"{where} has no translation" + (f" for plural form {i}" if e.msgid_plural else ""))
    assert not problems, f"{lang}: untranslated entries:\n" + "\n".join(problems)


_BRACED = re.compile(r"\{(\w*)\}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_kept(lang: str) -> None:
    """%(name)s for Python and {name} for the page's JavaScript must come through unchanged."""
    problems = []
    for e in parse_po(_po(lang)):
        if e.msgid == "":
            continue
        for i, text in e.msgstr.items():
            source = e.msgid if (i == 0 or e.msgid_plural is None) else e.msgid_plural
            if placeholders(text) != placeholders(source) or sorted(_BRACED.findall(text)) != sorted(
                _BRACED.findall(source)
            ):
                problems.append(f"line {e.line}: {source!r} -> {text!r}")
    assert not problems, f"{lang}: placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_is_current(lang: str) -> None:
    """compilemessages was run: the .mo gives every translation the .po has."""
    mo = _po(lang).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run manage.py compilemessages"
    with mo.open("rb") as fh:
        catalogue = pygettext.GNUTranslations(fh)
    stale = []
    for e in parse_po(_po(lang)):
        if e.msgid == "" or not e.msgstr.get(0) or "fuzzy" in e.flags:
            continue  # compilemessages leaves these out; the tests above report them
        if e.msgid_plural is not None:
            got = (
                catalogue.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
                if e.msgctxt
                else catalogue.ngettext(e.msgid, e.msgid_plural, 1)
            )
        else:
            got = catalogue.pgettext(e.msgctxt, e.msgid) if e.msgctxt else catalogue.gettext(e.msgid)
        if got != e.msgstr[0]:
            stale.append(e.msgid)
    assert not stale, f"{lang}: .mo is older than .po (run compilemessages) for: {stale[:10]}"


_GETTEXT_FUNCS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _literal(args: list[ast.expr], index: int) -> str | None:
    arg = args[index] if index < len(args) else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _marked_in_python() -> dict[tuple[str | None, str], str]:
    """(context, msgid) of every literal passed to a gettext function in the app's Python code."""
    found: dict[tuple[str | None, str], str] = {}
    for path in SOURCE.rglob("*.py"):
        rel = path.relative_to(SOURCE)
        if {"tests", "migrations"} & set(rel.parts) or rel.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in _GETTEXT_FUNCS:
                continue
            ctx_i, id_i, _plural_i = _GETTEXT_FUNCS[name]
            msgid = _literal(node.args, id_i)
            ctx = _literal(node.args, ctx_i) if ctx_i is not None else None
            if msgid is None or (ctx_i is not None and ctx is None):
                continue  # not a literal: nothing xgettext could extract either
            found[(ctx, msgid)] = f"{rel}:{node.lineno}"
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_python_string_is_in_the_catalogue(lang: str) -> None:
    """A string marked in code but missing from the .po means makemessages was not run."""
    known = {(e.msgctxt, e.msgid) for e in parse_po(_po(lang))}
    missing = [
        f"{where}: {msgid!r}" for (ctx, msgid), where in _marked_in_python().items() if (ctx, msgid) not in known
    ]
    assert not missing, f"{lang}: run `manage.py makemessages -l {lang}` and translate:\n" + "\n".join(sorted(missing))


def test_po_parser_reads_plurals_fuzzy_and_continuations(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: nl\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s a"\nmsgid_plural "%(n)s b"\nmsgstr[0] "%(n)s x"\nmsgstr[1] ""\n\n'
        'msgid ""\n"long "\n"text"\nmsgstr "lange "\n"tekst"\n\n'
        '#~ msgid "old"\n#~ msgstr "oud"\n',
        encoding="utf-8",
    )
    header, plural, long = parse_po(po)
    assert _nplurals([header, plural, long]) == 2
    assert plural.flags == {"fuzzy", "python-format"} and plural.msgid_plural == "%(n)s b"
    assert plural.msgstr == {0: "%(n)s x", 1: ""}
    assert (long.msgid, long.msgstr[0]) == ("long text", "lange tekst")
    assert placeholders("%(a)s and %d, 100%% sure") == ["%(a)s", "%d"]


# =============================================================================================
# 2. The screens
# =============================================================================================

# The same in every language: the product's name and each language's own name in the switcher.
ALLOWED_EVERYWHERE = {"Dealflow", "English", "Nederlands", "Deutsch", "Português"}

# Words that are genuinely the same in the target language. Keep this short and honest:
# anything added here is a string the test can no longer catch.
ALLOWED = {
    "nl": {
        "Status",
        "E-mail",
        "Website",
        "Team",
        "Teams",
        "Code",
        "Postcode",
        "Project",
        "1 project",
        "Open",
        "Score",
        "Details",
        "Document",
        "Agenda",
        "Week",
        "Filter",
        "Target",
        "Dashboard",
    },
    "de": {
        *("Status", "Website", "Name", "Team", "Teams", "Administrator", "Person", "Score", "Details", "Text"),
        *("Filter", "Phase", "Pipeline", "Dashboard", "Q1", "Q2", "Q3", "Q4"),
    },
    "pt": {"E-mail", "Agenda", "Total"},
}


class _VisibleText(HTMLParser):
    """Text nodes a user sees or hears, plus placeholder/title/aria-label/submit values."""

    ATTRS = ("placeholder", "title", "aria-label", "alt", "data-confirm")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self.lang: str | None = None
        self._hidden = 0

    def _add(self, text: str | None) -> None:
        text = " ".join((text or "").split())
        # The <title> joins parts with " · ": judge each part alone. Labels end in ":"; drop it.
        self.nodes.extend(part for part in (p.strip().removesuffix(":").strip() for p in text.split(" · ")) if part)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        for name in self.ATTRS:
            self._add(a.get(name))
        # A <button>'s value is sent, not shown (its text is); an <input type=submit>'s is shown.
        if tag == "input" and (a.get("type") or "").lower() in ("submit", "button", "reset"):
            self._add(a.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._add(data)


def visible_text(html: str) -> tuple[str | None, list[str]]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.lang, parser.nodes


def _record_values(*objects: Any) -> list[str]:
    """What the records themselves say: their names and every text field's value."""
    values: set[str] = set()
    for obj in objects:
        values.add(str(obj))
        for f in obj._meta.concrete_fields:
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices:
                value = getattr(obj, f.attname)
                if isinstance(value, str):
                    values.update(line.strip() for line in value.splitlines())
    return sorted((v for v in values if len(v) >= 2), key=len, reverse=True)


_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d(?:T[\d:.]+(?:[+-]\d\d:\d\d|Z)?)?")


def _is_data(node: str, data: list[str]) -> bool:
    """True if nothing but record data, digits and punctuation remain once the data is removed.
    (ISO dates count as numbers here; whether dates are localised is test_dates_follow_the_locale's
    and test_history_shows_translated_values's business.)"""
    for value in data:
        node = node.replace(value, " ")
    return not re.search(r"[^\W\d_]", _ISO_DATE.sub(" ", node))


@pytest.fixture
def records(salesperson: Any, admin_user: Any, team: Any) -> dict[str, Any]:
    from dealflow.relations import services
    from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory, PersonFactory, ProjectFactory

    # Fixed names, so no generated name happens to equal an interface word.
    for user, (first, last) in ((salesperson, ("Anna", "Jansen")), (admin_user, ("Rik", "Bosman"))):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    account_type = AccountTypeFactory(code="klant", name="Klant A", is_default=False)
    company = services.company_create(
        actor=salesperson,
        data={
            "name": "Acme Installaties BV",
            "account_type": account_type,
            "phone": "+31 20 123 4567",
            "email": "info@acme.example",
            "website": "https://acme.example",
            "visiting_street": "Dorpsstraat 1",
            "visiting_postcode": "1234 AB",
            "visiting_city": "Utrecht",
            "country": "NL",
            "category": "Groothandel",
            "note": "Belt liever na tienen.",
        },
    )
    company = services.company_update(
        actor=salesperson, company=company, data={"phone": "+31 20 765 4321"}, expected_version=company.version
    )
    person = PersonFactory(
        first_name="Piet", last_name="Vermeulen", company=company, position="Inkoper", email="piet@acme.example"
    )
    project = ProjectFactory(name="Magazijn Zuid", company=company, start_date=dt.date(2026, 12, 31))
    other = CompanyFactory(name="Bakkerij Smit", owner=salesperson)
    data = _record_values(salesperson, admin_user, team, account_type, company, person, project, other)
    return {"company": company, "person": person, "project": project, "account_type": account_type, "data": data}


def _user_pages(r: dict[str, Any]) -> list[str]:
    c, p, pr = r["company"].pk, r["person"].pk, r["project"].pk
    return [
        "/",
        "/companies/",
        "/companies/new/",
        f"/companies/{c}/",
        f"/companies/{c}/edit/",
        f"/companies/{c}/delete/",
        "/persons/",
        "/persons/new/",
        f"/persons/{p}/",
        f"/persons/{p}/edit/",
        f"/persons/{p}/delete/",
        "/projects/",
        "/projects/new/",
        f"/projects/{pr}/",
        f"/projects/{pr}/edit/",
        f"/projects/{pr}/delete/",
        "/settings/",
        "/password/",
        "/password/done/",
        "/reports/win-loss/",
    ]


def _admin_pages(r: dict[str, Any], salesperson: Any, team: Any) -> list[str]:
    return [
        "/admin/users/",
        "/admin/users/new/",
        f"/admin/users/{salesperson.pk}/",
        "/admin/teams/",
        "/admin/teams/new/",
        f"/admin/teams/{team.pk}/",
        "/admin/account-types/",
        "/admin/account-types/new/",
        f"/admin/account-types/{r['account_type'].pk}/",
    ]


def _render(client: Any, user: Any, lang: str, url: str) -> str:
    user.language = lang
    user.save(update_fields=["language"])
    response = client.get(url)
    assert response.status_code == 200, f"{url} [{lang}] answered {response.status_code}"
    return response.content.decode()


def _untranslated(en_html: str, html: str, lang: str, data: list[str]) -> list[str]:
    page_lang, nodes = visible_text(html)
    assert page_lang == lang, f'<html lang="{page_lang}"> on a {lang} page'
    _, en_nodes = visible_text(en_html)
    allowed = ALLOWED_EVERYWHERE | ALLOWED[lang]
    months = _month_words(lang)
    return sorted(
        {n for n in set(en_nodes) & set(nodes) if n not in allowed and not _is_data(months.sub(" ", n), data)}
    )


def _month_words(lang: str) -> re.Pattern[str]:
    """The month names and abbreviations Django's own locale gives `lang` ("Jan", "April"): where
    they equal the English ones (German "April 2026", Dutch "Jan") the page is still translated."""
    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override(lang):
        words = {date_format(dt.date(2000, m, 1), f) for m in range(1, 13) for f in ("M", "F", "N", "b", "E")}
    return re.compile(r"\b(?:%s)\b" % "|".join(sorted(map(re.escape, words), key=len, reverse=True)))


def _check_pages(client: Any, user: Any, urls: list[str], data: list[str]) -> None:
    client.force_login(user)
    problems = []
    for url in urls:
        en_html = _render(client, user, "en", url)
        assert visible_text(en_html)[0] == "en"
        for lang in LANGUAGES:
            left = _untranslated(en_html, _render(client, user, lang, url), lang, data)
            if left:
                problems.append(f"{url} [{lang}]: {left}")
    assert not problems, "English left on translated pages:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_user_pages_are_translated(client: Any, salesperson: Any, records: dict[str, Any]) -> None:
    _check_pages(client, salesperson, _user_pages(records), records["data"])


@pytest.mark.django_db
def test_admin_pages_are_translated(
    client: Any, admin_user: Any, salesperson: Any, team: Any, records: dict[str, Any]
) -> None:
    _check_pages(client, admin_user, _admin_pages(records, salesperson, team), records["data"])


@pytest.fixture
def funnel(records: dict[str, Any], salesperson: Any) -> dict[str, Any]:
    """A sale type with a sales guide, the lists salespeople choose from, and a company in the funnel."""
    from decimal import Decimal

    from dealflow.relations import services
    from dealflow.relations.tests.factories import AccountTypeFactory
    from dealflow.sales.models import GuideStep, Phase, UserDefinedField
    from dealflow.sales.tests.factories import (
        CloseReasonFactory,
        CompetitorFactory,
        GuideStepFactory,
        SaleFactory,
        StallReasonFactory,
        phases_of,
        pipeline_with_phases,
    )

    pipeline = pipeline_with_phases(
        [
            ("contact", "Eerste contact", Phase.Kind.INITIAL, 10),
            ("offerte", "Offerte verstuurd", Phase.Kind.REGULAR, 50),
            ("onderhandeling", "Onderhandeling", Phase.Kind.CLOSING, 100),
        ],
        code="projectverkoop",
        name="Projectverkoop",
    )
    phases = phases_of(pipeline)
    step = GuideStepFactory(
        phase=phases["contact"], text="Bel de inkoper", activity_type=GuideStep.ActivityType.CALL, days_after=2
    )
    lead_type = AccountTypeFactory(code="lead", name="Lead B", uses_lead_phases=True, pipeline=pipeline)
    in_funnel = services.company_create(actor=salesperson, data={"name": "Bouwbedrijf Kok", "account_type": lead_type})
    sale = SaleFactory(
        pipeline=pipeline,
        owner=salesperson,
        title="Warmtepompen Acme",
        company=records["company"],
        amount=Decimal("12500"),
    )
    reasons = [
        CloseReasonFactory(code="prijs", name="Prijs te hoog"),
        StallReasonFactory(name="Budget bevroren"),
        CompetitorFactory(name="Concurrent BV"),
    ]
    field = UserDefinedField.objects.create(entity="sale", code="regio", label="Regio", field_type="text", pinned=True)
    data = records["data"] + _record_values(
        pipeline, *phases.values(), step, lead_type, in_funnel, sale, *reasons, field
    )
    return {
        "pipeline": pipeline,
        "phase": phases["contact"],
        "company": in_funnel,
        "sale": sale,
        "field": field,
        "data": sorted(set(data), key=len, reverse=True),
    }


@pytest.mark.django_db
def test_funnel_pages_are_translated(client: Any, admin_user: Any, funnel: dict[str, Any]) -> None:
    sale, company = funnel["sale"].pk, funnel["company"].pk
    urls = [
        "/sales/",
        "/sales/new/",
        f"/sales/{sale}/",
        f"/sales/{sale}/move/",
        f"/sales/{sale}/close/?outcome=won",
        f"/sales/{sale}/close/?outcome=lost",
        f"/sales/{sale}/stall/",
        f"/sales/{sale}/delete/",
        f"/companies/{company}/",
        f"/companies/{company}/?tab=overview",
        "/admin/funnel/",
        "/admin/funnel/switch/",
        "/admin/sale-types/",
        "/admin/sale-types/new/",
        f"/admin/sale-types/{funnel['pipeline'].pk}/",
        f"/admin/phases/{funnel['phase'].pk}/guide/",
        "/admin/fields/",
        "/admin/fields/new/",
        f"/admin/fields/{funnel['field'].pk}/",
        "/admin/close-reasons/",
        "/admin/close-reasons/new/",
        "/admin/stall-reasons/",
        "/admin/competitors/",
    ]
    _check_pages(client, admin_user, urls, funnel["data"])


@pytest.fixture
def follow_up(funnel: dict[str, Any], admin_user: Any) -> dict[str, Any]:
    """What the follow-up screens show: activities (one overdue), a notification, a calendar
    address, a static and a dynamic selection and a favourite, all the administrator's."""
    from django.utils import timezone

    from dealflow.activities.models import CalendarFeed, Notification
    from dealflow.activities.tests.factories import ActivityFactory
    from dealflow.saved import services as saved

    sale, company = funnel["sale"], funnel["sale"].company
    activities = [
        ActivityFactory(subject="Offerte nabellen", owner=admin_user, company=company, sale=sale),
        ActivityFactory(
            subject="Bezoek magazijn",
            kind="meeting",
            owner=admin_user,
            company=company,
            starts_at=timezone.now() - dt.timedelta(hours=2),
        ),
    ]
    notice = Notification.objects.create(user=admin_user, activity=activities[0], message="Herinnering Acme")
    CalendarFeed.objects.create(user=admin_user, token=CalendarFeed.new_token())
    static = saved.selection_create(
        actor=admin_user, data={"name": "Bellen vandaag", "entity": "company", "kind": "static"}, members=[company.pk]
    )
    dynamic = saved.selection_create(
        actor=admin_user,
        data={"name": "Grote verkopen", "entity": "sale", "kind": "dynamic", "filters": {"q": "Acme"}},
    )
    saved.favourite_toggle(actor=admin_user, kind="company", target=company)
    data = funnel["data"] + _record_values(*activities, notice, static, dynamic) + ["Acme"]  # the filter's value
    return {
        **funnel,
        "activity": activities[0],
        "static": static,
        "dynamic": dynamic,
        "data": sorted(set(data), key=len, reverse=True),
    }


@pytest.mark.django_db
def test_follow_up_and_report_pages_are_translated(client: Any, admin_user: Any, follow_up: dict[str, Any]) -> None:
    activity, static, dynamic = follow_up["activity"].pk, follow_up["static"].pk, follow_up["dynamic"].pk
    urls = [
        "/",
        "/activities/",
        "/activities/?group=status&status=all",
        "/activities/new/",
        f"/activities/{activity}/",
        f"/activities/{activity}/delete/",
        "/agenda/",
        "/agenda/?view=week",
        "/notifications/",
        "/settings/",
        "/board/",
        "/search/?q=a",
        "/search/?q=Acme",
        "/selections/",
        "/selections/new/",
        f"/selections/{static}/",
        f"/selections/{static}/edit/",
        f"/selections/{static}/delete/",
        f"{follow_up['sale'].company.get_absolute_url()}?selection={static}&i=1",  # the call-list panel
        f"/selections/{dynamic}/",
        "/favourites/",
        f"/sales/{follow_up['sale'].pk}/",
        "/reports/funnel/",
        "/reports/pipeline/",
        "/reports/forecast/",
        "/reports/targets/",
    ]
    _check_pages(client, admin_user, urls, follow_up["data"])


@pytest.mark.django_db
def test_login_page_follows_the_browser_language(client: Any) -> None:
    en_html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert visible_text(en_html)[0] == "en"
    problems = []
    for lang in LANGUAGES:
        html = client.get("/login/", HTTP_ACCEPT_LANGUAGE=f"{lang},en;q=0.5").content.decode()
        left = _untranslated(en_html, html, lang, [])
        if left:
            problems.append(f"/login/ [{lang}]: {left}")
    assert not problems, "\n".join(problems)


def test_the_check_catches_an_untranslated_string() -> None:
    """Guard the guard: a plain English string on a Dutch page is reported, data is not."""
    en = '<html lang="en"><title>Companies · Dealflow</title><p>Export to Excel</p><p>Acme BV</p><p>12</p></html>'
    nl = '<html lang="nl"><title>Bedrijven · Dealflow</title><p>Export to Excel</p><p>Acme BV</p><p>12</p></html>'
    assert _untranslated(en, nl, "nl", ["Acme BV"]) == ["Export to Excel"]
    en_attr = '<html lang="en"><input placeholder="Search…"><input type="submit" value="Go"></html>'
    nl_attr = '<html lang="nl"><input placeholder="Search…"><input type="submit" value="Ga"></html>'
    assert _untranslated(en_attr, nl_attr, "nl", []) == ["Search…"]


@pytest.mark.django_db
def test_history_shows_translated_values(client: Any, salesperson: Any) -> None:
    from dealflow.relations import services
    from dealflow.relations.tests.factories import CompanyFactory

    company = CompanyFactory(name="Acme Installaties BV", owner=salesperson)
    project = services.project_create(
        actor=salesperson,
        data={"name": "Magazijn Zuid", "company": company, "status": "active", "start_date": dt.date(2026, 12, 31)},
    )
    client.force_login(salesperson)
    _, nodes = visible_text(_render(client, salesperson, "nl", f"/projects/{project.pk}/"))
    history = [n for n in nodes if n.startswith(": — →")]
    assert history, nodes
    assert not [n for n in history if re.search(r"\bactive\b|2026-12-31", n)], history


# =============================================================================================
# 3. Dates
# =============================================================================================

# What Django's locale formats make of 31 December 2026.
SHORT_DATE = {"en": "12/31/2026", "nl": "31-12-2026", "de": "31.12.2026", "pt": "31/12/2026"}
LONG_DATE = {"en": "Dec. 31, 2026", "nl": "31 december 2026", "de": "31. Dezember 2026", "pt": "31 de Dezembro de 2026"}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", *LANGUAGES])
def test_dates_follow_the_locale(client: Any, salesperson: Any, records: dict[str, Any], lang: str) -> None:
    client.force_login(salesperson)
    _, card = visible_text(_render(client, salesperson, lang, f"/projects/{records['project'].pk}/"))
    assert LONG_DATE[lang] in card
    _, listing = visible_text(_render(client, salesperson, lang, "/projects/"))
    assert SHORT_DATE[lang] in listing
    others = {v for k, v in SHORT_DATE.items() if v != SHORT_DATE[lang]}
    assert not others & set(listing)
