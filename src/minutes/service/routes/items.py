"""``/v1/action-items``, ``/v1/decisions`` and ``/v1/decision-log``: what meetings produced,
across meetings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from minutes.memory.series import LoggedDecision
from minutes.service.auth import Caller, caller
from minutes.service.schemas import ActionPatch, ActionView, DecisionView, Page
from minutes.service.state import ServiceState

router = APIRouter(tags=["items"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


@router.get("/v1/action-items", response_model=Page[ActionView], summary="Action items")
def list_action_items(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["open", "done"] | None = None,
    due_before: dt.date | None = None,
    meeting_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ActionView]:
    from minutes.store.meetings import list_actions

    with _state(request).store().read() as session:
        rows = list_actions(
            session,
            tenant=who.tenant,
            assignee=assignee,
            status=status,
            due_before=due_before,
            meeting_id=meeting_id,
            limit=limit + 1,
            offset=offset,
        )
    more = len(rows) > limit
    return Page[ActionView](
        items=rows[:limit], limit=limit, offset=offset, next_offset=offset + limit if more else None
    )


@router.patch(
    "/v1/action-items/{action_id}", response_model=ActionView, summary="Mark done or reopen"
)
def patch_action_item(
    request: Request,
    action_id: Annotated[int, Path(ge=1, le=2**62)],
    body: ActionPatch,
    who: Annotated[Caller, Depends(caller)],
) -> ActionView:
    from minutes.store.meetings import set_action_status

    with _state(request).store().transaction() as session:
        return set_action_status(session, action_id, done=body.status == "done", tenant=who.tenant)


@router.get("/v1/decisions", response_model=Page[DecisionView], summary="Decisions, newest first")
def list_decisions(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    meeting_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[DecisionView]:
    from minutes.store.meetings import list_decisions as query

    with _state(request).store().read() as session:
        rows = query(
            session, tenant=who.tenant, meeting_id=meeting_id, limit=limit + 1, offset=offset
        )
    more = len(rows) > limit
    return Page[DecisionView](
        items=rows[:limit], limit=limit, offset=offset, next_offset=offset + limit if more else None
    )


@router.get(
    "/v1/decision-log",
    response_model=list[LoggedDecision],
    summary="Decisions, newest first, each with the earlier decisions it revises",
)
def decision_log(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    meeting_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 100,
) -> list[LoggedDecision]:
    """What ``minutes decisions`` shows: a decision on the same subject as one of an earlier
    meeting revises it (``supersedes``), and ``chain`` goes back to the first. Worked out from
    all the tenant's decisions when asked, so a re-saved meeting never leaves a stale link."""
    from minutes.memory.series import decision_log as log

    with _state(request).store().read() as session:
        return log(session, tenant=who.tenant, meeting_id=meeting_id, limit=limit)
