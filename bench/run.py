"""`make bench`: time the main screens against the generated data set and their SQL floor.

Each operation runs through Django's test Client (DEBUG off, after warm-up) at least ROUNDS
times; the floor is hand-written SQL returning the same rows or aggregates, timed on the same
connection. Prints a table and writes bench/results/latest.json."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.settings import configure  # noqa: E402

configure()

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from dealflow.accounts.models import User  # noqa: E402
from dealflow.accounts.visibility import visible_owner_ids  # noqa: E402
from dealflow.core import datagen  # noqa: E402
from dealflow.sales import services  # noqa: E402
from dealflow.sales.models import Phase, Pipeline, Sale  # noqa: E402
from dealflow.saved import lists  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
WARMUP = 3
PAGE = 25
# The best hand-written form: the page's ids by the sort index, then their rows with the joins
# (and, for the list's page, each row's next activity: its first open, dated activity).
LIST_SQL = (
    "SELECT s.id, s.title, s.status, s.amount, s.sale_date, c.name, p.name, u.username{next_columns} FROM "
    "(SELECT s.id FROM sales_sale s WHERE s.owner_id IN ({ids}) {where} ORDER BY {order} LIMIT %s OFFSET %s) page "
    "JOIN sales_sale s ON s.id = page.id LEFT JOIN relations_company c ON c.id = s.company_id "
    "JOIN sales_phase p ON p.id = s.phase_id JOIN accounts_user u ON u.id = s.owner_id{next_join} ORDER BY {order}"
)
NEXT_COLUMNS = ", na.id, na.subject, na.starts_at"
NEXT_JOIN = (
    " LEFT JOIN activities_activity na ON na.id = (SELECT a.id FROM activities_activity a WHERE a.sale_id = s.id "
    "AND NOT a.done AND a.starts_at IS NOT NULL ORDER BY a.starts_at, a.id LIMIT 1)"
)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(run: Callable[[], Any], rounds: int = ROUNDS) -> list[float]:
    for _ in range(WARMUP):
        run()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def sql(statements: list[tuple[str, list[Any]]]) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            for text, params in statements:
                cursor.execute(text, params)
                if cursor.description:
                    cursor.fetchall()

    return run


def list_sql(user: User, where: str = "", params: list[Any] | None = None, order: str = "s.sale_date DESC, s.id DESC",
             limit: int = PAGE, offset: int = 0, next_activity: bool = True) -> tuple[str, list[Any]]:  # fmt: skip
    """The rows of a page of sales; the list page shows each one's next activity, the API not."""
    ids = sorted(visible_owner_ids(user) or [])
    text = LIST_SQL.format(ids=", ".join(["%s"] * len(ids)), where=where, order=order,
                           next_columns=NEXT_COLUMNS if next_activity else "",
                           next_join=NEXT_JOIN if next_activity else "")  # fmt: skip
    return text, [*ids, *(params or []), limit, offset]


def capped_count(user: User, where: str = "", params: list[Any] | None = None) -> tuple[str, list[Any]]:
    ids = sorted(visible_owner_ids(user) or [])
    marks = ", ".join(["%s"] * len(ids))
    text = f"SELECT COUNT(*) FROM (SELECT 1 FROM sales_sale s WHERE s.owner_id IN ({marks}) {where} LIMIT 10001) t"  # noqa: S608
    return text, [*ids, *(params or [])]


def exact_count(user: User) -> tuple[str, list[Any]]:
    ids = sorted(visible_owner_ids(user) or [])
    marks = ", ".join(["%s"] * len(ids))
    return f"SELECT COUNT(*) FROM sales_sale s WHERE s.owner_id IN ({marks})", ids  # noqa: S608


