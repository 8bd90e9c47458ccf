"""Process-wide hooks around each job's run, for what lives above ``runs/`` and must not be
imported here (the service's tracing: a span per job, the parent of its LLM calls' spans).

A job scope is a function of the claimed job that returns a context manager; ``run_job``
enters every registered scope around the meeting's run, on the job's event loop, so what a
scope makes current (an OpenTelemetry context) is current for the whole run. An exception of
the run passes through the scopes (they may record it); a scope that fails to enter is
logged and left out, never the job's problem.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minutes.store.jobs import Claimed

log = logging.getLogger(__name__)

JobScope = Callable[["Claimed"], AbstractContextManager[Any]]

_scopes: list[JobScope] = []
_lock = threading.Lock()


def add_job_scope(scope: JobScope) -> None:
    with _lock:
        if scope not in _scopes:
            _scopes.append(scope)


def remove_job_scope(scope: JobScope) -> None:
    with _lock:
        if scope in _scopes:
            _scopes.remove(scope)


@contextlib.contextmanager
def job_scope(job: Claimed) -> Iterator[None]:
    with _lock:
        scopes = tuple(_scopes)
    with contextlib.ExitStack() as stack:
        for scope in scopes:
            try:
                stack.enter_context(scope(job))
            except Exception:
                log.exception("a job scope failed to start for job %s", job.id)
        yield
