from __future__ import annotations

import pytest
from scripted import make_transcript

from minutes.transcripts.models import Transcript


@pytest.fixture
def transcript() -> Transcript:
    return make_transcript()