def board_floor(user: User, pipeline: Pipeline, phases: list[Phase]) -> list[tuple[str, list[Any]]]:
    """The board's rows: per column its first cards (sale date, undated last; id), then the
    heads: count, total and weighted value of the open and stalled sales per phase, and of the
    closing columns' recently closed ones."""
    ids = sorted(visible_owner_ids(user) or [])
    marks = ", ".join(["%s"] * len(ids))
    since = timezone.localdate() - dt.timedelta(days=30)
    branches: list[str] = []
    params: list[Any] = []
    for p in phases:
        if p.kind == Phase.Kind.CLOSING:
            rule, rule_params = ("AND (s.status IN ('open', 'stalled') OR (s.status IN ('sold', 'lost') "
                                 "AND s.closed_date >= %s))"), [since]  # fmt: skip
        else:
            rule, rule_params = "AND s.status NOT IN ('sold', 'lost')", []
        for nulls, order in (("IS NOT NULL", "s.sale_date, s.id"), ("IS NULL", "s.id")):
            branches.append(f"SELECT * FROM (SELECT s.id FROM sales_sale s WHERE s.pipeline_id = %s AND s.phase_id = %s "
                            f"AND s.owner_id IN ({marks}) {rule} AND s.sale_date {nulls} ORDER BY {order} "
                            f"LIMIT {PAGE + 1}) t{len(branches)}")  # fmt: skip
            params += [pipeline.pk, p.pk, *ids, *rule_params]
    heads = (
        f"SELECT phase_id, COUNT(*), SUM(amount), SUM(amount * probability) FROM sales_sale "  # noqa: S608
        f"WHERE pipeline_id = %s AND owner_id IN ({marks}) AND status IN ('open', 'stalled') GROUP BY phase_id"
    )
    closed = (f"SELECT phase_id, COUNT(*), SUM(amount), SUM(amount * probability) FROM sales_sale "  # noqa: S608
              f"WHERE pipeline_id = %s AND owner_id IN ({marks}) AND status IN ('sold', 'lost') AND closed_date >= %s "
              f"GROUP BY phase_id")  # fmt: skip
    cards = ("SELECT s.id, s.title, s.amount, s.sale_date, c.name, u.username FROM sales_sale s "
             "LEFT JOIN relations_company c ON c.id = s.company_id JOIN accounts_user u ON u.id = s.owner_id "
             f"WHERE s.id IN (SELECT id FROM ({' UNION ALL '.join(branches)}) b)")  # noqa: S608  # fmt: skip
    return [(cards, params), (heads, [pipeline.pk, *ids]), (closed, [pipeline.pk, *ids, since])]


def sale_card_floor(sale: Sale) -> list[tuple[str, list[Any]]]:
    """What the sale card shows: the sale with its company, person, project, owner, phase and
    reasons; the phases of its pipeline; its phase records, stakeholders, documents, linked
    sales, guide, history and activities; the company's persons and other sales offered."""
    one = [sale.pk]
    return [
        ("SELECT s.*, c.name, pe.first_name, pr.name, u.username, ph.name, cr.name, sr.name, co.name "
         "FROM sales_sale s LEFT JOIN relations_company c ON c.id = s.company_id "
         "LEFT JOIN relations_person pe ON pe.id = s.person_id LEFT JOIN relations_project pr ON pr.id = s.project_id "
         "JOIN accounts_user u ON u.id = s.owner_id JOIN sales_phase ph ON ph.id = s.phase_id "
         "LEFT JOIN sales_closereason cr ON cr.id = s.close_reason_id "
         "LEFT JOIN sales_stallreason sr ON sr.id = s.stall_reason_id "
         "LEFT JOIN sales_competitor co ON co.id = s.competitor_id WHERE s.id = %s", one),
        ("SELECT * FROM sales_phase WHERE pipeline_id = %s ORDER BY \"order\", id", [sale.pipeline_id]),
        ("SELECT r.*, p.name, u.username FROM sales_phaserecord r JOIN sales_phase p ON p.id = r.phase_id "
         "LEFT JOIN accounts_user u ON u.id = r.moved_by_id WHERE r.sale_id = %s ORDER BY r.entered_at, r.id", one),
        ("SELECT st.*, p.first_name, p.last_name, c.name FROM sales_stakeholder st JOIN relations_person p "
         "ON p.id = st.person_id LEFT JOIN relations_company c ON c.id = p.company_id WHERE st.sale_id = %s", one),
        ("SELECT * FROM sales_saledocument WHERE sale_id = %s", one),
        ("SELECT s.id, s.title FROM sales_sale_linked_sales l JOIN sales_sale s ON s.id = l.to_sale_id "
         "WHERE l.from_sale_id = %s", one),
        ("SELECT g.*, t.id FROM sales_guidestep g LEFT JOIN sales_guidetick t ON t.step_id = g.id AND t.sale_id = %s "
         "WHERE g.phase_id = %s", [sale.pk, sale.phase_id]),
        ("SELECT * FROM audit_auditevent WHERE object_type = 'sale' AND object_id = %s ORDER BY id DESC LIMIT 50", one),
        ("SELECT * FROM activities_activity WHERE sale_id = %s ORDER BY done, starts_at LIMIT 50", one),
        ("SELECT * FROM relations_person WHERE company_id = %s ORDER BY last_name LIMIT 100", [sale.company_id]),
        ("SELECT id, title FROM sales_sale WHERE company_id = %s AND id <> %s ORDER BY sale_date DESC LIMIT 30",
         [sale.company_id, sale.pk]),
    ]  # fmt: skip


