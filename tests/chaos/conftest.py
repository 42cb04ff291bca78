"""Fixtures shared by the chaos tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.throwaway import Throwaway, throwaway_cluster


@pytest.fixture
def throwaway() -> Iterator[Throwaway]:
    """A PostgreSQL cluster of the test's own, to restart and kill (tests/helpers/throwaway.py)."""
    with throwaway_cluster() as t:
        yield t
