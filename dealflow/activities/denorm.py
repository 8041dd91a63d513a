"""`Activity.links_share_owner`: true when the linked sale, company, person and project (those
that are set) all have the activity's owner; kept by database triggers.

Why: an activity is visible to those who see its owner and the owner of every record it links
to (selectors.activity_scope). Checking each link's owner per row made the activity list's
count, the overdue view, the agenda and search spend most of their time in four correlated
lookups per row. With the flag, `owner IN ids AND (links_share_owner OR <the per-link checks>)`
is the same rule, and only the rare rows whose links have other owners are checked. A false
flag is always safe (the rows are then checked link by link); only a true one must never be
wrong, so the model's default is false and every write that could break it recomputes it.

Why triggers: the flag must follow every write — services, the API, `QuerySet.update()` of an
owner on any of the five tables, deletes, raw SQL — in the same transaction. An activity's
insert or update of its owner, a link or the flag itself recomputes its flag (so a stale model
instance cannot store a stale flag); a change of owner (or id), or the delete, of a sale,
company, person or project recomputes the activities linking to it (through the activity
indexes that lead with sale_id, company_id, person_id and project_id).

PostgreSQL: the activity's BEFORE trigger reads each linked record FOR SHARE, so an owner change
in another transaction either waits for this write or runs after it and then recomputes this
activity too; the linked records' triggers only pick the rows whose flag changes, and the
activity trigger recomputes those with fresh reads.

SQLite and migrations: the triggers step aside while migrations run and are put back after, with
the flags repaired (`triggers.TriggerSet`; ActivitiesConfig.ready connects them).
"""

# ruff: noqa: S608 - every statement here is built from the constants in this module; no input reaches it.
from __future__ import annotations

from dealflow.core import triggers

ACTIVITY = "activities_activity"
COLUMN = "links_share_owner"
# link column on the activity -> the linked table (each has a NOT NULL owner_id)
LINKS = {
    "sale_id": "sales_sale",
    "company_id": "relations_company",
    "person_id": "relations_person",
    "project_id": "relations_project",
}
WATCHED = ("owner_id", *LINKS, COLUMN)  # an activity's columns whose write recomputes its flag


def _shares(row: str, same: str) -> str:
    """SQL: every link of `row` is unset or its record has `row`'s owner. A link to a missing
    record counts as another owner (false), as the per-link check hides it too."""
    return " AND ".join(
        f"({row}.{link} IS NULL OR (SELECT owner_id FROM {table} WHERE id = {row}.{link}) {same} {row}.owner_id)"
        for link, table in LINKS.items()
    )


def _short(table: str) -> str:
    return table.split("_", 1)[1]  # sales_sale -> sale


# SQLite cannot change NEW in a trigger, so an activity's row is corrected right after the write;
# the WHEN clause makes that a no-op when the flag is already right.
_SQLITE_OK = _shares("NEW", "IS")
_SQLITE_ROW_OK = _shares(ACTIVITY, "IS")
SQLITE_TRIGGERS = {
    "activity_links_share_owner_insert": f"CREATE TRIGGER IF NOT EXISTS activity_links_share_owner_insert "
    f"AFTER INSERT ON {ACTIVITY} WHEN NEW.{COLUMN} IS NOT ({_SQLITE_OK}) "
    f"BEGIN UPDATE {ACTIVITY} SET {COLUMN} = ({_SQLITE_OK}) WHERE id = NEW.id; END",
    "activity_links_share_owner_update": f"CREATE TRIGGER IF NOT EXISTS activity_links_share_owner_update "
    f"AFTER UPDATE OF {', '.join(WATCHED)} ON {ACTIVITY} WHEN NEW.{COLUMN} IS NOT ({_SQLITE_OK}) "
    f"BEGIN UPDATE {ACTIVITY} SET {COLUMN} = ({_SQLITE_OK}) WHERE id = NEW.id; END",
}
for _link, _table in LINKS.items():
    _recompute = (
        f"UPDATE {ACTIVITY} SET {COLUMN} = ({_SQLITE_ROW_OK}) "
        f"WHERE {_link} IN ({{ids}}) AND {COLUMN} IS NOT ({_SQLITE_ROW_OK});"
    )
    SQLITE_TRIGGERS[f"{_short(_table)}_owner_to_activities"] = (
        f"CREATE TRIGGER IF NOT EXISTS {_short(_table)}_owner_to_activities "
        f"AFTER UPDATE OF id, owner_id ON {_table} WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.id IS NOT NEW.id "
        f"BEGIN {_recompute.format(ids='OLD.id, NEW.id')} END"
    )
    SQLITE_TRIGGERS[f"{_short(_table)}_delete_to_activities"] = (
        f"CREATE TRIGGER IF NOT EXISTS {_short(_table)}_delete_to_activities AFTER DELETE ON {_table} "
        f"BEGIN {_recompute.format(ids='OLD.id')} END"
    )

