"""Ship nginx's JSON access log into audit.access_log.

nginx writes one JSON object per request; this follows the file from a stored
offset (``<log>.offset``, with the file's inode so a replaced file starts over)
and copies new complete lines in batches. Rows are unique by request id, so a
batch re-sent after a crash is skipped, not doubled.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger("bookiji.access_log")

COLUMNS = (
    "occurred_at",
    "request_id",
    "method",
    "path",
    "status",
    "role",
    "sub",
    "client_addr",
    "bytes",
    "duration_ms",
)


INSERT = (
    f"insert into audit.access_log ({', '.join(COLUMNS)}) "
    f"values ({', '.join(['%s'] * len(COLUMNS))}) on conflict (request_id) do nothing"
)


def _row(line: str) -> tuple[Any, ...] | None:
    try:
        rec = json.loads(line)
        return (
            datetime.fromisoformat(rec["time"]),
            rec["request_id"],
            rec["method"][:16],
            rec["path"][:2000],
            int(rec["status"]),
            rec.get("role") or None,
            rec.get("sub") or None,
            rec.get("client_addr") or None,
            int(rec.get("bytes") or 0),
            round(float(rec.get("duration_s") or 0) * 1000, 3),
        )
    except (ValueError, KeyError, TypeError):
        log.warning("skipping a malformed access log line: %.200s", line)
        return None


class Shipper:
    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        self.state = path.with_name(path.name + ".offset")

    def _load_offset(self, inode: int) -> int:
        try:
            stored_inode, offset = self.state.read_text().split(":")
            return int(offset) if int(stored_inode) == inode else 0
        except (FileNotFoundError, ValueError):
            return 0

    def ship_once(self, conn: psycopg.Connection[Any]) -> int:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return 0
        offset = self._load_offset(stat.st_ino)
        if offset > stat.st_size:
            offset = 0  # truncated
        with self.path.open("rb") as f:
            f.seek(offset)
            chunk = f.read(4 * 1024 * 1024)
        end = chunk.rfind(b"\n")
        if end < 0:
            return 0
        rows = [
            r
            for r in (_row(x) for x in chunk[: end + 1].decode(errors="replace").splitlines())
            if r
        ]
        if rows:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(INSERT, rows)
        self.state.write_text(f"{stat.st_ino}:{offset + end + 1}")
        return len(rows)

    def run(self, once: bool = False, interval: float = 1.0) -> int:
        total = 0
        while True:
            try:
                # no server-side prepared statements: the URL may be PgBouncer's
                with psycopg.connect(self.url, prepare_threshold=None) as conn:
                    while True:
                        n = self.ship_once(conn)
                        total += n
                        if once and n == 0:
                            return total
                        if n == 0:
                            time.sleep(interval)
            except psycopg.OperationalError as exc:
                if once:
                    raise
                log.warning("database unavailable (%s); retrying", str(exc).strip())
                time.sleep(2)
