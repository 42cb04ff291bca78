// The generated OpenAPI types (clients/typescript, `make clients`): the app's view of the API.
import type { components, operations } from "../../../clients/typescript/bookiji-api";

type Json<O extends keyof operations, S extends number = 200> = operations[O] extends {
  responses: { [K in S]: { content: { "application/json": infer T } } };
}
  ? T
  : never;
type Body<O extends keyof operations> = operations[O] extends {
  requestBody?: { content: { "application/json": infer T } };
}
  ? T
  : never;

export type Session = components["schemas"]["Session"];
export type User = components["schemas"]["User"];
export type ApiErrorBody = components["schemas"]["Error"];
export type Role = User["role"];
export type Locale = User["locale"];
export type Booking = components["schemas"]["my_bookings"];
export type Category = components["schemas"]["service_categories"];
export type Offer = Json<"quote">[number];
export type QuoteRequest = Body<"quote">;
export type SignupRequest = Body<"signup">;
export type ProviderProfile = components["schemas"]["my_provider"];
export type Service = components["schemas"]["my_services"];
export type WeeklyHours = components["schemas"]["my_weekly_hours"];
export type TimeOff = components["schemas"]["my_time_off"];

// Answers the OpenAPI document types as "any JSON" (their shape is in the SQL comments).
export interface PaymentInfo {
  booking_id?: string;
  status: string;
  payment?: {
    status?: string | null;
    amount_cents?: number | null;
    currency?: string | null;
    client_secret?: string | null;
  } | null;
}
export interface CancellationPreview {
  can_cancel: boolean;
  refund_cents: number;
  fee_cents: number;
  captured_cents?: number;
  deadline?: string | null;
  changes_at?: string | null;
  refund_after_change_cents?: number | null;
  refusal?: string | null;
}
