// A provider's pricing suggestions (api.my_price_suggestions); a suggested price is applied
// through the service edit (api.my_services, PATCH) like any other change of price.
import { call } from "./client";

export interface PriceReason {
  kind: "demand" | "supply" | "fill" | "no_data";
  text: string;
  figures: Record<string, number | null>;
}

/** One service's suggestion (the OpenAPI document types it as any JSON). */
export interface PriceSuggestion {
  service_id: string;
  service_name: string;
  category: string;
  price_cents: number;
  currency: string;
  suggestion: "raise" | "lower" | "keep";
  suggested_low_cents: number;
  suggested_high_cents: number;
  reasons: PriceReason[];
}

export const priceSuggestions = (days: number): Promise<PriceSuggestion[]> =>
  call<PriceSuggestion[]>("/rpc/my_price_suggestions", { query: { days: String(days) } });
