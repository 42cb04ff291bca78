"""`bookiji ops refund|force-cancel|dlq ...`: ops actions over HTTP, through the API.

They call the ops RPCs (api.ops_refund, api.ops_force_cancel, api.dlq_*,
api.queue_stats) through nginx and PostgREST with postgrest-py, as an ops
account: the database checks the role and audits each action under that
account's id, exactly as for any other HTTP client. The token comes from
--token, else BOOKIJI_OPS_TOKEN, else a login (--email, and --password or a
prompt) through api.login.

A refusal is printed as the error registry's code and message (docs/errors.md)
and the command exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from typing import Any

import httpx
from postgrest import APIError, SyncPostgrestClient

from bookiji import config
from worker.errors import BookijiError

OPS_ENV = "BOOKIJI_OPS_TOKEN"
# the queues that have a dead-letter queue (worker/settings.py's WORKER_QUEUES default)
QUEUES = ("payments", "notifications")


class OpsApiError(BookijiError):
    """The API refused an ops command, or could not be reached."""


def connect(api_url: str, token: str | None = None) -> SyncPostgrestClient:
    """A postgrest-py client for Bookiji's API: schema `api` (the library's default,
    `public`, is answered with 406 PGRST106), with a bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return SyncPostgrestClient(api_url, schema="api", headers=headers)


def explain(exc: APIError) -> str:
    """`code: message` from an API refusal: the registry's code (in `hint`) when the
    database refused, else PostgREST's own code (PGRST...)."""
    code = exc.hint or exc.code or "error"
    text = f"{code}: {exc.message or 'no message'}"
    if code == "forbidden":
        text += " (the token must be an ops account's)"
    elif code in ("not_authenticated", "invalid_token"):
        text += f" (log in again: --email, or a fresh --token / {OPS_ENV})"
    return text


def call(client: SyncPostgrestClient, name: str, params: dict[str, Any]) -> Any:
    """Call api.<name> with POST and return its JSON answer; refusals raise OpsApiError."""
    try:
        return client.rpc(name, params).execute().data
    except APIError as exc:
        raise OpsApiError(explain(exc)) from exc
    except httpx.HTTPError as exc:
        raise OpsApiError(f"cannot reach the API at {client.base_url}: {exc}") from exc


def login(api_url: str, email: str, password: str) -> str:
    """An access token from api.login."""
    with connect(api_url) as client:
        session = call(client, "login", {"email": email, "password": password})
    token: str = session["access_token"]
    return token


def token_from(args: argparse.Namespace, api_url: str) -> str:
    if args.token:
        token: str = args.token
        return token
    if args.email:
        password = args.password or getpass.getpass(f"password for {args.email}: ")
        return login(api_url, args.email, password)
    from_env = os.environ.get(OPS_ENV)
    if from_env:
        return from_env
    raise OpsApiError(f"an ops token is needed: --token, {OPS_ENV}, or --email to log in")


def _refund(client: SyncPostgrestClient, args: argparse.Namespace) -> tuple[Any, int]:
    params = {"booking_id": args.booking, "amount_cents": args.amount, "reason": args.reason}
    return call(client, "ops_refund", params), 0


def _force_cancel(client: SyncPostgrestClient, args: argparse.Namespace) -> tuple[Any, int]:
    params = {"booking_id": args.booking, "reason": args.reason, "refund": args.refund}
    return call(client, "ops_force_cancel", params), 0


def _dlq_list(client: SyncPostgrestClient, args: argparse.Namespace) -> tuple[Any, int]:
    rows: list[dict[str, Any]] = []
    for queue in [args.queue] if args.queue else QUEUES:
        params: dict[str, Any] = {"queue": queue, "limit": args.limit}
        if args.error_class:
            params["error_class"] = args.error_class
        rows.extend({"queue": queue, **row} for row in call(client, "dlq_list", params))
    return rows, 0


def _dlq_show(client: SyncPostgrestClient, args: argparse.Namespace) -> tuple[Any, int]:
    return call(client, "dlq_show", {"queue": args.queue, "msg_id": args.msg_id}), 0


