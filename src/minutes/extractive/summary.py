"""TL;DR, narrative and meeting priority, from templates over the extracted items.

The wording is plainly templated and quotes the transcript rather than paraphrasing it, so
that a reader can tell these notes were extracted, not written by a model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from minutes.extractive.centrality import top_terms
from minutes.extractive.lexicon import HIGH_PRIORITY, INCIDENT
from minutes.extractive.sentences import Sentence, split_sentences
from minutes.notes import ActionItem, Decision, KeyPoint, Priority
from minutes.transcripts.models import Transcript

_QUOTE_WORDS = 30
_NARRATIVE_POINTS = 3


def join_names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _quote(text: str, words: int = _QUOTE_WORDS) -> str:
    parts = text.split()
    short = " ".join(parts[:words]) + (" …" if len(parts) > words else "")
    return f"“{short.rstrip('.')}”"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def meeting_topics(transcript: Transcript, k: int = 5) -> list[str]:
    """The words that weigh most in the meeting (count x idf), for the TL;DR."""
    sentences = split_sentences(transcript)
    # People's names are frequent but are not what the meeting was about.
    names = {w.lower() for p in transcript.participants for w in p.split()}
    docs = [[w for w in s.content_words if w not in names] for s in sentences]
    return top_terms(docs, k)


def _spread(items: Sequence[KeyPoint], k: int) -> list[KeyPoint]:
    """``k`` items spread over the list (first, middle, last…), so all of the meeting shows."""
    if len(items) <= k:
        return list(items)
    step = (len(items) - 1) / (k - 1) if k > 1 else 0
    return [items[round(i * step)] for i in range(k)]


def _action_line(item: ActionItem) -> str:
    who = item.assignee or "unassigned"
    due = f" (due {item.due_date.isoformat()})" if item.due_date else ""
    if not due and item.due_text:
        due = f" ({item.due_text})"
    return f"{who}: {item.task.rstrip('.')}{due}"


def make_narrative(
    title: str | None,
    participants: Sequence[str],
    key_points: Sequence[KeyPoint],
    action_items: Sequence[ActionItem],
    decisions: Sequence[Decision],
    *,
    duration_s: float | None = None,
    topics: Sequence[str] = (),
) -> str:
    """Two or three short templated paragraphs: who met, what was said, what was decided
    and who does what. Remarks are quoted, not paraphrased."""
    meeting = f"“{title}”" if title else "The meeting"
    length = f", about {round(duration_s / 60)} minutes" if duration_s and duration_s >= 60 else ""
    if participants:
        who = f"{meeting} had {_plural(len(participants), 'participant')}{length}: "
        who += f"{join_names(participants)}."
    else:
        who = f"{meeting} has no named speakers{length}."
    if topics:
        who += f" Most frequent topics: {', '.join(topics)}."
    paragraphs = [who]

    if key_points:
        quoted = []
        for kp in _spread(key_points, _NARRATIVE_POINTS):
            speaker = kp.sources[0].speaker if kp.sources else None
            quoted.append(f"{speaker + ': ' if speaker else ''}{_quote(kp.text)}")
        paragraphs.append("Central remarks, quoted in order: " + "; ".join(quoted) + ".")

    outcome: list[str] = []
    if decisions:
        listed = "; ".join(_quote(d.decision, 20) for d in decisions[:3])
        more = f" (and {len(decisions) - 3} more)" if len(decisions) > 3 else ""
        outcome.append(f"{_plural(len(decisions), 'decision')} detected: {listed}{more}.")
    if action_items:
        listed = "; ".join(_action_line(a) for a in action_items[:5])
        more = f" (and {len(action_items) - 5} more)" if len(action_items) > 5 else ""
        outcome.append(f"{_plural(len(action_items), 'action item')}: {listed}{more}.")
    if not outcome:
        outcome.append("No explicit decisions or action items were detected.")
    paragraphs.append(" ".join(outcome))
    return "\n\n".join(paragraphs)


def make_tldr(
    title: str | None,
    participants: Sequence[str],
    key_points: Sequence[KeyPoint],
    action_items: Sequence[ActionItem],
    decisions: Sequence[Decision],
    *,
    topics: Sequence[str] = (),
) -> str:
    """One or two templated sentences: who and what about, then the counts of outcomes."""
    who = join_names(participants) if 0 < len(participants) <= 4 else ""
    if not who:
        who = _plural(len(participants), "participant") if participants else "The speakers"
    about = f" {title}" if title else ""
    if topics:
        about += (" —" if title else "") + f" {join_names(list(topics[:3]))}"
    if about:
        first = f"{who} discussed{about}."
    elif key_points:
        first = f"{who} met; most central remark: {_quote(key_points[0].text, 20)}."
    else:
        first = f"{who} met."
    counts = (
        f"{_plural(len(decisions), 'decision')} and {_plural(len(action_items), 'action item')}"
    )
    owners = Counter(a.assignee for a in action_items if a.assignee)
    if owners:
        top, n = owners.most_common(1)[0]
        counts += f" ({n} for {top})" if len(owners) > 1 else f" (all for {top})"
    return f"{first} {counts[:1].upper()}{counts[1:]} detected."


def classify_priority(
    transcript: Transcript,
    key_points: Sequence[KeyPoint] = (),
    action_items: Sequence[ActionItem] = (),
    decisions: Sequence[Decision] = (),
) -> Priority:
    """The meeting's follow-up priority (``key_points`` are accepted for a signature like
    the other stages'; the transcript already holds their words).

    high: incident language ("outage", "sev1", "rollback", "blocker"…) in two or more
    sentences, or two or more high-priority action items, or one of each; low: nothing to
    follow up (no action items, no decisions, no urgent words); normal otherwise.
    """
    sentences: list[Sentence] = split_sentences(transcript)
    incidents = sum(1 for s in sentences if INCIDENT.search(s.clean))
    high_items = sum(1 for a in action_items if a.priority == "high")
    if incidents >= 2 or high_items >= 2 or (incidents and high_items):
        return "high"
    urgent = any(_urgent(s) for s in sentences)
    if not action_items and not decisions and not urgent and not incidents:
        return "low"
    return "normal"


def _urgent(s: Sentence) -> bool:
    """Urgent words in ``s``; "today" only next to a demand ("our agenda today" is not)."""
    text = s.clean.lower()
    if not re.search(r"\b(?:need|must|have to|by)\b", text):
        text = re.sub(r"\btoday\b", "", text)
    return bool(HIGH_PRIORITY.search(text))
