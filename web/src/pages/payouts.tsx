// The provider's payouts (/provider/payouts): Stripe Connect onboarding (the page is the
// AccountLink's return and refresh URL, ?onboarding=return|refresh), what the account may do
// yet, and the statement of a period (gross, GST and QST collected, refunded and to remit, refunds,
// Bookiji's commission, the payout: paid out and still owed).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { myPayoutAccount, providerStatement, startPayoutOnboarding, type PayoutAccount, type Statement } from "../api/money";
import { ErrorAlert, Field, Link, Notice } from "../components/ui";
import { money, t, when } from "../i18n";
import { TIME_ZONE } from "../places";
import { statusText } from "./booking";

const POLL_MS = 1000;
const POLL_TRIES = 60;

/** The first day of this month and of the next, as local dates (YYYY-MM-DD). */
function thisMonth(): [string, string] {
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth(), 1);
  const next = new Date(now.getFullYear(), now.getMonth() + 1, 1);
  const day = (d: Date): string =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  return [day(first), day(next)];
}

export function PayoutsPage({ onboarding }: { onboarding: string | null }): JSX.Element {
  return (
    <section>
      <h1>{t("payouts.title")}</h1>
      <p>
        <Link to="/provider">{t("payouts.back")}</Link>
      </p>
      <Account onboarding={onboarding} />
      <StatementPanel />
    </section>
  );
}

const yesNo = (v: boolean | null | undefined): string => (v ? t("payouts.yes") : t("payouts.no"));

function Account({ onboarding }: { onboarding: string | null }): JSX.Element {
  const [account, setAccount] = useState<PayoutAccount | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [waiting, setWaiting] = useState(false);
  const [gaveUp, setGaveUp] = useState(false);

  // ask for a link, then read the account until the worker has recorded it
  const start = (): void => {
    setError(null);
    setGaveUp(false);
    setWaiting(true);
    let tries = 0;
    const poll = (): void => {
      myPayoutAccount().then(
        (a) => {
          setAccount(a);
          if (a.onboarding_url) setWaiting(false);
          else if (++tries >= POLL_TRIES) {
            setWaiting(false);
            setGaveUp(true);
          } else window.setTimeout(poll, POLL_MS);
        },
        (e: unknown) => {
          setWaiting(false);
          setError(e);
        },
      );
    };
    startPayoutOnboarding().then(poll, (e: unknown) => {
      setWaiting(false);
      setError(e);
    });
  };

  useEffect(() => {
    // Stripe sends the provider here to ask for a new link when the last one expired or was used
    if (onboarding === "refresh") start();
    else myPayoutAccount().then(setAccount, setError);
  }, [onboarding]);

  const due = account?.requirements_due ?? [];
  const ready = !!account?.charges_enabled && !!account?.payouts_enabled;
  return (
    <section aria-labelledby="payout-account-title" class="panel">
      <h2 id="payout-account-title">{t("payouts.account")}</h2>
      {onboarding === "return" && <Notice>{t("payouts.returned")}</Notice>}
      {onboarding === "refresh" && <p class="hint">{t("payouts.refreshed")}</p>}
      <ErrorAlert error={error} />
      {account && (
        <dl class="summary payout-status">
          <dt>{t("payouts.stripeAccount")}</dt>
          <dd>{account.stripe_account_id ? <code>{account.stripe_account_id}</code> : t("payouts.noAccount")}</dd>
          <dt>{t("payouts.detailsSubmitted")}</dt>
          <dd>{yesNo(account.details_submitted)}</dd>
          <dt>{t("payouts.chargesEnabled")}</dt>
          <dd data-testid="charges-enabled">{yesNo(account.charges_enabled)}</dd>
          <dt>{t("payouts.payoutsEnabled")}</dt>
          <dd data-testid="payouts-enabled">{yesNo(account.payouts_enabled)}</dd>
          <dt>{t("payouts.due")}</dt>
          <dd>
            {due.length ? (
              <ul class="requirements">
                {due.map((r) => (
                  <li key={r}>
                    <code>{r}</code>
                  </li>
                ))}
              </ul>
            ) : (
              t("payouts.nothingDue")
            )}
          </dd>
        </dl>
      )}
      {account && <p>{t(ready ? "payouts.ready" : "payouts.notReady")}</p>}
      {account?.onboarding_url ? (
        <p>
          <a class="button" href={account.onboarding_url} data-testid="onboarding-link">
            {t("payouts.continue")}
          </a>
        </p>
      ) : (
        <button type="button" onClick={start} disabled={waiting}>
          {t(account?.stripe_account_id ? "payouts.newLink" : "payouts.start")}
        </button>
      )}
      {waiting && <p role="status">{t("payouts.waiting")}</p>}
      {gaveUp && <p role="alert">{t("payouts.slow")}</p>}
    </section>
  );
}

