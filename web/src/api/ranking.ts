// The quote's ranking versions for ops (api.ops_ranking_versions) and activation or rollback
// (api.ops_activate_ranking_version): db/functions/36_ranking.sql, docs/ranking.md.
import { call } from "./client";

export interface RankingMetrics {
  log_likelihood?: number | null;
  ndcg_at_5?: number | null;
}

/** A ranking version as the API returns it (the OpenAPI document types it as any JSON). */
export interface RankingVersion {
  version: number;
  is_active: boolean;
  source: "fixed" | "trained";
  weights: { distance: number; rating: number; price: number; reliability: number; personal: number };
  position_bias: number[] | null;
  metrics: {
    baseline_version?: number | null;
    candidate?: RankingMetrics | null;
    baseline?: RankingMetrics | null;
    [key: string]: unknown;
  } | null;
  note: string | null;
  created_at: string;
  activated_at: string | null;
}

export const rankingVersions = (): Promise<RankingVersion[]> => call<RankingVersion[]>("/rpc/ops_ranking_versions");

export const activateRankingVersion = (version: number, reason: string): Promise<RankingVersion> =>
  call<RankingVersion>("/rpc/ops_activate_ranking_version", { method: "POST", body: { version, reason } });
