// Paying the balance after a deposit on session, when charging it to the saved card failed
// (the balance_due email's link, /bookings?pay_balance=<id>; docs/money.md): the amount
// with its taxes from api.pay_balance, its PaymentIntent confirmed through Stripe.js as the
// deposit's is (with the card's authentication), then "paid" once the webhook settles it.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { type BalanceToPay, bookingBalance, payBalance } from "../api/money";
import { ErrorAlert, Notice } from "../components/ui";
import { money, t } from "../i18n";
import { followBookings } from "../realtime";
import { stripe, type CardElement, type StripeClient } from "../stripe";

type State = "loading" | "ready" | "paying" | "settling" | "paid" | "closed";

export function PayBalancePanel({ id, currency, onClose, onPaid }: { id: string; currency: string; onClose: () => void; onPaid: () => void }): JSX.Element {
  const [due, setDue] = useState<BalanceToPay | null>(null);
  const [state, setState] = useState<State>("loading");
  const [failure, setFailure] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mountAt = useRef<HTMLDivElement>(null);
  const card = useRef<CardElement | null>(null);
  const client = useRef<StripeClient | null>(null);

  // nothing due: already paid (say so) or never due (the API's words)
  const notDue = async (e: unknown): Promise<void> => {
    if (e instanceof ApiError && e.code === "balance_not_due") {
      const b = await bookingBalance(id).catch(() => null);
      if (b?.balance_status === "paid") {
        setState("paid");
        return;
      }
    }
    setError(e);
    setState("closed");
  };

  useEffect(() => {
    if (!/^[0-9a-f-]{36}$/i.test(id)) {
      setError(new ApiError(404, "not_found", "", null));
      setState("closed");
      return;
    }
    payBalance(id).then(setDue, (e: unknown) => void notDue(e));
  }, [id]);

  useEffect(() => {
    if (!due || !mountAt.current) return;
    stripe()
      .then((s) => {
        client.current = s;
        card.current = s.elements().create("card", { hidePostalCode: false });
        if (mountAt.current) card.current.mount(mountAt.current);
        setState("ready");
      })
      .catch(() => setFailure(t("pay.unavailable")));
    return () => card.current?.destroy();
  }, [due]);

  // after the confirmation: "paid" once payment_intent.succeeded settles it (the live
  // stream tells; a slow poll covers a missed event)
  useEffect(() => {
    if (state !== "settling") return;
    let stopped = false;
    const check = (): void => {
      void bookingBalance(id).then((b) => {
        if (!stopped && b.balance_status === "paid") {
          stopped = true;
          setState("paid");
          onPaid();
        }
      }, setError);
    };
    const stop = followBookings((e) => {
      if (e.data.booking_id === id) check();
    }, check);
    const timer = window.setInterval(check, 2000);
    return () => {
      stopped = true;
      stop();
      window.clearInterval(timer);
    };
  }, [state, id]);

  const pay = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!client.current || !card.current || !due) return;
    setState("paying");
    setFailure(null);
    const result = await client.current.confirmCardPayment(due.client_secret, { payment_method: { card: card.current } });
    if (result.error) {
      setFailure(t("pay.failed", { reason: result.error.message ?? "" }));
      setState("ready");
    } else {
      setState("settling");
    }
  };

  const m = (c: number): string => money(c, currency);
  return (
    <section aria-labelledby="balance-title" class="panel" data-testid="pay-balance">
      <h2 id="balance-title">{t("balance.title")}</h2>
      <ErrorAlert error={error} />
      {state === "loading" && <p role="status">{t("common.loading")}</p>}
      {due && state !== "paid" && (
        <>
          <p>{due.failure_code === "authentication_required" ? t("balance.whyAuth") : t("balance.whyDeclined")}</p>
          <table>
            <caption class="hint">{t("balance.caption")}</caption>
            <tbody>
              <tr>
                <th scope="row">{t("balance.base")}</th>
                <td class="num">{m(due.balance_base_cents)}</td>
              </tr>
              <tr>
                <th scope="row">{t("receipt.gst")}</th>
                <td class="num">{m(due.balance_gst_cents)}</td>
              </tr>
              <tr>
                <th scope="row">{t("receipt.qst")}</th>
                <td class="num">{m(due.balance_qst_cents)}</td>
              </tr>
              <tr class="total">
                <th scope="row">{t("balance.total")}</th>
                <td class="num" data-testid="balance-amount">
                  {m(due.balance_cents)}
                </td>
              </tr>
            </tbody>
          </table>
        </>
      )}
      {failure && (
        <div class="alert error" role="alert">
          {failure}
        </div>
      )}
      <form onSubmit={(e) => void pay(e)} hidden={!due || state === "settling" || state === "paid"}>
        <fieldset>
          <legend>{t("pay.card")}</legend>
          <div class="card-element" ref={mountAt} />
        </fieldset>
        <button type="submit" disabled={state !== "ready"}>
          {state === "paying" ? t("pay.processing") : t("balance.pay", { amount: due ? m(due.balance_cents) : "" })}
        </button>
      </form>
      {state === "settling" && <p role="status">{t("balance.settling")}</p>}
      {state === "paid" && <Notice>{t("balance.paid")}</Notice>}
      <p class="actions">
        <button type="button" class="secondary" onClick={onClose}>
          {t("common.back")}
        </button>
      </p>
    </section>
  );
}
