"""The write limit per identity (auth.rate_limited): a GCRA row per identity, and the sweep."""

from __future__ import annotations

import json
import threading
from typing import Any

import psycopg
import pytest

from tests.helpers import waiting


def test_the_limit_passes_at_once_then_refuses_with_the_wait_for_the_next_write(
    db: psycopg.Connection[Any],
) -> None:
    with db.transaction():  # now() is the same for every call: the arithmetic is exact
        for _ in range(3):
            db.execute("select auth.rate_limited('sub:gcra-test', 3)")
        with pytest.raises(psycopg.Error) as err, db.transaction():
            db.execute("select auth.rate_limited('sub:gcra-test', 3)")
    assert err.value.sqlstate == "PGRST"
    message = json.loads(err.value.diag.message_primary or "{}")
    detail = json.loads(err.value.diag.message_detail or "{}")
    assert (message["code"], message["hint"]) == ("PT429", "rate_limited")
    assert "at most 3 writes a minute" in message["message"]
    # three writes at 3 a minute fill the minute: the next is due 60 / 3 seconds later
    assert detail == {"status": 429, "headers": {"Retry-After": "20"}}


def test_another_identity_has_its_own_budget_and_one_row_each(
    db: psycopg.Connection[Any],
) -> None:
    for _ in range(2):
        db.execute("select auth.rate_limited('sub:gcra-a', 2)")
    db.execute("select auth.rate_limited('sub:gcra-b', 2)")
    rows = db.execute(
        "select bucket, count(*) from auth.rate_limits where bucket like 'sub:gcra-%' "
        "group by bucket order by bucket"
    ).fetchall()
    assert rows == [("sub:gcra-a", 1), ("sub:gcra-b", 1)]


def test_the_sweep_drops_limit_rows_in_the_past_and_skips_one_a_request_holds(
    db: psycopg.Connection[Any],
) -> None:
    db.execute(
        "insert into auth.rate_limits (bucket, tat) values "
        "('sub:past', now() - interval '1 second'), ('sub:held', now() - interval '1 second'), "
        "('sub:future', now() + interval '30 seconds')"
    )
    holder = psycopg.connect(db.info.dsn, password=db.info.password)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with holder.transaction():
            holder.execute("select 1 from auth.rate_limits where bucket = 'sub:held' for update")
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        waiting.until(held.is_set, what="a request holding its limit row")
        db.execute("select internal.sweep()")
        left = {r[0] for r in db.execute("select bucket from auth.rate_limits").fetchall()}
        assert left == {"sub:held", "sub:future"}
    finally:
        release.set()
        t.join()
        holder.close()
