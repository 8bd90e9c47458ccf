"""The evaluation harness: labelled datasets, metrics, the runner and its report.

dataset = load_dataset("dev")                      # or a folder, or "ami"
run = await evaluate(dataset, similarity=..., similarity_name=..., prompts=load_library())
print(to_markdown(run))
"""

from minutes.evaluation.dataset import Dataset, LabelledMeeting, MeetingLabels, load_dataset
from minutes.evaluation.metrics import PRF, Rate, Rouge, Similarity, match_items, rouge
from minutes.evaluation.runner import DEFAULT_THRESHOLD, EvalRun, MeetingResult, evaluate

__all__ = [
    "DEFAULT_THRESHOLD",
    "PRF",
    "Dataset",
    "EvalRun",
    "LabelledMeeting",
    "MeetingLabels",
    "MeetingResult",
    "Rate",
    "Rouge",
    "Similarity",
    "evaluate",
    "load_dataset",
    "match_items",
    "rouge",
]
