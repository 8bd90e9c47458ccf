"""``/v1/jobs/{id}``: where a submitted meeting's run stands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from minutes.service.auth import Caller, caller
from minutes.service.state import ServiceState
from minutes.store.jobs import JobView

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobView, summary="A job: queued, running, done, failed")
def get_job(request: Request, job_id: str, who: Annotated[Caller, Depends(caller)]) -> JobView:
    from minutes.store.jobs import get_job as query

    state: ServiceState = request.app.state.service
    with state.store().read() as session:
        return query(session, job_id, tenant=who.tenant)
