"""Run the extractive engine on every AMI meeting and print counts and wall time per meeting.

    python bench/extractive_ami.py [AMI_DIR] [--show MEETING_ID ...]

AMI_DIR defaults to ../shared/data/ami-dev next to the repository. ``--show`` prints the
action items and decisions found for a meeting next to the human labels, to judge quality
by eye; there is no scoring here (that is the evaluation harness's job).

Transcripts are read as the corpus ships them (one row per dialogue act) and consecutive
rows of the same speaker are merged into one turn, as the JSON parser does.
AMI Meeting Corpus, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from minutes.extractive import summarize_extractive
from minutes.notes import MeetingNotes
from minutes.transcripts.models import Segment, Transcript

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "ami-dev"


def load_ami(path: Path) -> Transcript:
    """One AMI meeting, consecutive same-speaker rows merged into one segment."""
    merged: list[dict[str, object]] = []
    for row in json.loads(path.read_text()):
        if merged and row["speaker"] and merged[-1]["speaker"] == row["speaker"]:
            merged[-1]["text"] = f"{merged[-1]['text']} {row['text']}"
            merged[-1]["end"] = row["end"]
        else:
            merged.append(dict(row))
    segments = [Segment(index=i, **m) for i, m in enumerate(merged)]  # type: ignore[arg-type]
    return Transcript(segments=segments, source_format="json", source_name=path.stem)


def show(meeting_id: str, notes: MeetingNotes, labels: dict[str, object]) -> None:
    """The engine's action items and decisions next to the annotators'."""
    print(f"\n=== {meeting_id}: action items found ({len(notes.action_items)})")
    for a in notes.action_items:
        due = f", due {a.due_date or a.due_text}" if (a.due_date or a.due_text) else ""
        print(f"  - [{a.assignee or 'unassigned'}] {a.task} ({a.priority}{due})")
        for s in a.sources:
            print(f"      #{s.segment} {s.speaker}: “{s.quote}”")
    print(f"--- {meeting_id}: gold action items")
    for g in labels.get("action_items", []):  # type: ignore[union-attr]
        print(f"  * {g['action']}")
    print(f"--- {meeting_id}: decisions found ({len(notes.decisions)})")
    for d in notes.decisions:
        why = f" — because {d.rationale}" if d.rationale else ""
        print(f"  - {d.decision}{why} [by {', '.join(d.decided_by) or '?'}]")
    print(f"--- {meeting_id}: gold decisions")
    for g in labels.get("decisions", []):  # type: ignore[union-attr]
        print(f"  * {g['decision']}")
    print(f"--- {meeting_id}: key points")
    for k in notes.key_points:
        print(f"  - {k.sources[0].speaker if k.sources else '?'}: {k.text}")
    print(f"--- {meeting_id}: TL;DR\n{notes.tldr}\n--- narrative\n{notes.narrative}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ami_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--show", nargs="*", default=[], metavar="MEETING_ID")
    args = parser.parse_args()

    files = sorted(p for p in args.ami_dir.glob("*.json") if not p.name.endswith(".labels.json"))
    if not files:
        raise SystemExit(f"no AMI transcripts in {args.ami_dir}")

    header = f"{'meeting':<9} {'segs':>5} {'words':>6} {'kp':>3} {'ai':>3} "
    header += f"{'dec':>3} {'prio':<6} {'ms':>7}"
    print(header)
    print("-" * len(header))
    times: list[float] = []
    totals = {"ai": 0, "dec": 0, "gold_ai": 0, "gold_dec": 0}
    shown: dict[str, tuple[MeetingNotes, dict[str, object]]] = {}
    for path in files:
        transcript = load_ami(path)
        started = time.perf_counter()
        notes = summarize_extractive(transcript)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        words = sum(len(s.text.split()) for s in transcript.segments)
        print(
            f"{path.stem:<9} {len(transcript.segments):>5} {words:>6} {len(notes.key_points):>3} "
            f"{len(notes.action_items):>3} {len(notes.decisions):>3} {notes.priority:<6} "
            f"{elapsed:>7.1f}"
        )
        labels_path = path.with_name(f"{path.stem}.labels.json")
        labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
        totals["ai"] += len(notes.action_items)
        totals["dec"] += len(notes.decisions)
        # Annotators wrote "*NA*" / "NA." where there were none.
        totals["gold_ai"] += sum(
            1 for g in labels.get("action_items", []) if "NA" not in g["action"][:4]
        )
        totals["gold_dec"] += sum(
            1 for g in labels.get("decisions", []) if "NA" not in g["decision"][:4]
        )
        if path.stem in args.show:
            shown[path.stem] = (notes, labels)

    print("-" * len(header))
    print(
        f"{len(files)} meetings: {totals['ai']} action items found ({totals['gold_ai']} labelled), "
        f"{totals['dec']} decisions found ({totals['gold_dec']} labelled)"
    )
    print(
        f"wall time per meeting: median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms, total {sum(times) / 1000:.2f} s"
    )
    for meeting_id, (notes, labels) in shown.items():
        show(meeting_id, notes, labels)


if __name__ == "__main__":
    main()
