// /analytics: ops see every provider's bookings, revenue, the funnel and the cohorts; a
// provider sees its own figures and its anonymised rank among its peers. A chunk of its
// own (App.tsx loads it on this route only). Each chart has its data table beside it,
// each table a CSV download (the same RPC, Accept: text/csv), and a count or a sum in a
// table (or a bar) lists the bookings behind it (api.analytics_bookings: the very bookings
// the figure counts, a page at a time). Ops also see the figures per neighbourhood.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../../api/analytics";
import type { Grain, Range, Rpc } from "../../api/analytics";
import { categories } from "../../api/bookings";
import type { Category, User } from "../../api/types";
import { ErrorAlert, Field } from "../../components/ui";
import { locale, money, onLocale, when } from "../../i18n";
import { TIME_ZONE } from "../../places";
import { statusText } from "../booking";
import { Bars, FunnelBars, type Series, type Step, Waterfall } from "./charts";
import { PerformanceSection, ProvidersSection, RefundSection, TodaySection } from "./live";
import { at, type AnalyticsKey } from "./strings";
import "./analytics.css";

const STATUSES = ["pending_payment", "confirmed", "completed", "no_show", "cancelled", "expired"] as const;
type Status = (typeof STATUSES)[number];
const STATUS_COLORS: Record<Status, string> = {
  pending_payment: "#b35900",
  confirmed: "#0b5cad",
  completed: "#1b6b3a",
  no_show: "#6a3d9a",
  cancelled: "#a4161a",
  expired: "#5c6370",
};
const MONEY = ["captured_cents", "refunded_cents", "fees_kept_cents", "net_cents"] as const;
type MoneyKey = (typeof MONEY)[number];
const MONEY_COLORS: Record<MoneyKey, string> = {
  captured_cents: "#0b5cad",
  refunded_cents: "#a4161a",
  fees_kept_cents: "#b35900",
  net_cents: "#1b6b3a",
};
const ZONES = ["America/Toronto", "America/Vancouver", "America/Edmonton", "America/Winnipeg", "America/Halifax", "UTC", "Europe/Paris"];

const tag = (): string => (locale() === "fr" ? "fr-CA" : "en-CA");
const isoDay = (d: Date): string => d.toISOString().slice(0, 10);
const count = (n: number): string => new Intl.NumberFormat(tag()).format(n);
// peer_area is "2.4 km": how far the farthest of a provider's peers is
const peerKm = (area: string | null | undefined): string =>
  new Intl.NumberFormat(tag(), { maximumFractionDigits: 1 }).format(Number.parseFloat(area ?? "0") || 0);
const percent = (share: number | null | undefined): string =>
  share === null || share === undefined ? "—" : new Intl.NumberFormat(tag(), { style: "percent", maximumFractionDigits: 1 }).format(share);

/** A bucket's local start ("2026-12-02T00:00:00", no zone) as a date in this language. */
export function bucketLabel(local: string, grain: Grain, short = false): string {
  const d = new Date(`${local.slice(0, 10)}T00:00:00Z`);
  if (grain === "month") return new Intl.DateTimeFormat(tag(), { year: "numeric", month: short ? "short" : "long", timeZone: "UTC" }).format(d);
  const day = new Intl.DateTimeFormat(tag(), { year: short ? undefined : "numeric", month: "short", day: "numeric", timeZone: "UTC" }).format(d);
  if (short) return day;
  return grain === "week" ? at("range.weekOf", { day }) : day;
}

/** The local start of the period holding a local date: itself, its Monday, or the 1st. */
export function periodKey(local: string, grain: Grain): string {
  const d = new Date(`${local.slice(0, 10)}T00:00:00Z`);
  if (grain === "week") d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (grain === "month") d.setUTCDate(1);
  return isoDay(d);
}

