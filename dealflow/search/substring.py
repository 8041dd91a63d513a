"""The lists' search box (`?q=`): every word a case-insensitive substring of one of the list's
fields or of the record's company name (Django's `icontains`), found through a trigram index
instead of a scan of the table.

The rows stay exactly those of the plain `icontains` filter, on each database with its own case
rules: an index only narrows the candidates, and the `icontains` predicate stays on top.

- SQLite: an external-content FTS5 table per searched table (`tokenize='trigram'`: the text is
  not stored twice), kept by triggers like the global search index and repaired with it after
  a migration (schema.ensure_installed). Its MATCH folds case for all of Unicode, LIKE for
  ASCII only, so a match is a superset and LIKE decides.
- PostgreSQL: a pg_trgm GIN index on `UPPER(column::text)` per searched column, the expression
  of Django's `icontains` itself, so the predicate is the index condition.
- Both: the company name is matched as `company_id IN (the matching companies)`, found through
  the companies' index, so no list joins the companies to filter; an index on (company, then
  the columns a list's count checks) lets a count over those companies read the index alone.

Words shorter than three characters have no trigram: they keep the plain scan, which is quick
for them because they match many rows early.

How a word is best searched depends on how many rows match it, and neither planner can see
that well: SQLite knows nothing of an FTS match, and PostgreSQL assumes the matches spread
evenly along a sort index, which a name searched in a list sorted by name is not. So each word
is first counted from the indexes (up to a cap; PostgreSQL's own estimate past a few), a word or
part that matches nothing is left out (which also spares the planners an OR), and the word
with the fewest rows leads the query; the others only check the rows it finds. The lead word:

- few matches (`DRIVE`): the query starts from them; a page or a count then reads a few
  thousand rows at most, however the list is sorted;
- more, on SQLite: each row the query walks is checked against the match (`+rowid IN (...)`:
  the unary + keeps the planner from starting there), so a page walks the list's sort index
  and stops early and a count reads an index only; past `WALK` matches collecting them costs
  more than it saves and the word is matched by the scan alone, which finds a page at once;
- more, on PostgreSQL: the predicate as written (the planner weighs it with its statistics),
  and up to `PG_DRIVE` a page is told the matches are few (`_RareInPages`), so it fetches
  them through the index and sorts them instead of walking the sort index;
- companies with many rows, on SQLite: a page walks its sort index and checks the company
  ids, a count starts from them (`_CompanyIds`), since SQLite's planner does not count on a
  LIMIT ending a walk early.
"""

# ruff: noqa: S608 - table and column names here are this module's constants, never input.
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import FullResultSet
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, Model, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.query import Query

M = TypeVar("M", bound=Model)

MIN_LENGTH = 3  # a trigram
DRIVE = 2_000  # SQLite: up to this many candidates a query starts from them
WALK = 50_000  # SQLite: past this many, the word is matched by the scan alone
COMPANY_IDS = 10_000  # SQLite: a word's companies are written into the query as ids up to this many
PG_FEW = 1_000  # PostgreSQL: a word it expects in this many rows or fewer is counted
PG_DRIVE = 50_000  # PostgreSQL: up to this many matches (its estimate), a page starts from them
PG_COMPANY_IDS = 200  # PostgreSQL: companies as ids up to this many (a long list costs planning time)
MIGRATION = ("search", "0002_substring")


@dataclass(frozen=True)
class Target:
    """A searched table, the columns its index covers (every field a list searches there) and,
    for a table whose lists also search the company's name, an index for that path: the company,
    then the columns a list's count checks, so the count is read from the index alone."""

    key: str
    table: str
    columns: tuple[str, ...]
    by_company: tuple[str, ...] = ()

    @property
    def fts(self) -> str:
        return f"substring_{self.key}"

    @property
    def company_index(self) -> str:
        return f"substring_{self.key}_by_company"


