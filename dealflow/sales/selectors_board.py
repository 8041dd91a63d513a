"""Reads for the board: one column per active phase of a pipeline, each with its head (count,
total and weighted value) and its first cards, scoped to what the user may see.

The number of queries does not depend on how many sales a column holds: one aggregate for all
heads, one UNION ALL of per-column keyset pages for the card ids, one query for the cards and
the next activities for all of them at once. "More" fetches one column's next page by keyset
(after the last card's sale date and id), never by OFFSET, so a deep column stays fast."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.aggregates import Count
from django.utils import timezone

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import assignable_owners, scope_by_owner
from dealflow.activities.selectors_next import next_activity_for_sales
from dealflow.relations.models import AccountType

from .models import Phase, Pipeline, Sale, SaleStatus

CARDS_PER_COLUMN = 20
# The closing column shows what was sold or lost recently, not the whole history.
CLOSED_WITHIN_DAYS = 30
CARD_ORDER = (F("sale_date").asc(nulls_last=True), F("id").asc())


@dataclass(frozen=True)
class BoardFilters:
    owner: str = ""  # "", "mine", "team" or a user id (as text)
    account_type: int | None = None


@dataclass
class Column:
    phase: Phase
    count: int = 0
    total: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")
    cards: list[Sale] = field(default_factory=list)
    more_after: str | None = None  # the keyset cursor of the next page, if there is one


def board_pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.filter(is_active=True).order_by("order", "name"))


def board_phases(pipeline: Pipeline) -> list[Phase]:
    return list(pipeline.phases.filter(is_active=True).order_by("order", "id"))


def board_owner_choices(user: User) -> QuerySet[User]:
    return assignable_owners(user).order_by("first_name", "last_name", "username")


def board_account_types() -> QuerySet[AccountType]:
    return AccountType.objects.filter(is_active=True).order_by("order", "name")


def _team_member_ids(user: User) -> set[int]:
    team_ids = set(user.teams.values_list("id", flat=True)) | set(user.managed_teams.values_list("id", flat=True))
    ids = set(Team.members.through.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True))
    return ids | {user.pk}


def _closed_since() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=CLOSED_WITHIN_DAYS)


def _board_base(*, user: User, pipeline: Pipeline, filters: BoardFilters) -> QuerySet[Sale]:
    """The pipeline's sales `user` may see, narrowed by the filters; no status rule yet."""
    qs = scope_by_owner(Sale.objects.filter(pipeline=pipeline), user)
    if filters.owner == "mine":
        qs = qs.filter(owner=user)
    elif filters.owner == "team":
        qs = qs.filter(owner_id__in=_team_member_ids(user))
    elif filters.owner.isdigit():
        qs = qs.filter(owner_id=int(filters.owner))  # still within scope_by_owner above
    if filters.account_type:
        qs = qs.filter(company__account_type_id=filters.account_type)
    return qs


