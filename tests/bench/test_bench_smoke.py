"""`bookiji bench` works end to end and writes what it promises. Benchmarks are not
tests: nothing here looks at how fast anything was, only that every figure is
there and that errors and non-2xx answers are counted."""

from __future__ import annotations

import http.server
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest

import bookiji_seed as seed
from bench import env, model, report, runner, tools
from bench.model import Ratio, RatioResult, Result, Sample, Variant, aggregate
from tests.helpers import stack
from tests.helpers.bench_run import run_bench

HEY_OUTPUT = """
Summary:
  Total:\t1.0020 secs
  Slowest:\t0.0210 secs
  Fastest:\t0.0010 secs
  Average:\t0.0030 secs
  Requests/sec:\t95.8084

Latency distribution:
  10% in 0.0015 secs
  50% in 0.0025 secs
  99% in 0.0200 secs

Status code distribution:
  [200]\t90 responses
  [429]\t4 responses
  [503]\t2 responses

Error distribution:
  [3]\tGet http://127.0.0.1:1/rpc/ping: dial tcp 127.0.0.1:1: connect: connection refused
  [1]\tGet http://127.0.0.1:1/rpc/ping: context deadline exceeded
"""


def _run_bench(db_url: str, out: Path, *args: str) -> dict[str, Any]:
    return run_bench(db_url, out, *args)[0]


def test_a_quick_run_writes_every_figure_with_its_machine_and_counts(
    bench_db: str, tmp_path: Path
) -> None:
    doc = _run_bench(bench_db, tmp_path, "--scenarios", "overhead", "--concurrency", "2")

    assert doc["format"] == "bookiji-bench/1"
    assert doc["options"]["scenarios"] == ["overhead"]
    machine = doc["machine"]
    for key in ("cores", "memory_gib", "postgres", "postgrest", "nginx", "wrk", "pgbench"):
        assert machine[key], key
    assert "calibration_tps" in doc  # None: calibration did not run

    (scenario,) = doc["scenarios"]
    assert scenario["name"] == "overhead"
    variants = {r["variant"] for r in scenario["results"]}
    assert len(variants) == 4 and any("direct SQL" in v for v in variants)
    for r in scenario["results"]:
        assert r["concurrency"] == 2
        assert len(r["samples"]) == 1
        figures = ["throughput", "mean_ms"]
        if "direct SQL" not in r["variant"]:  # pgbench gives a mean only
            figures += ["p50_ms", "p99_ms", "max_ms"]
        for figure in figures:
            assert isinstance(r[figure], int | float), (r["variant"], figure)
        assert isinstance(r["errors"], int) and isinstance(r["non_2xx"], int)
        assert r["requests"] > 0
    ratios = {q["name"]: q for q in scenario["ratios"]}
    assert ratios["hook ÷ no hook"]["target"] == 0.9
    assert isinstance(ratios["hook ÷ no hook"]["value"], float)
    assert ratios["hook ÷ no hook"]["met"] in (True, False)


def test_the_quote_is_measured_closed_loop_then_at_fixed_rates_of_its_maximum(
    bench_db: str, tmp_path: Path
) -> None:
    doc = _run_bench(
        bench_db,
        tmp_path,
        "--scenarios",
        "quote,quote-open-loop",
        "--concurrency",
        "2",
        "--sizes",
        "30",
    )
    closed, fixed = doc["scenarios"]
    assert [closed["name"], fixed["name"]] == ["quote", "quote-open-loop"]
    (http,) = [r for r in closed["results"] if r["variant"].startswith("nginx")]
    assert http["errors"] == 0 and http["non_2xx"] == 0
    asked = [r["extra"]["asked_rate"] for r in fixed["results"]]
    assert asked == pytest.approx([http["throughput"] * 0.5, http["throughput"] * 0.8])
    for r in fixed["results"]:
        assert r["note"] == f"max {http['throughput']:.0f} req/s (from the quote scenario)"
        assert r["requests"] > 0 and r["errors"] == 0 and r["non_2xx"] == 0
        assert r["p50_ms"] <= r["p99_ms"] <= r["max_ms"]
        assert r["p99_target_ms"] is None and r["p99_met"] is None  # targets: 100k and 1M


