"""Reading the event log by polling, without missing an id that commits late (docs/events.md).

Event ids come from a sequence, allocated before commit: a transaction that took id 7 may
commit after the one that took id 8. A reader that asked only for ``id > highest seen``
would never see 7. ``EventCursor`` therefore asks for every id above the highest seen
*and* for the holes below it: the ids it skipped over, each kept for ``hole_seconds``
(a transaction that took one and is still running; one that rolled back leaves a hole
for ever, which is let go then). A hole younger than ``recent_seconds`` is asked for at
every poll; an older one once every ``old_every`` seconds, so that a steady trickle of
rolled-back ids costs little.

The cursor only decides what to ask for and which answers are new (no I/O): the
real-time service (realtime/server.py) and the read router (bookiji/readpath.py) each
run the query, ``auth.event_ids_after(after, holes, limit)``, on their one connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

QUERY = "select id, kind from auth.event_ids_after(%s, %s::bigint[], %s)"
LIMIT = 1000  # ids read per poll; a full answer is followed by another poll at once
MAX_HOLES = 10_000  # the oldest holes beyond this are let go
START_WINDOW = 100  # ids below the last allocated one a starting reader checks for commits


@dataclass
class EventCursor:
    """What to ask the event log for next, and which of its answers are new (module doc)."""

    high: int  # the highest id seen (the log's last id when the reader starts)
    hole_seconds: float = 60.0
    recent_seconds: float = 2.0
    old_every: float = 1.0
    holes: dict[int, float] = field(default_factory=dict)  # id -> when it was skipped over
    _old_asked: float = field(default=float("-inf"))

    @classmethod
    def starting(
        cls, last: int, committed: list[int], now: float, recent_seconds: float = 2.0
    ) -> EventCursor:
        """A reader's first cursor, at ``last`` (the log's last allocated id): nothing up to
        it is new, but the ids of the START_WINDOW before it that had not committed
        (``committed``: those that had) are holes, which a transaction still running may
        yet commit."""
        cursor = cls(last, recent_seconds=recent_seconds)
        done = set(committed)
        for event_id in range(max(last - START_WINDOW, 0) + 1, last + 1):
            if event_id not in done:
                cursor.holes[event_id] = now
        return cursor

    def ask(self, now: float) -> tuple[int, list[int]]:
        """The arguments of the next poll: ids above ``high``, and the holes to probe."""
        for hole in [h for h, since in self.holes.items() if now - since > self.hole_seconds]:
            del self.holes[hole]
        if now - self._old_asked >= self.old_every:
            self._old_asked = now
            return self.high, sorted(self.holes)
        return self.high, sorted(
            h for h, since in self.holes.items() if now - since <= self.recent_seconds
        )

    def saw(self, ids: list[int], now: float) -> list[int]:
        """Record a poll's answer (any order); the ids not seen before, in id order."""
        new: list[int] = []
        for event_id in sorted(ids):
            if event_id in self.holes:
                del self.holes[event_id]
                new.append(event_id)
            elif event_id > self.high:
                for skipped in range(max(self.high + 1, event_id - MAX_HOLES), event_id):
                    self.holes[skipped] = now
                self.high = event_id
                new.append(event_id)
        while len(self.holes) > MAX_HOLES:  # filed in id order: the first is the oldest
            del self.holes[next(iter(self.holes))]
        return new
