"""Types the extractive tests share with their conftest.

A module of its own, with a name no other test folder uses: ``from conftest import …``
finds whichever ``conftest`` pytest imported last, which is another folder's when several
folders are collected in one run (``pytest tests/extractive tests/pipeline``).
"""

from __future__ import annotations

from collections.abc import Callable

from minutes.transcripts.models import Transcript

MakeTranscript = Callable[..., Transcript]
