"""The extractive engine: meeting notes without a language model.

The offline default and the last fallback of the LLM pipeline. It imports nothing from
``minutes.llm`` or ``minutes.pipeline``: the fallback must not depend on what it falls
back from. The pipeline calls the per-stage functions when a single LLM stage fails.
"""

from __future__ import annotations

from minutes.extractive.actions import classify_action_priority, extract_action_items
from minutes.extractive.decisions import extract_decisions
from minutes.extractive.engine import (
    action_items_with_detector,
    decisions_with_detector,
    summarize_extractive,
)
from minutes.extractive.key_points import extract_key_points
from minutes.extractive.summary import (
    classify_priority,
    make_narrative,
    make_tldr,
    meeting_topics,
)

__all__ = [
    "action_items_with_detector",
    "classify_action_priority",
    "classify_priority",
    "decisions_with_detector",
    "extract_action_items",
    "extract_decisions",
    "extract_key_points",
    "make_narrative",
    "make_tldr",
    "meeting_topics",
    "summarize_extractive",
]
