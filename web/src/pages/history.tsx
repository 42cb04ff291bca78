// The customer's bookings, latest first (api.my_booking_history): what was paid (the
// deposit, the balance by card or at the venue) and refunded, as the booking's balance
// counts it, and a booking still to come can be moved (api.reschedule_booking). A completed
// booking whose balance (after a deposit) could not be charged to the saved card shows
// "balance due" with a Pay button; /bookings?pay_balance=<id> (the balance_due email's link)
// opens the panel that pays it (pages/pay-balance.tsx).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { bookingHistory, type HistoryRow, reschedule } from "../api/account";
import { ErrorAlert, Field, Link, LiveState, Notice } from "../components/ui";
import { money, t, when } from "../i18n";
import { TIME_ZONE, tomorrow, zonedInstant } from "../places";
import { LIVE_OFF, type Live, refreshOnBookings } from "../realtime";
import { navigate } from "../router";
import { statusText } from "./booking";
import { PayBalancePanel } from "./pay-balance";

const movable = (b: HistoryRow): boolean =>
  (b.status === "confirmed" || b.status === "pending_payment") && new Date(b.starts_at).getTime() > Date.now();

export function HistoryPage({ payBalance }: { payBalance?: string | null }): JSX.Element {
  const [rows, setRows] = useState<HistoryRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [moving, setMoving] = useState<HistoryRow | null>(null);
  const [note, setNote] = useState("");
  const load = (): void => {
    bookingHistory().then(setRows, setError);
  };
  useEffect(load, []);
  // live: a booking paid, cancelled by the provider, moved or refunded shows at once
  const [live, setLive] = useState<Live>(LIVE_OFF);
  useEffect(() => refreshOnBookings(() => void bookingHistory().then(setRows, () => undefined), setLive), []);
  return (
    <section>
      <h1>{t("history.title")}</h1>
      <LiveState live={live} />
      <ErrorAlert error={error} />
      {note && <Notice>{note}</Notice>}
      {payBalance && (
        <PayBalancePanel
          key={payBalance}
          id={payBalance}
          currency={rows?.find((b) => b.id === payBalance)?.currency ?? "CAD"}
          onClose={() => navigate("/bookings")}
          onPaid={load}
        />
      )}
      {rows === null && !error && <p role="status">{t("common.loading")}</p>}
      {rows?.length === 0 && <p>{t("history.none")}</p>}
      {!!rows?.length && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("history.when")}</th>
              <th scope="col">{t("account.provider")}</th>
              <th scope="col">{t("history.status")}</th>
              <th scope="col">{t("history.price")}</th>
              <th scope="col">{t("account.paid")}</th>
              <th scope="col">{t("account.refunded")}</th>
              <th scope="col">{t("provider.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={b.id}>
                <td>
                  <Link to={`/bookings/${b.id}`}>{when(b.starts_at, TIME_ZONE)}</Link>
                </td>
                <td>
                  {b.provider_name}
                  <br />
                  <span class="hint">{b.service_name}</span>
                </td>
                <td>
                  {statusText(b.status)}
                  {b.balance_status === "due" && (
                    <>
                      <br />
                      <strong class="status status-due" data-testid="balance-due">
                        {t("balance.due")}
                      </strong>
                    </>
                  )}
                  {b.balance_status === "paid" && (
                    <>
                      <br />
                      <span class="hint">{t("balance.paidShort")}</span>
                    </>
                  )}
                </td>
                <td>{money(b.price_cents, b.currency)}</td>
                <td>
                  {money(b.paid_cents ?? 0, b.currency)}
                  {!!b.refunded_cents && (
                    <>
                      <br />
                      <span class="hint">{t("history.net", { amount: money((b.paid_cents ?? 0) - b.refunded_cents, b.currency) })}</span>
                    </>
                  )}
                </td>
                <td class={b.refunded_cents ? "refunded" : undefined}>{money(b.refunded_cents ?? 0, b.currency)}</td>
                <td>
                  {b.balance_status === "due" && b.id !== payBalance && (
                    <button type="button" class="small" onClick={() => navigate(`/bookings?pay_balance=${b.id}`)}>
                      {t("balance.payButton", { when: when(b.starts_at, TIME_ZONE) })}
                    </button>
                  )}
                  {movable(b) && (
                    <button
                      type="button"
                      class="secondary small"
                      onClick={() => {
                        setNote("");
                        setMoving(b);
                      }}
                    >
                      {t("account.reschedule", { when: when(b.starts_at, TIME_ZONE) })}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {moving && (
        <Reschedule
          key={moving.id}
          booking={moving}
          onClose={() => setMoving(null)}
          onDone={(at) => {
            setMoving(null);
            setNote(t("account.rescheduled", { when: when(at, TIME_ZONE) }));
            load();
          }}
        />
      )}
    </section>
  );
}

function Reschedule({ booking, onClose, onDone }: { booking: HistoryRow; onClose: () => void; onDone: (at: string) => void }): JSX.Element {
  const [date, setDate] = useState(tomorrow(TIME_ZONE));
  const [time, setTime] = useState("10:00");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = (e: Event): void => {
    e.preventDefault();
    const at = zonedInstant(date, time, TIME_ZONE).toISOString();
    setBusy(true);
    setError(null);
    reschedule(booking.id, at)
      .then(() => onDone(at), setError)
      .finally(() => setBusy(false));
  };
  const label = when(booking.starts_at, TIME_ZONE);
  return (
    <form class="panel" onSubmit={submit} noValidate aria-labelledby="move-title">
      <h2 id="move-title">{t("account.rescheduleTitle", { when: label })}</h2>
      <ErrorAlert error={error} />
      <div class="row">
        <Field id="move-date" label={t("account.newDate")} hint={t("search.timeZone", { zone: TIME_ZONE })} type="date" required value={date} onInput={(e) => setDate(e.currentTarget.value)} />
        <Field id="move-time" label={t("account.newTime")} type="time" step={900} required value={time} onInput={(e) => setTime(e.currentTarget.value)} />
      </div>
      <p class="actions">
        <button type="submit" disabled={busy || !date || !time}>
          {t("account.rescheduleYes")}
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          {t("common.back")}
        </button>
      </p>
    </form>
  );
}
