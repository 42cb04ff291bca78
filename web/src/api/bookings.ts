// Quote, confirm, pay, cancel and the customer's bookings: api.quote, api.confirm_booking,
// api.booking_payment, api.cancellation_preview, api.cancel_booking, api.my_bookings.
import { call } from "./client";
import type { Booking, CancellationPreview, Category, Offer, PaymentInfo, QuoteRequest } from "./types";

export const categories = (): Promise<Category[]> =>
  // anonymous: the same rows for everyone, so the gateway's catalog cache (and the replica) serve it
  call<Category[]>("/service_categories", { query: { select: "id,slug,name_en,name_fr", order: "name_en" }, anonymous: true });

export const quote = (body: QuoteRequest): Promise<Offer[]> => call<Offer[]>("/rpc/quote", { method: "POST", body });

/** saveCard: the customer's consent to the balance after a deposit being charged to the
 *  card that pays the deposit, once the booking is completed (docs/money.md). */
export const confirmBooking = (offer: Offer, idempotencyKey: string, saveCard = false): Promise<Booking> =>
  call<Booking>("/rpc/confirm_booking", {
    method: "POST",
    body: { quote_id: offer.quote_id, provider_id: offer.provider_id, save_card: saveCard },
    headers: { "Idempotency-Key": idempotencyKey },
  });

export const myBookings = (): Promise<Booking[]> =>
  call<Booking[]>("/my_bookings", { query: { order: "starts_at.desc", limit: "100" } });

export async function booking(id: string): Promise<Booking | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const rows = await call<Booking[]>("/my_bookings", { query: { id: `eq.${id}` } });
  return rows[0] ?? null;
}

export const payment = (id: string): Promise<PaymentInfo> =>
  call<PaymentInfo>("/rpc/booking_payment", { query: { booking_id: id } });

export const cancellationPreview = (id: string): Promise<CancellationPreview> =>
  call<CancellationPreview>("/rpc/cancellation_preview", { query: { booking_id: id } });

export const cancelBooking = (id: string, reason: string): Promise<unknown> =>
  call("/rpc/cancel_booking", { method: "POST", body: { booking_id: id, reason } });