def company_card_floor(company: int, user: User, pipeline: Pipeline) -> list[tuple[str, list[Any]]]:
    """What the company card with its Overview tab shows: the company with its owner and account
    type; its history; the user-defined fields; its latest sales and, per pipeline, its sales with
    their phase records, the phases, close reasons and competitors; the user's static selections;
    its activities, persons and projects."""
    ids = sorted(visible_owner_ids(user) or [])
    marks = ", ".join(["%s"] * len(ids))
    one = [company]
    sales = [
        row[0]
        for row in Sale.objects.filter(company_id=company, owner_id__in=ids).values_list("id").order_by("-sale_date")
    ]  # fmt: skip
    sale_marks = ", ".join(["%s"] * len(sales)) or "NULL"
    return [
        ("SELECT c.*, u.username, t.name FROM relations_company c JOIN accounts_user u ON u.id = c.owner_id "
         "LEFT JOIN relations_accounttype t ON t.id = c.account_type_id WHERE c.id = %s", one),
        ("SELECT e.*, u.username FROM audit_auditevent e LEFT JOIN accounts_user u ON u.id = e.actor_id "
         "WHERE e.object_type = 'company' AND e.object_id = %s ORDER BY e.created_at DESC, e.id DESC LIMIT 50", one),
        ("SELECT * FROM sales_userdefinedfield WHERE entity = 'company' AND is_active ORDER BY \"order\", id", []),
        (f"SELECT s.id, s.title, s.status, s.amount, s.sale_date, u.username, p.name, ph.name FROM sales_sale s "  # noqa: S608
         f"JOIN accounts_user u ON u.id = s.owner_id JOIN sales_pipeline p ON p.id = s.pipeline_id "
         f"JOIN sales_phase ph ON ph.id = s.phase_id WHERE s.company_id = %s AND s.owner_id IN ({marks}) "
         f"ORDER BY s.sale_date DESC, s.id DESC LIMIT 10", [*one, *ids]),
        (f"SELECT s.*, u.username, ph.name, r.name FROM sales_sale s JOIN accounts_user u ON u.id = s.owner_id "  # noqa: S608
         f"JOIN sales_phase ph ON ph.id = s.phase_id LEFT JOIN sales_closereason r ON r.id = s.close_reason_id "
         f"WHERE s.company_id = %s AND s.pipeline_id = %s AND s.owner_id IN ({marks}) ORDER BY s.status, s.created_at DESC",
         [*one, pipeline.pk, *ids]),
        (f"SELECT * FROM sales_phaserecord WHERE sale_id IN ({sale_marks}) ORDER BY entered_at, id", sales),  # noqa: S608
        ("SELECT * FROM sales_phase WHERE pipeline_id = %s AND is_active ORDER BY \"order\", id", [pipeline.pk]),
        ("SELECT * FROM sales_closereason WHERE is_active ORDER BY \"order\", name", []),
        ("SELECT * FROM sales_competitor WHERE is_active ORDER BY \"order\", name", []),
        ("SELECT * FROM saved_selection WHERE entity = 'company' AND kind = 'static' AND owner_id = %s "
         "ORDER BY name, id", [user.pk]),
        (f"SELECT a.*, u.username, s.title, p.first_name, p.last_name FROM activities_activity a "  # noqa: S608
         f"JOIN accounts_user u ON u.id = a.owner_id LEFT JOIN sales_sale s ON s.id = a.sale_id "
         f"LEFT JOIN relations_person p ON p.id = a.person_id WHERE a.company_id = %s AND a.owner_id IN ({marks}) "
         f"ORDER BY a.done, a.starts_at LIMIT 50", [*one, *ids]),
        (f"SELECT p.*, u.username FROM relations_person p JOIN accounts_user u ON u.id = p.owner_id "  # noqa: S608
         f"WHERE p.company_id = %s AND NOT p.archived AND p.owner_id IN ({marks}) "
         f"ORDER BY p.last_name, p.first_name, p.id LIMIT 100", [*one, *ids]),
        (f"SELECT p.*, u.username FROM relations_project p JOIN accounts_user u ON u.id = p.owner_id "  # noqa: S608
         f"WHERE p.company_id = %s AND NOT p.archived AND p.owner_id IN ({marks}) ORDER BY p.name, p.id LIMIT 100",
         [*one, *ids]),
    ]  # fmt: skip


