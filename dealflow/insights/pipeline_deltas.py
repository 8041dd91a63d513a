"""The pipeline's daily deltas (`insights_pipelinedelta`), kept by database triggers on
`sales_phaserecord` and `sales_sale`.

A phase record counts in the pipeline at moment M when its stay was open (status 'open') and
entered_at < M <= left_at (or not left yet). So each such record adds +1 and +expected_value on
the UTC day of entered_at and -1 and -expected_value on the UTC day of left_at, under the
current owner of its sale and its phase; the pipeline at M is the sum of the days before M's
UTC day, corrected from the few records that entered or left within that day (pipeline_history).
A record that left before it entered never counts, so it adds nothing here either.

Why triggers: every write must count — the services, `QuerySet.update()`, `bulk_create`, the
reopen timer, raw SQL — in the same transaction. The record triggers write only the part of a
record that changed (a move that closes a record touches one row: its left day); the sale
triggers move a sale's records to its new owner, and take them off when the sale goes (in
either order of deleting a sale and its records: a record counts only while its sale exists).
Money is kept in whole cents, so adding and subtracting never rounds.

SQLite and migrations: the record triggers name `sales_sale` and the sale triggers name
`sales_phaserecord`, and SQLite refuses to rename a rebuilt table while another table's trigger
names the dropped one. So the triggers step aside while migrations run on SQLite and are put back
after, with the table summed again; after a flush (tests) too (`triggers.TriggerSet`).
"""

# ruff: noqa: S608 - every statement here is built from the constants in this module; no input reaches it.
from __future__ import annotations

from dealflow.core import triggers

TABLE = "insights_pipelinedelta"  # PipelineDelta's table
RECORDS = "sales_phaserecord"
SALES = "sales_sale"
KEY = "owner_id, day, phase_id"
# An update of any other column of a record changes nothing here.
CHANGED = ("sale_id", "phase_id", "entered_at", "left_at", "expected_value", "status")
# The report corrects the day's sum from the records that entered or left within part of a day.
INDEXES = {
    "phase_record_entered": f"CREATE INDEX IF NOT EXISTS phase_record_entered ON {RECORDS} (entered_at)",
    "phase_record_left": f"CREATE INDEX IF NOT EXISTS phase_record_left ON {RECORDS} (left_at)",
}


def counts(row: str) -> str:
    """Whether a record's stay counts in the pipeline at all (open, and not left before it entered)."""
    return f"{row}.status = 'open' AND ({row}.left_at IS NULL OR {row}.left_at >= {row}.entered_at)"


def _day(vendor: str, column: str) -> str:
    return f"date({column})" if vendor == "sqlite" else f"(({column}) AT TIME ZONE 'UTC')::date"


def _cents(vendor: str, row: str) -> str:
    # Django stores decimals as REAL on SQLite, hence ROUND.
    if vendor == "sqlite":
        return f"CAST(ROUND({row}.expected_value * 100) AS INTEGER)"
    return f"round({row}.expected_value * 100)::bigint"


def _upsert(vendor: str) -> str:
    t = "" if vendor == "sqlite" else f"{TABLE}."
    return (
        f"ON CONFLICT ({KEY}) DO UPDATE SET records = {t}records + excluded.records, "
        f"value_cents = {t}value_cents + excluded.value_cents"
    )


def _sale_records(vendor: str, sale: str, owner: str, sign: str, neg: str) -> str:
    """Add (sign "1", neg "-1") or take off (sign "-1", neg "1") every record of `sale` under
    `owner`, one upsert per key (PostgreSQL's upsert may touch a row only once per statement)."""
    cents = _cents(vendor, "r")
    return (
        f"INSERT INTO {TABLE} ({KEY}, records, value_cents) SELECT {owner}, d.day, d.phase_id, SUM(d.n), SUM(d.c) "
        f"FROM (SELECT {_day(vendor, 'r.entered_at')} AS day, r.phase_id, {sign} AS n, {sign} * {cents} AS c "
        f"FROM {RECORDS} r WHERE r.sale_id = {sale} AND {counts('r')} "
        f"UNION ALL SELECT {_day(vendor, 'r.left_at')}, r.phase_id, {neg}, {neg} * {cents} "
        f"FROM {RECORDS} r WHERE r.sale_id = {sale} AND r.left_at IS NOT NULL AND {counts('r')}) AS d "
        f"WHERE true GROUP BY d.day, d.phase_id {_upsert(vendor)}"
    )