def column_heads(base: QuerySet[Sale], phases: list[Phase]) -> dict[int, dict[str, Any]]:
    """Count, total and weighted value per phase, for all columns at once: one aggregate over
    the open and stalled sales (read from the sale_board_heads index alone) and, when there is
    a closing column, one over the recently closed ones (the status/closed date index)."""
    weighted = ExpressionWrapper(
        F("amount") * F("probability"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    aggregates = {"count": Count("id"), "total": Sum("amount"), "weighted": Sum(weighted)}
    parts = [base.filter(status__in=[SaleStatus.OPEN, SaleStatus.STALLED], phase_id__in=[p.pk for p in phases])]
    closing = [p.pk for p in phases if p.is_closing]
    if closing:
        parts.append(
            base.filter(
                status__in=[SaleStatus.SOLD, SaleStatus.LOST], closed_date__gte=_closed_since(), phase_id__in=closing
            )  # fmt: skip
        )
    sums: dict[int, list[Any]] = {}
    for part in parts:
        rows: Any = part.order_by().values("phase_id").annotate(**aggregates)
        for r in rows:
            into = sums.setdefault(r["phase_id"], [0, Decimal(0), Decimal(0)])
            into[0] += r["count"]
            into[1] += Decimal(r["total"] or 0)
            into[2] += Decimal(r["weighted"] or 0)
    cent = Decimal("0.01")
    return {
        phase_id: {"count": n, "total": total.quantize(cent), "weighted": (weighted_sum / 100).quantize(cent)}
        for phase_id, (n, total, weighted_sum) in sums.items()
    }


def _column(base: QuerySet[Sale], phase: Phase) -> QuerySet[Sale]:
    """One column's sales: open and stalled ones, and in a closing phase also those sold or
    lost in the last CLOSED_WITHIN_DAYS days. Written as "not sold or lost" for a regular
    column so that SQLite walks the sale_board_column index in card order instead of sorting
    the whole column."""
    if phase.is_closing:
        return base.filter(phase_id=phase.pk).filter(
            Q(status__in=[SaleStatus.OPEN, SaleStatus.STALLED])
            | Q(status__in=[SaleStatus.SOLD, SaleStatus.LOST], closed_date__gte=_closed_since())
        )
    return base.filter(phase_id=phase.pk).exclude(status__in=[SaleStatus.SOLD, SaleStatus.LOST])


def encode_cursor(sale: Sale) -> str:
    return f"{sale.sale_date.isoformat() if sale.sale_date else 'none'}_{sale.pk}"


def decode_cursor(value: str) -> tuple[dt.date | None, int] | None:
    try:
        date_part, id_part = value.rsplit("_", 1)
        return (None if date_part == "none" else dt.date.fromisoformat(date_part)), int(id_part)
    except ValueError:
        return None


def _branches(qs: QuerySet[Sale], cursor: tuple[dt.date | None, int] | None) -> list[QuerySet[Sale]]:
    """A column in card order (sale date, nulls last; id) after `cursor`, as ordered branches:
    the dated cards, then the undated ones. Each branch is one index walk; "nulls last" in one
    ORDER BY would make SQLite sort the whole column."""
    dated = qs.filter(sale_date__isnull=False).order_by("sale_date", "id")
    undated = qs.filter(sale_date__isnull=True).order_by("id")
    if cursor is None:
        return [dated, undated]
    date, pk = cursor
    if date is None:
        return [undated.filter(id__gt=pk)]
    return [dated.filter(Q(sale_date__gt=date) | Q(sale_date=date, id__gt=pk)), undated]


def _union_ids(branches: list[QuerySet[Sale]], limit: int) -> list[int]:
    """The first `limit` ids of each branch, in one UNION ALL query (Django cannot slice the
    branches of a union on SQLite itself)."""
    if not branches:
        return []
    parts: list[str] = []
    params: list[Any] = []
    for i, branch in enumerate(branches):
        sub = branch.values("id")[:limit]
        sql, p = sub.query.get_compiler(using=sub.db).as_sql()
        parts.append(f"SELECT * FROM ({sql}) AS c{i}")  # noqa: S608 - SQL compiled by Django, values are parameters
        params.extend(p)
    with connections[branches[0].db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [row[0] for row in cursor.fetchall()]


def _cards(ids: list[int]) -> list[Sale]:
    sales = Sale.objects.filter(pk__in=ids).select_related("company", "owner").order_by(*CARD_ORDER)
    sales_list = list(sales)
    nexts = next_activity_for_sales([s.pk for s in sales_list])
    for sale in sales_list:
        sale.next_activity = nexts.get(sale.pk)  # type: ignore[attr-defined]
    return sales_list


def _paged(cards: list[Sale], limit: int) -> tuple[list[Sale], str | None]:
    if len(cards) > limit:
        cards = cards[:limit]
        return cards, encode_cursor(cards[-1])
    return cards, None


def board_columns(
    *, user: User, pipeline: Pipeline, phases: list[Phase], filters: BoardFilters, limit: int = CARDS_PER_COLUMN
) -> list[Column]:
    base = _board_base(user=user, pipeline=pipeline, filters=filters)
    heads = column_heads(base, phases)
    by_phase: dict[int, list[Sale]] = {p.pk: [] for p in phases}
    branches = [b for p in phases for b in _branches(_column(base, p), None)]
    for sale in _cards(_union_ids(branches, limit + 1)):  # in card order
        by_phase[sale.phase_id].append(sale)
    columns = []
    for phase in phases:
        cards, more = _paged(by_phase[phase.pk], limit)
        columns.append(Column(phase=phase, cards=cards, more_after=more, **heads.get(phase.pk, {})))
    return columns


def board_column_page(
    *,
    user: User,
    pipeline: Pipeline,
    phase: Phase,
    filters: BoardFilters,
    after: str,
    limit: int = CARDS_PER_COLUMN,
) -> tuple[list[Sale], str | None]:
    """The next page of one column, after the cursor of the last card shown."""
    column = _column(_board_base(user=user, pipeline=pipeline, filters=filters), phase)
    ids = _union_ids(_branches(column, decode_cursor(after)), limit + 1)
    return _paged(_cards(ids), limit)


def board_heads(*, user: User, pipeline: Pipeline, phases: list[Phase], filters: BoardFilters) -> list[Column]:
    """Just the heads of some columns (after a move)."""
    heads = column_heads(_board_base(user=user, pipeline=pipeline, filters=filters), phases)
    return [Column(phase=p, **heads.get(p.pk, {})) for p in phases]


def board_card(*, user: User, pipeline: Pipeline, sale_id: int, filters: BoardFilters) -> Sale | None:
    """One card as the board shows it, or None when it no longer belongs on this board."""
    base = _board_base(user=user, pipeline=pipeline, filters=filters)
    phase = Phase.objects.filter(sales__pk=sale_id, pipeline=pipeline).first()
    if phase is None:
        return None
    cards = _cards(list(_column(base, phase).filter(pk=sale_id).values_list("id", flat=True)))
    return cards[0] if cards else None
