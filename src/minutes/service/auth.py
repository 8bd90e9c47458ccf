"""Who is calling: ``Authorization: Bearer <key>`` resolved to its tenant (401 without a
valid key), and each key held to its request rate (429 with Retry-After).

Keys are looked up by their SHA-256 and the answer is remembered for a few seconds, so that a
burst of requests does not hash-and-query per request; a revoked key stops working within
that time (``KEY_TTL_S``). With a Redis broker (``MINUTES_BROKER_URL=redis://…``) the rate
limit is shared by every ``serve`` replica: one GCRA cell per key in Redis, updated by one
atomic script; a Redis that does not answer falls back to this process's own bucket, so a
broker outage does not refuse requests. Without Redis (RabbitMQ, or no broker) the limit is
per process.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from minutes.errors import StoreError
from minutes.service.state import ServiceState
from minutes.store.keys import KeyOwner, hash_key, owner_of, touch_key

log = logging.getLogger(__name__)

KEY_TTL_S = 5.0
#: After the shared limiter fails, this process limits on its own this long before asking again.
SHARED_RETRY_S = 10.0
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


# GCRA (the generic cell rate algorithm): the key's "theoretical arrival time" in ms; a request
# may go when it is at most a minute (the burst) ahead of now. Returns 0, or the ms to wait.
_GCRA = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local emission = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + emission
if next_tat - burst > now then return next_tat - burst - now end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(burst + emission))
return 0
"""
_LIMIT_PREFIX = "minutes:rate:"


class SharedLimiter:
    """The per-key limit across processes, in Redis."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_GCRA)

    def wait_for(self, key_id: str, per_minute: int) -> float:
        """0 when a request may go now, else the seconds until one may; raises when Redis
        does not answer."""
        emission = 60_000 / per_minute
        waited = self._script(keys=[_LIMIT_PREFIX + key_id], args=[emission, 60_000])
        return float(waited) / 1000

    def close(self) -> None:
        self._client.close()


class KeyCheck:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._owners: dict[str, tuple[float, KeyOwner | None]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        url = state.settings.broker_url or ""
        self._shared = SharedLimiter(url) if url.startswith(("redis://", "rediss://")) else None
        self._warned_at = -math.inf
        self._shared_down_until = -math.inf

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
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                return self._shared.wait_for(owner.key_id, per_minute)
            except Exception as exc:  # Redis away: this process's own bucket meanwhile
                now = time.monotonic()
                # Not asked again for a while: a Redis that hangs must not slow every request.
                self._shared_down_until = now + SHARED_RETRY_S
                if now - self._warned_at > 60:  # once a minute, not once a request
                    self._warned_at = now
                    log.warning("shared rate limit unavailable (%s); limiting per process", exc)
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
