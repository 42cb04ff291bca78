"""What an error answer from the API must never contain (docs/errors.md, "What an
error shows"): a name in a private schema, a quoted relation, table or constraint,
a constraint's name by the house convention, PostgreSQL's "permission denied for"
(which names the object), or PostgREST's guesses at what the caller meant."""

from __future__ import annotations

import re

import httpx

LEAK = re.compile(
    r"\b(app|auth|audit|internal|pgmq|public|extensions)\.[a-z_]"
    r'|\b(relation|constraint|table|index|schema) "'
    r"|[a-z0-9]_(pkey|fkey|key|check|excl)\b"
    r"|permission denied for"
    r"|Perhaps you meant",
    re.I,
)


def names_private(resp: httpx.Response) -> bool:
    """True when ``resp`` is an error whose body names something private."""
    return resp.status_code >= 300 and LEAK.search(resp.text) is not None
