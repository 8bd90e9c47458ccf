"""Reading a transcript file safely: size limit first, then bytes, then a text encoding.

Every failure is one :class:`~minutes.errors.TranscriptError` line a user can act on.
"""

from __future__ import annotations

import codecs
import logging
import unicodedata
from pathlib import Path

from minutes.errors import TranscriptError

logger = logging.getLogger(__name__)

# Checked longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# chardet 7 reports low confidences even for plain Windows-1252 text (about 0.17), so the bar
# only turns away guesses that are close to random.
_MIN_CONFIDENCE = 0.1
_SNIFF_BYTES = 64 * 1024


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


def read_transcript_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, after checking it exists, is a regular file, is not empty or too big."""
    try:
        if not path.exists():
            raise TranscriptError(f"transcript file not found: {path}")
        if path.is_dir():
            raise TranscriptError(f"{path} is a directory, not a transcript file")
        if not path.is_file():
            raise TranscriptError(f"{path} is not a regular file")
        size = path.stat().st_size
    except OSError as exc:
        raise TranscriptError(f"cannot access {path}: {exc.strerror or exc}") from None
    if size > max_bytes:  # before reading: a huge file should cost nothing
        raise TranscriptError(
            f"{path.name} is too large: {_size(size)}; the limit is {_size(max_bytes)}"
        )
    if size == 0:
        raise TranscriptError(f"{path.name} is empty")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise TranscriptError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise TranscriptError(f"{path.name} is too large: over the limit of {_size(max_bytes)}")
    return data


def _looks_binary(text: str) -> bool:
    """Control characters other than whitespace, or replacement characters, in quantity."""
    sample = text[:_SNIFF_BYTES]
    odd = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    )
    return odd > max(1, len(sample) // 100)


def decode_transcript(data: bytes, name: str) -> str:
    """Decode bytes as text: BOM, UTF-8, then chardet's guess; binary data is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError:
                raise TranscriptError(
                    f"{name} starts with a {encoding.upper()} byte order mark but is not valid "
                    f"{encoding.upper()}"
                ) from None
    binary = TranscriptError(
        f"{name} looks like a binary file, not a text transcript (it contains NUL bytes "
        "or control characters)"
    )
    if b"\x00" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if _looks_binary(text):
                raise binary
            return text
    guessed = _guess(data, name)
    if guessed is None:
        if b"\x00" in data:
            raise binary
        raise TranscriptError(
            f"{name} is not UTF-8 (nor UTF-16 with a byte order mark) and its encoding could "
            "not be determined; save it as UTF-8"
        )
    if _looks_binary(guessed):
        raise binary
    return guessed


def _guess(data: bytes, name: str) -> str | None:
    """chardet's reading of the bytes, or ``None`` when it has no usable guess."""
    try:
        import chardet
    except ImportError:  # optional: without it only UTF-8/UTF-16/UTF-32 are read
        return None
    result = chardet.detect(data[:_SNIFF_BYTES])
    encoding, confidence = result.get("encoding"), result.get("confidence") or 0.0
    if not encoding or confidence < _MIN_CONFIDENCE:
        return None
    if b"\x00" in data and not encoding.lower().startswith(("utf-16", "utf-32")):
        return None  # NUL bytes are only text in UTF-16/32
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    logger.info("decoded %s as %s (chardet confidence %.2f)", name, encoding, confidence)
    return text.lstrip("\ufeff")
