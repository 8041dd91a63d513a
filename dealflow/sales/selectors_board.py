"""Reads for the board: one column per active phase of a pipeline, each with its head (count,
total and weighted value) and its first cards, scoped to what the user may see.

The number of queries does not depend on how many sales a column holds: the heads from the
running totals plus one aggregate of the recently closed sales, one UNION ALL of per-column
keyset pages for the card ids, one query for the cards and the next activities for all of
them. "More" fetches one column's next page by keyset (after the last card's sale date and
id), never by OFFSET, so a deep column stays fast."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.aggregates import Count
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from dealflow.accounts.models import Team, User
from dealflow.accounts.visibility import assignable_owners, visible_owner_ids
from dealflow.activities.selectors_next import next_activity_for_sales
from dealflow.relations.models import AccountType

from . import totals
from .models import Phase, Pipeline, Sale, SaleStatus

CARDS_PER_COLUMN = 20
# The closing column shows what was sold or lost recently, not the whole history.
CLOSED_WITHIN_DAYS = 30
CARD_ORDER = (F("sale_date").asc(nulls_last=True), F("id").asc())
# What a card shows (and the move form needs); loading whole sales for 100 cards costs more.
CARD_FIELDS = (
    "title", "amount", "currency", "sale_date", "status", "reopen_date", "closed_date", "version", "phase_id",
    "pipeline_id", "company__name", "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip


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


def _owner_ids(user: User, filters: BoardFilters) -> set[int] | None:
    """The owners whose sales the board shows: those `user` may see (None: everyone),
    narrowed by the owner filter."""
    visible = visible_owner_ids(user)
    if filters.owner == "mine":
        wanted: set[int] | None = {user.pk}
    elif filters.owner == "team":
        wanted = _team_member_ids(user)
    elif filters.owner.isdigit():
        wanted = {int(filters.owner)}
    else:
        wanted = None
    if wanted is None:
        return visible
    return wanted if visible is None else wanted & visible


def _board_base(*, user: User, pipeline: Pipeline, filters: BoardFilters) -> QuerySet[Sale]:
    """The pipeline's sales `user` may see, narrowed by the filters; no status rule yet. Every
    use narrows it to phases of `pipeline`, so the pipeline itself is not repeated (the board's
    indexes start with the phase and would not cover it)."""
    owners = _owner_ids(user, filters)
    if owners is None:
        # Everyone's sales: still named owner by owner, so that the closing column's index
        # (phase, owner, status, closing date) is read in one short range per owner rather
        # than over every owner's closed history.
        owners = set(User.objects.values_list("id", flat=True))
    qs = Sale.objects.filter(owner_id__in=owners)
    if filters.account_type:
        qs = qs.filter(company__account_type_id=filters.account_type)
    return qs


def _summed(rows: Any) -> dict[int, dict[str, Any]]:
    weighted = ExpressionWrapper(
        F("amount") * F("probability"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    cent = Decimal("0.01")
    out = {}
    for r in rows.order_by().values("phase_id").annotate(n=Count("*"), t=Sum("amount"), w=Sum(weighted)):
        out[r["phase_id"]] = {
            "count": r["n"],
            "total": Decimal(r["t"] or 0).quantize(cent),
            "weighted": (Decimal(r["w"] or 0) / 100).quantize(cent),
        }
    return out


def column_heads(
    *, user: User, pipeline: Pipeline, phases: list[Phase], filters: BoardFilters
) -> dict[int, dict[str, Any]]:
    """Count, total and weighted value per phase, for all columns at once. The open and stalled
    sales are read from the running totals (sales.totals) — a few rows per owner instead of
    every open sale — unless an account type narrows the board, which only the sales know; the
    closing column's recently closed sales come from the sale_board_closed index."""
    base = _board_base(user=user, pipeline=pipeline, filters=filters)
    live = [SaleStatus.OPEN, SaleStatus.STALLED]
    phase_ids = [p.pk for p in phases]
    if filters.account_type:
        heads = _summed(base.filter(status__in=live, phase_id__in=phase_ids))
    else:
        heads = totals.sums_by(
            "phase_id",
            owner_ids=_owner_ids(user, filters),
            pipeline_id=pipeline.pk,
            phase_ids=phase_ids,
            statuses=live,
        )
    closing = [p.pk for p in phases if p.is_closing]
    if closing:
        recent = base.filter(
            phase_id__in=closing, status__in=[SaleStatus.SOLD, SaleStatus.LOST], closed_date__gte=_closed_since()
        )  # fmt: skip
        for phase_id, more in _summed(recent).items():
            into = heads.setdefault(phase_id, {"count": 0, "total": Decimal(0), "weighted": Decimal(0)})
            for key in ("count", "total", "weighted"):
                into[key] += more[key]
    return heads


