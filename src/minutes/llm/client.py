"""What the pipeline (and anything above the gateway) calls: a small protocol, so that callers
depend on the calls they make rather than on the concrete ``Gateway``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from minutes.config import Settings
    from minutes.llm.calls import LLMRequest, LLMResult
    from minutes.llm.registry import ModelEntry

T = TypeVar("T", bound=BaseModel)


class LLMClient(Protocol):
    """Routing, caches, budget, retries, breaker, fallback and validation behind five calls."""

    settings: Settings

    @property
    def batched(self) -> bool:
        """Whether calls wait for the providers' Batch APIs (then a stage's calls must all be
        queued before any is answered)."""
        ...

    async def any_chat_model_available(self) -> bool: ...

    async def plan(
        self, request: LLMRequest, *, schema: type[BaseModel] | None = None
    ) -> list[ModelEntry]: ...

    async def complete(self, request: LLMRequest) -> LLMResult[str]: ...

    async def structured(self, request: LLMRequest, schema: type[T]) -> LLMResult[T]: ...

    async def embed_text(
        self, text: str, *, model: str | None = None
    ) -> tuple[ModelEntry, list[float]]: ...
