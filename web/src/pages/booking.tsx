// One booking: its status (live over /realtime), paying it through Stripe.js, cancelling it,
// its receipt; a balance after the deposit that is due has a Pay button that opens the
// pay-the-balance panel of My bookings (/bookings?pay_balance=<id>, as the email's link does).
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { booking as readBooking, cancelBooking, cancellationPreview, payment } from "../api/bookings";
import type { Booking, CancellationPreview } from "../api/types";
import { ErrorAlert, Field, Link, Notice } from "../components/ui";
import { money, t, when, type MessageKey } from "../i18n";
import { TIME_ZONE } from "../places";
import { navigate } from "../router";
import { bookingReceipt, type Receipt } from "../api/money";
import { followBookings } from "../realtime";
import { stripe, type CardElement, type StripeClient } from "../stripe";

export const statusText = (status: string | null | undefined): string =>
  t(`booking.status.${status ?? "pending_payment"}` as MessageKey);

export function BookingPage({ id }: { id: string }): JSX.Element {
  const [b, setB] = useState<Booking | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const reload = (): void => {
    readBooking(id).then(setB, setError);
  };
  useEffect(() => {
    reload();
    return followBookings(
      (e) => {
        if (e.data.booking_id === id) reload();
      },
      reload,
    );
  }, [id]);

  if (error && b === undefined) return <ErrorAlert error={error} />;
  if (b === undefined) return <p role="status">{t("common.loading")}</p>;
  if (b === null)
    return (
      <section>
        <h1>{t("booking.notFoundTitle")}</h1>
        <p>{t("booking.notFound")}</p>
        <p>
          <Link to="/bookings">{t("nav.bookings")}</Link>
        </p>
      </section>
    );
  return (
    <section>
      <h1>{t("booking.title")}</h1>
      <dl class="summary">
        <dt>{t("booking.status")}</dt>
        <dd>
          <strong class={`status status-${b.status}`} data-testid="booking-status" aria-live="polite">
            {statusText(b.status)}
          </strong>
        </dd>
        <dt>{t("booking.when")}</dt>
        <dd>{when(b.starts_at, TIME_ZONE)}</dd>
        <dt>{t("booking.price")}</dt>
        <dd>{money(b.price_cents, b.currency)}</dd>
        <dt>{t("booking.reference")}</dt>
        <dd>
          <code>{b.id}</code>
        </dd>
      </dl>
      <p class="hint">{t("booking.live")}</p>
      <ErrorAlert error={error} />
      {b.status === "pending_payment" && <PaymentForm booking={b} />}
      {b.status === "confirmed" && <Notice>{t("booking.confirmedNote")}</Notice>}
      {(b.status === "pending_payment" || b.status === "confirmed") && <CancelPanel booking={b} onDone={reload} />}
      {b.status !== "pending_payment" && b.status !== "expired" && <ReceiptPanel key={b.status} id={b.id ?? ""} />}
    </section>
  );
}

/** The booking's receipt (api.booking_receipt): price, GST and QST with the provider's
 *  numbers, the total, what was paid and refunded, the balance after a deposit and how it
 *  stands (a Pay button when it is due); read again when the status changes. */
