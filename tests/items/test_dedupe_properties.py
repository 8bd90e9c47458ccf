"""Dedupe, property-based: what holds for any list of items, not only the examples.

Items are made from a small grammar (verb, modifier, object, detail, deadline, assignee)
so that many of them share a shape; each item's quote names its own object, so a test can
tell from any output item which inputs went into it.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from minutes.items.dedupe import (
    dedupe_action_items,
    dedupe_decisions,
    dedupe_key_points,
    dedupe_texts,
)
from minutes.notes import ActionItem, Decision, KeyPoint, SourceRef

VERBS = ["Review", "Update", "Fix", "Send", "Merge"]
MODIFIERS = ["pricing", "billing", "iOS", "Android", "login", "signup", "v2", "v3"]
OBJECTS = ["PR", "release notes", "bug", "deck", "dashboard"]
DETAILS = ["", " for the team", " with Q3 figures", " and tell Dana"]
ASSIGNEES = [None, "Bob", "Bob Ray", "Alice"]
MON = dt.date(2026, 3, 9)
DEADLINES: list[tuple[dt.date | None, str | None]] = [
    (None, None),
    (MON + dt.timedelta(days=1), "by tomorrow"),
    (MON + dt.timedelta(days=4), "by Friday"),
    (None, "after the launch"),
]


@st.composite
def action_items(draw: st.DrawFn, segment: int | None = None) -> ActionItem:
    verb = draw(st.sampled_from(VERBS))
    mod, obj = draw(st.sampled_from(MODIFIERS)), draw(st.sampled_from(OBJECTS))
    detail = draw(st.sampled_from(DETAILS))
    due, due_text = draw(st.sampled_from(DEADLINES))
    task = f"{verb} the {mod} {obj}{detail}"
    quote = f"{task} {due_text or ''}".strip()
    seg = draw(st.integers(0, 40)) if segment is None else segment
    return ActionItem(
        task=task,
        assignee=draw(st.sampled_from(ASSIGNEES)),
        due_date=due,
        due_text=due_text,
        priority=draw(st.sampled_from(["low", "normal", "high"])),
        context=quote,
        sources=[SourceRef(segment=seg, quote=quote)],
    )


def _thing(text: str) -> str:
    """The modifier and object a text is about: "pricing PR" in "Review the pricing PR…"."""
    rest = text.split(" the ", 1)[1]
    return next(f"{m} {o}" for m in MODIFIERS for o in OBJECTS if rest.startswith(f"{m} {o}"))


def _what(item: ActionItem) -> tuple[str, str]:
    """(verb, thing): the task and what it is about."""
    return item.task.split()[0], _thing(item.task)


def _whole(item: ActionItem) -> tuple[object, ...]:
    first = item.sources[0]
    return (item.task, item.due_date, item.due_text, item.context, first.segment, first.quote)


@given(st.lists(action_items(), max_size=30))
@settings(max_examples=200, deadline=None)
def test_action_items_are_merged_only_when_they_say_the_same(items: list[ActionItem]) -> None:
    merged = dedupe_action_items(items)
    # never grows, and every quote said is still cited by some item
    assert len(merged) <= len(items)
    assert {(s.segment, s.quote) for i in items for s in i.sources} == {
        (s.segment, s.quote) for m in merged for s in m.sources
    }
    inputs = {_whole(i): i for i in items}
    for m in merged:
        # each output item comes whole from one input: text, deadline, context and quote
        assert _whole(m) in inputs
        kept = inputs[_whole(m)]
        # and every quote merged into it is about the same task and the same thing
        for s in m.sources:
            members = [i for i in items if i.sources[0] == s]
            assert any(_what(i) == _what(kept) for i in members)


@given(action_items(segment=1), action_items(segment=2))
@settings(max_examples=300, deadline=None)
def test_two_items_with_different_objects_stay_two(a: ActionItem, b: ActionItem) -> None:
    merged = dedupe_action_items([a, b])
    if _what(a) != _what(b):
        assert merged == [a, b]
    people = {a.assignee, b.assignee} - {None}
    same_person = len(people) <= 1 or people == {"Bob", "Bob Ray"}
    if a.task == b.task and (a.due_date, a.due_text) == (b.due_date, b.due_text) and same_person:
        assert len(merged) == 1  # a true duplicate is still merged


@given(action_items(), st.integers(2, 6))
@settings(max_examples=100, deadline=None)
def test_a_repeated_item_is_one(item: ActionItem, times: int) -> None:
    repeats = [
        item.model_copy(update={"sources": [s.model_copy(update={"segment": s.segment + k})]})
        for k in range(times)
        for s in item.sources
    ]
    merged = dedupe_action_items(repeats)
    assert len(merged) == 1
    assert _whole(merged[0]) == _whole(item)
    assert len(merged[0].sources) == times


@st.composite
def decisions(draw: st.DrawFn) -> Decision:
    mod, obj = draw(st.sampled_from(MODIFIERS)), draw(st.sampled_from(OBJECTS))
    lead = draw(st.sampled_from(["We'll use", "We decided to use", "Let's go with"]))
    text = f"{lead} the {mod} {obj}{draw(st.sampled_from(DETAILS))}"
    seg = draw(st.integers(0, 40))
    people = draw(st.lists(st.sampled_from(["Ann", "Ben", "Cy", "Di"]), max_size=3, unique=True))
    return Decision(decision=text, decided_by=people, sources=[SourceRef(segment=seg, quote=text)])


@given(st.lists(decisions(), max_size=30))
@settings(max_examples=200, deadline=None)
def test_decisions_are_merged_only_about_the_same_thing(items: list[Decision]) -> None:
    merged = dedupe_decisions(items)
    assert len(merged) <= len(items)
    assert {(s.segment, s.quote) for d in items for s in d.sources} == {
        (s.segment, s.quote) for m in merged for s in m.sources
    }
    everyone = {p for d in items for p in d.decided_by}
    for m in merged:
        kept = next(d for d in items if (d.decision, d.sources[0]) == (m.decision, m.sources[0]))
        assert all(
            _thing(d.decision) == _thing(kept.decision) for d in items if d.sources[0] in m.sources
        )
        assert set(m.decided_by) <= everyone


@given(st.lists(st.sampled_from([f"The {m} {o} is late" for m in MODIFIERS for o in OBJECTS])))
@settings(max_examples=100, deadline=None)
def test_key_points_and_texts_never_grow_and_keep_each_distinct_text(texts: list[str]) -> None:
    assert dedupe_texts(texts) == list(dict.fromkeys(texts))
    points = [
        KeyPoint(text=t, sources=[SourceRef(segment=i, quote=t)]) for i, t in enumerate(texts)
    ]
    merged = dedupe_key_points(points)
    assert [m.text for m in merged] == list(dict.fromkeys(texts))
    for m in merged:
        assert all(s.quote == m.text for s in m.sources)
