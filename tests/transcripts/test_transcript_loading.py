"""Files in: format detection, encodings, metadata precedence, and every bad input."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest

from minutes.errors import TranscriptError
from minutes.transcripts import FORMATS, detect_format, load_transcript, parse_transcript

DATA = Path(__file__).parents[1] / "data" / "transcripts"
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>Hello.\n"
SRT = "1\n00:00:01,000 --> 00:00:02,000\nAnn: Hello.\n"
JSON = '[{"speaker": "Ann", "start": 1, "end": 2, "text": "Hello."}]'
TEXT = "Ann: Hello.\n"


def test_formats_constant() -> None:
    assert FORMATS == ("text", "vtt", "srt", "json")


@pytest.mark.parametrize(
    ("content", "expected"),
    [(VTT, "vtt"), (SRT, "srt"), (JSON, "json"), (TEXT, "text"), ("[00:01] Ann: hi", "text")],
)
def test_sniffing_without_extension(tmp_path: Path, content: str, expected: str) -> None:
    assert detect_format(content) == expected
    path = tmp_path / "meeting"  # no extension: the content decides
    path.write_text(content, encoding="utf-8")
    t = load_transcript(path)
    assert t.source_format == expected
    assert [(s.speaker, s.text) for s in t.segments][-1][1].endswith(("Hello.", "hi"))


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [(".txt", "text"), (".md", "text"), (".vtt", "vtt"), (".srt", "srt"), (".json", "json")],
)
def test_detection_by_extension(suffix: str, expected: str) -> None:
    # The extension wins over the content: a .txt that holds JSON is read as text.
    assert detect_format(JSON, name=f"x{suffix}") == expected


def test_unknown_extension_falls_back_to_sniffing() -> None:
    assert detect_format(VTT, name="captions.log") == "vtt"


def test_forced_format_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "captions.txt"
    path.write_text(VTT, encoding="utf-8")
    assert load_transcript(path).source_format == "text"
    t = load_transcript(path, format="WebVTT")
    assert t.source_format == "vtt"
    assert [(s.speaker, s.text) for s in t.segments] == [("Ann", "Hello.")]
    assert parse_transcript(SRT, format="subrip").source_format == "srt"


def test_unknown_forced_format(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="unknown transcript format 'docx': expected one of"):
        load_transcript(tmp_path / "missing.txt", format="docx")


def test_metadata_precedence(tmp_path: Path) -> None:
    path = tmp_path / "weekly_team-sync.txt"
    path.write_text("Ann: hi\n", encoding="utf-8")
    t = load_transcript(path)
    assert (t.title, t.date, t.timezone) == ("Weekly team sync", None, None)
    assert t.source_name == "weekly_team-sync.txt"
    path.write_text("Title: From file\nDate: 2025-01-02\nTimezone: Asia/Tokyo\nAnn: hi\n")
    t = load_transcript(path)
    assert (t.title, t.date, t.timezone) == ("From file", dt.date(2025, 1, 2), "Asia/Tokyo")
    t = load_transcript(path, title="Given", date=dt.date(2025, 5, 6), timezone="Europe/Paris")
    assert (t.title, t.date, t.timezone) == ("Given", dt.date(2025, 5, 6), "Europe/Paris")


def test_unknown_timezone_argument(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(TranscriptError, match="unknown timezone 'Mars/Olympus'"):
        load_transcript(path, timezone="Mars/Olympus")


def test_parse_transcript_without_name_has_no_title() -> None:
    t = parse_transcript(TEXT)
    assert (t.title, t.source_name, t.source_format) == (None, None, "text")


# --- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("utf-16"),  # with BOM
        lambda s: s.encode("utf-32"),  # with BOM
        lambda s: s.encode("cp1252"),  # no BOM, not UTF-8: chardet
    ],
    ids=["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"],
)
def test_encodings(tmp_path: Path, encode: object) -> None:
    content = "Renée: Café at noon, we decided.\nJosé: Agreed, à bientôt.\n"
    path = tmp_path / "t.txt"
    path.write_bytes(encode(content))  # type: ignore[operator]
    t = load_transcript(path)
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Renée", "Café at noon, we decided."),
        ("José", "Agreed, à bientôt."),
    ]


# --- bad input: one TranscriptError line each ----------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=r"transcript file not found: .*nope\.vtt$"):
        load_transcript(tmp_path / "nope.vtt")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="is a directory, not a transcript file"):
        load_transcript(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(TranscriptError, match=r"^empty\.txt is empty$"):
        load_transcript(path)


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n\t\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"^blank\.txt is empty$"):
        load_transcript(path)


def test_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: no disk used, and never read
    with pytest.raises(TranscriptError) as info:
        load_transcript(path)
    assert str(info.value) == (
        "huge.txt is too large: 200.0 MB (209,715,200 bytes); "
        "the limit is 50.0 MB (52,428,800 bytes)"
    )


def test_max_bytes_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Ann: " + "word " * 100, encoding="utf-8")
    with pytest.raises(TranscriptError, match="the limit is 100 bytes"):
        load_transcript(path, max_bytes=100)
    assert load_transcript(path, max_bytes=10_000).segments


def test_binary_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "recording.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(TranscriptError, match=r"recording\.txt looks like a binary file"):
        load_transcript(path)


def test_binary_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(1, 32)) * 40)  # control characters: valid UTF-8, not text
    with pytest.raises(TranscriptError, match=r"blob\.txt looks like a binary file"):
        load_transcript(path)


def test_undecodable_encoding(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes(b"\x81\x8d\x8f\x90\x9d" * 10)
    with pytest.raises(TranscriptError) as info:
        load_transcript(path)
    assert str(info.value) == (
        "odd.txt is not UTF-8 (nor UTF-16 with a byte order mark) and its encoding could not "
        "be determined; save it as UTF-8"
    )


def test_bom_that_lies(tmp_path: Path) -> None:
    path = tmp_path / "bad16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + b"A\x00l\x00\x00\xd8")  # lone surrogate
    with pytest.raises(TranscriptError, match="byte order mark but is not valid UTF-16"):
        load_transcript(path)


def test_nul_in_string_content() -> None:
    with pytest.raises(TranscriptError, match="looks like binary data"):
        parse_transcript("Ann: hi\x00there", name="x.txt")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(TEXT, encoding="utf-8")

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)  # chmod does not stop root, which CI may be
    with pytest.raises(TranscriptError, match=r"cannot read .*secret\.txt: permission denied$"):
        load_transcript(path)


def test_no_text_after_parsing(tmp_path: Path) -> None:
    path = tmp_path / "silence.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\n<i> </i>\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"^no text found in silence\.srt \(read as srt\)$"):
        load_transcript(path)


# --- Markdown files are plain text ----------------------------------------------------------

MARKDOWN = (
    "---\ntitle: Stand-up\n---\n\n# Stand-up\n\n**Ann:** We ship Friday.\n\n**Ben:** Agreed.\n"
)


def test_md_file_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "standup.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    t = load_transcript(path)
    assert t.source_format == "text"
    assert t.title == "Stand-up"
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Ann", "We ship Friday."),
        ("Ben", "Agreed."),
    ]


def test_md_file_holding_json_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "export.md"
    path.write_text(JSON, encoding="utf-8")
    assert load_transcript(path).source_format == "text"  # the extension decides, as for .txt


def test_md_files_are_picked_up_when_a_directory_is_expanded(tmp_path: Path) -> None:
    from minutes.runs.many import TRANSCRIPT_SUFFIXES, expand_inputs

    assert ".md" in TRANSCRIPT_SUFFIXES
    for name, content in [("a.md", MARKDOWN), ("b.txt", TEXT), ("c.MD", MARKDOWN)]:
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "d.pdf").write_bytes(b"%PDF-1.4")
    found = expand_inputs([tmp_path])
    assert [p.name for p in found] == ["a.md", "b.txt", "c.MD"]
    assert all(load_transcript(p).segments for p in found)
