"""Narrative, TL;DR and the meeting's priority, from what the extraction stages found."""

from __future__ import annotations

from minutes.notes import ActionItem, Decision, KeyPoint, Priority
from minutes.pipeline.context import RunContext, StageTally
from minutes.pipeline.schemas import PriorityVerdict


def bullet_points(points: list[KeyPoint]) -> str:
    return "\n".join(f"- {p.text}" for p in points) or "(none)"


def bullet_decisions(decisions: list[Decision]) -> str:
    lines = []
    for d in decisions:
        who = f" ({', '.join(d.decided_by)})" if d.decided_by else ""
        why = f" because {d.rationale}" if d.rationale else ""
        lines.append(f"- {d.decision}{who}{why}")
    return "\n".join(lines) or "(none)"


def bullet_actions(items: list[ActionItem]) -> str:
    lines = []
    for a in items:
        who = a.assignee or "unassigned"
        due = f", due {a.due_date.isoformat()}" if a.due_date else ""
        lines.append(f"- {who}: {a.task}{due} [{a.priority}]")
    return "\n".join(lines) or "(none)"


async def narrative(
    ctx: RunContext,
    tally: StageTally,
    key_points: list[KeyPoint],
    decisions: list[Decision],
    action_items: list[ActionItem],
) -> str:
    return await ctx.text(
        tally,
        ctx.prompt("narrative_summary"),
        {
            "title": ctx.title,
            "participants": ctx.participants,
            "key_points": bullet_points(key_points),
            "decisions": bullet_decisions(decisions),
            "action_items": bullet_actions(action_items),
        },
        max_tokens=700,
    )


async def tldr(
    ctx: RunContext, tally: StageTally, narrative_text: str, key_points: list[KeyPoint]
) -> str:
    return await ctx.text(
        tally,
        ctx.prompt("tldr_generation"),
        {"title": ctx.title, "narrative": narrative_text, "key_points": bullet_points(key_points)},
        max_tokens=120,
    )


async def priority(
    ctx: RunContext, tally: StageTally, key_points: list[KeyPoint], action_items: list[ActionItem]
) -> Priority:
    verdict = await ctx.structured(
        tally,
        ctx.prompt("priority_classification"),
        PriorityVerdict,
        {
            "title": ctx.title,
            "key_points": bullet_points(key_points),
            "action_items": bullet_actions(action_items),
        },
        max_tokens=150,
    )
    return verdict.priority
