"""Process-wide observers of LLM attempts: whoever wants to see every ``AttemptRecord`` of
this process (the service's Prometheus counters, its OpenTelemetry spans) adds an observer;
``Observed`` is the recorder wrapper that shows them each record on its way to the ledger.

An observer is called on the event loop of the call, in the call's context (so the span of
the job that made the call is the current one), and must not block. It is told the tenant,
which the record itself does not carry. An observer that raises is logged, never the
caller's problem.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from minutes.llm.calls import AttemptRecord, Recorder

log = logging.getLogger(__name__)

Observer = Callable[[AttemptRecord, str], None]

_observers: list[Observer] = []
_lock = threading.Lock()


def add_observer(observer: Observer) -> None:
    with _lock:
        if observer not in _observers:
            _observers.append(observer)


def remove_observer(observer: Observer) -> None:
    with _lock:
        if observer in _observers:
            _observers.remove(observer)


def observers() -> tuple[Observer, ...]:
    with _lock:
        return tuple(_observers)


def notify(attempt: AttemptRecord, tenant: str) -> None:
    for observer in observers():
        try:
            observer(attempt, tenant)
        except Exception:
            log.exception("an observer of LLM attempts failed")


class Observed:
    """A recorder that shows every record to the observers, then passes it on."""

    def __init__(self, inner: Recorder, *, tenant: str) -> None:
        self.inner = inner
        self.tenant = tenant

    def record(self, attempt: AttemptRecord) -> None:
        notify(attempt, self.tenant)
        self.inner.record(attempt)
