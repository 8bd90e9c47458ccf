"""A minimal valid reply for every pipeline prompt, for tests that only need a working LLM."""

from __future__ import annotations

import json

from minutes.testing import RecordedRequest


def scripted(req: RecordedRequest) -> str:
    text = "\n".join(m["content"] for m in req.messages if m["role"] == "user")
    if '"points"' in text:
        return json.dumps({"points": []})
    if '"items"' in text:
        return json.dumps({"items": []})
    if '"decisions"' in text:
        return json.dumps({"decisions": []})
    if '"priority"' in text:
        return json.dumps({"priority": "normal", "reason": "routine"})
    return "A short summary."
