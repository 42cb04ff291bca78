"""The three outputs of a run: a table on the terminal, a JSON file, a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.model import RatioResult, Result, Sample

CPU_NAMES = (("postgrest", "pgrst"), ("postgres", "pg"), ("nginx", "ngx"))


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def _cpu(extra: dict[str, float]) -> str:
    parts = [
        f"{short} {extra[f'{name}_cpu_ms_per_req']:.3f}"
        for name, short in CPU_NAMES
        if f"{name}_cpu_ms_per_req" in extra
    ]
    return " ".join(parts)


def _ratio_text(r: RatioResult) -> str:
    if r.value is None:
        return "n/a"
    text = f"{r.value:.2f}"
    if len(r.rounds) > 1:  # the ratio of each round: how much the machine's noise moves it
        text += f" [{min(r.rounds):.2f}-{max(r.rounds):.2f}]"
    if r.target is not None:
        text += f" (target ≥ {r.target:.2f}: {'met' if r.met else 'MISSED'})"
    return text


def _p99_text(r: Result) -> str:
    if r.p99_target_ms is None:
        return ""
    verdict = "-" if r.p99_met is None else "met" if r.p99_met else "MISSED"
    return f"p99 target < {r.p99_target_ms:g} ms: {verdict}"


HEADER = (
    "scenario",
    "variant",
    "c",
    "throughput",
    "mean ms",
    "p50 ms",
    "p99 ms",
    "max ms",
    "err/non-2xx",
    "ratio (target)",
    "CPU ms/req",
)


def table_rows(scenarios: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for sc in scenarios:
        for r in sc["results"]:
            res: Result = r
            rows.append(
                (
                    res.scenario,
                    res.variant,
                    str(res.concurrency),
                    f"{res.throughput:.0f} {res.unit}"
                    if res.throughput >= 100
                    else f"{res.throughput:.1f} {res.unit}",
                    _num(res.mean_ms, 3),
                    _num(res.p50_ms),
                    _num(res.p99_ms),
                    _num(res.max_ms, 1),
                    f"{res.errors}/{res.non_2xx}",
                    _p99_text(res),
                    _cpu(res.extra),
                )
            )
        for q in sc["ratios"]:
            ratio: RatioResult = q
            conc = ratio.numerator.rsplit("c=", 1)[-1]
            rows.append((ratio.scenario, ratio.name, conc, *[""] * 6, _ratio_text(ratio), ""))
    return rows


def table(scenarios: list[dict[str, Any]]) -> str:
    rows = [HEADER, *table_rows(scenarios)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    right = {2, 3, 4, 5, 6, 7, 8}
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_line(machine: dict[str, Any], calibration: float | None) -> str:
    cal = f", pgbench -S {calibration:.0f} tps" if calibration else ""
    return (
        f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB, "
        f"PostgreSQL {machine['postgres']}, PostgREST {machine['postgrest']}, "
        f"nginx {machine['nginx']}{cal}"
    )


def to_json(doc: dict[str, Any]) -> str:
    def default(obj: Any) -> Any:
        if hasattr(obj, "to_json"):
            return obj.to_json()
        raise TypeError(type(obj))

    return json.dumps(doc, indent=2, default=default, ensure_ascii=False) + "\n"


def load(path: Path) -> dict[str, Any]:
    """An earlier run's JSON, with its results as objects again (to redraw its chart)."""
    doc: dict[str, Any] = json.loads(path.read_text())
    for sc in doc["scenarios"]:
        results = []
        for r in sc["results"]:
            r["samples"] = [Sample(**{"mean_ms": None, **s}) for s in r["samples"]]
            fields = {k: v for k, v in r.items() if k != "p99_met"}
            results.append(Result(**{"mean_ms": None, **fields}))
        sc["results"] = results
        sc["ratios"] = [
            RatioResult(**{k: v for k, v in q.items() if k != "met"}) for q in sc["ratios"]
        ]
    return doc


def chart(doc: dict[str, Any], path: Path) -> Path | None:
    """Latency (p50 and p99; pgbench's mean where that is all there is) against
    throughput, one panel per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        sc
        for sc in doc["scenarios"]
        if sc["name"] != "calibration"
        and any(r.p50_ms is not None or r.mean_ms is not None for r in sc["results"])
    ]
    if not panels:
        return None
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    # each panel as tall as its legend needs (one line a series, and p50/p99/mean): the
    # analytics scenario's 30 series ran off a fixed 4.6 in
    def legend_lines(sc: dict[str, Any]) -> int:
        shown = [r for r in sc["results"] if r.p50_ms is not None or r.mean_ms is not None]
        return len({r.series or r.variant for r in shown}) + 3

    heights = [max(4.6, 0.19 * legend_lines(sc) + 0.8) for sc in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(11, sum(heights)),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"height_ratios": heights},
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, sc in zip(axes.flat, panels, strict=False):
        variants: dict[str, list[Result]] = {}
        for r in sc["results"]:
            if r.p50_ms is not None or r.mean_ms is not None:
                variants.setdefault(r.series or r.variant, []).append(r)
        handles = []
        used_mean = False
        for i, (name, results) in enumerate(variants.items()):
            results.sort(key=lambda r: r.throughput)
            xs = [r.throughput for r in results]
            color = colors[i % len(colors)]
            if all(r.p50_ms is not None for r in results):
                ax.plot(xs, [r.p50_ms for r in results], "o-", color=color, markersize=7)
                ax.plot(xs, [r.p99_ms for r in results], "^--", color=color, markersize=7)
            else:  # pgbench: a mean only
                ax.plot(xs, [r.mean_ms for r in results], "D:", color=color, markersize=6)
                used_mean = True
            for r in results:
                ax.annotate(
                    r.label or f"c={r.concurrency}",
                    (r.throughput, r.p50_ms or r.mean_ms or 0),
                    textcoords="offset points",
                    xytext=(5, -12),
                    fontsize=8,
                    color=color,
                )
            handles.append(Line2D([], [], color=color, marker="s", linestyle="", label=name))
        if any(r.p50_ms is not None for rs in variants.values() for r in rs):
            handles += [
                Line2D([], [], color="grey", marker="o", linestyle="-", label="p50"),
                Line2D([], [], color="grey", marker="^", linestyle="--", label="p99"),
            ]
        if used_mean:
            handles.append(
                Line2D([], [], color="grey", marker="D", linestyle=":", label="mean (pgbench)")
            )
        throughputs = [r.throughput for rs in variants.values() for r in rs if r.throughput > 0]
        if throughputs and max(throughputs) > 5 * min(throughputs):
            ax.set_xscale("log")
            ax.set_xlabel(f"throughput ({sc['results'][0].unit}, log scale)")
        else:
            ax.set_xlim(left=0, right=max(throughputs, default=1) * 1.15)
            ax.set_xlabel(f"throughput ({sc['results'][0].unit})")
        ax.set_title(f"{sc['name']}: {sc['title']}", fontsize=10, loc="left")
        ax.set_ylabel("latency, ms (log scale)")
        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        axes_to_label = [ax.yaxis, ax.xaxis] if ax.get_xscale() == "log" else [ax.yaxis]
        for axis in axes_to_label:
            axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(
        f"Bookiji bench {doc['started_at']}\n{machine_line(doc['machine'], doc['calibration_tps'])}",
        fontsize=10,
    )
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
