"""What one running service holds: its settings, its store (opened on first need, so that a
service started while the database is down comes up and answers 503 until it is back), and
where its jobs run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from minutes.config import Settings
from minutes.store.db import Store, open_store

if TYPE_CHECKING:
    from minutes.service.runners import JobRunner


@dataclass
class ServiceState:
    settings: Settings
    runner: JobRunner | None = None
    _store: Store | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def store(self) -> Store:
        """The open store; ``StoreError`` (503) while it cannot be opened."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings.database_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
