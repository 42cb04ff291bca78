// Today's counters, live: the snapshot (api.analytics_today) read again a moment after each
// booking event of /realtime (the bookings channel: ops every booking, a provider its own),
// and after every reconnection. A provider's performance over the range and the refunds by
// reason sit here too: small sections of the same page.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import * as api from "../../api/analytics";
import type { Range } from "../../api/analytics";
import { ErrorAlert } from "../../components/ui";
import { locale, money } from "../../i18n";
import { followBookings } from "../../realtime";
import { ShareBars } from "./charts";
import { at, type AnalyticsKey } from "./strings";

const tag = (): string => (locale() === "fr" ? "fr-CA" : "en-CA");
const count = (n: number | null | undefined): string => (n === null || n === undefined ? "—" : new Intl.NumberFormat(tag()).format(n));
const percent = (share: number | null | undefined): string =>
  share === null || share === undefined ? "—" : new Intl.NumberFormat(tag(), { style: "percent", maximumFractionDigits: 1 }).format(Number(share));
/** A local date ("2026-12-03") in the page's language. */
const longDay = (iso: string): string => new Intl.DateTimeFormat(tag(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));
const hours = (minutes: number | null | undefined): string => new Intl.NumberFormat(tag(), { maximumFractionDigits: 1 }).format(Number(minutes ?? 0) / 60);

const COUNTS = ["bookings_made", "bookings_paid", "bookings_cancelled", "live_holds"] as const;
const CENTS = ["booked_cents", "captured_cents", "refunded_cents"] as const;
const QUEUES = ["queue_depth", "dead_letters"] as const;

/** Today's counters, refreshed on each booking event (debounced: a burst reads once). */
export function TodaySection({ ops, tz }: { ops: boolean; tz: string | null }): JSX.Element {
  const [row, setRow] = useState<api.TodayRow | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    let timer: number | undefined;
    let gone = false;
    const load = (): void => {
      api.today(tz).then(
        (rows) => !gone && setRow(rows[0] ?? null),
        (e: unknown) => !gone && setError(e),
      );
    };
    load();
    const stop = followBookings(
      () => {
        window.clearTimeout(timer);
        timer = window.setTimeout(load, 250);
      },
      () => {
        setLive(true);
        load();
      },
    );
    return () => {
      gone = true;
      stop();
      window.clearTimeout(timer);
    };
  }, [tz]);
  const currency = "CAD";
  return (
    <section aria-labelledby="today-title" class="today">
      <h2 id="today-title">
        {at("today.title")} {live && <span class="badge">{at("today.live")}</span>}
      </h2>
      <p class="hint">{live ? at("today.hint", { tz: row?.tz ?? tz ?? "" }) : at("today.connecting")}</p>
      <ErrorAlert error={error} />
      {row && (
        <dl class="counters" aria-live="polite" aria-label={at("today.caption")}>
          {COUNTS.map((k) => (
            <div key={k}>
              <dt>{at(`today.${k}` as AnalyticsKey)}</dt>
              <dd data-counter={k}>{count(row[k])}</dd>
            </div>
          ))}
          {CENTS.map((k) => (
            <div key={k}>
              <dt>{at(`today.${k}` as AnalyticsKey)}</dt>
              <dd data-counter={k}>{money(Number(row[k] ?? 0), currency)}</dd>
            </div>
          ))}
          {ops &&
            QUEUES.map((k) => (
              <div key={k}>
                <dt>{at(`today.${k}` as AnalyticsKey)}</dt>
                {/* past 10,000 messages in a queue its figure is a floor (…_exact false) */}
                {row[`${k}_exact`] === false ? (
                  <dd data-counter={k} title={at("today.at_least", { n: count(row[k]) })}>
                    {count(row[k])}+
                  </dd>
                ) : (
                  <dd data-counter={k}>{count(row[k])}</dd>
                )}
              </div>
            ))}
        </dl>
      )}
    </section>
  );
}

