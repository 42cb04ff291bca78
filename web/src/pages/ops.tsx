// The ops console (a chunk of its own, loaded only when /ops is opened): booking search and
// a booking's whole story with refunds and forced cancellations, providers with suspension,
// the dead-letter queues and queue depth. Whether the caller is ops is the API's call: its
// 403 becomes the "not allowed" page.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import {
  bookingStory,
  deadLetter,
  deadLetters,
  discard,
  forceCancel,
  type OpsBooking,
  type OpsProvider,
  type OpsSearch,
  providers,
  queueStats,
  type QueueStat,
  type DeadLetter,
  refund,
  replay,
  reinstate,
  searchBookings,
  type Story,
  suspend,
} from "../api/ops";
import { categories } from "../api/bookings";
import type { Category } from "../api/types";
import { commissionRates, opsDisputes, setCommissionRate, type CommissionRate, type Dispute } from "../api/money";
import { ErrorAlert, Field, Link, LiveState, Notice, useFocusWhenDrawn } from "../components/ui";
import { coded, locale, money, number, t, when } from "../i18n";
import { TIME_ZONE, zonedInstant } from "../places";
import { href } from "../router";
import { LIVE_OFF, type Live, refreshOnBookings } from "../realtime";
import { statusText } from "./booking";
import { RankingPage } from "./ops-ranking";

const PAGE = 20;
const QUEUE_POLL_MS = 5000;
const STATUSES = ["pending_payment", "confirmed", "completed", "cancelled", "expired", "no_show"] as const;
const forbidden = (e: unknown): boolean => e instanceof ApiError && e.status === 403;

function useAction(): [boolean, unknown, (work: () => Promise<unknown>) => void] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = (work: () => Promise<unknown>): void => {
    setBusy(true);
    setError(null);
    work()
      .catch((e: unknown) => setError(e))
      .finally(() => setBusy(false));
  };
  return [busy, error, run];
}

function NotAllowed(): JSX.Element {
  return (
    <section>
      <h1>{t("ops.notAllowedTitle")}</h1>
      <p>{t("ops.notAllowed")}</p>
      <p>
        <Link to="/">{t("notFound.home")}</Link>
      </p>
    </section>
  );
}

