"""Bytes to text: UTF-8 preferred over noise, UTF-16/32 only when it is, repairs that warn."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from minutes.errors import TranscriptError
from minutes.transcripts import Transcript, load_transcript, parse_transcript
from minutes.transcripts.decoding import WIDE_MIN_SHARE, decode_transcript, strip_ansi

MEETING = "".join(
    f"Alice: point {i} is that we ship the release on time.\nBob: agreed, noted {i}.\n"
    for i in range(40)
)
NUL_WARNING = "meeting.txt contained 1 NUL character, removed; the file may be damaged"


def _load(tmp_path: Path, data: bytes, name: str = "meeting.txt") -> Transcript:
    path = tmp_path / name
    path.write_bytes(data)
    return load_transcript(path)


@pytest.mark.parametrize("where", [0, 1, 7, len(MEETING) // 2, len(MEETING) - 1, len(MEETING)])
def test_stray_nul_in_utf8_reads_as_utf8_with_a_warning(tmp_path: Path, where: int) -> None:
    data = MEETING.encode("utf-8")
    t = _load(tmp_path, data[:where] + b"\x00" + data[where:])
    assert t.participants == ["Alice", "Bob"]
    assert t.segments[0].text == "point 0 is that we ship the release on time."
    assert len(t.segments) == 80
    assert t.warnings == [NUL_WARNING]


def test_stray_nul_in_non_ascii_utf8(tmp_path: Path) -> None:
    # chardet calls any text with a NUL UTF-16; the valid UTF-8 reading must win
    data = "Renée: café at noon\x00, we decided.\nJosé: à bientôt.\n".encode()
    t = _load(tmp_path, data)
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Renée", "café at noon, we decided."),
        ("José", "à bientôt."),
    ]
    assert t.warnings == [NUL_WARNING]


def test_stray_nul_in_a_windows_1252_file(tmp_path: Path) -> None:
    content = "Renée: café ok, we will see about the plan tomorrow morning.\n" * 3
    data = content.encode("cp1252")
    t = _load(tmp_path, data[:10] + b"\x00" + data[10:])
    assert t.segments[0].speaker == "Renée"
    assert t.segments[0].text.startswith("café ok")
    assert t.warnings == [NUL_WARNING]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_mark_are_recognised(tmp_path: Path, codec: str) -> None:
    t = _load(tmp_path, "Alice: hello there\nBob: hi, Renée\n".encode(codec))
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Alice", "hello there"),
        ("Bob", "hi, Renée"),
    ]
    assert t.warnings == []


def test_decoding_reports_the_encoding_it_chose() -> None:
    assert decode_transcript("Ann: hi\n".encode("utf-16-le"), "x").encoding == "utf-16-le"
    assert decode_transcript(codecs.BOM_UTF16_LE + "Ann".encode("utf-16-le"), "x").encoding == (
        "utf-16"
    )
    assert decode_transcript(b"Ann: hi\x00\n", "x").encoding == "utf-8"


def test_a_few_nuls_are_no_utf16_pattern() -> None:
    # NULs in well under half the code units: UTF-8 with damage, not UTF-16
    data = b"Ann: hello\x00 there, we ship on Friday.\n" + b"Bob: fine by me.\n" * 10
    assert data[1::2].count(0) / (len(data) // 2) < WIDE_MIN_SHARE
    decoded = decode_transcript(data, "x.txt")
    assert decoded.encoding == "utf-8"
    assert decoded.text == "Ann: hello there, we ship on Friday.\n" + "Bob: fine by me.\n" * 10


def test_utf16_pattern_that_does_not_decode_cleanly_is_not_utf16(tmp_path: Path) -> None:
    # Every other byte NUL but a lone surrogate inside: not UTF-16; as UTF-8 it is binary
    data = "Ann: hello there".encode("utf-16-le") + b"\x00\xd8" + "ok".encode("utf-16-le")
    with pytest.raises(TranscriptError, match="looks like a binary file"):
        _load(tmp_path, data)


def test_bom_still_decides_first(tmp_path: Path) -> None:
    t = _load(tmp_path, codecs.BOM_UTF16_BE + "Ann: hi\nBob: yo\n".encode("utf-16-be"))
    assert [(s.speaker, s.text) for s in t.segments] == [("Ann", "hi"), ("Bob", "yo")]


def test_many_nuls_are_still_binary(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=r"meeting\.txt looks like a binary file"):
        _load(tmp_path, b"Ann: hi\x00\x00 there\x00 and\x00 more\x00\n")


def test_ansi_escapes_are_removed_from_files(tmp_path: Path) -> None:
    data = b"\x1b[1;32mAlice\x1b[0m: we \x1b[4mship\x1b[24m Friday\n\x1b[2KBob: \x1b[31mok\x1b[m\n"
    t = _load(tmp_path, data)
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Alice", "we ship Friday"),
        ("Bob", "ok"),
    ]
    assert t.warnings == []


def test_ansi_escapes_are_removed_from_strings_and_json_text() -> None:
    t = parse_transcript("\x1b[33mAnn\x1b[0m: hi\n", format="text")
    assert [(s.speaker, s.text) for s in t.segments] == [("Ann", "hi")]
    escaped = '[{"speaker": "Ann", "text": "\\u001b[1mhi\\u001b[0m\\u0000!"}]'
    t = parse_transcript(escaped, name="x.json")
    assert [(s.speaker, s.text) for s in t.segments] == [("Ann", "hi!")]


def test_strip_ansi_leaves_other_text_alone() -> None:
    assert strip_ansi("a [31m b") == "a [31m b"
    assert strip_ansi("\x1b]0;title\x07Ann: hi") == "Ann: hi"  # an OSC window title
    assert strip_ansi("\x1b]8;;https://x.org\x1b\\link\x1b]8;;\x1b\\") == "link"


def test_mostly_non_letters_warns(tmp_path: Path) -> None:
    data = b"1234 5678 9012 3456 7890 !!!! ???? 1234\n0000 1111 2222 3333 4444 ---- ++++\n"
    t = _load(tmp_path, data, name="numbers.txt")
    assert len(t.warnings) == 1
    assert t.warnings[0].startswith("numbers.txt is mostly not letters (only 0% of its characters")


def test_symbol_soup_warns_and_ordinary_speech_does_not(tmp_path: Path) -> None:
    t = _load(tmp_path, ("Ann: " + "§±¶×÷ ©®° ¤¥¦ " * 10 + "ok\n").encode(), name="odd.txt")
    assert len(t.warnings) == 1 and "odd.txt is mostly not letters" in t.warnings[0]
    assert _load(tmp_path, MEETING.encode()).warnings == []


def test_the_warnings_of_decoding_and_parsing_come_in_that_order(tmp_path: Path) -> None:
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnn: hi\x00\n\n00:0x --> 00:01.000\nBob: no\n"
    t = _load(tmp_path, data, name="c.vtt")
    assert len(t.warnings) == 2
    assert "NUL" in t.warnings[0]
    assert "that cue was skipped" in t.warnings[1]
