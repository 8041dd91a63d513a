"""The search index: one row per company, person and sale, kept up to date by database triggers.

SQLite gets an FTS5 virtual table, PostgreSQL a plain table with a `tsvector` column under a GIN
index. Both are named `search_index` and share the columns the selector reads:
kind, object_id, owner_id, archived, title, detail (+ the searchable body).

Why triggers: every write reaches the index — services, the API, the importer, the demo loader,
`bulk_create`, `QuerySet.update()` and raw SQL alike — without any service having to remember it,
and in the same transaction as the write. The trigger SQL is generated here from one description
per kind, so the triggers and `rebuild_search_index` cannot drift apart. SQLite drops a table's
triggers when a later migration rebuilds that table, so `ensure_installed()` runs after every
`migrate` (post_migrate) and rebuilds the index when it had to put a trigger back.

The row id is `object_id * 4 + kind code`, so a trigger finds its row without a lookup.
"""

# ruff: noqa: S608 - every statement here is built from the constants in this module; no input reaches it.
from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

from . import substring

TABLE = "search_index"


def _digits(expr: str) -> str:
    """The digits of a phone number (the separators validate_phone allows removed)."""
    for ch in (" ", "-", "(", ")", ".", "/", "+"):
        expr = f"replace({expr}, '{ch}', '')"
    return expr


def _reversed_digits(expr: str) -> str:
    """'r' + the digits backwards, so a number typed without its country code ("020 555 0101"
    for "+31 20 555 0101") still finds it: its tail is a prefix of this token. Spelled with
    substr() because SQLite has no reverse(): the whole value (at most 40 characters, the
    fields' max_length) is reversed first and its separators removed once, which is several
    times cheaper than taking the digits apart one by one (it matters for a rebuild)."""
    backwards = " || ".join(f"substr({expr}, {i}, 1)" for i in range(40, 0, -1))
    return "'r' || " + _digits(f"({backwards})")


def _phone(expr: str) -> str:
    """A phone field's searchable forms: as written, its digits, and its digits backwards; the
    last two skipped for an empty field, which keeps a rebuild of many such rows cheap."""
    return f"{expr} || CASE WHEN {expr} = '' THEN '' ELSE ' ' || {_digits(expr)} || ' ' || {_reversed_digits(expr)} END"


def _join(*parts: str) -> str:
    return " || ' ' || ".join(parts)


@dataclass(frozen=True)
class Source:
    kind: str
    code: int
    table: str
    columns: tuple[str, ...]  # the columns the index row is made of: a change to one refreshes it
    title: str
    detail: str
    archived: str
    body: str

    def expr(self, template: str, row: str) -> str:
        return template.replace("{r}", row)


SOURCES = (
    Source(
        kind="company",
        code=1,
        table="relations_company",
        columns=(
            "name",
            "owner_id",
            "archived",
            "email",
            "phone",
            "registration_number",
            "vat_number",
            "visiting_city",
            "postal_city",
        ),
        title="{r}.name",
        detail="{r}.visiting_city",
        archived="CASE WHEN {r}.archived THEN 1 ELSE 0 END",
        body=_join(
            "{r}.name",
            "{r}.email",
            _phone("{r}.phone"),
            "{r}.registration_number",
            "{r}.vat_number",
            "{r}.visiting_city",
            "{r}.postal_city",
        ),
    ),
    Source(
        kind="person",
        code=2,
        table="relations_person",
        columns=("first_name", "last_name", "owner_id", "archived", "email", "phone", "mobile"),
        title="trim({r}.first_name || ' ' || {r}.last_name)",
        detail="CASE WHEN {r}.email <> '' THEN {r}.email WHEN {r}.phone <> '' THEN {r}.phone ELSE {r}.mobile END",
        archived="CASE WHEN {r}.archived THEN 1 ELSE 0 END",
        body=_join(
            "{r}.first_name",
            "{r}.last_name",
            "{r}.email",
            _phone("{r}.phone"),
            _phone("{r}.mobile"),
        ),
    ),
    Source(
        kind="sale",
        code=3,
        table="sales_sale",
        columns=("title", "owner_id", "status"),
        title="{r}.title",
        detail="{r}.status",
        archived="0",
        body=_join("{r}.title", "CAST({r}.id AS TEXT)"),
    ),
)
KIND_CODES = {s.kind: s.code for s in SOURCES}