function StatementPanel(): JSX.Element {
  const [first, next] = thisMonth();
  const [from, setFrom] = useState(first);
  const [to, setTo] = useState(next);
  const [statement, setStatement] = useState<Statement | null>(null);
  const [error, setError] = useState<unknown>(null);
  const read = (): void => {
    setError(null);
    providerStatement(from, to).then(setStatement, (e: unknown) => {
      setStatement(null);
      setError(e);
    });
  };
  useEffect(read, []);
  const submit = (e: Event): void => {
    e.preventDefault();
    read();
  };
  const s = statement;
  const rows: [string, number][] = s
    ? [
        [t("statement.gross"), s.gross_cents],
        [t("statement.gst"), s.gst_collected_cents],
        [t("statement.qst"), s.qst_collected_cents],
        [t("statement.refunds"), s.refunded_cents],
        [t("statement.gstRefunded"), s.gst_refunded_cents],
        [t("statement.qstRefunded"), s.qst_refunded_cents],
        [t("statement.gstNet"), s.gst_net_cents],
        [t("statement.qstNet"), s.qst_net_cents],
        [t("statement.disputes"), s.disputed_lost_cents],
        [t("statement.collectedNet"), s.collected_net_cents],
        [t("statement.fees"), s.commission_cents],
        [t("statement.payouts"), s.payout_cents],
        [t("statement.paidOut"), s.paid_out_cents],
        [t("statement.owed"), s.owed_cents],
      ]
    : [];
  return (
    <section aria-labelledby="statement-title" class="panel">
      <h2 id="statement-title">{t("statement.title")}</h2>
      <form onSubmit={submit} class="row" noValidate>
        <Field id="statement-from" label={t("statement.from")} type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        <Field id="statement-to" label={t("statement.to")} hint={t("statement.toHint")} type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        <button type="submit">{t("statement.show")}</button>
      </form>
      <ErrorAlert error={error} />
      {s && (
        <>
          <table class="statement-totals">
            <caption>{t("statement.totals", { count: s.bookings, zone: s.time_zone })}</caption>
            <tbody>
              {rows.map(([label, cents]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td class="num">{money(cents, s.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.lines.length > 0 && (
            // a region of its own that scrolls sideways where the page is too narrow for it
            <div class="table-scroll" role="region" aria-labelledby="statement-lines-caption" tabIndex={0}>
              <table class="statement-lines">
                <caption id="statement-lines-caption">{t("statement.lines")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("statement.when")}</th>
                    <th scope="col">{t("statement.status")}</th>
                    <th scope="col">{t("statement.charged")}</th>
                    <th scope="col">{t("statement.gst")}</th>
                    <th scope="col">{t("statement.qst")}</th>
                    <th scope="col">{t("statement.refunds")}</th>
                    <th scope="col">{t("statement.fees")}</th>
                    <th scope="col">{t("statement.payouts")}</th>
                    <th scope="col">{t("statement.owed")}</th>
                  </tr>
                </thead>
                <tbody>
                  {s.lines.map((l) => (
                    <tr key={l.booking_id}>
                      <th scope="row">{when(l.starts_at, s.time_zone || TIME_ZONE)}</th>
                      <td>{statusText(l.status)}</td>
                      <td class="num">{money(l.charged_cents, s.currency)}</td>
                      <td class="num">{money(l.gst_cents, s.currency)}</td>
                      <td class="num">{money(l.qst_cents, s.currency)}</td>
                      <td class="num">{money(l.refunded_cents, s.currency)}</td>
                      <td class="num">{money(l.commission_cents, s.currency)}</td>
                      <td class="num">{money(l.payout_cents, s.currency)}</td>
                      <td class="num">{money(l.owed_cents, s.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
