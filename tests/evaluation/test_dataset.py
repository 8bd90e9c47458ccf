"""Datasets: the AMI folder loads as it is, the bundled dev set is complete and consistent with
its transcripts, and a malformed folder is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minutes.errors import ConfigError
from minutes.evaluation.dataset import ami_dir, load_dataset

# The shared data folder sits beside the repository (../shared), as in CI's clone;
# MINUTES_AMI_DIR overrides it (ami_dir() reads it).
AMI = ami_dir()


def test_ami_loads_as_it_is() -> None:
    ami = load_dataset(AMI)
    assert ami.name == "ami-dev" and len(ami) == 66
    by_id = {m.id: m for m in ami}
    # annotators wrote *NA* / NA. where a meeting had none: those are empty lists
    assert by_id["ES2003b"].labels.action_items == []
    assert by_id["ES2007d"].labels.decisions == []
    # 138 action items and 311 decisions in the files, less 10 and 3 placeholders
    assert sum(len(m.labels.action_items) for m in ami) == 128
    assert sum(len(m.labels.decisions) for m in ami) == 308
    first = by_id["ES2008a"].labels.action_items[0]
    assert first.action.startswith("The project manager will investigate")
    assert not first.assignee_labelled and not first.due_labelled  # AMI labels neither
    assert (by_id["ES2008a"].labels.model_extra or {})["license"] == "CC BY 4.0"  # kept
    transcript = by_id["IB4011"].load_transcript()
    assert len(transcript.segments) > 100


def test_the_bundled_dev_set_is_complete_and_consistent() -> None:
    dev = load_dataset("dev")
    assert dev.name == "dev" and len(dev) >= 12
    assert {m.transcript_path.suffix for m in dev} == {".txt", ".vtt", ".srt", ".json"}
    styles = {m.labels.style for m in dev}
    assert {"stand-up", "planning", "sales call", "incident review", "one-on-one"} <= styles
    words = []
    for m in dev:
        t = m.load_transcript()
        words.append(sum(len(s.text.split()) for s in t.segments))
        labels = m.labels
        assert labels.summary and labels.tldr and labels.date == t.date, m.id
        for item in labels.action_items:
            # every labelled owner is someone who spoke; no deadline precedes the meeting
            if item.assignee is not None:
                assert item.assignee in t.participants, (m.id, item.assignee)
            if item.due is not None:
                assert item.due >= labels.date, (m.id, item.action)
        assert all(d.decision.strip() for d in labels.decisions)
    assert min(words) < 200 and max(words) > 1000  # lengths vary tenfold
    assert any(not m.labels.action_items and not m.labels.decisions for m in dev)


def write_meeting(folder: Path, stem: str, labels: dict[str, object] | None) -> None:
    (folder / f"{stem}.txt").write_text("Ann: We will ship on Friday.\n")
    if labels is not None:
        (folder / f"{stem}.labels.json").write_text(json.dumps(labels))


def test_a_folder_with_our_labels_and_stray_files(tmp_path: Path) -> None:
    write_meeting(
        tmp_path,
        "b",
        {
            "summary": "Shipping Friday.",
            "action_items": [
                {"action": "Ship it", "assignee": None, "due": "2025-01-03"},
                {"action": "Tell sales"},
            ],
            "decisions": [{"decision": "Ship on Friday"}, {"decision": "*NA*"}],
        },
    )
    write_meeting(tmp_path, "a", {"summary": "Nothing.", "meeting_id": "first"})
    (tmp_path / "README.md").write_text("about this set")
    (tmp_path / "LICENCE.txt").write_text("CC BY 4.0")
    (tmp_path / "dataset.toml").write_text('name = "mine"\ndescription = "two meetings"\n')
    data = load_dataset(tmp_path)
    assert (data.name, data.description) == ("mine", "two meetings")
    assert [m.id for m in data] == ["first", "b"]
    ship, tell = data.meetings[1].labels.action_items
    assert ship.assignee_labelled and ship.assignee is None and ship.due_labelled
    assert not tell.assignee_labelled and not tell.due_labelled
    assert [d.decision for d in data.meetings[1].labels.decisions] == ["Ship on Friday"]
    assert data.meetings[1].labels.reference_tldr == "Shipping Friday."

    subset = load_dataset(tmp_path, limit=1)
    assert subset.name == "mine[:1]" and len(subset) == 1
    assert subset.content_hash != data.content_hash


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: write_meeting(d, "a", None), "no labels file for a"),
        (
            lambda d: (d / "gone.labels.json").write_text('{"summary": "x"}'),
            "labels without a transcript: gone",
        ),
        (lambda d: write_meeting(d, "a", {"action_items": []}), "summary: Field required"),
        (
            lambda d: (write_meeting(d, "x", None), (d / "x.labels.json").write_text("{")),
            "not valid JSON",
        ),
        (lambda d: None, "holds no labelled transcripts"),
    ],
)
def test_malformed_folders_are_clear_errors(tmp_path: Path, setup: object, message: str) -> None:
    setup(tmp_path)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message):
        load_dataset(tmp_path)


def test_a_missing_folder_names_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINUTES_AMI_DIR", "/nowhere/ami")
    with pytest.raises(ConfigError, match="MINUTES_AMI_DIR"):
        load_dataset("ami")