TARGETS = (
    Target(
        "company",
        "relations_company",
        ("name", "email", "phone", "visiting_city", "registration_number", "vat_number"),
    ),
    Target(
        "person",
        "relations_person",
        ("first_name", "last_name", "email", "phone", "mobile"),
        by_company=("company_id", "owner_id", "archived"),
    ),
    Target("project", "relations_project", ("name",)),
    Target("sale", "sales_sale", ("title",), by_company=("company_id", "owner_id", "status")),
    Target("activity", "activities_activity", ("subject", "text")),
)
BY_TABLE = {t.table: t for t in TARGETS}
COMPANY = BY_TABLE["relations_company"]


# --- the lists' filter --------------------------------------------------------------------------


def words(q: str) -> list[str]:
    """The words of a search box: split on white space, at most five."""
    return [t for t in q.split() if t][:5]


def matching(qs: QuerySet[M], terms: Iterable[str], fields: Sequence[str], company: str | None = None) -> QuerySet[M]:
    """`qs` narrowed to the rows where each term is a case-insensitive substring of one of
    `fields` or, with `company` (a foreign key to Company), of that company's name: the rows of
    `Q(field__icontains=term) | ... | Q(company__name__icontains=term)` for each term."""
    vendor = connections[qs.db].vendor
    target = BY_TABLE.get(qs.model._meta.db_table)
    found = []
    for term in terms:
        if len(term) < MIN_LENGTH or target is None or vendor not in ("sqlite", "postgresql"):
            condition = _icontains(fields, term)
            if company:
                condition |= Q(**{f"{company}__name__icontains": term})
            qs = qs.filter(condition)
            continue
        unknown = set(fields) - set(target.columns)
        if unknown:
            raise ValueError(f"{target.table} has no search index on {', '.join(sorted(unknown))}.")
        word = _Word(qs, target, fields, company, term)
        if word.rows == 0:
            return qs.none()
        found.append(word)
    # The word with the fewest rows leads: the others only check the rows it finds.
    lead = min(found, key=lambda w: w.rows, default=None)
    for word in found:
        qs = qs.filter(word.condition(lead=word is lead))
    return qs


