"""Schemathesis against the API's own OpenAPI 3.1 document (api.openapi()), once per
role, with the answers checked against what the document says: every status an
operation answers is one it documents, every body matches its schema (the result's
schema for a 2xx, the Error schema for a refusal), no 5xx.

Each role's document is fetched with that role's real token and run as a file with
``--url`` the API's, so that the run tests exactly what that role was told.

Checks, and the ones left out:

- ``not_a_server_error``, ``status_code_conformance``, ``response_schema_conformance``,
  ``content_type_conformance``, ``response_headers_conformance``, ``ignored_auth``: on.
- ``negative_data_rejection`` / ``positive_data_acceptance``: off. The document types
  arguments (a uuid, an int32 with its range) but not the business rules the functions
  enforce (a radius at most 100, a known category slug), so a schema-valid request is
  often refused with a documented 400, which positive_data_acceptance would call a
  failure; and PostgREST accepts some schema-invalid input that the API then refuses
  for another reason.
- ``unsupported_method``: off, as in tests/security/test_fuzz.py (nginx's TRACE 405).
- ``POST /rpc/logout`` is left out of the signed-in runs: it ends the session the run uses.

BOOKIJI_FUZZ_EXAMPLES (default 10 here) sets the examples per operation.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import fuzz, stack

EXAMPLES = int(os.environ.get("BOOKIJI_FUZZ_EXAMPLES", "10"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "ignored_auth",
)
ST = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def conformance_api(template_db: str) -> Iterator[stack.PostgREST]:
    """A PostgREST and nginx over a database of their own: the run writes junk."""
    with stack.api_over_scratch("bookiji_oas", template_db) as server:
        yield server


def _document(base_url: str, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = httpx.get(f"{base_url}/rpc/openapi", headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def _run(
    base_url: str,
    role: str,
    token: str | None,
    workdir: Path,
    doc: dict[str, Any] | None = None,
    *extra: str,
) -> tuple[int, int, str]:
    doc = doc or _document(base_url, token)
    path = workdir / f"openapi-{role}.json"
    path.write_text(json.dumps(doc))
    cmd = [
        str(ST),
        "run",
        str(path),
        "--url",
        base_url,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
    ]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}", "--exclude-path", "/rpc/logout"]
    cmd += extra
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    out = proc.stdout + proc.stderr
    ops = re.search(r"Tested:\s+(\d+)", out)
    return proc.returncode, int(ops.group(1)) if ops else 0, out


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("role", fuzz.ROLES)
def test_every_answer_conforms_to_the_roles_own_openapi_document(
    conformance_api: stack.PostgREST, role: str, tmp_path: Path
) -> None:
    tokens = fuzz.tokens(conformance_api.url, conformance_api.db_url)
    code, operations, out = _run(conformance_api.url, role, tokens[role], tmp_path)
    cases = re.search(r"(\d+) generated", out)
    print(
        f"{role}: {operations} operations x {EXAMPLES} examples, {cases and cases.group(1)} cases"
    )
    assert operations > 0, out[-3000:]
    assert code == 0, out[-15000:]


def test_the_run_fails_on_a_document_that_lies(
    conformance_api: stack.PostgREST, tmp_path: Path
) -> None:
    """The checks are live: a document that calls ping's answer a string fails the run."""
    doc = _document(conformance_api.url, None)
    get = doc["paths"]["/rpc/ping"]["get"]
    get["responses"]["200"]["content"]["application/json"]["schema"] = {"type": "string"}
    code, operations, out = _run(
        conformance_api.url, "anon", None, tmp_path, doc, "--include-path", "/rpc/ping"
    )
    assert operations > 0, out[-3000:]
    assert code != 0
    assert "Response violates schema" in out, out[-3000:]
