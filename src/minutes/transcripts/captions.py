"""What WebVTT and SRT cues have in common: speakers inside cue text, and who speaks next.

A cue may hold several speakers (one ``Name:`` per line, or several ``<v>`` spans), so a cue
becomes one raw segment per speaker, each with the cue's times. A cue without any speaker mark
continues the previous cue's speaker: caption tools split one person's speech over many cues and
only label the change. Files with no speaker marks at all keep ``speaker=None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from minutes.transcripts.parsed import RawSegment
from minutes.transcripts.speakers import split_speaker


@dataclass(slots=True)
class Utterance:
    """Text from one cue attributed to one speaker, ``None`` when the cue does not say."""

    speaker: str | None
    text: str


def utterances_from_lines(lines: list[str], speaker: str | None = None) -> list[Utterance]:
    """Split cue lines on ``Name:`` prefixes; lines without one continue the current utterance.

    ``speaker`` is who the lines belong to before any prefix (a ``<v>`` voice, or nobody).
    """
    utterances: list[Utterance] = []
    for line in lines:
        label, text = split_speaker(line) if speaker is None else (None, line.strip())
        if label is not None:
            utterances.append(Utterance(label, text))
        elif utterances:
            utterances[-1].text = f"{utterances[-1].text} {text}"
        else:
            utterances.append(Utterance(speaker, text))
    return utterances


def cues_to_segments(cues: list[tuple[float, float, list[Utterance]]]) -> list[RawSegment]:
    """Raw segments from ``(start, end, utterances)`` cues, carrying the last speaker forward."""
    segments: list[RawSegment] = []
    last_speaker: str | None = None
    for start, end, utterances in cues:
        for utterance in utterances:
            speaker = utterance.speaker if utterance.speaker is not None else last_speaker
            last_speaker = speaker
            segments.append(RawSegment(speaker=speaker, text=utterance.text, start=start, end=end))
    return segments