def _icontains(fields: Sequence[str], term: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": term})
    return condition


class _Word:
    """One word of a list's search on one table, counted from the indexes (up to a cap): how
    many rows contain it in their own fields, and which companies' names contain it and how
    many of the rows belong to those. Its condition is written for those numbers; a part
    that matches nothing is left out, which also spares both planners an OR."""

    def __init__(self, qs: QuerySet[Any], target: Target, fields: Sequence[str], fk: str | None, term: str) -> None:
        self.target, self.fields, self.term = target, fields, term
        self.model, self.db = qs.model, qs.db
        self.sqlite = connections[qs.db].vendor == "sqlite"
        self.exact = _icontains(fields, term)
        self.own = self._count_own()
        self.column = self.model._meta.get_field(fk).attname if fk else ""  # type: ignore[union-attr]
        self.company_ids: list[int] | None = []  # None: too many to list
        self.by_company = 0
        if fk:
            self._find_companies()
        self.rows = self.own + self.by_company

    def _count_own(self) -> int:
        if self.sqlite:
            return _count_match(self.db, self.target, self.fields, self.term, WALK + 1)
        rows = self.model._default_manager.using(self.db).filter(self.exact).order_by()
        # PostgreSQL's own estimate first: counting a common word would cost what the index
        # saves, and its statistics on UPPER(column) are good (an OR of columns that match the
        # same rows, as a last name and an e-mail address, is counted twice). A word it expects
        # in few rows is counted, through the index, as the estimate cannot say "none". Not
        # with LIMIT 1: for a word it expects in 30 rows and that is in none, the planner would
        # read the table from the start to find the first (276 ms for 300k persons).
        estimate = int(_pg_estimate(self.db, rows.values("pk").query))
        if estimate > PG_FEW:
            return estimate
        return rows[: PG_FEW + 1].count()

    def _find_companies(self) -> None:
        from dealflow.relations.models import Company

        found = Company._default_manager.using(self.db).filter(name__icontains=self.term).order_by()
        if self.sqlite:
            found = found.filter(_RowidIn(F("pk"), COMPANY, ("name",), self.term, walk=False))
        cap = COMPANY_IDS if self.sqlite else PG_COMPANY_IDS
        self.companies = found.values("pk")
        ids = _ids(self.db, self.companies[: cap + 1].query)
        if len(ids) > cap:
            self.company_ids, self.by_company = None, WALK + 1
        elif ids and self.sqlite:
            self.company_ids = ids
            self.by_company = _count_in(self.db, self.model._meta.db_table, self.column, ids, DRIVE + 1)
        else:
            self.company_ids = ids
            self.by_company = len(ids)  # PostgreSQL weighs the ids itself; enough to know there are some

    def condition(self, *, lead: bool) -> Q:
        """The rows containing the word. The lead word's condition is the one the query may start
        from; any other only checks rows (SQLite's unary + keeps a planner from starting there)."""
        branches = []
        if self.own:
            branches.append(self._own_condition(lead))
        if self.company_ids is None:
            branches.append(Q(**{f"{self.column}__in": self.companies}))
        elif self.company_ids:
            walk = "never"
            if self.sqlite:
                walk = "always" if not lead else "sorted" if self.by_company > DRIVE else "never"
            branches.append(Q(_CompanyIds(F(self.column), self.company_ids, walk=walk)))
        condition = branches[0]
        for branch in branches[1:]:
            condition |= branch
        return condition

    def _own_condition(self, lead: bool) -> Q:
        if self.sqlite:
            if not lead or self.own > WALK:
                return self.exact
            return Q(_RowidIn(F("pk"), self.target, self.fields, self.term, walk=self.own > DRIVE)) & self.exact
        if not lead or self.own > PG_DRIVE:
            return self.exact
        return self.exact & Q(_RareInPages(self.exact, self.fields))


def _match(columns: Sequence[str], term: str) -> str:
    """An FTS5 query: the term as one phrase (with the trigram tokenizer: a substring) in `columns`."""
    return "{" + " ".join(columns) + "} : " + '"' + term.replace('"', '""') + '"'


def _count_match(db: str, target: Target, columns: Sequence[str], term: str, cap: int) -> int:
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {target.fts} WHERE {target.fts} MATCH %s LIMIT {int(cap)})"
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [_match(columns, term)])
        return int(cursor.fetchone()[0])


def _in_list(ids: Sequence[int]) -> str:
    """Ids written into the SQL (integers from the database): thousands of parameters cost
    Django and the drivers more than the query itself."""
    return ", ".join(str(int(i)) for i in ids)


def _count_in(db: str, table: str, column: str, ids: Sequence[int], cap: int) -> int:
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {column} IN ({_in_list(ids)}) LIMIT {int(cap)})"
    with connections[db].cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def _ids(db: str, query: Query) -> list[int]:
    """The ids a query selects, read straight from the cursor (thousands of them through the
    queryset's row handling cost several times the query)."""
    sql, params = query.get_compiler(using=db).as_sql()
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return [int(pk) for (pk,) in cursor.fetchall()]


