// Money of this morning's API (docs/connect.md, docs/money.md): a provider's Stripe payout
// account and onboarding, its statement and GST/QST registration; a customer's receipt; the
// ops' commission rates and card disputes. Their answers are "any JSON" in the OpenAPI
// document: the shapes below are the SQL functions' (db/functions/39_taxes.sql,
// 55_connect.sql, 87_receipts.sql, 71_disputes.sql).
import { call } from "./client";

export interface PayoutAccount {
  stripe_account_id: string | null;
  onboarding_url: string | null;
  onboarding_url_expires_at: string | null;
  link_requested_at: string | null;
  details_submitted: boolean | null;
  charges_enabled: boolean | null;
  payouts_enabled: boolean | null;
  requirements_due: string[] | null;
  destination_charges: boolean | null;
}

export interface StatementLine {
  booking_id: string;
  starts_at: string;
  status: string;
  price_cents: number;
  charged_cents: number;
  gst_cents: number;
  qst_cents: number;
  refunded_cents: number;
  refunded_gst_cents: number;
  refunded_qst_cents: number;
  disputed_lost_cents: number;
  commission_cents: number;
  payout_cents: number;
  paid_out_cents: number;
  owed_cents: number;
  collected_by: string;
}

export interface Statement {
  period_from: string;
  period_to: string;
  time_zone: string;
  currency: string;
  bookings: number;
  gross_cents: number;
  gst_collected_cents: number;
  qst_collected_cents: number;
  refunded_cents: number;
  gst_refunded_cents: number;
  qst_refunded_cents: number;
  gst_net_cents: number;
  qst_net_cents: number;
  disputed_lost_cents: number;
  collected_net_cents: number;
  commission_cents: number;
  payout_cents: number;
  paid_out_cents: number;
  owed_cents: number;
  lines: StatementLine[];
}

export interface TaxRegistration {
  gst_number: string | null;
  qst_number: string | null;
}
/** The registration as the API returns it: the numbers and the rates in force (rates.gst,
 *  rates.qst: what registering for each tax makes one charge, from SQL). */
export interface TaxRegistrationState extends TaxRegistration {
  rates: { gst: number; qst: number };
}

/** api.booking_receipt: the receipt and, after a deposit, the balance (BalanceDue). */
export interface Receipt extends BalanceDue {
  booking_id: string;
  currency: string;
  price_cents: number;
  gst_cents: number;
  qst_cents: number;
  gst_number: string | null;
  qst_number: string | null;
  total_cents: number;
  deposit_cents: number | null;
  paid_cents: number;
  refunded_cents: number;
  fee_cents: number;
  disputed_lost_cents: number;
}

/** The balance after a deposit (internal.balance_due_json, db/functions/57_balance.sql and
 *  63_balance_card.sql), as api.booking_balance and api.pay_balance return it. */
export interface BalanceDue {
  balance_cents: number;
  balance_base_cents: number;
  balance_gst_cents: number;
  balance_qst_cents: number;
  balance_status: "none" | "open" | "charging" | "due" | "paid" | "void";
  balance_method: string | null;
  balance_paid_cents: number;
  balance_paid_at: string | null;
}
export interface BookingBalance extends BalanceDue {
  booking_id: string;
  status: string;
  currency: string;
}
/** api.pay_balance: the failed off-session charge's PaymentIntent, to confirm on session. */
export interface BalanceToPay extends BalanceDue {
  booking_id: string;
  stripe_payment_intent_id: string;
  client_secret: string;
  failure_code: string | null;
}

export interface CommissionRate {
  category: string;
  rate_bp: number;
  minimum_cents: number;
  updated_at: string | null;
}

export interface Dispute {
  id: string;
  booking_id: string;
  amount_cents: number;
  currency: string;
  reason: string | null;
  status: string;
  outcome: string | null;
  opened_at: string;
  closed_at: string | null;
  evidence_due_by: string | null;
}

export const myPayoutAccount = (): Promise<PayoutAccount> => call<PayoutAccount>("/rpc/my_payout_account");
export const startPayoutOnboarding = (): Promise<unknown> =>
  call("/rpc/start_payout_onboarding", { method: "POST", body: {} });
export const providerStatement = (from: string, to: string): Promise<Statement> =>
  call<Statement>("/rpc/provider_statement", { query: { period_from: from, period_to: to } });

export const myTaxRegistration = (): Promise<TaxRegistrationState> =>
  call<TaxRegistrationState>("/rpc/my_tax_registration");
export const setTaxRegistration = (body: TaxRegistration): Promise<TaxRegistrationState> =>
  call<TaxRegistrationState>("/rpc/set_tax_registration", { method: "POST", body });

export const bookingReceipt = (id: string): Promise<Receipt> =>
  call<Receipt>("/rpc/booking_receipt", { query: { booking_id: id } });

export const bookingBalance = (id: string): Promise<BookingBalance> =>
  call<BookingBalance>("/rpc/booking_balance", { query: { booking_id: id } });
export const payBalance = (id: string): Promise<BalanceToPay> =>
  call<BalanceToPay>("/rpc/pay_balance", { query: { booking_id: id } });

export const commissionRates = (): Promise<CommissionRate[]> =>
  call<CommissionRate[]>("/rpc/commission_rates", { query: { order: "category" } });
export const setCommissionRate = (body: { category: string; rate_bp: number; minimum_cents: number; reason: string }): Promise<unknown> =>
  call("/rpc/ops_set_commission_rate", { method: "POST", body });
export const opsDisputes = (openOnly: boolean): Promise<Dispute[]> =>
  call<Dispute[]>("/rpc/ops_disputes", { query: { open_only: String(openOnly) } });
