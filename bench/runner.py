"""`bookiji bench` (`make bench`): run the scenarios, print a table, write JSON and a chart.

    bookiji bench                               every scenario, 3 s samples, 3 repeats
    bookiji bench --scenarios overhead,login    some of them
    bookiji bench --quick                       1 repeat, 2 s, one concurrency: a look, not a figure

Results go to bench/results/<timestamp>.json and .png (gitignored, except the
committed example). Benchmarks print figures; they never pass or fail on them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bookiji_seed as seed
from bench import report
from bench.env import open_env
from bench.model import (
    Context,
    Options,
    Result,
    Sample,
    Variant,
    aggregate,
    ratio,
)
from bench.scenarios import BY_NAME, SCENARIOS
from bench.tools import ToolError
from bookiji.config import ROOT

RESULTS_DIR = ROOT / "bench" / "results"
MAX_DURATION = 15.0
# duration (s), repeat, concurrency: the defaults, and those of --quick
DEFAULTS: tuple[float, int, str] = (3.0, 3, "4,10")
QUICK: tuple[float, int, str] = (2.0, 1, "4")
WARMUP = 1.0  # seconds per variant before the first round (not in --quick)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bookiji bench", description=__doc__.split("\n")[0])
    p.add_argument(
        "--scenarios",
        default="all",
        help=f"comma-separated, from: {', '.join(s.name for s in SCENARIOS)} (default: all)",
    )
    p.add_argument(
        "--duration",
        type=float,
        help=f"seconds per sample, at most {MAX_DURATION:g} (default 3; --quick 2)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        help="samples per variant; the median is reported (default 3; --quick 1)",
    )
    p.add_argument(
        "--concurrency", help="comma-separated connection counts (default 4,10; --quick 4)"
    )
    p.add_argument(
        "--sizes",
        help="comma-separated provider counts of the quote scenario's datasets "
        "(default 10000,100000; --quick 1000; each is seeded once with two weeks of bookings and kept;"
        " 1000000 takes ~40 min and ~20 GB to build)",
    )
    p.add_argument(
        "--activity-days",
        type=int,
        default=seed.ACTIVITY_DAYS,
        help=f"days of bookings each dataset is seeded with (default {seed.ACTIVITY_DAYS}; "
        "another number is another database, bookiji_bench_p<N>_d<days>)",
    )
    p.add_argument(
        "--clients",
        help="comma-separated WebSocket client counts of the realtime scenario (default 1000,5000)",
    )
    p.add_argument("--quick", action="store_true", help="one short sample per variant, no warm-up")
    p.add_argument(
        "--database-url",
        help="benchmark this (superuser) database, deployed in place and kept; "
        "default: a new bookiji_bench database on the embedded cluster",
    )
    p.add_argument(
        "--chart-only",
        type=Path,
        metavar="RUN.json",
        help="measure nothing: redraw the chart of an earlier run next to its JSON",
    )
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    return p


def parse_options(argv: list[str] | None) -> tuple[Options, argparse.Namespace]:
    p = build_parser()
    args = p.parse_args(argv)
    base_duration, base_repeat, base_concurrency = QUICK if args.quick else DEFAULTS
    duration: float = args.duration if args.duration is not None else base_duration
    repeat: int = args.repeat if args.repeat is not None else base_repeat
    conc_text: str = args.concurrency or base_concurrency
    try:
        concurrency = sorted({int(c) for c in conc_text.split(",") if c.strip()})
    except ValueError:
        p.error(f"--concurrency: not a list of numbers: {conc_text}")
    if not 1 <= duration <= MAX_DURATION:
        p.error(f"--duration must be between 1 and {MAX_DURATION:g} seconds")
    if repeat < 1 or not concurrency or min(concurrency) < 1:
        p.error("--repeat and --concurrency must be positive")
    try:
        sizes = sorted(
            {int(n) for n in (args.sizes or ("1000" if args.quick else "10000,100000")).split(",")}
        )
    except ValueError:
        p.error(f"--sizes: not a list of numbers: {args.sizes}")
    if not sizes or not 1 <= min(sizes) <= max(sizes) <= 1_000_000:
        p.error("--sizes must be between 1 and 1,000,000")
    try:
        clients = sorted({int(n) for n in (args.clients or "1000,5000").split(",") if n.strip()})
    except ValueError:
        p.error(f"--clients: not a list of numbers: {args.clients}")
    if not clients or min(clients) < 1:
        p.error("--clients must be positive")
    if not 1 <= args.activity_days <= 400:
        p.error("--activity-days must be between 1 and 400")
    names = [s.name for s in SCENARIOS] if args.scenarios == "all" else args.scenarios.split(",")
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    # always in the registry's order: later scenarios may use earlier results
    ordered = [s.name for s in SCENARIOS if s.name in names]
    return (
        Options(
            ordered, duration, repeat, concurrency, args.quick, sizes, clients, args.activity_days
        ),
        args,
    )


def _sample(variant: Variant, duration: float) -> Sample:
    try:
        return variant.measure(duration)
    except ToolError as exc:
        print(f"    ! {variant.name} c={variant.concurrency}: {exc}", file=sys.stderr)
        return Sample(requests=0, seconds=0.0, throughput=0.0, errors=1, extra={"tool_failed": 1})


def _progress(variant: Variant, s: Sample) -> str:
    lat = (
        f"p50 {s.p50_ms:.2f} ms p99 {s.p99_ms:.2f} ms"
        if s.p50_ms is not None and s.p99_ms is not None
        else f"mean {s.mean_ms:.3f} ms"
        if s.mean_ms is not None
        else ""
    )
    return (
        f"    {variant.name} c={variant.concurrency}: {s.throughput:.1f} {variant.unit} "
        f"{lat} errors {s.errors} non-2xx {s.non_2xx}"
    )


def run_scenarios(ctx: Context) -> list[dict[str, Any]]:
    opts = ctx.options
    done: list[dict[str, Any]] = []
    for name in opts.scenarios:
        scenario = BY_NAME[name]
        print(f"== {scenario.name}: {scenario.title}", flush=True)
        started = time.monotonic()
        plan = scenario.plan(ctx)
        duration = min(opts.duration, plan.max_duration or opts.duration)
        if not opts.quick and plan.warm_up:
            for v in plan.variants:
                _sample(v, min(WARMUP, duration))
        samples: dict[tuple[str, int], list[Sample]] = {v.key: [] for v in plan.variants}
        for round_no in range(min(opts.repeat, plan.max_repeat or opts.repeat)):
            # A B C, then C B A, then A B C: drift on a shared machine hits every side alike
            order = plan.variants if round_no % 2 == 0 else list(reversed(plan.variants))
            for v in order:
                s = _sample(v, duration)
                samples[v.key].append(s)
                print(_progress(v, s), flush=True)
        results: list[Result] = [aggregate(name, v, samples[v.key]) for v in plan.variants]
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
        ctx.results.extend(results)
        done.append(
            {
                "name": scenario.name,
                "title": scenario.title,
                "seconds": round(time.monotonic() - started, 1),
                "results": results,
                "ratios": [ratio(name, r, results) for r in plan.ratios],
            }
        )
    return done


def _git() -> str:
    res = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return res.stdout.strip() or "unknown"


def run(opts: Options, *, database_url: str | None, results_dir: Path) -> Path:
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    with open_env(database_url, opts.activity_days) as env:
        machine = env.machine()
        ctx = Context(opts, env)
        scenarios = run_scenarios(ctx)
        machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    calibration = next((r.throughput for r in ctx.results if r.scenario == "calibration"), None)
    for r in ctx.results:
        if calibration:
            r.extra["throughput_per_calibration_tps"] = r.throughput / calibration
    doc: dict[str, Any] = {
        "format": "bookiji-bench/1",
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git(),
        "options": {
            "scenarios": opts.scenarios,
            "duration_s": opts.duration,
            "repeat": opts.repeat,
            "concurrency": opts.concurrency,
            "clients": opts.clients,
            "quick": opts.quick,
        },
        "machine": machine,
        "calibration_tps": calibration,
        "scenarios": scenarios,
    }
    print()
    print(report.table(scenarios))
    print()
    print("machine: " + report.machine_line(machine, calibration))
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path = results_dir / f"{stamp}.json"
    json_path.write_text(report.to_json(doc))
    png = report.chart(doc, results_dir / f"{stamp}.png")
    print(f"wrote {json_path}" + (f" and {png.name}" if png else ""))
    return json_path


def main(argv: list[str] | None = None) -> int:
    opts, args = parse_options(argv)
    if args.chart_only:
        png = report.chart(report.load(args.chart_only), args.chart_only.with_suffix(".png"))
        print(f"wrote {png}" if png else "nothing to draw: no scenario measured latencies")
        return 0
    run(opts, database_url=args.database_url, results_dir=args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
