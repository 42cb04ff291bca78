"""The nemesis's fault schedule (tests/chaos/nemesis/schedule.py): a pure function of the
seed and the run's length."""

from __future__ import annotations

from collections import Counter

from tests.chaos.nemesis import schedule


def test_the_same_seed_gives_the_same_schedule() -> None:
    assert schedule.build(1234, 20) == schedule.build(1234, 20)


def test_another_seed_gives_another_schedule() -> None:
    assert schedule.build(1234, 20) != schedule.build(1235, 20)


def test_a_ci_run_has_two_worker_kills_a_restart_a_postmaster_kill_and_two_stripe_outages() -> None:
    kinds = Counter(f.kind for f in schedule.build(7, 20))
    assert kinds == {
        schedule.WORKER_KILL: 2,
        schedule.PG_RESTART: 1,
        schedule.POSTMASTER_KILL: 1,
        schedule.STRIPE_OUTAGE: 2,
    }


def test_a_longer_run_has_proportionally_more_faults_and_a_short_one_each_kind_once() -> None:
    assert Counter(f.kind for f in schedule.build(7, 60)) == {
        schedule.WORKER_KILL: 6,
        schedule.PG_RESTART: 3,
        schedule.POSTMASTER_KILL: 3,
        schedule.STRIPE_OUTAGE: 6,
    }
    assert Counter(f.kind for f in schedule.build(7, 5)) == Counter(
        f.kind for f in schedule.build(7, 20)
    )


def test_the_faults_come_in_order_within_the_first_80_percent_of_the_run() -> None:
    for seed in range(50):
        faults = schedule.build(seed, 20)
        times = [f.at for f in faults]
        assert times == sorted(times)
        assert all(1.0 <= t <= 16.0 for t in times), (seed, times)


def test_a_stripe_outage_lasts_two_to_five_seconds() -> None:
    for seed in range(50):
        assert all(2.0 <= f.length <= 5.0 for f in schedule.build(seed, 20)), seed
