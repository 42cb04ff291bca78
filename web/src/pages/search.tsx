// Find a service (category, place, date and time) and book one of the ranked offers; when
// nobody is free, join the waitlist. The waitlist_opening email's link (?service_id=&starts_at=)
// lands here with the freed slot's service, place and time filled in and searched at once.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { categories, confirmBooking, quote } from "../api/bookings";
import { ApiError } from "../api/client";
import type { Category, Offer } from "../api/types";
import { openedService, type OpenedService } from "../api/waitlist";
import { ErrorAlert, Field, Notice } from "../components/ui";
import { WaitlistJoin, type SearchedFor } from "../components/waitlist-join";
import { OfferWhy } from "../components/why";
import { distance, locale, money, number, t, when } from "../i18n";
import { NEIGHBOURHOODS, TIME_ZONE, tomorrow, zonedInstant, zonedParts } from "../places";
import { navigate } from "../router";

const CUSTOM = "custom";

export function SearchPage(): JSX.Element {
  const [cats, setCats] = useState<Category[]>([]);
  const [category, setCategory] = useState("haircut");
  const [place, setPlace] = useState(NEIGHBOURHOODS[0].name);
  const [lat, setLat] = useState("45.5225");
  const [lng, setLng] = useState("-73.5810");
  const [date, setDate] = useState(tomorrow(TIME_ZONE));
  const [time, setTime] = useState("10:00");
  const [radius, setRadius] = useState("5");
  const [offers, setOffers] = useState<Offer[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [searched, setSearched] = useState<Omit<SearchedFor, "categoryName"> | null>(null);
  const [opened, setOpened] = useState<(OpenedService & { starts_at: string }) | null>(null);
  const results = useRef<HTMLHeadingElement>(null);

  const run = (q: Omit<SearchedFor, "categoryName">): void => {
    setBusy(true);
    setError(null);
    setSearched(null);
    quote({
      category: q.category,
      lat: q.lat,
      lng: q.lng,
      starts_at: zonedInstant(q.date, q.time, TIME_ZONE).toISOString(),
      radius_km: q.radiusKm,
    })
      .then((o) => {
        setOffers(o);
        setSearched(q);
        window.setTimeout(() => results.current?.focus(), 0);
      }, setError)
      .finally(() => setBusy(false));
  };

  useEffect(() => {
    categories().then(setCats, setError);
    // the waitlist email's link: the freed slot's service and start
    const params = new URLSearchParams(window.location.search);
    const serviceId = params.get("service_id");
    const startsAt = params.get("starts_at");
    if (!serviceId || !startsAt || Number.isNaN(Date.parse(startsAt))) return;
    openedService(serviceId).then((svc) => {
      if (!svc) {
        setError(new ApiError(404, "not_found", "", null));
        return;
      }
      const at = zonedParts(startsAt, TIME_ZONE);
      setOpened({ ...svc, starts_at: startsAt });
      setCategory(svc.category);
      setPlace(CUSTOM);
      setLat(String(svc.lat));
      setLng(String(svc.lng));
      setDate(at.date);
      setTime(at.time);
      setRadius("1");
      run({ category: svc.category, lat: svc.lat, lng: svc.lng, radiusKm: 1, date: at.date, time: at.time });
    }, setError);
  }, []);

  const search = (e: Event): void => {
    e.preventDefault();
    const where = NEIGHBOURHOODS.find((n) => n.name === place);
    setOpened(null);
    run({
      category,
      lat: where ? where.lat : Number(lat),
      lng: where ? where.lng : Number(lng),
      radiusKm: Number(radius),
      date,
      time,
    });
  };

  // the customer's consent, per offer, to the balance being charged to the saved card
  const [saveCard, setSaveCard] = useState<Record<string, boolean>>({});
  const offerKey = (o: Offer): string => `${o.quote_id ?? ""}:${o.provider_id ?? ""}`;

  const book = (offer: Offer): void => {
    setBusy(true);
    setError(null);
    confirmBooking(offer, crypto.randomUUID(), !!offer.deposit_cents && !!saveCard[offerKey(offer)])
      .then((b) => navigate(`/bookings/${b.id}`), setError)
      .finally(() => setBusy(false));
  };

  const catName = (c: Category): string => (locale() === "fr" ? c.name_fr : c.name_en) ?? c.slug ?? "";
  const categoryName = (slug: string): string => {
    const c = cats.find((x) => x.slug === slug);
    return c ? catName(c) : slug;
  };

  return (
    <section>
      <h1>{t("search.title")}</h1>
      <p>{t("search.intro")}</p>
      {opened && (
        <Notice>
          {t("waitlist.openedNotice", {
            service: opened.name,
            provider: opened.provider_name,
            when: when(opened.starts_at, TIME_ZONE),
          })}
        </Notice>
      )}
      <form class="search" onSubmit={search} noValidate>
        <div class="field">
          <label for="search-category">{t("search.category")}</label>
          <select id="search-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
            {cats.map((c) => (
              <option key={c.slug} value={c.slug ?? ""}>
                {catName(c)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="search-place">{t("search.place")}</label>
          <select id="search-place" value={place} onChange={(e) => setPlace(e.currentTarget.value)}>
            {NEIGHBOURHOODS.map((n) => (
              <option key={n.name} value={n.name}>
                {locale() === "fr" ? (n.fr ?? n.name) : n.name}
              </option>
            ))}
            <option value={CUSTOM}>{t("search.placeCustom")}</option>
          </select>
        </div>
        {place === CUSTOM && (
          <div class="row">
            <Field id="search-lat" label={t("search.lat")} inputMode="decimal" value={lat} onInput={(e) => setLat(e.currentTarget.value)} />
            <Field id="search-lng" label={t("search.lng")} inputMode="decimal" value={lng} onInput={(e) => setLng(e.currentTarget.value)} />
          </div>
        )}
        <div class="row">
          <Field id="search-date" label={t("search.date")} type="date" required value={date} onInput={(e) => setDate(e.currentTarget.value)} />
          <Field id="search-time" label={t("search.time")} hint={t("search.timeZone", { zone: TIME_ZONE })} type="time" step={900} required value={time} onInput={(e) => setTime(e.currentTarget.value)} />
          <Field id="search-radius" label={t("search.radius")} type="number" min={1} max={50} value={radius} onInput={(e) => setRadius(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          {t("search.button")}
        </button>
      </form>
      <ErrorAlert error={error} />
      {offers && (
        <section aria-labelledby="offers-title">
          <h2 id="offers-title" tabIndex={-1} ref={results}>
            {t("search.offers")}
          </h2>
          <p role="status">{offers.length === 0 ? t("search.none") : offers.length === 1 ? t("search.countOne") : t("search.count", { count: offers.length })}</p>
          {offers.length === 0 && searched && <WaitlistJoin key={JSON.stringify(searched)} searched={{ ...searched, categoryName: categoryName(searched.category) }} />}
          <ol class="offers">
            {offers.map((o) => (
              <li key={o.quote_id + (o.provider_id ?? "")} class="offer">
                <h3>
                  <span class="rank">{t("offer.rank", { rank: o.rank ?? 0 })}</span> {o.provider_name}
                </h3>
                <p class="service">{o.service_name}</p>
                <dl>
                  <dt>{t("offer.when")}</dt>
                  <dd>{when(o.starts_at, TIME_ZONE)}</dd>
                  <dt>{t("offer.price")}</dt>
                  <dd>{money(o.price_cents, o.currency)}</dd>
                  {!!o.gst_cents && (
                    <>
                      <dt>{t("offer.gst")}</dt>
                      <dd>{money(o.gst_cents, o.currency)}</dd>
                    </>
                  )}
                  {!!o.qst_cents && (
                    <>
                      <dt>{t("offer.qst")}</dt>
                      <dd>{money(o.qst_cents, o.currency)}</dd>
                    </>
                  )}
                  <dt>{t("offer.total")}</dt>
                  <dd class="total">{money(o.total_cents, o.currency)}</dd>
                  {!!o.deposit_cents && (
                    <>
                      <dt>{t("offer.deposit")}</dt>
                      <dd>{money(o.deposit_cents, o.currency)}</dd>
                    </>
                  )}
                  <dt>{t("offer.distance")}</dt>
                  <dd>{distance(o.distance_m)}</dd>
                  <dt>{t("offer.rating")}</dt>
                  <dd>{o.rating ? `${number(o.rating)} / 5` : t("offer.noRating")}</dd>
                </dl>
                <OfferWhy explanation={o.explanation} score={o.score ?? 0} />
                {/* the balance after the deposit, taxes included, as the booking charges it (SQL computes it) */}
                {!!o.deposit_cents && (o.balance_cents ?? 0) > 0 && (
                  <div class="field check consent">
                    <input
                      type="checkbox"
                      id={`save-card-${offerKey(o)}`}
                      aria-describedby={`save-card-hint-${offerKey(o)}`}
                      checked={!!saveCard[offerKey(o)]}
                      onChange={(e) => setSaveCard({ ...saveCard, [offerKey(o)]: e.currentTarget.checked })}
                    />
                    <label for={`save-card-${offerKey(o)}`}>{t("offer.saveCard", { amount: money(o.balance_cents, o.currency) })}</label>
                    <p class="hint" id={`save-card-hint-${offerKey(o)}`}>
                      {t("offer.saveCardHint", { amount: money(o.balance_cents, o.currency) })}
                    </p>
                  </div>
                )}
                <button type="button" disabled={busy} onClick={() => book(o)}>
                  {t("offer.book", { name: o.provider_name ?? "" })}
                </button>
              </li>
            ))}
          </ol>
        </section>
      )}
    </section>
  );
}
