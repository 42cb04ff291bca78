"""The benchmark tests' database: a fresh one from the template, dropped afterwards with
the scenario datasets a test may have made next to it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.helpers import stack


@pytest.fixture
def bench_db(template_db: str) -> Iterator[str]:
    name = f"bookiji_bench_{uuid.uuid4().hex[:8]}"
    url = stack.create_db(name, template_db)
    try:
        yield url
    finally:
        stack.drop_db(name)
        stack.drop_db("bookiji_bench_p30")  # the mixed scenario's dataset (if any)
