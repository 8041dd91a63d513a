"""The company's name on each person and each sale (`Person.company_name`, `Sale.company_name`),
kept by database triggers.

The person list and the sales list sort by company name. Through a join, the database had to
sort every visible row before it could return a page (~170 ms for 75k persons on SQLite, 200-800
ms for a team's 250k sales on either database); with the name on the row, it walks the list's
company index (person_list_by_company, sale_list_by_company) and stops after the page.

Why triggers: the name must follow every write — services, the API, `QuerySet.update()`,
`bulk_create`, raw SQL, a future importer or merge — in the same transaction, without any of
them having to remember it. Whatever a write puts into company_name, the trigger replaces with
the company's current name (NULL without a company), so a stale model instance cannot store a
stale name. Each table that carries the name is a `Copy` with its own triggers (its rows' writes,
and a company's rename carried to its rows): each copy is installed by the migration that adds
its column (relations 0004, sales 0010) and dropped by that migration's reverse, so neither
depends on the other's column being there.

SQLite and migrations: Django rebuilds a table to alter it (new table, copy, drop, rename), which
drops the table's own triggers, and SQLite refuses the rename while a trigger of another table
names the dropped one ("error in trigger company_name_to_persons: no such table"). So on SQLite
`before_migrate` drops these triggers when migrations are about to run, and `after_migrate` puts
them back and repairs the names written in between (the pre_migrate and post_migrate receivers
for RelationsConfig.ready to connect). The migrations that add a column leave the installing
to `after_migrate` in that case, so a later migration in the same run may rebuild the tables too.
"""

# ruff: noqa: S608 - every statement here is built from the constants in this module; no input reaches it.
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from dealflow.core import triggers

COMPANY = "relations_company"
COLUMN = "company_name"
# The database aliases whose running `migrate` dropped the triggers (before_migrate, SQLite).
_MIGRATING: set[str] = set()


@dataclass(frozen=True)
class Copy:
    """A table whose rows carry a column of their company: `column` holds the company's `source`
    (`company_id` → `company_name`, the company's name, unless told otherwise). `row`, `rows` and
    `what` name its triggers ("person", "persons", "company_name": person_company_name,
    company_name_to_persons). The sales also carry their company's account type
    (`Sale.account_type`: the win/loss report and the list grouped by account type read it
    without joining every sale to its company), kept the same way."""

    table: str
    row: str
    rows: str
    column: str = COLUMN
    source: str = "name"
    what: str = COLUMN

    @property
    def _of(self) -> str:
        return f"(SELECT {self.source} FROM {COMPANY} WHERE id = NEW.company_id)"

    @property
    def sqlite_triggers(self) -> dict[str, str]:
        # SQLite cannot change NEW in a trigger, so the row is corrected right after the write;
        # the WHEN clause makes that a no-op when the copy is already right (and ends the recursion).
        t, col, src, of = self.table, self.column, self.source, self._of
        fix = f"UPDATE {t} SET {col} = {of} WHERE id = NEW.id"
        own, to_rows = f"{self.row}_{self.what}", f"{self.what}_to_{self.rows}"
        return {
            f"{own}_insert": f"CREATE TRIGGER IF NOT EXISTS {own}_insert "
            f"AFTER INSERT ON {t} WHEN NEW.{col} IS NOT {of} BEGIN {fix}; END",
            f"{own}_update": f"CREATE TRIGGER IF NOT EXISTS {own}_update "
            f"AFTER UPDATE OF company_id, {col} ON {t} WHEN NEW.{col} IS NOT {of} BEGIN {fix}; END",
            to_rows: f"CREATE TRIGGER IF NOT EXISTS {to_rows} "
            f"AFTER UPDATE OF {src} ON {COMPANY} WHEN OLD.{src} IS NOT NEW.{src} "
            f"BEGIN UPDATE {t} SET {col} = NEW.{src} WHERE company_id = NEW.id AND {col} IS NOT NEW.{src}; END",
        }

    @property
    def pg_triggers(self) -> dict[str, list[str]]:
        # PostgreSQL sets NEW before the row is written. FOR SHARE on the company: a change of it in
        # another transaction either waits for this write or runs after it and then updates this row too.
        own, to_rows = f"{self.row}_{self.what}", f"{self.what}_to_{self.rows}"
        col, src = self.column, self.source
        return {
            own: [
                f"""CREATE OR REPLACE FUNCTION {own}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.company_id IS NOT DISTINCT FROM OLD.company_id
                       AND NEW.{col} IS NOT DISTINCT FROM OLD.{col} THEN
                        RETURN NEW;
                    END IF;
                    NEW.{col} := NULL;
                    IF NEW.company_id IS NOT NULL THEN
                        SELECT {src} INTO NEW.{col} FROM {COMPANY} WHERE id = NEW.company_id FOR SHARE;
                    END IF;
                    RETURN NEW;
                END $$""",
                f"CREATE OR REPLACE TRIGGER {own} BEFORE INSERT OR UPDATE OF company_id, {col} "
                f"ON {self.table} FOR EACH ROW EXECUTE FUNCTION {own}()",
            ],
            to_rows: [
                f"""CREATE OR REPLACE FUNCTION {to_rows}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE {self.table} SET {col} = NEW.{src}
                    WHERE company_id = NEW.id AND {col} IS DISTINCT FROM NEW.{src};
                    RETURN NULL;
                END $$""",
                f"CREATE OR REPLACE TRIGGER {to_rows} AFTER UPDATE OF {src} ON {COMPANY} "
                f"FOR EACH ROW WHEN (OLD.{src} IS DISTINCT FROM NEW.{src}) EXECUTE FUNCTION {to_rows}()",
            ],
        }

    @property
    def pg_drop(self) -> list[str]:
        own, to_rows = f"{self.row}_{self.what}", f"{self.what}_to_{self.rows}"
        return [
            f"DROP TRIGGER IF EXISTS {own} ON {self.table}",
            f"DROP TRIGGER IF EXISTS {to_rows} ON {COMPANY}",
            f"DROP FUNCTION IF EXISTS {own}()",
            f"DROP FUNCTION IF EXISTS {to_rows}()",
        ]

    @property
    def sqlite_rebuild(self) -> list[str]:
        # Only the rows whose copy is wrong are written, so checking a correct table costs one read.
        value = f"(SELECT c.{self.source} FROM {COMPANY} c WHERE c.id = {self.table}.company_id)"
        return [f"UPDATE {self.table} SET {self.column} = {value} WHERE {self.column} IS NOT {value}"]

    @property
    def pg_rebuild(self) -> list[str]:
        col = self.column
        return [
            f"UPDATE {self.table} r SET {col} = c.{self.source} FROM {COMPANY} c "
            f"WHERE c.id = r.company_id AND r.{col} IS DISTINCT FROM c.{self.source}",
            f"UPDATE {self.table} SET {col} = NULL WHERE company_id IS NULL AND {col} IS NOT NULL",
        ]

    def triggers(self, connection: BaseDatabaseWrapper) -> list[str]:
        """The names of this copy's triggers on `connection`'s kind of database."""
        return list(self.sqlite_triggers if connection.vendor == "sqlite" else self.pg_triggers)


