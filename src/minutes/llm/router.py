"""Model selection: by task type, complexity, cost ceiling and provider, among available models.

``select_model`` answers "which model for this kind of work?"; ``chain`` answers "which models,
in which order, for this call?" (the preferred one, then the configured fallback chain), with
unavailable models and models whose context window the prompt does not fit left out before
any call is made.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from minutes.config import RouterSettings, TaskRoute
from minutes.errors import (
    ContextTooLong,
    NoModelAvailable,
)
from minutes.llm.providers.availability import Availability
from minutes.llm.registry import TIER_RANK, ModelEntry, Registry

log = logging.getLogger(__name__)
R = TypeVar("R")


class Router:
    def __init__(
        self,
        registry: Registry,
        settings: RouterSettings,
        availability: Mapping[str, Availability],
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.availability = dict(availability)

    def is_available(self, name: str) -> bool:
        a = self.availability.get(name)
        return bool(a and a.available)

    def available_chat_models(self) -> list[ModelEntry]:
        return [e for e in self.registry.chat_models() if self.is_available(e.name)]

    def task_route(self, task: str) -> TaskRoute | None:
        return self.settings.tasks.get(task)

    def select_model(
        self,
        task_type: str,
        complexity: str = "moderate",
        max_cost: Decimal | None = None,
        require_provider: str | None = None,
        *,
        prompt_tokens: int = 0,
        output_tokens: int = 0,
    ) -> ModelEntry:
        """The best available model for the work.

        Candidates: available, auto-routable chat models of ``require_provider`` (when given)
        whose tier handles ``complexity``, whose input+output price per 1K is within
        ``max_cost`` and whose context window fits the prompt. Ranked by: strong at
        ``task_type`` first, then the tier closest to the need (no opus for a simple job),
        then price. When nothing fits the complexity or the cost ceiling, the cheapest
        available model that fits the context is chosen instead.
        """
        pool = [e for e in self.available_chat_models() if e.auto_route]
        if require_provider:
            pool = [e for e in pool if e.provider == require_provider]
            if not pool:
                raise NoModelAvailable(
                    f"no available model from provider {require_provider!r}"
                    f"{self._why_unavailable(require_provider)}"
                )
        if not pool:
            raise NoModelAvailable(f"no LLM is available{self._why_unavailable()}")
        fitting = [e for e in pool if _fits(e, prompt_tokens, output_tokens)]
        if not fitting:
            raise ContextTooLong(
                f"a prompt of {prompt_tokens} tokens fits no available model "
                f"(largest window: {max(e.context_window for e in pool)})"
            )
        need = TIER_RANK[complexity]
        candidates = [
            e
            for e in fitting
            if e.handles(complexity) and (max_cost is None or e.price_per_1k <= max_cost)
        ]
        if not candidates:
            cheapest = min(fitting, key=lambda e: (e.price_per_1k, e.name))
            log.info(
                "no model fits %s/%s within %s; using the cheapest available, %s",
                task_type,
                complexity,
                max_cost,
                cheapest.name,
            )
            return cheapest
        return min(
            candidates,
            key=lambda e: (
                task_type not in e.strengths,
                TIER_RANK[e.tier] - need,
                e.price_per_1k,
                e.name,
            ),
        )

    def chain(
        self,
        task: str,
        *,
        model: str | None = None,
        task_type: str | None = None,
        complexity: str | None = None,
        max_cost: Decimal | None = None,
        require_provider: str | None = None,
        prompt_tokens: int = 0,
        output_tokens: int = 0,
    ) -> list[ModelEntry]:
        """Models to try, in order, for one call of ``task``.

        The head is ``model`` when named, else the task map's model when it is available and
        fits, else ``select_model``'s choice; the configured fallback chain follows. Every
        member is available and fits the context; ``require_provider`` and ``max_cost`` are
        the caller's limits and bind the fallbacks too.
        """
        route = self.task_route(task)
        task_type = task_type or (route.task_type if route else "summarization")
        complexity = complexity or (route.complexity if route else "moderate")

        def allowed(e: ModelEntry) -> bool:
            return (
                e.kind == "chat"
                and self.is_available(e.name)
                and _fits(e, prompt_tokens, output_tokens)
                and (require_provider is None or e.provider == require_provider)
                and (max_cost is None or e.price_per_1k <= max_cost)
            )

        ordered: list[ModelEntry] = []
        if model is not None:
            named = self.registry[model]
            if not self.is_available(named.name):
                why = self.availability.get(named.name, Availability(False, "unknown")).reason
                raise NoModelAvailable(f"model {model!r} is not available: {why}")
            if not _fits(named, prompt_tokens, output_tokens):
                raise ContextTooLong(
                    f"a prompt of {prompt_tokens} tokens does not fit {model!r} "
                    f"({named.context_window} tokens)"
                )
            ordered.append(named)
        else:
            head: ModelEntry | None = None
            if route is not None and route.model in self.registry:
                preferred = self.registry[route.model]
                if allowed(preferred) and preferred.handles(complexity):
                    head = preferred
            if head is None:
                head = self.select_model(
                    task_type,
                    complexity,
                    max_cost,
                    require_provider,
                    prompt_tokens=prompt_tokens,
                    output_tokens=output_tokens,
                )
            ordered.append(head)
        for name in self.settings.fallback_chain:
            if name not in self.registry:
                log.warning("fallback chain names unknown model %r; skipped", name)
                continue
            entry = self.registry[name]
            if allowed(entry) and entry not in ordered:
                ordered.append(entry)
        return ordered

    def _why_unavailable(self, provider: str | None = None) -> str:
        reasons = [
            f"{e.name}: {self.availability[e.name].reason}"
            for e in self.registry.chat_models()
            if e.name in self.availability
            and not self.availability[e.name].available
            and (provider is None or e.provider == provider)
        ]
        return f" ({'; '.join(reasons)})" if reasons else ""


def _fits(entry: ModelEntry, prompt_tokens: int, output_tokens: int) -> bool:
    reserve = min(output_tokens or entry.max_output_tokens, entry.max_output_tokens)
    return prompt_tokens + reserve <= entry.context_window
