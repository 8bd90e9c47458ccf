"""An evaluation run as a Markdown report (figures, per-meeting table, and every matched,
missed and spurious item, for reading the errors) or as JSON."""

from __future__ import annotations

from minutes.evaluation.metrics import PRF, Rate, Rouge
from minutes.evaluation.runner import EvalRun, ItemScores, MeetingResult


def to_json(run: EvalRun) -> str:
    return run.model_dump_json(indent=2) + "\n"


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _counts(p: PRF) -> str:
    return f"{p.matched} matched / {p.predicted} predicted / {p.gold} gold"


def _rate(r: Rate) -> tuple[str, str]:
    return _f(r.rate), f"{r.hits} / {r.total}"


def _rouge(r: Rouge) -> str:
    return f"{r.rouge1:.3f} / {r.rouge2:.3f} / {r.rougeL:.3f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def figures_table(run: EvalRun) -> list[tuple[str, str, str]]:
    """(figure, value, detail) rows: the report's headline, also printed by the CLI."""
    s = run.summary
    lat = s.latency_s_mean
    rows = [
        ("Action items precision", _f(s.action_items.precision), _counts(s.action_items)),
        ("Action items recall", _f(s.action_items.recall), ""),
        ("Action items F1", _f(s.action_items.f1), f"macro F1 {_f(s.action_items_macro_f1)}"),
        ("Assignee accuracy (matched items)", *_rate(s.assignee)),
        ("Due-date accuracy (matched items)", *_rate(s.due_date)),
        ("Decisions precision", _f(s.decisions.precision), _counts(s.decisions)),
        ("Decisions recall", _f(s.decisions.recall), ""),
        ("Decisions F1", _f(s.decisions.f1), f"macro F1 {_f(s.decisions_macro_f1)}"),
        ("Narrative ROUGE-1 / 2 / L", _rouge(s.narrative), "F-measure vs reference summary"),
        ("TL;DR ROUGE-1 / 2 / L", _rouge(s.tldr), "F-measure vs reference TL;DR or summary"),
        ("Grounding rate (all items)", *_rate(s.grounding)),
        ("Grounding rate (action items)", *_rate(s.action_items_grounding)),
        ("Grounding rate (decisions)", *_rate(s.decisions_grounding)),
        ("Cost per meeting (USD)", f"{s.cost_usd_per_meeting:.6f}", f"total {s.cost_usd_total}"),
        (
            "Latency per meeting (s)",
            "n/a" if lat is None else f"{lat:.2f}",
            f"p50 {_f(s.latency_s_p50)}, p95 {_f(s.latency_s_p95)}",
        ),
        ("Meetings failed / degraded", f"{s.failed} / {s.degraded}", f"of {s.meetings}"),
    ]
    # Only where the labels link items to transcript lines: a row of n/a would suggest the
    # figure was measured and came out empty.
    where = f"{s.utterance_meetings} of {s.meetings} meetings have evidence"
    for name, p in (("Action-item", s.action_utterances), ("Decision", s.decision_utterances)):
        if p is not None:
            rows.append(
                (
                    f"{name} utterances P / R / F1",
                    f"{_f(p.precision)} / {_f(p.recall)} / {_f(p.f1)}",
                    f"{_counts(p)} segments ({where})",
                )
            )
    return rows


def _prompts(run: EvalRun) -> str:
    if not run.prompts_used:
        return "none: every stage ran on the extractive engine (no LLM was called)"
    return ", ".join(
        f"{u.name}@{u.version} on {u.model} ({u.meetings}/{run.summary.meetings} meetings)"
        for u in run.prompts_used
    )


def _meeting_row(r: MeetingResult) -> str:
    a, d = r.action_items.counts, r.decisions.counts
    fell_back = [s.stage for s in r.stages if s.degraded]
    note = r.error or (f"fell back: {', '.join(fell_back)}" if fell_back else "")
    cells = [
        r.meeting_id,
        r.style or "",
        str(r.words),
        f"{a.matched}/{a.predicted}/{a.gold}",
        _f(a.f1),
        f"{d.matched}/{d.predicted}/{d.gold}",
        _f(d.f1),
        f"{r.narrative.rougeL:.3f}",
        f"{r.tldr.rougeL:.3f}",
        f"{r.grounding.hits}/{r.grounding.total}",
        f"{r.cost_usd:.4f}",
        f"{r.latency_s:.2f}",
        _cell(note),
    ]
    return "| " + " | ".join(cells) + " |"


def _items(title: str, scores: ItemScores) -> list[str]:
    lines = [f"**{title}**"]
    for m in scores.matches:
        lines.append(f"- matched ({m.score:.2f}): {_cell(m.predicted)} ↔ {_cell(m.gold)}")
    lines += [f"- missed: {_cell(g)}" for g in scores.missed]
    lines += [f"- spurious: {_cell(p)}" for p in scores.spurious]
    if len(lines) == 1:
        lines.append("- (none predicted, none in the gold)")
    return [*lines, ""]


def to_markdown(run: EvalRun) -> str:
    s = run.summary
    out = [
        f"# Evaluation: {run.dataset} ({s.meetings} meetings)",
        "",
        f"- Measured: {run.finished_at:%Y-%m-%d %H:%M} UTC with minutes {run.minutes_version}",
        f"- Engine requested: {run.engine}; model requested: {run.model or 'router default'};"
        f" key-point strategy: {run.strategy}; extraction: {run.extraction}",
        f"- Prompts exercised: {_prompts(run)}",
        f"- Matching: {run.similarity} ≥ {run.threshold:.2f}, one-to-one (Hungarian: most "
        "pairs, then highest total similarity)",
        f"- Dataset: `{run.dataset_path}` (sha256 {run.dataset_hash[:12]})",
        "",
        "## Figures",
        "",
        "Precision, recall and F1 pool the counts of all meetings (micro-average); ROUGE, cost "
        "and latency are means per meeting. Accuracies count matched items whose gold has the "
        "attribute labelled.",
        "",
        "| figure | value | detail |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in figures_table(run)),
        "",
        "## Per meeting",
        "",
        "Items as matched/predicted/gold; ROUGE-L F-measures; cost in USD; latency in seconds.",
        "",
        "| meeting | style | words | actions | F1 | decisions | F1 | narrative R-L | TL;DR R-L "
        "| grounded | cost | latency | note |",
        "|---|---|--:|---|--:|---|--:|--:|--:|---|--:|--:|---|",
        *(_meeting_row(r) for r in run.meetings),
        "",
        "## Items, meeting by meeting",
        "",
    ]
    for r in run.meetings:
        out += [f"### {r.meeting_id}", ""]
        out += _items("Action items", r.action_items)
        out += _items("Decisions", r.decisions)
    return "\n".join(out).rstrip() + "\n"