# --- SQLite: one guarded upsert per part (entered, left) and side (old, new) of a record ------


def _same(part: str) -> str:
    """An update that leaves a part of the record where it was (its row and amounts) skips it."""
    base = (
        f"OLD.sale_id = NEW.sale_id AND OLD.phase_id = NEW.phase_id "
        f"AND {_cents('sqlite', 'OLD')} = {_cents('sqlite', 'NEW')} AND {counts('OLD')} AND {counts('NEW')}"
    )
    return f"{base} AND date(OLD.{part}) IS date(NEW.{part})"


def _sqlite_part(row: str, part: str, sign: int, unless: str = "") -> str:
    where = f"s.id = {row}.sale_id AND {counts(row)}"
    if part == "left_at":
        where += f" AND {row}.left_at IS NOT NULL"
    if unless:
        where += f" AND NOT ({unless})"
    return (
        f"INSERT INTO {TABLE} ({KEY}, records, value_cents) SELECT s.owner_id, date({row}.{part}), {row}.phase_id, "
        f"{sign}, {sign} * {_cents('sqlite', row)} FROM {SALES} s WHERE {where} {_upsert('sqlite')};"
    )


SQLITE_TRIGGERS = {
    "pipeline_delta_record_insert": f"CREATE TRIGGER IF NOT EXISTS pipeline_delta_record_insert AFTER INSERT ON "
    f"{RECORDS} BEGIN {_sqlite_part('NEW', 'entered_at', 1)} {_sqlite_part('NEW', 'left_at', -1)} END",
    "pipeline_delta_record_delete": f"CREATE TRIGGER IF NOT EXISTS pipeline_delta_record_delete AFTER DELETE ON "
    f"{RECORDS} BEGIN {_sqlite_part('OLD', 'entered_at', -1)} {_sqlite_part('OLD', 'left_at', 1)} END",
    "pipeline_delta_record_update": f"CREATE TRIGGER IF NOT EXISTS pipeline_delta_record_update AFTER UPDATE OF "
    f"{', '.join(CHANGED)} ON {RECORDS} WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in CHANGED)} BEGIN "
    f"{_sqlite_part('OLD', 'entered_at', -1, _same('entered_at'))} "
    f"{_sqlite_part('NEW', 'entered_at', 1, _same('entered_at'))} "
    f"{_sqlite_part('OLD', 'left_at', 1, _same('left_at'))} "
    f"{_sqlite_part('NEW', 'left_at', -1, _same('left_at'))} END",
    "pipeline_delta_sale_insert": f"CREATE TRIGGER IF NOT EXISTS pipeline_delta_sale_insert AFTER INSERT ON {SALES} "
    f"BEGIN {_sale_records('sqlite', 'NEW.id', 'NEW.owner_id', '1', '-1')}; END",
    "pipeline_delta_sale_delete": f"CREATE TRIGGER IF NOT EXISTS pipeline_delta_sale_delete AFTER DELETE ON {SALES} "
    f"BEGIN {_sale_records('sqlite', 'OLD.id', 'OLD.owner_id', '-1', '1')}; END",
    "pipeline_delta_sale_update": f"CREATE TRIGGER IF NOT EXISTS pipeline_delta_sale_update AFTER UPDATE OF "
    f"id, owner_id ON {SALES} WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.id IS NOT NEW.id BEGIN "
    f"{_sale_records('sqlite', 'OLD.id', 'OLD.owner_id', '-1', '1')}; "
    f"{_sale_records('sqlite', 'NEW.id', 'NEW.owner_id', '1', '-1')}; END",
}