export function OpsPage({ path }: { path: string }): JSX.Element {
  // the API decides: queue_stats answers ops only
  const [allowed, setAllowed] = useState<boolean | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    queueStats().then(
      () => setAllowed(true),
      (e: unknown) => (forbidden(e) ? setAllowed(false) : setError(e)),
    );
  }, []);
  if (allowed === false) return <NotAllowed />;
  if (allowed === null) return error ? <ErrorAlert error={error} /> : <p role="status">{t("common.loading")}</p>;
  const story = /^\/ops\/bookings\/([^/]+)$/.exec(path);
  return (
    <>
      <nav aria-label={t("ops.sections")} class="subnav">
        <ul>
          {(
            [
              ["/ops", "ops.bookings"],
              ["/ops/providers", "ops.providers"],
              ["/ops/queues", "ops.queues"],
              ["/ops/money", "ops.moneyNav"],
              ["/ops/ranking", "ranking.nav"],
            ] as const
          ).map(([to, key]) => (
            <li key={to}>
              <a href={href(to)} aria-current={path === to || (to === "/ops" && !!story) ? "page" : undefined}>
                {t(key)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {story ? (
        <StoryPage id={story[1]} />
      ) : path === "/ops/providers" ? (
        <ProvidersPage />
      ) : path === "/ops/queues" ? (
        <QueuesPage />
      ) : path === "/ops/money" ? (
        <MoneyPage />
      ) : path === "/ops/ranking" ? (
        <RankingPage />
      ) : (
        <SearchPage />
      )}
    </>
  );
}

const startOf = (date: string): string => (date ? zonedInstant(date, "00:00", TIME_ZONE).toISOString() : "");

function SearchPage(): JSX.Element {
  const [email, setEmail] = useState("");
  const [provider, setProvider] = useState("");
  const [status, setStatus] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [shops, setShops] = useState<OpsProvider[]>([]);
  const [rows, setRows] = useState<OpsBooking[] | null>(null);
  // the cursors of the pages seen so far: [undefined, id, id...]; the last is the current page
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [busy, error, run] = useAction();
  useEffect(() => {
    providers("").then(setShops, () => undefined);
  }, []);
  const query = (): OpsSearch => ({
    customer_email: email.trim(),
    provider_id: provider,
    status,
    from: startOf(from),
    // the end day is included: up to the next day's midnight
    to: to ? new Date(zonedInstant(to, "00:00", TIME_ZONE).getTime() + 86_400_000).toISOString() : "",
    limit: String(PAGE),
  });
  // the search last run (the form may hold edits not yet searched for) and its page
  const applied = useRef<OpsSearch>({ limit: String(PAGE) });
  const shown = useRef<(string | undefined)[]>([undefined]);
  const latest = useRef(0);
  const fetchPage = async (stack: (string | undefined)[], q: OpsSearch): Promise<void> => {
    // only the latest search counts (an earlier, slower answer is dropped)
    // (a live refresh asked meanwhile re-reads this search, not the one it replaces)
    const ticket = ++latest.current;
    applied.current = q;
    shown.current = stack;
    const found = await searchBookings({ ...q, before_id: stack[stack.length - 1] });
    if (ticket !== latest.current) return;
    setRows(found);
    setCursors(stack);
  };
  const load = (stack: (string | undefined)[], q: OpsSearch = applied.current): void => run(() => fetchPage(stack, q));
  useEffect(() => load([undefined], query()), []);
  // live: any booking's change re-reads the page shown, with the search last run
  const [live, setLive] = useState<Live>(LIVE_OFF);
  useEffect(() => refreshOnBookings(() => void fetchPage(shown.current, applied.current).catch(() => undefined), setLive), []);
  const submit = (e: Event): void => {
    e.preventDefault();
    load([undefined], query());
  };
  const page = cursors.length;
  return (
    <section aria-labelledby="ops-title">
      <h1 id="ops-title">{t("ops.title")}</h1>
      <LiveState live={live} />
      <form onSubmit={submit} noValidate class="panel" aria-label={t("ops.searchForm")}>
        <div class="row">
          <Field id="ops-email" label={t("ops.customerEmail")} type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          <div class="field">
            <label for="ops-provider">{t("ops.provider")}</label>
            <select id="ops-provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
              <option value="">{t("ops.any")}</option>
              {shops.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.business_name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="ops-status">{t("history.status")}</label>
            <select id="ops-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">{t("ops.any")}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {statusText(s)}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div class="row">
          <Field id="ops-from" label={t("ops.from")} hint={t("ops.datesIn")} type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          <Field id="ops-to" label={t("ops.to")} type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </div>
        <button type="submit">
          {t("ops.search")}
        </button>
      </form>
      <ErrorAlert error={error} />
      {rows && rows.length === 0 && <p>{t("ops.noBookings")}</p>}
      {rows && rows.length > 0 && (
        <>
          <table>
            <caption>{t("ops.page", { page })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("history.when")}</th>
                <th scope="col">{t("ops.customer")}</th>
                <th scope="col">{t("ops.provider")}</th>
                <th scope="col">{t("history.status")}</th>
                <th scope="col">{t("ops.charged")}</th>
                <th scope="col">{t("ops.refunded")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Link to={`/ops/bookings/${b.id}`}>{when(b.starts_at, TIME_ZONE)}</Link>
                  </td>
                  <td>
                    {b.customer_name}
                    <br />
                    <span class="hint">{b.customer_email}</span>
                  </td>
                  <td>{b.provider_name}</td>
                  <td>{statusText(b.status)}</td>
                  <td>{money(b.charged_cents ?? 0, b.currency)}</td>
                  <td>{money(b.refunded_cents ?? 0, b.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="actions">
            <button type="button" class="secondary" disabled={busy || page === 1} onClick={() => load(cursors.slice(0, -1))}>
              {t("ops.previous")}
            </button>
            <button type="button" class="secondary" disabled={busy || rows.length < PAGE} onClick={() => load([...cursors, rows[rows.length - 1].id])}>
              {t("ops.next")}
            </button>
          </p>
        </>
      )}
    </section>
  );
}

function StoryPage({ id }: { id: string }): JSX.Element {
  const [story, setStory] = useState<Story | null>(null);
  const [busy, error, run] = useAction();
  const load = (): void => run(async () => setStory(await bookingStory(id)));
  useEffect(load, [id]);
  // live: this booking's events (paid, cancelled, moved, refunded) re-read its story
  const [live, setLive] = useState<Live>(LIVE_OFF);
  useEffect(
    () =>
      refreshOnBookings(
        () => void bookingStory(id).then(setStory, () => undefined),
        setLive,
        (e) => e.data.booking_id === id,
      ),
    [id],
  );
  if (!story)
    return (
      <section>
        <h1>{t("ops.story")}</h1>
        {error ? <ErrorAlert error={error} /> : <p role="status">{t("common.loading")}</p>}
      </section>
    );
  const b = story.booking;
  const zone = story.provider?.time_zone ?? TIME_ZONE;
  const refundable = story.balance.net_cents;
  return (
    <section aria-labelledby="story-title">
      <h1 id="story-title">{t("ops.story")}</h1>
      <LiveState live={live} />
      <ErrorAlert error={error} />
      <div class="panel">
        <dl>
          <dt>{t("booking.reference")}</dt>
          <dd>
            <code>{b.id}</code>
          </dd>
          <dt>{t("history.status")}</dt>
          <dd>{statusText(b.status)}</dd>
          <dt>{t("history.when")}</dt>
          <dd>{when(b.starts_at, zone)}</dd>
          <dt>{t("ops.customer")}</dt>
          <dd>
            {story.customer?.full_name} ({story.customer?.email})
          </dd>
          <dt>{t("ops.provider")}</dt>
          <dd>{story.provider?.business_name}</dd>
          <dt>{t("ops.service")}</dt>
          <dd>{story.service?.name}</dd>
          <dt>{t("history.price")}</dt>
          <dd>{money(b.price_cents, b.currency)}</dd>
          {b.cancel_reason && (
            <>
              <dt>{t("ops.cancelReason")}</dt>
              <dd>{b.cancel_reason}</dd>
            </>
          )}
        </dl>
      </div>
      <section aria-labelledby="money-title" class="panel">
        <h2 id="money-title">{t("ops.money")}</h2>
        <dl>
          <dt>{t("ops.charged")}</dt>
          <dd>{money(story.balance.charged_cents, story.balance.currency)}</dd>
          <dt>{t("ops.refunded")}</dt>
          <dd>{money(story.balance.refunded_cents, story.balance.currency)}</dd>
          <dt>{t("ops.refundable")}</dt>
          <dd>{money(refundable, story.balance.currency)}</dd>
          <dt>{t("ops.paymentStatus")}</dt>
          <dd>{story.payment?.status ? coded("payment.status.", story.payment.status) : t("ops.none")}</dd>
          <dt>{t("ops.paymentIntent")}</dt>
          <dd>
            {story.stripe.payment_intent_id ? <code>{story.stripe.payment_intent_id}</code> : t("ops.none")}
          </dd>
        </dl>
        <h3>{t("ops.refunds")}</h3>
        {story.refunds.length === 0 ? (
          <p>{t("ops.noRefunds")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("ops.at")}</th>
                <th scope="col">{t("ops.amount")}</th>
                <th scope="col">{t("history.status")}</th>
                <th scope="col">{t("ops.reason")}</th>
                <th scope="col">{t("ops.stripeRefund")}</th>
              </tr>
            </thead>
            <tbody>
              {story.refunds.map((r) => (
                <tr key={r.id}>
                  <td>{when(r.created_at, zone)}</td>
                  <td>{money(r.amount_cents, story.balance.currency)}</td>
                  <td>{coded("refund.status.", r.status)}</td>
                  <td>{r.reason}</td>
                  <td>
                    <code>{r.stripe_refund_id ?? "—"}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <RefundForm bookingId={b.id} refundable={refundable} currency={story.balance.currency} onDone={load} />
      {(b.status === "confirmed" || b.status === "pending_payment") && <ForceCancelForm bookingId={b.id} onDone={load} />}
      <section aria-labelledby="audit-title" class="panel">
        <h2 id="audit-title">{t("ops.audit")}</h2>
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">{t("ops.at")}</th>
              <th scope="col">{t("ops.action")}</th>
              <th scope="col">{t("ops.actor")}</th>
              <th scope="col">{t("ops.reason")}</th>
              <th scope="col">{t("ops.requestId")}</th>
            </tr>
          </thead>
          <tbody>
            {story.audit_trail.map((a) => (
              <tr key={a.id}>
                <td>{when(a.occurred_at, zone)}</td>
                <td>{coded("audit.", a.action)}</td>
                <td>{coded("actor.", a.actor_role)}</td>
                <td>{a.reason ?? ""}</td>
                <td>
                  <code>{a.request_id ?? "—"}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="notif-title" class="panel">
        <h2 id="notif-title">{t("ops.notifications")}</h2>
        {story.notifications.length === 0 ? (
          <p>{t("ops.noNotifications")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("ops.at")}</th>
                <th scope="col">{t("ops.event")}</th>
                <th scope="col">{t("ops.recipient")}</th>
                <th scope="col">{t("ops.channel")}</th>
                <th scope="col">{t("history.status")}</th>
              </tr>
            </thead>
            <tbody>
              {story.notifications.map((n) => (
                <tr key={n.id}>
                  <td>{when(n.created_at, zone)}</td>
                  <td>{coded("notification.event.", n.event)}</td>
                  <td>{n.recipient === "customer" ? t("ops.customer") : t("ops.provider")}</td>
                  <td>{coded("notification.channel.", n.channel)}</td>
                  <td>{coded("notification.status.", n.status)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="events-title" class="panel">
        <h2 id="events-title">{t("ops.events")}</h2>
        {story.events.length === 0 ? (
          <p>{t("ops.noEvents")}</p>
        ) : (
          <table class="events">
            <thead>
              <tr>
                <th scope="col">{t("ops.at")}</th>
                <th scope="col">{t("ops.kind")}</th>
                <th scope="col">{t("history.status")}</th>
              </tr>
            </thead>
            <tbody>
              {story.events.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.created_at, zone)}</td>
                  <td>{coded("event.kind.", e.kind)}</td>
                  <td>{eventDetail(e.kind, e.payload ?? {}, story.balance.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="stripe-title" class="panel">
        <h2 id="stripe-title">{t("ops.stripe")}</h2>
        <ul class="plain">
          <li>
            {t("ops.paymentIntent")}: {story.stripe.payment_intent_id ? <code>{story.stripe.payment_intent_id}</code> : t("ops.none")}
          </li>
          {story.stripe.refund_ids.map((r) => (
            <li key={r}>
              {t("ops.stripeRefund")}: <code>{r}</code>
            </li>
          ))}
          {story.stripe.events.map((e) => (
            <li key={e.id}>
              <code>{e.id}</code> <code>{e.type}</code> {e.outcome && <code>{e.outcome}</code>}
            </li>
          ))}
        </ul>
      </section>
      {busy && <p role="status">{t("common.loading")}</p>}
    </section>
  );
}

/** What an event of the log says, in words: the status it went to, the refund's amount. */
function eventDetail(kind: string, payload: Record<string, unknown>, currency: string): string {
  const text = (v: unknown): string => (typeof v === "string" ? v : "");
  if (kind === "booking_created") return statusText(text(payload.status));
  if (kind === "booking_status_changed") return `${statusText(text(payload.from))} → ${statusText(text(payload.to))}`;
  if (kind === "booking_refunded") return money(Number(payload.refund_cents ?? 0), text(payload.currency) || currency);
  return "";
}

function RefundForm({ bookingId, refundable, currency, onDone }: { bookingId: string; refundable: number; currency: string; onDone: () => void }): JSX.Element {
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState("");
  const [busy, error, run] = useAction();
  const cents = Math.round(Number(amount) * 100);
  const valid = amount !== "" && cents > 0 && cents <= refundable && reason.trim() !== "";
  const submit = (e: Event): void => {
    e.preventDefault();
    setDone("");
    if (valid) setConfirming(true);
  };
  const confirm = (): void =>
    run(async () => {
      await refund(bookingId, cents, reason.trim());
      setConfirming(false);
      setDone(t("ops.refundDone", { amount: money(cents, currency) }));
      setAmount("");
      setReason("");
      onDone();
    });
  return (
    <section aria-labelledby="refund-title" class="panel">
      <h2 id="refund-title">{t("ops.refundTitle")}</h2>
      {done && <Notice>{done}</Notice>}
      <ErrorAlert error={error} />
      {confirming ? (
        <div role="group" aria-labelledby="refund-confirm">
          <p id="refund-confirm">{t("ops.refundConfirm", { amount: money(cents, currency), reason: reason.trim() })}</p>
          <p class="actions">
            <button type="button" disabled={busy} onClick={confirm}>
              {t("ops.refundYes", { amount: money(cents, currency) })}
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming(false)}>
              {t("common.back")}
            </button>
          </p>
        </div>
      ) : refundable <= 0 ? (
        <p>{t("ops.nothingToRefund")}</p>
      ) : (
        <form onSubmit={submit} noValidate>
          <div class="row">
            <Field
              id="refund-amount"
              label={t("ops.amountDollars")}
              hint={t("ops.refundableHint", { amount: money(refundable, currency) })}
              type="number"
              min={0.01}
              step={0.01}
              max={refundable / 100}
              required
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
            />
            <Field id="refund-reason" label={t("ops.reason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </div>
          {amount !== "" && !valid && cents > refundable && <p class="hint">{t("ops.tooMuch")}</p>}
          <button type="submit" disabled={!valid}>
            {t("ops.refundButton")}
          </button>
        </form>
      )}
    </section>
  );
}

function ForceCancelForm({ bookingId, onDone }: { bookingId: string; onDone: () => void }): JSX.Element {
  const [reason, setReason] = useState("");
  const [withRefund, setWithRefund] = useState(true);
  const [confirming, setConfirming] = useState(false);
  const [busy, error, run] = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    if (reason.trim()) setConfirming(true);
  };
  const confirm = (): void =>
    run(async () => {
      await forceCancel(bookingId, reason.trim(), withRefund);
      setConfirming(false);
      onDone();
    });
  return (
    <section aria-labelledby="force-title" class="panel">
      <h2 id="force-title">{t("ops.forceTitle")}</h2>
      <ErrorAlert error={error} />
      {confirming ? (
        <div role="group" aria-labelledby="force-confirm">
          <p id="force-confirm">{t(withRefund ? "ops.forceConfirmRefund" : "ops.forceConfirm", { reason: reason.trim() })}</p>
          <p class="actions">
            <button type="button" class="danger" disabled={busy} onClick={confirm}>
              {t("ops.forceYes")}
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming(false)}>
              {t("common.back")}
            </button>
          </p>
        </div>
      ) : (
        <form onSubmit={submit} noValidate>
          <Field id="force-reason" label={t("ops.reason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <div class="field check">
            <input id="force-refund" type="checkbox" checked={withRefund} onChange={(e) => setWithRefund(e.currentTarget.checked)} />
            <label for="force-refund">{t("ops.forceRefund")}</label>
          </div>
          <button type="submit" disabled={!reason.trim()}>
            {t("ops.forceButton")}
          </button>
        </form>
      )}
    </section>
  );
}

function ProvidersPage(): JSX.Element {
  const [search, setSearch] = useState("");
  const [rows, setRows] = useState<OpsProvider[]>([]);
  const [chosen, setChosen] = useState<OpsProvider | null>(null);
  const [reason, setReason] = useState("");
  const [busy, error, run] = useAction();
  const latest = useRef(0);
  const load = (): void =>
    run(async () => {
      const ticket = ++latest.current;
      const found = await providers(search.trim());
      if (ticket === latest.current) setRows(found);
    });
  useEffect(load, []);
  const act = (e: Event): void => {
    e.preventDefault();
    const p = chosen;
    if (!p || !reason.trim()) return;
    run(async () => {
      await (p.suspended_at ? reinstate(p.id, reason.trim()) : suspend(p.id, reason.trim()));
      setChosen(null);
      setReason("");
      setRows(await providers(search.trim()));
    });
  };
  return (
    <section aria-labelledby="providers-title">
      <h1 id="providers-title">{t("ops.providers")}</h1>
      <form
        class="panel"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        <Field id="providers-search" label={t("ops.providerSearch")} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        <button type="submit">
          {t("ops.search")}
        </button>
      </form>
      <ErrorAlert error={error} />
      {chosen && (
        <form class="panel" onSubmit={act} noValidate aria-labelledby="suspend-title">
          <h2 id="suspend-title">{t(chosen.suspended_at ? "ops.reinstateTitle" : "ops.suspendTitle", { name: chosen.business_name })}</h2>
          <Field id="suspend-reason" label={t("ops.reason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <p class="actions">
            <button type="submit" class={chosen.suspended_at ? "" : "danger"} disabled={busy || !reason.trim()}>
              {t(chosen.suspended_at ? "ops.reinstateYes" : "ops.suspendYes", { name: chosen.business_name })}
            </button>
            <button type="button" class="secondary" onClick={() => setChosen(null)}>
              {t("common.back")}
            </button>
          </p>
        </form>
      )}
      {rows.length === 0 ? (
        <p>{t("ops.noProviders")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("provider.businessName")}</th>
              <th scope="col">{t("ops.owner")}</th>
              <th scope="col">{t("history.status")}</th>
              <th scope="col">{t("provider.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id}>
                <td>{p.business_name}</td>
                <td>
                  {p.owner_name}
                  <br />
                  <span class="hint">{p.owner_email}</span>
                </td>
                <td>
                  {p.suspended_at ? t("ops.suspended", { reason: p.suspension_reason ?? "" }) : p.is_active ? t("ops.active") : t("ops.inactive")}
                </td>
                <td>
                  <button
                    type="button"
                    class="secondary small"
                    disabled={busy}
                    onClick={() => {
                      setChosen(p);
                      setReason("");
                    }}
                  >
                    {t(p.suspended_at ? "ops.reinstate" : "ops.suspend", { name: p.business_name })}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Commission rates per category (api.commission_rates, changed with a reason through
 *  api.ops_set_commission_rate) and card disputes (api.ops_disputes). */
function MoneyPage(): JSX.Element {
  return (
    <section aria-labelledby="money-page-title">
      <h1 id="money-page-title">{t("ops.moneyNav")}</h1>
      <Commissions />
      <Disputes />
    </section>
  );
}

function Commissions(): JSX.Element {
  const [rows, setRows] = useState<CommissionRate[]>([]);
  const [cats, setCats] = useState<Category[]>([]);
  const [chosen, setChosen] = useState<CommissionRate | null>(null);
  const [percent, setPercent] = useState("");
  const [minimum, setMinimum] = useState("");
  const [reason, setReason] = useState("");
  const [saved, setSaved] = useState("");
  const [busy, error, run] = useAction();
  useEffect(() => run(async () => setRows(await commissionRates())), []);
  // the form opens with the focus in it, for the keyboard
  useFocusWhenDrawn("commission-rate", chosen);
  useEffect(() => {
    categories().then(setCats, () => undefined);
  }, []);
  /** A category's name in the page's language (its slug until the names are read). */
  const named = (slug: string): string => {
    const c = cats.find((k) => k.slug === slug);
    return (c && (locale() === "fr" ? c.name_fr : c.name_en)) ?? slug;
  };
  const choose = (r: CommissionRate): void => {
    setChosen(r);
    setSaved("");
    setPercent(String(r.rate_bp / 100));
    setMinimum((r.minimum_cents / 100).toFixed(2));
    setReason("");
  };
  const submit = (e: Event): void => {
    e.preventDefault();
    const c = chosen;
    if (!c) return;
    run(async () => {
      await setCommissionRate({
        category: c.category,
        rate_bp: Math.round(Number(percent) * 100),
        minimum_cents: Math.round(Number(minimum) * 100),
        reason: reason.trim(),
      });
      setChosen(null);
      setSaved(c.category);
      setRows(await commissionRates());
    });
  };
  return (
    <section aria-labelledby="commission-title" class="panel">
      <h2 id="commission-title">{t("ops.commissions")}</h2>
      <p class="hint">{t("ops.commissionsIntro")}</p>
      <ErrorAlert error={error} />
      {saved && <Notice>{t("ops.commissionSaved", { category: named(saved) })}</Notice>}
      {chosen && (
        <form onSubmit={submit} noValidate aria-labelledby="commission-edit-title">
          <h3 id="commission-edit-title">{t("ops.commissionEdit", { category: named(chosen.category) })}</h3>
          <div class="row">
            <Field id="commission-rate" label={t("ops.commissionRate")} type="number" inputMode="decimal" min={0} max={100} step={0.01} value={percent} onInput={(e) => setPercent(e.currentTarget.value)} />
            <Field id="commission-minimum" label={t("ops.commissionMinimum")} type="number" inputMode="decimal" min={0} step={0.01} value={minimum} onInput={(e) => setMinimum(e.currentTarget.value)} />
            <Field id="commission-reason" label={t("ops.reason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </div>
          <p class="actions">
            <button type="submit" disabled={busy}>
              {t("ops.commissionSave")}
            </button>
            <button type="button" class="secondary" onClick={() => setChosen(null)}>
              {t("common.back")}
            </button>
          </p>
        </form>
      )}
      <table class="commissions">
        <caption>{t("ops.commissionsCaption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("ops.category")}</th>
            <th scope="col">{t("ops.commissionRate")}</th>
            <th scope="col">{t("ops.commissionMinimum")}</th>
            <th scope="col">{t("provider.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {[...rows].sort((a, b) => named(a.category).localeCompare(named(b.category), locale())).map((r) => (
            <tr key={r.category}>
              <th scope="row">{named(r.category)}</th>
              <td class="num">{`${number(r.rate_bp / 100, 2)} %`}</td>
              <td class="num">{money(r.minimum_cents, "CAD")}</td>
              <td>
                <button type="button" class="secondary small" disabled={busy} onClick={() => choose(r)} aria-label={t("ops.commissionChange", { category: named(r.category) })}>
                  {t("ops.change")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Disputes(): JSX.Element {
  const [openOnly, setOpenOnly] = useState(false);
  const [rows, setRows] = useState<Dispute[] | null>(null);
  const [busy, error, run] = useAction();
  useEffect(() => run(async () => setRows(await opsDisputes(openOnly))), [openOnly]);
  return (
    <section aria-labelledby="disputes-title" class="panel">
      <h2 id="disputes-title">{t("ops.disputes")}</h2>
      <div class="field check">
        <input id="disputes-open" type="checkbox" checked={openOnly} disabled={busy} onChange={(e) => setOpenOnly(e.currentTarget.checked)} />
        <label for="disputes-open">{t("ops.disputesOpenOnly")}</label>
      </div>
      <ErrorAlert error={error} />
      {rows && rows.length === 0 && <p>{t("ops.noDisputes")}</p>}
      {rows && rows.length > 0 && (
        <table class="disputes">
          <caption>{t("ops.disputesCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("ops.disputeOpened")}</th>
              <th scope="col">{t("ops.disputeAmount")}</th>
              <th scope="col">{t("ops.disputeReason")}</th>
              <th scope="col">{t("ops.disputeStatus")}</th>
              <th scope="col">{t("ops.disputeDue")}</th>
              <th scope="col">{t("ops.disputeBooking")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td>{when(d.opened_at, TIME_ZONE)}</td>
                <td class="num">{money(d.amount_cents, d.currency)}</td>
                <td>{coded("dispute.reason.", d.reason)}</td>
                <td>{d.outcome ? coded("dispute.outcome.", d.outcome) : coded("dispute.status.", d.status)}</td>
                <td>{d.closed_at ? "—" : when(d.evidence_due_by, TIME_ZONE)}</td>
                <td>
                  <Link to={`/ops/bookings/${d.booking_id}`}>{t("ops.disputeStory")}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function QueuesPage(): JSX.Element {
  const [stats, setStats] = useState<QueueStat[]>([]);
  const [queue, setQueue] = useState("payments");
  const [letters, setLetters] = useState<DeadLetter[]>([]);
  const [shown, setShown] = useState<{ id: number; body: string } | null>(null);
  const [discarding, setDiscarding] = useState<number | null>(null);
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [busy, error, run] = useAction();
  const work = stats.map((s) => s.queue_name).filter((n) => !n.endsWith("_dlq"));
  const reload = async (q: string): Promise<void> => {
    setStats(await queueStats());
    setLetters(await deadLetters(q));
  };
  useEffect(() => run(() => reload(queue)), [queue]);
  // live: queue depth moves with every booking's messages (payments, notifications) and
  // with the worker draining them, which sends no event: re-read on each booking event
  // and every QUEUE_POLL_MS while the page is open
  const [live, setLive] = useState<Live>(LIVE_OFF);
  const refreshStats = (): void => void queueStats().then(setStats, () => undefined);
  useEffect(() => {
    const stop = refreshOnBookings(refreshStats, setLive);
    const timer = window.setInterval(refreshStats, QUEUE_POLL_MS);
    return () => {
      stop();
      window.clearInterval(timer);
    };
  }, []);
  const doReplay = (id: number): void =>
    run(async () => {
      await replay(queue, id);
      setNote(t("ops.replayed", { id }));
      setShown(null);
      await reload(queue);
    });
  const doDiscard = (e: Event): void => {
    e.preventDefault();
    const id = discarding;
    if (id === null || !reason.trim()) return;
    run(async () => {
      await discard(queue, id, reason.trim());
      setNote(t("ops.discarded", { id }));
      setDiscarding(null);
      setReason("");
      setShown(null);
      await reload(queue);
    });
  };
  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">{t("ops.queues")}</h1>
      <ErrorAlert error={error} />
      {note && <Notice>{note}</Notice>}
      <section aria-labelledby="depth-title" class="panel">
        <h2 id="depth-title">{t("ops.depth")}</h2>
        <LiveState live={live} />
        <table>
          <thead>
            <tr>
              <th scope="col">{t("ops.queue")}</th>
              <th scope="col">{t("ops.length")}</th>
              <th scope="col">{t("ops.visible")}</th>
              <th scope="col">{t("ops.oldest")}</th>
              <th scope="col">{t("ops.total")}</th>
            </tr>
          </thead>
          <tbody>
            {stats.map((s) => (
              <tr key={s.queue_name}>
                <td>
                  <code>{s.queue_name}</code>
                </td>
                <td>{s.queue_length}</td>
                <td>{s.queue_visible_length}</td>
                <td>{s.oldest_msg_age_sec ?? "—"}</td>
                <td>{s.total_messages}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="dlq-title" class="panel">
        <h2 id="dlq-title">{t("ops.deadLetters")}</h2>
        <div class="field">
          <label for="dlq-queue">{t("ops.queue")}</label>
          <select id="dlq-queue" value={queue} onChange={(e) => setQueue(e.currentTarget.value)}>
            {(work.length ? work : ["payments", "notifications"]).map((q) => (
              <option key={q} value={q}>
                {q}
              </option>
            ))}
          </select>
        </div>
        {letters.length === 0 ? (
          <p>{t("ops.noDeadLetters")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("ops.message")}</th>
                <th scope="col">{t("ops.at")}</th>
                <th scope="col">{t("ops.type")}</th>
                <th scope="col">{t("ops.error")}</th>
                <th scope="col">{t("provider.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {letters.map((d) => (
                <tr key={d.msg_id}>
                  <td>{d.msg_id}</td>
                  <td>{when(d.dead_lettered_at, TIME_ZONE)}</td>
                  <td>
                    <code>{d.type ?? "—"}</code>
                  </td>
                  <td>
                    {d.error_class} {d.error}
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      class="secondary small"
                      disabled={busy}
                      onClick={() => run(async () => setShown({ id: d.msg_id, body: JSON.stringify(await deadLetter(queue, d.msg_id), null, 2) }))}
                    >
                      {t("ops.inspect", { id: d.msg_id })}
                    </button>
                    <button type="button" class="small" disabled={busy} onClick={() => doReplay(d.msg_id)}>
                      {t("ops.replay", { id: d.msg_id })}
                    </button>
                    <button type="button" class="secondary small" disabled={busy} onClick={() => setDiscarding(d.msg_id)}>
                      {t("ops.discard", { id: d.msg_id })}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {discarding !== null && (
          <form onSubmit={doDiscard} noValidate aria-labelledby="discard-title">
            <h3 id="discard-title">{t("ops.discard", { id: discarding })}</h3>
            <Field id="discard-reason" label={t("ops.reason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            <p class="actions">
              <button type="submit" class="danger" disabled={busy || !reason.trim()}>
                {t("ops.discardYes", { id: discarding })}
              </button>
              <button type="button" class="secondary" onClick={() => setDiscarding(null)}>
                {t("common.back")}
              </button>
            </p>
          </form>
        )}
        {shown && (
          <section aria-labelledby="letter-title">
            <h3 id="letter-title">{t("ops.letter", { id: shown.id })}</h3>
            <pre tabIndex={0}>{shown.body}</pre>
          </section>
        )}
      </section>
    </section>
  );
}
