"""Markdown from MeetingNotes: what a person pastes into a doc or Slack."""

from __future__ import annotations

from minutes.notes import MeetingNotes, SourceRef


def _stamp(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return (
        f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if s >= 3600
        else f"{s // 60:d}:{s % 60:02d}"
    )


def _cite(sources: list[SourceRef]) -> str:
    if not sources:
        return " _(no supporting quote found)_"
    src = sources[0]
    who = src.speaker or "?"
    at = f" {_stamp(src.start)}" if src.start is not None else ""
    return f' — _{who}{at}: "{src.quote}"_'


def to_markdown(notes: MeetingNotes, *, quotes: bool = True) -> str:
    lines: list[str] = [f"# {notes.title or 'Meeting notes'}"]
    meta = []
    if notes.date:
        meta.append(notes.date.isoformat())
    if notes.participants:
        meta.append(", ".join(notes.participants))
    meta.append(f"priority: {notes.priority}")
    lines.append("_" + " · ".join(meta) + "_")
    if notes.engine != "llm" or notes.degraded:
        label = {
            "extractive": "Extractive notes (no LLM): sentences picked from the transcript, "
            "not written by a model.",
            "mixed": "Partly extractive: some stages fell back to the no-LLM engine.",
            "llm": "Some stages were degraded.",
        }[notes.engine]
        lines.append(f"\n> **{label}**")
        for reason in notes.degraded_reasons:
            lines.append(f"> - {reason}")
    for warning in notes.warnings:
        lines.append(f"\n> Note: {warning}")

    lines += [
        "",
        "## TL;DR",
        "",
        notes.tldr or "_(none)_",
        "",
        "## Summary",
        "",
        notes.narrative or "_(none)_",
    ]

    lines += ["", "## Key points", ""]
    for kp in notes.key_points:
        lines.append(f"- {kp.text}{_cite(kp.sources) if quotes else ''}")
    if not notes.key_points:
        lines.append("_(none)_")

    lines += ["", "## Decisions", ""]
    for d in notes.decisions:
        extra = []
        if d.decided_by:
            extra.append(f"by {', '.join(d.decided_by)}")
        if d.rationale:
            extra.append(f"why: {d.rationale}")
        if d.alternatives:
            extra.append(f"instead of: {'; '.join(d.alternatives)}")
        tail = f" ({'; '.join(extra)})" if extra else ""
        lines.append(f"- **{d.decision}**{tail}{_cite(d.sources) if quotes else ''}")
    if not notes.decisions:
        lines.append("_(none)_")

    lines += ["", "## Action items", ""]
    for a in notes.action_items:
        who = f"**{a.assignee}**" if a.assignee else "_unassigned_"
        due = ""
        if a.due_date:
            due = f" — due {a.due_date.isoformat()}"
            if a.due_text:
                due += f" ({a.due_text})"
        elif a.due_text:
            due = f" — due {a.due_text}"
        flag = " ⚠️ high priority" if a.priority == "high" else ""
        lines.append(f"- [ ] {who}: {a.task}{due}{flag}{_cite(a.sources) if quotes else ''}")
    if not notes.action_items:
        lines.append("_(none)_")
    cost = notes.cost_usd
    models = sorted({p.model for p in notes.provenance if p.model})
    engine = ", ".join(models) if models else "extractive engine"
    lines += ["", f"---\n_Made by minutes with {engine}; cost ${cost:.4f}._", ""]
    return "\n".join(lines)
