"""What happens when a job ends, wherever it ran (``serve``'s own runner or a worker): the
tenant's webhooks hear of it, and the metrics count it.

Neither may hold up or fail the job, which is finished in the store already: the webhooks
are delivered in the background (``webhooks.dispatch``), and a problem of either is logged.
"""

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
    try:
        from minutes.service import metrics

        metrics.job_finished(result)
    except Exception:
        log.exception("job %s: not counted in the metrics", result.job_id)
    try:
        from minutes.service import webhooks

        webhooks.dispatch(settings, result)
    except Exception:
        log.exception("job %s: its webhooks were not sent", result.job_id)
