"""The generated data set (`manage.py generate_data`): the small size, loaded for real through the
raw bulk path, obeys the rules the app relies on and works in the app afterwards."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from dealflow.accounts.models import Role, Team, User
from dealflow.accounts.visibility import visible_owner_ids
from dealflow.activities.models import Activity
from dealflow.core import datagen
from dealflow.relations.models import Company, Person
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.models import CloseReason, Outcome, Phase, PhaseRecord, Sale, SaleStatus
from dealflow.sales.tests.test_month_totals import counted as counted_months
from dealflow.sales.tests.test_month_totals import kept as kept_months
from dealflow.sales.tests.test_totals import counted as counted_totals
from dealflow.sales.tests.test_totals import kept as kept_totals
from dealflow.search import schema
from dealflow.search.selectors import global_search

TABLES = [m._meta.db_table for m in datagen.MODELS]


def indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        else:
            cursor.execute("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'")
        return {(t, n) for t, n in cursor.fetchall() if t in TABLES}


def foreign_keys() -> set[tuple[str, str]]:
    if connection.vendor == "sqlite":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f'")
        return set(cursor.fetchall())


@pytest.fixture
def generated(db: Any) -> dict[str, Any]:
    before = indexes(), foreign_keys()
    lines: list[str] = []
    counts = datagen.generate("small", seed=7, report=lines.append)
    return {"counts": counts, "lines": lines, "before": before}


def test_small_size_counts_users_and_status_mix(generated: dict[str, Any]) -> None:
    counts = generated["counts"]
    spec = datagen.SIZES["small"]
    assert counts["companies"] == Company.objects.count() == spec.companies
    assert counts["persons"] == Person.objects.count() == spec.persons
    assert counts["sales"] == Sale.objects.count() == spec.sales
    assert counts["phase_records"] == PhaseRecord.objects.count()
    assert counts["activities"] == Activity.objects.count()
    assert 2.2 * spec.sales < counts["phase_records"] < 3.2 * spec.sales  # ~3M for the 1M of "large"
    assert 2.7 * spec.sales < counts["activities"] < 3.3 * spec.sales
    assert datagen.has_generated_data()
    assert any(line.startswith("search index:") for line in generated["lines"])

    teams = Team.objects.filter(name__startswith="Generated team")
    assert teams.count() == 4
    for team in teams:
        assert team.members.count() == 5
        assert [u.role for u in team.managers.all()] == [Role.MANAGER]
    assert User.objects.filter(username__startswith="gen-").count() == 20

    mix = Counter(Sale.objects.values_list("status", flat=True))
    for status, weight in datagen.STATUS_WEIGHTS:
        assert abs(mix[status] / spec.sales * 100 - weight) < 6, mix
    per_company = sorted(Counter(Sale.objects.values_list("company_id", flat=True)).values(), reverse=True)
    assert per_company[0] > 5 * per_company[len(per_company) // 2]  # a few big accounts
    oldest = timezone.now() - dt.timedelta(days=3 * 365 + 1)
    assert not Sale.objects.filter(created_at__lt=oldest).exists()
    assert Sale.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=2 * 365)).exists()


def test_phase_records_and_closing_rules(generated: dict[str, Any]) -> None:
    phases = {p.pk: p for p in Phase.objects.all()}
    reasons = {r.pk: r for r in CloseReason.objects.all()}
    chains = defaultdict(list)
    for record in PhaseRecord.objects.order_by("sale_id", "entered_at", "id"):
        chains[record.sale_id].append(record)
    today = timezone.localdate()
    for sale in Sale.objects.all():
        chain = chains[sale.pk]
        assert chain[0].entered_at == sale.created_at
        assert [r.left_at for r in chain[:-1]] == [r.entered_at for r in chain[1:]]
        last = chain[-1]
        assert last.left_at is None and last.phase_id == sale.phase_id and last.status == sale.status
        assert all(r.status == SaleStatus.OPEN for r in chain[:-1])
        assert all(r.moved_by_id == sale.owner_id and r.expected_value == sale.amount for r in chain)
        assert sale.phase_entered_at == last.entered_at == sale.updated_at
        assert sale.created_at <= sale.updated_at and sale.version == 1
        closed = sale.status in (SaleStatus.SOLD, SaleStatus.LOST)
        assert (phases[sale.phase_id].kind == Phase.Kind.CLOSING) == closed
        if closed:
            outcome = Outcome.WON if sale.status == SaleStatus.SOLD else Outcome.LOST
            assert sale.close_reason_id is not None and reasons[sale.close_reason_id].fits(outcome)
            assert sale.closed_date == timezone.localtime(sale.phase_entered_at).date() == sale.sale_date
            assert sale.probability == (100 if outcome == Outcome.WON else 0)
        else:
            assert sale.closed_date is None and sale.close_reason_id is None and sale.competitor_id is None
            assert sale.probability == phases[sale.phase_id].probability
        if sale.status == SaleStatus.STALLED:
            assert sale.stall_reason_id is not None and sale.reopen_date is not None and sale.reopen_date > today
        else:
            assert sale.stall_reason_id is None and sale.reopen_date is None


def test_activities_include_overdue_and_planned_ones(generated: dict[str, Any]) -> None:
    now = timezone.now()
    open_ = Activity.objects.filter(done=False)
    assert open_.filter(starts_at__lt=now).exists()  # overdue
    assert open_.filter(starts_at__gt=now).exists()  # planned
    assert not Activity.objects.filter(done=True, done_at__isnull=True).exists()
    assert not Activity.objects.filter(done=False, done_at__isnull=False).exists()
    sales = {s.pk: s for s in Sale.objects.all()}
    for activity in Activity.objects.all():
        sale = sales[activity.sale_id]
        assert (activity.owner_id, activity.company_id, activity.person_id) == (
            sale.owner_id,
            sale.company_id,
            sale.person_id,
        )
        assert activity.created_at == sale.created_at and activity.version == 1


def test_rows_pass_validation_and_the_database_is_whole_again(generated: dict[str, Any]) -> None:
    for model in (Company, Person, Sale, PhaseRecord, Activity):
        for obj in model._default_manager.order_by("?")[:25]:  # type: ignore[attr-defined]
            obj.full_clean()
    assert Person.objects.filter(company__isnull=True).count() == 0
    assert not Sale.objects.exclude(person=None).exclude(person__company_id=F("company_id")).exists()
    # Indexes, foreign keys and search triggers are back; foreign keys hold.
    assert (indexes(), foreign_keys()) == generated["before"]
    assert schema.ensure_installed(connection) is False
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
    # The sale totals and the monthly totals were counted once after the load; their triggers are back.
    assert kept_totals() == counted_totals() != {}
    assert kept_months() == counted_months() != {}
    sale = Sale.objects.filter(status=SaleStatus.OPEN).exclude(sale_date=None).first()
    Sale.objects.filter(pk=sale.pk).update(amount=F("amount") + 1)
    assert kept_totals() == counted_totals()
    assert kept_months() == counted_months()
    # The id sequences moved past the generated rows.
    company = CompanyFactory(owner=User.objects.get(username="gen-sales-1"))
    assert company.pk > Company.objects.exclude(pk=company.pk).order_by("-pk").values_list("pk", flat=True)[0]


def test_search_and_pages_work_for_a_generated_user(generated: dict[str, Any], client: Any) -> None:
    seller = User.objects.get(username="gen-sales-1")
    company = Company.objects.filter(owner=seller).order_by("pk").first()
    assert company is not None
    hits = global_search(user=seller, q=company.name)
    assert company.name in [hit.title for hit in hits.groups["company"]]
    sale = Sale.objects.filter(owner=seller).order_by("-pk").first()
    assert sale is not None
    client.force_login(seller)
    response = client.get(reverse("sales:sale_list"))
    assert response.status_code == 200
    visible = Sale.objects.filter(owner_id__in=visible_owner_ids(seller)).values_list("title", flat=True)
    assert any(f">{title}<" in response.content.decode() for title in visible)
    card = client.get(reverse("sales:sale_detail", args=[sale.pk]))
    assert card.status_code == 200 and sale.title in card.content.decode()
    manager = User.objects.get(username="gen-manager-1")
    client.force_login(manager)
    assert client.get(reverse("sales:sale_list")).status_code == 200


def test_command_refuses_a_second_set_unless_if_missing(db: Any) -> None:
    out = io.StringIO()
    call_command("generate_data", "--size", "small", stdout=out)
    assert "rows/s" in out.getvalue() and "sales 1000" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("generate_data", "--size", "small", stdout=io.StringIO())
    out = io.StringIO()
    call_command("generate_data", "--size", "small", "--if-missing", stdout=out)
    assert "already there" in out.getvalue()
    assert Sale.objects.count() == 1000
