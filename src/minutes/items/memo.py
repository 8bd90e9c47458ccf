"""A small bounded memo (least recently used first out) that is safe under threads.

The extractive engine and grounding keep the last few transcripts' sentences and quote
indexes; the pipeline runs them from ``asyncio.to_thread`` workers, several at once. A bare
``OrderedDict`` there races: one thread evicts the key another has just found, and its
``move_to_end`` raises ``KeyError``. One lock around each lookup-or-insert closes that.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """``get_or_make(key, make)``: the value kept for ``key``, else ``make()`` kept for it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        # Made outside the lock: making is the slow part, and two threads making the same
        # value at once only wastes work.
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
