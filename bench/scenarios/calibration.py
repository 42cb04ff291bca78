"""pgbench's built-in select-only script on the same cluster: the yardstick.

Every other figure can be divided by this one to compare machines: it is what
this PostgreSQL, on this CPU, does with the simplest possible read.
"""

from __future__ import annotations

from bench.model import Context, Plan, Sample, Variant
from bench.tools import measured, pgbench

SCALE = 10  # 1 million pgbench_accounts rows: fits in shared_buffers
CLIENTS = 4
JOBS = 2


class Calibration:
    name = "calibration"
    title = f"pgbench -S (built-in select-only), scale {SCALE}, {CLIENTS} clients: the yardstick"

    def plan(self, ctx: Context) -> Plan:
        url = ctx.env.pgbench_url(SCALE)

        def measure(duration: float) -> Sample:
            return measured(
                ctx.env.probes(),
                lambda: pgbench(
                    url,
                    clients=CLIENTS,
                    jobs=JOBS,
                    duration=duration,
                    builtin="select-only",
                    mode="simple",
                ),
            )

        return Plan([Variant(f"pgbench -S -s {SCALE}", CLIENTS, measure, unit="tx/s")])
