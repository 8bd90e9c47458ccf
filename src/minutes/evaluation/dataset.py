"""Labelled datasets: a folder of transcripts with one labels file per meeting.

Layout (the AMI development set in ``../shared/data/ami-dev`` loads as it is)::

    my-set/
      dataset.toml             optional: name = "...", description = "..."
      README.md, LICENCE.txt   ignored (README*, LICENSE*, LICENCE*, NOTICE*, COPYING*)
      standup.vtt              a transcript in any supported format (.txt .vtt .srt .json)
      standup.labels.json      its labels
      ES2008a.json             AMI: the transcript ...
      ES2008a.labels.json      ... and its labels

A labels file (JSON)::

    {
      "meeting_id": "standup",                      optional; the file stem otherwise
      "title": "...", "date": "2025-03-11",         optional; passed to the transcript loader
      "timezone": "Europe/London", "style": "stand-up",   optional
      "summary": "reference summary",               required
      "tldr": "reference TL;DR",                    optional; else the summary is the reference
      "action_items": [{"action": "Send the deck to Lena", "assignee": "Maya Chen",
                        "due": "2025-03-14"}],
      "decisions": [{"decision": "Ship on Thursday", "evidence": [12, 14]}]
    }

``assignee`` and ``due`` may be absent (not labelled: the item does not count towards that
accuracy) or ``null`` (labelled as nobody / no date: a prediction must say the same). Other
fields (AMI's ``source``, ``license``, ``problems``) are kept and ignored. ``evidence``, on
an action item or decision, lists the indices (0-based) of the transcript file's entries that
say it (AMI's dialogue acts; see :mod:`minutes.evaluation.utterances`): when a labels file
carries it, the utterance-level figures are computed for that meeting. AMI's annotators
wrote ``*NA*`` or ``NA.`` where a meeting had no action items or decisions; such
placeholders are dropped, leaving the list empty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from minutes.errors import ConfigError
from minutes.transcripts import Transcript, load_transcript

TRANSCRIPT_SUFFIXES = (".txt", ".vtt", ".srt", ".json")
LABELS_SUFFIX = ".labels.json"
BUNDLED = ("dev",)
# Where the AMI development set sits in a checkout: ../shared/data/ami-dev beside the repo.
AMI_ENV = "MINUTES_AMI_DIR"
# Files a dataset folder may hold beside its meetings (AMI ships LICENCE.txt).
_NOT_MEETINGS = ("README", "LICENSE", "LICENCE", "NOTICE", "COPYING")
_PLACEHOLDER = re.compile(r"^[\s*.]*(n/?a|none)[\s*.]*$", re.IGNORECASE)


def ami_dir() -> Path:
    """The AMI development set: ``$MINUTES_AMI_DIR``, else ``../shared/data/ami-dev`` beside
    the repository this package is checked out in."""
    if env := os.environ.get(AMI_ENV):
        return Path(env)
    return Path(__file__).resolve().parents[4] / "shared" / "data" / "ami-dev"


def _is_placeholder(text: str) -> bool:
    return bool(_PLACEHOLDER.match(text))


class GoldActionItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    action: str = Field(min_length=1, description="the task, as the annotator wrote it")
    assignee: str | None = None
    due: dt.date | None = None
    evidence: list[int] | None = Field(
        None, description="indices of the transcript entries that say it; None: not labelled"
    )

    @property
    def assignee_labelled(self) -> bool:
        return "assignee" in self.model_fields_set

    @property
    def due_labelled(self) -> bool:
        return "due" in self.model_fields_set


class GoldDecision(BaseModel):
    model_config = ConfigDict(extra="allow")

    decision: str = Field(min_length=1)
    evidence: list[int] | None = Field(
        None, description="indices of the transcript entries that say it; None: not labelled"
    )


class MeetingLabels(BaseModel):
    model_config = ConfigDict(extra="allow")

    meeting_id: str | None = None
    title: str | None = None
    date: dt.date | None = None
    timezone: str | None = None
    style: str | None = None
    summary: str = Field(min_length=1)
    tldr: str | None = None
    action_items: list[GoldActionItem] = Field(default_factory=list)
    decisions: list[GoldDecision] = Field(default_factory=list)
    # Read from the file before placeholders are dropped: a meeting whose only items are
    # "*NA*" placeholders with "evidence": [] is still labelled at the utterance level (it
    # has no line to find), and must count as such.
    _evidence_labelled: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _note_evidence(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        labels = handler(data)
        if isinstance(data, dict):
            labels._evidence_labelled = any(
                isinstance(item, dict) and "evidence" in item
                for key in ("action_items", "decisions")
                for item in (data.get(key) or [])
            )
        return labels

    @property
    def evidence_labelled(self) -> bool:
        """Whether the file links items to transcript entries (``evidence``) at all."""
        return (
            self._evidence_labelled
            or any(a.evidence is not None for a in self.action_items)
            or any(d.evidence is not None for d in self.decisions)
        )

    @field_validator("action_items", mode="before")
    @classmethod
    def _drop_na_actions(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [
                v
                for v in value
                if not (isinstance(v, dict) and _is_placeholder(str(v.get("action", ""))))
            ]
        return value

    @field_validator("decisions", mode="before")
    @classmethod
    def _drop_na_decisions(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [
                v
                for v in value
                if not (isinstance(v, dict) and _is_placeholder(str(v.get("decision", ""))))
            ]
        return value

    @property
    def reference_tldr(self) -> str:
        return self.tldr or self.summary


class LabelledMeeting(BaseModel):
    id: str
    transcript_path: Path
    labels: MeetingLabels

    def load_transcript(self) -> Transcript:
        return load_transcript(
            self.transcript_path,
            title=self.labels.title,
            date=self.labels.date,
            timezone=self.labels.timezone,
        )


class Dataset(BaseModel):
    name: str
    description: str | None = None
    path: Path
    meetings: list[LabelledMeeting]
    content_hash: str = Field(description="sha256 of every transcript and labels file")

    def __iter__(self) -> Iterator[LabelledMeeting]:  # type: ignore[override]
        return iter(self.meetings)

    def __len__(self) -> int:
        return len(self.meetings)


def bundled_path(name: str) -> Path:
    folder = resources.files("minutes.evaluation").joinpath("datasets", name)
    return Path(str(folder))


def resolve_dataset_path(spec: str | Path) -> Path:
    """A dataset folder from a path, a bundled name (``dev``) or ``ami``."""
    text = str(spec)
    if text in BUNDLED and not Path(text).exists():
        return bundled_path(text)
    if text == "ami" and not Path(text).exists():
        return ami_dir()
    return Path(spec).expanduser()


def load_dataset(spec: str | Path, *, limit: int | None = None) -> Dataset:
    """Every labelled meeting of a dataset folder, in name order; ``limit`` keeps the first N.

    A transcript without a labels file, or labels without a transcript, is an error: a
    silently smaller dataset would give figures that look comparable and are not."""
    folder = resolve_dataset_path(spec)
    if not folder.is_dir():
        hint = f" (set {AMI_ENV})" if str(spec) == "ami" else ""
        raise ConfigError(f"dataset folder {folder} does not exist{hint}")
    manifest = _manifest(folder)
    labels_files = {p.name[: -len(LABELS_SUFFIX)]: p for p in folder.glob(f"*{LABELS_SUFFIX}")}
    transcripts: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.name.endswith(LABELS_SUFFIX) or p.suffix.lower() not in TRANSCRIPT_SUFFIXES:
            continue
        if p.stem.upper().startswith(_NOT_MEETINGS):
            continue
        if p.stem in transcripts:
            raise ConfigError(f"dataset {folder}: two transcripts for {p.stem!r}")
        transcripts[p.stem] = p
    if missing := sorted(transcripts.keys() - labels_files.keys()):
        raise ConfigError(f"dataset {folder}: no labels file for {', '.join(missing)}")
    if orphans := sorted(labels_files.keys() - transcripts.keys()):
        raise ConfigError(f"dataset {folder}: labels without a transcript: {', '.join(orphans)}")
    if not transcripts:
        raise ConfigError(f"dataset {folder} holds no labelled transcripts")

    stems = sorted(transcripts)
    name = str(manifest.get("name") or folder.name)
    if limit is not None and limit < len(stems):
        stems = stems[:limit]
        name = f"{name}[:{limit}]"  # figures on a subset must not pass for the whole set's
    digest = hashlib.sha256()
    meetings = []
    for stem in stems:
        labels = _labels(labels_files[stem])
        meetings.append(
            LabelledMeeting(
                id=labels.meeting_id or stem, transcript_path=transcripts[stem], labels=labels
            )
        )
        for f in (transcripts[stem], labels_files[stem]):
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    return Dataset(
        name=name,
        description=manifest.get("description"),
        path=folder,
        meetings=meetings,
        content_hash=digest.hexdigest(),
    )


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "dataset.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _labels(path: Path) -> MeetingLabels:
    try:
        return MeetingLabels.model_validate(json.loads(path.read_text("utf-8")))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