@pytest.mark.parametrize(("p99", "verdict"), [(24.9, "met"), (25.0, "MISSED"), (None, "-")])
def test_a_latency_target_is_printed_beside_the_p99(p99: float | None, verdict: str) -> None:
    sample = Sample(requests=10, seconds=1.0, throughput=10.0, p50_ms=1.0, p99_ms=p99)
    variant = Variant("q", 32, lambda _: sample, p99_target_ms=25.0)
    result = aggregate("quote-open-loop", variant, [sample])
    assert result.p99_met is {"met": True, "MISSED": False, "-": None}[verdict]
    (row,) = report.table_rows([{"results": [result], "ratios": []}])
    assert row[9] == f"p99 target < 25 ms: {verdict}"
    assert result.to_json()["p99_met"] is result.p99_met


def test_a_ratio_is_given_round_by_round_beside_the_ratio_of_the_medians() -> None:
    def samples(*tps: float) -> list[Sample]:
        return [Sample(requests=100, seconds=1.0, throughput=t) for t in tps]

    def result(name: str, tps: list[Sample]) -> Result:
        return aggregate("confirm", Variant(name, 4, lambda _: tps[0], unit="tx/s"), tps)

    # round 2 is a slow minute for the numerator: its ratio is the lowest, the medians' is not
    with_, without = result("with", samples(90, 60, 88)), result("without", samples(100, 100, 110))
    q = model.ratio(
        "confirm", Ratio("with ÷ without", ("with", 4), ("without", 4), 0.9), [with_, without]
    )

    assert q.value == pytest.approx(88 / 100)
    assert q.rounds == pytest.approx([0.9, 0.6, 0.8])
    assert q.met is False
    text = report.table_rows([{"results": [], "ratios": [q]}])[0][9]
    assert text == "0.88 [0.60-0.90] (target ≥ 0.90: MISSED)"
    # one round: no spread to show; and an earlier run's JSON without rounds still loads
    single = model.ratio(
        "confirm",
        Ratio("r", ("with", 4), ("without", 4)),
        [result("with", samples(90)), result("without", samples(100))],
    )
    assert report.table_rows([{"results": [], "ratios": [single]}])[0][9] == "0.90"
    old = {k: v for k, v in q.to_json().items() if k not in ("rounds", "met")}
    assert RatioResult(**old).rounds == []


