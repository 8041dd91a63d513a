"""The first day of a date's month, quarter or year, computed by the database itself.

Django's TruncMonth and friends call a Python function once per row on SQLite; a report that
groups 100k sales by month spends most of its time there. These write the native SQL instead
(date(...) modifiers on SQLite, date_trunc on PostgreSQL) and, like Trunc*, give back dates.
Only for DateFields (no time zone to apply)."""

from __future__ import annotations

from typing import Any

from django.db.models import DateField, Func


class _PeriodStart(Func):
    output_field = DateField()
    unit = ""
    sqlite_template = ""

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template=self.sqlite_template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = f"CAST(DATE_TRUNC('{self.unit}', %(expressions)s) AS date)"
        return self.as_sql(compiler, connection, template=template, **extra)


class MonthStart(_PeriodStart):
    unit = "month"
    sqlite_template = "date(%(expressions)s, 'start of month')"


class QuarterStart(_PeriodStart):
    unit = "quarter"
    # back to the month that opens the quarter: (month - 1) % 3 months before the first. A
    # literal % is doubled twice: once for this template, once more for the query text, which
    # Django formats with its parameters when it logs a query (DEBUG, query capture).
    sqlite_template = (
        "date(%(expressions)s, 'start of month', "
        "'-' || ((CAST(strftime('%%%%m', %(expressions)s) AS INTEGER) - 1) %%%% 3) || ' months')"
    )


class YearStart(_PeriodStart):
    unit = "year"
    sqlite_template = "date(%(expressions)s, 'start of year')"
