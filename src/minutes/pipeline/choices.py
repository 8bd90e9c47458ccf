"""The choices a run offers, as plain literals: the CLI builds its options from these without
importing pydantic or the pipeline."""

from typing import Literal

Strategy = Literal["map_reduce", "refine", "stuff"]
EngineChoice = Literal["auto", "llm", "extractive"]
Extraction = Literal["one-pass", "stages"]
