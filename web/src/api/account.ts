// The customer's side after booking: history with its money (api.my_booking_history),
// reschedule (api.reschedule_booking), notification preferences, export and deletion.
import { call } from "./client";
import { session } from "./session";

export interface HistoryRow {
  id: string;
  status: string;
  starts_at: string;
  ends_at: string;
  time_zone: string | null;
  currency: string;
  price_cents: number;
  deposit_cents: number | null;
  /** the card charges: the deposit's (or the price's) and the balance charged to the card */
  charged_cents: number | null;
  refunded_cents: number | null;
  /** everything paid: the card charges and a balance paid at the venue */
  paid_cents: number | null;
  /** the balance after a deposit, taxes included, and how it stands (internal.balance_due_json) */
  balance_cents: number | null;
  balance_status: string | null;
  provider_name: string | null;
  service_name: string | null;
}

export interface Preference {
  category: string;
  email: boolean;
  sms: boolean;
  editable: boolean;
}

export const bookingHistory = (): Promise<HistoryRow[]> =>
  call<HistoryRow[]>("/rpc/my_booking_history", { query: { limit: "100" } });
export const reschedule = (booking_id: string, new_starts_at: string): Promise<unknown> =>
  call("/rpc/reschedule_booking", { method: "POST", body: { booking_id, new_starts_at } });

export const preferences = (): Promise<Preference[]> => call<Preference[]>("/rpc/notification_preferences");
export const setPreference = (category: string, email: boolean, sms: boolean): Promise<unknown> =>
  call("/rpc/set_notification_preference", { method: "POST", body: { category, email, sms } });

export const exportData = (): Promise<unknown> => call("/rpc/export_my_data");

/** Delete the caller's account; the session ends with it. */
export async function deleteAccount(password: string): Promise<void> {
  await call("/rpc/delete_my_account", { method: "POST", body: { password } });
  session.clear();
}
