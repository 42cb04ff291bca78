"""The error registry in SQL and docs/errors.md agree, and internal.fail maps codes to statuses."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest

from bookiji import deploy
from bookiji.config import ROOT


def _documented() -> dict[str, int]:
    rows = re.findall(
        r"^\| ([a-z_]+) \| (\d{3}) \|", (ROOT / "docs" / "errors.md").read_text(), re.M
    )
    return {code: int(status) for code, status in rows}


def test_every_registered_code_is_documented_with_the_same_status(
    db: psycopg.Connection[Any],
) -> None:
    registered = {
        code: status for code, status, _ in db.execute("select * from internal.error_codes()")
    }
    assert registered == _documented()


def test_fail_raises_the_pt_status_with_the_code_in_hint(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.Error) as err:
        db.execute("select internal.fail('not_found', 'no such booking')")
    assert err.value.sqlstate == "PT404"
    assert err.value.diag.message_primary == "no such booking"
    assert err.value.diag.message_hint == "not_found"


def test_an_unregistered_code_is_a_bug_not_a_client_error(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.RaiseException):
        db.execute("select internal.fail('no_such_code', 'x')")


def test_the_gateways_copy_of_the_constraint_registry_is_fresh(db_url: str) -> None:
    # db/schema.sql (which this database is loaded from) is itself checked against a
    # fresh deploy in tests/db/test_deploy.py
    committed = deploy.CONSTRAINT_ERRORS_JS.read_text()
    assert deploy.constraint_errors_js(db_url) == committed, (
        "gateway/constraint_errors.js is stale: run `make db-dump` and commit it"
    )


def test_the_gateways_list_of_rpc_arguments_is_fresh(db_url: str) -> None:
    committed = deploy.RPC_ARGUMENTS_JS.read_text()
    assert deploy.rpc_arguments_js(db_url) == committed, (
        "gateway/rpc_arguments.js is stale: run `make db-dump` and commit it"
    )