# --- SQLite: FTS5 ----------------------------------------------------------------------------

SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "kind UNINDEXED, object_id UNINDEXED, owner_id UNINDEXED, archived UNINDEXED, "
    "title UNINDEXED, detail UNINDEXED, body, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
)


SQLITE_COLUMNS = "(rowid, kind, object_id, owner_id, archived, title, detail, body)"


def _values(s: Source, row: str, body: str) -> str:
    return ", ".join(
        [
            f"{row}.id * 4 + {s.code}",
            f"'{s.kind}'",
            f"{row}.id",
            f"{row}.owner_id",
            s.expr(s.archived, row),
            s.expr(s.title, row),
            s.expr(s.detail, row),
            body,
        ]
    )


def _sqlite_insert(s: Source, row: str) -> str:
    return f"INSERT INTO {TABLE} {SQLITE_COLUMNS} VALUES ({_values(s, row, s.expr(s.body, row))});"


def _sqlite_triggers(s: Source) -> dict[str, str]:
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in s.columns)
    delete = f"DELETE FROM {TABLE} WHERE rowid = old.id * 4 + {s.code};"
    return {
        f"search_{s.kind}_ai": f"CREATE TRIGGER IF NOT EXISTS search_{s.kind}_ai AFTER INSERT ON {s.table} "
        f"BEGIN {_sqlite_insert(s, 'new')} END",
        f"search_{s.kind}_au": f"CREATE TRIGGER IF NOT EXISTS search_{s.kind}_au AFTER UPDATE ON {s.table} "
        f"WHEN {changed} BEGIN {delete} {_sqlite_insert(s, 'new')} END",
        f"search_{s.kind}_ad": f"CREATE TRIGGER IF NOT EXISTS search_{s.kind}_ad AFTER DELETE ON {s.table} "
        f"BEGIN {delete} END",
    }


# --- PostgreSQL: tsvector + GIN --------------------------------------------------------------

PG_TABLE = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id bigint PRIMARY KEY,
        kind varchar(10) NOT NULL,
        object_id bigint NOT NULL,
        owner_id bigint NOT NULL,
        archived smallint NOT NULL DEFAULT 0,
        title text NOT NULL,
        detail text NOT NULL,
        body tsvector NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_body ON {TABLE} USING gin (body)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_kind_owner ON {TABLE} (kind, owner_id)",
]
PG_INDEXES = [f"{TABLE}_body", f"{TABLE}_kind_owner"]  # the indexes PG_TABLE creates


def pg_vector(text_sql: str) -> str:
    # The default parser keeps e-mail addresses and host names whole; split them into words the
    # way FTS5's unicode61 tokenizer does, so "anna" finds anna@example.com on both databases.
    # search_fold() drops accents like FTS5's remove_diacritics (the query is folded in Python).
    return f"to_tsvector('simple', search_fold(translate({text_sql}, '@._/-+:', '       ')))"


PG_FOLD_UNACCENT = (
    "CREATE OR REPLACE FUNCTION search_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "$$ SELECT unaccent(value) $$"
)
PG_FOLD_PLAIN = (
    "CREATE OR REPLACE FUNCTION search_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT value $$"
)


