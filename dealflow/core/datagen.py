"""A seeded, bulk-loaded data set for `make bench` (`manage.py generate_data`).

Rows are made here as plain tuples and go in through raw SQL (dealflow.core.bulkload: executemany
on SQLite, COPY on PostgreSQL), never through the per-row services, but they follow the same
rules: phase records match each sale's status and phase (each one left when the next was
entered), closed sales sit in a closing phase with a fitting close reason and a closed date,
stalled sales have a reason and a future reopen date, and open activities include overdue ones.
The search index is dropped during the load and rebuilt once at the end.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from dealflow.accounts.models import Role, Team, User
from dealflow.activities.models import Activity, ActivityType
from dealflow.core.bulkload import Loader, Row, Table, day, ts
from dealflow.core.models import SiteSettings
from dealflow.relations.models import AccountType, Company, Person
from dealflow.sales.models import (
    CloseReason,
    Competitor,
    Outcome,
    Phase,
    PhaseRecord,
    Pipeline,
    Sale,
    SaleStatus,
    StallReason,
)

MARKER_TEAM = "Generated team 1"  # its presence says "this database holds a generated data set"
PASSWORD = "dealflow-bench"
CHUNK = 25_000  # sales per batch (with their phase records and activities); one transaction each on SQLite


@dataclass(frozen=True)
class Size:
    companies: int
    persons: int
    sales: int


SIZES = {
    "small": Size(companies=100, persons=300, sales=1_000),
    "medium": Size(companies=5_000, persons=15_000, sales=50_000),
    "large": Size(companies=100_000, persons=300_000, sales=1_000_000),
}
STATUS_WEIGHTS = [(SaleStatus.OPEN, 55), (SaleStatus.SOLD, 15), (SaleStatus.LOST, 22), (SaleStatus.STALLED, 8)]
WORDS = ["Alpha", "Beacon", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel",
         "Lumen", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quartz", "Riverside", "Summit", "Tundra", "Umbra",
         "Vertex", "Willow", "Xenon", "Yarrow", "Zenith"]  # fmt: skip
SUFFIXES = ["Installations", "Climate", "Services", "Logistics", "Foods", "Media", "Systems", "Works", "Partners"]
FIRST = ["Anna", "Bram", "Chloe", "Daan", "Eva", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Lena", "Milan", "Nora",
         "Otto", "Pia", "Ruben", "Sara", "Tim", "Vera", "Wout"]  # fmt: skip
LAST = ["Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Hendriks", "Dekker",
        "Brouwer", "Dijkstra", "Koster"]  # fmt: skip
CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen", "Antwerp", "Porto", "Berlin", "Hamburg"]
SUBJECTS = ["Call to qualify", "Send the proposal", "Follow up", "Demo meeting", "Check the budget", "Contract review"]
KINDS = [str(k) for k in (ActivityType.CALL, ActivityType.MEETING, ActivityType.TASK, ActivityType.EMAIL)]
RECURRING = [0, 0, 0, 50, 100, 250]
THREE_YEARS = 3 * 365 * 86400
OPEN, SOLD, LOST, STALLED = (str(s) for s in (SaleStatus.OPEN, SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.STALLED))

# The columns generate() fills, in the order of its tuples (the others get their defaults).
COMPANY = Table(Company, ["id", "created_at", "updated_at", "name", "owner_id", "account_type_id", "visiting_city",
                          "country", "phone", "email"])  # fmt: skip
PERSON = Table(Person, ["id", "created_at", "updated_at", "first_name", "last_name", "company_id", "owner_id", "email",
                        "company_name"])  # fmt: skip
SALE = Table(Sale, ["id", "created_at", "updated_at", "title", "company_id", "person_id", "owner_id", "pipeline_id",
                    "phase_id", "phase_entered_at", "status", "amount", "probability", "recurring_value", "score",
                    "sale_date", "close_reason_id", "closed_date", "competitor_id", "stall_reason_id",
                    "reopen_date", "company_name", "account_type_id"])  # fmt: skip
RECORD = Table(PhaseRecord, ["id", "sale_id", "phase_id", "entered_at", "left_at", "moved_by_id", "score",
                             "expected_value", "recurring_value", "status"])  # fmt: skip
ACTIVITY = Table(Activity, ["id", "kind", "subject", "starts_at", "done", "done_at", "owner_id", "company_id",
                            "person_id", "sale_id", "created_at", "updated_at", "links_share_owner"])  # fmt: skip
MODELS = (Company, Person, Sale, PhaseRecord, Activity)


def has_generated_data() -> bool:
    return Team.objects.filter(name=MARKER_TEAM).exists()


def funnel_setup() -> tuple[Pipeline, list[Phase]]:
    """The demo funnel when it is there, else the same set-up made here (one pipeline)."""
    from dealflow.sales import demo

    pipeline = Pipeline.objects.filter(code="leads").first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(code="leads", name="Lead funnel", order=10, days_to_stall=30)
        for index, (code, name, kind, probability) in enumerate(demo.PHASES):
            Phase.objects.create(
                pipeline=pipeline, code=code, name=name, kind=kind, probability=probability, order=(index + 1) * 10
            )
    for index, (code, name, outcome) in enumerate(demo.CLOSE_REASONS):
        CloseReason.objects.get_or_create(code=code, defaults={"name": name, "outcome": outcome, "order": index * 10})
    for index, name in enumerate(demo.STALL_REASONS):
        StallReason.objects.get_or_create(name=name, defaults={"order": index * 10})
    for index, name in enumerate(demo.COMPETITORS):
        Competitor.objects.get_or_create(name=name, defaults={"order": index * 10})
    customer = AccountType.objects.filter(code="customer").first()
    if customer is None:
        customer = AccountType.objects.create(code="customer", name="Customer", order=30)
    for order, (code, name) in enumerate((("lead", "Lead"), ("prospect", "Prospect")), start=1):
        AccountType.objects.get_or_create(code=code, defaults={"name": name, "order": order * 10})
        AccountType.objects.filter(code=code, pipeline__isnull=True).update(
            pipeline=pipeline, uses_lead_phases=True, won_account_type=customer
        )
    site = SiteSettings.load()
    if not site.funnel_enabled:
        site.funnel_enabled = True
        site.save()
    return pipeline, list(pipeline.phases.filter(is_active=True).order_by("order", "id"))


def _users(rng: random.Random) -> tuple[list[User], list[User]]:
    """20 users in 4 teams: each team has one manager (also a member) and four salespeople."""
    password = make_password(PASSWORD)
    managers, sellers = [], []
    for t in range(4):
        team = Team.objects.create(name=f"Generated team {t + 1}")
        manager = User(username=f"gen-manager-{t + 1}", first_name="Manager", last_name=str(t + 1),
                       role=Role.MANAGER, password=password)  # fmt: skip
        members = [User(username=f"gen-sales-{t * 4 + i + 1}", first_name=rng.choice(FIRST),
                        last_name=rng.choice(LAST), role=Role.SALESPERSON, password=password)
                   for i in range(4)]  # fmt: skip
        User.objects.bulk_create([manager, *members])
        created = list(User.objects.filter(username__in=[u.username for u in (manager, *members)]))
        team.members.add(*created)
        team.managers.add(*[u for u in created if u.role == Role.MANAGER])
        managers += [u for u in created if u.role == Role.MANAGER]
        sellers += [u for u in created if u.role == Role.SALESPERSON]
    return managers, sellers


@dataclass
class World:
    """What the sale rows are drawn from: ids, owners and the funnel."""

    rng: random.Random
    now: int  # seconds since the epoch (UTC)
    today: dt.date
    companies: int
    company_id0: int
    company_owner: list[int]
    company_names: list[str]  # each sale carries its company's name (relations.denorm)
    company_account_types: list[int | None]  # and its account type (relations.denorm)
    persons_of: list[list[int]]
    pipeline_id: int
    initial: list[tuple[int, int, int]]  # (id, probability, order) of the funnel's phases
    regular: list[tuple[int, int, int]]
    closing: tuple[int, int, int]
    reasons: dict[str, list[int]]  # fitting close reasons by status (sold/lost)
    stall_reasons: list[int]
    competitors: list[int]
    next_record: int
    next_activity: int


def generate(size: str, seed: int = 1, report: Callable[[str], None] = print) -> dict[str, int]:
    spec = SIZES[size]
    rng = random.Random(seed)
    now = int(timezone.now().timestamp())
    pipeline, phases = funnel_setup()
    loader = Loader(connection, report)
    with transaction.atomic():
        managers, sellers = _users(rng)
    owners = [u.pk for u in sellers] + [u.pk for u in managers]  # managers own a few too
    weights = [5] * len(sellers) + [1] * len(managers)
    company_owner = rng.choices(owners, weights, k=spec.companies)
    account_types: list[int | None] = [*AccountType.objects.filter(is_active=True).values_list("id", flat=True)]
    key = [(p.id, p.probability, p.order) for p in phases]
    kinds = [p.kind for p in phases]
    closing = next(k for k, kind in zip(key, kinds, strict=True) if kind == Phase.Kind.CLOSING)
    initial = [k for k, kind in zip(key, kinds, strict=True) if kind == Phase.Kind.INITIAL][:1] or key[:1]
    reasons = [r for r in CloseReason.objects.filter(is_active=True) if r.fits(Outcome.WON) or r.fits(Outcome.LOST)]
    counts = {"companies": 0, "persons": 0, "sales": 0, "phase_records": 0, "activities": 0}
    started = time.perf_counter()

    def load(table: Table, rows: list[Row], name: str) -> None:
        loader.insert(table, rows)
        counts[name] += len(rows)

    # On PostgreSQL the whole load is one transaction (a failure leaves nothing behind); SQLite
    # commits each batch so its write-ahead log stays small.
    whole = transaction.atomic() if not loader.sqlite else _Nothing()
    with whole, loader.bulk_mode([t.name for t in (COMPANY, PERSON, SALE, RECORD, ACTIVITY)]):
        company_id0 = loader.next_id(Company)
        company_names: list[str] = []  # each person carries its company's name (relations.denorm)
        company_account_types: list[int | None] = []  # each sale its company's account type
        for first in range(0, spec.companies, CHUNK):
            company_rows = _company_rows(rng, now, company_id0, company_owner, account_types or [None], first,
                                         min(spec.companies, first + CHUNK))  # fmt: skip
            company_names += [row[3] for row in company_rows]
            company_account_types += [row[5] for row in company_rows]
            with transaction.atomic():
                load(COMPANY, company_rows, "companies")
        report(f"companies: {counts['companies']}")
        person_id0 = loader.next_id(Person)
        person_company = [rng.randrange(spec.companies) for _ in range(spec.persons)]
        persons_of: list[list[int]] = [[] for _ in range(spec.companies)]
        for index, c in enumerate(person_company):
            persons_of[c].append(person_id0 + index)
        for first in range(0, spec.persons, CHUNK * 2):
            with transaction.atomic():
                load(PERSON, _person_rows(rng, now, person_id0, company_id0, company_owner, company_names,
                                          person_company, first, min(spec.persons, first + CHUNK * 2)),
                     "persons")  # fmt: skip
        report(f"persons: {counts['persons']}")
        world = World(
            rng=rng, now=now, today=timezone.localdate(), companies=spec.companies, company_id0=company_id0,
            company_owner=company_owner, company_names=company_names,
            company_account_types=company_account_types, persons_of=persons_of,
            pipeline_id=pipeline.pk, initial=initial,
            regular=[k for k, kind in zip(key, kinds, strict=True) if kind == Phase.Kind.REGULAR], closing=closing,
            reasons={SOLD: [r.pk for r in reasons if r.fits(Outcome.WON)],
                     LOST: [r.pk for r in reasons if r.fits(Outcome.LOST)]},
            stall_reasons=list(StallReason.objects.filter(is_active=True).values_list("id", flat=True)),
            competitors=list(Competitor.objects.filter(is_active=True).values_list("id", flat=True)),
            next_record=loader.next_id(PhaseRecord), next_activity=loader.next_id(Activity),
        )  # fmt: skip
        sale_id0 = loader.next_id(Sale)
        for first in range(0, spec.sales, CHUNK):
            sales, records, activities = _sale_rows(world, sale_id0, first, min(spec.sales, first + CHUNK))
            with transaction.atomic():
                load(SALE, sales, "sales")
                load(RECORD, records, "phase_records")
                load(ACTIVITY, activities, "activities")
            if counts["sales"] % (CHUNK * 8) == 0 or counts["sales"] == spec.sales:
                rows = sum(counts.values())
                report(f"sales: {counts['sales']} ({rows / (time.perf_counter() - started):,.0f} rows/s so far)")
    loader.finish(MODELS)
    return counts


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _company_rows(rng: random.Random, now: int, id0: int, owner: list[int], account_types: list[int | None],
                  first: int, stop: int) -> list[Row]:  # fmt: skip
    rows = []
    for i in range(first, stop):
        stamp = ts(now - rng.randrange(THREE_YEARS))
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)} {i + 1}"
        rows.append((id0 + i, stamp, stamp, name, owner[i], rng.choice(account_types), rng.choice(CITIES), "NL",
                     f"+31 20 {rng.randrange(1000000, 9999999)}", f"info{i + 1}@example.com"))  # fmt: skip
    return rows


def _person_rows(rng: random.Random, now: int, id0: int, company_id0: int, owner: list[int], names: list[str],
                 company: list[int], first: int, stop: int) -> list[Row]:  # fmt: skip
    rows = []
    for i in range(first, stop):
        stamp = ts(now - rng.randrange(THREE_YEARS))
        given, family, c = rng.choice(FIRST), rng.choice(LAST), company[i]
        rows.append((id0 + i, stamp, stamp, given, family, company_id0 + c, owner[c],
                     f"{given.lower()}.{family.lower()}{i + 1}@example.com", names[c]))  # fmt: skip
    return rows


def _sale_rows(w: World, sale_id0: int, first: int, stop: int) -> tuple[list[Row], list[Row], list[Row]]:
    """Sales first..stop-1 with their phase records (a chain: each left when the next was entered,
    the last one open and carrying the sale's status) and 1-5 activities each."""
    rng, now, tz = w.rng, w.now, timezone.get_current_timezone()
    open_path = w.initial + w.regular  # an open sale in regular[k] went through initial, regular[0..k]
    sales: list[Row] = []
    records: list[Row] = []
    activities: list[Row] = []
    rid, aid = w.next_record, w.next_activity
    for i in range(first, stop):
        sale_id = sale_id0 + i
        c = min(w.companies - 1, int(w.companies * rng.random() ** 2.5))  # skewed: few big accounts
        owner, company_id, people = w.company_owner[c], w.company_id0 + c, w.persons_of[c]
        person = rng.choice(people) if people and rng.random() < 0.7 else None
        r = rng.random()  # 55 % open, 15 % sold, 22 % lost, 8 % stalled (STATUS_WEIGHTS)
        status = OPEN if r < 0.55 else SOLD if r < 0.70 else LOST if r < 0.92 else STALLED
        created = now - rng.randrange(THREE_YEARS)
        if status in (SOLD, LOST):
            between = rng.sample(w.regular, rng.randint(0, min(2, len(w.regular))))
            path = [*w.initial, *sorted(between, key=lambda p: p[2]), w.closing]
        else:
            path = open_path[: rng.randint(1, len(open_path))]
        span = max(60, now - created)
        entered = [created, *sorted(created + rng.randrange(span) for _ in range(len(path) - 1))]
        amount, recurring = rng.randrange(500, 250_000), rng.choice(RECURRING)
        score = rng.randint(1, 100) if rng.random() < 0.6 else None
        sale_date: str | None = day(created + rng.randint(14, 240) * 86400)
        probability = path[-1][1]
        close_reason = closed_date = competitor = stall_reason = reopen_date = None
        if status in (SOLD, LOST):
            close_reason = rng.choice(w.reasons[status])
            closed_date = sale_date = dt.datetime.fromtimestamp(entered[-1], tz).date().isoformat()
            probability = 100 if status == SOLD else 0
            if status == LOST and w.competitors and rng.random() < 0.4:
                competitor = rng.choice(w.competitors)
        elif status == STALLED:
            stall_reason = rng.choice(w.stall_reasons)
            reopen_date = (w.today + dt.timedelta(days=rng.randint(1, 120))).isoformat()
        last_move = ts(entered[-1])
        sales.append((sale_id, ts(created), last_move, f"{rng.choice(SUFFIXES)} deal {i + 1}", company_id, person,
                      owner, w.pipeline_id, path[-1][0], last_move, status, amount, probability, recurring, score,
                      sale_date, close_reason, closed_date, competitor, stall_reason, reopen_date,
                      w.company_names[c], w.company_account_types[c]))  # fmt: skip
        last = len(path) - 1
        for k, phase in enumerate(path):
            records.append((rid, sale_id, phase[0], ts(entered[k]), None if k == last else ts(entered[k + 1]), owner,
                            score, amount, recurring, status if k == last else OPEN))  # fmt: skip
            rid += 1
        for _a in range(rng.randint(1, 5)):
            # Past ones mostly done (the rest overdue), a share of an open sale's planned ahead.
            if status in (OPEN, STALLED) and rng.random() < 0.4:
                starts, done = now + rng.randrange(3600, 60 * 86400), False
            else:
                starts, done = created + rng.randrange(span), rng.random() < 0.85
            stamp = ts(starts)
            # links_share_owner: the sale, its company and person all have the company's owner, as has the activity
            activities.append((aid, rng.choice(KINDS), rng.choice(SUBJECTS), stamp, int(done), stamp if done else None,
                               owner, company_id, person, sale_id, ts(created), ts(created), 1))  # fmt: skip
            aid += 1
    w.next_record, w.next_activity = rid, aid
    return sales, records, activities
