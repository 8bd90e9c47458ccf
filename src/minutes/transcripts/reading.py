"""Reading a transcript file safely: what the path is first, then the size limit, then bytes.

Every failure is one :class:`~minutes.errors.TranscriptError` line a user can act on, and it says
what is wrong with the path (missing, a directory, a symlink loop, permission denied) rather than
one "not found" for all of them. Decoding the bytes is :mod:`minutes.transcripts.decoding`.
"""

from __future__ import annotations

import errno
import stat
from pathlib import Path

from minutes.errors import TranscriptError

# What an errno means for someone who asked us to read a file, in their words.
_REASONS = {
    errno.ELOOP: "symlink loop (the link leads back to itself)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory, not a transcript file",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.ENAMETOOLONG: "the path is too long",
}


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


def _os_error(path: Path, exc: OSError, verb: str) -> TranscriptError:
    """The one line for an ``OSError`` met while doing ``verb`` ("access", "read") to ``path``."""
    if exc.errno == errno.ENOENT:
        if path.is_symlink():  # the link exists; what it points to does not
            return TranscriptError(f"{path} is a broken symlink: its target does not exist")
        return TranscriptError(f"transcript file not found: {path}")
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    return TranscriptError(f"cannot {verb} {path}: {reason}")


def _regular_file_size(path: Path) -> int:
    """The size of ``path`` after checking, through any symlinks, that it is a regular file.

    ``Path.exists()`` is not used: it answers ``False`` for a symlink loop or a permission
    problem, which would then be reported as a missing file.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise _os_error(path, exc, "access") from None
    if stat.S_ISDIR(info.st_mode):
        raise TranscriptError(f"{path} is a directory, not a transcript file")
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
        raise TranscriptError(f"{path} is not a regular file")
    return info.st_size


def read_transcript_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, after checking it is a readable regular file, not empty or too big."""
    size = _regular_file_size(path)
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
        raise _os_error(path, exc, "read") from None
    if len(data) > max_bytes:
        raise TranscriptError(f"{path.name} is too large: over the limit of {_size(max_bytes)}")
    return data
