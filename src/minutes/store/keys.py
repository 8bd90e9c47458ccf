"""API keys of tenants: created once (the key is shown then and never again), looked up by
the SHA-256 of what a request presents, revoked by id or prefix."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minutes.errors import NotFound
from minutes.store.models import ApiKey
from minutes.units import utcnow_naive

KEY_PREFIX = "mk_"
_SHOWN = 11  # "mk_" and 8 characters: enough to tell keys apart in a list


class KeyView(BaseModel):
    id: str
    tenant: str
    prefix: str
    name: str | None
    requests_per_minute: int | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class NewKey(BaseModel):
    key: str
    view: KeyView


class KeyOwner(BaseModel):
    """Who a valid key belongs to (what a request is authorised as)."""

    key_id: str
    tenant: str
    requests_per_minute: int | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _view(row: ApiKey) -> KeyView:
    return KeyView.model_validate(row, from_attributes=True)


def create_key(
    session: Session,
    tenant: str,
    *,
    name: str | None = None,
    requests_per_minute: int | None = None,
) -> NewKey:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=uuid.uuid4().hex,
        tenant=tenant,
        prefix=key[:_SHOWN],
        key_hash=hash_key(key),
        name=name,
        requests_per_minute=requests_per_minute,
        created_at=utcnow_naive(),
    )
    session.add(row)
    session.flush()
    return NewKey(key=key, view=_view(row))


def list_keys(session: Session, *, tenant: str | None = None) -> list[KeyView]:
    query = select(ApiKey).order_by(ApiKey.tenant, ApiKey.created_at)
    if tenant is not None:
        query = query.where(ApiKey.tenant == tenant)
    return [_view(r) for r in session.scalars(query)]


def revoke_key(session: Session, id_or_prefix: str) -> KeyView:
    """Revoke the key whose id or shown prefix is given (one key only)."""
    wanted = id_or_prefix.strip()
    rows = session.scalars(
        select(ApiKey).where((ApiKey.id == wanted) | (ApiKey.prefix == wanted)).limit(2)
    ).all()
    if not rows:
        raise NotFound(f"no API key {wanted!r}")
    if len(rows) > 1:
        raise NotFound(f"{wanted!r} matches more than one key; give its id")
    row = rows[0]
    if row.revoked_at is None:
        row.revoked_at = utcnow_naive()
    session.flush()
    return _view(row)


def owner_of(session: Session, key: str) -> KeyOwner | None:
    """The tenant of a presented key, or None when the key is unknown or revoked."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if row is None or row.revoked_at is not None:
        return None
    return KeyOwner(key_id=row.id, tenant=row.tenant, requests_per_minute=row.requests_per_minute)


def touch_key(session: Session, key_id: str) -> None:
    """Note that a key was used (the service does it at most every few seconds per key)."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow_naive()))