# PostgreSQL sets NEW before the row is written. The links are read in order, each FOR SHARE,
# and the first one with another owner settles it (that one's lock keeps the answer true).
_PG_READS = "\n".join(
    f"""            IF ok AND NEW.{link} IS NOT NULL THEN
                linked := NULL;
                SELECT owner_id INTO linked FROM {table} WHERE id = NEW.{link} FOR SHARE;
                ok := linked IS NOT DISTINCT FROM NEW.owner_id;
            END IF;"""
    for link, table in LINKS.items()
)
_PG_UNCHANGED = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in WATCHED)
_PG_ROW_OK = _shares("a", "IS NOT DISTINCT FROM")
PG_TRIGGERS: dict[str, list[str]] = {
    "activity_links_share_owner": [
        f"""CREATE OR REPLACE FUNCTION activity_links_share_owner() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            ok boolean := true;
            linked bigint;
        BEGIN
            IF TG_OP = 'UPDATE' AND {_PG_UNCHANGED} THEN
                RETURN NEW;
            END IF;
{_PG_READS}
            NEW.{COLUMN} := ok;
            RETURN NEW;
        END $$""",
        f"CREATE OR REPLACE TRIGGER activity_links_share_owner BEFORE INSERT OR UPDATE OF {', '.join(WATCHED)} "
        f"ON {ACTIVITY} FOR EACH ROW EXECUTE FUNCTION activity_links_share_owner()",
    ],
}
PG_DROP = [f"DROP TRIGGER IF EXISTS activity_links_share_owner ON {ACTIVITY}"]
for _link, _table in LINKS.items():
    _name = f"{_short(_table)}_owner_to_activities"
    # Only the rows whose flag changes are written; the activity trigger then recomputes each.
    PG_TRIGGERS[_name] = [
        f"""CREATE OR REPLACE FUNCTION {_name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {ACTIVITY} a SET {COLUMN} = ({_PG_ROW_OK})
            WHERE a.{_link} = OLD.id AND a.{COLUMN} IS DISTINCT FROM ({_PG_ROW_OK});
            IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
                UPDATE {ACTIVITY} a SET {COLUMN} = ({_PG_ROW_OK})
                WHERE a.{_link} = NEW.id AND a.{COLUMN} IS DISTINCT FROM ({_PG_ROW_OK});
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE OR REPLACE TRIGGER {_name} AFTER UPDATE OF id, owner_id ON {_table} FOR EACH ROW "
        f"WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.id IS DISTINCT FROM NEW.id) "
        f"EXECUTE FUNCTION {_name}()",
        f"CREATE OR REPLACE TRIGGER {_short(_table)}_delete_to_activities AFTER DELETE ON {_table} "
        f"FOR EACH ROW EXECUTE FUNCTION {_name}()",
    ]
    PG_DROP += [
        f"DROP TRIGGER IF EXISTS {_name} ON {_table}",
        f"DROP TRIGGER IF EXISTS {_short(_table)}_delete_to_activities ON {_table}",
        f"DROP FUNCTION IF EXISTS {_name}()",
    ]
PG_DROP.append("DROP FUNCTION IF EXISTS activity_links_share_owner()")
PG_TRIGGER_NAMES = {
    "activity_links_share_owner",
    *(f"{_short(t)}_{what}_to_activities" for t in LINKS.values() for what in ("owner", "delete")),
}

# Only the rows whose flag is wrong are written, so checking a correct table costs one read.
SQLITE_REBUILD = [f"UPDATE {ACTIVITY} SET {COLUMN} = ({_SQLITE_ROW_OK}) WHERE {COLUMN} IS NOT ({_SQLITE_ROW_OK})"]
# PostgreSQL: joins (hashed over the whole tables) rather than four lookups per activity.
_PG_JOINED_OK = " AND ".join(
    f"(x.{link} IS NULL OR l{n}.owner_id IS NOT DISTINCT FROM x.owner_id)" for n, link in enumerate(LINKS)
)
_PG_JOINS = " ".join(f"LEFT JOIN {table} l{n} ON l{n}.id = x.{link}" for n, (link, table) in enumerate(LINKS.items()))
PG_REBUILD = [
    f"UPDATE {ACTIVITY} a SET {COLUMN} = v.ok FROM (SELECT x.id, {_PG_JOINED_OK} AS ok FROM {ACTIVITY} x {_PG_JOINS}) v "
    f"WHERE a.id = v.id AND a.{COLUMN} IS DISTINCT FROM v.ok"
]


KEPT = triggers.TriggerSet(
    "Activity.links_share_owner",
    sqlite=SQLITE_TRIGGERS,
    pg=PG_TRIGGERS,
    pg_names=PG_TRIGGER_NAMES,
    pg_drop=PG_DROP,
    rebuild={"sqlite": SQLITE_REBUILD, "postgresql": PG_REBUILD}.__getitem__,
    needs=[(ACTIVITY, COLUMN), *((table, None) for table in LINKS.values())],
    rebuild_first=True,
)
trigger_names = KEPT.trigger_names
install_triggers = KEPT.install_triggers
drop_triggers = KEPT.drop_triggers  # for a bulk load, which writes the flags itself and checks them at the end
rebuild = KEPT.rebuild  # correct every activity whose flag is wrong; returns how many
install_in_migration = KEPT.install_in_migration  # activities migration 0003
ensure_installed = KEPT.ensure_installed
before_migrate = KEPT.before_migrate
after_migrate = KEPT.after_migrate