/** Every period of the range, empty ones included (the charts' axis). */
export function periods(r: Range): string[] {
  const out: string[] = [];
  const d = new Date(`${periodKey(r.from, r.group_by)}T00:00:00Z`);
  for (let i = 0; i < 400 && isoDay(d) <= r.to; i++) {
    out.push(isoDay(d));
    if (r.group_by === "day") d.setUTCDate(d.getUTCDate() + 1);
    else if (r.group_by === "week") d.setUTCDate(d.getUTCDate() + 7);
    else d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}

interface Bucket {
  local: string;
  start: string;
  end: string;
}
interface StatusBucket extends Bucket {
  counts: Record<Status, number>;
  total: number;
}
interface MoneyBucket extends Bucket {
  currency: string;
  sums: Record<MoneyKey, number>;
}
type FigureRow = api.OverviewRow | api.ProviderRow;
type MoneyRow = api.RevenueRow | api.ProviderRow;

/** Rows per bucket × category × currency → one line a bucket (counts summed over both). */
export function byStatus(rows: FigureRow[]): StatusBucket[] {
  const out = new Map<string, StatusBucket>();
  for (const r of rows) {
    const local = r.bucket_local ?? "";
    let b = out.get(local);
    if (!b) {
      b = { local, start: r.bucket_start ?? "", end: r.bucket_end ?? "", total: 0, counts: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number> };
      out.set(local, b);
    }
    for (const s of STATUSES) b.counts[s] += Number(r[s] ?? 0);
    b.total += Number(r.bookings ?? 0);
  }
  return [...out.values()].sort((a, b) => a.start.localeCompare(b.start));
}

/** Money rows → one line a bucket and currency (summed over categories). */
export function byMoney(rows: MoneyRow[]): MoneyBucket[] {
  const out = new Map<string, MoneyBucket>();
  for (const r of rows) {
    const key = `${r.bucket_local ?? ""}|${r.currency ?? ""}`;
    let b = out.get(key);
    if (!b) {
      b = { local: r.bucket_local ?? "", start: r.bucket_start ?? "", end: r.bucket_end ?? "", currency: r.currency ?? "CAD", sums: Object.fromEntries(MONEY.map((m) => [m, 0])) as Record<MoneyKey, number> };
      out.set(key, b);
    }
    for (const m of MONEY) b.sums[m] += Number(r[m] ?? 0);
  }
  return [...out.values()].sort((a, b) => a.start.localeCompare(b.start) || a.currency.localeCompare(b.currency));
}

/** The range's money per currency (the waterfall): every bucket and category summed. */
export interface MoneyTotals {
  currency: string;
  captured_cents: number;
  refunded_cents: number;
  fees_kept_cents: number;
  net_cents: number;
  outstanding_cents: number;
}
export function moneyTotals(rows: MoneyRow[]): MoneyTotals[] {
  const out = new Map<string, MoneyTotals>();
  for (const r of rows) {
    const currency = r.currency ?? "CAD";
    const t = out.get(currency) ?? { currency, captured_cents: 0, refunded_cents: 0, fees_kept_cents: 0, net_cents: 0, outstanding_cents: 0 };
    t.captured_cents += Number(r.captured_cents ?? 0);
    t.refunded_cents += Number(r.refunded_cents ?? 0);
    t.fees_kept_cents += Number(r.fees_kept_cents ?? 0);
    t.net_cents += Number(r.net_cents ?? 0);
    t.outstanding_cents += Number(r.outstanding_cents ?? 0);
    out.set(currency, t);
  }
  return [...out.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

function defaultRange(): Range {
  const now = Date.now();
  return { from: isoDay(new Date(now - 30 * 86_400_000)), to: isoDay(new Date(now + 30 * 86_400_000)), tz: TIME_ZONE, group_by: "day" };
}

function RangeForm({ value, onChange }: { value: Range; onChange: (r: Range) => void }): JSX.Element {
  const [r, setR] = useState(value);
  return (
    <form
      class="range"
      aria-label={at("range.title")}
      onSubmit={(e) => {
        e.preventDefault();
        onChange(r);
      }}
    >
      <Field id="range-from" type="date" label={at("range.from")} value={r.from} required onInput={(e) => setR({ ...r, from: e.currentTarget.value })} />
      <Field id="range-to" type="date" label={at("range.to")} value={r.to} required onInput={(e) => setR({ ...r, to: e.currentTarget.value })} />
      <div class="field">
        <label for="range-tz">{at("range.tz")}</label>
        <select id="range-tz" value={r.tz} onChange={(e) => setR({ ...r, tz: e.currentTarget.value })}>
          {ZONES.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="range-group">{at("range.group")}</label>
        <select id="range-group" value={r.group_by} onChange={(e) => setR({ ...r, group_by: e.currentTarget.value as Grain })}>
          {(["day", "week", "month"] as const).map((g) => (
            <option key={g} value={g}>
              {at(`range.${g}`)}
            </option>
          ))}
        </select>
      </div>
      <button type="submit">{at("range.show")}</button>
    </form>
  );
}

/** The section's RPC as CSV; `query` when the section reads it with more than the range
 * (its name then ends with `suffix`). */
function CsvButton({ rpc, range, name, query, suffix = "" }: { rpc: Rpc; range: Range; name: string; query?: Record<string, string>; suffix?: string }): JSX.Element {
  const [error, setError] = useState<unknown>(null);
  return (
    <p class="csv">
      <button
        type="button"
        class="secondary"
        onClick={() => {
          setError(null);
          api.downloadCsv(rpc, range, `${rpc}_${range.from}_${range.to}${suffix}.csv`, false, query).catch(setError);
        }}
      >
        {at("csv.download", { name })}
      </button>
      <ErrorAlert error={error} />
    </p>
  );
}

/** A figure picked for drill-down: the filter that selects its bookings, and its name. */
interface Pick {
  filter: api.DrillFilter;
  title: () => string; // in the language of the moment
}

function statusPick(b: Bucket, status: Status | null, grain: Grain): Pick {
  const period = (): string => bucketLabel(b.local, grain);
  return {
    filter: { bucket_start: b.start, status: status ?? undefined },
    title: () => (status ? at("drill.title", { status: statusText(status), period: period() }) : at("drill.titleAll", { period: period() })),
  };
}

function StatusSection({ buckets, grain, range, rpc, onPick }: { buckets: StatusBucket[]; grain: Grain; range: Range; rpc: Rpc; onPick: (p: Pick) => void }): JSX.Element {
  const series: Series[] = STATUSES.map((s) => ({ key: s, label: statusText(s), color: STATUS_COLORS[s] }));
  const labels = buckets.map((b) => bucketLabel(b.local, grain));
  const axis = periods(range);
  const at_ = new Map(buckets.map((b) => [periodKey(b.local, grain), b]));
  const shown = axis.map((k) => at_.get(k));
  return (
    <section aria-labelledby="status-title">
      <h2 id="status-title">{at("status.title")}</h2>
      <p class="hint">{at("status.hint")}</p>
      {buckets.length === 0 ? (
        <p>{at("common.noBookings")}</p>
      ) : (
        <>
          <Bars
            labels={axis.map((k) => bucketLabel(k, grain, true))}
            series={series}
            values={shown.map((b) => STATUSES.map((s) => b?.counts[s] ?? 0))}
            stacked
            minStep={1}
            format={(n) => count(Math.round(n))}
            onPick={(i, s) => {
              const b = shown[i];
              if (b) onPick(statusPick(b, STATUSES[s], grain));
            }}
          />
          <div class="scroll">
            <table id="status-table">
              <caption>{at("status.caption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{at("table.period")}</th>
                  {STATUSES.map((s) => (
                    <th scope="col" key={s}>
                      {statusText(s)}
                    </th>
                  ))}
                  <th scope="col">{at("table.total")}</th>
                </tr>
              </thead>
              <tbody>
                {buckets.map((b, i) => (
                  <tr key={b.local}>
                    <th scope="row">{labels[i]}</th>
                    {[...STATUSES, null].map((s) => {
                      const n = s ? b.counts[s] : b.total;
                      const what = s ? statusText(s) : at("table.total").toLowerCase();
                      return (
                        <td key={s ?? "total"} class="num">
                          {n === 0 ? (
                            "0"
                          ) : (
                            <button type="button" class="link" aria-label={at("drill.open", { n: count(n), status: what, period: labels[i] })} onClick={() => onPick(statusPick(b, s, grain))}>
                              {count(n)}
                            </button>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <CsvButton rpc={rpc} range={range} name={at("status.title")} />
    </section>
  );
}

function MoneySection({ buckets, grain, range, rpc, onPick }: { buckets: MoneyBucket[]; grain: Grain; range: Range; rpc: Rpc; onPick: (p: Pick) => void }): JSX.Element {
  const series: Series[] = MONEY.map((m) => ({ key: m, label: at(`money.${m}`), color: MONEY_COLORS[m] }));
  const labels = buckets.map((b) => bucketLabel(b.local, grain));
  const currency = buckets[0]?.currency ?? "CAD";
  // the chart shows one currency (the first; the catalogue has CAD only), the table all
  const axis = periods(range);
  const at_ = new Map(buckets.filter((b) => b.currency === currency).map((b) => [periodKey(b.local, grain), b]));
  return (
    <section aria-labelledby="money-title">
      <h2 id="money-title">{at("money.title")}</h2>
      <p class="hint">{at("money.hint")}</p>
      {buckets.length === 0 ? (
        <p>{at("common.noBookings")}</p>
      ) : (
        <>
          <Bars labels={axis.map((k) => bucketLabel(k, grain, true))} series={series} values={axis.map((k) => MONEY.map((m) => at_.get(k)?.sums[m] ?? 0))} stacked={false} minStep={500} format={(n) => money(Math.round(n), currency)} />
          <div class="scroll">
            <table id="money-table">
              <caption>{at("money.caption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{at("table.period")}</th>
                  {MONEY.map((m) => (
                    <th scope="col" key={m}>
                      {at(`money.${m}`)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {buckets.map((b, i) => (
                  <tr key={`${b.local}|${b.currency}`}>
                    <th scope="row">{labels[i]}</th>
                    {MONEY.map((m) => (
                      <td key={m} class="num">
                        {b.sums[m] === 0 ? (
                          money(0, b.currency)
                        ) : (
                          <button
                            type="button"
                            class="link"
                            aria-label={at("drill.openMoney", { figure: at(`money.${m}`), amount: money(b.sums[m], b.currency), period: labels[i] })}
                            onClick={() =>
                              onPick({
                                filter: { bucket_start: b.start, figure: m, currency: b.currency },
                                title: () => at("drill.titleMoney", { figure: at(`money.${m}`), amount: money(b.sums[m], b.currency), period: bucketLabel(b.local, grain) }),
                              })
                            }
                          >
                            {money(b.sums[m], b.currency)}
                          </button>
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <CsvButton rpc={rpc} range={range} name={at("money.title")} />
    </section>
  );
}

const WATERFALL = ["captured_cents", "refunded_cents", "net_cents", "fees_kept_cents", "outstanding_cents"] as const;
type WaterfallKey = (typeof WATERFALL)[number];

/** The range's revenue as a waterfall, one a currency: captured, less refunded, gives net; fees
 * kept (part of captured) and outstanding (held, not captured yet) stand apart. Each amount in
 * the table beside lists its bookings. */
function WaterfallSection({ totals, range, onPick }: { totals: MoneyTotals[]; range: Range; onPick: (p: Pick) => void }): JSX.Element {
  const period = (): string => at("waterfall.period", { from: bucketLabel(`${range.from}T00:00:00`, "day"), to: bucketLabel(`${range.to}T00:00:00`, "day") });
  const label = (k: WaterfallKey): string => at(`waterfall.${k}` as AnalyticsKey);
  return (
    <section aria-labelledby="waterfall-title">
      <h2 id="waterfall-title">{at("waterfall.title")}</h2>
      <p class="hint">{at("waterfall.hint")}</p>
      {totals.length === 0 ? (
        <p>{at("common.noBookings")}</p>
      ) : (
        totals.map((t) => {
          const steps: Step[] = [
            { key: "captured_cents", label: label("captured_cents"), value: t.captured_cents, kind: "total", color: MONEY_COLORS.captured_cents },
            { key: "refunded_cents", label: label("refunded_cents"), value: t.refunded_cents, kind: "down", color: MONEY_COLORS.refunded_cents },
            { key: "net_cents", label: label("net_cents"), value: t.net_cents, kind: "total", color: MONEY_COLORS.net_cents },
            { key: "fees_kept_cents", label: label("fees_kept_cents"), value: t.fees_kept_cents, kind: "aside", color: MONEY_COLORS.fees_kept_cents },
            { key: "outstanding_cents", label: label("outstanding_cents"), value: t.outstanding_cents, kind: "aside", color: "#5c6370" },
          ];
          return (
            <div key={t.currency} data-currency={t.currency}>
              <Waterfall steps={steps} minStep={500} format={(n) => money(Math.round(n), t.currency)} />
              <table id={`waterfall-table-${t.currency}`}>
                <caption>{at("waterfall.caption", { currency: t.currency, period: period() })}</caption>
                <tbody>
                  {WATERFALL.map((k) => (
                    <tr key={k}>
                      <th scope="row">{label(k)}</th>
                      <td class="num">
                        {t[k] === 0 ? (
                          money(0, t.currency)
                        ) : (
                          <button
                            type="button"
                            class="link"
                            aria-label={at("drill.openMoney", { figure: label(k), amount: money(t[k], t.currency), period: period() })}
                            onClick={() =>
                              onPick({
                                filter: { figure: k, currency: t.currency },
                                title: () => at("drill.titleMoney", { figure: label(k), amount: money(t[k], t.currency), period: period() }),
                              })
                            }
                          >
                            {k === "refunded_cents" ? `−${money(t[k], t.currency)}` : money(t[k], t.currency)}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        })
      )}
    </section>
  );
}

function FunnelSection({ range }: { range: Range }): JSX.Element {
  const [rows, setRows] = useState<api.FunnelRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setRows(null);
    setError(null);
    api.funnel(range).then(setRows, setError);
  }, [range]);
  const name = (r: api.FunnelRow): string => at(`funnel.${(r.name ?? "quote") as "quote"}`);
  return (
    <section aria-labelledby="funnel-title">
      <h2 id="funnel-title">{at("funnel.title")}</h2>
      <p class="hint">{at("funnel.hint")}</p>
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{at("common.loading")}</p>}
      {rows && (
        <>
          <FunnelBars steps={rows.map((r) => ({ label: name(r), value: Number(r.quotes ?? 0), share: Number(r.share_of_quotes ?? 0) }))} />
          <div class="scroll">
            <table id="funnel-table">
              <caption>{at("funnel.caption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{at("funnel.step")}</th>
                  <th scope="col">{at("funnel.quotes")}</th>
                  <th scope="col">{at("funnel.shareOfQuotes")}</th>
                  <th scope="col">{at("funnel.shareOfPrevious")}</th>
                  <th scope="col">{at("funnel.dropOff")}</th>
                  <th scope="col">{at("funnel.median")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.step}>
                    <th scope="row">{name(r)}</th>
                    <td class="num">{count(Number(r.quotes ?? 0))}</td>
                    <td class="num">{percent(r.share_of_quotes)}</td>
                    <td class="num">{percent(r.share_of_previous)}</td>
                    <td class="num">{r.drop_off === null || r.drop_off === undefined ? "—" : count(r.drop_off)}</td>
                    <td class="num">{r.median_minutes_from_previous === null || r.median_minutes_from_previous === undefined ? "—" : new Intl.NumberFormat(tag(), { maximumFractionDigits: 1 }).format(r.median_minutes_from_previous)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <CsvButton rpc="analytics_funnel" range={range} name={at("funnel.title")} />
    </section>
  );
}

/** New and returning customers per period (api.analytics_customers): the counted bookings
 * split into customers' first bookings and the others, stacked, with the returning share. */
function CustomersSection({ range, onPick }: { range: Range; onPick: (p: Pick) => void }): JSX.Element {
  const [rows, setRows] = useState<api.CustomersRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [cats, setCats] = useState<Category[]>([]);
  const [category, setCategory] = useState("");
  useEffect(() => {
    categories().then(setCats, () => undefined);
  }, []);
  useEffect(() => {
    setRows(null);
    setError(null);
    api.customers(range, category).then(setRows, setError);
  }, [range, category]);
  const catName = (c: Category): string => (locale() === "fr" ? c.name_fr : c.name_en) ?? c.slug ?? "";
  const chosen = cats.find((c) => c.slug === category);
  const shown = (rows ?? []).filter((r) => Number(r.bookings ?? 0) > 0);
  const series: Series[] = [
    { key: "new", label: at("customers.new"), color: "#0b5cad" },
    { key: "returning", label: at("customers.returning"), color: "#6a3d9a" },
  ];
  return (
    <section aria-labelledby="customers-title">
      <h2 id="customers-title">{at("customers.title")}</h2>
      <p class="hint">{at("customers.hint")}</p>
      <p class="filter">
        <label for="customers-category">{at("customers.category")}</label>{" "}
        <select id="customers-category" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
          <option value="">{at("customers.allCategories")}</option>
          {cats.map((c) => (
            <option key={c.slug} value={c.slug ?? ""}>
              {catName(c)}
            </option>
          ))}
        </select>
      </p>
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{at("common.loading")}</p>}
      {rows !== null && shown.length === 0 && <p>{at("common.noBookings")}</p>}
      {shown.length > 0 && (
        <>
          <Bars
            labels={shown.map((r) => bucketLabel(r.bucket_local ?? "", range.group_by, true))}
            series={series}
            values={shown.map((r) => [Number(r.new_customers ?? 0), Number(r.returning_bookings ?? 0)])}
            stacked
            minStep={1}
            format={(n) => count(Math.round(n))}
          />
          <div class="scroll">
            <table id="customers-table">
              <caption>{at("customers.caption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{at("table.period")}</th>
                  <th scope="col">{at("customers.bookings")}</th>
                  <th scope="col">{at("customers.new")}</th>
                  <th scope="col">{at("customers.returning")}</th>
                  <th scope="col">{at("customers.share")}</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => (
                  <tr key={r.bucket_start}>
                    <th scope="row">{bucketLabel(r.bucket_local ?? "", range.group_by)}</th>
                    <td class="num">{count(Number(r.bookings ?? 0))}</td>
                    <td class="num">
                      {Number(r.new_customers ?? 0) === 0 ? (
                        count(0)
                      ) : (
                        <button
                          type="button"
                          class="link"
                          aria-label={at("drill.openNew", { n: count(Number(r.new_customers)), period: bucketLabel(r.bucket_local ?? "", range.group_by) })}
                          onClick={() =>
                            onPick({
                              filter: { bucket_start: r.bucket_start ?? undefined, figure: "new_customers", category: category || undefined },
                              title: () =>
                                chosen
                                  ? at("drill.titleNewIn", { category: catName(chosen), period: bucketLabel(r.bucket_local ?? "", range.group_by) })
                                  : at("drill.titleNew", { period: bucketLabel(r.bucket_local ?? "", range.group_by) }),
                            })
                          }
                        >
                          {count(Number(r.new_customers))}
                        </button>
                      )}
                    </td>
                    <td class="num">{count(Number(r.returning_bookings ?? 0))}</td>
                    <td class="num">{percent(r.returning_share === null || r.returning_share === undefined ? null : Number(r.returning_share))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <CsvButton
        rpc="analytics_customers"
        range={range}
        name={at("customers.title")}
        query={api.customersQuery(range, category)}
        suffix={category ? `_${category}` : ""}
      />
    </section>
  );
}

function CohortSection({ range }: { range: Range }): JSX.Element {
  const [rows, setRows] = useState<api.CohortRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setRows(null);
    setError(null);
    api.cohorts(range).then(setRows, setError);
  }, [range]);
  const weeks = [...new Set((rows ?? []).map((r) => r.cohort_week ?? ""))].sort();
  const offsets = [...new Set((rows ?? []).map((r) => r.week_offset ?? 0))].sort((a, b) => a - b);
  const cell = (w: string, o: number): api.CohortRow | undefined => rows?.find((r) => r.cohort_week === w && r.week_offset === o);
  return (
    <section aria-labelledby="cohort-title">
      <h2 id="cohort-title">{at("cohort.title")}</h2>
      <p class="hint">{at("cohort.hint")}</p>
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{at("common.loading")}</p>}
      {rows?.length === 0 && <p>{at("cohort.none")}</p>}
      {!!rows?.length && (
        <div class="scroll">
          <table id="cohort-table" class="heat">
            <caption>{at("cohort.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{at("cohort.week")}</th>
                <th scope="col">{at("cohort.customers")}</th>
                {offsets.map((o) => (
                  <th scope="col" key={o}>
                    {at("cohort.offset", { n: o })}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {weeks.map((w) => (
                <tr key={w}>
                  <th scope="row">{bucketLabel(w, "week")}</th>
                  <td class="num">{count(Number(cell(w, offsets[0])?.customers ?? 0))}</td>
                  {offsets.map((o) => {
                    const c = cell(w, o);
                    const share = Number(c?.retention ?? 0);
                    return (
                      <td key={o} class="num" style={heat(share)}>
                        {c ? `${percent(c.retention)} (${count(Number(c.active_customers ?? 0))})` : "—"}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CsvButton rpc="analytics_cohorts" range={range} name={at("cohort.title")} />
    </section>
  );
}

/** A heat-map cell: blue as strong as the share, over the page's white, and the text colour of
 * the two (black, white) that reads on it at WCAG AA (4.5:1). Relative luminance: at 0.18 and
 * above black gives at least 4.6:1, below it white gives more than 4.5:1 (a fixed cut at a
 * share of one half left white text on a light blue at 2:1). */
export function heat(share: number): { background: string; color: string } {
  const alpha = Math.min(Math.max(share, 0), 1) * 0.85;
  const linear = (c: number): number => {
    const v = (255 * (1 - alpha) + c * alpha) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * linear(11) + 0.7152 * linear(92) + 0.0722 * linear(173);
  return { background: `rgba(11, 92, 173, ${alpha.toFixed(3)})`, color: luminance < 0.18 ? "#fff" : "#000" };
}

/** The bookings behind a figure (api.analytics_bookings), a page at a time. */
function DrillDown({ pick, range, ops, onClose }: { pick: Pick; range: Range; ops: boolean; onClose: () => void }): JSX.Element {
  const [rows, setRows] = useState<api.DrillRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    setRows(null);
    setError(null);
    api.drill(range, pick.filter).then(setRows, setError);
    heading.current?.focus();
  }, [pick]);
  const total = Number(rows?.[0]?.total ?? 0);
  // past 10,000 matches the total is a floor ("more than"): more pages until one comes back short
  const exact = rows?.[0]?.total_exact !== false;
  const [ended, setEnded] = useState(false);
  useEffect(() => setEnded(false), [pick]);
  const left = exact ? total - (rows?.length ?? 0) : ended ? 0 : api.PAGE_SIZE;
  const more = (): void => {
    if (!rows?.length) return;
    setBusy(true);
    api
      .drill(range, pick.filter, rows[rows.length - 1])
      .then((page) => {
        setRows([...rows, ...page]);
        if (page.length < api.PAGE_SIZE) setEnded(true);
      }, setError)
      .finally(() => setBusy(false));
  };
  const areaName = (b: api.DrillRow): string =>
    (locale() === "fr" ? b.area_name_fr : b.area_name_en) ?? (b.booking_area === "other" ? at("areas.other") : (b.booking_area ?? ""));
  return (
    <section aria-labelledby="drill-title" class="drill">
      <h2 id="drill-title" tabIndex={-1} ref={heading}>
        {pick.title()}
      </h2>
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{at("common.loading")}</p>}
      {rows?.length === 0 && <p>{at("common.noBookings")}</p>}
      {!!rows?.length && (
        <>
          <p role="status">{at(exact ? "drill.shown" : "drill.shownMore", { n: count(rows.length), total: count(total) })}</p>
          <div class="scroll">
            <table id="drill-table">
              <caption>{pick.title()}</caption>
              <thead>
                <tr>
                  <th scope="col">{at("drill.starts")}</th>
                  <th scope="col">{at("drill.status")}</th>
                  {ops && <th scope="col">{at("drill.provider")}</th>}
                  {ops && <th scope="col">{at("drill.area")}</th>}
                  <th scope="col">{at("drill.service")}</th>
                  <th scope="col">{at("drill.customer")}</th>
                  <th scope="col">{at("drill.price")}</th>
                  <th scope="col">{at("money.net_cents")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((b) => (
                  <tr key={b.booking_id}>
                    <td>{when(b.starts_at ?? "", b.time_zone ?? TIME_ZONE)}</td>
                    <td>{statusText(b.booking_status ?? "")}</td>
                    {ops && <td>{b.business_name}</td>}
                    {ops && <td>{areaName(b)}</td>}
                    <td>{b.service_name}</td>
                    <td>{b.customer_name ?? ""}</td>
                    <td class="num">{money(Number(b.booked_cents ?? 0), b.booking_currency ?? "CAD")}</td>
                    <td class="num">{money(Number(b.net_cents ?? 0), b.booking_currency ?? "CAD")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {left > 0 && (
            <button type="button" class="secondary" disabled={busy} onClick={more}>
              {at("drill.more", { n: count(Math.min(api.PAGE_SIZE, left)) })}
            </button>
          )}
          <DrillCsv range={range} filter={pick.filter} />
        </>
      )}
      <button type="button" class="secondary" onClick={onClose}>
        {at("drill.close")}
      </button>
    </section>
  );
}

function DrillCsv({ range, filter }: { range: Range; filter: api.DrillFilter }): JSX.Element {
  const [error, setError] = useState<unknown>(null);
  return (
    <p class="csv">
      <button
        type="button"
        class="secondary"
        onClick={() => {
          setError(null);
          api
            .downloadCsv("analytics_bookings", range, `analytics_bookings_${range.from}_${range.to}.csv`, false, { ...api.drillQuery(range, filter), page_size: "1000" })
            .catch(setError);
        }}
      >
        {at("csv.download", { name: at("drill.csvName") })}
      </button>
      <ErrorAlert error={error} />
    </p>
  );
}

interface AreaLine {
  area: string;
  name: string;
  names: [string | null | undefined, string | null | undefined]; // en, fr
  bookings: number;
  completed: number;
  cancelled: number;
  net: number;
  currency: string;
}

/** analytics_areas rows (per area × category × currency) → one line per area and currency. */
const areaName = (a: AreaLine): string => (locale() === "fr" ? a.names[1] : a.names[0]) ?? (a.area === "other" ? at("areas.other") : a.area);

export function byArea(rows: api.AreaRow[], fr: boolean): AreaLine[] {
  const out = new Map<string, AreaLine>();
  for (const r of rows) {
    const key = `${r.area ?? ""}|${r.currency ?? ""}`;
    let a = out.get(key);
    if (!a) {
      const name = (fr ? r.area_name_fr : r.area_name_en) ?? (r.area === "other" ? at("areas.other") : (r.area ?? ""));
      a = { area: r.area ?? "", name, names: [r.area_name_en, r.area_name_fr], bookings: 0, completed: 0, cancelled: 0, net: 0, currency: r.currency ?? "CAD" };
      out.set(key, a);
    }
    a.bookings += Number(r.bookings ?? 0);
    a.completed += Number(r.completed ?? 0);
    a.cancelled += Number(r.cancelled ?? 0);
    a.net += Number(r.net_cents ?? 0);
  }
  // "other" last, the neighbourhoods by bookings
  return [...out.values()].sort((x, y) => Number(x.area === "other") - Number(y.area === "other") || y.bookings - x.bookings || x.name.localeCompare(y.name));
}

function AreaSection({ range, onPick }: { range: Range; onPick: (p: Pick) => void }): JSX.Element {
  const [rows, setRows] = useState<api.AreaRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setRows(null);
    setError(null);
    api.areas(range).then(setRows, setError);
  }, [range]);
  const lines = rows ? byArea(rows, locale() === "fr") : [];
  const cell = (a: AreaLine, n: number, status: Status | null): JSX.Element =>
    n === 0 ? (
      <>0</>
    ) : (
      <button
        type="button"
        class="link"
        aria-label={at("drill.openArea", { n: count(n), status: status ? statusText(status) : at("table.total").toLowerCase(), area: a.name })}
        onClick={() =>
          onPick({
            filter: { area: a.area, status: status ?? undefined, currency: a.currency },
            title: () => (status ? at("drill.titleArea", { status: statusText(status), area: areaName(a) }) : at("drill.titleAreaAll", { area: areaName(a) })),
          })
        }
      >
        {count(n)}
      </button>
    );
  return (
    <section aria-labelledby="areas-title">
      <h2 id="areas-title">{at("areas.title")}</h2>
      <p class="hint">{at("areas.hint")}</p>
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{at("common.loading")}</p>}
      {rows?.length === 0 && <p>{at("common.noBookings")}</p>}
      {!!lines.length && (
        <div class="scroll">
          <table id="areas-table">
            <caption>{at("areas.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{at("areas.area")}</th>
                <th scope="col">{at("table.total")}</th>
                <th scope="col">{statusText("completed")}</th>
                <th scope="col">{statusText("cancelled")}</th>
                <th scope="col">{at("money.net_cents")}</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((a) => (
                <tr key={`${a.area}|${a.currency}`}>
                  <th scope="row">{a.name}</th>
                  <td class="num">{cell(a, a.bookings, null)}</td>
                  <td class="num">{cell(a, a.completed, "completed")}</td>
                  <td class="num">{cell(a, a.cancelled, "cancelled")}</td>
                  <td class="num">{money(a.net, a.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function OpsView({ range }: { range: Range }): JSX.Element {
  const [status, setStatus] = useState<StatusBucket[] | null>(null);
  const [cash, setCash] = useState<MoneyBucket[] | null>(null);
  const [totals, setTotals] = useState<MoneyTotals[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [pick, setPick] = useState<Pick | null>(null);
  useEffect(() => {
    setStatus(null);
    setCash(null);
    setError(null);
    setPick(null);
    api.overview(range).then((rows) => setStatus(byStatus(rows)), setError);
    api.revenue(range).then((rows) => {
      setCash(byMoney(rows));
      setTotals(moneyTotals(rows));
    }, setError);
  }, [range]);
  return (
    <>
      <ErrorAlert error={error} />
      {(status === null || cash === null) && !error && <p role="status">{at("common.loading")}</p>}
      {status && <StatusSection buckets={status} grain={range.group_by} range={range} rpc="analytics_overview" onPick={setPick} />}
      {pick && <DrillDown pick={pick} range={range} ops onClose={() => setPick(null)} />}
      {cash && <MoneySection buckets={cash} grain={range.group_by} range={range} rpc="analytics_revenue" onPick={setPick} />}
      {cash && <WaterfallSection totals={totals} range={range} onPick={setPick} />}
      <AreaSection range={range} onPick={setPick} />
      <ProvidersSection range={range} />
      <RefundSection range={range} />
      <FunnelSection range={range} />
      <CohortSection range={range} />
      <CustomersSection range={range} onPick={setPick} />
    </>
  );
}

/** "You are in the top 30% of haircut providers nearby for bookings." */
export function rankSentence(metric: "bookings" | "net" | "completion", p: number, category: string): string {
  // the top one, the middle and above, below the middle, and nobody below (ties included)
  const key: AnalyticsKey =
    p >= 100 ? `rank.best.${metric}` : p >= 50 ? `rank.top.${metric}` : p > 0 ? `rank.above.${metric}` : `rank.noneBelow.${metric}`;
  return at(key, { top: Math.max(1, Math.round(100 - p)), share: Math.round(p), category });
}

function PeerSection({ row, cats }: { row: api.ProviderRow | undefined; cats: Category[] }): JSX.Element {
  const cat = cats.find((c) => c.slug === row?.peer_category);
  const category = (locale() === "fr" ? cat?.name_fr : cat?.name_en)?.toLowerCase() ?? row?.peer_category ?? "";
  const ranks: ["bookings" | "net" | "completion", number | null | undefined][] = row
    ? [
        ["bookings", row.bookings_percentile],
        ["net", row.net_percentile],
        ["completion", row.completion_rate_percentile],
      ]
    : [];
  return (
    <section aria-labelledby="peer-title">
      <h2 id="peer-title">{at("rank.title")}</h2>
      {!row ? (
        <p>{at("rank.noRange")}</p>
      ) : ranks.every(([, p]) => p === null || p === undefined) ? (
        <p>{at("rank.fewPeers", { category, n: row.peer_providers ?? 0 })}</p>
      ) : (
        <>
          <ul class="ranks">
            {ranks.map(([m, p]) => (p === null || p === undefined ? null : <li key={m}>{rankSentence(m, Number(p), category)}</li>))}
          </ul>
          <p class="hint">{at("rank.peers", { n: row.peer_providers ?? 0, category, km: peerKm(row.peer_area) })}</p>
        </>
      )}
    </section>
  );
}

function ProviderView({ range }: { range: Range }): JSX.Element {
  const [rows, setRows] = useState<api.ProviderRow[] | null>(null);
  const [cats, setCats] = useState<Category[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [pick, setPick] = useState<Pick | null>(null);
  useEffect(() => {
    categories().then(setCats, () => undefined);
  }, []);
  useEffect(() => {
    setRows(null);
    setError(null);
    setPick(null);
    api.providerFigures(range).then(setRows, setError);
  }, [range]);
  return (
    <>
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{at("common.loading")}</p>}
      {rows && (
        <>
          <PeerSection row={rows[0]} cats={cats} />
          <PerformanceSection range={range} />
          <StatusSection buckets={byStatus(rows)} grain={range.group_by} range={range} rpc="analytics_provider" onPick={setPick} />
          {pick && <DrillDown pick={pick} range={range} ops={false} onClose={() => setPick(null)} />}
          <MoneySection buckets={byMoney(rows)} grain={range.group_by} range={range} rpc="analytics_provider" onPick={setPick} />
          <WaterfallSection totals={moneyTotals(rows)} range={range} onPick={setPick} />
          <RefundSection range={range} />
        </>
      )}
    </>
  );
}

export function AnalyticsPage({ user }: { user: User }): JSX.Element {
  const [range, setRange] = useState<Range>(defaultRange);
  const [, setLang] = useState(locale());
  useEffect(() => onLocale(setLang), []);
  const ops = user.role === "ops";
  return (
    <section class="analytics">
      <h1>{ops ? at("title.ops") : at("title.provider")}</h1>
      <p>{ops ? at("intro.ops") : at("intro.provider")}</p>
      <TodaySection ops={ops} tz={ops ? TIME_ZONE : null} />
      <RangeForm value={range} onChange={setRange} />
      {ops ? <OpsView range={range} /> : <ProviderView range={range} />}
    </section>
  );
}
