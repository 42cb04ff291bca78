"""A mix through nginx → PostgREST with the worker running: 90% quote, 9% confirm, 1% cancel.

On the smallest ``--sizes`` dataset (with its two weeks of bookings and time
off), with the per-customer hold limit lifted, the worker, localstripe and an
SMTP sink running (``BenchEnv.worker_for``): wrk runs one connection per thread,
each signed in as one of the 8 benchmark customers, and picks every request at
random:

- 90% ``POST /rpc/quote`` (the 64 bodies of the quote scenario, in turn);
- 9% ``POST /rpc/confirm_booking`` of an offer quoted beforehand in SQL by that
  connection's customer, each on a slot no other confirm overlaps (as the
  confirm scenario makes them), so that most succeed; the worker then creates
  each hold's PaymentIntent in localstripe and sends the mail;
- 1% ``POST /rpc/cancel_booking`` of a hold that this connection made (the
  newest one not cancelled yet); the worker cancels its PaymentIntent.

A confirm without an offer left, or a cancel without a booking to cancel, is
sent as a quote instead (the counts say what was sent). Latency is wrk's, over
all requests; per operation the sample counts 2xx, 409, other answers and
requests without an answer (``extra``: ``quote_2xx`` ...). After the run it waits
(at most 60 s) for the payments and notifications queues to drain, and counts
what is left, dead letters, and live bookings of one provider that overlap.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import psycopg

from bench.env import BenchEnv
from bench.model import Context, Plan, Sample, Variant
from bench.scenarios import quote as quote_scenario
from bench.scenarios.confirm import _claims, _Offers, lift_hold_limit
from bench.tools import WRK_SUMMARY, lua_string, measured, wrk_output
from bookiji.procs import ApiServer

NAME = "mixed: 90% quote, 9% confirm, 1% cancel"
OPS = ("quote", "confirm", "cancel")
KINDS = ("sent", "2xx", "409", "other", "errors")
MAX_CONNECTIONS = 64
DRAIN_SECONDS = 60.0
QUEUES = ("payments", "notifications")

# Live bookings made since the run started that overlap another live booking of
# their provider (an expired hold is not live).
OVERLAPS_SINCE = """
select count(*) from app.bookings a join app.bookings b
  on a.provider_id = b.provider_id and a.id <> b.id and a.blocked && b.blocked
where a.created_at >= %s
  and a.status in ('pending_payment', 'confirmed') and b.status in ('pending_payment', 'confirmed')
  and (a.status = 'confirmed' or a.hold_expires_at > now())
  and (b.status = 'confirmed' or b.hold_expires_at > now())
"""

_SCRIPT = r"""
wrk.method = "POST"
local quotes = {%(quotes)s}
local tokens = {%(tokens)s}
local offers = {%(offers)s}
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local ops = {"quote", "confirm", "cancel"}
local kinds = {"sent", "2xx", "409", "other"}

