"""Bytes to text: which encoding a transcript file is in, and what to clean up after decoding.

The order, most certain first:

1. A byte order mark decides (UTF-8, UTF-16, UTF-32); a mark the bytes then contradict is an
   error.
2. UTF-16/32 without a mark only when the file shows it: NUL bytes in the high half of at least
   :data:`WIDE_MIN_SHARE` of its code units (text in the ASCII range, as most transcripts are,
   has them in every unit) *and* it decodes cleanly. chardet's UTF-16 guesses are not taken: any
   even number of bytes "decodes" as UTF-16, so a UTF-8 file with one stray NUL used to come
   out as CJK-looking noise and give empty notes.
3. UTF-8, when the bytes are valid UTF-8.
4. chardet's guess (Windows-1252 and friends), when it is not close to random.

Then, whatever the encoding: ANSI escape sequences (terminal colours copied along with the text)
are removed; text that is still full of control characters is refused as binary; the few NUL
characters left (a stray NUL in an otherwise good file) are dropped with a warning.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from dataclasses import dataclass, field

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
# Without a mark: (codec, code unit size, offsets in a unit of the bytes that are NUL for a
# character below U+0100). UTF-32 first: UTF-32 text also has a NUL in every other byte.
_WIDE = (
    ("utf-32-le", 4, (2, 3)),
    ("utf-32-be", 4, (0, 1)),
    ("utf-16-le", 2, (1,)),
    ("utf-16-be", 2, (0,)),
)
WIDE_MIN_SHARE = 0.5
"""Share of code units whose high bytes are NUL for a file without a mark to be read as UTF-16/32.

"Most of the file": English text in UTF-16 scores about 1.0, UTF-8 text with a stray NUL about
0.0. Text mostly outside Latin-1 (Cyrillic, CJK) in UTF-16 without a mark scores lower and is
not recognised; such files need a byte order mark.
"""
# chardet 7 reports low confidences even for plain Windows-1252 text (about 0.17), so the bar
# only turns away guesses that are close to random.
_MIN_CONFIDENCE = 0.1
_SNIFF_BYTES = 64 * 1024
# CSI sequences (colours "\x1b[31m", "\x1b[0m", cursor moves "\x1b[2K") and OSC sequences
# (window titles, hyperlinks) ended by BEL or ST. The OSC body is bounded so that many
# unterminated ones cannot make the search quadratic.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)")


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A file's text, the encoding it was read in, and what decoding had to repair."""

    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences (``"\\x1b[1mAlice\\x1b[0m"`` → ``"Alice"``)."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def _looks_binary(text: str) -> bool:
    """Control characters other than whitespace, or replacement characters, in quantity."""
    sample = text[:_SNIFF_BYTES]
    odd = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    )
    return odd > max(1, len(sample) // 100)


def _binary_error(name: str) -> TranscriptError:
    return TranscriptError(
        f"{name} looks like a binary file, not a text transcript (it contains NUL bytes "
        "or control characters)"
    )


def _from_bom(data: bytes, name: str) -> tuple[str, str] | None:
    """``(text, encoding)`` when the data starts with a byte order mark, else ``None``."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise TranscriptError(
                    f"{name} starts with a {encoding.upper()} byte order mark but is not valid "
                    f"{encoding.upper()}"
                ) from None
    return None


def _nul_share(data: bytes, unit: int, offsets: tuple[int, ...]) -> float:
    """The smallest share, over ``offsets``, of code units whose byte there is NUL."""
    units = len(data) // unit
    return min(data[offset::unit].count(0) for offset in offsets) / units


def _from_wide_pattern(data: bytes) -> tuple[str, str] | None:
    """``(text, encoding)`` for UTF-16/32 without a mark, when the NUL pattern and a clean
    decoding both say so; ``None`` otherwise."""
    if b"\x00" not in data:
        return None
    for encoding, unit, offsets in _WIDE:
        if len(data) % unit or _nul_share(data, unit, offsets) < WIDE_MIN_SHARE:
            continue
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _from_utf8(data: bytes) -> tuple[str, str] | None:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return None


def _guess(data: bytes, name: str) -> tuple[str, str] | None:
    """chardet's reading of the bytes, or ``None`` when it has no usable guess."""
    try:
        import chardet
    except ImportError:  # optional: without it only UTF-8/UTF-16/UTF-32 are read
        return None
    # Asked without NULs: with even one, chardet answers UTF-16 (0.95 confident) for any text.
    result = chardet.detect(data[:_SNIFF_BYTES].replace(b"\x00", b""))
    encoding, confidence = result.get("encoding"), result.get("confidence") or 0.0
    if not encoding or confidence < _MIN_CONFIDENCE:
        return None
    if encoding.lower().startswith(("utf-16", "utf-32")):
        return None  # real UTF-16/32 was recognised above; this is a guess on noise
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    logger.info("decoded %s as %s (chardet confidence %.2f)", name, encoding, confidence)
    return text, encoding


def _cleaned(text: str, encoding: str, name: str) -> DecodedText:
    """Escape sequences out, binary refused, stray NULs dropped with a warning."""
    text = strip_ansi(text.lstrip("\ufeff"))
    if _looks_binary(text):
        raise _binary_error(name)
    warnings: list[str] = []
    nuls = text.count("\x00")
    if nuls:  # few enough to pass the binary test: damage, not a binary file
        text = text.replace("\x00", "")
        plural = "s" if nuls > 1 else ""
        warnings.append(
            f"{name} contained {nuls} NUL character{plural}, removed; the file may be damaged"
        )
    return DecodedText(text=text, encoding=encoding, warnings=warnings)


def decode_transcript(data: bytes, name: str) -> DecodedText:
    """Decode a transcript file's bytes (the order is in the module docstring).

    Raises :class:`~minutes.errors.TranscriptError` for binary data and unknown encodings.
    """
    decoded = _from_bom(data, name) or _from_wide_pattern(data) or _from_utf8(data)
    if decoded is None:
        decoded = _guess(data, name)
    if decoded is None:
        if b"\x00" in data:
            raise _binary_error(name)
        raise TranscriptError(
            f"{name} is not UTF-8 (nor UTF-16 with a byte order mark) and its encoding could "
            "not be determined; save it as UTF-8"
        )
    return _cleaned(*decoded, name)
