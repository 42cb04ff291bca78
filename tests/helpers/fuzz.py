"""Schemathesis against PostgREST's own OpenAPI (Swagger 2.0 at GET /), once per role.

Each role runs ``st run`` as a real process with a real token of a real user of
the API's database. The checks, and why these:

- ``not_a_server_error``: the point — no input may produce a 5xx.
- ``response_headers_conformance``: no declared header is missing or malformed.
- ``ignored_auth``: an operation that fails with our token is not open without one.

Left out, on purpose: ``content_type_conformance`` (it flags PostgREST's 204 answers,
which carry no body and so no Content-Type, as RFC 9110 allows), ``unsupported_method``
(it wants an ``Allow`` header on nginx's built-in 405 for TRACE, not a safety issue),
``status_code_conformance`` and ``response_schema_conformance``
(PostgREST's generated Swagger documents only its 2xx answers, so every refusal would
be "undocumented"; tests/security/test_openapi_conformance.py runs them against the
API's own OpenAPI 3.1 document, api.openapi(), which documents the refusals),
``negative_data_rejection``/``positive_data_acceptance`` (the generated schema types
filters and RPC arguments loosely as strings and declares no constraints, so the
validity it assumes is not the API's), the stateful checks (PostgREST publishes no
links between operations).

``POST /rpc/logout`` is left out of the authenticated runs: it ends the session whose
token the rest of the run uses (logout has its own tests in tests/api/test_accounts.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from tests.helpers import api as api_helper
from tests.helpers import auth
from tests.helpers.factories import create_user

ROLES = ("anon", "customer", "provider", "ops")
CHECKS = (
    "not_a_server_error",
    "response_headers_conformance",
    "ignored_auth",
)
ST = Path(sys.executable).with_name("st")


@dataclass
class Result:
    role: str
    operations: int
    cases: int
    returncode: int
    output: str

    @property
    def server_errors(self) -> int:
        return len(re.findall(r"Server error", self.output))


def tokens(base_url: str, db_url: str) -> dict[str, str | None]:
    """A token per role, each of a real user of the API's database (ops has no sign-up)."""
    customer = api_helper.signup(base_url, "customer")
    provider = api_helper.signup(base_url, "provider")
    with psycopg.connect(db_url, autocommit=True) as db:
        ops = create_user(db, "ops")
    return {
        "anon": None,
        "customer": customer.access_token,
        "provider": provider.access_token,
        "ops": auth.mint("ops", ops),
    }


def run(base_url: str, role: str, token: str | None, examples: int, **env: Any) -> Result:
    cmd = [
        str(ST),
        "run",
        f"{base_url}/",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(examples),
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
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **env}, timeout=1800, check=False
    )
    out = proc.stdout + proc.stderr
    ops = re.search(r"Tested:\s+(\d+)", out)
    cases = re.search(r"(\d+) generated", out)
    return Result(
        role,
        int(ops.group(1)) if ops else 0,
        int(cases.group(1)) if cases else 0,
        proc.returncode,
        out,
    )


def summary(results: list[Result], examples: int) -> str:
    ops = sum(r.operations for r in results)
    cases = sum(r.cases for r in results)
    errors = sum(r.server_errors for r in results)
    per_role = ", ".join(f"{r.role} {r.operations}" for r in results)
    return (
        f"schemathesis: {ops} operations ({per_role}) x {examples} examples "
        f"x {len(results)} roles = {cases} cases, {errors} server errors"
    )