def forecast_floor(user: User, today: dt.date, is_pg: bool) -> list[tuple[str, list[Any]]]:
    """What the forecast page shows for the next twelve months: the open pipeline per month with
    its weighted value and categories; what was sold per month; the sold months of the last year
    and the forecast snapshots for the accuracy table; the targets; the largest open sales."""
    ids = sorted(visible_owner_ids(user) or [])
    marks = ", ".join(["%s"] * len(ids))
    start = today.replace(day=1)
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    year_ago = start.replace(year=start.year - 1)

    def month(column: str) -> str:
        return f"date_trunc('month', {column})" if is_pg else f"date({column}, 'start of month')"

    def amount_if(rule: str) -> str:
        return f"SUM(CASE WHEN {rule} THEN s.amount END)"

    commit = "s.forecast_category = 'commit' OR (s.forecast_category IS NULL AND s.probability >= 70)"
    best = "s.forecast_category = 'best_case' OR (s.forecast_category IS NULL AND s.probability >= 40 AND s.probability < 70)"
    rest = "s.forecast_category = 'pipeline' OR (s.forecast_category IS NULL AND s.probability < 40)"
    return [
        (f"SELECT {month('s.sale_date')}, SUM(s.amount), SUM(s.amount * s.probability), {amount_if(commit)}, "  # noqa: S608
         f"{amount_if(best)}, {amount_if(rest)} FROM sales_sale s WHERE s.owner_id IN ({marks}) "
         f"AND s.sale_date BETWEEN %s AND %s AND s.status = 'open' GROUP BY 1", [*ids, start, end]),
        (f"SELECT {month('s.closed_date')}, SUM(s.amount), COUNT(*) FROM sales_sale s WHERE s.owner_id IN ({marks}) "  # noqa: S608
         f"AND s.closed_date BETWEEN %s AND %s AND s.status = 'sold' GROUP BY 1", [*ids, start, end]),
        (f"SELECT {month('s.closed_date')}, SUM(s.amount) FROM sales_sale s WHERE s.closed_date >= %s "  # noqa: S608
         f"AND s.closed_date < %s AND s.status = 'sold' AND s.owner_id IN ({marks}) GROUP BY 1", [year_ago, start, *ids]),
        (f"SELECT month, MAX(taken_on) FROM insights_forecastsnapshot WHERE month >= %s AND month < %s "  # noqa: S608
         f"AND taken_on < month AND owner_id IN ({marks}) GROUP BY month", [year_ago, start, *ids]),
        ("SELECT user_id, team_id, pipeline_id, period_kind, year, period_number, value FROM insights_salestarget "
         "WHERE measure = 'amount_sold' AND year IN (%s, %s) AND period_kind <> 'year' AND pipeline_id IS NULL "
         "AND scope = 'company'", [start.year, end.year]),
        (f"SELECT s.id, s.title, s.sale_date, s.amount, s.probability, s.forecast_category, u.username, u.first_name, "  # noqa: S608
         f"u.last_name FROM sales_sale s JOIN accounts_user u ON u.id = s.owner_id WHERE s.status = 'open' "
         f"AND s.sale_date BETWEEN %s AND %s AND s.owner_id IN ({marks}) ORDER BY s.amount DESC, s.sale_date, s.id "
         f"LIMIT 20", [start, end, *ids]),
    ]  # fmt: skip


def get(client: Client, url: str) -> Callable[[], None]:
    def run() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")

    return run


