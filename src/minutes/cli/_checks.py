"""Checks of what the user typed, run before any work: names that must exist (a registry
model, a provider, a transcript format, a timezone), dates, and transcript paths.

Each failure is a ``ConfigError`` (exit 2, a usage error) whose message names the option and
the valid choices, so that a typo stops the run instead of quietly changing what it does
(an unknown ``--model`` used to fall through to the extractive engine with exit 0).

Light on purpose: the command modules import it at start-up; what it needs from the registry
and the transcript parsers is imported inside the functions.
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from minutes.errors import ConfigError, TranscriptError

if TYPE_CHECKING:
    from minutes.config import Settings

# The meeting date is a calendar day; anything else (a time, "tomorrow", 2025-2-3) is refused
# rather than guessed, since relative due dates resolve against it.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    listed = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f" (did you mean {listed}?)"


def check_model_choice(settings: Settings, model: str | None, provider: str | None) -> None:
    """``--model`` must name a chat model of the registry, ``--provider`` one of its
    providers, and the two must agree."""
    if model is None and provider is None:
        return
    from minutes.llm.registry import load_registry

    registry = load_registry(settings.models_file, settings.models)
    chat = {e.name: e for e in registry.chat_models()}
    providers = sorted({e.provider for e in chat.values()})
    if provider is not None and provider not in providers:
        raise ConfigError(
            f"--provider {provider!r} is not a provider of the model registry"
            f"{_did_you_mean(provider, providers)}; choose one of: {', '.join(providers)}"
        )
    if model is None:
        return
    if model not in chat:
        # Not `model in registry`: the registry raises its own error for an unknown name.
        if model in {e.name for e in registry.embedding_models()}:
            raise ConfigError(
                f"--model {model!r} is an embedding model; choose a chat model: "
                f"{', '.join(sorted(chat))}"
            )
        raise ConfigError(
            f"--model {model!r} is not in the model registry{_did_you_mean(model, chat)}; "
            f"choose one of: {', '.join(sorted(chat))} (`minutes models` lists them)"
        )
    if provider is not None and chat[model].provider != provider:
        raise ConfigError(
            f"--model {model!r} belongs to provider {chat[model].provider}, but --provider "
            f"is {provider!r}; drop one of them or make them agree"
        )


def check_format(value: str | None) -> str | None:
    """The canonical transcript format for ``--format`` (aliases such as ``webvtt`` allowed)."""
    if value is None:
        return None
    from minutes.transcripts import FORMATS
    from minutes.transcripts.detect import normalise_format

    try:
        return normalise_format(value)
    except TranscriptError:
        # The parser's own check says "transcript error" (exit 3); here it is a typo in an
        # option, a usage error.
        raise ConfigError(
            f"--format {value!r} is not a transcript format{_did_you_mean(value, FORMATS)}; "
            f"choose one of: {', '.join(FORMATS)}"
        ) from None


def check_timezone(value: str | None) -> str | None:
    """``--timezone`` must be an IANA name this system knows."""
    if value is None:
        return None
    import zoneinfo

    if value and not value.startswith(("/", ".")):
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder
            pass
        else:
            return value
    # There are about 600 names: suggest the nearest instead of listing them all.
    hint = _did_you_mean(value, zoneinfo.available_timezones())
    raise ConfigError(
        f"--timezone {value!r} is not an IANA timezone{hint}; give a name like "
        "Europe/Paris, America/New_York or UTC"
    )


def parse_date(value: str | None, option: str = "--date") -> dt.date | None:
    """A ``YYYY-MM-DD`` calendar date, or a message that says so in those words."""
    if value is None:
        return None
    text = value.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: {value} is not a date (YYYY-MM-DD)") from None


# errno → what it means for a transcript the user named, in their words.
_PATH_REASONS = {
    errno.ELOOP: "is a symlink loop (the link leads back to itself)",
    errno.EACCES: "cannot be read: permission denied",
    errno.EPERM: "cannot be read: permission denied",
    errno.ENOTDIR: "cannot be reached: a part of the path is a file, not a directory",
    errno.ENAMETOOLONG: "is too long a path",
}


def check_transcript_paths(paths: Iterable[Path]) -> None:
    """Every transcript path given must be a readable file or folder: what is wrong with one
    (missing, a broken link, a loop, permission denied, a FIFO) is a ``TranscriptError``."""
    for path in paths:
        try:
            info = path.stat()
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                if path.is_symlink():
                    raise TranscriptError(
                        f"{path} is a broken symlink: its target does not exist"
                    ) from None
                raise TranscriptError(f"no such transcript file or folder: {path}") from None
            reason = _PATH_REASONS.get(exc.errno or 0, f"cannot be read: {exc.strerror}")
            raise TranscriptError(f"{path} {reason}") from None
        if stat.S_ISDIR(info.st_mode):
            if not os.access(path, os.R_OK | os.X_OK):
                raise TranscriptError(f"cannot read the folder {path}: permission denied")
        elif not stat.S_ISREG(info.st_mode):
            # A FIFO or a device would block the run or never end.
            raise TranscriptError(f"{path} is not a regular file (a FIFO, socket or device)")