def _pg_estimate(db: str, query: Query) -> float:
    sql, params = query.get_compiler(using=db).as_sql()
    with connections[db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def _sorted(query: Query) -> bool:
    """Whether the query being compiled has an ORDER BY (a page), not a count or a lookup."""
    return bool(query.order_by or query.extra_order_by or (query.default_ordering and query.get_meta().ordering))


class _Condition(Expression):
    """A boolean SQL condition on one column or condition of the row (usable in filter() and Q)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: Any) -> None:
        super().__init__()
        self.column = column

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs


class _RowidIn(_Condition):
    """SQLite: `column IN (rowids of the FTS match)`. With walk, `+column`: the planner then
    checks each row it reads against the match instead of starting from the match."""

    def __init__(self, column: Any, target: Target, columns: Sequence[str], term: str, *, walk: bool) -> None:
        super().__init__(column)
        self.target, self.match, self.walk = target, _match(columns, term), walk

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.column)
        fts = self.target.fts
        sql = f"{'+' if self.walk else ''}{column} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)"
        return sql, (*params, self.match)


class _CompanyIds(_Condition):
    """`company_id IN (ids)`. SQLite gets `+company_id` (check each row, do not start from the
    ids) always for a word that does not lead, and for a leading word whose companies have
    many rows here in a page only (an ordered query): the page then walks its sort index and
    stops after a page, while a count starts from the ids through the company index. SQLite's
    planner cannot make that choice itself: it does not count on a LIMIT ending a walk early."""

    def __init__(self, column: Any, ids: Sequence[int], *, walk: str) -> None:
        super().__init__(column)
        self.ids, self.walk = [int(i) for i in ids], walk

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.column)
        walk = self.walk == "always" or (self.walk == "sorted" and _sorted(compiler.query))
        return f"{'+' if walk else ''}{column} IN ({_in_list(self.ids)})", tuple(params)


class _RareInPages(_Condition):
    """PostgreSQL, for a page (an ordered, limited query) sorted by one of the searched fields:
    the word's condition once more, as `(condition)::int = 1`. True wherever the condition is,
    so the rows stay the same; but the planner cannot estimate it and takes it for a rare one,
    so it fetches the matches through the trigram indexes and sorts them. Left to itself, it
    walks the sort index on the guess that matches are spread evenly along it, which they are
    not when the list is sorted by the very column they match in: 129k persons read for a page
    of "jan" sorted by name (88 ms; 15 ms this way). Sorted otherwise, the walk is right and
    stops early; a count or a lookup by ids gets nothing extra either."""

    def __init__(self, condition: Q, fields: Sequence[str]) -> None:
        super().__init__(condition)
        self.fields = set(fields)

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        if not (compiler.query.is_sliced and _leading_sort(compiler.query) in self.fields):
            raise FullResultSet  # no condition: the word's own one decides
        sql, params = compiler.compile(self.column)
        return f"({sql})::int = 1", tuple(params)


def _leading_sort(query: Query) -> str | None:
    """The field an ordered query sorts by first, when it is a plain field name."""
    order = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
    first = order[0] if order else None
    return first.lstrip("-") if isinstance(first, str) else None


# --- the indexes: install, fill, drop -----------------------------------------------------------


def _sqlite_table(t: Target) -> str:
    return (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {t.fts} USING fts5({', '.join(t.columns)}, "
        f"content='{t.table}', content_rowid='id', tokenize='trigram')"
    )


def _sqlite_triggers(t: Target) -> dict[str, str]:
    cols = ", ".join(t.columns)
    new = ", ".join(f"new.{c}" for c in t.columns)
    old = ", ".join(f"old.{c}" for c in t.columns)
    insert = f"INSERT INTO {t.fts}(rowid, {cols}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {t.fts}({t.fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ("id", *t.columns))
    return {
        f"{t.fts}_ai": f"CREATE TRIGGER IF NOT EXISTS {t.fts}_ai AFTER INSERT ON {t.table} BEGIN {insert} END",
        f"{t.fts}_ad": f"CREATE TRIGGER IF NOT EXISTS {t.fts}_ad AFTER DELETE ON {t.table} BEGIN {delete} END",
        f"{t.fts}_au": f"CREATE TRIGGER IF NOT EXISTS {t.fts}_au AFTER UPDATE ON {t.table} WHEN {changed} "
        f"BEGIN {delete} {insert} END",
    }


def _pg_indexes(t: Target) -> dict[str, str]:
    # UPPER(col::text) is how Django writes icontains on PostgreSQL: the index serves it as is.
    return {
        f"{t.fts}_{c}": f"CREATE INDEX IF NOT EXISTS {t.fts}_{c} ON {t.table} USING gin (UPPER({c}::text) gin_trgm_ops)"
        for c in t.columns
    }


def _company_indexes(t: Target) -> dict[str, str]:
    if not t.by_company:
        return {}
    return {t.company_index: f"CREATE INDEX IF NOT EXISTS {t.company_index} ON {t.table} ({', '.join(t.by_company)})"}


def wanted(connection: BaseDatabaseWrapper) -> bool:
    """Whether this database should have the indexes: the migration that made them is applied."""
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return recorder.has_table() and MIGRATION in recorder.applied_migrations()


def install(connection: BaseDatabaseWrapper) -> list[str]:
    """Create what is missing and fill what may have missed writes. SQLite: an FTS table that
    was just created, or whose triggers were gone, is filled again (SQLite drops a table's
    triggers and the indexes Django does not know of when a migration rebuilds the table).
    PostgreSQL: the extension and the indexes. Returns what it created or filled."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return []
    done = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            done += _sqlite_install(connection, cursor)
            indexes = {name: sql for t in TARGETS for name, sql in _company_indexes(t).items()}
        else:
            indexes = {name: sql for t in TARGETS for name, sql in _company_indexes(t).items()}
            if _pg_trgm(connection):
                indexes |= {name: sql for t in TARGETS for name, sql in _pg_indexes(t).items()}
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'substring%'"
            if connection.vendor == "sqlite"
            else "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'substring%%'"
        )
        present = {name for (name,) in cursor.fetchall()}
        for t in TARGETS:
            missing = [sql for name, sql in indexes.items() if name not in present and f" ON {t.table} " in sql]
            for sql in missing:
                cursor.execute(sql)
            if missing:
                # Both planners weigh an index by statistics that ANALYZE gathers (PostgreSQL's
                # estimates for UPPER(column) come from an index's expressions).
                cursor.execute(f"ANALYZE {t.table}")
                done.append(t.table)
    return done


