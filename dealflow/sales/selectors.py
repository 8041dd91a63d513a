"""Reads for sales, always scoped to what the user may see."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from dealflow.accounts.models import User
from dealflow.accounts.visibility import scope_by_owner, visible_owner_ids
from dealflow.relations.models import AccountType
from dealflow.search import substring

from . import totals
from .models import (
    CloseReason,
    Competitor,
    GuideStep,
    GuideTick,
    Phase,
    PhaseRecord,
    Pipeline,
    Sale,
    SaleStatus,
    StallReason,
    UserDefinedField,
)

SALE_SORTS = {
    "date": ("sale_date", "id"),
    "-date": ("-sale_date", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "amount": ("amount", "id"),
    "-amount": ("-amount", "-id"),
    # The company's name as copied onto the sale (relations/denorm.py): the page's ids come from
    # walking sale_list_by_company, without joining and sorting every visible sale.
    "company": ("company_name", "id"),
    "-company": ("-company_name", "-id"),
    "phase": ("phase__order", "id"),
    "-phase": ("-phase__order", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
CENT = Decimal("0.01")


# The sorts whose page comes from an index that has the status right after the owner
# (sale_list_by_phase: each phase's sales are read range by range and sorted, a phase at a time).
STATUS_RANGE_SORTS = frozenset({"phase", "-phase"})


def only_statuses(qs: QuerySet[Sale], statuses: list[str], sort: str = "") -> QuerySet[Sale]:
    """Sales with one of `statuses`. The list's sort indexes carry the status (and reopen date),
    so a page is found by walking one of them, and the capped count reads sale_list_status.

    PostgreSQL gets the filter as written: its planner weighs the LIMIT, walks the sort index
    for a page and counts from a range of sale_list_status. SQLite's planner does not: given
    `status IN`, it takes that range and sorts every match (45 ms for the stalled sales of a
    team), so it gets "none of the others", which it checks inside the sort index it walks.
    Except for the STATUS_RANGE_SORTS: there "none of the others" made it read every visible
    sale of each phase (120 ms for a team's sold ones), `status IN` lets it read only the
    ranges asked for. Same rows: the status is never null and always one of SaleStatus."""
    if connections[qs.db].vendor == "sqlite" and sort not in STATUS_RANGE_SORTS:
        return qs.exclude(status__in=[s for s in SaleStatus.values if s not in statuses])
    return qs.filter(status__in=statuses)


def sale_list(
    *,
    user: User,
    q: str = "",
    sort: str = "-date",
    status: str = "",
    pipeline: int | None = None,
    phase: int | None = None,
    owner: int | None = None,
    company: int | None = None,
    person: int | None = None,
    project: int | None = None,
) -> QuerySet[Sale]:
    qs = scope_by_owner(Sale.objects.all(), user)
    qs = substring.matching(qs, substring.words(q), ("title",), company="company")
    if status in SaleStatus.values:
        qs = only_statuses(qs, [status], sort)
    elif status == "completed":
        qs = only_statuses(qs, [SaleStatus.SOLD, SaleStatus.LOST], sort)
    for name, value in (("pipeline_id", pipeline), ("phase_id", phase), ("owner_id", owner), ("company_id", company),
                        ("person_id", person), ("project_id", project)):  # fmt: skip
        if value:
            qs = qs.filter(**{name: value})
    return qs.select_related("company", "phase", "owner", "pipeline").order_by(
        *SALE_SORTS.get(sort, SALE_SORTS["-date"])
    )


def sale_get_for_user(user: User, pk: int) -> Sale:
    """The sale with its company, person, project and owner. The pipeline, phase and reasons are
    small lookups fetched when used: PostgreSQL took ~9 ms to plan the query with all nine
    joins (and 0.3 ms to run it)."""
    qs = scope_by_owner(Sale.objects.all(), user).select_related("company__account_type", "person", "project", "owner")
    return get_object_or_404(qs, pk=pk)


def sale_phase_records(sale: Sale) -> list[PhaseRecord]:
    return list(sale.phase_records.select_related("phase", "moved_by").order_by("entered_at", "id"))


def pipeline_phases(pipeline: Pipeline) -> list[Phase]:
    return list(pipeline.phases.filter(is_active=True).order_by("order", "id"))


def sale_pipeline_phases(sale: Sale) -> list[Phase]:
    """Every phase of the sale's pipeline, inactive ones too, read with the pipeline, which the
    sale then shares: the card needs both, and this is one query instead of two."""
    phases = list(Phase.objects.filter(pipeline_id=sale.pipeline_id).select_related("pipeline").order_by("order", "id"))
    if phases and not Sale.pipeline.is_cached(sale):  # type: ignore[attr-defined]
        sale.pipeline = phases[0].pipeline
    return phases


def active_pipelines() -> QuerySet[Pipeline]:
    """The sale types a list can be filtered by: their ids and names."""
    return Pipeline.objects.filter(is_active=True).only("id", "name")


def close_reasons_for(outcome: str | None = None) -> QuerySet[CloseReason]:
    qs = CloseReason.objects.filter(is_active=True)
    if outcome:
        qs = qs.filter(outcome__in=[outcome, "either"])
    return qs


def stall_reasons() -> QuerySet[StallReason]:
    return StallReason.objects.filter(is_active=True)


def competitors() -> QuerySet[Competitor]:
    return Competitor.objects.filter(is_active=True)


def guide_for(sale: Sale) -> list[dict[str, Any]]:
    """The sales guide of the sale's current phase, each step with whether it is ticked."""
    ticked = GuideTick.objects.filter(sale_id=sale.pk, step_id=OuterRef("pk"))
    steps = GuideStep.objects.filter(phase_id=sale.phase_id).annotate(done=Exists(ticked)).order_by("order", "id")
    return [{"step": s, "done": s.done} for s in steps]


def user_fields(entity: str) -> list[UserDefinedField]:
    return list(UserDefinedField.objects.filter(entity=entity, is_active=True).order_by("order", "id"))


def company_funnel(*, user: User, company: Any) -> dict[str, Any] | None:
    """The Overview tab: the company's sales in its account type's pipeline, as a funnel."""
    account_type = company.account_type
    if account_type is None or not account_type.uses_lead_phases or account_type.pipeline_id is None:
        return None
    pipeline = account_type.pipeline
    sales = list(
        scope_by_owner(Sale.objects.filter(company=company, pipeline=pipeline), user)
        .select_related("phase", "close_reason", "owner")
        .order_by("status", "-created_at")
    )
    records: dict[int, dict[int, PhaseRecord]] = {}
    for record in PhaseRecord.objects.filter(sale__in=sales).order_by("entered_at", "id"):
        records.setdefault(record.sale_id, {})[record.phase_id] = record  # last stay wins
    phases = pipeline_phases(pipeline)
    return {
        "pipeline": pipeline,
        "phases": phases,
        "sales": [{"sale": s, "records": records.get(s.pk, {})} for s in sales],
    }


# --- the sale screens: the list as filtered by effective status, browsing, pickers ------


SALE_STATUS_FILTERS = ("open", "sold", "lost", "stalled", "completed")


def sale_list_effective(*, user: User, status: str = "", **filters: Any) -> QuerySet[Sale]:
    """`sale_list` whose status filter reads the effective status: a stalled sale whose reopen
    date has come counts as open (the nightly job has not reopened it yet)."""
    from django.utils import timezone

    today = timezone.localdate()
    sort = filters.get("sort", "")
    qs = sale_list(user=user, status="" if status in ("open", "stalled") else status, **filters)
    if status == SaleStatus.OPEN:  # open, or stalled with its reopen date come (see only_statuses)
        qs = only_statuses(qs, [SaleStatus.OPEN, SaleStatus.STALLED], sort).exclude(
            Q(status=SaleStatus.STALLED) & (Q(reopen_date__gt=today) | Q(reopen_date__isnull=True))
        )
    elif status == SaleStatus.STALLED:
        qs = only_statuses(qs, [SaleStatus.STALLED], sort).exclude(reopen_date__lte=today)
    # The idle flag reads the phase's (or its pipeline's) days-to-stall threshold.
    return qs.select_related("phase__pipeline")


# What a row of the sales list shows (list_html.sale_row): its columns, the effective status and
# the idle flag (the phase's or its pipeline's days to stall). Turning the other twenty-odd
# columns of 25 sales, their companies and owners into objects took longer than the query.
SALE_ROW_FIELDS = (
    "title", "status", "amount", "currency", "sale_date", "reopen_date", "phase_entered_at",
    "company__name", "owner__username", "owner__first_name", "owner__last_name",
    "phase__name", "phase__days_to_stall", "phase__pipeline__days_to_stall",
)  # fmt: skip


def sale_list_rows(qs: QuerySet[Sale]) -> QuerySet[Sale]:
    """The list's rows: only what a row shows, with the company, owner and phase joined."""
    return qs.select_related(None).select_related("company", "owner", "phase__pipeline").only(*SALE_ROW_FIELDS)


class _Rows:
    """(id, status) of an ordered queryset, fetched a chunk at a time on demand."""

    def __init__(self, qs: QuerySet[Sale], chunk: int) -> None:
        self.qs = qs.values_list("id", "status")
        self.chunk = chunk
        self.cache: dict[int, tuple[int, str]] = {}
        self.end: int | None = None

    def get(self, index: int) -> tuple[int, str] | None:
        if index < 0 or (self.end is not None and index >= self.end):
            return None
        if index not in self.cache:
            start = (index // self.chunk) * self.chunk
            rows = list(self.qs[start : start + self.chunk])
            self.cache.update({start + k: row for k, row in enumerate(rows)})
            if len(rows) < self.chunk:
                self.end = start + len(rows)
        return self.cache.get(index)


def sale_neighbours(
    qs: QuerySet[Sale], *, sale_id: int, index: int | None = None, skip_completed: bool = False,
    chunk: int = 50, limit: int = 2000,
) -> dict[str, Any] | None:  # fmt: skip
    """Where `sale_id` stands in the ordered list `qs` and its previous and next sale, skipping
    sold and lost ones if asked. `index` is where the list showed it; the search starts there
    and reads at most `limit` rows, so browsing costs a query or two even in a long list."""
    rows = _Rows(qs, chunk)
    position = None
    guess = max(index or 0, 0)
    for offset in range(0, chunk + 1):
        for candidate in {guess - offset, guess + offset}:
            row = rows.get(candidate)
            if row and row[0] == sale_id:
                position = candidate
                break
        if position is not None:
            break
    if position is None:
        for candidate in range(0, limit):
            row = rows.get(candidate)
            if row is None:
                break
            if row[0] == sale_id:
                position = candidate
                break
    if position is None:
        return None
    completed = {SaleStatus.SOLD, SaleStatus.LOST}

    def walk(step: int) -> tuple[int, int] | None:
        current = position + step
        for _i in range(limit):
            row = rows.get(current)
            if row is None:
                return None
            if not (skip_completed and row[1] in completed):
                return row[0], current
            current += step
        return None

    return {"position": position, "prev": walk(-1), "next": walk(1)}


def next_phase(sale: Sale) -> Phase | None:
    """The active phase after the sale's current one, in pipeline order."""
    current = sale.phase
    return (
        Phase.objects.filter(pipeline_id=sale.pipeline_id, is_active=True)
        .filter(Q(order__gt=current.order) | Q(order=current.order, id__gt=current.pk))
        .order_by("order", "id")
        .first()
    )


def sale_options(*, user: User, q: str = "", exclude: int | None = None, limit: int = 30) -> list[Sale]:
    """Visible sales matching `q`, for the "link another sale" picker."""
    qs = scope_by_owner(Sale.objects.all(), user).select_related("company")
    qs = substring.matching(qs, substring.words(q), ("title",), company="company")
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("title", "id")[:limit])


# --- set-up screens (administrators) -----------------------------------------------------


def pipeline_admin_list() -> QuerySet[Pipeline]:
    """Every sale type with its number of active phases and whether sales use it."""
    return Pipeline.objects.annotate(
        phase_count=Count("phases", filter=Q(phases__is_active=True)),
        in_use=Exists(Sale.objects.filter(pipeline=OuterRef("pk"))),
    ).order_by("order", "name")


def pipeline_phases_admin(pipeline: Pipeline) -> list[Phase]:
    """All phases of a sale type, inactive ones too, each marked `in_use` when sales used it."""
    return list(
        pipeline.phases.annotate(
            used_by_sales=Exists(Sale.objects.filter(phase=OuterRef("pk"))),
            has_records=Exists(PhaseRecord.objects.filter(phase=OuterRef("pk"))),
            guide_count=Count("guide_steps"),
        ).order_by("order", "id")
    )


LOOKUP_SALE_FIELD: dict[type, str] = {
    CloseReason: "close_reason",
    StallReason: "stall_reason",
    Competitor: "competitor",
}


def lookup_admin_list(model: type[Any]) -> QuerySet[Any]:
    """Close reasons, stall reasons or competitors, inactive ones too, with `in_use`."""
    used = Sale.objects.filter(**{LOOKUP_SALE_FIELD[model]: OuterRef("pk")})
    return model.objects.annotate(in_use=Exists(used)).order_by("order", "name")


def udf_admin_list() -> list[UserDefinedField]:
    return list(UserDefinedField.objects.order_by("entity", "order", "id"))


def guide_steps(phase: Phase) -> list[GuideStep]:
    return list(phase.guide_steps.order_by("order", "id"))


def setup_counts() -> dict[str, int]:
    """How many of each thing the funnel set-up index links to."""
    return {
        "pipelines": Pipeline.objects.count(),
        "close_reasons": CloseReason.objects.count(),
        "stall_reasons": StallReason.objects.count(),
        "competitors": Competitor.objects.count(),
        "udfs": UserDefinedField.objects.count(),
        "account_types": AccountType.objects.count(),
    }


def user_field_values(entity: str, custom: dict[str, Any] | None) -> dict[str, list[tuple[str, Any]]]:
    """A record's user-defined fields for its card: the pinned ones (main tab) and the rest."""
    from .forms import custom_display

    custom = custom or {}
    result: dict[str, list[tuple[str, Any]]] = {"pinned": [], "more": []}
    for udf in user_fields(entity):
        result["pinned" if udf.pinned else "more"].append((udf.label, custom_display(udf, custom.get(udf.code))))
    return result


def linked_records(user: User, params: Any, names: tuple[str, ...]) -> list[tuple[str, Any]]:
    """The records a "new …" link names (?sale=, ?project=, ?person=, ?company=, in the order
    of `names`) that `user` may see; ids that are malformed or not visible are left out."""
    from django.http import Http404

    from dealflow.relations import selectors as relations

    getters = {
        "sale": sale_get_for_user,
        "project": relations.project_get_for_user,
        "person": relations.person_get_for_user,
        "company": relations.company_get_for_user,
    }
    found: list[tuple[str, Any]] = []
    for name in names:
        try:
            pk = int(params.get(name) or "")
            found.append((name, getters[name](user, pk)))
        except (ValueError, Http404):
            continue
    return found


# The list's groups the running totals can count, and the status filters they can apply
# (stored statuses; "open" and "stalled" read the effective status, see _REOPENED).
_TOTALS_GROUPS = {"phase": "phase_id", "owner": "owner_id", "status": "status"}
_TOTALS_STATUSES: dict[str, list[str] | None] = {
    "": None,
    SaleStatus.SOLD: [SaleStatus.SOLD],
    SaleStatus.LOST: [SaleStatus.LOST],
    "completed": [SaleStatus.SOLD, SaleStatus.LOST],
}
# The effective statuses: a stalled sale whose reopen date has come counts as open, so those few
# (found by the status and reopen date index) are added to the stored open ones and taken from
# the stalled ones.
_REOPENED = {SaleStatus.OPEN: 1, SaleStatus.STALLED: -1}


def sale_group_totals(*, user: User, filters: dict[str, Any], qs: QuerySet[Sale], group: str) -> dict[Any, Any]:
    """The sales list's count and sum per group. Read from the running totals (sales.totals)
    when the list is narrowed only by what they hold — the pipeline and a status —, by account
    type from the type copied onto the sales (no join), otherwise one aggregate over the
    filtered sales (saved.lists.group_totals)."""
    from django.utils import timezone

    from dealflow.saved import lists

    narrowed = any(filters.get(key) for key in ("q", "company", "person", "project", "phase", "owner"))
    status = filters.get("status", "")
    if group == "account_type":
        return _account_type_totals(qs)
    if group not in _TOTALS_GROUPS or narrowed or (status not in _TOTALS_STATUSES and status not in _REOPENED):
        return lists.group_totals(lists.SALE, qs, group)
    key, pipeline = _TOTALS_GROUPS[group], filters.get("pipeline")
    stored = [status] if status in _REOPENED else _TOTALS_STATUSES[status]
    sums = totals.sums_by(key, owner_ids=visible_owner_ids(user), pipeline_id=pipeline, statuses=stored)
    if status in _REOPENED:
        reopened = Sale.objects.filter(status=SaleStatus.STALLED, reopen_date__lte=timezone.localdate())
        reopened = scope_by_owner(reopened.filter(pipeline_id=pipeline) if pipeline else reopened, user)
        # Few rows, summed here: grouped in SQL, SQLite read every stalled sale in group order.
        for value, amount in reopened.order_by().values_list(key, "amount"):
            s = sums.setdefault(value, {"count": 0, "total": Decimal(0)})
            s["count"] += _REOPENED[status]
            s["total"] += _REOPENED[status] * amount
        sums = {k: s for k, s in sums.items() if s["count"] > 0}
    labels: dict[Any, Any] = {}
    if group == "phase":
        labels = dict(Phase.objects.filter(pk__in=sums).values_list("pk", "name"))
    elif group == "owner":
        labels = dict(User.objects.filter(pk__in=sums).values_list("pk", "username"))
    spec = lists.SALE.groups[group]
    return {
        key: {"title": spec.title(key, labels.get(key)), "count": s["count"], "sum": s["total"].quantize(CENT)}
        for key, s in sums.items()
    }


def _account_type_totals(qs: QuerySet[Sale]) -> dict[Any, Any]:
    """Per account type as copied onto the sales (relations.denorm): what lists.group_totals
    gives through the join to every sale's company, without that join."""
    from dealflow.saved import lists

    rows = list(qs.order_by().values("account_type_id").annotate(n=Count("pk"), total=Sum("amount")).order_by())
    names = dict(AccountType.objects.filter(pk__in=[r["account_type_id"] for r in rows]).values_list("pk", "name"))
    spec = lists.SALE.groups["account_type"]
    return {
        r["account_type_id"]: {
            "title": spec.title(r["account_type_id"], names.get(r["account_type_id"])),
            "count": r["n"],
            "sum": r["total"] or Decimal(0),
        }
        for r in rows
    }
