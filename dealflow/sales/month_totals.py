"""Monthly totals of the sales, kept by database triggers on `sales_sale` like sales.totals:

- `sales_saleclosedmonth`: won and lost sales per month of their closed date, owner, pipeline,
  status, close reason and competitor (0 for none) — count and amount in cents;
- `sales_saleopenmonth`: open sales per month of their sale date (the expected close), owner,
  pipeline and effective forecast category — count, amount and weighted amount in cents.

A report over a year of a million sales reads a few hundred of these rows for the months it
covers whole, and the sales themselves only for the days of a month it covers in part
(`whole_months`). Money is kept in whole cents, so adding and subtracting never rounds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from dealflow.core import triggers

CLOSED_TABLE = "sales_saleclosedmonth"  # SaleClosedMonth's table
OPEN_TABLE = "sales_saleopenmonth"  # SaleOpenMonth's table
CLOSED_KEY = "owner_id, month, pipeline_id, status, close_reason_id, competitor_id"
OPEN_KEY = "owner_id, month, pipeline_id, category"
# The columns a row's place or amounts depend on: only an update of one of them touches the totals.
CHANGED = ("status", "closed_date", "sale_date", "owner_id", "pipeline_id", "close_reason_id", "competitor_id",
           "amount", "probability", "forecast_category")  # fmt: skip


def category_sql(row: str) -> str:
    """The effective forecast category (as forecast.effective_category and targets' _category_q)."""
    return (f"COALESCE({row}.forecast_category, CASE WHEN {row}.probability >= 70 THEN 'commit' "
            f"WHEN {row}.probability >= 40 THEN 'best_case' ELSE 'pipeline' END)")  # fmt: skip


def _is_closed(row: str) -> str:
    return f"{row}.status IN ('sold', 'lost') AND {row}.closed_date IS NOT NULL"


def _is_open(row: str) -> str:
    return f"{row}.status = 'open' AND {row}.sale_date IS NOT NULL"


# SQLite: guarded upserts, one per side of the change; decimals are REAL there, hence ROUND.
def _sqlite_closed(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {CLOSED_TABLE} ({CLOSED_KEY}, sales, amount_cents) "
        f"SELECT {row}.owner_id, date({row}.closed_date, 'start of month'), {row}.pipeline_id, {row}.status, "
        f"COALESCE({row}.close_reason_id, 0), COALESCE({row}.competitor_id, 0), {sign}1, "
        f"{sign}CAST(ROUND({row}.amount * 100) AS INTEGER) WHERE {_is_closed(row)} "
        f"ON CONFLICT ({CLOSED_KEY}) DO UPDATE SET sales = sales + excluded.sales, "
        f"amount_cents = amount_cents + excluded.amount_cents;"
    )


def _sqlite_open(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {OPEN_TABLE} ({OPEN_KEY}, sales, amount_cents, weighted_cents) "
        f"SELECT {row}.owner_id, date({row}.sale_date, 'start of month'), {row}.pipeline_id, {category_sql(row)}, "
        f"{sign}1, {sign}CAST(ROUND({row}.amount * 100) AS INTEGER), "
        f"{sign}CAST(ROUND({row}.amount * 100) AS INTEGER) * {row}.probability WHERE {_is_open(row)} "
        f"ON CONFLICT ({OPEN_KEY}) DO UPDATE SET sales = sales + excluded.sales, "
        f"amount_cents = amount_cents + excluded.amount_cents, weighted_cents = weighted_cents + excluded.weighted_cents;"
    )


SQLITE_TRIGGERS = {
    "sale_month_insert": f"CREATE TRIGGER IF NOT EXISTS sale_month_insert AFTER INSERT ON sales_sale BEGIN "
    f"{_sqlite_closed('NEW', '')} {_sqlite_open('NEW', '')} END",
    "sale_month_delete": f"CREATE TRIGGER IF NOT EXISTS sale_month_delete AFTER DELETE ON sales_sale BEGIN "
    f"{_sqlite_closed('OLD', '-')} {_sqlite_open('OLD', '-')} END",
    "sale_month_update": f"CREATE TRIGGER IF NOT EXISTS sale_month_update AFTER UPDATE OF {', '.join(CHANGED)} "
    f"ON sales_sale WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in CHANGED)} BEGIN "
    f"{_sqlite_closed('OLD', '-')} {_sqlite_closed('NEW', '')} {_sqlite_open('OLD', '-')} {_sqlite_open('NEW', '')} END",
}


def _pg_closed_key(row: str) -> str:
    return (f"{row}.owner_id, date_trunc('month', {row}.closed_date)::date, {row}.pipeline_id, {row}.status, "
            f"COALESCE({row}.close_reason_id, 0), COALESCE({row}.competitor_id, 0)")  # fmt: skip


def _pg_open_key(row: str) -> str:
    return (f"{row}.owner_id, date_trunc('month', {row}.sale_date)::date, {row}.pipeline_id, "
            f"{category_sql(row)}::varchar")  # fmt: skip


def _pg_pair(kind: str, key: str) -> str:
    """Take the old row off and put the new one on; when both exist, the smaller key first, so
    that two concurrent moves between the same two rows cannot deadlock each other."""
    old = f"PERFORM sale_{kind}_month_add({key.format(row='OLD')}, -1, OLD.amount, OLD.probability);"
    new = f"PERFORM sale_{kind}_month_add({key.format(row='NEW')}, 1, NEW.amount, NEW.probability);"
    return f"""
        IF o_{kind} AND n_{kind} AND ROW({key.format(row="OLD")}) > ROW({key.format(row="NEW")}) THEN
            {new} {old}
        ELSE
            IF o_{kind} THEN {old} END IF;
            IF n_{kind} THEN {new} END IF;
        END IF;"""


PG_TRIGGERS = {
    "sale_month_write": [
        f"""CREATE OR REPLACE FUNCTION sale_closed_month_add(p_owner bigint, p_month date, p_pipeline bigint,
        p_status varchar, p_reason bigint, p_competitor bigint, p_sign integer, p_amount numeric,
        p_probability integer) RETURNS void AS $$  -- p_probability: one call shape for both tables
        INSERT INTO {CLOSED_TABLE} ({CLOSED_KEY}, sales, amount_cents)
        VALUES (p_owner, p_month, p_pipeline, p_status, p_reason, p_competitor, p_sign,
                p_sign * round(p_amount * 100)::bigint)
        ON CONFLICT ({CLOSED_KEY}) DO UPDATE SET sales = {CLOSED_TABLE}.sales + EXCLUDED.sales,
            amount_cents = {CLOSED_TABLE}.amount_cents + EXCLUDED.amount_cents
    $$ LANGUAGE sql""",  # noqa: S608 - table names are constants
        f"""CREATE OR REPLACE FUNCTION sale_open_month_add(p_owner bigint, p_month date, p_pipeline bigint,
        p_category varchar, p_sign integer, p_amount numeric, p_probability integer) RETURNS void AS $$
        INSERT INTO {OPEN_TABLE} ({OPEN_KEY}, sales, amount_cents, weighted_cents)
        VALUES (p_owner, p_month, p_pipeline, p_category, p_sign, p_sign * round(p_amount * 100)::bigint,
                p_sign * round(p_amount * 100)::bigint * p_probability)
        ON CONFLICT ({OPEN_KEY}) DO UPDATE SET sales = {OPEN_TABLE}.sales + EXCLUDED.sales,
            amount_cents = {OPEN_TABLE}.amount_cents + EXCLUDED.amount_cents,
            weighted_cents = {OPEN_TABLE}.weighted_cents + EXCLUDED.weighted_cents
    $$ LANGUAGE sql""",  # noqa: S608 - table names are constants
        f"""CREATE OR REPLACE FUNCTION sale_month_trigger() RETURNS trigger AS $$
    DECLARE
        o_closed boolean := false; n_closed boolean := false; o_open boolean := false; n_open boolean := false;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            o_closed := {_is_closed("OLD")};
            o_open := {_is_open("OLD")};
        END IF;
        IF TG_OP <> 'DELETE' THEN
            n_closed := {_is_closed("NEW")};
            n_open := {_is_open("NEW")};
        END IF;
        {_pg_pair("closed", _pg_closed_key("{row}"))}
        {_pg_pair("open", _pg_open_key("{row}"))}
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
        "CREATE OR REPLACE TRIGGER sale_month_write AFTER INSERT OR DELETE ON sales_sale "
        "FOR EACH ROW EXECUTE FUNCTION sale_month_trigger()",
    ],
    "sale_month_update": [
        f"CREATE OR REPLACE TRIGGER sale_month_update AFTER UPDATE OF {', '.join(CHANGED)} ON sales_sale "
        f"FOR EACH ROW WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in CHANGED)}) "
        "EXECUTE FUNCTION sale_month_trigger()",
    ],
}
PG_DROP = [
    "DROP TRIGGER IF EXISTS sale_month_write ON sales_sale",
    "DROP TRIGGER IF EXISTS sale_month_update ON sales_sale",
]


def _rebuild_sql(vendor: str) -> list[str]:
    integer = "INTEGER" if vendor == "sqlite" else "bigint"

    def month(column: str) -> str:
        return f"date({column}, 'start of month')" if vendor == "sqlite" else f"date_trunc('month', {column})::date"

    cents = f"CAST(ROUND(s.amount * 100) AS {integer})"
    closed = (f"s.owner_id, {month('s.closed_date')}, s.pipeline_id, s.status, COALESCE(s.close_reason_id, 0), "
              f"COALESCE(s.competitor_id, 0)")  # fmt: skip
    opened = f"s.owner_id, {month('s.sale_date')}, s.pipeline_id, {category_sql('s')}"
    return [
        f"DELETE FROM {CLOSED_TABLE}",  # noqa: S608 - no user input in these statements
        f"DELETE FROM {OPEN_TABLE}",  # noqa: S608
        f"INSERT INTO {CLOSED_TABLE} ({CLOSED_KEY}, sales, amount_cents) SELECT {closed}, COUNT(*), SUM({cents}) "  # noqa: S608
        f"FROM sales_sale s WHERE {_is_closed('s')} GROUP BY {closed}",
        f"INSERT INTO {OPEN_TABLE} ({OPEN_KEY}, sales, amount_cents, weighted_cents) SELECT {opened}, COUNT(*), "  # noqa: S608
        f"SUM({cents}), SUM({cents} * s.probability) FROM sales_sale s WHERE {_is_open('s')} GROUP BY {opened}",
    ]


KEPT = triggers.TriggerSet(
    "The monthly sales totals",
    sqlite=SQLITE_TRIGGERS,
    pg=PG_TRIGGERS,
    pg_drop=PG_DROP,
    rebuild=_rebuild_sql,
    needs=[("sales_sale", None), (CLOSED_TABLE, None), (OPEN_TABLE, None)],
)
install_triggers = KEPT.install_triggers
drop_triggers = KEPT.drop_triggers  # for a bulk load, which recounts once at the end
rebuild = KEPT.rebuild  # recount every monthly total from the sales
install_in_migration = KEPT.install_in_migration


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def whole_months(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date] | None:
    """The months that [date_from, date_to] (both days included) covers whole, as [first, end):
    None when it covers none. The days outside them are the report's edges."""
    try:
        first = date_from if date_from.day == 1 else next_month(date_from)
        end = next_month(date_to) if next_month(date_to) - dt.timedelta(days=1) == date_to else date_to.replace(day=1)
    except ValueError:  # a range that reaches December 9999: counted from the sales
        return None
    return (first, end) if first < end else None


def split(date_from: dt.date, date_to: dt.date) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """[date_from, date_to] as the months it covers whole ([first, end), or None) and the day
    ranges left at its edges (both days included), which a report counts from the sales."""
    whole = whole_months(date_from, date_to)
    if whole is None:
        return None, [(date_from, date_to)]
    edges = [(date_from, whole[0] - dt.timedelta(days=1)), (whole[1], date_to)]
    return whole, [(first, last) for first, last in edges if first <= last]


def days_q(column: str, ranges: Iterable[tuple[dt.date, dt.date]]) -> Q:
    """`column` within any of the day ranges (an empty Q for none)."""
    q = Q()
    for first, last in ranges:
        q |= Q(**{f"{column}__gte": first, f"{column}__lte": last})
    return q
