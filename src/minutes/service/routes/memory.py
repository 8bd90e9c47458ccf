"""``/v1/search`` and ``/v1/ask``: memory across a tenant's meetings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from minutes.memory.ask import Answer
from minutes.memory.search import SearchHit
from minutes.service.auth import Caller, caller
from minutes.service.state import ServiceState

router = APIRouter(tags=["memory"])


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


@router.get("/v1/search", response_model=list[SearchHit], summary="Search across meetings")
def search(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    q: Annotated[str, Query(min_length=1, max_length=500, description="words to look for")],
    since: dt.date | None = None,
    until: dt.date | None = None,
    participant: Annotated[str | None, Query(max_length=200)] = None,
    meeting: Annotated[str | None, Query(max_length=32, description="id or prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
) -> list[SearchHit]:
    """Transcript segments and note items of the caller's meetings, best first, the
    matching words marked ``**like this**`` (full text; vectors are not fused here)."""
    from minutes.memory.search import search as run_search

    state = _state(request)
    with state.store().read() as session:
        return run_search(
            session,
            q,
            tenant=who.tenant,
            since=since,
            until=until,
            participant=participant,
            meeting=meeting,
            limit=limit,
            people=state.settings.people,
        )


class AskBody(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    limit: int = Field(8, ge=1, le=30, description="passages to retrieve")
    offline: bool = Field(False, description="no language model: the best passages, cited")


@router.post("/v1/ask", response_model=Answer, summary="Answer a question, with citations")
async def ask(request: Request, body: AskBody, who: Annotated[Caller, Depends(caller)]) -> Answer:
    """An answer from the caller's meetings, each claim cited with a quote checked against
    the stored transcript; extractive (the best passages, cited) when no model answers."""
    from minutes.memory.ask import ask as run_ask

    state = _state(request)
    store = state.store()
    gateway = None
    if not body.offline:
        from minutes.llm.gateway import Gateway

        gateway = Gateway(state.settings.for_tenant(who.tenant), store=store)
    try:
        return await run_ask(
            store,
            body.question,
            gateway=gateway,
            tenant=who.tenant,
            limit=body.limit,
            people=state.settings.people,
        )
    finally:
        if gateway is not None:
            gateway.close()