def test_answers_that_are_not_a_success_are_counted(api: stack.PostgREST) -> None:
    sample = tools.wrk(
        f"{api.url}/rpc/no_such_function", connections=1, duration=1, script=tools.wrk_script()
    )
    assert sample.requests > 0
    assert sample.non_2xx == sample.requests
    assert sample.errors == 0


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 200, or 503 when the body says so; keeps every body it was sent."""

    bodies: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.bodies.append(f"{self.headers['Authorization']} {body}")
        self.send_response(503 if body == "fail" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_fixed_rate_generator_rotates_its_requests_and_counts_every_answer() -> None:
    _Recorder.bodies.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        requests = [
            {"method": "POST", "headers": {"Authorization": f"Bearer t{i}"}, "body": body}
            for i, body in enumerate(["a", "b", "c", "fail"])
        ]
        url = f"http://127.0.0.1:{server.server_address[1]}/rpc/quote"
        sample = tools.fixed_rate(url, rate=40, duration=1, connections=4, requests=requests)
    finally:
        server.shutdown()
        server.server_close()
    assert sample.requests == 40 and sample.errors == 0
    assert sample.non_2xx == 10  # every fourth request
    assert sorted(set(_Recorder.bodies)) == [
        "Bearer t0 a",
        "Bearer t1 b",
        "Bearer t2 c",
        "Bearer t3 fail",
    ]
    assert len(_Recorder.bodies) == 40
    assert sample.extra["asked_rate"] == 40
    assert sample.p50_ms is not None and sample.p99_ms is not None and sample.max_ms is not None
    assert sample.p50_ms <= sample.p99_ms <= sample.max_ms

    # nothing listens there: every request is an error, none an answer
    dead = tools.fixed_rate(url, rate=20, duration=1, connections=2, requests=requests)
    assert dead.requests == dead.errors == 20
    assert dead.non_2xx == 0 and dead.p99_ms is None


def test_hey_errors_and_non_2xx_are_counted_apart() -> None:
    sample = tools.parse_hey(HEY_OUTPUT)
    assert sample.errors == 4
    assert sample.non_2xx == 6
    assert sample.requests == 100
    assert sample.p50_ms == pytest.approx(2.5)
    assert sample.p99_ms == pytest.approx(20.0)


def test_the_queue_scenarios_failing_and_stripe_workers_settle_every_message(
    bench_db: str,
) -> None:
    """The worker variants of the queue scenario at a tiny size: every message settles,
    10% fail (half once, then succeed; half until dead-lettered), one PaymentIntent each."""
    from bench.scenarios import queue

    settings = stack.settings()
    flaky = queue._flaky(settings, bench_db, 200)
    assert flaky.requests == 200 and flaky.errors == 0
    assert flaky.extra["dead_letters"] == 10 == flaky.extra["expected_dead"]
    assert flaky.extra["retried"] == 20  # the 10 that fail once and the 10 dead letters
    made = queue._stripe(settings, bench_db, 20)
    assert made.requests == 20 and made.errors == 0
    batched = queue._worker(settings, bench_db, 500)
    assert batched.requests == 500 and batched.errors == 0
    single = queue._worker(settings, bench_db, 50, "bench.noop_single")
    assert single.requests == 50 and single.errors == 0


def test_a_recorded_command_names_the_interpreter_by_its_path_inside_the_checkout() -> None:
    from bench.tools import shown

    line = shown([sys.executable, "-m", "worker", "--once"])
    assert line.endswith(" -m worker --once")
    assert not line.startswith("/"), line
    assert shown(["/usr/bin/pgbench", "-n"]) == "/usr/bin/pgbench -n"


def test_the_realtime_scenario_fans_out_to_its_clients_and_weighs_the_event_log(
    bench_db: str, tmp_path: Path
) -> None:
    """20 WebSocket clients through nginx, confirms at a steady rate: every event reaches
    every client subscribed to its provider (none missing), with a latency, a memory per
    connection and the service's CPU; confirm measured with and without the event log."""
    doc, out = run_bench(
        bench_db,
        tmp_path,
        "--scenarios",
        "realtime",
        "--concurrency",
        "2",
        "--sizes",
        "30",
        "--clients",
        "20",
        timeout=300,
    )
    assert doc["options"]["clients"] == [20]
    (scenario,) = doc["scenarios"]
    by_name = {r["variant"]: r for r in scenario["results"]}
    fan = by_name["fan-out to 20 clients"]
    extra = fan["extra"]
    assert extra["clients"] == 20
    assert extra["events"] > 0 and extra["confirms_failed"] == 0
    assert extra["deliveries_expected"] >= extra["events"]  # every provider has a subscriber
    assert extra["deliveries_missing"] == 0 and fan["errors"] == 0
    assert fan["requests"] == extra["deliveries_expected"]
    assert fan["p50_ms"] <= fan["p99_ms"] <= fan["max_ms"]
    assert isinstance(extra["rss_per_connection_kb"], float)
    assert extra["realtime_cpu_ms_per_delivery"] > 0
    for name in ("confirm (pgbench), event log on", "confirm (pgbench), event log off"):
        assert by_name[name]["requests"] > 0 and by_name[name]["errors"] == 0, (by_name[name], out)
    (ratio,) = scenario["ratios"]
    assert ratio["name"] == "confirm with ÷ without the event log" and ratio["target"] == 0.95
    assert isinstance(ratio["value"], float)
    assert "fan-out to 20 clients" in out


