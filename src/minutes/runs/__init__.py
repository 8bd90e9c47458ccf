"""The ways to run meetings, behind one small API that the CLI, ``minutes.summarize()`` and
the HTTP service call:

- ``run_stored``: one meeting with the store (ledger, caches, saved in one transaction);
- ``summarize_many``: many meetings at once through one gateway, each failing on its own;
- ``start_run`` / ``advance_run`` / ``cancel_run``: meetings through the providers' Batch APIs,
  resumable from any process;
- ``estimate_run``: what a run would cost, calling nothing;
- ``run_job``: one job of the service (claimed, run as its tenant, finished once);
- ``asummarize`` / ``summarize``: the Python API's one meeting, without the store.

Each lives in its own module; this package re-exports them lazily so that importing one run
does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minutes.runs.batch import (
        BatchInput,
        Skipped,
        advance_run,
        cancel_run,
        inputs_from_paths,
        start_run,
    )
    from minutes.runs.direct import asummarize, summarize
    from minutes.runs.dry import RunEstimate, estimate_run
    from minutes.runs.job import JobResult, JobRetry, run_job, run_job_sync
    from minutes.runs.many import MeetingOutcome, expand_inputs, summarize_many
    from minutes.runs.stored import StoredOutcome, StoredRun, run_stored

_WHERE = {
    "BatchInput": "batch",
    "advance_run": "batch",
    "cancel_run": "batch",
    "inputs_from_paths": "batch",
    "start_run": "batch",
    "Skipped": "batch",
    "RunEstimate": "dry",
    "estimate_run": "dry",
    "JobResult": "job",
    "JobRetry": "job",
    "run_job": "job",
    "run_job_sync": "job",
    "MeetingOutcome": "many",
    "expand_inputs": "many",
    "summarize_many": "many",
    "StoredOutcome": "stored",
    "StoredRun": "stored",
    "run_stored": "stored",
    "asummarize": "direct",
    "summarize": "direct",
}

__all__ = [
    "BatchInput",
    "JobResult",
    "JobRetry",
    "MeetingOutcome",
    "RunEstimate",
    "Skipped",
    "StoredOutcome",
    "StoredRun",
    "advance_run",
    "asummarize",
    "cancel_run",
    "estimate_run",
    "expand_inputs",
    "inputs_from_paths",
    "run_job",
    "run_job_sync",
    "run_stored",
    "start_run",
    "summarize",
    "summarize_many",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'minutes.runs' has no attribute {name!r}")
    return getattr(importlib.import_module(f"minutes.runs.{module}"), name)
