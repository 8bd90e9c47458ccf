"""An evaluation run as ``prompt_evaluations`` rows, and those rows' figures for display.

Each prompt version the run exercised gets one row carrying the figures its stage is judged
by (action-item extraction: item precision/recall/F1 and attribute accuracy; the narrative
prompt: ROUGE of the narrative; ...) plus the whole run's figures, the other prompts'
versions and the matching threshold, so that a row can be read on its own. A run in which
no stage used an LLM stores one ``extractive`` baseline row instead: crediting its figures to
prompts that were never sent would be false.
"""

from __future__ import annotations

import uuid

from minutes.evaluation.runner import EvalRun, EvalSummary
from minutes.store.evaluations import EvaluationRecord

BASELINE = "extractive"  # prompt_name (and model) of the extractive engine's rows

Figures = dict[str, float | str | None]

# The figures each pipeline task is judged by, in display order.
FIGURES_BY_TASK: dict[str, tuple[str, ...]] = {
    "extract_actions": (
        "action_items.precision",
        "action_items.recall",
        "action_items.f1",
        "assignee.accuracy",
        "due_date.accuracy",
        "action_items.grounding",
    ),
    "extract_decisions": (
        "decisions.precision",
        "decisions.recall",
        "decisions.f1",
        "decisions.grounding",
    ),
    "generate_narrative": ("narrative.rouge1", "narrative.rouge2", "narrative.rougeL"),
    "generate_tldr": ("tldr.rouge1", "tldr.rouge2", "tldr.rougeL"),
    # Key points have no gold of their own: their grounding, and the narrative they feed.
    "chunk_key_points": ("grounding.rate", "narrative.rougeL"),
    "consolidate_key_points": ("grounding.rate", "narrative.rougeL"),
    "classify_priority": (),  # priority is not labelled in any dataset yet
}
# Prompts judged by more than their task's figures: the one-pass prompt gives each chunk's
# key points, action items and decisions.
FIGURES_BY_PROMPT: dict[str, tuple[str, ...]] = {
    "chunk_notes": (
        *FIGURES_BY_TASK["extract_actions"],
        *FIGURES_BY_TASK["extract_decisions"],
        "grounding.rate",
    ),
}
BASELINE_FIGURES = (
    "action_items.f1",
    "decisions.f1",
    "narrative.rougeL",
    "tldr.rougeL",
    "grounding.rate",
)
LABELS = {
    "action_items.precision": "P",
    "action_items.recall": "R",
    "action_items.f1": "F1",
    "assignee.accuracy": "assignee",
    "due_date.accuracy": "due",
    "action_items.grounding": "grounded",
    "decisions.precision": "P",
    "decisions.recall": "R",
    "decisions.f1": "F1",
    "decisions.grounding": "grounded",
    "narrative.rouge1": "R-1",
    "narrative.rouge2": "R-2",
    "narrative.rougeL": "R-L",
    "tldr.rouge1": "R-1",
    "tldr.rouge2": "R-2",
    "tldr.rougeL": "R-L",
    "grounding.rate": "grounded",
}
BASELINE_LABELS = {
    "action_items.f1": "actions F1",
    "decisions.f1": "decisions F1",
    "narrative.rougeL": "narrative R-L",
    "tldr.rougeL": "TL;DR R-L",
    "grounding.rate": "grounded",
}