def test_the_analytics_scenario_measures_every_dashboard_and_the_confirm_ratio(
    bench_db: str, tmp_path: Path
) -> None:
    # the confirm variants quote their offers first: longer than the default timeout
    doc, _out = run_bench(
        bench_db,
        tmp_path,
        "--scenarios",
        "analytics",
        "--concurrency",
        "2",
        "--sizes",
        "30",
        timeout=400,
    )
    (scenario,) = doc["scenarios"]
    variants = {r["variant"]: r for r in scenario["results"]}
    for fn in ("overview", "revenue", "provider", "funnel", "cohorts", "customers"):
        r = variants[f"GET /rpc/analytics_{fn}"]
        assert r["requests"] > 0 and r["errors"] == 0 and r["non_2xx"] == 0, fn
        assert r["p99_target_ms"] == 50.0
    for fn in (
        "bookings (all)",
        "bookings (captured_cents)",
        "bookings (provider)",
        "performance (ops)",
    ):
        r = variants[f"GET /rpc/analytics_{fn}"]
        assert r["requests"] > 0 and r["errors"] == 0 and r["non_2xx"] == 0, fn
    for name in ("confirm, rollups kept (pgbench)", "confirm, rollups off (pgbench)"):
        assert variants[name]["requests"] > 0 and variants[name]["errors"] == 0, (
            variants[name],
            _out,
        )
    (ratio,) = scenario["ratios"]
    assert ratio["name"] == "confirm with rollups ÷ without" and isinstance(ratio["value"], float)

    # the kept dataset holds the run's confirms and quotes until the next run deletes them
    # (bench.env.forget_activity), its rollups following: the seed's bookings stay as built
    dataset = psycopg.conninfo.make_conninfo(bench_db, dbname="bookiji_bench_p30")
    mine = "(select id from app.users where email ~ '^(bench|race)-[^@]+@bookiji[.]test$')"
    with psycopg.connect(dataset, autocommit=True) as conn:
        seeded = conn.execute(
            f"select count(*), sum(price_cents) from app.bookings where customer_id not in {mine}"
        ).fetchone()
        made = conn.execute(
            f"select count(*) from app.bookings where customer_id in {mine}"
        ).fetchone()
        quoted = conn.execute(
            f"select count(*) from app.quotes where customer_id in {mine}"
        ).fetchone()
    assert made and made[0] > 0 and quoted and quoted[0] > 0
    forgot = env.forget_activity(dataset, batch=50)  # several batches
    assert (forgot.bookings, forgot.quotes) == (made[0], quoted[0])
    with psycopg.connect(dataset, autocommit=True) as conn:
        assert conn.execute(
            f"select (select count(*) from app.bookings where customer_id in {mine}), "
            f"(select count(*) from app.quotes where customer_id in {mine})"
        ).fetchone() == (0, 0)
        assert (
            conn.execute(
                f"select count(*), sum(price_cents) from app.bookings where customer_id not in {mine}"
            ).fetchone()
            == seeded
        )
        assert conn.execute("select * from internal.analytics_drift()").fetchall() == []
    again = env.forget_activity(dataset)
    assert (again.bookings, again.quotes) == (0, 0)


def test_the_cache_scenario_measures_the_hit_path_against_postgrest(
    bench_db: str, tmp_path: Path
) -> None:
    doc, out = run_bench(
        bench_db, tmp_path, "--scenarios", "cache", "--concurrency", "2", "--sizes", "30"
    )
    (scenario,) = doc["scenarios"]
    variants = {r["variant"]: r for r in scenario["results"]}
    assert set(variants) == {"nginx cache hit", "nginx → PostgREST, no cache", "PostgREST direct"}
    for name, r in variants.items():
        assert r["requests"] > 0 and r["errors"] == 0 and r["non_2xx"] == 0, (name, out)
    ratios = {q["name"]: q["value"] for q in scenario["ratios"]}
    assert set(ratios) == {
        "cache hit ÷ nginx → PostgREST, c=2",
        "cache hit ÷ PostgREST direct, c=2",
    }
    assert all(isinstance(v, float) for v in ratios.values())


def test_another_activity_window_is_a_dataset_of_its_own() -> None:
    opts, _ = runner.parse_options(["--sizes", "1000", "--activity-days", "365"])
    assert opts.activity_days == 365
    assert runner.parse_options([])[0].activity_days == seed.ACTIVITY_DAYS
    assert (env.dataset_name(1000), env.dataset_name(1000, 365)) == (
        "bookiji_bench_p1000",
        "bookiji_bench_p1000_d365",
    )
    for bad in ("0", "401"):
        with pytest.raises(SystemExit):
            runner.parse_options(["--activity-days", bad])
