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


def board_sales(*, user: User, pipeline: Pipeline, filters: BoardFilters) -> QuerySet[Sale]:
    """The sales the board shows: open and stalled ones, and in a closing phase those closed
    in the last CLOSED_WITHIN_DAYS days; only what `user` may see, narrowed by the filters."""
    since = timezone.localdate() - dt.timedelta(days=CLOSED_WITHIN_DAYS)
    qs = scope_by_owner(Sale.objects.filter(pipeline=pipeline), user).filter(
        Q(status__in=[SaleStatus.OPEN, SaleStatus.STALLED])
        | Q(status__in=[SaleStatus.SOLD, SaleStatus.LOST], phase__kind=Phase.Kind.CLOSING, closed_date__gte=since)
    )
    if filters.owner == "mine":
        qs = qs.filter(owner=user)
    elif filters.owner == "team":
        qs = qs.filter(owner_id__in=_team_member_ids(user))
    elif filters.owner.isdigit():
        qs = qs.filter(owner_id=int(filters.owner))  # still within scope_by_owner above
    if filters.account_type:
        qs = qs.filter(company__account_type_id=filters.account_type)
    return qs


def column_heads(qs: QuerySet[Sale], phase_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Count, total and weighted value per phase: one aggregate query for all columns."""
    weighted = ExpressionWrapper(
        F("amount") * F("probability"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    rows = (
        qs.filter(phase_id__in=phase_ids)
        .order_by()
        .values("phase_id")
        .annotate(count=Count("id"), total=Sum("amount"), weighted=Sum(weighted))
    )
    cent = Decimal("0.01")
    return {
        r["phase_id"]: {
            "count": r["count"],
            "total": Decimal(r["total"] or 0).quantize(cent),
            "weighted": (Decimal(r["weighted"] or 0) / 100).quantize(cent),
        }
        for r in rows
    }


def encode_cursor(sale: Sale) -> str:
    return f"{sale.sale_date.isoformat() if sale.sale_date else 'none'}_{sale.pk}"


def decode_cursor(value: str) -> tuple[dt.date | None, int] | None:
    try:
        date_part, id_part = value.rsplit("_", 1)
        return (None if date_part == "none" else dt.date.fromisoformat(date_part)), int(id_part)
    except ValueError:
        return None


def _after(qs: QuerySet[Sale], cursor: tuple[dt.date | None, int] | None) -> QuerySet[Sale]:
    """Keyset: the rows after (sale_date, id) in the order sale_date (nulls last), id."""
    if cursor is None:
        return qs
    date, pk = cursor
    if date is None:
        return qs.filter(sale_date__isnull=True, id__gt=pk)
    return qs.filter(Q(sale_date__gt=date) | Q(sale_date=date, id__gt=pk) | Q(sale_date__isnull=True))


def _page_ids_sql(qs: QuerySet[Sale], limit: int) -> tuple[str, tuple[Any, ...]]:
    sub = qs.order_by(*CARD_ORDER).values("id")[:limit]
    sql, params = sub.query.get_compiler(using=sub.db).as_sql()
    return sql, tuple(params)


def _first_page_ids(qs: QuerySet[Sale], phase_ids: list[int], limit: int) -> list[int]:
    """The first `limit` card ids of every column in one UNION ALL query (each branch a small
    ordered, limited scan; Django cannot slice the branches of a union on SQLite itself)."""
    if not phase_ids:
        return []
    parts: list[str] = []
    params: list[Any] = []
    for i, phase_id in enumerate(phase_ids):
        sql, p = _page_ids_sql(qs.filter(phase_id=phase_id), limit)
        parts.append(f"SELECT * FROM ({sql}) AS c{i}")  # noqa: S608 - SQL compiled by Django, values are parameters
        params.extend(p)
    with connections[qs.db].cursor() as cursor:
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
    qs = board_sales(user=user, pipeline=pipeline, filters=filters)
    phase_ids = [p.pk for p in phases]
    heads = column_heads(qs, phase_ids)
    by_phase: dict[int, list[Sale]] = {pk: [] for pk in phase_ids}
    for sale in _cards(_first_page_ids(qs, phase_ids, limit + 1)):
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
    qs = _after(board_sales(user=user, pipeline=pipeline, filters=filters).filter(phase=phase), decode_cursor(after))
    ids = list(qs.order_by(*CARD_ORDER).values_list("id", flat=True)[: limit + 1])
    return _paged(_cards(ids), limit)


def board_heads(*, user: User, pipeline: Pipeline, phases: list[Phase], filters: BoardFilters) -> list[Column]:
    """Just the heads of some columns (after a move)."""
    qs = board_sales(user=user, pipeline=pipeline, filters=filters)
    heads = column_heads(qs, [p.pk for p in phases])
    return [Column(phase=p, **heads.get(p.pk, {})) for p in phases]


def board_card(*, user: User, pipeline: Pipeline, sale_id: int, filters: BoardFilters) -> Sale | None:
    """One card as the board shows it, or None when it no longer belongs on this board."""
    ids = list(
        board_sales(user=user, pipeline=pipeline, filters=filters).filter(pk=sale_id).values_list("id", flat=True)
    )
    cards = _cards(ids)
    return cards[0] if cards else None