# --- PostgreSQL: one function per table -------------------------------------------------------


def _pg_day(column: str) -> str:
    return _day("postgresql", column)


_PG_RECORD = f"""CREATE OR REPLACE FUNCTION pipeline_delta_record() RETURNS trigger AS $$
    DECLARE
        o_owner bigint; n_owner bigint; o_in boolean := false; n_in boolean := false; same boolean;
    BEGIN
        IF TG_OP <> 'INSERT' AND {counts("OLD")} THEN
            SELECT owner_id INTO o_owner FROM {SALES} WHERE id = OLD.sale_id;
            o_in := FOUND;
        END IF;
        IF TG_OP <> 'DELETE' AND {counts("NEW")} THEN
            SELECT owner_id INTO n_owner FROM {SALES} WHERE id = NEW.sale_id;
            n_in := FOUND;
        END IF;
        -- a part (entered, left) that keeps its row and amounts is left alone
        same := COALESCE(o_in AND n_in AND o_owner = n_owner AND OLD.phase_id = NEW.phase_id
                         AND {_cents("postgresql", "OLD")} = {_cents("postgresql", "NEW")}, false);
        IF NOT (same AND {_pg_day("OLD.entered_at")} = {_pg_day("NEW.entered_at")}) THEN
            IF o_in THEN
                PERFORM pipeline_delta_add(o_owner, {_pg_day("OLD.entered_at")}, OLD.phase_id, -1,
                                           -{_cents("postgresql", "OLD")});
            END IF;
            IF n_in THEN
                PERFORM pipeline_delta_add(n_owner, {_pg_day("NEW.entered_at")}, NEW.phase_id, 1,
                                           {_cents("postgresql", "NEW")});
            END IF;
        END IF;
        IF NOT (same AND {_pg_day("OLD.left_at")} IS NOT DISTINCT FROM {_pg_day("NEW.left_at")}) THEN
            IF o_in AND OLD.left_at IS NOT NULL THEN
                PERFORM pipeline_delta_add(o_owner, {_pg_day("OLD.left_at")}, OLD.phase_id, 1,
                                           {_cents("postgresql", "OLD")});
            END IF;
            IF n_in AND NEW.left_at IS NOT NULL THEN
                PERFORM pipeline_delta_add(n_owner, {_pg_day("NEW.left_at")}, NEW.phase_id, -1,
                                           -{_cents("postgresql", "NEW")});
            END IF;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql"""

