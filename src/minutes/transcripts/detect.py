"""Which parser reads a transcript: ``format=`` if given, else the extension, else the content."""

from __future__ import annotations

import json
import re
from pathlib import PurePath

from minutes.errors import TranscriptError

FORMATS: tuple[str, ...] = ("text", "vtt", "srt", "json")

_ALIASES = {"txt": "text", "md": "text", "markdown": "text", "webvtt": "vtt", "subrip": "srt"}
_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".markdown": "text",
    ".vtt": "vtt",
    ".webvtt": "vtt",
    ".srt": "srt",
    ".json": "json",
}
_SRT_TIMING = re.compile(r"\s*\d{1,3}:\d{1,2}:\d{1,2}[,.]\d{1,3}\s*-->")


def normalise_format(name: str) -> str:
    """The canonical name of a format the caller asked for (``"WebVTT"`` → ``"vtt"``)."""
    key = name.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise TranscriptError(
            f"unknown transcript format {name!r}: expected one of {', '.join(FORMATS)}"
        )
    return key


def format_from_name(name: str | None) -> str | None:
    """The format a file name's extension implies, ``None`` for unknown or no extension."""
    if not name:
        return None
    return _EXTENSIONS.get(PurePath(name).suffix.lower())


def sniff_format(content: str) -> str:
    """Guess the format from the content: WebVTT header, SRT block, JSON document, else text."""
    lines = [line.strip() for line in content.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "text"
    if lines[0].startswith("WEBVTT"):
        return "vtt"
    if len(lines) >= 2 and lines[0].isdigit() and _SRT_TIMING.match(lines[1]):
        return "srt"
    if lines[0][0] in "[{":
        try:
            json.loads(content)
        except json.JSONDecodeError:
            pass  # "[00:01] Alice: ..." starts with a bracket too
        except (ValueError, RecursionError):
            return "json"  # well-formed but too deep or a huge number: the JSON reader says so
        else:
            return "json"
    return "text"


def detect_format(content: str, name: str | None = None, forced: str | None = None) -> str:
    """``forced`` if given, else the extension of ``name``, else what the content looks like."""
    if forced is not None:
        return normalise_format(forced)
    return format_from_name(name) or sniff_format(content)
