"""Meetings stored before the search index (0006) become searchable: each one's latest notes
(TL;DR, key points, action items, decisions) and the transcript lines they quote are indexed.

Their full transcripts were never stored, so only the quoted lines are searchable as segments;
summarizing the transcript again indexes all of it. Data only: no schema change, and the
downgrade leaves the rows (0006's downgrade drops the table).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The tables as this revision knows them (not the ORM's, which later revisions may change).
meta = sa.MetaData()
meetings = sa.Table("meetings", meta, sa.Column("id", sa.String), sa.Column("tenant", sa.String))
notes_rows = sa.Table(
    "notes",
    meta,
    sa.Column("id", sa.Integer),
    sa.Column("meeting_id", sa.String),
    sa.Column("notes", sa.JSON),
)
search_docs = sa.Table(
    "search_docs",
    meta,
    sa.Column("meeting_id", sa.String),
    sa.Column("tenant", sa.String),
    sa.Column("kind", sa.String),
    sa.Column("position", sa.Integer),
    sa.Column("segment", sa.Integer),
    sa.Column("speaker", sa.Text),
    sa.Column("start", sa.Float),
    sa.Column("text", sa.Text),
)


def docs_of(meeting_id: str, tenant: str, notes: dict[str, Any]) -> list[dict[str, Any]]:
    """The index rows of one meeting's stored notes: its items, and each quoted line once."""
    rows: list[dict[str, Any]] = []
    quoted: dict[int, dict[str, Any]] = {}

    def add(kind: str, position: int, text: str | None, sources: list[Any] | None) -> None:
        first = (sources or [{}])[0] or {}
        if text and text.strip():
            rows.append(
                {
                    "meeting_id": meeting_id,
                    "tenant": tenant,
                    "kind": kind,
                    "position": position,
                    "segment": first.get("segment"),
                    "speaker": first.get("speaker"),
                    "start": first.get("start"),
                    "text": text.strip(),
                }
            )
        for source in sources or []:
            segment, quote = source.get("segment"), (source.get("quote") or "").strip()
            if isinstance(segment, int) and quote and segment not in quoted:
                quoted[segment] = {
                    "meeting_id": meeting_id,
                    "tenant": tenant,
                    "kind": "segment",
                    "position": segment,
                    "segment": segment,
                    "speaker": source.get("speaker"),
                    "start": source.get("start"),
                    "text": quote,
                }

    add("tldr", 0, notes.get("tldr"), None)
    for i, point in enumerate(notes.get("key_points") or []):
        add("key_point", i, point.get("text"), point.get("sources"))
    for i, item in enumerate(notes.get("action_items") or []):
        who = f" ({item['assignee']})" if item.get("assignee") else ""
        add(
            "action",
            i,
            f"{item.get('task') or ''}{who}" if item.get("task") else None,
            item.get("sources"),
        )
    for i, decision in enumerate(notes.get("decisions") or []):
        add("decision", i, decision.get("decision"), decision.get("sources"))
    return rows + [quoted[k] for k in sorted(quoted)]


def upgrade() -> None:
    bind = op.get_bind()
    indexed = sa.select(search_docs.c.meeting_id).distinct()
    older = bind.execute(
        sa.select(meetings.c.id, meetings.c.tenant).where(meetings.c.id.not_in(indexed))
    ).all()
    for meeting_id, tenant in older:
        latest = bind.execute(
            sa.select(notes_rows.c.notes)
            .where(notes_rows.c.meeting_id == meeting_id)
            .order_by(notes_rows.c.id.desc())
            .limit(1)
        ).scalar()
        if latest is None:
            continue
        notes = json.loads(latest) if isinstance(latest, str) else latest
        rows = docs_of(meeting_id, tenant, notes)
        if rows:
            bind.execute(search_docs.insert(), rows)


def downgrade() -> None:
    pass
