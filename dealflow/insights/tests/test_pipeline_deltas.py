"""The pipeline as of a past day, read from the trigger-kept daily deltas (insights.pipeline_deltas),
equals the direct count over the phase records that it replaced (`reference`, kept here), after
every kind of write — services, bulk creates, `QuerySet.update()`, deletes, the bulk loader —
for many days and time zones and for every kind of user; and the deltas the triggers keep equal
a fresh count of the records (in Python) and a rebuild."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner
from dealflow.core import datagen
from dealflow.insights import pipeline_deltas
from dealflow.insights.models import PipelineDelta
from dealflow.insights.pipeline_history import pipeline_by_phase
from dealflow.sales import services
from dealflow.sales.models import CloseReason, Outcome, Phase, PhaseRecord, Sale, SaleStatus, StallReason
from dealflow.sales.tests.factories import SaleFactory, StallReasonFactory, phases_of, pipeline_with_phases

from .funnel_data import at, build

pytestmark = pytest.mark.django_db
D = Decimal
CENT = Decimal("0.01")
UTC = dt.UTC
# West of UTC (local midnight is early in the UTC day), east (late in it), none, and far east
# (midnight is the UTC day before), so both corrections of pipeline_history run.
ZONES = ["Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "UTC", "Pacific/Kiritimati"]
# The funnel's days and their edges, days before any data, and both DST changes in Amsterdam.
DAYS = [
    dt.date(2020, 1, 1), dt.date(2024, 11, 30), dt.date(2024, 12, 1), dt.date(2024, 12, 4), dt.date(2024, 12, 5),
    dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3), dt.date(2025, 1, 5),
    dt.date(2025, 1, 7), dt.date(2025, 1, 8), dt.date(2025, 1, 10), dt.date(2025, 1, 11), dt.date(2025, 1, 12),
    dt.date(2025, 1, 17), dt.date(2025, 1, 18), dt.date(2025, 2, 1), dt.date(2025, 3, 29), dt.date(2025, 3, 30),
    dt.date(2025, 3, 31), dt.date(2025, 10, 25), dt.date(2025, 10, 26), dt.date(2025, 10, 27),
]  # fmt: skip
# After each write: days around the funnel's, the DST changes (and today and yesterday, always).
SOME_DAYS = [dt.date(2024, 11, 30), dt.date(2025, 1, 5), dt.date(2025, 1, 10), dt.date(2025, 1, 18),
             dt.date(2025, 3, 30), dt.date(2025, 10, 26)]  # fmt: skip


def reference(user: User, pipeline: Any, as_of: dt.date) -> dict[int, tuple[int, Decimal, Decimal]]:
    """The direct query over the phase records that the report ran before the deltas. (Its
    weighted sum divided by 100 in SQL, an integer division on SQLite for whole amounts; here
    the sum of value × probability is divided in Python.)"""
    moment = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
    records = PhaseRecord.objects.filter(
        Q(left_at__isnull=True) | Q(left_at__gte=moment), entered_at__lt=moment, status=SaleStatus.OPEN
    ).exclude(phase__kind=Phase.Kind.CLOSING)
    records = scope_by_owner(records, user, field="sale__owner")
    if pipeline is not None:
        records = records.filter(phase__pipeline=pipeline)
    groups = (
        records.order_by()
        .values("phase_id")
        .annotate(n=Count("*"), v=Sum("expected_value"), w=Sum(F("expected_value") * F("phase__probability")))
    )
    return {
        g["phase_id"]: (g["n"], D(g["v"] or 0).quantize(CENT), (D(g["w"] or 0) / 100).quantize(CENT)) for g in groups
    }


def reported(user: User, pipeline: Any, as_of: dt.date) -> dict[int, tuple[int, Decimal, Decimal]]:
    report = pipeline_by_phase(user, pipeline, as_of)
    return {r.phase.pk: (r.count, r.value, r.weighted) for r in report.rows if r.count}


def kept() -> dict[tuple[int, dt.date, int], tuple[int, int]]:
    """The trigger-kept deltas, without the rows that add up to nothing."""
    return {
        (d.owner_id, d.day, d.phase_id): (d.records, d.value_cents)
        for d in PipelineDelta.objects.all()
        if d.records or d.value_cents
    }


def counted() -> dict[tuple[int, dt.date, int], tuple[int, int]]:
    """The same deltas counted in Python from the records of the sales there are."""
    owners = dict(Sale.objects.values_list("id", "owner_id"))
    records: Counter[tuple[int, dt.date, int]] = Counter()
    cents: Counter[tuple[int, dt.date, int]] = Counter()
    for r in PhaseRecord.objects.all():
        if r.sale_id not in owners or r.status != SaleStatus.OPEN or (r.left_at and r.left_at < r.entered_at):
            continue
        value = int((r.expected_value * 100).to_integral_value(ROUND_HALF_UP))
        for moment, sign in ((r.entered_at, 1), (r.left_at, -1)):
            if moment is not None:
                key = (owners[r.sale_id], moment.astimezone(UTC).date(), r.phase_id)
                records[key] += sign
                cents[key] += sign * value
    return {k: (records[k], cents[k]) for k in records if records[k] or cents[k]}


def assert_same(users: list[User], pipelines: list[Any], days: list[dt.date], zones: list[str]) -> None:
    for zone in zones:
        with timezone.override(zone):
            today = timezone.localdate()
            for as_of in [*days, today, today - dt.timedelta(days=1)]:
                for user in users:
                    for pipeline in pipelines:
                        assert reported(user, pipeline, as_of) == reference(user, pipeline, as_of), (
                            zone, user.username, pipeline, as_of,
                        )  # fmt: skip
    assert kept() == counted()
    before = kept()
    pipeline_deltas.rebuild(connection)
    assert kept() == before


@pytest.fixture
def world(salesperson: User, teammate: User, manager: User, outsider: User, admin_user: User) -> dict[str, Any]:
    world = build(salesperson, outsider)
    world["users"] = [salesperson, teammate, manager, outsider, admin_user]
    world["pipelines"] = [world["pipeline"], None]
    # A second pipeline, with a sale of the teammate's, so "all pipelines" adds up more than one.
    other = pipeline_with_phases(code="other", name="Other")
    world["other"] = other
    sale: Any = SaleFactory(owner=teammate, pipeline=other, amount=D("1234.56"))
    PhaseRecord.objects.filter(sale=sale).update(entered_at=at(1, 6))
    return world


def check(world: dict[str, Any], days: list[dt.date] = SOME_DAYS, zones: list[str] = ZONES[:2]) -> None:
    assert_same(world["users"], world["pipelines"], days, zones)


def test_the_funnel_in_every_zone(world: dict[str, Any]) -> None:
    assert PipelineDelta.objects.exists()
    check(world, zones=ZONES)


def test_moves_closing_stalling_and_reopening(world: dict[str, Any], salesperson: User, teammate: User,
                                              outsider: User) -> None:  # fmt: skip
    s1, _s2, _s3, s4, s5, _s6 = world["sales"]
    pipeline = world["pipeline"]
    services.sale_move_to_phase(actor=salesperson, sale=s4, phase=world["proposal"])
    services.sale_close(
        actor=outsider, sale=s5, outcome=Outcome.LOST, close_reason=CloseReason.objects.get(code="budget")
    )
    fresh: Any = SaleFactory(owner=teammate, pipeline=pipeline, amount=D("333.33"))
    services.sale_move_to_phase(actor=teammate, sale=fresh, phase=world["qualified"])
    check(world)
    # Stalled, then reopened; a won sale reopened into the phase it closed from.
    reopen = timezone.localdate() + dt.timedelta(days=5)
    s4 = services.sale_stall(actor=salesperson, sale=Sale.objects.get(pk=s4.pk), reopen_date=reopen,
                             stall_reason=cast(StallReason, StallReasonFactory()))  # fmt: skip
    check(world)
    services.sale_reopen(actor=salesperson, sale=s4)
    services.sale_reopen(actor=salesperson, sale=Sale.objects.get(pk=s1.pk))
    check(world)
    # The expected value edited in the current phase (it moves with the stay, on the day it began).
    services.sale_record_phase_values(actor=teammate, sale=Sale.objects.get(pk=fresh.pk), expected_value=D("999.99"))
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=s4.pk), data={"amount": D("810.50")})
    check(world)
    # A sale moved to another pipeline starts over in its initial phase.
    services.sale_update(actor=teammate, sale=Sale.objects.get(pk=fresh.pk), data={"pipeline": world["other"]})
    check(world)


def test_owner_reassigned_by_the_service_and_by_update(world: dict[str, Any], salesperson: User, teammate: User,
                                                       outsider: User) -> None:  # fmt: skip
    s1, s2, s3, s4, s5, _s6 = world["sales"]
    services.sale_update(actor=salesperson, sale=Sale.objects.get(pk=s2.pk), data={"owner": teammate})
    check(world)
    Sale.objects.filter(pk__in=[s1.pk, s3.pk, s4.pk]).update(owner=outsider)
    check(world)
    Sale.objects.filter(pk=s5.pk).update(owner=salesperson)
    Sale.objects.filter(owner=outsider).update(owner=teammate)
    check(world)


def test_deleting_sales_in_either_order(world: dict[str, Any], salesperson: User) -> None:
    s1, s2, _s3, s4, _s5, _s6 = world["sales"]
    services.sale_delete(actor=salesperson, sale=Sale.objects.get(pk=s1.pk))
    check(world)
    # The sale before its records (raw SQL; foreign keys are checked at the commit, which this
    # savepoint never reaches): the sale's trigger takes its records off, and their own deletes
    # then find no sale. A sale that takes the id of the records' missing sale gets them.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM sales_sale WHERE id = %s", [s2.pk])
        assert kept() == counted()
        Sale.objects.filter(pk=s4.pk).update(id=s2.pk)
        assert kept() == counted()
        PhaseRecord.objects.filter(sale_id=s2.pk).delete()
        assert kept() == counted()
        transaction.set_rollback(True)
    PhaseRecord.objects.filter(sale_id=s4.pk).first().delete()  # type: ignore[union-attr]
    check(world)


def test_bulk_created_and_updated_records_around_midnight(world: dict[str, Any], salesperson: User,
                                                          teammate: User) -> None:  # fmt: skip
    s4, s5 = world["sales"][3], world["sales"][4]
    lead, qualified = world["lead"], world["qualified"]
    records = []
    for zone in ZONES:
        with timezone.override(zone):
            midnight = at(3, 30)  # the spring DST change in Amsterdam
            tick = dt.timedelta(microseconds=1)
            for entered, left in [
                (midnight - tick, midnight), (midnight, midnight + tick), (midnight - tick, None),
                (midnight + dt.timedelta(hours=3), midnight + dt.timedelta(hours=23)),
                (midnight, midnight - dt.timedelta(hours=1)),  # left before it entered: never counts
            ]:  # fmt: skip
                records.append(PhaseRecord(sale=s4, phase=qualified, entered_at=entered, left_at=left,
                                           expected_value=D("10.05")))  # fmt: skip
    records.append(PhaseRecord(sale=s5, phase=lead, entered_at=at(3, 29), left_at=at(3, 31),
                               expected_value=D("0.5"), status=SaleStatus.STALLED))  # fmt: skip
    PhaseRecord.objects.bulk_create(records)
    days = [*SOME_DAYS, dt.date(2025, 3, 28), dt.date(2025, 3, 29), dt.date(2025, 3, 31)]
    check(world, days, ZONES)
    # Each column the deltas depend on, changed by QuerySet.update().
    mine = PhaseRecord.objects.filter(sale=s4, entered_at__gte=at(3, 1))
    mine.filter(left_at__isnull=True).update(left_at=at(3, 31))
    mine.filter(expected_value=D("10.05")).update(expected_value=F("expected_value") + D("0.10"))
    mine.filter(left_at__gt=F("entered_at")).update(entered_at=F("entered_at") - dt.timedelta(hours=5))
    PhaseRecord.objects.filter(sale=s5, status=SaleStatus.STALLED).update(status=SaleStatus.OPEN)
    mine.filter(left_at__lt=F("entered_at")).update(left_at=None)
    check(world, days)
    mine.update(phase=lead)
    PhaseRecord.objects.filter(sale=s4, entered_at__gte=at(3, 1), left_at__isnull=False).update(sale=s5)
    SaleFactory(owner=teammate, pipeline=world["pipeline"], amount=D("5.55"))
    check(world, days)
    # Unrelated columns do not touch the deltas.
    count = PipelineDelta.objects.count()
    PhaseRecord.objects.update(score=3, recurring_value=D("1.00"))
    assert PipelineDelta.objects.count() == count
    check(world, days[-3:])


def test_a_flush_or_a_migration_leaves_the_deltas_true(world: dict[str, Any]) -> None:
    PipelineDelta.objects.create(owner_id=0, day=dt.date(2025, 1, 1), phase_id=0, records=-7, value_cents=5)
    pipeline_deltas.after_migrate(using=connection.alias)  # a flush: no plan
    assert kept() == counted()
    pipeline_deltas.before_migrate(using=connection.alias, plan=[("a migration", False)])
    if connection.vendor == "sqlite":  # the triggers step aside while migrations run
        assert pipeline_deltas.trigger_names(connection) == set()
    SaleFactory(owner=world["users"][0], pipeline=world["pipeline"], amount=D("7.00"))
    pipeline_deltas.after_migrate(using=connection.alias, plan=[("a migration", False)])
    assert pipeline_deltas.trigger_names(connection) == set(
        pipeline_deltas.SQLITE_TRIGGERS if connection.vendor == "sqlite" else pipeline_deltas.PG_TRIGGERS
    )
    assert kept() == counted()
    check(world, SOME_DAYS[:2], ZONES[:1])


def test_the_report_makes_no_more_queries_than_now(world: dict[str, Any], manager: User, client: Any,
                                                   django_assert_max_num_queries: Any) -> None:  # fmt: skip
    for user in (manager, world["users"][-1]):
        fresh = User.objects.get(pk=user.pk)  # nothing cached
        with django_assert_max_num_queries(3):  # the visible owners, the sums, the phases
            pipeline_by_phase(fresh, None, dt.date(2025, 1, 7))
    client.force_login(manager)
    url = reverse("insights:pipeline")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as now:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as past:
        response = client.get(url, {"pipeline": world["pipeline"].pk, "as_of": "2025-01-07"})
    assert response.status_code == 200 and "3,500.00" in response.content.decode()
    assert len(past.captured_queries) <= len(now.captured_queries)


def test_the_generated_data_set(db: Any) -> None:
    """The bulk loader drops the triggers and sums the days once at the end; they are back after it."""
    datagen.generate("small", seed=7, report=lambda line: None)
    assert kept() == counted() != {}
    assert pipeline_deltas.ensure_installed(connection) is False
    users = [User.objects.get(username=name) for name in ("gen-manager-1", "gen-sales-1")]
    sale = Sale.objects.filter(status=SaleStatus.OPEN).first()
    assert sale is not None
    phases = phases_of(sale.pipeline)
    target = next(p for p in phases.values() if p.pk != sale.phase_id and not p.is_closing)
    services.sale_move_to_phase(actor=users[0], sale=sale, phase=target)
    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in (0, 1, 2, 30, 200, 400, 800, 2000)]
    assert_same(users, [None, sale.pipeline], days, ZONES[:2])
