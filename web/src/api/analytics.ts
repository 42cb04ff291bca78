// The analytics RPCs (docs/analytics.md): ops' overview, revenue, funnel and cohorts, a
// provider's own figures with its peer rank, the bookings behind a figure, and each as CSV
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
export type PerformanceRow = Rows<"analytics_performance">[number];
export type RefundRow = Rows<"analytics_refunds">[number];
export type TodayRow = Rows<"analytics_today">[number];
export type OpsBooking = Rows<"ops_bookings">[number];
export type ProviderBooking = Rows<"my_provider_bookings">[number];

export type Grain = "day" | "week" | "month";
export interface Range {
  from: string; // local dates, both included
  to: string;
  tz: string;
  group_by: Grain;
}

export type Rpc = "analytics_overview" | "analytics_revenue" | "analytics_provider" | "analytics_funnel" | "analytics_cohorts";

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

/** A provider's own performance over local days (utilisation, rates, repeat customers, rating). */
export const performance = (r: Range): Promise<PerformanceRow[]> =>
  call<PerformanceRow[]>("/rpc/analytics_performance", { query: { from: r.from, to: r.to } });
/** Refunds by reason, status and currency, summed over the range. */
export const refunds = (r: Range): Promise<RefundRow[]> =>
  call<RefundRow[]>("/rpc/analytics_refunds", { query: { from: r.from, to: r.to, tz: r.tz, group_by: "month" } });
/** Today's counters; a provider's day in its own zone, ops' in `tz`. */
export const today = (tz: string | null): Promise<TodayRow[]> =>
  call<TodayRow[]>("/rpc/analytics_today", { query: tz ? { tz } : {} });

/** The bookings behind one figure: starts in [from, to), one status (POST: limit is the argument). */
export const opsBookings = (from: string, to: string, status: string | null): Promise<OpsBooking[]> =>
  call<OpsBooking[]>("/rpc/ops_bookings", { method: "POST", body: { from, to, status, limit: 200 } });
export const providerBookings = (from: string, to: string, status: string | null): Promise<ProviderBooking[]> =>
  call<ProviderBooking[]>("/rpc/my_provider_bookings", { method: "POST", body: { from, to, status, limit: 200 } });

/** The same RPC as CSV (PostgREST's Accept: text/csv), saved under `filename`. */
export async function downloadCsv(rpc: Rpc, r: Range, filename: string, retried = false): Promise<void> {
  const url = new URL(`/rpc/${rpc}`, window.location.origin);
  for (const [k, v] of Object.entries(rpcQuery(rpc, r))) url.searchParams.set(k, v);
  const token = session.accessToken();
  const resp = await fetch(url, {
    headers: { Accept: "text/csv", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    credentials: "omit",
  });
  if (resp.status === 401 && !retried && (await session.refreshNow())) return downloadCsv(rpc, r, filename, true);
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