def _sqlite_install(connection: BaseDatabaseWrapper, cursor: Any) -> list[str]:
    filled = []
    existing = set(connection.introspection.table_names(cursor))
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'substring%'")
    present = {name for (name,) in cursor.fetchall()}
    for t in TARGETS:
        triggers = _sqlite_triggers(t)
        stale = t.fts not in existing or not set(triggers) <= present
        cursor.execute(_sqlite_table(t))
        for name, sql in triggers.items():  # replaced, so a changed definition takes effect
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql)
        if stale:
            cursor.execute(f"INSERT INTO {t.fts}({t.fts}) VALUES ('rebuild')")
            filled.append(t.fts)
    return filled


def _pg_trgm(connection: BaseDatabaseWrapper) -> bool:
    """pg_trgm, created if need be: a trusted extension from PostgreSQL 13, so the database's
    owner may create it. Without it the lists still search, by scanning."""
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return False
    return True


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Fill the SQLite FTS tables again from their tables (PostgreSQL's indexes need nothing)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for t in TARGETS:
            cursor.execute(f"INSERT INTO {t.fts}({t.fts}) VALUES ('rebuild')")


def drop_sqlite(connection: BaseDatabaseWrapper) -> None:
    """SQLite: drop the FTS tables and their triggers (a bulk load fills the tables without
    them; `install` makes and fills them again in one pass). Indexes on the tables themselves
    are left to the bulk loader, which drops and rebuilds a table's indexes around a load."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for t in TARGETS:
            for name in _sqlite_triggers(t):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {t.fts}")


def uninstall(connection: BaseDatabaseWrapper) -> None:
    drop_sqlite(connection)
    with connection.cursor() as cursor:
        for t in TARGETS:
            names = [*_company_indexes(t), *(_pg_indexes(t) if connection.vendor == "postgresql" else [])]
            for name in names:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