/** A provider's own performance over the range: utilisation, rates, repeat customers, rating. */
export function PerformanceSection({ range }: { range: Range }): JSX.Element {
  const [row, setRow] = useState<api.PerformanceRow | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setRow(null);
    setError(null);
    api.performance(range).then((rows) => setRow(rows[0] ?? null), setError);
  }, [range]);
  const change = row?.rating_change === null || row?.rating_change === undefined ? null : Number(row.rating_change);
  return (
    <section aria-labelledby="perf-title">
      <h2 id="perf-title">{at("perf.title")}</h2>
      <p class="hint">{at("perf.hint")}</p>
      <ErrorAlert error={error} />
      {row && (
        <table>
          <caption>{at("perf.caption")}</caption>
          <tbody>
            <tr>
              <th scope="row">{at("perf.utilisation")}</th>
              <td class="num">{percent(row.utilisation)}</td>
              <td>{at("perf.hours", { booked: hours(row.booked_minutes), offered: hours(row.offered_minutes) })}</td>
            </tr>
            <tr>
              <th scope="row">{at("perf.cancellation_rate")}</th>
              <td class="num">{percent(row.cancellation_rate)}</td>
              <td />
            </tr>
            <tr>
              <th scope="row">{at("perf.no_show_rate")}</th>
              <td class="num">{percent(row.no_show_rate)}</td>
              <td />
            </tr>
            <tr>
              <th scope="row">{at("perf.repeat_customer_share")}</th>
              <td class="num">{percent(row.repeat_customer_share)}</td>
              <td>{at("perf.repeat", { repeat: count(row.repeat_customers), customers: count(row.customers) })}</td>
            </tr>
            <tr>
              <th scope="row">{at("perf.rating")}</th>
              <td class="num">{row.rating_avg === null || row.rating_avg === undefined ? "—" : at("perf.ratingValue", { avg: Number(row.rating_avg).toLocaleString(tag()), n: count(row.reviews) })}</td>
              <td>{row.rating_avg === null || row.rating_avg === undefined ? at("perf.noRating") : change === null ? "" : at("perf.ratingChange", { change: (change > 0 ? "+" : "") + change.toLocaleString(tag()) })}</td>
            </tr>
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Refunds in the range by reason and status (summed over currencies' rows, one line each). */
export function RefundSection({ range }: { range: Range }): JSX.Element {
  const [rows, setRows] = useState<{ reason: string; status: string; currency: string; refunds: number; amount: number }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setRows(null);
    setError(null);
    api.refunds(range).then((raw) => {
      const sums = new Map<string, { reason: string; status: string; currency: string; refunds: number; amount: number }>();
      for (const r of raw) {
        const key = `${r.reason}|${r.status}|${r.currency}`;
        const s = sums.get(key) ?? { reason: r.reason ?? "other", status: r.status ?? "", currency: r.currency ?? "CAD", refunds: 0, amount: 0 };
        s.refunds += Number(r.refunds ?? 0);
        s.amount += Number(r.amount_cents ?? 0);
        sums.set(key, s);
      }
      setRows([...sums.values()].sort((a, b) => a.reason.localeCompare(b.reason) || a.status.localeCompare(b.status)));
    }, setError);
  }, [range]);
  return (
    <section aria-labelledby="refund-title">
      <h2 id="refund-title">{at("refund.title")}</h2>
      <ErrorAlert error={error} />
      {rows && rows.length === 0 && <p>{at("refund.none")}</p>}
      {rows && rows.length > 0 && (
        <table>
          <caption>{at("refund.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{at("refund.reason")}</th>
              <th scope="col">{at("refund.status")}</th>
              <th scope="col">{at("refund.count")}</th>
              <th scope="col">{at("refund.amount")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.reason}|${r.status}|${r.currency}`}>
                <td>{at(`refund.${r.reason}` as AnalyticsKey)}</td>
                <td>{at(`refund.${r.status}` as AnalyticsKey)}</td>
                <td class="num">{count(r.refunds)}</td>
                <td class="num">{money(r.amount, r.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const PROVIDERS_PAGE = 25;
const MAX_DAYS = 31; // the RPC's cap across every provider

/** The range the providers' comparison covers: the range chosen, or its last 31 days when it
 * is longer (the RPC's cap across every provider). */
export function providersRange(range: Range): { range: Range; clamped: boolean } {
  const day = 86_400_000;
  const days = Math.round((Date.parse(range.to) - Date.parse(range.from)) / day) + 1;
  if (days <= MAX_DAYS) return { range, clamped: false };
  const from = new Date(Date.parse(range.to) - (MAX_DAYS - 1) * day).toISOString().slice(0, 10);
  return { range: { ...range, from }, clamped: true };
}

/** Ops: every provider's performance over the range (its last 31 days when it is longer), a
 * page of 25 at a time in the API's order (provider id), its utilisation drawn as bars and
 * every figure in the table beside. */
export function ProvidersSection({ range: chosen }: { range: Range }): JSX.Element {
  const { range, clamped } = providersRange(chosen);
  const key = `${range.from}|${range.to}`;
  // the after_id of each page seen, for this range only: another range starts at the first page
  const [paging, setPaging] = useState<{ key: string; pages: (string | null)[] }>({ key, pages: [null] });
  const pages = paging.key === key ? paging.pages : [null];
  const setPages = (next: (string | null)[]): void => setPaging({ key, pages: next });
  const [rows, setRows] = useState<api.PerformanceRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const after = pages[pages.length - 1];
  useEffect(() => {
    let gone = false; // a page asked before another is dropped when it arrives late
    setRows(null);
    setError(null);
    api.performancePage(range, after, PROVIDERS_PAGE).then(
      (r) => !gone && setRows(r),
      (e: unknown) => !gone && setError(e),
    );
    return () => {
      gone = true;
    };
  }, [key, after]);
  const money0 = (cents: number | null | undefined): string => money(Number(cents ?? 0), "CAD");
  return (
    <section aria-labelledby="providers-title">
      <h2 id="providers-title">{at("providers.title")}</h2>
      <p class="hint">{at("providers.hint")}</p>
      {clamped && <p class="hint">{at("providers.clamped", { n: MAX_DAYS, from: longDay(range.from), to: longDay(range.to) })}</p>}
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{at("common.loading")}</p>}
      {rows?.length === 0 && <p>{at("providers.none")}</p>}
      {!!rows?.length && (
        <>
          <ShareBars
            rows={rows.map((r) => ({ key: String(r.provider_id), label: r.business_name ?? "", share: r.utilisation === null || r.utilisation === undefined ? null : Number(r.utilisation) }))}
            format={percent}
          />
          {/* wider than a phone: scrolled sideways, so it takes the keyboard's focus itself */}
          <div class="scroll" tabIndex={0} role="region" aria-labelledby="providers-title">
            <table id="providers-table">
              <caption>{at("providers.caption", { first: count((pages.length - 1) * PROVIDERS_PAGE + 1), last: count((pages.length - 1) * PROVIDERS_PAGE + rows.length), from: longDay(range.from), to: longDay(range.to) })}</caption>
              <thead>
                <tr>
                  <th scope="col">{at("providers.provider")}</th>
                  <th scope="col">{at("perf.utilisation")}</th>
                  <th scope="col">{at("providers.hours")}</th>
                  <th scope="col">{at("providers.bookings")}</th>
                  <th scope="col">{at("perf.cancellation_rate")}</th>
                  <th scope="col">{at("perf.no_show_rate")}</th>
                  <th scope="col">{at("perf.repeat_customer_share")}</th>
                  <th scope="col">{at("perf.rating")}</th>
                  <th scope="col">{at("providers.net")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={String(r.provider_id)}>
                    <th scope="row">{r.business_name}</th>
                    <td class="num">{percent(r.utilisation)}</td>
                    <td class="num">{at("providers.hoursValue", { booked: hours(r.booked_minutes), offered: hours(r.offered_minutes) })}</td>
                    <td class="num">{count(r.bookings)}</td>
                    <td class="num">{percent(r.cancellation_rate)}</td>
                    <td class="num">{percent(r.no_show_rate)}</td>
                    <td class="num">{percent(r.repeat_customer_share)}</td>
                    <td class="num">{r.rating_avg === null || r.rating_avg === undefined ? "—" : Number(r.rating_avg).toLocaleString(tag())}</td>
                    <td class="num">{money0(r.net_cents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <p class="pager">
        {pages.length > 1 && (
          <button type="button" class="secondary" onClick={() => setPages(pages.slice(0, -1))}>
            {at("providers.previous")}
          </button>
        )}
        {rows?.length === PROVIDERS_PAGE && (
          <button type="button" class="secondary" onClick={() => setPages([...pages, String(rows[rows.length - 1].provider_id)])}>
            {at("providers.next", { n: PROVIDERS_PAGE })}
          </button>
        )}
      </p>
    </section>
  );
}
