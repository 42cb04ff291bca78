"""`bookiji dlq list|show|replay|discard`: the dead-letter tools from the command line.

They connect with the administrative DATABASE_URL and call the same internal
functions as the ops RPCs (api.dlq_*), recording the actor as 'cli' in the
audit trail.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import psycopg
from psycopg.rows import dict_row

from bookiji import config
from worker.errors import BookijiError
from worker.queries import query

ACTOR = "cli"


class DlqError(BookijiError):
    """The database refused a DLQ command (unknown queue, missing message, ...)."""


def _run(name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    url = config.load().database_url
    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            rows = conn.execute(query(name), params).fetchall()
            conn.commit()
            return rows
    except psycopg.Error as exc:
        if exc.diag.message_hint:  # a registered refusal from internal.fail
            raise DlqError(f"{exc.diag.message_primary} ({exc.diag.message_hint})") from exc
        raise


def list_(queue: str, error_class: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return _run("dlq_list", {"queue": queue, "error_class": error_class, "limit": limit})


def show(queue: str, msg_id: int) -> dict[str, Any]:
    entry: dict[str, Any] = _run("dlq_show", {"queue": queue, "msg_id": msg_id})[0]["entry"]
    return entry


def replay(queue: str, msg_id: int | None = None) -> list[dict[str, Any]]:
    return _run("dlq_replay", {"queue": queue, "msg_id": msg_id, "actor": ACTOR})


def discard(queue: str, msg_id: int, reason: str) -> dict[str, Any]:
    entry: dict[str, Any] = _run(
        "dlq_discard", {"queue": queue, "msg_id": msg_id, "reason": reason, "actor": ACTOR}
    )[0]["entry"]
    return entry


def add_parser(sub: Any) -> None:
    """Add `dlq` and its actions to the `bookiji` command line."""
    dlq = sub.add_parser("dlq", help="dead-letter queues: list, show, replay, discard")
    actions = dlq.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="list dead letters, oldest first")
    ls.add_argument("queue")
    ls.add_argument("--error-class", default=None)
    ls.add_argument("--limit", type=int, default=50)
    sh = actions.add_parser("show", help="one dead letter in full")
    sh.add_argument("queue")
    sh.add_argument("msg_id", type=int)
    rp = actions.add_parser("replay", help="send dead letters back (one, or --all)")
    rp.add_argument("queue")
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("msg_id", type=int, nargs="?")
    which.add_argument("--all", action="store_true")
    dc = actions.add_parser("discard", help="delete one dead letter for good")
    dc.add_argument("queue")
    dc.add_argument("msg_id", type=int)
    dc.add_argument("--reason", required=True)
    dlq.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    result: Any
    if args.action == "list":
        result = list_(args.queue, args.error_class, args.limit)
    elif args.action == "show":
        result = show(args.queue, args.msg_id)
    elif args.action == "replay":
        result = replay(args.queue, None if args.all else args.msg_id)
    else:
        result = discard(args.queue, args.msg_id, args.reason)
    print(json.dumps(result, indent=2, default=str))
    return 0
