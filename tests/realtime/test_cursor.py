"""realtime/cursor.py: what a poll of the event log asks for, and which answers are new.
Pure logic (the clock is an argument); the polls themselves run in the real-time tests."""

from __future__ import annotations

from realtime.cursor import MAX_HOLES, EventCursor


def test_new_ids_come_in_id_order_once_each() -> None:
    c = EventCursor(10)
    assert c.ask(0.0) == (10, [])
    assert c.saw([12, 11], 0.0) == [11, 12]
    assert c.saw([12, 11], 0.0) == []
    assert c.ask(0.0) == (12, [])


def test_an_id_skipped_over_is_asked_for_until_it_commits_and_then_counts_as_new() -> None:
    c = EventCursor(10, hole_seconds=60, recent_seconds=2)
    assert c.saw([13], 0.0) == [13]
    assert c.ask(0.5) == (13, [11, 12])
    assert c.saw([12], 0.5) == [12]  # committed after 13 was seen
    assert c.ask(0.6) == (13, [11])
    assert c.saw([11, 14], 1.0) == [11, 14]
    assert c.ask(1.0) == (14, [])


def test_an_old_hole_is_asked_for_once_a_second_then_let_go() -> None:
    c = EventCursor(0, hole_seconds=10, recent_seconds=2, old_every=1)
    c.saw([2], 0.0)
    assert c.ask(0.0)[1] == [1]
    assert c.ask(3.0)[1] == [1]  # old: probed at most once a second
    assert c.ask(3.5)[1] == []
    assert c.ask(4.1)[1] == [1]
    assert c.saw([1], 4.1) == [1]  # a transaction that took 4 s still counts
    c.saw([5], 5.0)
    assert c.ask(16.0)[1] == []  # 3 and 4 never committed: let go after hole_seconds
    assert c.holes == {}


def test_the_holes_kept_are_bounded() -> None:
    c = EventCursor(0)
    c.saw([3 * MAX_HOLES], 0.0)
    assert len(c.holes) == MAX_HOLES
    assert min(c.holes) == 2 * MAX_HOLES  # the newest kept
    c.saw([3 * MAX_HOLES + 5], 0.0)
    assert len(c.holes) == MAX_HOLES and max(c.holes) == 3 * MAX_HOLES + 4


def test_a_starting_reader_waits_for_the_ids_still_uncommitted_below_the_last() -> None:
    c = EventCursor.starting(500, [497, 499], 0.0)
    assert c.ask(0.0) == (500, [401, *range(402, 497), 498, 500])
    assert c.saw([498, 501], 0.1) == [498, 501]  # 498 committed after the reader started
    assert 498 not in c.holes and 497 not in c.holes and c.high == 501