def figures(run: EvalRun) -> Figures:
    """The run's headline figures, flat (JSON-friendly; money as a decimal string)."""
    s: EvalSummary = run.summary
    utterances: Figures = {}
    for key, p in (
        ("action_utterances", s.action_utterances),
        ("decision_utterances", s.decision_utterances),
    ):
        if p is not None:  # measured only where the labels carry evidence
            utterances |= {
                f"{key}.precision": p.precision,
                f"{key}.recall": p.recall,
                f"{key}.f1": p.f1,
            }
    return {
        "action_items.precision": s.action_items.precision,
        "action_items.recall": s.action_items.recall,
        "action_items.f1": s.action_items.f1,
        "action_items.macro_f1": s.action_items_macro_f1,
        "action_items.grounding": s.action_items_grounding.rate,
        "assignee.accuracy": s.assignee.rate,
        "due_date.accuracy": s.due_date.rate,
        "decisions.precision": s.decisions.precision,
        "decisions.recall": s.decisions.recall,
        "decisions.f1": s.decisions.f1,
        "decisions.macro_f1": s.decisions_macro_f1,
        "narrative.rouge1": s.narrative.rouge1,
        "narrative.rouge2": s.narrative.rouge2,
        "narrative.rougeL": s.narrative.rougeL,
        "tldr.rouge1": s.tldr.rouge1,
        "tldr.rouge2": s.tldr.rouge2,
        "tldr.rougeL": s.tldr.rougeL,
        "decisions.grounding": s.decisions_grounding.rate,
        "grounding.rate": s.grounding.rate,
        "cost_usd.per_meeting": str(s.cost_usd_per_meeting),
        "cost_usd.total": str(s.cost_usd_total),
        "latency_s.mean": s.latency_s_mean,
        "latency_s.p95": s.latency_s_p95,
        "meetings.failed": s.failed,
        "meetings.degraded": s.degraded,
        **utterances,
    }


def records_of(run: EvalRun, run_id: str | None = None) -> list[EvaluationRecord]:
    """The rows to store for ``run`` (see the module docstring)."""
    run_id = run_id or uuid.uuid4().hex
    everything = figures(run)
    context = {
        "all": everything,
        "prompt_versions": run.prompt_versions,
        "threshold": run.threshold,
        "similarity": run.similarity,
        "strategy": run.strategy,
        "extraction": run.extraction,
        "model_requested": run.model,
        "engine_requested": run.engine,
        "minutes_version": run.minutes_version,
        "started_at": run.started_at.isoformat(),
    }
    common = {
        "run_id": run_id,
        "dataset": run.dataset,
        "dataset_hash": run.dataset_hash,
        "samples": run.summary.meetings,
        "created_at": run.finished_at.replace(tzinfo=None),
    }
    if not run.prompts_used:
        return [
            EvaluationRecord(
                prompt_name=BASELINE,
                prompt_version=run.minutes_version,
                model=BASELINE,
                engine="extractive",
                metrics={"figures": {k: everything[k] for k in BASELINE_FIGURES}, **context},
                **common,
            )
        ]
    return [
        EvaluationRecord(
            prompt_name=use.name,
            prompt_version=use.version,
            model=use.model or "unknown",
            engine="llm",
            metrics={
                "figures": {k: everything[k] for k in _judged_by(use.name, use.task)},
                "stage": use.stage,
                "task": use.task,
                "meetings_on_llm": use.meetings,
                **context,
            },
            **common,
        )
        for use in run.prompts_used
    ]


def _judged_by(prompt_name: str, task: str) -> tuple[str, ...]:
    return FIGURES_BY_PROMPT.get(prompt_name) or FIGURES_BY_TASK.get(task, ())


def format_figures(record: EvaluationRecord, *, baseline: bool = False) -> str:
    """``"P 0.89 R 0.92 F1 0.90"``-style text of a row's figures."""
    labels = BASELINE_LABELS if baseline else LABELS
    shown = record.metrics.get("figures", {})
    parts = [f"{labels.get(k, k)} {_num(v)}" for k, v in shown.items()]
    text = " ".join(parts) or "(no labelled figure for this prompt)"
    on_llm = record.metrics.get("meetings_on_llm")
    if not baseline and isinstance(on_llm, int) and on_llm < record.samples:
        # the other meetings' stage fell back to the extractive engine: say so beside the
        # figures rather than let them pass for the prompt's alone
        text += f" [LLM in {on_llm}/{record.samples} meetings]"
    return text


def _num(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
