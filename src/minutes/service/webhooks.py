"""Webhooks: when a job ends, each webhook of its tenant is sent the event, signed.

The event (``job.done`` or ``job.failed``) is a JSON body::

    {"id": "<event id>", "type": "job.done", "created": 1718000000,
     "data": {"job_id": "...", "meeting_id": "...", "status": "done", "error": null,
              "error_type": null}}

Signing follows Stripe's scheme, so a receiver can tell a genuine event from a forged or a
replayed one: the header ``Minutes-Signature: t=<unix seconds>,v1=<hex>`` carries the time
of the attempt and the HMAC-SHA256, keyed by the webhook's secret, of ``f"{t}.{body}"``. The
timestamp is in the signed part, so an old delivery sent again is refused by a receiver that
checks it against its clock (``verify_signature``, tolerance 5 minutes by default); a
receiver that wants at-most-once handling also remembers the ``id``s it has seen (every
attempt of one event has the same id, ``Minutes-Event-Id``).

Delivery is at least once while the process lives: an attempt that meets a network error, a
timeout, a 5xx or a 429 is tried again with exponential backoff (``service.webhook_backoff_s``
doubling, Retry-After honoured when longer, ``service.webhook_attempts`` in all); any other
answer ends it (2xx: delivered; 3xx/4xx: refused — redirects are not followed). Every attempt
is a row of ``webhook_deliveries`` (``GET /v1/webhooks/{id}/deliveries``).

Deliveries run on a small pool of threads of the process that ran the job (``minutes serve``
or a ``minutes worker``), so they never hold up or fail the job. Pending deliveries are not
persisted: a process killed while it still retries one loses the remaining attempts (the rows
of the attempts made so far say so).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from minutes.config import Settings
from minutes.errors import MinutesError
from minutes.llm.providers.tls import tls_context
from minutes.runs.job import JobResult

if TYPE_CHECKING:
    from minutes.store.db import Store
    from minutes.store.webhooks import WebhookTarget

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Minutes-Signature"
EVENT_ID_HEADER = "Minutes-Event-Id"
EVENT_TYPE_HEADER = "Minutes-Event-Type"
DEFAULT_TOLERANCE_S = 300.0
#: The longest wait between two attempts, whatever the backoff or a Retry-After says.
MAX_WAIT_S = 600.0
USER_AGENT = "minutes-webhooks/1"
_POOL_THREADS = 4

EventType = Literal["job.done", "job.failed"]


class InvalidSignature(MinutesError):
    """A webhook body whose ``Minutes-Signature`` does not check out (forged, altered, or
    older than the tolerance: a replay)."""

    exit_code = 2


# --- signatures --------------------------------------------------------------------------


def compute_signature(secret: str, timestamp: int, body: bytes | str) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` keyed by ``secret``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    message = str(timestamp).encode("ascii") + b"." + raw
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes | str, *, timestamp: int | None = None) -> str:
    """The value of ``Minutes-Signature`` for this body, signed now (or at ``timestamp``)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1={compute_signature(secret, ts, body)}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes | str,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    *,
    now: float | None = None,
) -> int:
    """Check a received webhook: ``header`` is its ``Minutes-Signature``, ``body`` the raw
    bytes as received (not re-serialised JSON). Returns the signed timestamp; raises
    ``InvalidSignature`` when the header is missing or malformed, no ``v1`` matches, or the
    timestamp is further than ``tolerance_s`` from ``now`` (a replay). Several ``v1`` values
    may be present (while a secret is rotated); one match is enough."""
    if not header:
        raise InvalidSignature(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise InvalidSignature("the signature's timestamp is not a number") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature(f"malformed {SIGNATURE_HEADER} header: needs t=… and v1=…")
    expected = compute_signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise InvalidSignature("the signature does not match the body")
    current = time.time() if now is None else now
    if tolerance_s > 0 and abs(current - timestamp) > tolerance_s:
        raise InvalidSignature(
            f"the signature is {abs(current - timestamp):.0f} s old, over {tolerance_s:g} s"
        )
    return timestamp


# --- events ------------------------------------------------------------------------------


class JobEventData(BaseModel):
    job_id: str
    meeting_id: str
    status: Literal["done", "failed"]
    error: str | None = None
    error_type: str | None = None


class WebhookEvent(BaseModel):
    id: str
    type: EventType
    created: int
    data: JobEventData


def job_event(result: JobResult, *, created: int | None = None) -> WebhookEvent:
    if result.status not in ("done", "failed"):
        raise ValueError(f"no event for a job that was {result.status}")
    status: Literal["done", "failed"] = "done" if result.status == "done" else "failed"
    return WebhookEvent(
        id=uuid.uuid4().hex,
        type="job.done" if status == "done" else "job.failed",
        created=int(time.time()) if created is None else created,
        data=JobEventData(
            job_id=result.job_id,
            meeting_id=result.meeting_id,
            status=status,
            error=result.error,
            error_type=result.error_type,
        ),
    )


def event_body(event: WebhookEvent) -> bytes:
    return json.dumps(event.model_dump(mode="json"), separators=(",", ":")).encode("utf-8")


# --- delivery ----------------------------------------------------------------------------


class _TryAgain(Exception):
    """An attempt worth repeating: network error, timeout, 5xx, 429."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _Refused(Exception):
    """An answer that ends the delivery (3xx, 4xx other than 429)."""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _one_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


Record = Callable[..., None]


class Dispatcher:
    """Delivers events on a few threads of this process; ``drain`` waits for them."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[Future[Any]] = set()
        self._stores: dict[str, Store] = {}

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pid != os.getpid():  # a forked child (a Celery pool process): its own
                self._pid, self._pool, self._stores, self._pending = os.getpid(), None, {}, set()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(_POOL_THREADS, thread_name_prefix="webhooks")
            return self._pool

    def _submit(self, fn: Callable[..., Any], *args: object) -> Future[Any]:
        future = self._executor().submit(fn, *args)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)
        exc = future.exception()
        if exc is not None:
            log.error("webhook delivery failed unexpectedly: %s", exc, exc_info=exc)

    def store(self, url: str | None) -> Store:
        from minutes.store.db import open_store

        key = url or ""
        with self._lock:
            found = self._stores.get(key)
        if found is None:
            found = open_store(url)
            with self._lock:
                found = self._stores.setdefault(key, found)
        return found

    def dispatch(self, settings: Settings, result: JobResult) -> Future[Any] | None:
        """Send the job's event to its tenant's webhooks, in the background."""
        if result.status not in ("done", "failed") or not result.tenant:
            return None
        return self._submit(self._fan_out, settings, result)

    def _fan_out(self, settings: Settings, result: JobResult) -> None:
        from minutes.store.webhooks import active_targets

        store = self.store(settings.database_url)
        with store.read() as session:
            targets = active_targets(session, tenant=result.tenant)
        if not targets:
            return
        event = job_event(result)
        body = event_body(event)
        for target in targets:
            self._submit(self.deliver, settings, target, event, body)

    def deliver(
        self, settings: Settings, target: WebhookTarget, event: WebhookEvent, body: bytes
    ) -> bool:
        """One event to one webhook, with retries; True when it was taken (2xx)."""
        from minutes.service import metrics

        service = settings.service
        record = self._recorder(settings, target, event)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            backoff = service.webhook_backoff_s * 2 ** (state.attempt_number - 1)
            asked = getattr(exc, "retry_after", None) or 0.0
            return float(min(max(backoff, asked), MAX_WAIT_S))

        retrying = Retrying(
            stop=stop_after_attempt(service.webhook_attempts),
            wait=wait,
            retry=retry_if_exception_type(_TryAgain),
            sleep=self.sleep,
            reraise=True,
        )
        with httpx.Client(
            timeout=service.webhook_timeout_s, follow_redirects=False, verify=tls_context()
        ) as client:
            try:
                for attempt in retrying:
                    with attempt:
                        self._attempt(
                            client, target, event, body, attempt.retry_state.attempt_number, record
                        )
            except _TryAgain as exc:
                log.warning(
                    "webhook %s: event %s not delivered after %d attempt(s): %s",
                    target.id,
                    event.id,
                    service.webhook_attempts,
                    exc,
                )
                metrics.webhook_delivery("gave_up")
                return False
            except _Refused as exc:
                log.warning("webhook %s refused event %s: %s", target.id, event.id, exc)
                metrics.webhook_delivery("refused")
                return False
        metrics.webhook_delivery("delivered")
        return True

    def _attempt(
        self,
        client: httpx.Client,
        target: WebhookTarget,
        event: WebhookEvent,
        body: bytes,
        number: int,
        record: Record,
    ) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(target.secret, body),
            EVENT_ID_HEADER: event.id,
            EVENT_TYPE_HEADER: event.type,
        }
        started = time.perf_counter()
        try:
            response = client.post(target.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {_one_line(str(exc))}".rstrip(": ")
            record(number, None, False, reason, (time.perf_counter() - started) * 1000)
            raise _TryAgain(reason) from exc
        latency = (time.perf_counter() - started) * 1000
        code = response.status_code
        if 200 <= code < 300:
            record(number, code, True, None, latency)
            return
        reason = f"HTTP {code}"
        detail = _one_line(response.text)
        if detail:
            reason = f"{reason}: {detail}"
        record(number, code, False, reason, latency)
        if code >= 500 or code == 429:
            raise _TryAgain(reason, _retry_after(response))
        raise _Refused(reason)

    def _recorder(self, settings: Settings, target: WebhookTarget, event: WebhookEvent) -> Record:
        from minutes.store.webhooks import record_delivery

        def record(
            attempt: int, status_code: int | None, ok: bool, error: str | None, latency_ms: float
        ) -> None:
            try:
                store = self.store(settings.database_url)
                with store.transaction() as session:
                    record_delivery(
                        session,
                        target,
                        event_id=event.id,
                        event=event.type,
                        job_id=event.data.job_id,
                        attempt=attempt,
                        status_code=status_code,
                        ok=ok,
                        error=error,
                        latency_ms=latency_ms,
                    )
            except Exception as exc:  # the log is lost, the delivery goes on
                log.warning("webhook %s: attempt %d not logged: %s", target.id, attempt, exc)

        return record

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until no delivery is pending (True), or ``timeout`` seconds (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return True
            for future in pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                try:
                    future.result(timeout=left)
                except TimeoutError:
                    return False
                except Exception:
                    pass  # logged by _done

    def close(self) -> None:
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()


_dispatcher = Dispatcher()


def dispatcher() -> Dispatcher:
    return _dispatcher


def dispatch(settings: Settings, result: JobResult) -> Future[Any] | None:
    return _dispatcher.dispatch(settings, result)
