"""Where ``--out`` may write, checked before any work is done, and the file names of a run of
several meetings.

``--out`` must never replace what it should not: a symlink (the link would be replaced, not
what it points to), a FIFO or device node (writing could block, or reach a device), a
directory, a transcript of the same run, or a file when several meetings need a folder. A
folder that cannot be written is refused up front, not after the LLM calls were paid for.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from minutes.errors import ConfigError

NAMING_HELP = (
    "one file per meeting, named after its transcript (standup.vtt → standup.md); transcripts "
    "with the same name get their folder's name in front (a/standup.vtt → a-standup.md), then "
    "a number if still needed"
)


def _lstat(path: Path, label: str) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot check {path}: {exc.strerror}") from None


def _refuse_special(path: Path, info: os.stat_result, label: str) -> None:
    """A target that exists must be a regular file (it is then replaced atomically)."""
    if stat.S_ISLNK(info.st_mode):
        raise ConfigError(
            f"{label}: {path} is a symbolic link; minutes replaces the files it writes, which "
            "would replace the link: give the path it points to, or another name"
        )
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{label}: {path} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"{label}: {path} is not a regular file (a FIFO, socket or device node); "
            "give the path of a file"
        )


def _check_folder_writable(folder: Path, label: str) -> None:
    """``folder``, or the nearest part of it that exists (the rest will be created), must be
    a directory this user may create files in."""
    probe = folder
    while True:
        try:
            info = probe.stat()
            break
        except FileNotFoundError:
            if probe.is_symlink():
                raise ConfigError(f"{label}: {probe} is a broken symbolic link") from None
            if probe.parent == probe:
                raise ConfigError(f"{label}: {folder} cannot be created") from None
            probe = probe.parent
        except OSError as exc:
            raise ConfigError(f"{label}: cannot reach {probe}: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{label}: {probe} is a file, so {folder} cannot be a folder")
    # os.access also answers False on a read-only file system (EROFS).
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "write in" if probe == folder else f"create {folder} in"
        raise ConfigError(f"{label}: cannot {what} {probe}: it is read-only for this user")


def check_out_folder(folder: Path, label: str) -> None:
    """Files will be created in ``folder`` (made if missing): it must allow that."""
    _check_folder_writable(folder, label)


def _same_file(target: Path, inputs: Iterable[Path]) -> Path | None:
    for source in inputs:
        try:
            if target.samefile(source):
                return source
        except OSError:
            continue
    return None


def check_out_file(path: Path, *, inputs: Iterable[Path] = (), label: str = "--out") -> None:
    """One document goes to ``path``: refuse what must not be replaced, before any work."""
    info = _lstat(path, label)
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(
                f"{label}: {path} is a directory; with one meeting, give the file to write "
                "(a directory is for several meetings)"
            )
        _refuse_special(path, info, label)
        if source := _same_file(path, inputs):
            raise ConfigError(f"{label}: {path} is the transcript {source}; it would be replaced")
    _check_folder_writable(path.parent, label)


def check_out_dir(folder: Path, names: Sequence[str], *, inputs: Iterable[Path] = ()) -> None:
    """Several documents go to ``folder / name``: it must be (or become) a writable folder,
    and no target may be a link, a special file or one of the run's transcripts."""
    label = "--out"
    info = _lstat(folder, label)
    if info is not None:
        try:
            is_dir = stat.S_ISDIR(folder.stat().st_mode)  # a link to a folder is a folder
        except OSError:
            raise ConfigError(f"{label}: {folder} is a broken symbolic link") from None
        if not is_dir:
            raise ConfigError(
                f"{label}: {folder} is a file, but several meetings need a folder for their "
                "documents (one file each); give a directory"
            )
    _check_folder_writable(folder, label)
    if info is None:
        return  # a new folder: nothing in it to clobber
    sources = list(inputs)
    for name in names:
        target = folder / name
        existing = _lstat(target, label)
        if existing is None:
            continue
        _refuse_special(target, existing, label)
        if source := _same_file(target, sources):
            raise ConfigError(f"{label}: {target} is the transcript {source}; it would be replaced")


def document_names(sources: Sequence[Path], suffix: str) -> list[str]:
    """A distinct file name for each meeting's document, in input order (see NAMING_HELP).

    Names are compared case-insensitively, since macOS and Windows folders are."""
    stems = Counter(p.stem.casefold() for p in sources)
    taken = {p.stem.casefold() for p in sources if stems[p.stem.casefold()] == 1}
    names: list[str] = []
    for p in sources:
        if stems[p.stem.casefold()] == 1:
            names.append(p.stem + suffix)
            continue
        folder = p.resolve().parent.name or "root"
        base = f"{folder}-{p.stem}"
        name, n = base, 2
        while name.casefold() in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name.casefold())
        names.append(name + suffix)
    return names
