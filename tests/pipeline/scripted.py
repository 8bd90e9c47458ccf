"""A hand-written meeting and a scripted 'model' that answers each pipeline prompt the way a
good model would, citing only what is in the chunk it was shown."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

from minutes.testing import RecordedRequest
from minutes.transcripts.models import Segment, Transcript

LINES = [
    ("Alice", "Morning all. The goal today is to settle the launch plan for the mobile app."),
    ("Bob", "The beta feedback was mostly positive, but login on Android is still flaky."),
    ("Carol", "Support saw forty tickets about the Android login last week alone."),
    ("Alice", "Then we decided to delay the launch by one week to fix the Android login."),
    ("Carol", "Agreed, shipping a broken login would cost us more than a week."),
    ("Bob", "I'll fix the Android login bug by Friday."),
    ("Alice", "Carol, can you update the launch announcement for next Tuesday?"),
    ("Carol", "Sure, I will update the announcement."),
    ("Bob", "We also looked at switching analytics vendors last month."),
    ("Alice", "Let's go with Mixpanel then, since migrating now is too risky."),
    ("Carol", "The pricing page copy still mentions the old plan names."),
    ("Bob", "Marketing owns that copy, so we can leave it with them."),
    ("Alice", "The app store screenshots need a refresh before launch as well."),
    ("Carol", "The designer already has the new screens, it is a small job."),
    ("Bob", "Crash rate on iOS is down to half a percent after the last fix."),
    ("Alice", "Good, that was the other risk for the launch."),
    ("Carol", "Customer success wants a short demo video for the big accounts."),
    ("Alice", "We can record that after the launch, there is no rush."),
    ("Bob", "The backend capacity test passed at three times the expected load."),
    ("Alice", "Great. Thanks everyone, see you next week."),
]
MEETING_DATE = dt.date(2026, 3, 11)  # a Wednesday


def make_transcript() -> Transcript:
    return Transcript(
        segments=[
            Segment(index=i, speaker=s, start=i * 10.0, end=i * 10.0 + 9, text=t)
            for i, (s, t) in enumerate(LINES)
        ],
        title="Mobile launch sync",
        date=MEETING_DATE,
        source_format="json",
    )


def segments_in(req: RecordedRequest) -> set[int]:
    return {int(n) for n in re.findall(r"^\[(\d+)\]", prompt_of(req), flags=re.M)}


def prompt_of(req: RecordedRequest) -> str:
    return "\n".join(m["content"] for m in req.messages if m["role"] == "user")


def system_of(req: RecordedRequest) -> str:
    return "\n".join(m["content"] for m in req.messages if m["role"] == "system")


ONE_PASS_MARKER = "the key points, the action items and the decisions of the part"


def stage_of(req: RecordedRequest) -> str:
    if ONE_PASS_MARKER in system_of(req):
        return "one_pass"  # chunk_notes: its instructions are all in the system message
    text = prompt_of(req)
    for marker, stage in (
        ("Update the list with what this part adds", "refine"),
        ("most important points discussed in this part", "map"),
        ("Merge points that say the same thing", "reduce"),
        ("List every action item", "actions"),
        ("List the decisions made", "decisions"),
        ("Write a summary of the meeting", "narrative"),
        ("Write the TL;DR", "tldr"),
        ("How urgently", "priority"),
    ):
        if marker in text:
            return stage
    raise AssertionError(f"unknown prompt: {text[:200]}")


KEY_POINTS = {
    1: ("Android login is still flaky after the beta.", "login on Android is still flaky"),
    3: ("The launch slips one week to fix the Android login.", "delay the launch by one week"),
    9: ("Mixpanel stays as the analytics vendor.", "Let's go with Mixpanel then"),
    14: ("iOS crash rate fell to half a percent.", "Crash rate on iOS is down to half a percent"),
    18: (
        "Backend capacity test passed at three times load.",
        "passed at three times the expected load",
    ),
}


def good_model(req: RecordedRequest) -> str:
    """Answers every pipeline prompt from the segments it was shown (the one-pass prompt with
    what the map, action and decision prompts would have answered, together)."""
    stage = stage_of(req)
    if stage == "one_pass":
        return json.dumps(
            {
                "points": json.loads(_answer("map", req))["points"],
                "items": json.loads(_answer("actions", req))["items"],
                "decisions": json.loads(_answer("decisions", req))["decisions"],
            }
        )
    return _answer(stage, req)


def _answer(stage: str, req: RecordedRequest) -> str:
    seen = segments_in(req)
    if stage in ("map", "refine"):
        pts = [
            {"text": t, "segment": i, "quote": q} for i, (t, q) in KEY_POINTS.items() if i in seen
        ]
        return json.dumps({"points": pts})
    if stage == "reduce":
        ids = re.findall(r"^(\d+)\. ", prompt_of(req), flags=re.M)
        return json.dumps(
            {"points": [{"text": f"Reduced point {i}", "ids": [int(i)]} for i in ids[:10]]}
        )
    if stage == "actions":
        items = []
        if 5 in seen:
            items.append(
                {
                    "task": "Fix the Android login bug",
                    "assignee": "Bob",
                    "due": "by Friday",
                    "priority": "high",
                    "context": "Blocks the launch.",
                    "segment": 5,
                    "quote": "I'll fix the Android login bug by Friday.",
                }
            )
        if 6 in seen:
            items.append(
                {
                    "task": "Update the launch announcement",
                    "assignee": "carol",
                    "due": "next Tuesday",
                    "priority": "normal",
                    "context": "Launch moved.",
                    "segment": 6,
                    "quote": "can you update the launch announcement",
                }
            )
        return json.dumps({"items": items})
    if stage == "decisions":
        decisions = []
        if 3 in seen:
            decisions.append(
                {
                    "decision": "Delay the launch by one week",
                    "rationale": "Android login is broken",
                    "alternatives": ["ship on time"],
                    "decided_by": ["Alice", "Carol"],
                    "segment": 3,
                    "quote": "we decided to delay the launch by one week",
                }
            )
        if 9 in seen:
            decisions.append(
                {
                    "decision": "Keep Mixpanel for analytics",
                    "rationale": "migrating now is too risky",
                    "alternatives": [],
                    "decided_by": "Alice",
                    "segment": 9,
                    "quote": "Let's go with Mixpanel then",
                }
            )
        return json.dumps({"decisions": decisions})
    if stage == "narrative":
        return "The team met to settle the mobile launch plan. They delayed it by a week."
    if stage == "tldr":
        return "Launch delayed one week to fix Android login; Bob fixes it by Friday."
    return json.dumps({"priority": "high", "reason": "launch date moved"})


Responder = Callable[[RecordedRequest], str]
