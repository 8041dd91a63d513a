"""MonthStart / QuarterStart / YearStart give, in the database, the first day of each period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealflow.core.dates_sql import MonthStart, QuarterStart, YearStart
from dealflow.relations.models import Project
from dealflow.relations.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_period_starts_for_every_month(admin_user: Any) -> None:
    days = [dt.date(2025, month, day) for month in range(1, 13) for day in (1, 15, 28)] + [dt.date(2024, 2, 29)]
    for day in days:
        ProjectFactory(start_date=day)
    rows = Project.objects.annotate(
        m=MonthStart("start_date"), q=QuarterStart("start_date"), y=YearStart("start_date")
    ).values_list("start_date", "m", "q", "y")
    assert len(rows) == len(days)
    for day, month, quarter, year in rows:
        assert month == day.replace(day=1)
        assert quarter == dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        assert year == dt.date(day.year, 1, 1)


def test_period_starts_survive_query_logging(admin_user: Any) -> None:
    """With DEBUG (or a query-count test) Django formats each logged query with its parameters;
    the quarter's literal % signs must survive that as well as the query itself."""
    ProjectFactory(start_date=dt.date(2025, 8, 17))
    with CaptureQueriesContext(connection) as captured:
        rows = list(
            Project.objects.filter(start_date__gte=dt.date(2025, 1, 1))
            .annotate(q=QuarterStart("start_date"))
            .values_list("q", flat=True)
        )
    assert rows == [dt.date(2025, 7, 1)]
    assert "start_date" in captured.captured_queries[0]["sql"]
