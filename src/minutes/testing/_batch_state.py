"""What the fake server's batch endpoints hold: uploaded files, batches, the completion delay
and the failure rules. Apart from ``_batches`` (the endpoints) so that the server's shared
state can own one without importing the endpoints."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minutes.testing._script import Fault, RecordedRequest

BatchMatcher = Callable[[RecordedRequest], bool]


@dataclass
class _FailRule:
    match: BatchMatcher
    fault: Fault
    times: int | None  # None: every matching request


@dataclass
class _Job:
    id: str
    provider: str  # "openai" / "anthropic"
    lines: list[tuple[str, RecordedRequest]]  # custom_id, the request as a live call
    created: float
    ends_at: float
    # Wall-clock creation time, reported as the batch's created_at (listings are newest first
    # and clients stop paging at the first batch older than what they look for).
    created_at: float = field(default_factory=time.time)
    input_file_id: str | None = None
    metadata: dict[str, Any] | None = None
    cancelled: bool = False
    # custom_id -> ("ok", rendered body) | ("error", status, message)
    results: dict[str, tuple[Any, ...]] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None


@dataclass
class BatchState:
    """Uploaded files, batches, the completion delay and the failure rules."""

    completion_delay_s: float = 0.0
    # Seconds a create-batch request waits after the batch was created before it is answered:
    # a client killed in that window leaves a batch it never heard the id of.
    create_delay_s: float = 0.0
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    jobs: dict[str, _Job] = field(default_factory=dict)
    rules: list[_FailRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.completion_delay_s = 0.0
            self.create_delay_s = 0.0
            self.files.clear()
            self.jobs.clear()
            self.rules.clear()

    def add_rule(self, match: BatchMatcher, fault: Fault, times: int | None) -> None:
        with self._lock:
            self.rules.append(_FailRule(match, fault, times))

    def failure_for(self, req: RecordedRequest) -> Fault | None:
        with self._lock:
            for rule in self.rules:
                if (rule.times is None or rule.times > 0) and rule.match(req):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.fault
        return None