_PG_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CHANGED)
PG_TRIGGERS = {
    "pipeline_delta_record_write": [
        # plpgsql rather than sql functions: their statements' plans are kept for the session.
        f"""CREATE OR REPLACE FUNCTION pipeline_delta_add(p_owner bigint, p_day date, p_phase bigint,
            p_records bigint, p_cents bigint) RETURNS void AS $$
        BEGIN
            INSERT INTO {TABLE} ({KEY}, records, value_cents) VALUES (p_owner, p_day, p_phase, p_records, p_cents)
            {_upsert("postgresql")};
        END
        $$ LANGUAGE plpgsql""",
        _PG_RECORD,
        f"CREATE OR REPLACE TRIGGER pipeline_delta_record_write AFTER INSERT OR DELETE ON {RECORDS} "
        "FOR EACH ROW EXECUTE FUNCTION pipeline_delta_record()",
    ],
    "pipeline_delta_record_update": [
        f"CREATE OR REPLACE TRIGGER pipeline_delta_record_update AFTER UPDATE OF {', '.join(CHANGED)} ON {RECORDS} "
        f"FOR EACH ROW WHEN ({_PG_CHANGED}) EXECUTE FUNCTION pipeline_delta_record()",
    ],
    "pipeline_delta_sale_write": [
        f"""CREATE OR REPLACE FUNCTION pipeline_delta_sale_records(p_sale bigint, p_owner bigint, p_sign integer)
            RETURNS void AS $$
        BEGIN
            {_sale_records("postgresql", "p_sale", "p_owner", "p_sign", "-p_sign")};
        END
        $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE FUNCTION pipeline_delta_sale() RETURNS trigger AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM pipeline_delta_sale_records(OLD.id, OLD.owner_id, -1);
            END IF;
            IF TG_OP <> 'DELETE' THEN
                PERFORM pipeline_delta_sale_records(NEW.id, NEW.owner_id, 1);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql""",
        f"CREATE OR REPLACE TRIGGER pipeline_delta_sale_write AFTER INSERT OR DELETE ON {SALES} "
        "FOR EACH ROW EXECUTE FUNCTION pipeline_delta_sale()",
    ],
    "pipeline_delta_sale_update": [
        f"CREATE OR REPLACE TRIGGER pipeline_delta_sale_update AFTER UPDATE OF id, owner_id ON {SALES} FOR EACH ROW "
        "WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.id IS DISTINCT FROM NEW.id) "
        "EXECUTE FUNCTION pipeline_delta_sale()",
    ],
}
PG_DROP = [
    f"DROP TRIGGER IF EXISTS pipeline_delta_record_write ON {RECORDS}",
    f"DROP TRIGGER IF EXISTS pipeline_delta_record_update ON {RECORDS}",
    f"DROP TRIGGER IF EXISTS pipeline_delta_sale_write ON {SALES}",
    f"DROP TRIGGER IF EXISTS pipeline_delta_sale_update ON {SALES}",
]


def _rebuild_sql(vendor: str) -> list[str]:
    integer = "INTEGER" if vendor == "sqlite" else "bigint"
    cents = f"CAST(ROUND(r.expected_value * 100) AS {integer})"
    return [
        f"DELETE FROM {TABLE}",
        f"INSERT INTO {TABLE} ({KEY}, records, value_cents) "
        f"SELECT d.owner_id, d.day, d.phase_id, SUM(d.n), SUM(d.c) FROM ("
        f"SELECT s.owner_id, {_day(vendor, 'r.entered_at')} AS day, r.phase_id, 1 AS n, {cents} AS c "
        f"FROM {RECORDS} r JOIN {SALES} s ON s.id = r.sale_id WHERE {counts('r')} "
        f"UNION ALL SELECT s.owner_id, {_day(vendor, 'r.left_at')}, r.phase_id, -1, -{cents} "
        f"FROM {RECORDS} r JOIN {SALES} s ON s.id = r.sale_id WHERE r.left_at IS NOT NULL AND {counts('r')}) AS d "
        f"GROUP BY d.owner_id, d.day, d.phase_id HAVING SUM(d.n) <> 0 OR SUM(d.c) <> 0",
    ]


KEPT = triggers.TriggerSet(
    "The pipeline deltas",
    sqlite=SQLITE_TRIGGERS,
    pg=PG_TRIGGERS,
    pg_drop=PG_DROP,
    rebuild=_rebuild_sql,
    needs=[(TABLE, None), (RECORDS, None), (SALES, None)],
    # The record indexes the report's correction reads: a table rebuild on SQLite loses them
    # (they are not in the sales models), so they are put back with the triggers.
    indexes=INDEXES,
)
trigger_names = KEPT.trigger_names
install_indexes = KEPT.install_indexes
drop_indexes = KEPT.drop_indexes
install_triggers = KEPT.install_triggers
drop_triggers = KEPT.drop_triggers  # for a bulk load, which sums once at the end
rebuild = KEPT.rebuild  # sum every day again from the phase records
install_in_migration = KEPT.install_in_migration  # insights migration 0002
ensure_installed = KEPT.ensure_installed
before_migrate = KEPT.before_migrate
after_migrate = KEPT.after_migrate
