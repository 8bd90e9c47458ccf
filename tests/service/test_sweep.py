"""The sweeper of ``minutes serve`` with a broker: a job the store says is queued (or running
with a silent heartbeat) long after it was sent is sent again, once per ``requeue_after_s``;
jobs that are fresh, held by a live worker or finished are left alone. Against the machine's
Redis, through Celery's own publisher; no worker runs, so what the sweep sent stays in the
queue to be counted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import redis
from sqlalchemy import update

from minutes.config import load_settings
from minutes.examples import example_path
from minutes.service.tasks import QUEUE, CeleryRunner
from minutes.store.db import open_store
from minutes.store.jobs import submit_job
from minutes.store.models import Job
from minutes.transcripts import load_transcript
from minutes.units import utcnow_naive


def _queued(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.llen(QUEUE))
    finally:
        client.close()


async def test_stranded_jobs_are_sent_again_once_and_live_ones_are_left(
    tmp_path: Path, redis_url: str
) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    settings = load_settings(
        database_url=db, broker_url=redis_url, service={"requeue_after_s": 600}
    )
    store = open_store(db)
    long_ago = utcnow_naive() - dt.timedelta(hours=1)
    ids: dict[str, str] = {}
    try:
        with store.transaction() as session:
            for name, file in [
                ("lost", "standup"),
                ("fresh", "one_on_one"),
                ("silent", "sales_call"),
                ("alive", "incident_review"),
                ("done", "planning"),
            ]:
                transcript = load_transcript(example_path(file))
                ids[name] = submit_job(session, "acme", transcript, {}).job.id
            changes = {
                "lost": {"created_at": long_ago},
                "silent": {"status": "running", "created_at": long_ago, "heartbeat_at": long_ago},
                "alive": {
                    "status": "running",
                    "created_at": long_ago,
                    "heartbeat_at": utcnow_naive(),
                },
                "done": {"status": "done", "created_at": long_ago, "finished_at": long_ago},
            }
            for name, values in changes.items():
                session.execute(update(Job).where(Job.id == ids[name]).values(**values))
    finally:
        store.close()

    runner = CeleryRunner(settings)
    try:
        sent = await runner.sweep()
        assert sorted(sent) == sorted([ids["lost"], ids["silent"]])
        assert _queued(redis_url) == 2
        # looked at again before requeue_after_s has passed: nothing is sent twice
        assert await runner.sweep() == []
        assert _queued(redis_url) == 2
    finally:
        await runner.stop()
