"""Webhooks of tenants: the URLs that hear when a job ends, and the log of every attempt to
deliver an event to one of them.

The signing secret is kept as it is (it is needed to sign, so it cannot be hashed like an API
key); it is shown once, when the webhook is made, and never listed again.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from minutes.errors import NotFound
from minutes.store.models import Webhook, WebhookDelivery
from minutes.units import utcnow_naive

SECRET_PREFIX = "whsec_"


class WebhookView(BaseModel):
    id: str
    url: str
    active: bool
    created_at: dt.datetime


class NewWebhook(BaseModel):
    """A webhook just made: the only time its secret is shown."""

    view: WebhookView
    secret: str


class WebhookTarget(BaseModel):
    """What a delivery needs: where, and the secret to sign with."""

    id: str
    tenant: str
    url: str
    secret: str


class DeliveryView(BaseModel):
    id: int
    webhook_id: str
    event_id: str
    event: str
    job_id: str | None
    attempt: int
    status_code: int | None
    ok: bool
    error: str | None
    latency_ms: float
    at: dt.datetime


def _view(row: Webhook) -> WebhookView:
    return WebhookView(id=row.id, url=row.url, active=row.active, created_at=row.created_at)


def create_webhook(session: Session, tenant: str, url: str) -> NewWebhook:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = Webhook(
        id=uuid.uuid4().hex,
        tenant=tenant,
        url=url,
        secret=secret,
        active=True,
        created_at=utcnow_naive(),
    )
    session.add(row)
    session.flush()
    return NewWebhook(view=_view(row), secret=secret)


def _owned(session: Session, webhook_id: str, tenant: str) -> Webhook:
    row = session.get(Webhook, webhook_id)
    if row is None or row.tenant != tenant:  # another tenant's webhook does not exist here
        raise NotFound(f"no webhook {webhook_id}")
    return row


def list_webhooks(session: Session, *, tenant: str) -> list[WebhookView]:
    rows = session.scalars(
        select(Webhook).where(Webhook.tenant == tenant).order_by(Webhook.created_at, Webhook.id)
    )
    return [_view(r) for r in rows]


def delete_webhook(session: Session, webhook_id: str, *, tenant: str) -> None:
    row = _owned(session, webhook_id, tenant)
    # The deliveries go with it (the foreign key cascades too; not every engine enforces it).
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == row.id))
    session.delete(row)
    session.flush()


def active_targets(session: Session, *, tenant: str) -> list[WebhookTarget]:
    rows = session.scalars(
        select(Webhook)
        .where(Webhook.tenant == tenant, Webhook.active.is_(True))
        .order_by(Webhook.created_at, Webhook.id)
    )
    return [WebhookTarget(id=r.id, tenant=r.tenant, url=r.url, secret=r.secret) for r in rows]


def record_delivery(
    session: Session,
    target: WebhookTarget,
    *,
    event_id: str,
    event: str,
    job_id: str | None,
    attempt: int,
    status_code: int | None,
    ok: bool,
    error: str | None,
    latency_ms: float,
) -> None:
    """One attempt, whatever came of it. An attempt at a webhook deleted meanwhile is not
    logged (its log went with it)."""
    if session.get(Webhook, target.id) is None:
        return
    session.add(
        WebhookDelivery(
            webhook_id=target.id,
            tenant=target.tenant,
            event_id=event_id,
            event=event,
            job_id=job_id,
            attempt=attempt,
            status_code=status_code,
            ok=ok,
            error=error,
            latency_ms=latency_ms,
            at=utcnow_naive(),
        )
    )
    session.flush()


def list_deliveries(
    session: Session, webhook_id: str, *, tenant: str, limit: int = 100
) -> list[DeliveryView]:
    """The webhook's delivery attempts, newest first."""
    _owned(session, webhook_id, tenant)
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.tenant == tenant)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return [DeliveryView.model_validate(r, from_attributes=True) for r in rows]