@dataclass(frozen=True)
class _Part:
    """A part of a column; `by_sort` when it is found by its own filter and then sorted,
    rather than by walking the card order (see _part_branches)."""

    qs: QuerySet[Sale]
    by_sort: bool = False


def _column(base: QuerySet[Sale], phase: Phase) -> list[_Part]:
    """One column's sales. A regular column holds the open and stalled sales ("not sold or
    lost", so SQLite walks the sale_board_column index in card order). A closing column holds
    only sold and lost sales (the services never leave an open sale in a closing phase), and
    shows those closed in the last CLOSED_WITHIN_DAYS days: found by closing date in the
    sale_board_closed index and sorted, as walking the whole closed history in card order to
    find them would read every closed sale."""
    if phase.is_closing:
        recent = base.filter(
            phase_id=phase.pk, status__in=[SaleStatus.SOLD, SaleStatus.LOST], closed_date__gte=_closed_since()
        )  # fmt: skip
        return [_Part(recent, by_sort=True)]
    return [_Part(base.filter(phase_id=phase.pk).exclude(status__in=[SaleStatus.SOLD, SaleStatus.LOST]))]


def encode_cursor(sale: Sale) -> str:
    return f"{sale.sale_date.isoformat() if sale.sale_date else 'none'}_{sale.pk}"


def decode_cursor(value: str) -> tuple[dt.date | None, int] | None:
    try:
        date_part, id_part = value.rsplit("_", 1)
        return (None if date_part == "none" else dt.date.fromisoformat(date_part)), int(id_part)
    except ValueError:
        return None


def _branches(parts: list[_Part], cursor: tuple[dt.date | None, int] | None) -> list[QuerySet[Sale]]:
    """A column in card order (sale date, nulls last; id) after `cursor`, as ordered branches:
    per part the dated cards, then the undated ones. Each branch is one index walk; "nulls
    last" in one ORDER BY would make SQLite sort the whole column."""
    return [b for part in parts for b in _part_branches(part, cursor)]


def _part_branches(part: _Part, cursor: tuple[dt.date | None, int] | None) -> list[QuerySet[Sale]]:
    date_order: Any = F("sale_date")
    id_order: Any = F("id")
    if part.by_sort:
        # The same order written as expressions no index matches, so that neither database
        # walks a whole column by sale date looking for the few rows the filter wants.
        date_order = Coalesce(F("sale_date"), Value(dt.date.max))
        id_order = F("id") + 0
    dated = part.qs.filter(sale_date__isnull=False).order_by(date_order, id_order)
    undated = part.qs.filter(sale_date__isnull=True).order_by(id_order)
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
        try:
            sql, p = sub.query.get_compiler(using=sub.db).as_sql()
        except EmptyResultSet:  # e.g. an owner filter outside what the user may see
            continue
        parts.append(f"SELECT * FROM ({sql}) AS c{i}")  # noqa: S608 - SQL compiled by Django, values are parameters
        params.extend(p)
    if not parts:
        return []
    with connections[branches[0].db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [row[0] for row in cursor.fetchall()]


def _url_maker(name: str) -> Any:
    """reverse() once; a card's URL is then the pattern with its id (a board renders 100+)."""
    marker = "987654321"
    pattern = reverse(name, args=[int(marker)])
    return lambda pk: pattern.replace(marker, str(pk))


def _cards(ids: list[int]) -> list[Sale]:
    sales = Sale.objects.filter(pk__in=ids).select_related("company", "owner").only(*CARD_FIELDS).order_by(*CARD_ORDER)
    sales_list = list(sales)
    nexts = next_activity_for_sales([s.pk for s in sales_list])
    detail_url, move_url = _url_maker("sales:sale_detail"), _url_maker("sales:board_move")
    for sale in sales_list:
        sale.next_activity = nexts.get(sale.pk)  # type: ignore[attr-defined]
        sale.detail_url = detail_url(sale.pk)  # type: ignore[attr-defined]
        sale.move_url = move_url(sale.pk)  # type: ignore[attr-defined]
        sale.board_status = sale.effective_status  # type: ignore[attr-defined]
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
    heads = column_heads(user=user, pipeline=pipeline, phases=phases, filters=filters)
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
    heads = column_heads(user=user, pipeline=pipeline, phases=phases, filters=filters)
    return [Column(phase=p, **heads.get(p.pk, {})) for p in phases]


def board_card(*, user: User, pipeline: Pipeline, sale_id: int, filters: BoardFilters) -> Sale | None:
    """One card as the board shows it, or None when it no longer belongs on this board."""
    base = _board_base(user=user, pipeline=pipeline, filters=filters)
    phase = Phase.objects.filter(sales__pk=sale_id, pipeline=pipeline).first()
    if phase is None:
        return None
    ids = [pk for part in _column(base, phase) for pk in part.qs.filter(pk=sale_id).values_list("id", flat=True)]
    cards = _cards(ids)
    return cards[0] if cards else None
