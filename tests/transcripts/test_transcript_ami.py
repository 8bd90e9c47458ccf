"""The AMI development meetings load as they are.

Data: ``data/ami-dev`` from the AMI Meeting Corpus, licensed CC BY 4.0.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from minutes.tokens import count_tokens
from minutes.transcripts import load_transcript
from minutes.transcripts.normalise import MAX_TURN_TOKENS, clean_text

# The shared data folder sits beside the repository (../shared), as in CI's clone.
AMI = Path(
    os.environ.get("MINUTES_AMI_DIR") or Path(__file__).resolve().parents[3] / "shared/data/ami-dev"
)
FILES = sorted(p for p in AMI.glob("*.json") if not p.name.endswith(".labels.json"))
ROLES = {"Project Manager", "Industrial Designer", "User Interface Designer", "Marketing Expert"}


def test_all_66_meetings_are_there() -> None:
    # The folder grew from 38 to 66 meetings (2026-12); the first 38 are all still there.
    assert len(FILES) == 66, f"expected the 66 AMI meetings in {AMI}"
    assert {"ES2008a", "IB4011", "ES2003b", "ES2007d"} <= {p.stem for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_ami_meeting_loads(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    t = load_transcript(path)
    assert t.source_format == "json"
    assert t.source_name == path.name
    assert t.title == path.stem
    assert [s.index for s in t.segments] == list(range(len(t.segments)))
    # Turns merge consecutive acts of one speaker, so there are fewer, and no words are lost.
    assert 0 < len(t.segments) <= len(raw)
    assert " ".join(s.text for s in t.segments) == " ".join(
        clean_text(item["text"]) for item in raw if clean_text(item["text"])
    )
    assert all(s.start is not None and s.end is not None and s.end >= s.start for s in t.segments)
    speakers = {item["speaker"] for item in raw}
    if speakers == {None}:  # IB4011 has no speaker labels: nothing is merged
        assert t.participants == []
        assert len(t.segments) == len(raw)
    else:
        assert set(t.participants) == ROLES
        assert len(t.segments) < len(raw)
        # Neighbours share a speaker only where the first turn reached the merge cap.
        longest_act = max(count_tokens(item["text"]) for item in raw)
        for a, b in itertools.pairwise(t.segments):
            if a.speaker == b.speaker:
                assert count_tokens(a.text) + longest_act > MAX_TURN_TOKENS
