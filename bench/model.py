"""What a scenario gives the runner, and what the runner gives back.

A scenario is a module under ``bench/scenarios/`` with one object that has a
``name``, a ``title`` and a ``plan(ctx)`` method. ``plan`` returns the variants
to measure (each one a function from a duration to a :class:`Sample`) and the
ratios between them. The runner measures every variant ``--repeat`` times,
interleaved (forward, then backward, then forward...) so that a slow minute on
a shared machine hits every side alike, keeps the median, and works out the
ratios from the medians (each ratio also round by round: its spread).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

# Sample lives in bench/sample.py so that the tools (which make samples) need not import
# this module, which names the environment (bench.env imports the tools).
from bench.sample import Sample as Sample

if TYPE_CHECKING:
    from bench.env import BenchEnv


@dataclass
class Result:
    """The median of a variant's samples."""

    scenario: str
    variant: str
    concurrency: int
    unit: str
    throughput: float
    mean_ms: float | None
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    requests: int  # summed over the samples
    errors: int  # summed over the samples
    non_2xx: int  # summed over the samples
    extra: dict[str, float]
    samples: list[Sample]
    note: str = ""
    series: str = ""  # the chart joins the points of one series (default: the variant)
    label: str = ""  # the chart's label for this point (default: c=<concurrency>)
    p99_target_ms: float | None = None  # p99 must stay under this (a latency target)

    @property
    def p99_met(self) -> bool | None:
        if self.p99_target_ms is None or self.p99_ms is None:
            return None
        return self.p99_ms < self.p99_target_ms

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "p99_met": self.p99_met}


@dataclass
class RatioResult:
    scenario: str
    name: str
    value: float | None
    target: float | None  # the value must be at least this much
    numerator: str
    denominator: str
    # the same ratio in each round: the two sides' samples of one round, taken minutes apart
    # at most (A B C, then C B A): how far the machine's noise moves the value
    rounds: list[float] = field(default_factory=list)

    @property
    def met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


Measure = Callable[[float], Sample]  # duration in seconds -> one sample


@dataclass(frozen=True)
class Variant:
    """One thing to measure: a label, a concurrency and how to take one sample."""

    name: str
    concurrency: int
    measure: Measure
    unit: str = "req/s"
    note: str = ""
    series: str = ""  # chart: the line this point belongs to (default: the name)
    label: str = ""  # chart: the point's label (default: c=<concurrency>)
    p99_target_ms: float | None = None  # printed beside the p99: met or MISSED

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.concurrency)


@dataclass(frozen=True)
class Ratio:
    """throughput(numerator) / throughput(denominator), with an optional floor to meet."""

    name: str
    numerator: tuple[str, int]  # (variant name, concurrency)
    denominator: tuple[str, int]
    target: float | None = None


@dataclass
class Plan:
    variants: list[Variant]
    ratios: list[Ratio] = field(default_factory=list)
    # a variant may be measured for a shorter time than --duration (login is slow)
    max_duration: float | None = None
    # fewer samples than --repeat, and no warm-up: for scenarios whose every sample
    # is a whole workload from a reset state (tens of thousands of queue messages)
    max_repeat: int | None = None
    warm_up: bool = True


@dataclass
class Options:
    scenarios: list[str]
    duration: float  # seconds per sample
    repeat: int  # samples per variant; the median is reported
    concurrency: list[int]  # connections for the closed-loop scenarios
    quick: bool
    # dataset sizes (providers) for the quote scenario
    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    # WebSocket clients of the realtime scenario
    clients: list[int] = field(default_factory=lambda: [1_000, 5_000])
    # days of bookings each dataset is seeded with (the seed's default: two weeks)
    activity_days: int = 14


@dataclass
class Context:
    """What a scenario's plan can use: the options, the environment, earlier results."""

    options: Options
    env: BenchEnv
    results: list[Result] = field(default_factory=list)

    def find(self, scenario: str, variant: str) -> list[Result]:
        return [r for r in self.results if r.scenario == scenario and r.variant == variant]


class Scenario(Protocol):
    name: str  # for --scenarios
    title: str  # one line: what it measures

    def plan(self, ctx: Context) -> Plan: ...


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def aggregate(scenario: str, variant: Variant, samples: list[Sample]) -> Result:
    def med(attr: str) -> float | None:
        return median([v for s in samples if (v := getattr(s, attr)) is not None])

    keys = sorted({k for s in samples for k in s.extra})
    return Result(
        scenario=scenario,
        variant=variant.name,
        concurrency=variant.concurrency,
        unit=variant.unit,
        throughput=med("throughput") or 0.0,
        mean_ms=med("mean_ms"),
        p50_ms=med("p50_ms"),
        p99_ms=med("p99_ms"),
        max_ms=max((s.max_ms for s in samples if s.max_ms is not None), default=None),
        requests=sum(s.requests for s in samples),
        errors=sum(s.errors for s in samples),
        non_2xx=sum(s.non_2xx for s in samples),
        extra={
            k: v
            for k in keys
            if (v := median([s.extra[k] for s in samples if k in s.extra])) is not None
        },
        samples=samples,
        note=variant.note,
        series=variant.series or variant.name,
        label=variant.label or f"c={variant.concurrency}",
        p99_target_ms=variant.p99_target_ms,
    )


def ratio(scenario: str, r: Ratio, results: list[Result]) -> RatioResult:
    def result(key: tuple[str, int]) -> Result | None:
        for res in results:
            if (res.variant, res.concurrency) == key:
                return res
        return None

    num, den = result(r.numerator), result(r.denominator)
    if num is None or den is None:
        value, rounds = None, []
    else:
        value = num.throughput / den.throughput if den.throughput else None
        # round i's samples of both sides (fewer on one side: the rounds both have)
        pairs = zip(num.samples, den.samples, strict=False)
        rounds = [a.throughput / b.throughput for a, b in pairs if b.throughput]
    return RatioResult(
        scenario=scenario,
        name=r.name,
        value=value,
        target=r.target,
        numerator=f"{r.numerator[0]} c={r.numerator[1]}",
        denominator=f"{r.denominator[0]} c={r.denominator[1]}",
        rounds=rounds,
    )
