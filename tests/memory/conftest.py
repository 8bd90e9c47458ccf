"""Fixtures of the memory tests."""

from __future__ import annotations

import pytest

from minutes.store.db import Store
from stored_examples import store_examples


@pytest.fixture
def examples_in(store: Store) -> dict[str, str]:
    return store_examples(store)
