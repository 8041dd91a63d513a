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
LIST_SQL = (
    "SELECT s.id, s.title, s.status, s.amount, s.sale_date, c.name, p.name, u.username FROM sales_sale s "
    "LEFT JOIN relations_company c ON c.id = s.company_id JOIN sales_phase p ON p.id = s.phase_id "
    "JOIN accounts_user u ON u.id = s.owner_id WHERE s.owner_id IN ({ids}) {where} ORDER BY {order} "
    "LIMIT %s OFFSET %s"
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
             limit: int = PAGE, offset: int = 0) -> tuple[str, list[Any]]:  # fmt: skip
    ids = sorted(visible_owner_ids(user) or [])
    text = LIST_SQL.format(ids=", ".join(["%s"] * len(ids)), where=where, order=order)
    return text, [*ids, *(params or []), limit, offset]


def capped_count(user: User, where: str = "", params: list[Any] | None = None) -> tuple[str, list[Any]]:
    ids = sorted(visible_owner_ids(user) or [])
    marks = ", ".join(["%s"] * len(ids))
    text = f"SELECT COUNT(*) FROM (SELECT 1 FROM sales_sale s WHERE s.owner_id IN ({marks}) {where} LIMIT 10001) t"  # noqa: S608
    return text, [*ids, *(params or [])]


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
    sale = Sale.objects.filter(owner=seller, status="open", phase__in=regular[:2]).order_by("id").first()
    other = Sale.objects.filter(owner=seller, status="open", phase__in=regular[:2]).order_by("-id").first()
    assert company and sale and other and sale.pk != other.pk, "the generated data set is incomplete"
    is_pg = connection.vendor == "postgresql"
    word = "summit"
    search_floor = (
        (
            "SELECT kind, object_id, title, detail FROM search_index WHERE body @@ to_tsquery('simple', %s) LIMIT 50",
            [f"{word}:*"],
        )  # fmt: skip
        if is_pg
        else (
            "SELECT kind, object_id, title, detail FROM search_index WHERE search_index MATCH %s ORDER BY rank LIMIT 50",
            [f"{word}*"],
        )  # fmt: skip
    )
    ids = sorted(visible_owner_ids(seller) or [])
    marks = ", ".join(["%s"] * len(ids))
    year_ago = today - dt.timedelta(days=365)
    trunc = "date_trunc('month', s.sale_date)" if is_pg else "strftime('%%Y-%%m', s.sale_date)"

    def phase_change() -> None:
        current = Sale.objects.get(pk=sale.pk)
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

    open_where = "AND s.status = %s AND s.pipeline_id = %s"
    return [
        ("sales list (salesperson)", get(as_seller, "/sales/"), sql([list_sql(seller), capped_count(seller)]), ""),
        ("sales list (manager)", get(as_manager, "/sales/"), sql([list_sql(manager), capped_count(manager)]), ""),
        (f"sales list deep page {deep}", get(as_manager, f"/sales/?page={deep}"),
         sql([list_sql(manager, offset=(deep - 1) * PAGE), capped_count(manager)]), ""),
        ("sales list filter + sort", get(as_manager, f"/sales/?status=open&pipeline={pipeline.pk}&sort=-amount"),
         sql([list_sql(manager, open_where, ["open", pipeline.pk], "s.amount DESC, s.id DESC"),
              capped_count(manager, open_where, ["open", pipeline.pk])]), ""),
        ("sales list grouped by phase", get(as_manager, "/sales/?group=phase"),
         sql([list_sql(manager, order="s.phase_id, s.sale_date DESC, s.id DESC"), capped_count(manager),
              (f"SELECT s.phase_id, p.name, COUNT(*), SUM(s.amount) FROM sales_sale s JOIN sales_phase p "  # noqa: S608
               f"ON p.id = s.phase_id WHERE s.owner_id IN ({marks}) GROUP BY s.phase_id, p.name", ids)]),
         "" if "phase" in lists.SALE.groups else "skipped: no ?group="),
        ("board", get(as_seller, f"/board/?pipeline={pipeline.pk}"),
         sql([(" UNION ALL ".join(
             f"SELECT * FROM (SELECT s.id, s.title, s.amount FROM sales_sale s WHERE s.pipeline_id = %s AND "  # noqa: S608
             f"s.phase_id = {p.pk} AND s.status = 'open' AND s.owner_id IN ({marks}) "
             f"ORDER BY s.phase_entered_at DESC, s.id DESC LIMIT {PAGE}) t{p.pk}" for p in phases),
             [x for _ in phases for x in [pipeline.pk, *ids]]),
             (f"SELECT phase_id, COUNT(*), SUM(amount) FROM sales_sale WHERE pipeline_id = %s AND status = 'open' "  # noqa: S608
              f"AND owner_id IN ({marks}) GROUP BY phase_id", [pipeline.pk, *ids])]), ""),
        ("sale card", get(as_seller, f"/sales/{sale.pk}/"),
         sql([("SELECT s.*, c.name, p.name FROM sales_sale s LEFT JOIN relations_company c ON c.id = s.company_id "
               "JOIN sales_phase p ON p.id = s.phase_id WHERE s.id = %s", [sale.pk]),
              ("SELECT * FROM sales_phaserecord WHERE sale_id = %s ORDER BY entered_at", [sale.pk]),
              ("SELECT * FROM activities_activity WHERE sale_id = %s AND done = %s ORDER BY starts_at LIMIT 1",
               [sale.pk, False])]), ""),
        ("company card Overview", get(as_seller, f"/companies/{company}/?tab=overview"),
         sql([("SELECT * FROM relations_company WHERE id = %s", [company]),
              ("SELECT s.id, s.title, s.status, s.amount, s.phase_id FROM sales_sale s WHERE s.company_id = %s "
               "ORDER BY s.sale_date DESC", [company])]), ""),
        ("global search", get(as_seller, f"/search/?q={word}"), sql([search_floor]), ""),
        ("win/loss report", get(as_manager, "/reports/win-loss/"),
         sql([(f"SELECT s.close_reason_id, r.name, s.status, COUNT(*), SUM(s.amount) FROM sales_sale s "  # noqa: S608
               f"LEFT JOIN sales_closereason r ON r.id = s.close_reason_id WHERE s.status IN ('sold', 'lost') "
               f"AND s.closed_date BETWEEN %s AND %s AND s.owner_id IN ({', '.join(['%s'] * len(sorted(visible_owner_ids(manager) or [])))}) "
               f"GROUP BY s.close_reason_id, r.name, s.status",
               [year_ago, today, *sorted(visible_owner_ids(manager) or [])])]), ""),  # fmt: skip
        ("forecast report", get(as_manager, "/reports/forecast/"),
         sql([(f"SELECT {trunc}, COUNT(*), SUM(s.amount * s.probability / 100) FROM sales_sale s "  # noqa: S608
               f"WHERE s.status = 'open' AND s.sale_date BETWEEN %s AND %s AND s.owner_id IN ({', '.join(['%s'] * len(sorted(visible_owner_ids(manager) or [])))}) "
               f"GROUP BY 1", [today, today + dt.timedelta(days=365), *sorted(visible_owner_ids(manager) or [])])]), ""),  # fmt: skip
        ("API list of 100 sales", get(as_manager, "/api/v1/sales?page_size=100"),
         sql([list_sql(manager, limit=100), capped_count(manager)]), ""),
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
