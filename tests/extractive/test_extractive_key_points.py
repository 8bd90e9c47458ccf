"""Key points: central, substantive, distinct, in order, each with a verbatim source."""

from __future__ import annotations

from extractive_fixtures import MakeTranscript

from minutes.extractive import extract_key_points
from minutes.extractive.centrality import textrank, tfidf
from minutes.extractive.sentences import clean_text, split_sentences
from minutes.transcripts.models import Transcript


def test_key_points_are_grounded_and_ordered(planning: Transcript) -> None:
    kps = extract_key_points(planning, n=5)
    assert len(kps) == 5
    segments = [kp.sources[0].segment for kp in kps]
    assert segments == sorted(segments)
    for kp in kps:
        (src,) = kp.sources
        assert src.quote in planning.segments[src.segment].text
        assert src.speaker == planning.segments[src.segment].speaker


def test_backchannels_and_fragments_are_never_key_points(planning: Transcript) -> None:
    texts = {kp.text for kp in extract_key_points(planning, n=20)}
    for filler in ("Agreed.", "Sounds good to me.", "Yes, I can do that.", "Will do.", "Great."):
        assert filler not in texts


def test_repeated_sentence_is_one_key_point(make_transcript: MakeTranscript) -> None:
    said = "The payment provider charges a three percent fee on every card transaction."
    t = make_transcript(
        ("Ann", said),
        ("Bob", "Hmm."),
        ("Cleo", "Right, the payment provider charges three percent on every card transaction."),
        ("Bob", "Our churn in the enterprise segment doubled since the price increase in May."),
    )
    kps = extract_key_points(t, n=5)
    assert len(kps) == 2


def test_clean_text_drops_disfluencies_only() -> None:
    assert clean_text("Um I I'll uh type up the the minutes.") == "I'll type up the minutes."
    assert clean_text("So, okay, we're gonna do a T_V_ remote.") == "We're gonna do a TV remote."
    assert clean_text("Mm-hmm.") == ""


def test_sentence_split_keeps_numbers_and_positions(make_transcript: MakeTranscript) -> None:
    t = make_transcript(("A", "It costs 12.50 euro. Is that ok? Yes! Then we go."), ("B", ""))
    sentences = split_sentences(t)
    assert [s.text for s in sentences] == [
        "It costs 12.50 euro.",
        "Is that ok?",
        "Yes!",
        "Then we go.",
    ]
    assert [s.position for s in sentences] == [0, 1, 2, 3]


def test_textrank_prefers_the_connected_sentence() -> None:
    docs = [["budget", "cut"], ["budget", "hire"], ["budget", "cut", "hire"], ["lunch"]]
    vectors, _ = tfidf(docs)
    scores = textrank(vectors)
    assert max(range(4), key=scores.__getitem__) == 2
    assert abs(sum(scores) - 1.0) < 1e-6
    assert textrank([]) == []
