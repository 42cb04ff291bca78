"""Named SQL queries: every statement the worker sends lives in worker/sql/<name>.sql."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def query(name: str) -> str:
    """The text of worker/sql/<name>.sql (placeholders are bound by psycopg, never formatted)."""
    return resources.files("worker").joinpath("sql", f"{name}.sql").read_text()
