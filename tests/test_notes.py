"""The published JSON Schema of MeetingNotes (schema/meeting_notes.schema.json) is the one the
code produces: regenerate it with
``python -c "import json; from minutes.notes import MeetingNotes;
print(json.dumps(MeetingNotes.model_json_schema(mode='serialization'), indent=2))"``."""

import json
from pathlib import Path

from minutes.notes import MeetingNotes

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "meeting_notes.schema.json"


def test_published_schema_matches_the_model() -> None:
    published = json.loads(SCHEMA.read_text())
    assert published == MeetingNotes.model_json_schema(mode="serialization")


def test_schema_names_every_field_a_consumer_needs() -> None:
    props = json.loads(SCHEMA.read_text())["properties"]
    for field in (
        "tldr",
        "narrative",
        "key_points",
        "action_items",
        "decisions",
        "engine",
        "degraded",
        "provenance",
    ):
        assert field in props
    defs = json.loads(SCHEMA.read_text())["$defs"]
    assert {"task", "assignee", "due_date", "priority", "sources", "grounded"} <= set(
        defs["ActionItem"]["properties"]
    )
