"""Typed records read from pgmq rows: a queue message, and the outcome of handling one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Message:
    """One message read from a queue. ``read_ct`` is pgmq's read count: 1 on the first attempt."""

    queue: str
    msg_id: int
    read_ct: int
    enqueued_at: datetime
    vt: datetime
    body: dict[str, Any]

    @property
    def type(self) -> str:
        kind = self.body.get("type")
        return kind if isinstance(kind, str) else ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.queue, self.msg_id)

    @classmethod
    def from_row(cls, queue: str, row: dict[str, Any]) -> Message:
        body = row["message"]
        return cls(
            queue=queue,
            msg_id=int(row["msg_id"]),
            read_ct=int(row["read_ct"]),
            enqueued_at=row["enqueued_at"],
            vt=row["vt"],
            body=body if isinstance(body, dict) else {"type": "", "payload": body},
        )
