"""A :class:`Sample`: one measurement, what every load tool (bench/tools.py) returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sample:
    """One measurement: one run of one load tool."""

    requests: int  # completed requests (or transactions), whatever their status
    seconds: float  # how long the tool measured
    throughput: float  # per second, as the tool reports it
    mean_ms: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    errors: int = 0  # no answer: connect/read/write errors, timeouts, failed transactions
    non_2xx: int = 0  # an answer, but not a success
    # CPU seconds per request of each process group, the machine's busy share, ...
    extra: dict[str, float] = field(default_factory=dict)
    command: str = ""  # what ran, for the record
