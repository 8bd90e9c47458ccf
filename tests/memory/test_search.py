"""Hybrid search over stored meetings, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from minutes.memory.search import clock, mark_terms, rrf, search
from minutes.store.db import Store
from minutes.store.meetings import forget_meeting, list_meetings
from minutes.store.models import SearchDoc
from stored_examples import store_examples


def test_the_best_hit_is_the_passage_that_says_it_with_the_words_marked(
    store: Store, examples_in: dict[str, str]
) -> None:
    with store.read() as s:
        hits = search(s, "rollback migration pull request", limit=5)
    top = hits[0]
    assert top.meeting_id == examples_in["planning"]
    assert top.meeting_date == dt.date(2025, 3, 10)
    assert (
        top.speaker == "Marco"
        and top.segment == 57
        and top.kind in ("segment", "action", "key_point")
    )
    assert "**rollback**" in top.marked and "**migration**" in top.marked
    assert top.time == clock(top.start) and top.time is not None
    assert top.matched_by == ["text"]
    # Ranked: scores never increase down the list.
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_note_items_are_searchable_and_kinds_filter(
    store: Store, examples_in: dict[str, str]
) -> None:
    with store.read() as s:
        items = search(s, "connector documentation", kinds=("action",))
        segments = search(s, "connector documentation", kinds=("segment",))
    assert items and all(h.kind == "action" for h in items)
    assert "Emily Carter" in items[0].text  # the assignee is part of an action's text
    assert segments and all(h.kind == "segment" for h in segments)
    assert segments[0].meeting_id == examples_in["sales_call"]


def test_filters_by_date_meeting_and_participant(store: Store, examples_in: dict[str, str]) -> None:
    with store.read() as s:
        everywhere = {h.meeting_id for h in search(s, "Thursday", limit=50)}
        later = {h.meeting_id for h in search(s, "Thursday", since=dt.date(2025, 3, 12), limit=50)}
        one = {h.meeting_id for h in search(s, "Thursday", meeting=examples_in["planning"][:8])}
        with_tom = {h.meeting_id for h in search(s, "Thursday", participant="Tom", limit=50)}
        until = {h.meeting_id for h in search(s, "Thursday", until=dt.date(2025, 3, 10), limit=50)}
    assert {
        examples_in["standup"],
        examples_in["planning"],
        examples_in["sales_call"],
    } <= everywhere
    assert later == {examples_in["sales_call"], examples_in["one_on_one"]} & everywhere
    assert examples_in["standup"] not in later
    assert one == {examples_in["planning"]}
    # "Tom" is Tom Okafor: the stand-up and the one-on-one.
    assert with_tom == {examples_in["standup"], examples_in["one_on_one"]} & everywhere
    assert examples_in["standup"] in with_tom
    assert until == {examples_in["planning"]}


def test_a_forgotten_meeting_leaves_no_hit(store: Store, examples_in: dict[str, str]) -> None:
    with store.read() as s:
        assert any(h.meeting_id == examples_in["sales_call"] for h in search(s, "Dynamics"))
    with store.transaction() as s:
        forget_meeting(s, examples_in["sales_call"])
    with store.read() as s:
        assert search(s, "Dynamics") == []
        assert s.query(SearchDoc).filter_by(meeting_id=examples_in["sales_call"]).count() == 0
    # The full-text index forgot it too: re-saving another meeting does not resurrect hits.
    with store.read() as s:
        assert search(s, "Northwind Leeds depot pilot") == []


def test_resaving_a_meeting_replaces_its_passages(store: Store) -> None:
    store_examples(store, "standup")
    store_examples(store, "standup")
    with store.read() as s:
        hits = search(s, "staging Redis cluster Wednesday evening", kinds=("segment",), limit=50)
    assert [h.segment for h in hits].count(6) == 1


def test_tenants_see_only_their_own_meetings(store: Store) -> None:
    store_examples(store, "sales_call", tenant="acme")
    with store.read() as s:
        assert search(s, "Dynamics connector") == []
        assert search(s, "Dynamics connector", tenant="acme")
        assert search(s, "Dynamics connector", tenant="globex") == []


def test_stop_words_alone_find_nothing(store: Store, examples_in: dict[str, str]) -> None:
    with store.read() as s:
        assert search(s, "what did they say about it") == []
        # Quotes and operators are not query syntax: only the words count.
        odd = search(s, '"; DROP TABLE meetings OR NEAR(*; --', limit=50)
        words = ("drop", "table", "meet", "near")
        assert odd and all(any(f"**{w}" in h.marked.lower() for w in words) for h in odd)
    with store.read() as s:
        assert len(list_meetings(s)) == len(examples_in)


def test_vectors_fuse_with_full_text(store: Store, examples_in: dict[str, str]) -> None:
    # Hand-made vectors: the segment about on-time rates points the way the query does,
    # though it shares no word with it.
    with store.transaction() as s:
        docs = s.query(SearchDoc).filter_by(meeting_id=examples_in["sales_call"], kind="segment")
        for d in docs:
            v = np.zeros(8, np.float32)
            v[0 if d.position == 10 else 1 + d.position % 7] = 1.0
            d.embedding, d.embedding_dim = v.tobytes(), 8
    query = np.zeros(8)
    query[0] = 1.0
    with store.read() as s:
        plain = search(s, "punctuality", limit=5)
        fused = search(s, "punctuality", limit=5, query_vector=query.tolist())
    assert all(h.segment != 10 for h in plain)
    assert fused[0].segment == 10 and fused[0].matched_by == ["vector"]
    assert "eighty-one percent" in fused[0].text


def test_rrf_rewards_agreement() -> None:
    fused = rrf([[1, 2, 3], [3, 4]])
    assert fused[0][0] == 3  # in both lists
    assert [doc for doc, _ in fused] == [3, 1, 2, 4]


def test_mark_terms_marks_words_sharing_a_stem() -> None:
    assert mark_terms("Deploys froze on Friday", "deploy freeze friday") == (
        "**Deploys** froze on **Friday**"
    )
    assert clock(3725.4) == "1:02:05"
