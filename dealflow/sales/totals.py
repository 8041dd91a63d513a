"""Running totals of the sales per (pipeline, phase, owner, status): how many, their amount and
their weighted amount, kept in `sales_saletotal` by database triggers on `sales_sale`.

Triggers rather than service code because every write must count — services, bulk actions,
`QuerySet.update()`, the reopen timer, raw SQL — and a summary that drifts is worse than none.
Money is kept in whole cents (integers), so adding and subtracting never rounds.

The board's heads and the sales list's group totals read these rows (a few hundred at most)
instead of aggregating hundreds of thousands of sales per request."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from dealflow.core import triggers

from .models import SaleTotal

TABLE = "sales_saletotal"  # SaleTotal's table; spelled out in the trigger texts below
KEY = "pipeline_id, phase_id, owner_id, status"
HUNDRED = Decimal(100)

# SQLite: one upsert per side of the change; Django stores decimals as REAL there, hence ROUND.
_SQLITE_UPSERT = (
    "INSERT INTO sales_saletotal (pipeline_id, phase_id, owner_id, status, sales, amount_cents, weighted_cents) "
    "VALUES ({row}.pipeline_id, {row}.phase_id, {row}.owner_id, {row}.status, {sign}1, "
    "{sign}CAST(ROUND({row}.amount * 100) AS INTEGER), "
    "{sign}CAST(ROUND({row}.amount * 100) AS INTEGER) * {row}.probability) "
    "ON CONFLICT (pipeline_id, phase_id, owner_id, status) DO UPDATE SET sales = sales + excluded.sales, "
    "amount_cents = amount_cents + excluded.amount_cents, weighted_cents = weighted_cents + excluded.weighted_cents;"
)
_CHANGED = ("pipeline_id", "phase_id", "owner_id", "status", "amount", "probability")
_SQLITE_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _CHANGED)
SQLITE_TRIGGERS = {
    "sale_total_insert": "CREATE TRIGGER IF NOT EXISTS sale_total_insert AFTER INSERT ON sales_sale BEGIN "
    + _SQLITE_UPSERT.format(row="NEW", sign="")
    + " END",
    "sale_total_delete": "CREATE TRIGGER IF NOT EXISTS sale_total_delete AFTER DELETE ON sales_sale BEGIN "
    + _SQLITE_UPSERT.format(row="OLD", sign="-")
    + " END",
    "sale_total_update": f"CREATE TRIGGER IF NOT EXISTS sale_total_update AFTER UPDATE OF {', '.join(_CHANGED)} "
    f"ON sales_sale WHEN {_SQLITE_CHANGED} BEGIN "
    + _SQLITE_UPSERT.format(row="OLD", sign="-")
    + " "
    + _SQLITE_UPSERT.format(row="NEW", sign="")
    + " END",
}

# PostgreSQL: one function; an update touches the old and the new row in key order, so two
# concurrent moves between the same two rows cannot deadlock each other.
_PG_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _CHANGED)
PG_TRIGGERS = {
    "sale_total_write": [
        """CREATE OR REPLACE FUNCTION sale_total_add(p_pipeline bigint, p_phase bigint, p_owner bigint,
        p_status varchar, p_sign integer, p_amount numeric, p_probability integer) RETURNS void AS $$
        INSERT INTO sales_saletotal (pipeline_id, phase_id, owner_id, status, sales, amount_cents, weighted_cents)
        VALUES (p_pipeline, p_phase, p_owner, p_status, p_sign, p_sign * round(p_amount * 100)::bigint,
                p_sign * round(p_amount * 100)::bigint * p_probability)
        ON CONFLICT (pipeline_id, phase_id, owner_id, status) DO UPDATE SET sales = sales_saletotal.sales + EXCLUDED.sales,
            amount_cents = sales_saletotal.amount_cents + EXCLUDED.amount_cents,
            weighted_cents = sales_saletotal.weighted_cents + EXCLUDED.weighted_cents
    $$ LANGUAGE sql""",
        """CREATE OR REPLACE FUNCTION sale_total_trigger() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM sale_total_add(NEW.pipeline_id, NEW.phase_id, NEW.owner_id, NEW.status, 1, NEW.amount,
                                   NEW.probability);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM sale_total_add(OLD.pipeline_id, OLD.phase_id, OLD.owner_id, OLD.status, -1, OLD.amount,
                                   OLD.probability);
        ELSIF ROW(OLD.pipeline_id, OLD.phase_id, OLD.owner_id, OLD.status)
              <= ROW(NEW.pipeline_id, NEW.phase_id, NEW.owner_id, NEW.status) THEN
            PERFORM sale_total_add(OLD.pipeline_id, OLD.phase_id, OLD.owner_id, OLD.status, -1, OLD.amount,
                                   OLD.probability);
            PERFORM sale_total_add(NEW.pipeline_id, NEW.phase_id, NEW.owner_id, NEW.status, 1, NEW.amount,
                                   NEW.probability);
        ELSE
            PERFORM sale_total_add(NEW.pipeline_id, NEW.phase_id, NEW.owner_id, NEW.status, 1, NEW.amount,
                                   NEW.probability);
            PERFORM sale_total_add(OLD.pipeline_id, OLD.phase_id, OLD.owner_id, OLD.status, -1, OLD.amount,
                                   OLD.probability);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
        "CREATE OR REPLACE TRIGGER sale_total_write AFTER INSERT OR DELETE ON sales_sale "
        "FOR EACH ROW EXECUTE FUNCTION sale_total_trigger()",
    ],
    "sale_total_update": [
        f"CREATE OR REPLACE TRIGGER sale_total_update AFTER UPDATE OF {', '.join(_CHANGED)} ON sales_sale "
        f"FOR EACH ROW WHEN ({_PG_CHANGED}) EXECUTE FUNCTION sale_total_trigger()",
    ],
}
PG_DROP = [
    "DROP TRIGGER IF EXISTS sale_total_write ON sales_sale",
    "DROP TRIGGER IF EXISTS sale_total_update ON sales_sale",
]

