"""The eval harness compares one pass per chunk with the stage prompts: same dataset, same
model, same scoring; the one-pass prompt is credited once, with the figures of what it
extracts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from evaluation.test_eval_runner import exact, model, write_dataset
from minutes.evaluation.dataset import load_dataset
from minutes.evaluation.records import records_of
from minutes.evaluation.report import to_markdown
from minutes.evaluation.runner import EvalRun, evaluate
from minutes.pipeline.options import PipelineOptions
from minutes.prompts import load_library
from minutes.testing import RecordedRequest, Reply

ONE_PASS_MARKER = "the key points, the action items and the decisions of the part"


def one_pass_model(req: RecordedRequest) -> Reply:
    """``model``'s answers; to the one-pass prompt, its three per-chunk answers together."""
    system = "\n".join(m["content"] for m in req.messages if m["role"] == "system")
    if ONE_PASS_MARKER not in system:
        return model(req)
    user = "\n".join(m["content"] for m in req.messages if m["role"] == "user")

    def answer(marker: str) -> dict[str, object]:
        asked = dataclasses.replace(
            req, messages=[{"role": "user", "content": f"{user}\n{marker}"}]
        )
        content = model(asked).content
        assert isinstance(content, str)
        return json.loads(content)

    notes = {
        **answer("most important points"),
        **answer("List every action item"),
        **answer("List the decisions made"),
    }
    return Reply(content=json.dumps(notes), input_tokens=1000, output_tokens=100)


async def _run(make_gateway, fake_server, folder: Path, extraction: str) -> EvalRun:
    fake_server.reset()
    fake_server.default_reply = one_pass_model
    return await evaluate(
        load_dataset(folder),
        similarity=exact,
        similarity_name="exact text",
        threshold=0.5,
        options=PipelineOptions(model="gpt-4-turbo", extraction=extraction),  # type: ignore[arg-type]
        gateway=make_gateway(router={"fallback_chain": []}),
        prompts=load_library(selected={"action_item_extraction": "2.0"}),
        concurrency=2,
    )


async def test_one_pass_and_stages_on_the_same_dataset_and_model(
    make_gateway, fake_server, tmp_path: Path
) -> None:
    folder = write_dataset(tmp_path / "set")
    stages = await _run(make_gateway, fake_server, folder, "stages")
    assert fake_server.calls() == 12  # map, actions, decisions, narrative, TL;DR, priority × 2
    one_pass = await _run(make_gateway, fake_server, folder, "one-pass")
    assert fake_server.calls() == 8  # one pass, narrative, TL;DR, priority × 2

    # the same answers give the same figures, for less
    assert one_pass.summary.action_items == stages.summary.action_items
    assert one_pass.summary.decisions == stages.summary.decisions
    assert one_pass.summary.narrative == stages.summary.narrative
    assert one_pass.summary.cost_usd_total < stages.summary.cost_usd_total
    assert (stages.extraction, one_pass.extraction) == ("stages", "one-pass")
    assert "extraction: one-pass" in to_markdown(one_pass)

    used = [(u.name, u.version) for u in one_pass.prompts_used]
    assert used.count(("chunk_notes", "1.0")) == 1
    assert not {"key_points_map", "action_item_extraction", "decision_extraction"} & {
        name for name, _ in used
    }
    row = next(r for r in records_of(one_pass, run_id="r1") if r.prompt_name == "chunk_notes")
    figures = row.metrics["figures"]
    assert figures["action_items.f1"] == stages.summary.action_items.f1
    assert figures["decisions.f1"] == stages.summary.decisions.f1
    assert "grounding.rate" in figures and row.metrics["extraction"] == "one-pass"
