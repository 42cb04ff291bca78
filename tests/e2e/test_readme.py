"""The README's walk-through ("Five minutes with the API") runs as it is written against a real
stack: nginx + PostgREST over a fresh database with the demo data, the worker, localstripe with
its webhook, an SMTP sink. Each ```sh block runs verbatim with bash -e (bookiji/demo.py, what
`make demo` runs), with API and STRIPE pointed at this stack; the dates are computed by the
README itself. It ends at a confirmed, paid booking of a demo provider with its emails in the
sink; the last block cancels it. When the README drifts from the API, this fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import bookiji_seed as seed
from bookiji import config, demo
from tests.helpers import stack
from tests.helpers.mailbox import Mailbox
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess


@pytest.fixture(scope="module")
def demo_api(template_db: str) -> Iterator[stack.PostgREST]:
    """The gateway and PostgREST over a database of their own holding the Montreal demo data."""
    name = f"bookiji_readme_{uuid.uuid4().hex[:8]}"
    stack.create_db(name, template_db)
    try:
        with psycopg.connect(stack.admin_url(name)) as conn:
            seed.load_demo(conn)
        with stack.run_postgrest(name) as server:
            yield server
    finally:
        stack.drop_db(name)


@pytest.fixture(scope="module")
def localstripe(demo_api: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(
            f"{demo_api.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret
        )
        yield fake


@pytest.fixture
def worker(
    demo_api: stack.PostgREST,
    localstripe: LocalStripe,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WorkerProcess]:
    monkeypatch.setenv("STRIPE_API_BASE", localstripe.url)
    dbname = str(psycopg.conninfo.conninfo_to_dict(demo_api.db_url)["dbname"])
    url = stack.role_url(dbname, "bookiji_worker", config.load().worker_db_password)
    with WorkerProcess(
        url, "--import", "worker.tasks", "--sweep-interval", "0.5", "--poll", "1"
    ) as proc:
        proc.wait_for("worker ready|idle")
        yield proc
        print(proc.output())  # shown when the test fails


def booking_of(conn: psycopg.Connection[Any], booking_id: str) -> tuple[Any, ...]:
    """The booking's status, its payment's, and its customer's email."""
    row = conn.execute(
        "select b.status, p.status, u.email from app.bookings b "
        "join app.payments p on p.booking_id = b.id join app.users u on u.id = b.customer_id "
        "where b.id = %s",
        (booking_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_the_walkthrough_has_its_blocks_and_carries_its_variables() -> None:
    blocks = demo.walkthrough_blocks()
    assert len(blocks) == 2, "the walk-through and the cancellation"
    assert "API=${API:-http://127.0.0.1:3000}" in blocks[0]
    assert {"API", "AUTH", "BID", "TOKEN", "STATUS"} <= set(demo.assigned_names(blocks[0]))


def test_a_block_that_fails_stops_with_its_exit_code(tmp_path: Path) -> None:
    res = demo.run_block("A=1\nfalse\necho never", tmp_path / "s.sh", {"PATH": "/usr/bin:/bin"})
    assert res.returncode == 1
    assert "never" not in res.stdout


def test_the_readme_walkthrough_ends_at_a_paid_confirmed_booking(
    demo_api: stack.PostgREST,
    localstripe: LocalStripe,
    worker: WorkerProcess,
    mailbox: Mailbox,
    tmp_path: Path,
) -> None:
    walk, cancel = demo.walkthrough_blocks()
    env = demo.walkthrough_env(config.load(), API=demo_api.url, STRIPE=localstripe.url)
    state = tmp_path / "state.sh"

    res = demo.run_block(walk, state, env)
    print(res.stdout)  # shown when the test fails
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stderr == "", res.stderr
    bid = next(line.split()[1] for line in res.stdout.splitlines() if line.startswith("booking "))
    assert f"booking {bid}: confirmed" in res.stdout
    assert "booking_confirmed" in res.stdout  # step 8: the notification log
    assert "ops_refund" not in res.stdout
    with psycopg.connect(demo_api.db_url, autocommit=True) as conn:
        status, payment, email = booking_of(conn, bid)
    assert (status, payment) == ("confirmed", "succeeded")
    assert email.startswith("reader.")  # step 2's sign-up
    until(lambda: mailbox.to(email), timeout=10, what="the confirmation in the sink")
    # step 9: ops's audit trail of the booking, one "when role action table" line each
    audit = [line.split() for line in res.stdout.splitlines() if line[:2] == "20"]
    assert any(fields[-1].endswith("bookings") for fields in audit), res.stdout

    res = demo.run_block(cancel, state, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert '"status"' in res.stdout or "cancelled" in res.stdout, res.stdout
    with psycopg.connect(demo_api.db_url, autocommit=True) as conn:
        assert booking_of(conn, bid)[0] == "cancelled"


def test_bookiji_demo_prints_each_command_with_its_answer(
    demo_api: stack.PostgREST, localstripe: LocalStripe, worker: WorkerProcess
) -> None:
    """`make demo` (`bookiji demo`): the same blocks, echoed as bash reads them."""
    env = dict(os.environ, API=demo_api.url, STRIPE=localstripe.url)
    res = subprocess.run(
        [sys.executable, "-m", "bookiji.cli", "demo"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "curl -s $API/rpc/health; echo\n" in res.stdout  # the command, as written
    assert '{"status": "ok"}' in res.stdout  # and its answer
    assert re.search(r"^booking \S+: confirmed$", res.stdout, re.M), res.stdout
    assert "### README walk-through, block 2 of 2" in res.stdout


def test_bookiji_demo_without_a_stack_says_to_start_one() -> None:
    port = stack.free_port()
    res = subprocess.run(
        [sys.executable, "-m", "bookiji.cli", "demo"],
        env=dict(os.environ, API=f"http://127.0.0.1:{port}"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 2
    assert f"no API answers at http://127.0.0.1:{port}" in res.stderr
    assert "make up" in res.stderr
