"""A seeded, bulk-inserted data set for `make bench` (`manage.py generate_data`).

Rows go in with bulk_create in chunked transactions, never through the per-row services, but they
follow the same rules: phase records match each sale's status and phase, closed sales sit in a
closing phase with a fitting close reason and a closed date, stalled sales have a reason and a
future reopen date. The search index is kept current by the database triggers (dealflow.search).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from dealflow.accounts.models import Role, Team, User
from dealflow.activities.models import Activity, ActivityType
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
BATCH = 2000
CHUNK = 5000  # sales per transaction (with their phase records and activities)


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
WORDS = [
    "Alpha",
    "Beacon",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orchid",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Tundra",
    "Umbra",
    "Vertex",
    "Willow",
    "Xenon",
    "Yarrow",
    "Zenith",
]
SUFFIXES = ["Installations", "Climate", "Services", "Logistics", "Foods", "Media", "Systems", "Works", "Partners"]
FIRST = [
    "Anna",
    "Bram",
    "Chloe",
    "Daan",
    "Eva",
    "Finn",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Lena",
    "Milan",
    "Nora",
    "Otto",
    "Pia",
    "Ruben",
    "Sara",
    "Tim",
    "Vera",
    "Wout",
]
LAST = [
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Brouwer",
    "Dijkstra",
    "Koster",
]
CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen", "Antwerp", "Porto", "Berlin", "Hamburg"]
SUBJECTS = ["Call to qualify", "Send the proposal", "Follow up", "Demo meeting", "Check the budget", "Contract review"]


def has_generated_data() -> bool:
    return Team.objects.filter(name=MARKER_TEAM).exists()


@contextmanager
def keep_given_timestamps() -> Iterator[None]:
    """bulk_create would stamp created_at/updated_at with now; keep the generated dates instead."""
    fields = [
        f
        for model in (Company, Person, Sale, Activity)
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]


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


def _users(rng: random.Random, now: dt.datetime) -> tuple[list[User], list[User]]:
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


def _in_batches(make: Callable[[int], models.Model], total: int, model: type[models.Model]) -> list[int]:
    ids: list[int] = []
    for start in range(0, total, CHUNK):
        with transaction.atomic():
            objs = model._default_manager.bulk_create([make(i) for i in range(start, min(total, start + CHUNK))], BATCH)
        ids += [o.pk for o in objs]
    return ids


def _when(rng: random.Random, now: dt.datetime, days_back: int = 3 * 365) -> dt.datetime:
    return now - dt.timedelta(seconds=rng.randrange(days_back * 86400))


def generate(size: str, seed: int = 1, report: Callable[[str], None] = print) -> dict[str, int]:
    spec = SIZES[size]
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    pipeline, phases = funnel_setup()
    initial = [p for p in phases if p.kind == Phase.Kind.INITIAL][:1] or phases[:1]
    regular = [p for p in phases if p.kind == Phase.Kind.REGULAR]
    closing = next(p for p in phases if p.kind == Phase.Kind.CLOSING)
    open_path = initial + regular  # an open sale in regular[k] went through initial, regular[0..k]
    reasons = {
        o: [r for r in CloseReason.objects.filter(is_active=True) if r.fits(o)] for o in (Outcome.WON, Outcome.LOST)
    }
    stall_reasons = list(StallReason.objects.filter(is_active=True))
    competitors = list(Competitor.objects.filter(is_active=True))
    account_types: list[AccountType | None] = [*AccountType.objects.filter(is_active=True)] or [None]
    counts: dict[str, int] = {}

    with keep_given_timestamps():
        with transaction.atomic():
            managers, sellers = _users(rng, now)
        owners = [u.pk for u in sellers] + [u.pk for u in managers]  # managers own a few too
        weights = [5] * len(sellers) + [1] * len(managers)
        company_owner = rng.choices(owners, weights, k=spec.companies)

        def company(i: int) -> Company:
            stamp = _when(rng, now)
            return Company(
                name=f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)} {i + 1}",
                owner_id=company_owner[i], account_type=rng.choice(account_types),
                visiting_city=rng.choice(CITIES), country="NL", phone=f"+31 20 {rng.randrange(1000000, 9999999)}",
                email=f"info{i + 1}@example.com", created_at=stamp, updated_at=stamp,
            )  # fmt: skip

        company_ids = _in_batches(company, spec.companies, Company)
        counts["companies"] = len(company_ids)
        report(f"companies: {len(company_ids)}")

        person_company = [rng.randrange(spec.companies) for _ in range(spec.persons)]

        def person(i: int) -> Person:
            c = person_company[i]
            stamp = _when(rng, now)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            return Person(
                first_name=first, last_name=last, company_id=company_ids[c], owner_id=company_owner[c],
                email=f"{first.lower()}.{last.lower()}{i + 1}@example.com", created_at=stamp, updated_at=stamp,
            )  # fmt: skip

        person_ids = _in_batches(person, spec.persons, Person)
        counts["persons"] = len(person_ids)
        report(f"persons: {len(person_ids)}")
        persons_of: dict[int, list[int]] = {}
        for index, c in enumerate(person_company):
            persons_of.setdefault(c, []).append(person_ids[index])

        counts |= {"sales": 0, "phase_records": 0, "activities": 0}
        statuses = [s for s, _ in STATUS_WEIGHTS]
        status_w = [w for _, w in STATUS_WEIGHTS]
        for start in range(0, spec.sales, CHUNK):
            n = min(CHUNK, spec.sales - start)
            sales, paths = [], []
            for i in range(start, start + n):
                c = min(spec.companies - 1, int(spec.companies * rng.random() ** 2.5))  # skewed: few big accounts
                status = rng.choices(statuses, status_w)[0]
                created = _when(rng, now)
                amount = Decimal(rng.randrange(500, 250_000))
                if status in (SaleStatus.SOLD, SaleStatus.LOST):
                    path = initial + rng.sample(regular, rng.randint(0, min(2, len(regular))))
                    path = sorted(path, key=lambda p: p.order) + [closing]
                else:
                    path = open_path[: rng.randint(1, len(open_path))]
                span = max(60, int((now - created).total_seconds()))
                steps = sorted(rng.randrange(span) for _ in range(len(path) - 1))
                entered = [created] + [created + dt.timedelta(seconds=s) for s in steps]
                sale = Sale(
                    title=f"{rng.choice(SUFFIXES)} deal {i + 1}", company_id=company_ids[c],
                    person_id=rng.choice(persons_of[c]) if c in persons_of and rng.random() < 0.7 else None,
                    owner_id=company_owner[c], pipeline=pipeline, phase=path[-1], phase_entered_at=entered[-1],
                    status=status, amount=amount, probability=path[-1].probability,
                    recurring_value=Decimal(rng.choice([0, 0, 0, 50, 100, 250])),
                    score=rng.randint(1, 100) if rng.random() < 0.6 else None,
                    sale_date=(created + dt.timedelta(days=rng.randint(14, 240))).date(),
                    created_at=created, updated_at=entered[-1],
                )  # fmt: skip
                if status in (SaleStatus.SOLD, SaleStatus.LOST):
                    outcome = Outcome.WON if status == SaleStatus.SOLD else Outcome.LOST
                    sale.close_reason = rng.choice(reasons[outcome])
                    sale.closed_date = timezone.localtime(entered[-1]).date()
                    sale.sale_date = sale.closed_date
                    sale.probability = 100 if status == SaleStatus.SOLD else 0
                    if status == SaleStatus.LOST and competitors and rng.random() < 0.4:
                        sale.competitor = rng.choice(competitors)
                elif status == SaleStatus.STALLED:
                    sale.stall_reason = rng.choice(stall_reasons)
                    sale.reopen_date = today + dt.timedelta(days=rng.randint(1, 120))
                sales.append(sale)
                paths.append((path, entered))
            with transaction.atomic():
                Sale.objects.bulk_create(sales, BATCH)
                records, activities = [], []
                for sale, (path, entered) in zip(sales, paths, strict=True):
                    for k, phase in enumerate(path):
                        last = k == len(path) - 1
                        records.append(PhaseRecord(
                            sale_id=sale.pk, phase=phase, entered_at=entered[k],
                            left_at=None if last else entered[k + 1], moved_by_id=sale.owner_id, score=sale.score,
                            expected_value=sale.amount, recurring_value=sale.recurring_value,
                            status=sale.status if last else SaleStatus.OPEN,
                        ))  # fmt: skip
                    for _a in range(rng.randint(1, 5)):
                        activities.append(_activity(rng, sale, now))
                PhaseRecord.objects.bulk_create(records, BATCH)
                Activity.objects.bulk_create(activities, BATCH)
            counts["sales"] += n
            counts["phase_records"] += len(records)
            counts["activities"] += len(activities)
            if (start // CHUNK) % 20 == 0:
                report(f"sales: {counts['sales']}")
    return counts


def _activity(rng: random.Random, sale: Sale, now: dt.datetime) -> Activity:
    """Past ones mostly done, a share still open (overdue), the rest planned ahead."""
    created = sale.created_at
    if sale.status in (SaleStatus.OPEN, SaleStatus.STALLED) and rng.random() < 0.4:
        starts = now + dt.timedelta(minutes=rng.randrange(60, 60 * 24 * 60))
        done = False
    else:
        starts = created + dt.timedelta(seconds=rng.randrange(max(60, int((now - created).total_seconds()))))
        done = rng.random() < 0.85
    return Activity(
        kind=rng.choice([ActivityType.CALL, ActivityType.MEETING, ActivityType.TASK, ActivityType.EMAIL]),
        subject=rng.choice(SUBJECTS), starts_at=starts, done=done, done_at=starts if done else None,
        owner_id=sale.owner_id, company_id=sale.company_id, person_id=sale.person_id, sale_id=sale.pk,
        created_at=created, updated_at=created,
    )  # fmt: skip
