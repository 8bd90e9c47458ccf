"""Property: whatever a file holds, loading it gives a Transcript or one TranscriptError.

Arbitrary text, arbitrary bytes and arbitrary JSON values, plus inputs built from the pieces the
parsers look for (labels, timestamps, cue arrows, BOMs), so that examples reach past the first
check. Example counts stay modest to keep the suite fast.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minutes.errors import TranscriptError
from minutes.transcripts import Transcript, load_transcript, parse_transcript
from minutes.transcripts.decoding import decode_transcript

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    # The directory is shared by every example on purpose: each writes its file afresh.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SUFFIXES = st.sampled_from(["", ".txt", ".md", ".vtt", ".srt", ".json"])

# What the parsers branch on, so that random text is often almost a transcript.
_PIECES = [
    "Alice: ",
    "Bob Smith:",
    "田中：",
    "Bob 🚀: ",
    "**Ann:** ",
    "- ",
    ">> ",
    "[00:01:05] ",
    "(01:05)",
    "12:30 ",
    "00:00:01.000 --> 00:00:02.000",
    "00:00:01,000 --> 00:00:02,000",
    "00:61:00.000 --> 00:00:0x.000",
    "WEBVTT",
    "NOTE Title: x",
    "Title: Stand-up",
    "Date: 2025-02-30",
    "Timezone: Mars/Olympus",
    "---",
    "# Heading",
    "<v Ann>",
    "</v>",
    "&amp;",
    "1",
    "\n",
    "\n\n",
    " ",
    "\t",
    "\x1b[31m",
    "\x1b[0m",
    "\u200b",
    "[",
    "{",
    '"text": ',
]
TRANSCRIPTISH = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(max_size=12)), max_size=40
).map("".join)
TEXTS = st.one_of(st.text(), TRANSCRIPTISH)

_BOMS = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]
BYTES = st.one_of(
    st.binary(max_size=2000),
    st.tuples(st.sampled_from(_BOMS), st.binary(max_size=500)).map(b"".join),
    # Text in some encoding, with damage: a NUL or two, a stray high byte.
    st.tuples(
        TRANSCRIPTISH,
        st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "cp1252"]),
        st.lists(st.sampled_from([b"\x00", b"\xff", b"\x81", b"\xd8"]), max_size=3),
    ).map(lambda t: t[0].encode(t[1], errors="replace") + b"".join(t[2])),
)

# JSON values: anything, and things shaped like the exports json_formats reads.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["00:01:02.5", "-1", "1e400", "NaN", "2025-03-11", "Europe/Paris"]),
)
ANY_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_KEYS = st.sampled_from(
    [
        *("speaker", "speaker_name", "name", "text", "content", "transcript", "start", "end"),
        *("start_time", "end_time", "timestamp", "segments", "utterances", "results"),
        *("channels", "alternatives", "paragraphs", "sentences", "title", "date", "timezone"),
        "audio_url",
    ]
)
SHAPED_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=25,
)


def _loads_or_refuses(path: Path) -> None:
    try:
        transcript = load_transcript(path)
    except TranscriptError as exc:
        assert str(exc).strip(), "a TranscriptError must say what is wrong"
        assert "\n" not in str(exc), "a TranscriptError is one line"
        assert len(str(exc)) < 1000, "a TranscriptError is a line, not the file"
    else:
        assert isinstance(transcript, Transcript)
        assert transcript.segments, "a Transcript without segments should have been an error"
        assert all(s.text.strip() for s in transcript.segments)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@PROPERTY
@given(content=TEXTS, suffix=SUFFIXES)
def test_any_text_file_loads_or_is_one_transcript_error(
    folder: Path, content: str, suffix: str
) -> None:
    path = folder / f"meeting{suffix}"
    path.write_text(content, encoding="utf-8")
    if not content:
        with pytest.raises(TranscriptError, match="is empty"):
            load_transcript(path)
        return
    _loads_or_refuses(path)


@PROPERTY
@given(content=TEXTS, format=st.sampled_from([None, "text", "vtt", "srt", "json"]))
def test_any_string_parses_or_is_one_transcript_error(content: str, format: str | None) -> None:
    try:
        transcript = parse_transcript(content, format=format, name="meeting")
    except TranscriptError:
        return
    assert transcript.segments


@PROPERTY
@given(data=BYTES, suffix=SUFFIXES)
def test_any_bytes_load_or_are_one_transcript_error(folder: Path, data: bytes, suffix: str) -> None:
    path = folder / f"meeting{suffix}"
    path.write_bytes(data)
    _loads_or_refuses(path)


@PROPERTY
@given(value=st.one_of(ANY_JSON, SHAPED_JSON))
def test_any_json_value_loads_or_is_one_transcript_error(folder: Path, value: object) -> None:
    path = folder / "meeting.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    _loads_or_refuses(path)


READABLE = st.text(
    alphabet=st.one_of(
        st.characters(categories=("L", "N", "P", "Zs")),  # no controls, no BOM
        st.just("\n"),
    ),
    min_size=20,
    max_size=400,
)


@PROPERTY
@given(text=READABLE, where=st.integers(min_value=0))
def test_one_stray_nul_never_changes_how_utf8_text_reads(text: str, where: int) -> None:
    data = text.encode("utf-8")
    where %= len(data) + 1
    while where < len(data) and data[where] & 0xC0 == 0x80:  # not inside a character
        where += 1
    decoded = decode_transcript(data[:where] + b"\x00" + data[where:], "m.txt")
    assert decoded.encoding == "utf-8"
    assert decoded.text == text
    assert len(decoded.warnings) == 1
