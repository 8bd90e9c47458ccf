"""Speaker labels beyond ASCII: full-width colons, CJK names, emoji in names."""

from __future__ import annotations

from pathlib import Path

import pytest

from minutes.transcripts import load_transcript, parse_transcript
from minutes.transcripts.speakers import MAX_CJK_LABEL, is_speaker_label, split_speaker


def _turns(content: str) -> list[tuple[str | None, str]]:
    return [(s.speaker, s.text) for s in parse_transcript(content, format="text").segments]


def test_full_width_colon_ends_a_label_with_or_without_a_space() -> None:
    assert _turns("Alice：hello\nBob： hi there\n") == [("Alice", "hello"), ("Bob", "hi there")]


def test_cjk_speaker_names() -> None:
    content = "田中：明日の会議は十時からです。\n佐藤：はい、わかりました。\n김민수: 좋아요\n"
    assert _turns(content) == [
        ("田中", "明日の会議は十時からです。"),
        ("佐藤", "はい、わかりました。"),
        ("김민수", "좋아요"),
    ]


def test_katakana_name_with_middle_dot_and_honorific() -> None:
    assert split_speaker("ジョン・スミス：了解です") == ("ジョン・スミス", "了解です")
    assert split_speaker("田中太郎部長：始めましょう") == ("田中太郎部長", "始めましょう")


def test_long_cjk_run_before_a_colon_is_a_sentence() -> None:
    sentence = "これは重要な点なのですが"
    assert len(sentence) > MAX_CJK_LABEL
    assert split_speaker(f"{sentence}：明日までです") == (None, f"{sentence}：明日までです")


def test_emoji_in_names_are_kept_in_the_name() -> None:
    content = "Bob 🚀: let's ship\nAlice ✨ Smith: agreed\n🎧 Dana: notes taken\n"
    t = parse_transcript(content, format="text")
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Bob 🚀", "let's ship"),
        ("Alice ✨ Smith", "agreed"),
        ("🎧 Dana", "notes taken"),
    ]
    assert t.participants == ["Bob 🚀", "Alice ✨ Smith", "🎧 Dana"]


def test_emoji_alone_or_ascii_symbols_are_no_name() -> None:
    assert not is_speaker_label("🚀")
    assert not is_speaker_label("👍👍")
    assert not is_speaker_label("Bob ^^")
    assert split_speaker("🚀: liftoff") == (None, "🚀: liftoff")


def test_emoji_do_not_let_prose_through() -> None:
    # the rules for words still apply to what is left once the emoji are set aside
    assert not is_speaker_label("note 🚀")
    assert not is_speaker_label("we decided this 🎉 today")


def test_ascii_colon_rules_are_unchanged() -> None:
    assert split_speaker("see https://example.org") == (None, "see https://example.org")
    assert split_speaker("Note：the deadline moved") == (None, "Note：the deadline moved")
    assert split_speaker("12:30 works") == (None, "12:30 works")


def test_captions_recognise_the_same_labels() -> None:
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n田中：はい\n\n"
        "00:00:02.000 --> 00:00:03.000\nBob 🚀: ok\n"
    )
    t = parse_transcript(vtt, format="vtt")
    assert [(s.speaker, s.text) for s in t.segments] == [("田中", "はい"), ("Bob 🚀", "ok")]


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_a_file_of_cjk_turns(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"会議{suffix}"
    path.write_text("田中：おはようございます\n佐藤：おはよう\n", encoding="utf-8")
    t = load_transcript(path)
    assert t.participants == ["田中", "佐藤"]
    assert t.warnings == []
