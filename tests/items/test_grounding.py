"""Grounding quotes in the transcript: tolerant to form, never to invented words."""

from __future__ import annotations

import random

import pytest

from minutes.items.grounding import QuoteIndex, ground_items, locate_quote, verify_sources
from minutes.notes import ActionItem, SourceRef
from minutes.transcripts.models import Segment, Transcript


def _transcript(*turns: tuple[str, str]) -> Transcript:
    return Transcript(
        segments=[
            Segment(index=i, speaker=s, start=float(10 * i), end=float(10 * i + 9), text=t)
            for i, (s, t) in enumerate(turns)
        ]
    )


T = _transcript(
    ("Alice", "Okay, let's start. Um I'll type up mi minutes and probably email those out."),
    ("Bob", "So we're gonna divide us up into three compa three parts."),
    ("Carol", "We will not go with the blue case. It's too expensive, I don't think it works."),
    ("Bob", "Can you e-mail your slides as well? The T_V_ only version."),
    ("Alice", "I'll type up the minutes tonight."),
    ("Carol", "It should be easy, so not not too many buttons."),
)


def test_exact_quote() -> None:
    ref = locate_quote(T, "we're gonna divide us up into three compa three parts")
    assert ref == SourceRef(
        segment=1,
        speaker="Bob",
        start=10.0,
        quote="we're gonna divide us up into three compa three parts",
    )


@pytest.mark.parametrize(
    ("quote", "segment", "verbatim"),
    [
        ("WE'RE   GONNA divide us up", 1, "we're gonna divide us up"),
        ("we are going to divide us up into three parts", 1, None),  # contraction + disfluency
        ("I will type up mi minutes, and probably e-mail those out", 0, None),
        ("i'll type up minutes", 0, "I'll type up mi minutes"),  # false start dropped
        ("Can you email your slides", 3, "Can you e-mail your slides"),
        ("the TV only version", 3, "The T_V_ only version"),
        ("Bob: can you e-mail your slides", 3, "Can you e-mail your slides"),  # speaker prefix
        ("It's too expensive, I do not think it works", 2, None),
        ("we will not go with ... too expensive", 2, None),  # ellipsis skips freely
        ("so not too many buttons", 5, "so not not too many buttons"),  # stutter on "not"
    ],
)
def test_tolerant_matches(quote: str, segment: int, verbatim: str | None) -> None:
    ref = locate_quote(T, quote)
    assert ref is not None
    assert ref.segment == segment
    seg_text = T.segments[segment].text
    assert ref.quote in seg_text  # always a verbatim span of the segment
    if verbatim is not None:
        assert ref.quote == verbatim


@pytest.mark.parametrize(
    "quote",
    [
        "I'll type up the budget",  # invented word
        "we will go with the blue case",  # negation dropped: meaning inverted
        "we're gonna divide us into four parts",  # changed word
        "Dave will send the slides",  # nothing like it
        "type up minutes and email the whole company",  # half real, half invented
        "um uh",  # fillers only
        "",
    ],
)
def test_invented_or_changed_quotes_are_not_found(quote: str) -> None:
    assert locate_quote(T, quote) is None


def test_closing_punctuation_kept_when_quoted() -> None:
    assert locate_quote(T, "I'll type up the minutes tonight.").quote == (  # type: ignore[union-attr]
        "I'll type up the minutes tonight."
    )
    assert locate_quote(T, "Can you e-mail your slides as well?").quote == (  # type: ignore[union-attr]
        "Can you e-mail your slides as well?"
    )
    assert locate_quote(T, "the minutes tonight").quote == "the minutes tonight"  # type: ignore[union-attr]


def test_too_many_skipped_words_is_no_match() -> None:
    # Every word is in segment 0, but far apart: that is not a quote of it.
    assert locate_quote(T, "let's type those out") is None


