"""Named SQL queries: every statement the worker sends lives in worker/sql/<name>.sql."""

from __future__ import annotations

from functools import cache
from importlib import resources

from psycopg import sql


@cache
def query(name: str) -> str:
    """The text of worker/sql/<name>.sql (placeholders are bound by psycopg, never formatted)."""
    return resources.files("worker").joinpath("sql", f"{name}.sql").read_text()


@cache
def visible_probe(queues: tuple[str, ...]) -> sql.Composed:
    """The idle worker's probe: one statement answering the names of ``queues`` that hold a
    message visible now (worker/sql/visible.sql once per queue, joined by ``union all``).
    Queue names are composed as a literal and an identifier (pgmq's table ``q_<name>``),
    never formatted into the text."""
    text = "\n".join(line for line in query("visible").splitlines() if not line.startswith("--"))
    term = sql.SQL(text.strip())
    return sql.SQL("\nunion all\n").join(
        term.format(queue=sql.Literal(q), table=sql.Identifier("pgmq", f"q_{q.lower()}"))
        for q in queues
    )