function ReceiptPanel({ id }: { id: string }): JSX.Element {
  const [r, setR] = useState<Receipt | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    bookingReceipt(id).then(setR, setError);
  }, [id]);
  const m = (c: number | null | undefined): string => money(c, r?.currency);
  return (
    <section aria-labelledby="receipt-title" class="panel receipt">
      <h2 id="receipt-title">{t("receipt.title")}</h2>
      <ErrorAlert error={error} />
      {r && (
        <table>
          <caption class="hint">{t("receipt.caption")}</caption>
          <tbody>
            <tr>
              <th scope="row">{t("receipt.price")}</th>
              <td class="num">{m(r.price_cents)}</td>
            </tr>
            <tr>
              <th scope="row">{r.gst_number ? t("receipt.gstNumber", { number: r.gst_number }) : t("receipt.gst")}</th>
              <td class="num">{m(r.gst_cents)}</td>
            </tr>
            <tr>
              <th scope="row">{r.qst_number ? t("receipt.qstNumber", { number: r.qst_number }) : t("receipt.qst")}</th>
              <td class="num">{m(r.qst_cents)}</td>
            </tr>
            <tr class="total">
              <th scope="row">{t("receipt.total")}</th>
              <td class="num">{m(r.total_cents)}</td>
            </tr>
            <tr>
              <th scope="row">{t(r.deposit_cents ? "receipt.depositPaid" : "receipt.paid")}</th>
              <td class="num">{m(r.paid_cents)}</td>
            </tr>
            {r.balance_status === "paid" && (
              <tr>
                <th scope="row">{t("receipt.balancePaid")}</th>
                <td class="num">{m(r.balance_paid_cents)}</td>
              </tr>
            )}
            {(r.balance_status === "due" || r.balance_status === "open" || r.balance_status === "charging") && (
              <tr>
                <th scope="row">{t(r.balance_status === "due" ? "receipt.balanceDue" : "receipt.balanceOpen")}</th>
                <td class="num" data-testid="receipt-balance">
                  {m(r.balance_cents)}
                </td>
              </tr>
            )}
            <tr>
              <th scope="row">{t("receipt.refunded")}</th>
              <td class="num">{m(r.refunded_cents)}</td>
            </tr>
            {r.disputed_lost_cents > 0 && (
              <tr>
                <th scope="row">{t("receipt.disputed")}</th>
                <td class="num">{m(r.disputed_lost_cents)}</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {r?.balance_status === "due" && (
        <div class="balance-due" data-testid="booking-balance-due">
          <p>
            <strong class="status status-due">{t("balance.due")}</strong> {t("booking.balanceDueNote", { amount: m(r.balance_cents) })}
          </p>
          <button type="button" onClick={() => navigate(`/bookings?pay_balance=${id}`)}>
            {t("balance.pay", { amount: m(r.balance_cents) })}
          </button>
        </div>
      )}
    </section>
  );
}

function PaymentForm({ booking }: { booking: Booking }): JSX.Element {
  const [secret, setSecret] = useState<string | null>(null);
  const [amount, setAmount] = useState<string>("");
  const [state, setState] = useState<"preparing" | "ready" | "paying" | "paid">("preparing");
  const [failure, setFailure] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mountAt = useRef<HTMLDivElement>(null);
  const card = useRef<CardElement | null>(null);
  const client = useRef<StripeClient | null>(null);

  useEffect(() => {
    let stopped = false;
    let tries = 0;
    // the worker creates the PaymentIntent a moment after the confirmation
    const poll = async (): Promise<void> => {
      while (!stopped && tries++ < 60) {
        const p = await payment(booking.id ?? "");
        const s = p.payment?.client_secret;
        if (s) {
          setSecret(s);
          setAmount(money(p.payment?.amount_cents, p.payment?.currency ?? booking.currency));
          return;
        }
        await new Promise((r) => window.setTimeout(r, 500));
      }
    };
    poll().catch(setError);
    return () => {
      stopped = true;
    };
  }, [booking.id]);

  useEffect(() => {
    if (!secret || !mountAt.current) return;
    stripe()
      .then((s) => {
        client.current = s;
        card.current = s.elements().create("card", { hidePostalCode: false });
        if (mountAt.current) card.current.mount(mountAt.current);
        setState("ready");
      })
      .catch(() => setFailure(t("pay.unavailable")));
    return () => card.current?.destroy();
  }, [secret]);

  const pay = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!client.current || !card.current || !secret) return;
    setState("paying");
    setFailure(null);
    const result = await client.current.confirmCardPayment(secret, { payment_method: { card: card.current } });
    if (result.error) {
      setFailure(t("pay.failed", { reason: result.error.message ?? "" }));
      setState("ready");
    } else {
      setState("paid");
    }
  };

  return (
    <section aria-labelledby="pay-title" class="panel">
      <h2 id="pay-title">{t("pay.title")}</h2>
      {booking.hold_expires_at && <p>{t("booking.holdUntil", { time: when(booking.hold_expires_at, TIME_ZONE) })}</p>}
      <ErrorAlert error={error} />
      {failure && (
        <div class="alert error" role="alert">
          {failure}
        </div>
      )}
      {state === "preparing" && !failure && <p role="status">{t("pay.preparing")}</p>}
      <form onSubmit={(e) => void pay(e)} hidden={!secret || state === "paid"}>
        <fieldset>
          <legend>{t("pay.card")}</legend>
          <div class="card-element" ref={mountAt} />
        </fieldset>
        <button type="submit" disabled={state !== "ready"}>
          {state === "paying" ? t("pay.processing") : t("pay.button", { amount })}
        </button>
      </form>
      {state === "paid" && <Notice>{t("pay.done")}</Notice>}
    </section>
  );
}

function CancelPanel({ booking, onDone }: { booking: Booking; onDone: () => void }): JSX.Element {
  const [preview, setPreview] = useState<CancellationPreview | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const id = booking.id ?? "";
  const show = (): void => {
    setError(null);
    cancellationPreview(id).then(setPreview, setError);
  };
  const cancel = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    cancelBooking(id, reason)
      .then(onDone, setError)
      .finally(() => setBusy(false));
  };
  return (
    <section aria-labelledby="cancel-title" class="panel">
      <h2 id="cancel-title">{t("cancel.title")}</h2>
      <ErrorAlert error={error} />
      {!preview ? (
        <button type="button" class="secondary" onClick={show}>
          {t("cancel.preview")}
        </button>
      ) : preview.can_cancel ? (
        <form onSubmit={cancel}>
          <p role="status">
            {t("cancel.refund", { refund: money(preview.refund_cents, booking.currency), fee: money(preview.fee_cents, booking.currency) })}
            {preview.changes_at &&
              ` ${t("cancel.changes", { time: when(preview.changes_at, TIME_ZONE), amount: money(preview.refund_after_change_cents, booking.currency) })}`}
          </p>
          <Field id="cancel-reason" label={t("cancel.reason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button type="submit" class="danger" disabled={busy}>
            {t("cancel.button")}
          </button>
        </form>
      ) : (
        <p role="status">{t("cancel.cannot")}</p>
      )}
    </section>
  );
}
