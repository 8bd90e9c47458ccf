"""The ``prompt_evaluations`` table: figures measured by ``minutes eval``, one row per prompt
version exercised by a run (and one row for a run of the extractive engine, which uses none).

The store sits below the evaluation harness and knows nothing of it: rows come in as
:class:`EvaluationRecord` and go out the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, DateTime, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from minutes.store.models import Base, BigId
from minutes.units import utcnow_naive


class PromptEvaluation(Base):
    __tablename__ = "prompt_evaluations"
    __table_args__ = (
        Index("ix_prompt_evaluations_prompt", "prompt_name", "prompt_version", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    prompt_name: Mapped[str] = mapped_column(String(128))
    prompt_version: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    dataset: Mapped[str] = mapped_column(String(128))
    dataset_hash: Mapped[str] = mapped_column(String(64))
    engine: Mapped[str] = mapped_column(String(16))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    samples: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)


class EvaluationRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    run_id: str
    prompt_name: str
    prompt_version: str
    model: str
    dataset: str
    dataset_hash: str
    engine: str = Field(description="'llm' or 'extractive'")
    metrics: dict[str, Any]
    samples: int = Field(description="meetings evaluated")
    created_at: dt.datetime = Field(default_factory=utcnow_naive, description="naive UTC")


def save_evaluations(session: Session, records: Sequence[EvaluationRecord]) -> None:
    """Add the rows of one run (nothing is committed here)."""
    session.add_all(PromptEvaluation(**r.model_dump()) for r in records)
    session.flush()


def _records(rows: Sequence[PromptEvaluation]) -> list[EvaluationRecord]:
    return [EvaluationRecord.model_validate(r) for r in rows]


def latest_evaluations(session: Session) -> list[EvaluationRecord]:
    """The newest row for each (prompt name, version, model, dataset), newest first."""
    rows = session.scalars(
        select(PromptEvaluation).order_by(
            PromptEvaluation.created_at.desc(), PromptEvaluation.id.desc()
        )
    ).all()
    seen: set[tuple[str, str, str, str]] = set()
    latest: list[PromptEvaluation] = []
    for row in rows:  # the table holds a few rows per run: filtering here keeps SQL portable
        key = (row.prompt_name, row.prompt_version, row.model, row.dataset)
        if key not in seen:
            seen.add(key)
            latest.append(row)
    return _records(latest)


def evaluation_history(
    session: Session, prompt_name: str, prompt_version: str | None = None
) -> list[EvaluationRecord]:
    """Every row of a prompt (or of one version), newest first."""
    query = select(PromptEvaluation).where(PromptEvaluation.prompt_name == prompt_name)
    if prompt_version is not None:
        query = query.where(PromptEvaluation.prompt_version == prompt_version)
    query = query.order_by(PromptEvaluation.created_at.desc(), PromptEvaluation.id.desc())
    return _records(session.scalars(query).all())


__all__ = [
    "EvaluationRecord",
    "PromptEvaluation",
    "evaluation_history",
    "latest_evaluations",
    "save_evaluations",
]
