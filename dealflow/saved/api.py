"""/api/v1/selections: own and shared selections, their members (always what the caller may see)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema

from dealflow.api.common import ErrorOut, PageOut, paginate_qs
from dealflow.core.types import AuthedRequest

from . import selectors, services
from .models import Entity, SelectionKind, Visibility

router = Router(tags=["selections"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: Any, 422: ErrorOut}


class SelectionOut(Schema):
    id: int
    name: str
    entity: Entity
    kind: SelectionKind
    visibility: Visibility
    owner: int = Field(..., alias="owner_id")
    filters: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SelectionIn(Schema):
    name: str
    entity: Entity = Entity.COMPANY
    kind: SelectionKind = SelectionKind.STATIC
    visibility: Visibility = Visibility.PRIVATE
    filters: dict[str, Any] = Field(default_factory=dict, description="Dynamic only: field → value; see the docs.")
    members: list[int] = Field(default_factory=list, description="Static only: ids of the hand-picked records.")


class SelectionPatch(Schema):
    name: str | None = None
    kind: SelectionKind | None = None
    visibility: Visibility | None = None
    filters: dict[str, Any] | None = None
    add_members: list[int] = Field(default_factory=list)
    remove_members: list[int] = Field(default_factory=list)
    version: int | None = Field(None, description="The version you read; a stale one is refused with 409.")


class SelectionPage(PageOut):
    items: list[SelectionOut]


class MemberOut(Schema):
    id: int
    label: str
    url: str
    overdue: bool


class MemberPage(PageOut):
    items: list[MemberOut]


@router.get("/selections", response={200: SelectionPage, **ERRORS})
def list_selections(request: AuthedRequest, entity: str = "", page: int = 1, page_size: int = 50) -> Any:
    items, meta = paginate_qs(selectors.selection_list(user=request.user, entity=entity), page, page_size)
    return {"items": items, **meta}


@router.post("/selections", response={201: SelectionOut, **ERRORS})
def create_selection(request: AuthedRequest, payload: SelectionIn) -> Any:
    data = payload.dict(exclude={"members"})
    return 201, services.selection_create(actor=request.user, data=data, members=payload.members)


@router.get("/selections/{selection_id}", response={200: SelectionOut, **ERRORS})
def read_selection(request: AuthedRequest, selection_id: int) -> Any:
    return selectors.selection_get_for_user(request.user, selection_id)


@router.patch("/selections/{selection_id}", response={200: SelectionOut, **ERRORS})
def update_selection(request: AuthedRequest, selection_id: int, payload: SelectionPatch) -> Any:
    selection = selectors.selection_get_for_edit(request.user, selection_id)
    data = payload.dict(exclude_unset=True, exclude={"add_members", "remove_members", "version"})
    data = {k: v for k, v in data.items() if v is not None}
    selection = services.selection_update(
        actor=request.user, selection=selection, data=data, expected_version=payload.version
    )
    if payload.add_members:
        services.selection_add_members(actor=request.user, selection=selection, ids=payload.add_members)
    if payload.remove_members:
        services.selection_remove_members(actor=request.user, selection=selection, ids=payload.remove_members)
    return selection


@router.delete("/selections/{selection_id}", response={204: None, **ERRORS})
def delete_selection(request: AuthedRequest, selection_id: int) -> Any:
    services.selection_delete(
        actor=request.user, selection=selectors.selection_get_for_edit(request.user, selection_id)
    )
    return 204, None


@router.get("/selections/{selection_id}/members", response={200: MemberPage, **ERRORS})
def selection_members(request: AuthedRequest, selection_id: int, page: int = 1, page_size: int = 50) -> Any:
    selection = selectors.selection_get_for_user(request.user, selection_id)
    qs = selectors.selection_members(user=request.user, selection=selection)
    rows, meta = paginate_qs(qs, page, page_size)
    overdue = selectors.overdue_ids(selection.entity, rows)
    items = [{"id": r.pk, "label": str(r), "url": r.get_absolute_url(), "overdue": r.pk in overdue} for r in rows]
    return {"items": items, **meta}
