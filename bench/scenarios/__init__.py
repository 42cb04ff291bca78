"""The scenarios, in the order they run. A new scenario is a module here with one
object that satisfies :class:`bench.model.Scenario`, added to ``SCENARIOS``."""

from __future__ import annotations

from bench.model import Scenario
from bench.scenarios.analytics import Analytics
from bench.scenarios.cache import Cache
from bench.scenarios.calibration import Calibration
from bench.scenarios.confirm import Confirm
from bench.scenarios.hook_sql import HookSql
from bench.scenarios.login import Login
from bench.scenarios.mixed import Mixed
from bench.scenarios.open_loop import OpenLoop
from bench.scenarios.overhead import Overhead
from bench.scenarios.pooling import Pooling
from bench.scenarios.queue import QueueScenario
from bench.scenarios.quote import Quote
from bench.scenarios.quote_open_loop import QuoteOpenLoop
from bench.scenarios.realtime import Realtime

SCENARIOS: list[Scenario] = [
    Calibration(),
    Overhead(),
    HookSql(),
    OpenLoop(),
    Login(),
    QueueScenario(),
    Quote(),
    QuoteOpenLoop(),
    Confirm(),
    Analytics(),
    Pooling(),
    Cache(),
    Mixed(),
    Realtime(),
]
BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}
