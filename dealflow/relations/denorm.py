"""The company's name on each person (`Person.company_name`), kept by database triggers.

The person list sorts by company name. Through a join, the database had to sort every visible
person before it could return a page (~170 ms for 75k persons on SQLite); with the name on the
person, it walks the person_list_by_company index and stops after the page.

Why triggers: the name must follow every write — services, the API, `QuerySet.update()`,
`bulk_create`, raw SQL, a future importer or merge — in the same transaction, without any of
them having to remember it. Whatever a write puts into company_name, the trigger replaces with
the company's current name (NULL without a company), so a stale model instance cannot store a
stale name.

SQLite and migrations: Django rebuilds a table to alter it (new table, copy, drop, rename), which
drops the table's own triggers, and SQLite refuses the rename while a trigger of the other table
names the dropped one ("error in trigger company_name_to_persons: no such table"). So on SQLite
`before_migrate` drops these triggers when migrations are about to run, and `after_migrate` puts
them back and repairs the names written in between (the pre_migrate and post_migrate receivers
for RelationsConfig.ready to connect). The migration that adds the column leaves the installing
to `after_migrate` in that case, so a later migration in the same run may rebuild the tables too.
"""

# ruff: noqa: S608 - every statement here is built from the constants in this module; no input reaches it.
from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

PERSON = "relations_person"
COMPANY = "relations_company"
COLUMN = "company_name"
# The database aliases whose running `migrate` dropped the triggers (before_migrate, SQLite).
_MIGRATING: set[str] = set()
_NAME_OF = f"(SELECT name FROM {COMPANY} WHERE id = NEW.company_id)"

# SQLite cannot change NEW in a trigger, so a person's row is corrected right after the write;
# the WHEN clause makes that a no-op when the name is already right (and ends the recursion).
SQLITE_TRIGGERS = {
    "person_company_name_insert": f"CREATE TRIGGER IF NOT EXISTS person_company_name_insert "
    f"AFTER INSERT ON {PERSON} WHEN NEW.{COLUMN} IS NOT {_NAME_OF} "
    f"BEGIN UPDATE {PERSON} SET {COLUMN} = {_NAME_OF} WHERE id = NEW.id; END",
    "person_company_name_update": f"CREATE TRIGGER IF NOT EXISTS person_company_name_update "
    f"AFTER UPDATE OF company_id, {COLUMN} ON {PERSON} WHEN NEW.{COLUMN} IS NOT {_NAME_OF} "
    f"BEGIN UPDATE {PERSON} SET {COLUMN} = {_NAME_OF} WHERE id = NEW.id; END",
    "company_name_to_persons": f"CREATE TRIGGER IF NOT EXISTS company_name_to_persons "
    f"AFTER UPDATE OF name ON {COMPANY} WHEN OLD.name IS NOT NEW.name "
    f"BEGIN UPDATE {PERSON} SET {COLUMN} = NEW.name WHERE company_id = NEW.id AND {COLUMN} IS NOT NEW.name; END",
}

# PostgreSQL sets NEW before the row is written. FOR SHARE on the company: a rename in another
# transaction either waits for this write or runs after it and then updates this person too.
PG_TRIGGERS = {
    "person_company_name": [
        f"""CREATE OR REPLACE FUNCTION person_company_name() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.company_id IS NOT DISTINCT FROM OLD.company_id
               AND NEW.{COLUMN} IS NOT DISTINCT FROM OLD.{COLUMN} THEN
                RETURN NEW;
            END IF;
            NEW.{COLUMN} := NULL;
            IF NEW.company_id IS NOT NULL THEN
                SELECT name INTO NEW.{COLUMN} FROM {COMPANY} WHERE id = NEW.company_id FOR SHARE;
            END IF;
            RETURN NEW;
        END $$""",
        f"CREATE OR REPLACE TRIGGER person_company_name BEFORE INSERT OR UPDATE OF company_id, {COLUMN} "
        f"ON {PERSON} FOR EACH ROW EXECUTE FUNCTION person_company_name()",
    ],
    "company_name_to_persons": [
        f"""CREATE OR REPLACE FUNCTION company_name_to_persons() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {PERSON} SET {COLUMN} = NEW.name WHERE company_id = NEW.id AND {COLUMN} IS DISTINCT FROM NEW.name;
            RETURN NULL;
        END $$""",
        f"CREATE OR REPLACE TRIGGER company_name_to_persons AFTER UPDATE OF name ON {COMPANY} "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION company_name_to_persons()",
    ],
}
PG_DROP = [
    f"DROP TRIGGER IF EXISTS person_company_name ON {PERSON}",
    f"DROP TRIGGER IF EXISTS company_name_to_persons ON {COMPANY}",
    "DROP FUNCTION IF EXISTS person_company_name()",
    "DROP FUNCTION IF EXISTS company_name_to_persons()",
]