def operations() -> list[tuple[str, Callable[[], None] | None, Callable[[], None] | None, str]]:
    seller = User.objects.get(username="gen-sales-1")
    manager = User.objects.get(username="gen-manager-1")
    as_seller, as_manager = Client(), Client()
    as_seller.force_login(seller)
    as_manager.force_login(manager)
    pipeline = Pipeline.objects.get(code="leads")
    phases = list(Phase.objects.filter(pipeline=pipeline, is_active=True).order_by("order", "id"))
    regular = [p for p in phases if p.kind == Phase.Kind.REGULAR]
    today = timezone.localdate()
    mine = Sale.objects.filter(owner_id__in=visible_owner_ids(manager) or [])
    deep = max(1, min(mine.count(), lists.COUNT_CAP) // PAGE * 4 // 5)
    company = (
        Sale.objects.filter(owner=seller, company__account_type__uses_lead_phases=True)
        .values_list("company_id", flat=True)
        .order_by("-amount")
        .first()
    )
    # Three different open sales: the phase change moves one back and forth (the page) and
    # another (the floor) on every run; the card shows a third, so that its history does not
    # grow from one run of the benchmark to the next.
    movable = Sale.objects.filter(owner=seller, status="open", phase__in=regular[:2])
    mover, card_sale, *_rest = [*movable.order_by("id")[:2], None, None]
    other = movable.order_by("-id").first()
    assert company and mover and card_sale and other, "the generated data set is incomplete"
    assert len({mover.pk, card_sale.pk, other.pk}) == 3, "the generated data set is incomplete"
    is_pg = connection.vendor == "postgresql"
    word = "summit"
    # The same rows as the page: per kind the best 50 matches among the owners the user may
    # see, titles starting with the word first, then ranked by the full-text index, in one pass.
    seller_ids = sorted(visible_owner_ids(seller) or [])
    match, rank = (
        ("body @@ to_tsquery('simple', %s)", "-ts_rank(body, to_tsquery('simple', %s))")
        if is_pg
        else ("search_index MATCH %s", "rank")
    )
    term = f"{word}:*" if is_pg else f'"{word}"*'
    search_floor = (
        f"SELECT * FROM (SELECT kind, object_id, title, detail, archived, ROW_NUMBER() OVER (PARTITION BY kind "  # noqa: S608
        f"ORDER BY archived, starts DESC, relevance, title, object_id) AS place FROM (SELECT kind, object_id, title, "
        f"detail, archived, CASE WHEN lower(title) LIKE %s THEN 1 ELSE 0 END AS starts, {rank} AS relevance "
        f"FROM search_index WHERE {match} AND owner_id IN ({', '.join(['%s'] * len(seller_ids))})) hits) ranked "
        f"WHERE place <= 50",
        [f"{word}%", *([term] if is_pg else []), term, *seller_ids],
    )  # fmt: skip
    ids = sorted(visible_owner_ids(seller) or [])
    marks = ", ".join(["%s"] * len(ids))
    year_ago = today - dt.timedelta(days=365)

    def phase_change() -> None:
        current = Sale.objects.get(pk=mover.pk)
        target = regular[1] if current.phase_id == regular[0].pk else regular[0]
        services.sale_move_to_phase(actor=seller, sale=current, phase=target)

    def phase_change_floor() -> None:
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT phase_id FROM sales_sale WHERE id = %s", [other.pk])
            target = regular[1].pk if cursor.fetchone()[0] == regular[0].pk else regular[0].pk
            cursor.execute("UPDATE sales_sale SET phase_id = %s, phase_entered_at = %s, version = version + 1 "
                           "WHERE id = %s", [target, now, other.pk])  # fmt: skip
            cursor.execute("UPDATE sales_phaserecord SET left_at = %s WHERE sale_id = %s AND left_at IS NULL",
                           [now, other.pk])  # fmt: skip
            cursor.execute("INSERT INTO sales_phaserecord (sale_id, phase_id, entered_at, moved_by_id, expected_value, "
                           "recurring_value, status) VALUES (%s, %s, %s, %s, 0, 0, 'open')",
                           [other.pk, target, now, seller.pk])  # fmt: skip

    # The effective "open": open, or stalled with its reopen date come (the list's rule).
    open_where = ("AND s.status NOT IN ('sold', 'lost') AND NOT (s.status = 'stalled' AND "
                  "(s.reopen_date > %s OR s.reopen_date IS NULL)) AND s.pipeline_id = %s")  # fmt: skip
    open_params = [today, pipeline.pk]
    return [
        ("sales list (salesperson)", get(as_seller, "/sales/"), sql([list_sql(seller), capped_count(seller)]), ""),
        ("sales list (manager)", get(as_manager, "/sales/"), sql([list_sql(manager), capped_count(manager)]), ""),
        (f"sales list deep page {deep}", get(as_manager, f"/sales/?page={deep}"),
         sql([list_sql(manager, offset=(deep - 1) * PAGE), capped_count(manager)]), ""),
        ("sales list filter + sort", get(as_manager, f"/sales/?status=open&pipeline={pipeline.pk}&sort=-amount"),
         sql([list_sql(manager, open_where, open_params, "s.amount DESC, s.id DESC"),
              capped_count(manager, open_where, open_params)]), ""),
        ("sales list grouped by phase", get(as_manager, "/sales/?group=phase"),
         sql([list_sql(manager, order="s.phase_id, s.sale_date DESC, s.id DESC"), capped_count(manager),
              (f"SELECT s.phase_id, p.name, COUNT(*), SUM(s.amount) FROM sales_sale s JOIN sales_phase p "  # noqa: S608
               f"ON p.id = s.phase_id WHERE s.owner_id IN ({marks}) GROUP BY s.phase_id, p.name", ids)]),
         "" if "phase" in lists.SALE.groups else "skipped: no ?group="),
        ("board", get(as_seller, f"/board/?pipeline={pipeline.pk}"), sql(board_floor(seller, pipeline, phases)), ""),
        ("sale card", get(as_seller, f"/sales/{card_sale.pk}/"), sql(sale_card_floor(card_sale)), ""),
        ("company card Overview", get(as_seller, f"/companies/{company}/?tab=overview"),
         sql(company_card_floor(company, seller, pipeline)), ""),
        ("global search", get(as_seller, f"/search/?q={word}"), sql([search_floor]), ""),
        ("win/loss report", get(as_manager, "/reports/win-loss/"),
         sql([(f"SELECT s.close_reason_id, r.name, s.status, COUNT(*), SUM(s.amount) FROM sales_sale s "  # noqa: S608
               f"LEFT JOIN sales_closereason r ON r.id = s.close_reason_id WHERE s.status IN ('sold', 'lost') "
               f"AND s.closed_date BETWEEN %s AND %s AND s.owner_id IN ({', '.join(['%s'] * len(sorted(visible_owner_ids(manager) or [])))}) "
               f"GROUP BY s.close_reason_id, r.name, s.status",
               [year_ago, today, *sorted(visible_owner_ids(manager) or [])])]), ""),  # fmt: skip
        ("forecast report", get(as_manager, "/reports/forecast/"), sql(forecast_floor(manager, today, is_pg)), ""),
        ("API list of 100 sales", get(as_manager, "/api/v1/sales?page_size=100"),
         sql([list_sql(manager, limit=100, next_activity=False), exact_count(manager)]), ""),
        ("phase change (write)", phase_change, phase_change_floor, ""),
    ]  # fmt: skip


def main() -> int:
    if not datagen.has_generated_data():
        print("No generated data set: run `manage.py generate_data` first (make bench does).", file=sys.stderr)
        return 1
    database = f"{connection.vendor} ({Sale.objects.count():,} sales)"
    results = []
    for name, run, floor, note in operations():
        if note:
            print(f"{name}: {note}")
            continue
        assert run is not None and floor is not None
        times = timed(run)
        with CaptureQueriesContext(connection) as captured:
            run()
        floor_ms = ms(statistics.median(timed(floor)))
        median = ms(statistics.median(times))
        results.append({
            "operation": name, "database": database, "median_ms": median, "p95_ms": ms(p95(times)),
            "queries": len(captured.captured_queries), "floor_ms": floor_ms,
            "ratio": round(median / floor_ms, 1) if floor_ms else None,
        })  # fmt: skip
    print(f"\n{database}, {ROUNDS} rounds after {WARMUP} warm-up runs")
    print(f"{'operation':32} {'median_ms':>10} {'p95_ms':>8} {'queries':>8} {'floor_ms':>9} {'ratio':>6}")
    for r in results:
        print(f"{r['operation']:32} {r['median_ms']:>10} {r['p95_ms']:>8} {r['queries']:>8} "
              f"{r['floor_ms']:>9} {r['ratio']:>6}")  # fmt: skip
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
