"""/api/v1/activities: list, read, create, change, delete, done and undone."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from ninja import Field, Query, Router, Schema

from dealflow.api.common import ErrorOut, PageOut, paginate_qs, validated_form
from dealflow.core.types import AuthedRequest

from . import selectors, services
from .forms import ActivityForm

router = Router()
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: Any, 422: ErrorOut}


class ActivityOut(Schema):
    id: int
    kind: str = Field(..., description="call, meeting, task, email or note")
    subject: str
    text: str
    starts_at: dt.datetime | None = Field(None, description="When it is due.")
    ends_at: dt.datetime | None
    duration: int | None = Field(None, description="Minutes.")
    done: bool
    done_at: dt.datetime | None
    overdue: bool = Field(False, alias="is_overdue", description="Open and past its due time.")
    owner: int = Field(..., alias="owner_id")
    company: int | None = Field(None, alias="company_id")
    person: int | None = Field(None, alias="person_id")
    sale: int | None = Field(None, alias="sale_id")
    project: int | None = Field(None, alias="project_id")
    remind_minutes_before: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityIn(Schema):
    kind: str | None = None
    subject: str | None = None
    text: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    duration: int | None = Field(None, ge=0)
    owner: int | None = None
    company: int | None = None
    person: int | None = None
    sale: int | None = None
    project: int | None = None
    remind_minutes_before: int | None = Field(None, ge=0)
    version: int | None = Field(None, description="The version you read; a newer one on the server is a 409.")


class ActivityPage(PageOut):
    results: list[ActivityOut]


class ActivityFilters(Schema):
    q: str = ""
    sort: str = "due"
    owner: int | None = None
    sale: int | None = None
    company: int | None = None
    person: int | None = None
    project: int | None = None
    done: bool | None = None
    overdue: bool | None = Field(None, description="Only open activities past their due time.")
    date_from: dt.date | None = Field(None, alias="from", description="Due on or after this day.")
    date_to: dt.date | None = Field(None, alias="to", description="Due on or before this day.")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class DoneIn(Schema):
    version: int | None = None


def _form(request: AuthedRequest, sent: dict[str, Any], instance: Any = None) -> ActivityForm:
    return cast(ActivityForm, validated_form(cast(Any, ActivityForm), sent, user=request.user, instance=instance))


@router.get("/activities", response={200: ActivityPage, **ERRORS}, tags=["activities"])
def list_activities(request: AuthedRequest, filters: Query[ActivityFilters]) -> Any:
    status = "overdue" if filters.overdue else {True: "done", False: "open", None: ""}[filters.done]
    qs = selectors.activity_list(
        user=request.user,
        q=filters.q,
        status=status,
        sort=filters.sort if filters.sort in selectors.ACTIVITY_SORTS else "due",
        owner=filters.owner,
        sale=filters.sale,
        company=filters.company,
        person=filters.person,
        project=filters.project,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    items, meta = paginate_qs(qs, filters.page, filters.page_size)
    return {**meta, "results": items}


@router.get("/activities/{pk}", response={200: ActivityOut, **ERRORS}, tags=["activities"])
def get_activity(request: AuthedRequest, pk: int) -> Any:
    return selectors.activity_get_for_user(request.user, pk)


@router.post("/activities", response={201: ActivityOut, **ERRORS}, tags=["activities"])
def create_activity(request: AuthedRequest, payload: ActivityIn) -> Any:
    sent = payload.model_dump(exclude_unset=True)
    form = _form(request, sent)
    return 201, services.activity_create(actor=request.user, data=form.service_data())


@router.patch("/activities/{pk}", response={200: ActivityOut, **ERRORS}, tags=["activities"])
def update_activity(request: AuthedRequest, pk: int, payload: ActivityIn) -> Any:
    activity = selectors.activity_get_for_user(request.user, pk)
    sent = payload.model_dump(exclude_unset=True)
    form = _form(request, sent, activity)
    data = {k: v for k, v in form.service_data().items() if k in sent}
    return services.activity_update(
        actor=request.user, activity=activity, data=data, expected_version=sent.get("version")
    )


@router.delete("/activities/{pk}", response={204: None, **ERRORS}, tags=["activities"])
def delete_activity(request: AuthedRequest, pk: int) -> Any:
    services.activity_delete(actor=request.user, activity=selectors.activity_get_for_user(request.user, pk))
    return 204, None


@router.post("/activities/{pk}/done", response={200: ActivityOut, **ERRORS}, tags=["activities"])
def mark_done(request: AuthedRequest, pk: int, payload: DoneIn | None = None) -> Any:
    activity = selectors.activity_get_for_user(request.user, pk)
    version = payload.version if payload else None
    return services.activity_set_done(actor=request.user, activity=activity, done=True, expected_version=version)


@router.post("/activities/{pk}/undone", response={200: ActivityOut, **ERRORS}, tags=["activities"])
def mark_undone(request: AuthedRequest, pk: int, payload: DoneIn | None = None) -> Any:
    activity = selectors.activity_get_for_user(request.user, pk)
    version = payload.version if payload else None
    return services.activity_set_done(actor=request.user, activity=activity, done=False, expected_version=version)