# Only the rows whose name is wrong are written, so checking a correct table costs one read.
SQLITE_REBUILD = [
    f"UPDATE {PERSON} SET {COLUMN} = (SELECT c.name FROM {COMPANY} c WHERE c.id = {PERSON}.company_id) "
    f"WHERE {COLUMN} IS NOT (SELECT c.name FROM {COMPANY} c WHERE c.id = {PERSON}.company_id)"
]
PG_REBUILD = [
    f"UPDATE {PERSON} p SET {COLUMN} = c.name FROM {COMPANY} c "
    f"WHERE c.id = p.company_id AND p.{COLUMN} IS DISTINCT FROM c.name",
    f"UPDATE {PERSON} SET {COLUMN} = NULL WHERE company_id IS NULL AND {COLUMN} IS NOT NULL",
]


def _check_vendor(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"Person.company_name has no triggers for {connection.vendor}.")


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> int:
    rows = 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            rows += max(cursor.rowcount, 0)
    return rows


def trigger_names(connection: BaseDatabaseWrapper) -> set[str]:
    """The company-name triggers present in the database."""
    _check_vendor(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        present = {name for (name,) in cursor.fetchall()}
    wanted = set(SQLITE_TRIGGERS if connection.vendor == "sqlite" else PG_TRIGGERS)
    return present & wanted


def install_triggers(connection: BaseDatabaseWrapper) -> None:
    _check_vendor(connection)
    if connection.vendor == "sqlite":
        _run(connection, list(SQLITE_TRIGGERS.values()))
    else:
        _run(connection, [sql for statements in PG_TRIGGERS.values() for sql in statements])


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """For a bulk load, which writes the names itself and checks them once at the end."""
    _check_vendor(connection)
    if connection.vendor == "sqlite":
        _run(connection, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS])
    else:
        _run(connection, PG_DROP)


def rebuild(connection: BaseDatabaseWrapper) -> int:
    """Correct every person whose company_name is not its company's name. Returns how many."""
    _check_vendor(connection)
    return _run(connection, SQLITE_REBUILD if connection.vendor == "sqlite" else PG_REBUILD)


def install_in_migration(connection: BaseDatabaseWrapper) -> None:
    """Relations migration 0004: fill the names of the persons already there and keep them by
    triggers, unless before_migrate dropped them for this run (after_migrate installs them)."""
    rebuild(connection)
    if connection.alias not in _MIGRATING:
        install_triggers(connection)


def ensure_installed(connection: BaseDatabaseWrapper) -> bool:
    """Put back any missing trigger and, when one was missing (writes may have gone past it),
    correct the names. True when something was put back."""
    wanted = SQLITE_TRIGGERS if connection.vendor == "sqlite" else PG_TRIGGERS
    if trigger_names(connection) == set(wanted):
        return False
    install_triggers(connection)
    rebuild(connection)
    return True


def before_migrate(using: str = "default", plan: list[Any] | None = None, **kwargs: Any) -> None:
    """pre_migrate receiver: on SQLite, drop the triggers before migrations run, so that a
    migration may rebuild relations_person or relations_company (see the module's docstring)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and plan:
        _MIGRATING.add(using)
        drop_triggers(connection)


def after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: install the triggers that are missing (dropped by before_migrate
    or by a table rebuild) and, when one was, repair the names."""
    from django.db import connections

    _MIGRATING.discard(using)
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        if PERSON not in connection.introspection.table_names(cursor):
            return
        columns = {c.name for c in connection.introspection.get_table_description(cursor, PERSON)}
    if COLUMN in columns:  # not before migration relations 0004 (nor after migrating back)
        ensure_installed(connection)
