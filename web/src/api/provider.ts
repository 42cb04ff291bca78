// The provider's own business: api.my_provider, api.my_services, api.my_weekly_hours,
// api.my_time_off, its bookings with customers (api.my_provider_bookings), api.mark_booking
// and api.cancel_booking.
import { call } from "./client";
import type { ProviderProfile, Service, TimeOff, WeeklyHours } from "./types";

const RETURN = { Prefer: "return=representation" };

export const myProvider = (): Promise<ProviderProfile[]> => call<ProviderProfile[]>("/my_provider");
export const createProvider = (body: ProviderProfile): Promise<ProviderProfile[]> =>
  call<ProviderProfile[]>("/my_provider", { method: "POST", body, headers: RETURN });

/** Edit the caller's profile (PATCH api.my_provider: only the fields sent change). */
export const updateProvider = (id: string, body: ProviderProfile): Promise<ProviderProfile[]> =>
  call<ProviderProfile[]>("/my_provider", { method: "PATCH", query: { id: `eq.${id}` }, body, headers: RETURN });

export const myServices = (): Promise<Service[]> => call<Service[]>("/my_services", { query: { order: "name" } });
export const createService = (body: Service): Promise<Service[]> =>
  call<Service[]>("/my_services", { method: "POST", body, headers: RETURN });
/** Edit one of the caller's services (PATCH api.my_services). */
export const updateService = (id: string, body: Service): Promise<Service[]> =>
  call<Service[]>("/my_services", { method: "PATCH", query: { id: `eq.${id}` }, body, headers: RETURN });

export const weeklyHours = (): Promise<WeeklyHours[]> =>
  call<WeeklyHours[]>("/my_weekly_hours", { query: { order: "day_of_week,start_time" } });
export const addHours = (body: WeeklyHours): Promise<WeeklyHours[]> =>
  call<WeeklyHours[]>("/my_weekly_hours", { method: "POST", body, headers: RETURN });
export const removeHours = (id: string): Promise<unknown> =>
  call("/my_weekly_hours", { method: "DELETE", query: { id: `eq.${id}` } });

export const timeOff = (): Promise<TimeOff[]> => call<TimeOff[]>("/my_time_off", { query: { order: "starts_at" } });
export const addTimeOff = (body: TimeOff): Promise<TimeOff[]> =>
  call<TimeOff[]>("/my_time_off", { method: "POST", body, headers: RETURN });
export const removeTimeOff = (id: string): Promise<unknown> =>
  call("/my_time_off", { method: "DELETE", query: { id: `eq.${id}` } });

export const markBooking = (id: string, outcome: "completed" | "no_show"): Promise<unknown> =>
  call("/rpc/mark_booking", { method: "POST", body: { booking_id: id, outcome } });

/** A provider's booking with who booked (api.my_provider_bookings): contact only while needed. */
export interface ProviderBooking {
  id: string;
  status: string;
  starts_at: string;
  ends_at: string;
  currency: string;
  price_cents: number;
  service_name: string | null;
  customer_name: string | null;
  customer_email: string | null;
  customer_phone: string | null;
}

export const bookingsWithCustomers = (from: string, to: string): Promise<ProviderBooking[]> =>
  call<ProviderBooking[]>("/rpc/my_provider_bookings", { query: { from, to, limit: "500" } });
export const cancelAsProvider = (id: string, reason: string): Promise<unknown> =>
  call("/rpc/cancel_booking", { method: "POST", body: { booking_id: id, reason } });
