"""minutes: meeting intelligence. Transcripts in, grounded structured notes out.

import minutes
notes = minutes.summarize("meeting.vtt")
print(notes.tldr)
"""

from minutes.api import asummarize, summarize
from minutes.errors import MinutesError
from minutes.llm.gateway import Gateway
from minutes.notes import ActionItem, Decision, KeyPoint, MeetingNotes
from minutes.render import to_markdown

__all__ = [
    "ActionItem",
    "Decision",
    "Gateway",
    "KeyPoint",
    "MeetingNotes",
    "MinutesError",
    "asummarize",
    "summarize",
    "to_markdown",
]
