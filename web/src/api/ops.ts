// The ops console's calls: booking search and story, refunds and forced cancellations,
// provider suspension, the dead-letter queues and queue depth (each refused with 403 to
// anyone but ops: the console shows that refusal as its "not allowed" page).
import { call } from "./client";

export interface OpsBooking {
  id: string;
  status: string;
  starts_at: string;
  ends_at: string;
  currency: string;
  price_cents: number;
  charged_cents: number | null;
  refunded_cents: number | null;
  customer_name: string | null;
  customer_email: string | null;
  provider_id: string;
  provider_name: string | null;
  service_name: string | null;
  payment_status: string | null;
  stripe_payment_intent_id: string | null;
}

export interface OpsSearch {
  customer_email?: string;
  provider_id?: string;
  status?: string;
  from?: string;
  to?: string;
  before_id?: string;
  limit?: string;
}

export interface AuditEntry {
  id: number;
  occurred_at: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  table_name: string;
  reason: string | null;
  request_id: string | null;
}

export interface Balance {
  currency: string;
  charged_cents: number;
  refunded_cents: number;
  refund_pending_cents: number;
  fee_cents: number;
  net_cents: number;
}

export interface Story {
  booking: {
    id: string;
    status: string;
    starts_at: string;
    ends_at: string;
    price_cents: number;
    deposit_cents: number;
    currency: string;
    cancel_reason: string | null;
    created_at: string;
  };
  customer: { id: string; email: string | null; full_name: string | null; deleted_at: string | null } | null;
  provider: { id: string; business_name: string; time_zone: string; suspended_at: string | null } | null;
  service: { name: string; category: string; duration_minutes: number } | null;
  balance: Balance;
  payment: {
    id: string;
    status: string;
    amount_cents: number;
    captured_cents: number | null;
    currency: string;
    stripe_payment_intent_id: string | null;
    failure_reason: string | null;
  } | null;
  refunds: {
    id: string;
    amount_cents: number;
    status: string;
    reason: string | null;
    requested_role: string | null;
    stripe_refund_id: string | null;
    created_at: string;
  }[];
  notifications: {
    id: string;
    event: string;
    recipient: string;
    channel: string;
    status: string;
    created_at: string;
    sent_at: string | null;
    provider_message_id: string | null;
  }[];
  audit_trail: AuditEntry[];
  events: { id: number; created_at: string; kind: string; payload: Record<string, unknown> | null }[];
  stripe: { payment_intent_id: string | null; refund_ids: string[]; events: { id: string; type: string; received_at: string; outcome: string | null }[] };
}

export interface OpsProvider {
  id: string;
  business_name: string;
  owner_name: string | null;
  owner_email: string | null;
  is_active: boolean;
  suspended_at: string | null;
  suspension_reason: string | null;
}

export interface QueueStat {
  queue_name: string;
  queue_length: number;
  queue_visible_length: number;
  oldest_msg_age_sec: number | null;
  newest_msg_age_sec: number | null;
  total_messages: number;
}

export interface DeadLetter {
  msg_id: number;
  dead_lettered_at: string;
  original_msg_id: number | null;
  type: string | null;
  error_class: string | null;
  error: string | null;
  attempts: number | null;
}

const clean = (q: OpsSearch): Record<string, string> =>
  Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== "")) as Record<string, string>;

export const searchBookings = (q: OpsSearch): Promise<OpsBooking[]> =>
  call<OpsBooking[]>("/rpc/ops_bookings", { query: clean(q) });
export const bookingStory = (id: string): Promise<Story> =>
  call<Story>("/rpc/ops_booking_story", { query: { booking_id: id } });
export const refund = (booking_id: string, amount_cents: number, reason: string): Promise<Balance> =>
  call<Balance>("/rpc/ops_refund", { method: "POST", body: { booking_id, amount_cents, reason } });
export const forceCancel = (booking_id: string, reason: string, refund: boolean): Promise<unknown> =>
  call("/rpc/ops_force_cancel", { method: "POST", body: { booking_id, reason, refund } });

export const providers = (search: string): Promise<OpsProvider[]> =>
  call<OpsProvider[]>("/rpc/ops_providers", { query: clean({ search, limit: "200" } as OpsSearch) });
export const suspend = (provider_id: string, reason: string): Promise<unknown> =>
  call("/rpc/ops_suspend_provider", { method: "POST", body: { provider_id, reason } });
export const reinstate = (provider_id: string, reason: string): Promise<unknown> =>
  call("/rpc/ops_reinstate_provider", { method: "POST", body: { provider_id, reason } });

export const queueStats = (): Promise<QueueStat[]> => call<QueueStat[]>("/rpc/queue_stats");
export const deadLetters = (queue: string): Promise<DeadLetter[]> =>
  call<DeadLetter[]>("/rpc/dlq_list", { query: { queue, limit: "100" } });
export const deadLetter = (queue: string, msg_id: number): Promise<unknown> =>
  call("/rpc/dlq_show", { query: { queue, msg_id: String(msg_id) } });
export const replay = (queue: string, msg_id: number): Promise<unknown> =>
  call("/rpc/dlq_replay", { method: "POST", body: { queue, msg_id } });
export const discard = (queue: string, msg_id: number, reason: string): Promise<unknown> =>
  call("/rpc/dlq_discard", { method: "POST", body: { queue, msg_id, reason } });
