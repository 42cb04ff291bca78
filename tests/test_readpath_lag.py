"""The read router's lag (bookiji/readpath.py, ``Lag``): how long ago the primary first
wrote what the replica has not replayed; a quiet primary is no lag."""

from __future__ import annotations

import json
from pathlib import Path

from bookiji.readpath import Lag, RouterState


def test_a_replica_that_replayed_everything_sampled_has_no_lag_however_quiet() -> None:
    lag = Lag()
    lag.sample(0.0, 100)
    lag.sample(50.0, 100)  # nothing written since: not a new sample
    assert lag.seconds(now=60.0, replayed=100) == 0.0


def test_the_lag_is_counted_from_the_first_write_not_yet_replayed() -> None:
    lag = Lag()
    for at, lsn in ((0.0, 100), (1.0, 200), (2.0, 300)):
        lag.sample(at, lsn)
    assert lag.seconds(now=3.0, replayed=100) == 2.0  # missing what was written by t=1
    assert lag.seconds(now=3.0, replayed=250) == 1.0
    assert lag.seconds(now=3.0, replayed=300) == 0.0


def test_old_samples_are_forgotten_past_the_window() -> None:
    lag = Lag(window=10.0)
    for at in range(30):
        lag.sample(float(at), 100 + at)
    assert len(lag.samples) <= 11
    assert lag.seconds(now=30.0, replayed=0) <= 11.0


def test_the_state_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "read-router.json"
    RouterState(replica=True, catalog=7, slots=9, lag=0.1).write(path)
    state = json.loads(path.read_text())
    assert state["replica"] is True and state["catalog"] == 7 and state["slots"] == 9
    assert isinstance(state["at"], float)
    assert not (tmp_path / "read-router.json.tmp").exists()
