"""Who is calling: ``Authorization: Bearer <key>`` resolved to its tenant (401 without a
valid key), and each key held to its request rate (429 with Retry-After).

Keys are looked up by their SHA-256 and the answer is remembered for a few seconds, so that a
burst of requests does not hash-and-query per request; a revoked key stops working within
that time (``KEY_TTL_S``). The rate limit is per process: with several ``serve`` replicas a
key may make that many requests per minute on each.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from minutes.errors import StoreError
from minutes.service.state import ServiceState
from minutes.store.keys import KeyOwner, hash_key, owner_of, touch_key

KEY_TTL_S = 5.0
_bearer = HTTPBearer(auto_error=False, description="an API key from `minutes keys create`")


@dataclass(frozen=True)
class Caller:
    tenant: str
    key_id: str


class _Bucket:
    """A token bucket: ``rate`` requests a minute, up to a minute's worth at once."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.tokens = self.capacity
        self.at = time.monotonic()

    def take(self) -> float:
        """0 when a request may go now, else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class KeyCheck:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._owners: dict[str, tuple[float, KeyOwner | None]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def owner(self, key: str) -> KeyOwner | None:
        digest = hash_key(key)
        now = time.monotonic()
        with self._lock:
            cached = self._owners.get(digest)
        if cached is not None and now - cached[0] < KEY_TTL_S:
            return cached[1]
        with self.state.store().read() as session:
            found = owner_of(session, key)
        if found is not None:
            try:
                with self.state.store().transaction() as session:
                    touch_key(session, found.key_id)
            except StoreError:
                pass  # a read-only moment of the store must not refuse the request
        with self._lock:
            if len(self._owners) > 10_000:
                self._owners.clear()
            self._owners[digest] = (now, found)
        return found

    def wait_for(self, owner: KeyOwner) -> float:
        per_minute = owner.requests_per_minute or self.state.settings.service.requests_per_minute
        with self._lock:
            bucket = self._buckets.get(owner.key_id)
            if bucket is None or bucket.capacity != per_minute:
                bucket = self._buckets[owner.key_id] = _Bucket(per_minute)
            return bucket.take()


def caller(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
) -> Caller:
    """The dependency every /v1 route takes."""
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "an API key is needed: Authorization: Bearer <key>", unauthorized)
    check: KeyCheck = request.app.state.keys
    owner = check.owner(credentials.credentials)
    if owner is None:
        raise HTTPException(401, "the API key is not valid (unknown or revoked)", unauthorized)
    wait = check.wait_for(owner)
    if wait > 0:
        raise HTTPException(
            429, "too many requests for this API key", {"Retry-After": str(math.ceil(wait))}
        )
    request.state.tenant = owner.tenant
    return Caller(tenant=owner.tenant, key_id=owner.key_id)
