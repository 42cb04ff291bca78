"""docs/extending.md's guides, followed as written: each guide's SQL blocks applied in order to
a fresh database (as deploy applies migrations, functions and policies), then what the guide
promises checked over HTTP: the endpoint answers a number, and 400 invalid_input without its
argument, and is in the OpenAPI document with its argument required; the table's view lets a
customer add and read their own favourites only, each change in the audit trail; the queue's
messages, enqueued by the guide's outbox call, are carried out by the guide's handler in the real
worker loop against a real HTTP receiver, retried and dead-lettered as the guide says."""

from __future__ import annotations

import json
import re
import threading
import types
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import psycopg
import pytest

from bookiji.config import ROOT
from tests.helpers import booking, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.test_docs import section
from worker import messages, registry
from worker.retry import RetryPolicy
from worker.runner import Options, Runner

GUIDE = ROOT / "docs" / "extending.md"


def blocks(heading: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", section(GUIDE.read_text(), heading), re.M | re.S)


@pytest.fixture(scope="module")
def extended_api(template_db: str) -> Iterator[stack.PostgREST]:
    name = f"bookiji_extend_{uuid.uuid4().hex[:8]}"
    stack.create_db(name, template_db)
    try:
        with psycopg.connect(stack.admin_url(name), autocommit=True) as conn:
            for heading in ("Add an endpoint", "Add a table"):
                for sql in blocks(heading, "sql"):
                    conn.execute(sql)  # type: ignore[arg-type]  # the guide's text, as written
        with stack.run_postgrest(name) as server:
            yield server
    finally:
        stack.drop_db(name)


def test_the_guide_has_its_function_and_grant() -> None:
    sql = blocks("Add an endpoint", "sql")
    assert len(sql) == 2
    assert "default null" in sql[0] and sql[1].startswith("grant execute")


def test_the_new_endpoint_answers_as_the_guide_says(extended_api: stack.PostgREST) -> None:
    url = f"{extended_api.url}/rpc/category_provider_count"
    ok = httpx.get(url, params={"category": "haircut"})
    assert ok.status_code == 200, ok.text
    assert isinstance(ok.json(), int)
    missing = httpx.get(url)
    assert missing.status_code == 400, missing.text
    assert missing.json()["hint"] == "invalid_input"
    assert "category" in missing.json()["message"]
    assert httpx.post(url, json={}).status_code == 400


def test_the_new_endpoint_is_in_each_granted_roles_openapi_with_its_argument_required(
    extended_api: stack.PostgREST,
) -> None:
    doc = httpx.get(f"{extended_api.url}/rpc/openapi").json()
    op = doc["paths"]["/rpc/category_provider_count"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["category"]
    assert op["summary"] == "How many active providers offer a category."
    assert "invalid_input" in op["responses"]["400"]["x-error-codes"]


def test_the_new_table_keeps_each_customers_favourites_to_themselves_and_audits_them(
    extended_api: stack.PostgREST,
) -> None:
    with psycopg.connect(extended_api.db_url, autocommit=True) as admin:
        shop = booking.open_shop(admin)
        alice, bob = create_user(admin, "customer"), create_user(admin, "customer")
    url = f"{extended_api.url}/my_favourites"
    added = httpx.post(
        url,
        json={"provider_id": str(shop.provider_id)},
        headers={**bearer(mint("customer", alice)), "Prefer": "return=representation"},
    )
    assert added.status_code == 201, added.text
    favourite = added.json()[0]["id"]
    mine = httpx.get(url, headers=bearer(mint("customer", alice))).json()
    assert [f["provider_id"] for f in mine] == [str(shop.provider_id)]
    assert httpx.get(url, headers=bearer(mint("customer", bob))).json() == []
    assert httpx.get(url).status_code in (401, 403)  # anon: not granted
    removed = httpx.delete(f"{url}?id=eq.{favourite}", headers=bearer(mint("customer", bob)))
    assert removed.status_code in (200, 204)
    assert httpx.get(url, headers=bearer(mint("customer", alice))).json() != []  # not bob's
    with psycopg.connect(extended_api.db_url, autocommit=True) as admin:
        logged = admin.execute(
            "select action, actor_id from audit.action_log where table_name = 'app.favourites'"
        ).fetchall()
    assert logged == [("favourite.added", alice)]


QUEUE_GUIDE = "Add a queue and a message type"


def test_the_queue_guide_has_its_queue_list_outbox_message_and_handler() -> None:
    sql, py = blocks(QUEUE_GUIDE, "sql"), blocks(QUEUE_GUIDE, "python")
    assert len(sql) == 3 and len(py) == 2
    assert "pgmq.create('webhooks_dlq')" in sql[0]
    assert "internal.queue_names()" in sql[1] and "internal.enqueue('webhooks'" in sql[2]
    assert "registry.handler" in py[1] and "registry.classifier" in py[1]


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver: /ok takes it, /flaky answers 503 once then takes it, /gone 410."""

    seen: ClassVar[list[tuple[str, str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = self.path
        first = all(p != path for p, _, _ in Receiver.seen)
        Receiver.seen.append((path, self.headers["Idempotency-Key"], body))
        status = {"/ok": 200, "/gone": 410}.get(path, 503 if first else 200)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def queued_db(template_db: str) -> Iterator[str]:
    """A database with the guide's queue, list and outbox call (then db/policies/pgmq.sql, as
    each deploy re-applies it), and the guide's message class and task module loaded into
    the worker's registry (removed again afterwards)."""
    name = f"bookiji_queue_{uuid.uuid4().hex[:8]}"
    stack.create_db(name, template_db)
    py = blocks(QUEUE_GUIDE, "python")
    added = [k for k in vars(messages) if k == "WebhookMessage"]
    assert added == []
    before = registry.classifiers()
    try:
        with psycopg.connect(stack.admin_url(name), autocommit=True) as conn:
            with pytest.raises(psycopg.Error, match="queue must be one of"):
                conn.execute("""select internal.enqueue('webhooks', '{"type": "x"}')""")
            for sql in blocks(QUEUE_GUIDE, "sql"):
                conn.execute(sql)  # type: ignore[arg-type]  # the guide's text, as written
            conn.execute((ROOT / "db" / "policies" / "pgmq.sql").read_text())  # type: ignore[arg-type]
        exec(py[0], vars(messages))  # noqa: S102 (the guide's code, "in worker/messages.py")
        task = types.ModuleType("worker.tasks.webhooks")
        exec(py[1], vars(task))  # noqa: S102 (the guide's "worker/tasks/webhooks.py")
        yield name
    finally:
        registry._HANDLERS.pop("webhook.deliver", None)
        registry._CLASSIFIERS[:] = list(before)
        vars(messages).pop("WebhookMessage", None)
        stack.drop_db(name)


def test_the_new_queue_carries_out_retries_and_dead_letters_as_the_guide_says(
    queued_db: str, receiver: str
) -> None:
    Receiver.seen.clear()
    with psycopg.connect(stack.admin_url(queued_db), autocommit=True) as db:
        ids = {
            what: db.execute("select internal.request_webhook(%s, %s)", (url, what)).fetchone()
            for what, url in (
                ("ok", f"{receiver}/ok"),
                ("flaky", f"{receiver}/flaky"),
                ("gone", f"{receiver}/gone"),
                # nothing listens there: httpx's ConnectError, retryable by the classifier
                ("down", f"http://127.0.0.1:{stack.free_port()}/x"),
            )
        }
        for body in (
            {"type": "webhook.deliver", "url": "ftp://example.test/", "event": "malformed"},
            {"type": "webhook.delivr", "url": f"{receiver}/ok", "event": "typo"},
        ):
            db.execute("select internal.enqueue('webhooks', %s::jsonb)", (json.dumps(body),))
        with pytest.raises(psycopg.Error, match="url is required"):
            db.execute("select internal.request_webhook(null, 'x')")

        runner = Runner(
            stack.worker_url(queued_db),
            Options(
                queues=("webhooks",),
                once=True,
                sweep_seconds=0,
                retry=RetryPolicy(max_attempts=3, base_seconds=0.05, cap_seconds=0.2),
            ),
        )
        assert runner.run() == 0

        delivered = [(p, b["event"]) for p, _, b in Receiver.seen]
        assert sorted(delivered) == [
            ("/flaky", "flaky"),
            ("/flaky", "flaky"),
            ("/gone", "gone"),
            ("/ok", "ok"),
        ]
        keys = {p: k for p, k, _ in Receiver.seen}
        assert keys["/ok"] == f"webhooks-{ids['ok'][0]}"  # type: ignore[index]
        # what could not be done, in the dead-letter queue with its reason
        dead = db.execute(
            "select type, error_class, error, attempts from internal.dlq_list('webhooks') order by msg_id"
        ).fetchall()
        by_error = {d[2]: d for d in dead}
        assert len(dead) == 4, dead
        assert any("refused the webhook: 410" in e for e in by_error), dead
        assert any("needs an http(s) url" in e for e in by_error), dead
        assert any(
            "no handler is registered for message type 'webhook.delivr'" in e for e in by_error
        )
        down = [d for d in dead if d[1] == "ConnectError"]
        assert len(down) == 1 and down[0][3] == 3, dead  # retried up to max_attempts
        stats = db.execute("select queue_name from internal.queue_stats()").fetchall()
        assert ("webhooks",) in stats
