"""Schemathesis against PostgREST's own OpenAPI, once per role: no input gives a 5xx.

CI size by default (BOOKIJI_FUZZ_EXAMPLES=20 per operation); ``make fuzz``
(scripts/fuzz.sh) runs it with 100 or more."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers import fuzz, stack

EXAMPLES = int(os.environ.get("BOOKIJI_FUZZ_EXAMPLES", "20"))


@pytest.fixture(scope="module")
def fuzz_api(template_db: str) -> Iterator[stack.PostgREST]:
    """A PostgREST and nginx over a database of their own: the fuzzer writes junk."""
    with stack.api_over_scratch("bookiji_fuzz", template_db) as server:
        yield server


@pytest.mark.timeout(3600)
def test_no_generated_request_gets_a_server_error_for_any_role(
    fuzz_api: stack.PostgREST,
) -> None:
    tokens = fuzz.tokens(fuzz_api.url, fuzz_api.db_url)
    results = [fuzz.run(fuzz_api.url, role, tokens[role], EXAMPLES) for role in fuzz.ROLES]
    line = fuzz.summary(results, EXAMPLES)
    print(line)
    for r in results:
        assert r.operations > 0, r.output[-3000:]
        assert r.returncode == 0, f"{r.role}:\n{r.output[-12000:]}"
    assert "0 server errors" in line