PERSONS = Copy(table="relations_person", row="person", rows="persons")
SALES = Copy(table="sales_sale", row="sale", rows="sales")
# The sales' account type (sales migration 0013): sale_account_type(_insert/_update), account_type_to_sales.
SALE_ACCOUNT_TYPES = Copy(
    table="sales_sale", row="sale", rows="sales", column="account_type_id", source="account_type_id",
    what="account_type",
)  # fmt: skip
COPIES = (PERSONS, SALES, SALE_ACCOUNT_TYPES)
# Every trigger of every copy, by name.
SQLITE_TRIGGERS = {name: sql for copy in COPIES for name, sql in copy.sqlite_triggers.items()}
PG_TRIGGERS = {name: sql for copy in COPIES for name, sql in copy.pg_triggers.items()}


def _check_vendor(connection: BaseDatabaseWrapper) -> None:
    triggers.check_vendor(connection, "company_name")


_run = triggers.run


def present(connection: BaseDatabaseWrapper) -> list[Copy]:
    """The copies whose table has their column (not before the migration that adds it)."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        return [
            copy
            for copy in COPIES
            if copy.table in tables
            and copy.column in {c.name for c in connection.introspection.get_table_description(cursor, copy.table)}
        ]


def trigger_names(connection: BaseDatabaseWrapper) -> set[str]:
    """The company-name triggers present in the database."""
    _check_vendor(connection)
    return triggers.present(connection) & set(SQLITE_TRIGGERS if connection.vendor == "sqlite" else PG_TRIGGERS)


def install_triggers(connection: BaseDatabaseWrapper, copies: Iterable[Copy] | None = None) -> None:
    """Install the triggers of `copies` (by default of every copy whose column is there)."""
    _check_vendor(connection)
    for copy in present(connection) if copies is None else copies:
        triggers.install(connection, copy.sqlite_triggers, copy.pg_triggers)


def drop_triggers(connection: BaseDatabaseWrapper, copies: Iterable[Copy] = COPIES) -> None:
    """For a bulk load, which writes the names itself and checks them once at the end; and for
    the migrations that step aside (before_migrate) or go back."""
    _check_vendor(connection)
    for copy in copies:
        triggers.drop(connection, copy.sqlite_triggers, copy.pg_drop)


def rebuild(connection: BaseDatabaseWrapper, copies: Iterable[Copy] | None = None) -> int:
    """Correct every row whose company_name is not its company's name (in `copies`, by default
    every copy whose column is there). Returns how many."""
    _check_vendor(connection)
    statements = [
        sql
        for copy in (present(connection) if copies is None else copies)
        for sql in (copy.sqlite_rebuild if connection.vendor == "sqlite" else copy.pg_rebuild)
    ]
    return _run(connection, statements)


def install_in_migration(connection: BaseDatabaseWrapper) -> None:
    """The migrations that add a company_name column (relations 0004, sales 0010): fill the names
    of the rows already there and keep them by triggers, unless before_migrate dropped them for
    this run (after_migrate installs them)."""
    copies = present(connection)
    rebuild(connection, copies)
    if connection.alias not in _MIGRATING:
        install_triggers(connection, copies)


def ensure_installed(connection: BaseDatabaseWrapper) -> bool:
    """Put back any missing trigger of the copies whose column is there and, for a copy that
    missed one (writes may have gone past it), correct the names. True when something was put back."""
    _check_vendor(connection)
    found = trigger_names(connection)
    missing = [copy for copy in present(connection) if not set(copy.triggers(connection)) <= found]
    install_triggers(connection, missing)
    rebuild(connection, missing)
    return bool(missing)


def before_migrate(using: str = "default", plan: list[Any] | None = None, **kwargs: Any) -> None:
    """pre_migrate receiver: on SQLite, drop the triggers before migrations run, so that a
    migration may rebuild relations_person, sales_sale or relations_company (see the module's docstring)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and plan:
        _MIGRATING.add(using)
        drop_triggers(connection)


def after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: install the triggers that are missing (dropped by before_migrate
    or by a table rebuild) and, where one was, repair the names."""
    from django.db import connections

    _MIGRATING.discard(using)
    connection = connections[using]
    if connection.vendor in ("sqlite", "postgresql"):
        ensure_installed(connection)