def test_hint_is_searched_first() -> None:
    # "type up the minutes" only fits segment 4 exactly; with a hint at segment 0 we still
    # get 4, because segment 0 does not contain "the".
    assert locate_quote(T, "type up the minutes", hint=[0]).segment == 4  # type: ignore[union-attr]
    # "I'll type up" is in both: without a hint the first wins, with one the hinted one.
    assert locate_quote(T, "I'll type up").segment == 0  # type: ignore[union-attr]
    assert locate_quote(T, "I'll type up", hint=[4]).segment == 4  # type: ignore[union-attr]
    assert locate_quote(T, "I'll type up", hint=[99]).segment == 0  # type: ignore[union-attr]


def test_verify_sources_fixes_and_drops() -> None:
    sources = [
        SourceRef(segment=0, speaker="Alice", quote="we will not go with the blue case"),
        SourceRef(segment=2, quote="we will NOT go with the blue case"),  # duplicate
        SourceRef(segment=3, quote="Dave will ship it"),  # invented
    ]
    verified = verify_sources(T, sources)
    assert verified == [
        SourceRef(segment=2, speaker="Carol", start=20.0, quote="We will not go with the blue case")
    ]


def test_ground_items_keeps_or_drops_ungrounded() -> None:
    items = [
        ActionItem(task="Type up minutes", sources=[SourceRef(segment=4, quote="type up minutes")]),
        ActionItem(task="Invented", sources=[SourceRef(segment=1, quote="ship the rocket")]),
    ]
    kept = ground_items(T, items)
    assert [len(i.sources) for i in kept] == [1, 0]
    assert kept[0].sources[0].quote == "type up the minutes"
    assert kept[0].sources[0].segment == 4
    dropped = ground_items(T, items, drop_ungrounded=True)
    assert [i.task for i in dropped] == ["Type up minutes"]


def test_2000_segments_100_quotes() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(3000)] + ["the", "a", "we", "will", "to", "and"] * 200
    segments = []
    for i in range(2000):
        words = [rng.choice(vocab) for _ in range(rng.randint(5, 60))]
        segments.append(Segment(index=i, speaker=f"S{i % 5}", text=" ".join(words)))
    transcript = Transcript(segments=segments)
    quotes: list[tuple[str, int | None]] = []
    for _ in range(80):
        i = rng.randrange(2000)
        words = segments[i].text.split()
        a = rng.randrange(len(words))
        quotes.append((" ".join(words[a : a + 8]).upper(), i))
    quotes += [(" ".join(rng.choice(vocab) for _ in range(8)) + " zzz", None) for _ in range(20)]

    # (how fast is bench/scaling.py's business, not a test's)
    results = [locate_quote(transcript, q) for q, _ in quotes]
    for (q, _), ref in zip(quotes, results, strict=True):
        if q.endswith("zzz"):
            assert ref is None
        else:
            assert ref is not None and ref.quote.upper() == q


def test_a_meeting_pasted_fifty_times_is_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    meeting = [
        ("Ann", "Okay."),
        ("Bob", "I will um send the deck to the board by Friday."),
        ("Ann", "Great, and I will book the room."),
        ("Bob", "Okay."),
    ]
    t = _transcript(*(meeting * 50))
    index = QuoteIndex(t)
    tried: list[int] = []
    match_in = QuoteIndex._match_in

    def counting(self: QuoteIndex, pos: int, parts: list[list[str]]) -> object:
        tried.append(pos)
        return match_in(self, pos, parts)

    monkeypatch.setattr(QuoteIndex, "_match_in", counting)
    # a word skipped: no exact match, so every candidate is tried, each text once
    found = index.locate("I will send the deck to the board Friday")
    assert found is not None and found.segment == 1
    assert tried == [1]
    # the copy a model cites is the one returned
    tried.clear()
    cited = index.locate("send the deck to the board", hint=[121])
    assert cited is not None and (cited.segment, cited.quote) == (121, "send the deck to the board")
    assert tried == [1]
    assert index.locate("Okay", hint=[199]) == SourceRef(
        segment=199, speaker="Bob", start=1990.0, quote="Okay"
    )


def test_index_reuse_and_stale_cache() -> None:
    t = _transcript(("A", "hello there world"))
    index = QuoteIndex(t)
    assert index.locate("there world") is not None
    t.segments.append(Segment(index=1, speaker="B", text="brand new words"))
    assert locate_quote(t, "brand new words") is not None  # re-indexed after the change
