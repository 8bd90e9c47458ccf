"""``/v1/costs`` and ``/v1/metrics``: the tenant's ledger, read back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from minutes.service.auth import Caller, caller
from minutes.service.state import ServiceState
from minutes.store.ledger import CostRow, GroupBy, MetricsRow
from minutes.units import utcnow

router = APIRouter(tags=["spend"])


@router.get("/v1/costs", response_model=list[CostRow], summary="Spend grouped by a key")
def get_costs(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    by: GroupBy = "day",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[CostRow]:
    from minutes.store.ledger import costs

    state: ServiceState = request.app.state.service
    with state.store().read() as session:
        return costs(session, by=by, since=since, until=until, tenant=who.tenant)


@router.get("/v1/metrics", response_model=list[MetricsRow], summary="Per-model health")
def get_metrics(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    hours: Annotated[float, Query(gt=0, le=24 * 366)] = 24.0,
    model: Annotated[str | None, Query(max_length=128)] = None,
) -> list[MetricsRow]:
    from minutes.store.ledger import metrics

    state: ServiceState = request.app.state.service
    since = utcnow() - dt.timedelta(hours=hours)
    with state.store().read() as session:
        return metrics(session, since=since, model=model, tenant=who.tenant)