def _pg_fold(connection: BaseDatabaseWrapper) -> None:
    """search_fold() with the unaccent extension when it can be had, else without."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cursor.execute(PG_FOLD_UNACCENT)
    except DatabaseError:
        with connection.cursor() as cursor:
            cursor.execute(PG_FOLD_PLAIN)


def _pg_values(s: Source, row: str) -> str:
    return _values(s, row, pg_vector(s.expr(s.body, row)))


PG_COLUMNS = "(id, kind, object_id, owner_id, archived, title, detail, body)"


def _pg_triggers(s: Source) -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in s.columns)
    upsert = (
        f"INSERT INTO {TABLE} {PG_COLUMNS} VALUES ({_pg_values(s, 'NEW')}) ON CONFLICT (id) DO UPDATE SET "
        "owner_id = EXCLUDED.owner_id, archived = EXCLUDED.archived, title = EXCLUDED.title, "
        "detail = EXCLUDED.detail, body = EXCLUDED.body;"
    )
    return [
        f"""CREATE OR REPLACE FUNCTION search_{s.kind}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM {TABLE} WHERE id = OLD.id * 4 + {s.code};
                RETURN NULL;
            END IF;
            IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN
                RETURN NULL;
            END IF;
            {upsert}
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION search_{s.kind}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM {TABLE} WHERE kind = '{s.kind}';
            RETURN NULL;
        END $$""",
        f"CREATE OR REPLACE TRIGGER search_{s.kind}_sync AFTER INSERT OR UPDATE OR DELETE ON {s.table} "
        f"FOR EACH ROW EXECUTE FUNCTION search_{s.kind}_sync()",
        f"CREATE OR REPLACE TRIGGER search_{s.kind}_truncate AFTER TRUNCATE ON {s.table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION search_{s.kind}_truncate()",
    ]


# --- install, rebuild, drop ------------------------------------------------------------------


def _check_vendor(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"Search has no index for {connection.vendor}.")


def table_exists(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        return TABLE in connection.introspection.table_names(cursor)


def ensure_installed(connection: BaseDatabaseWrapper) -> bool:
    """Create the index table and its triggers where missing. True when a trigger was missing
    (the index may then have missed writes and should be rebuilt).

    The lists' substring indexes (substring.py) are checked here too, once their migration is
    applied, and refilled on the spot where a trigger was missing: each has its own table, so
    only the one that may have missed writes is filled again."""
    _check_vendor(connection)
    missing = _ensure_global(connection)
    if substring.wanted(connection):
        substring.install(connection)
    return missing


def _ensure_global(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'")
            present = {name for (name,) in cursor.fetchall()}
            wanted: dict[str, str] = {}
            for source in SOURCES:
                wanted.update(_sqlite_triggers(source))
            for name, sql in wanted.items():  # replaced, so a changed definition takes effect
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)
            return not set(wanted) <= present
        for sql in PG_TABLE:
            cursor.execute(sql)
        _pg_fold(connection)
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'search_%%' AND NOT tgisinternal")
        present = {name for (name,) in cursor.fetchall()}
        for source in SOURCES:
            for sql in _pg_triggers(source):
                cursor.execute(sql)
        wanted_pg = {f"search_{s.kind}_{suffix}" for s in SOURCES for suffix in ("sync", "truncate")}
        return not wanted_pg <= present


def rebuild(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Empty the index and fill it again from the tables. Returns the rows per kind.

    Made for millions of rows: SQLite gets a new, empty FTS5 table (far cheaper than deleting
    every entry), PostgreSQL an emptied table whose indexes are built once, after the rows are in.
    """
    _check_vendor(connection)
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cursor.execute(SQLITE_TABLE)
        else:
            cursor.execute(f"TRUNCATE {TABLE}")
            for name in PG_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        for s in SOURCES:
            if connection.vendor == "sqlite":
                values = _values(s, "r", s.expr(s.body, "r"))
                cursor.execute(f"INSERT INTO {TABLE} {SQLITE_COLUMNS} SELECT {values} FROM {s.table} AS r")
            else:
                cursor.execute(f"INSERT INTO {TABLE} {PG_COLUMNS} SELECT {_pg_values(s, 'r')} FROM {s.table} AS r")
            counts[s.kind] = cursor.rowcount
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
        else:
            for sql in PG_TABLE[1:]:
                cursor.execute(sql)
            cursor.execute(f"ANALYZE {TABLE}")
    return counts


def drop(connection: BaseDatabaseWrapper) -> None:
    """Drop the index, its triggers and, on SQLite, the lists' substring indexes (a bulk load
    runs without them; `ensure_installed` makes and fills them again)."""
    _check_vendor(connection)
    substring.drop_sqlite(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for s in SOURCES:
                for name in _sqlite_triggers(s):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            for s in SOURCES:
                cursor.execute(f"DROP TRIGGER IF EXISTS search_{s.kind}_sync ON {s.table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS search_{s.kind}_truncate ON {s.table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS search_{s.kind}_sync()")
                cursor.execute(f"DROP FUNCTION IF EXISTS search_{s.kind}_truncate()")
            cursor.execute("DROP FUNCTION IF EXISTS search_fold(text)")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
