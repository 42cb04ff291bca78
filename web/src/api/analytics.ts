// The analytics RPCs (docs/analytics.md): ops' overview, revenue, funnel, cohorts and new and
// returning customers, a
// provider's own figures with its peer rank, the figures by neighbourhood, the bookings behind
// any figure (api.analytics_bookings), and each as CSV
// (the same RPC with Accept: text/csv). Part of the analytics chunk only.
import type { operations } from "../../../clients/typescript/bookiji-api";
import { ApiError, call } from "./client";
import { session } from "./session";

type Rows<O extends keyof operations> = operations[O] extends {
  responses: { 200: { content: { "application/json": infer T } } };
}
  ? T
  : never;

export type OverviewRow = Rows<"analytics_overview">[number];
export type RevenueRow = Rows<"analytics_revenue">[number];
export type ProviderRow = Rows<"analytics_provider">[number];
export type FunnelRow = Rows<"analytics_funnel">[number];
export type CohortRow = Rows<"analytics_cohorts">[number];
export type CustomersRow = Rows<"analytics_customers">[number];
export type PerformanceRow = Rows<"analytics_performance">[number];
export type RefundRow = Rows<"analytics_refunds">[number];
export type TodayRow = Rows<"analytics_today">[number];
export type AreaRow = Rows<"analytics_areas">[number];
export type DrillRow = Rows<"analytics_bookings">[number];

export type Grain = "day" | "week" | "month";
export interface Range {
  from: string; // local dates, both included
  to: string;
  tz: string;
  group_by: Grain;
}

export type Rpc =
  | "analytics_overview"
  | "analytics_revenue"
  | "analytics_provider"
  | "analytics_funnel"
  | "analytics_cohorts"
  | "analytics_customers";

export const rpcQuery = (rpc: Rpc, r: Range): Record<string, string> =>
  rpc === "analytics_funnel" || rpc === "analytics_cohorts"
    ? { from: r.from, to: r.to, tz: r.tz }
    : { from: r.from, to: r.to, tz: r.tz, group_by: r.group_by };

export const overview = (r: Range): Promise<OverviewRow[]> =>
  call<OverviewRow[]>("/rpc/analytics_overview", { query: rpcQuery("analytics_overview", r) });
export const revenue = (r: Range): Promise<RevenueRow[]> =>
  call<RevenueRow[]>("/rpc/analytics_revenue", { query: rpcQuery("analytics_revenue", r) });
export const providerFigures = (r: Range): Promise<ProviderRow[]> =>
  call<ProviderRow[]>("/rpc/analytics_provider", { query: rpcQuery("analytics_provider", r) });
export const funnel = (r: Range): Promise<FunnelRow[]> =>
  call<FunnelRow[]>("/rpc/analytics_funnel", { query: rpcQuery("analytics_funnel", r) });
export const cohorts = (r: Range): Promise<CohortRow[]> =>
  call<CohortRow[]>("/rpc/analytics_cohorts", { query: rpcQuery("analytics_cohorts", r) });
/** New and returning customers per bucket; with a category, its bookings and the customers
 * whose first booking was in it. */
export const customersQuery = (r: Range, category: string): Record<string, string> => ({
  ...rpcQuery("analytics_customers", r),
  ...(category ? { category } : {}),
});
export const customers = (r: Range, category = ""): Promise<CustomersRow[]> =>
  call<CustomersRow[]>("/rpc/analytics_customers", { query: customersQuery(r, category) });

/** Performance over local days (utilisation, rates, repeat customers, rating): a provider's
 * own row, or for ops every provider's, read page by page (the RPC pages by provider id). */
const PERFORMANCE_PAGE = 1000;
export const performance = async (r: Range): Promise<PerformanceRow[]> => {
  const rows: PerformanceRow[] = [];
  let after: string | undefined;
  for (;;) {
    const query: Record<string, string> = { from: r.from, to: r.to, page_size: String(PERFORMANCE_PAGE) };
    if (after) query.after_id = after;
    const page = await call<PerformanceRow[]>("/rpc/analytics_performance", { query });
    rows.push(...page);
    if (page.length < PERFORMANCE_PAGE) return rows;
    after = String(page[page.length - 1].provider_id);
  }
};
/** One page of every provider's performance (ops), in provider id order after `after`. */
export const performancePage = (r: Range, after: string | null, size: number): Promise<PerformanceRow[]> =>
  call<PerformanceRow[]>("/rpc/analytics_performance", {
    query: { from: r.from, to: r.to, page_size: String(size), ...(after ? { after_id: after } : {}) },
  });
/** Refunds by reason, status and currency, summed over the range. */
export const refunds = (r: Range): Promise<RefundRow[]> =>
  call<RefundRow[]>("/rpc/analytics_refunds", { query: { from: r.from, to: r.to, tz: r.tz, group_by: "month" } });
/** Today's counters; a provider's day in its own zone, ops' in `tz`. */
export const today = (tz: string | null): Promise<TodayRow[]> =>
  call<TodayRow[]>("/rpc/analytics_today", { query: tz ? { tz } : {} });

/** The figures per neighbourhood (app.areas; "other" outside every polygon), ops only. */
export const areas = (r: Range): Promise<AreaRow[]> =>
  call<AreaRow[]>("/rpc/analytics_areas", { query: { from: r.from, to: r.to, tz: r.tz, area_kind: "neighbourhood" } });

/** What picks the bookings behind one figure (api.analytics_bookings): the range's keys and
 * optionally one bucket, status, figure or area. */
export interface DrillFilter {
  bucket_start?: string;
  status?: string;
  figure?: string;
  area?: string;
  currency?: string;
  category?: string;
}
export const PAGE_SIZE = 50;

export const drillQuery = (r: Range, f: DrillFilter): Record<string, string> => {
  const q: Record<string, string> = { from: r.from, to: r.to, tz: r.tz, group_by: r.group_by };
  for (const [k, v] of Object.entries(f)) if (v) q[k] = v;
  return q;
};

/** One page of the bookings behind a figure; `after` is the last row of the previous page. */
export const drill = (r: Range, f: DrillFilter, after: DrillRow | null = null): Promise<DrillRow[]> =>
  call<DrillRow[]>("/rpc/analytics_bookings", {
    query: {
      ...drillQuery(r, f),
      page_size: String(PAGE_SIZE),
      ...(after?.starts_at && after.booking_id ? { after_start: after.starts_at, after_id: after.booking_id } : {}),
    },
  });

/** The same RPC as CSV (PostgREST's Accept: text/csv), saved under `filename`. */
export async function downloadCsv(rpc: Rpc | "analytics_bookings", r: Range, filename: string, retried = false, query?: Record<string, string>): Promise<void> {
  const url = new URL(`/rpc/${rpc}`, window.location.origin);
  for (const [k, v] of Object.entries(query ?? rpcQuery(rpc as Rpc, r))) url.searchParams.set(k, v);
  const token = session.accessToken();
  const resp = await fetch(url, {
    headers: { Accept: "text/csv", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    credentials: "omit",
  });
  if (resp.status === 401 && !retried && (await session.refreshNow())) return downloadCsv(rpc, r, filename, true, query);
  if (!resp.ok) throw new ApiError(resp.status, resp.status === 403 ? "forbidden" : "invalid_input", "", null);
  const blob = new Blob([await resp.text()], { type: "text/csv" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