_REBUILD_SQL = (
    f"INSERT INTO {TABLE} ({KEY}, sales, amount_cents, weighted_cents) "  # noqa: S608 - no user input
    f"SELECT {KEY}, COUNT(*), SUM(CAST(ROUND(amount * 100) AS {{int}})), "
    f"SUM(CAST(ROUND(amount * 100) AS {{int}}) * probability) FROM sales_sale GROUP BY {KEY}"
)


def _rebuild_sql(vendor: str) -> list[str]:
    integer = "INTEGER" if vendor == "sqlite" else "bigint"
    return [f"DELETE FROM {TABLE}", _REBUILD_SQL.format(int=integer)]  # noqa: S608 - no user input


KEPT = triggers.TriggerSet(
    "The sales totals",
    sqlite=SQLITE_TRIGGERS,
    pg=PG_TRIGGERS,
    pg_drop=PG_DROP,
    rebuild=_rebuild_sql,
    needs=[("sales_sale", None), (TABLE, None)],
)
install_triggers = KEPT.install_triggers
drop_triggers = KEPT.drop_triggers  # for a bulk load, which recounts once at the end
rebuild = KEPT.rebuild  # recount every total from the sales
install_in_migration = KEPT.install_in_migration


def sums_by(
    key: str,
    *,
    owner_ids: Iterable[int] | None,
    pipeline_id: int | None = None,
    phase_ids: Iterable[int] | None = None,
    statuses: Iterable[str] | None = None,
) -> dict[Any, dict[str, Any]]:
    """{value of `key` ("phase_id", "owner_id" or "status"): {"count", "total", "weighted"}} for
    the sales of `owner_ids` (None: everyone's), optionally narrowed; money as Decimal."""
    qs = SaleTotal.objects.all()
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=list(owner_ids))
    if pipeline_id is not None:
        qs = qs.filter(pipeline_id=pipeline_id)
    if phase_ids is not None:
        qs = qs.filter(phase_id__in=list(phase_ids))
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    rows = qs.values(key).annotate(n=Sum("sales"), cents=Sum("amount_cents"), weighted=Sum("weighted_cents"))
    out: dict[Any, dict[str, Any]] = {}
    for r in rows.order_by():
        if not r["n"]:
            continue  # every sale of this key has moved on; the zero row stays for the next one
        out[r[key]] = {
            "count": r["n"],
            "total": (Decimal(r["cents"] or 0) / HUNDRED).quantize(Decimal("0.01")),
            # weighted_cents holds cents × probability (a percentage)
            "weighted": (Decimal(r["weighted"] or 0) / HUNDRED / HUNDRED).quantize(Decimal("0.01")),
        }
    return out
