"""The benchmark tests' database: a fresh one from the template, dropped afterwards with
the scenario datasets a test may have made next to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import stack


@pytest.fixture
def bench_db(template_db: str) -> Iterator[str]:
    try:
        with stack.scratch_database("bookiji_bench", template_db) as db:
            yield db.url
    finally:
        stack.drop_db("bookiji_bench_p30")  # the mixed scenario's dataset (if any)
