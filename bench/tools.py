"""The load tools (wrk, hey, pgbench) as functions that return a :class:`Sample`,
and CPU accounting from /proc.

Every run is bounded: the tool's own duration, and a subprocess timeout of that
duration plus a margin. Every target is on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bench.sample import Sample


def shown(cmd: Sequence[str]) -> str:
    """A command line as a benchmark result records it: the interpreter named by its
    path inside the checkout (``.venv/bin/python3``), never by this machine's path."""
    exe = Path(cmd[0])
    root = Path(__file__).resolve().parent.parent
    if exe.is_absolute() and exe.is_relative_to(root):
        exe = exe.relative_to(root)
    return " ".join([str(exe), *cmd[1:]])


PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
MARGIN = 30.0  # seconds a tool may overrun its duration before it is killed
CLK_TCK = os.sysconf("SC_CLK_TCK")


class ToolError(RuntimeError):
    """A load tool failed or printed something this module cannot read."""


def _run(
    cmd: list[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    *,
    ends_with: str | None = None,
) -> str:
    """``cmd``'s output; a non-zero exit is a ToolError unless its error output holds
    ``ends_with`` (an expected way for the run to end, e.g. pgbench's pool emptied)."""
    try:
        res = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=None if env is None else {**os.environ, **env},
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{cmd[0]} ran past {timeout:.0f} s and was stopped") from exc
    if res.returncode != 0 and not (ends_with and ends_with in res.stderr):
        raise ToolError(f"{shlex.join(cmd)} exited {res.returncode}:\n{res.stderr[-2000:]}")
    return res.stdout


# --- CPU accounting ---------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may hold spaces and parentheses: split after the last ')'
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """CPU seconds (user + system) of a process, its threads included; with its live
    children, and the ones it has already reaped, when ``with_children``."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # fields[0] is field 3 (state) of proc(5): utime=14, stime=15, cutime=16, cstime=17
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
        for child in children(pid):
            child_fields = _stat(child)
            if child_fields is not None:
                ticks += int(child_fields[11]) + int(child_fields[12])
    return ticks / CLK_TCK


def children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[1] == str(pid):
                found.append(int(entry.name))
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass(frozen=True)
class CpuProbe:
    """A process group whose CPU time is measured around a sample (PostgREST, the
    whole PostgreSQL cluster, nginx with its workers)."""

    name: str
    pid: int
    with_children: bool = False

    def read(self) -> float:
        return cpu_seconds(self.pid, with_children=self.with_children)

    def settle(self, children_before: int, timeout: float = 2.0) -> None:
        """Wait until the children that the sample started have exited and been reaped
        (pgbench's backends exit after pgbench does): only then is their CPU counted."""
        if not self.with_children:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kids = children(self.pid)
            zombies = any((_stat(k) or ["Z"])[0] == "Z" for k in kids)
            if len(kids) <= children_before and not zombies:
                return
            time.sleep(0.05)


@contextmanager
def cpu_accounting(probes: list[CpuProbe]) -> Iterator[Callable[[int], dict[str, float]]]:
    """Measure CPU around a block; the yielded function turns the deltas into
    milliseconds per request (and the machine's busy share, and the load tool's CPU)."""
    before = {p.name: p.read() for p in probes}
    kids = {p.name: len(children(p.pid)) for p in probes if p.with_children}
    kids_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before, total_before = machine_ticks()
    after: dict[str, float] = {}
    kids_after = kids_before
    busy_after, total_after = busy_before, total_before

    def per_request(requests: int) -> dict[str, float]:
        n = max(requests, 1)
        out = {f"{name}_cpu_ms_per_req": (after[name] - before[name]) * 1000 / n for name in after}
        tool = (kids_after.ru_utime + kids_after.ru_stime) - (
            kids_before.ru_utime + kids_before.ru_stime
        )
        out["loadgen_cpu_ms_per_req"] = tool * 1000 / n
        if total_after > total_before:
            out["machine_busy_pct"] = (
                100 * (busy_after - busy_before) / (total_after - total_before)
            )
        return out

    yield per_request
    busy_after, total_after = machine_ticks()
    kids_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for p in probes:
        p.settle(kids.get(p.name, 0))
    after = {p.name: p.read() for p in probes}


def measured(probes: list[CpuProbe], run: Callable[[], Sample]) -> Sample:
    """Run a sample with CPU accounting; the CPU figures go into ``sample.extra``."""
    with cpu_accounting(probes) as per_request:
        sample = run()
    sample.extra.update(per_request(sample.requests))
    return sample


# --- wrk: closed loop, HTTP/1.1 keep-alive ----------------------------------

WRK_SUMMARY = r"""
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"connect\":%d,\"read\":%d," ..
    "\"write\":%d,\"status\":%d,\"timeout\":%d,\"p50_us\":%d,\"p99_us\":%d," ..
    "\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
"""
_WRK_DONE = "done = function(summary, latency, requests)" + WRK_SUMMARY + "end\n"


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string literal for ASCII


def wrk_script(
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    bodies: list[str] | None = None,
    header_sets: list[Mapping[str, str]] | None = None,
) -> str:
    """A wrk Lua script: fixed method and headers, and optionally a body (and extra
    headers) taken in turn from a list per request."""
    lines = [f"wrk.method = {lua_string(method)}"]
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    if bodies or header_sets:
        n = len(bodies or header_sets or [])
        body_list = ", ".join(lua_string(b) for b in bodies or [])
        sets = ", ".join(
            "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in hs.items()) + "}"
            for hs in header_sets or []
        )
        lines += [
            f"local bodies = {{{body_list}}}",
            f"local header_sets = {{{sets}}}",
            "local i = 0",
            "request = function()",
            f"  i = i + 1; local k = (i % {n}) + 1",
            "  local h = {}",
            "  for name, value in pairs(wrk.headers) do h[name] = value end",
            "  if #header_sets > 0 then for name, value in pairs(header_sets[k]) do"
            " h[name] = value end end",
            "  return wrk.format(nil, nil, h, bodies[k])",
            "end",
        ]
    return "\n".join(lines) + "\n" + _WRK_DONE


def wrk(
    url: str,
    *,
    connections: int,
    duration: float,
    script: str,
    threads: int = 1,
    timeout_s: float = 5.0,
) -> Sample:
    """Closed loop: ``connections`` keep-alive connections each send their next
    request when the previous answer arrives."""
    sample, _ = wrk_output(
        url,
        connections=connections,
        duration=duration,
        script=script,
        threads=threads,
        timeout_s=timeout_s,
    )
    return sample


def wrk_output(
    url: str,
    *,
    connections: int,
    duration: float,
    script: str,
    threads: int = 1,
    timeout_s: float = 5.0,
) -> tuple[Sample, str]:
    """:func:`wrk`, and what wrk printed (a script's ``done`` may print more)."""
    with tempfile.TemporaryDirectory(prefix="bookiji-wrk-") as tmp:
        path = Path(tmp) / "script.lua"
        path.write_text(script)
        cmd = [
            "wrk",
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={timeout_s:g}s",
            "-s",
            str(path),
            url,
        ]
        out = _run(cmd, duration + MARGIN)
    return parse_wrk(out, shlex.join([*cmd[:-2], "<script>", url])), out


def parse_wrk(out: str, command: str = "") -> Sample:
    """Read the line that the script's done() prints."""
    match = re.search(r"^BENCH_JSON (\{.*\})$", out, re.M)
    if not match:
        raise ToolError(f"wrk printed no summary:\n{out[-2000:]}")
    d = json.loads(match.group(1))
    seconds = d["duration_us"] / 1e6
    errors = d["connect"] + d["read"] + d["write"] + d["timeout"]
    return Sample(
        requests=d["requests"],
        seconds=seconds,
        throughput=d["requests"] / seconds if seconds else 0.0,
        mean_ms=d["mean_us"] / 1000,
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        max_ms=d["max_us"] / 1000,
        errors=errors,
        non_2xx=d["status"],  # wrk counts answers with a status of 400 or more
        command=command,
    )


# --- hey: a fixed request rate ----------------------------------------------


def hey(
    url: str,
    *,
    rate: float,
    workers: int,
    duration: float,
    headers: Mapping[str, str] | None = None,
) -> Sample:
    """``rate`` requests per second in all, spread over ``workers`` (hey's -q is per
    worker). Each worker still waits for its answer before its next tick, so past
    saturation this under-reports latency (coordinated omission); below it, it is
    close to an open loop."""
    per_worker = rate / workers
    cmd = [
        "hey",
        "-z",
        f"{max(1, round(duration))}s",
        "-c",
        str(workers),
        "-q",
        f"{per_worker:.2f}",
    ]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    out = _run(cmd, duration + MARGIN)
    return parse_hey(out, shlex.join([c if "Bearer" not in c else "<token>" for c in cmd]))


def parse_hey(out: str, command: str = "") -> Sample:
    def secs(label: str) -> float | None:
        m = re.search(rf"^\s*{re.escape(label)}:\s+([0-9.]+) secs", out, re.M)
        return float(m.group(1)) if m else None

    def pct(p: int) -> float | None:
        m = re.search(rf"^\s*{p}% in ([0-9.]+) secs", out, re.M)
        return float(m.group(1)) * 1000 if m else None

    statuses = {
        int(c): int(n) for c, n in re.findall(r"^\s*\[(\d{3})\]\s+(\d+) responses", out, re.M)
    }
    error_block = out.split("Error distribution:", 1)[1] if "Error distribution:" in out else ""
    errors = sum(int(n) for n in re.findall(r"^\s*\[(\d+)\]\s", error_block, re.M))
    total = secs("Total")
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if total is None or rps is None:
        raise ToolError(f"hey printed no summary:\n{out[-2000:]}")
    slowest = secs("Slowest")
    average = secs("Average")
    answered = sum(statuses.values())
    return Sample(
        requests=answered + errors,
        seconds=total,
        throughput=answered / total if total else 0.0,
        mean_ms=average * 1000 if average is not None else None,
        p50_ms=pct(50),
        p99_ms=pct(99),
        max_ms=slowest * 1000 if slowest is not None else None,
        errors=errors,
        non_2xx=sum(n for code, n in statuses.items() if not 200 <= code < 300),
        command=command,
    )


# --- fixed rate, rotating requests (bench.fixed_rate) ------------------------


def fixed_rate(
    url: str,
    *,
    rate: float,
    duration: float,
    connections: int,
    requests: Sequence[Mapping[str, Any]],
) -> Sample:
    """Open loop: ``rate`` requests per second taken in turn from ``requests``
    (``method``, ``headers``, ``body``), latency counted from each one's due time;
    see :mod:`bench.fixed_rate`."""
    spec = {
        "url": url,
        "rate": rate,
        "duration": duration,
        "connections": connections,
        "timeout": 10.0,
        "requests": list(requests),
    }
    with tempfile.TemporaryDirectory(prefix="bookiji-rate-") as tmp:
        path = Path(tmp) / "spec.json"
        path.write_text(json.dumps(spec))
        cmd = [sys.executable, "-m", "bench.fixed_rate", str(path)]
        out = _run(cmd, duration + MARGIN)
    command = f"python -m bench.fixed_rate (rate {rate:.0f}/s, {len(requests)} requests, " + (
        f"{connections} connections, {duration:.0f} s) {url}"
    )
    return parse_fixed_rate(out, command)


def parse_fixed_rate(out: str, command: str = "") -> Sample:
    try:
        d = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise ToolError(f"bench.fixed_rate printed no summary:\n{out[-2000:]}") from exc
    statuses = {int(k): v for k, v in d["statuses"].items()}
    errors = sum(d["errors"].values())
    return Sample(
        requests=d["answered"] + errors,
        seconds=d["seconds"],
        throughput=d["answered"] / d["seconds"] if d["seconds"] else 0.0,
        mean_ms=d["mean_ms"],
        p50_ms=d["p50_ms"],
        p99_ms=d["p99_ms"],
        max_ms=d["max_ms"],
        errors=errors,
        non_2xx=sum(n for code, n in statuses.items() if not 200 <= code < 300),
        extra={"asked_rate": d["asked_rate"], "generator_late_ms": d["generator_late_ms"]},
        command=command,
    )


# --- pgbench ----------------------------------------------------------------


def pg_env(url: str) -> tuple[dict[str, str], str]:
    """libpq variables for a postgresql:// URL (the password stays out of argv)."""
    parts = urlsplit(url)
    env = {
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": unquote(parts.username or "postgres"),
        "PGPASSWORD": unquote(parts.password or ""),
        "PGSSLMODE": "disable",
    }
    return env, unquote(parts.path.lstrip("/")) or "postgres"


def pgbench_init(url: str, scale: int) -> None:
    env, db = pg_env(url)
    _run([PGBENCH, "-i", "-q", "-s", str(scale), "--unlogged-tables", db], 600, env)


def pgbench(
    url: str,
    *,
    clients: int,
    duration: float,
    jobs: int = 1,
    builtin: str | None = None,
    script: str | None = None,
    mode: str = "prepared",
    until_empty: bool = False,
) -> Sample:
    """pgbench for ``duration`` seconds: a built-in (``select-only``...) or a custom script.

    Latency is pgbench's average (clients ÷ tps) only: its per-transaction log
    reads a clock it refreshes lazily, and logs half of 20 µs transactions as 0 µs,
    so percentiles from it would be wrong exactly where this benchmark looks.

    ``until_empty``: the script pops its work from a table with ``\\gset``; a client
    that finds the table empty ends there ("expected one row, got 0"), and the run's
    summary counts what was done until then (a small dataset's offers run out).
    """
    env, db = pg_env(url)
    with tempfile.TemporaryDirectory(prefix="bookiji-pgbench-") as tmp:
        cmd = [
            PGBENCH,
            "-n",
            "-c",
            str(clients),
            "-j",
            str(min(jobs, clients)),
            "-T",
            str(max(1, round(duration))),
            "-M",
            mode,
        ]
        if builtin:
            cmd += ["-b", builtin]
        if script is not None:
            path = Path(tmp) / "script.sql"
            path.write_text(script)
            cmd += ["-f", str(path)]
        cmd.append(db)
        started = time.monotonic()
        out = _run(
            cmd,
            duration + MARGIN,
            env,
            ends_with="expected one row, got 0" if until_empty else None,
        )
        elapsed = time.monotonic() - started
    processed = re.search(r"number of transactions actually processed: (\d+)", out)
    tps = re.search(r"^tps = ([0-9.]+)", out, re.M)
    if not processed or not tps:
        raise ToolError(f"pgbench printed no summary:\n{out[-2000:]}")
    failed = re.search(r"number of failed transactions: (\d+)", out)
    avg = re.search(r"latency average = ([0-9.]+) ms", out)
    return Sample(
        requests=int(processed.group(1)),
        seconds=elapsed,
        throughput=float(tps.group(1)),
        mean_ms=float(avg.group(1)) if avg else None,
        errors=int(failed.group(1)) if failed else 0,
        command=shlex.join([*cmd[:-1], "<db>"]).replace(tmp, "<tmp>"),
    )
