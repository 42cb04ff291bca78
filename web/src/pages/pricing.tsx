// A provider's pricing suggestions (api.my_price_suggestions, a chunk of its own): for each of
// its services, raise, lower or keep, the suggested range, and the reasons in words and figures
// (demand against the market, peers' prices nearby, how full the hours were). Nothing changes
// by itself: a suggested price is applied through the service edit (PATCH api.my_services).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type PriceReason, type PriceSuggestion, priceSuggestions } from "../api/pricing";
import { updateService } from "../api/provider";
import { ErrorAlert, Field, Link, Notice } from "../components/ui";
import { coded, locale, money, number, t } from "../i18n";

const percent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? "—" : `${number(rate * 100, 0)}${locale() === "fr" ? "\u00a0%" : "%"}`;

/** A reason in this language, from its kind and figures (the API's own text is English). */
function reasonText(r: PriceReason, s: PriceSuggestion, days: number): string {
  const f = r.figures;
  const cash = (c: number | null | undefined): string => money(c ?? 0, s.currency);
  switch (r.kind) {
    case "demand":
      return t("pricing.reason.demand", {
        chosen: f.chosen ?? 0,
        appeared: f.appeared ?? 0,
        rate: percent(f.win_rate),
        market: percent(f.market_win_rate),
        offers: f.market_appearances ?? 0,
      });
    case "supply":
      return t("pricing.reason.supply", {
        peers: f.peers ?? 0,
        low: cash(f.p25_cents),
        high: cash(f.p75_cents),
        median: cash(f.median_cents),
        price: cash(s.price_cents),
      });
    case "fill":
      return t("pricing.reason.fill", {
        rate: percent(f.fill_rate),
        booked: number(f.booked_minutes ?? 0, 0),
        open: number(f.open_minutes ?? 0, 0),
        days,
      });
    default:
      return t("pricing.reason.no_data");
  }
}

const dollars = (c: number): string => (c / 100).toFixed(2);

/** The price the form starts from: the far end of the range in the suggested direction. */
const proposed = (s: PriceSuggestion): number =>
  s.suggestion === "raise" ? s.suggested_high_cents : s.suggestion === "lower" ? s.suggested_low_cents : s.price_cents;

export function PricingPage(): JSX.Element {
  const [days, setDays] = useState("30");
  const [shownDays, setShownDays] = useState(30);
  const [rows, setRows] = useState<PriceSuggestion[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);

  const load = (d: number): Promise<void> => {
    setBusy(true);
    setError(null);
    return priceSuggestions(d)
      .then((r) => {
        setRows(r);
        setShownDays(d);
      }, setError)
      .finally(() => setBusy(false));
  };
  useEffect(() => void load(30), []);

  const submit = (e: Event): void => {
    e.preventDefault();
    setNote("");
    void load(Number(days));
  };

  return (
    <section>
      <h1>{t("pricing.title")}</h1>
      <p>{t("pricing.intro")}</p>
      <form class="row pricing-period" onSubmit={submit} noValidate aria-label={t("pricing.periodForm")}>
        <Field id="pricing-days" label={t("pricing.days")} hint={t("pricing.daysHint")} type="number" min={7} max={365} value={days} onInput={(e) => setDays(e.currentTarget.value)} />
        <div class="field">
          <button type="submit" disabled={busy}>
            {t("pricing.show")}
          </button>
        </div>
      </form>
      <ErrorAlert error={error} />
      {note && <Notice>{note}</Notice>}
      {rows === null && !error && <p role="status">{t("common.loading")}</p>}
      {rows?.length === 0 && (
        <p>
          {t("pricing.none")} <Link to="/provider">{t("nav.provider")}</Link>
        </p>
      )}
      {rows?.map((s) => (
        <Suggestion
          key={`${s.service_id}-${shownDays}-${s.price_cents}`} s={s} days={shownDays} onApplied={(text) => {
            setNote(text);
            return load(shownDays);
          }}
        />
      ))}
    </section>
  );
}

function Suggestion({ s, days, onApplied }: { s: PriceSuggestion; days: number; onApplied: (text: string) => Promise<void> }): JSX.Element {
  const [price, setPrice] = useState(dollars(proposed(s)));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const id = `pricing-${s.service_id}`;

  const apply = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const cents = Math.round(Number(price) * 100);
    updateService(s.service_id, { price_cents: Number.isFinite(cents) ? cents : (price as unknown as number) })
      .then(() => onApplied(t("pricing.applied", { name: s.service_name, price: money(cents, s.currency) })), setError)
      .finally(() => setBusy(false));
  };

  return (
    <section class={`panel price-suggestion ${s.suggestion}`} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{s.service_name}</h2>
      <dl>
        <dt>{t("pricing.current")}</dt>
        <dd>{money(s.price_cents, s.currency)}</dd>
        <dt>{t("pricing.suggestion")}</dt>
        <dd class="suggestion">{coded("pricing.action.", s.suggestion)}</dd>
        <dt>{t("pricing.range")}</dt>
        <dd>{t("pricing.rangeValue", { low: money(s.suggested_low_cents, s.currency), high: money(s.suggested_high_cents, s.currency) })}</dd>
      </dl>
      <h3 id={`${id}-why`}>{t("pricing.why", { days })}</h3>
      <ul aria-labelledby={`${id}-why`} class="reasons">
        {s.reasons.map((r) => (
          <li key={r.kind} data-kind={r.kind}>
            {reasonText(r, s, days)}
          </li>
        ))}
      </ul>
      <form class="row" onSubmit={apply} noValidate aria-label={t("pricing.applyForm", { name: s.service_name })}>
        <Field id={`${id}-price`} label={t("pricing.newPrice")} hint={t("pricing.newPriceHint")} type="number" min={0} step={0.01} value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
        <div class="field">
          <button type="submit" disabled={busy}>
            {t("pricing.apply", { name: s.service_name })}
          </button>
        </div>
      </form>
      <ErrorAlert error={error} />
    </section>
  );
}