def _dlq_replay(client: SyncPostgrestClient, args: argparse.Namespace) -> tuple[Any, int]:
    if args.all:
        return call(client, "dlq_replay", {"queue": args.queue}), 0
    replayed: list[dict[str, Any]] = []
    failed = 0
    for msg_id in args.msg_ids:
        try:
            replayed.extend(call(client, "dlq_replay", {"queue": args.queue, "msg_id": msg_id}))
        except OpsApiError as exc:
            # the others are still replayed; each answer is its own transaction
            print(f"bookiji: dead letter {msg_id}: {exc}", file=sys.stderr)
            failed += 1
    return replayed, 2 if failed else 0


def _dlq_discard(client: SyncPostgrestClient, args: argparse.Namespace) -> tuple[Any, int]:
    params = {"queue": args.queue, "msg_id": args.msg_id, "reason": args.reason}
    return call(client, "dlq_discard", params), 0


def _queue_stats(client: SyncPostgrestClient, args: argparse.Namespace) -> tuple[Any, int]:
    return call(client, "queue_stats", {}), 0


def _with_session(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options every HTTP ops command takes: where the API is and who is calling."""
    parser.add_argument(
        "--api-url", default=None, help="default: http://API_HOST:API_PORT (nginx in front)"
    )
    parser.add_argument("--token", default=None, help=f"an ops access token (or {OPS_ENV})")
    parser.add_argument("--email", default=None, help="log in as this ops account instead")
    parser.add_argument("--password", default=None, help="with --email; prompted for when omitted")
    return parser


def add_parsers(ops_sub: Any) -> None:
    """Add the HTTP ops commands to `bookiji ops`."""
    rf = _with_session(ops_sub.add_parser("refund", help="refund part of a booking (over HTTP)"))
    rf.add_argument("booking", help="the booking's id")
    rf.add_argument("--amount", type=int, required=True, help="in cents")
    rf.add_argument("--reason", required=True)
    rf.set_defaults(func=command, run=_refund)

    fc = _with_session(
        ops_sub.add_parser("force-cancel", help="cancel any live booking (over HTTP)")
    )
    fc.add_argument("booking", help="the booking's id")
    fc.add_argument("--reason", required=True)
    fc.add_argument(
        "--refund",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="give back everything still refundable (the default; --no-refund keeps it)",
    )
    fc.set_defaults(func=command, run=_force_cancel)

    qs = _with_session(ops_sub.add_parser("queue-stats", help="the queues' lengths and ages"))
    qs.set_defaults(func=command, run=_queue_stats)

    dlq = ops_sub.add_parser("dlq", help="dead letters: list, show, replay, discard (over HTTP)")
    actions = dlq.add_subparsers(dest="dlq_action", required=True)
    ls = _with_session(actions.add_parser("list", help="dead letters, oldest first"))
    ls.add_argument("--queue", choices=QUEUES, default=None, help="default: every queue")
    ls.add_argument("--error-class", default=None)
    ls.add_argument("--limit", type=int, default=50, help="per queue")
    ls.set_defaults(func=command, run=_dlq_list)
    sh = _with_session(actions.add_parser("show", help="one dead letter in full"))
    sh.add_argument("msg_id", type=int)
    sh.add_argument("--queue", choices=QUEUES, required=True)
    sh.set_defaults(func=command, run=_dlq_show)
    rp = _with_session(actions.add_parser("replay", help="send dead letters back to their queue"))
    rp.add_argument("msg_ids", type=int, nargs="*", metavar="ID")
    rp.add_argument("--queue", choices=QUEUES, required=True)
    rp.add_argument("--all", action="store_true", help="every dead letter of the queue")
    rp.set_defaults(func=command, run=_dlq_replay)
    dc = _with_session(actions.add_parser("discard", help="delete one dead letter for good"))
    dc.add_argument("msg_id", type=int)
    dc.add_argument("--queue", choices=QUEUES, required=True)
    dc.add_argument("--reason", required=True)
    dc.set_defaults(func=command, run=_dlq_discard)


def command(args: argparse.Namespace) -> int:
    if getattr(args, "dlq_action", None) == "replay" and bool(args.msg_ids) == bool(args.all):
        raise OpsApiError("dlq replay: give the dead letters' ids, or --all")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request on stderr
    api_url: str = args.api_url or config.load().api_url
    token = token_from(args, api_url)
    with connect(api_url, token) as client:
        result, status = args.run(client, args)
    print(json.dumps(result, indent=2, default=str))
    return int(status)
