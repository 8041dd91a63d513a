"""The sales totals and monthly totals across migrations and flushes: on SQLite their triggers
step aside while migrations run (a table rebuild would drop them, or be refused), and after a
migration or a flush the totals are put right again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from dealflow.sales import month_totals, totals
from dealflow.sales.models import Sale, SaleClosedMonth, SaleStatus, SaleTotal
from dealflow.sales.tests import test_month_totals, test_totals
from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases

pytestmark = pytest.mark.django_db
A_MIGRATION = [("a migration", False)]
DAY = dt.date(2026, 3, 14)  # an expected close: the monthly totals count open sales by it

SETS = [
    pytest.param(totals, test_totals, id="totals"),
    pytest.param(month_totals, test_month_totals, id="month_totals"),
]


@pytest.fixture
def sales(salesperson: Any, teammate: Any) -> list[Sale]:
    pipeline = pipeline_with_phases()
    return [
        SaleFactory(owner=salesperson, pipeline=pipeline, amount=Decimal("1000.10"), probability=25, sale_date=DAY),
        SaleFactory(owner=teammate, pipeline=pipeline, amount=Decimal("99.99"), probability=90, sale_date=DAY),
    ]


@pytest.mark.parametrize(("kept_by", "tests"), SETS)
def test_migrations_put_the_triggers_back_and_recount(
    kept_by: ModuleType, tests: ModuleType, sales: list[Sale], salesperson: Any
) -> None:
    wanted = kept_by.KEPT.names(connection)
    assert kept_by.KEPT.trigger_names(connection) == wanted  # installed by the migrations
    kept_by.KEPT.before_migrate(using=connection.alias, plan=[])  # nothing to migrate: nothing dropped
    assert kept_by.KEPT.trigger_names(connection) == wanted
    kept_by.KEPT.before_migrate(using=connection.alias, plan=A_MIGRATION)
    if connection.vendor == "sqlite":  # stepped aside: writes now go uncounted
        assert kept_by.KEPT.trigger_names(connection) == set()
    kept_by.install_in_migration(connection)  # a migration creating the totals leaves them to after_migrate
    if connection.vendor == "sqlite":
        assert kept_by.KEPT.trigger_names(connection) == set()
    SaleFactory(owner=salesperson, pipeline=sales[0].pipeline, amount=Decimal("7.00"), status=SaleStatus.SOLD)
    Sale.objects.filter(pk=sales[1].pk).update(amount=Decimal("12.34"))
    kept_by.KEPT.after_migrate(using=connection.alias, plan=A_MIGRATION)
    assert kept_by.KEPT.trigger_names(connection) == wanted
    assert tests.kept() == tests.counted()
    Sale.objects.filter(pk=sales[0].pk).delete()  # and they count again
    assert tests.kept() == tests.counted()


@pytest.mark.parametrize(("kept_by", "tests"), SETS)
def test_a_missing_trigger_is_put_back_after_a_migration(
    kept_by: ModuleType, tests: ModuleType, sales: list[Sale], salesperson: Any
) -> None:
    """As when a migration rebuilt sales_sale on SQLite, which drops the table's triggers."""
    kept_by.drop_triggers(connection)
    Sale.objects.filter(pk=sales[0].pk).update(owner=sales[1].owner, probability=60)
    assert tests.kept() != tests.counted()
    kept_by.KEPT.after_migrate(using=connection.alias, plan=[])
    assert kept_by.KEPT.trigger_names(connection) == kept_by.KEPT.names(connection)
    assert tests.kept() == tests.counted()


def test_a_flush_leaves_no_stray_totals(sales: list[Sale]) -> None:
    """A flush deletes the sales and the totals in no particular order while the triggers run;
    after it, post_migrate (with no plan) counts again."""
    SaleTotal.objects.create(pipeline_id=0, phase_id=0, owner_id=0, status="open", sales=-1, amount_cents=-5)
    SaleClosedMonth.objects.create(owner_id=0, month="2025-01-01", pipeline_id=0, status="sold",
                                   close_reason_id=0, competitor_id=0, sales=-2, amount_cents=-9)  # fmt: skip
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)  # as flush does
    assert test_totals.kept() == test_totals.counted()
    assert test_month_totals.kept() == test_month_totals.counted()
    assert not SaleTotal.objects.filter(owner_id=0).exists()
