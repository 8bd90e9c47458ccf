"""``/v1/webhooks``: the URLs that hear when the tenant's jobs end (see
``minutes.service.webhooks`` for the events, their signature and their retries)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from minutes.service.auth import Caller, caller
from minutes.service.state import ServiceState
from minutes.store.webhooks import DeliveryView, WebhookView

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

WebhookId = Annotated[str, Path(min_length=1, max_length=64)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="an http(s) URL that takes POSTed events")


class WebhookCreated(BaseModel):
    id: str
    url: str
    active: bool
    created_at: dt.datetime
    secret: str = Field(
        description="signs every event (Minutes-Signature); shown now and never again"
    )


class WebhookList(BaseModel):
    items: list[WebhookView]


class DeliveryList(BaseModel):
    items: list[DeliveryView] = Field(description="delivery attempts, newest first")


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


@router.post("", status_code=201, response_model=WebhookCreated, summary="Register a webhook")
def create_webhook(
    request: Request, body: WebhookIn, who: Annotated[Caller, Depends(caller)]
) -> WebhookCreated:
    from minutes.store.webhooks import create_webhook as create

    with _state(request).store().transaction() as session:
        made = create(session, who.tenant, str(body.url))
    return WebhookCreated(**made.view.model_dump(), secret=made.secret)


@router.get("", response_model=WebhookList, summary="The tenant's webhooks")
def list_webhooks(request: Request, who: Annotated[Caller, Depends(caller)]) -> WebhookList:
    from minutes.store.webhooks import list_webhooks as query

    with _state(request).store().read() as session:
        return WebhookList(items=query(session, tenant=who.tenant))


@router.delete("/{webhook_id}", status_code=204, summary="Remove a webhook and its log")
def delete_webhook(
    request: Request, webhook_id: WebhookId, who: Annotated[Caller, Depends(caller)]
) -> Response:
    from minutes.store.webhooks import delete_webhook as delete

    with _state(request).store().transaction() as session:
        delete(session, webhook_id, tenant=who.tenant)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    summary="Every delivery attempt of a webhook, newest first",
)
def list_deliveries(
    request: Request,
    webhook_id: WebhookId,
    who: Annotated[Caller, Depends(caller)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveryList:
    from minutes.store.webhooks import list_deliveries as query

    with _state(request).store().read() as session:
        return DeliveryList(items=query(session, webhook_id, tenant=who.tenant, limit=limit))