function init(args)
  math.randomseed(9000 + tid)
  auth = "Bearer " .. tokens[((tid - 1) %% #tokens) + 1]
  mine = offers[tid] or {}
  next_offer = 1
  booked = {}
  qi = tid
  last = nil
  for _, op in ipairs(ops) do
    for _, k in ipairs(kinds) do _G["n_" .. op .. "_" .. k] = 0 end
  end
end

local function count(op, kind)
  local name = "n_" .. op .. "_" .. kind
  _G[name] = _G[name] + 1
end

function request()
  local r = math.random(100)
  local op = "quote"
  if r > 99 and #booked > 0 then
    op = "cancel"
  elseif r > 90 and r <= 99 and next_offer <= #mine then
    op = "confirm"
  end
  last = op
  count(op, "sent")
  local h = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
  if op == "confirm" then
    local body = mine[next_offer]
    next_offer = next_offer + 1
    return wrk.format("POST", "/rpc/confirm_booking", h, body)
  elseif op == "cancel" then
    local id = table.remove(booked)
    return wrk.format("POST", "/rpc/cancel_booking", h,
      '{"booking_id": "' .. id .. '", "reason": "bench"}')
  end
  qi = qi + 1
  return wrk.format("POST", "/rpc/quote", h, quotes[(qi %% #quotes) + 1])
end

function response(status, headers, body)
  local op = last
  last = nil
  if op == nil then return end
  if status >= 200 and status < 300 then
    count(op, "2xx")
    if op == "confirm" then
      local id = string.match(body, '"id"%%s*:%%s*"([%%x%%-]+)"')
      if id then table.insert(booked, id) end
    end
  elseif status == 409 then
    count(op, "409")
  else
    count(op, "other")
  end
end

done = function(summary, latency, requests)
%(summary)s
  local parts = {}
  for _, op in ipairs(ops) do
    local got = {sent = 0, ["2xx"] = 0, ["409"] = 0, other = 0, inflight = 0}
    for _, t in ipairs(threads) do
      for _, k in ipairs(kinds) do got[k] = got[k] + (t:get("n_" .. op .. "_" .. k) or 0) end
      if t:get("last") == op then got.inflight = got.inflight + 1 end
    end
    local errors = got.sent - got.inflight - got["2xx"] - got["409"] - got.other
    table.insert(parts, string.format(
      '"%%s": {"sent": %%d, "2xx": %%d, "409": %%d, "other": %%d, "errors": %%d}',
      op, got.sent - got.inflight, got["2xx"], got["409"], got.other, errors))
  end
  io.write("MIXED_JSON {" .. table.concat(parts, ", ") .. "}\n")
end
"""


def script(quotes: list[str], tokens: list[str], offers: list[list[str]]) -> str:
    """The wrk script: ``offers[t]`` are the confirm bodies of thread t + 1, whose
    customer is ``tokens[t % len(tokens)]``."""
    return _SCRIPT % {
        "quotes": ", ".join(lua_string(q) for q in quotes),
        "tokens": ", ".join(lua_string(t) for t in tokens),
        "offers": ", ".join(
            "{" + ", ".join(lua_string(b) for b in bodies) + "}" for bodies in offers
        ),
        "summary": WRK_SUMMARY,
    }


def parse_counts(out: str) -> dict[str, dict[str, int]]:
    for line in out.splitlines():
        if line.startswith("MIXED_JSON "):
            counts: dict[str, dict[str, int]] = json.loads(line.removeprefix("MIXED_JSON "))
            return counts
    return {op: dict.fromkeys(KINDS, 0) for op in OPS}


def _queue_state(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Messages left per queue, and dead letters. A message sent with a delay and not
    read yet (a booking's reminder, due a day before its start) is scheduled, not left:
    it is counted apart (``scheduled_<queue>``)."""
    out: dict[str, int] = {}
    for q in QUEUES:
        row = conn.execute(
            f"select count(*) filter (where read_ct > 0 or vt <= now()),"
            f" count(*) filter (where read_ct = 0 and vt > now()) from pgmq.q_{q}"
        ).fetchone()
        out[f"queue_left_{q}"], out[f"scheduled_{q}"] = (
            (int(row[0]), int(row[1])) if row else (0, 0)
        )
        dlq = conn.execute(f"select count(*) from pgmq.q_{q}_dlq").fetchone()
        out[f"dlq_{q}"] = int(dlq[0]) if dlq else 0
    return out


def _drain(url: str, timeout: float = DRAIN_SECONDS) -> tuple[float, dict[str, int]]:
    """Seconds until the queues were empty (or the timeout), and what is left."""
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            state = _queue_state(conn)
            left = sum(state[f"queue_left_{q}"] for q in QUEUES)
            if left == 0 or time.monotonic() - started > timeout:
                return time.monotonic() - started, state
            time.sleep(0.2)


def _purge_leftovers(url: str) -> None:
    """Empty the payments and notifications queues of what earlier scenarios left
    with no worker running (the confirm scenario's holds, expired by its sweeps:
    a PaymentIntent and its cancellation, notifications, for tens of thousands):
    this scenario drains and counts what its own requests make."""
    with psycopg.connect(url, autocommit=True) as conn:
        for q in QUEUES:
            conn.execute("select pgmq.purge_queue(%s)", (q,))


def measure(
    env: BenchEnv,
    url: str,
    api: ApiServer,
    offers: _Offers,
    tokens: list[str],
    connections: int,
    duration: float,
) -> Sample:
    """One run of the mix at ``connections``; the queues drained and checked after."""
    _purge_leftovers(url)
    env.worker_for(url)
    # enough offers for every connection to confirm for the whole run at ~20 requests/s,
    # each quoted by that connection's customer
    per_thread = math.ceil(duration * 20 * 0.09) + 4
    by_thread = [
        [
            json.dumps({"quote_id": q, "provider_id": p})
            for _, q, p in offers.take(per_thread, who=t % len(tokens))
        ]
        for t in range(connections)
    ]
    text = script(
        [json.dumps(b) for b in quote_scenario.requests()],
        tokens,
        by_thread,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select now()").fetchone()
        assert row is not None
        started_at = row[0]
        dlq_before = _queue_state(conn)
    out: list[str] = []

    def run() -> Sample:
        sample, printed = wrk_output(
            api.url + "/",
            connections=connections,
            threads=connections,
            duration=duration,
            script=text,
        )
        out.append(printed)
        return sample

    sample = measured(env.probes(api, nginx=True), run)
    counts = parse_counts(out[0])
    drain_s, state = _drain(url)
    with psycopg.connect(url) as conn:
        row = conn.execute(OVERLAPS_SINCE, (started_at,)).fetchone()
    overlaps = int(row[0]) if row else 0
    for op in OPS:
        for kind in KINDS[1:]:
            sample.extra[f"{op}_{kind}"] = float(counts.get(op, {}).get(kind, 0))
        sample.extra[f"{op}_sent"] = float(counts.get(op, {}).get("sent", 0))
    sample.extra["drain_s"] = drain_s
    for q in QUEUES:
        sample.extra[f"queue_left_{q}"] = float(state[f"queue_left_{q}"])
        sample.extra[f"scheduled_{q}"] = float(state[f"scheduled_{q}"])
        sample.extra[f"dlq_new_{q}"] = float(state[f"dlq_{q}"] - dlq_before[f"dlq_{q}"])
    sample.extra["overlapping_live_bookings"] = float(overlaps)
    print("      " + describe(sample.extra), flush=True)
    return sample


def describe(extra: dict[str, float]) -> str:
    """One line: per operation sent/2xx/409/other/errors, then the queues and overlaps."""
    ops = "; ".join(
        f"{op} {extra.get(f'{op}_sent', 0):.0f} sent: {extra.get(f'{op}_2xx', 0):.0f} 2xx, "
        f"{extra.get(f'{op}_409', 0):.0f} 409, {extra.get(f'{op}_other', 0):.0f} other, "
        f"{extra.get(f'{op}_errors', 0):.0f} errors"
        for op in OPS
    )
    queues = ", ".join(
        f"{q} left {extra.get(f'queue_left_{q}', 0):.0f} (dead letters +"
        f"{extra.get(f'dlq_new_{q}', 0):.0f})"
        for q in QUEUES
    )
    return (
        f"{ops} | drained in {extra.get('drain_s', 0):.1f} s: {queues} | "
        f"overlapping live bookings {extra.get('overlapping_live_bookings', 0):.0f}"
    )


class Mixed:
    name = "mixed"
    title = NAME + " through nginx → PostgREST, worker running (smallest dataset)"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        url = env.dataset(min(ctx.options.sizes))
        lift_hold_limit(url)
        tokens, claims = _claims(env, env.accounts_of(url))
        offers = _Offers(url, claims)
        api = env.api_for(url)
        variants = []
        for c in ctx.options.concurrency:
            c = min(c, MAX_CONNECTIONS)

            def run(duration: float, c: int = c) -> Sample:
                return measure(env, url, api, offers, tokens, c, duration)

            variants.append(Variant(NAME, c, run, note="counts per operation in extra"))
        return Plan(variants)
