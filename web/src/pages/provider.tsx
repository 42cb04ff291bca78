// The provider's dashboard: profile, services, weekly hours, time off and bookings (with
// mark completed / no-show), over the provider's own API views.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { categories } from "../api/bookings";
import {
  addHours,
  addTimeOff,
  createProvider,
  createService,
  updateProvider,
  updateService,
  markBooking,
  myProvider,
  myServices,
  bookingsWithCustomers,
  cancelAsProvider,
  type ProviderBooking,
  removeHours,
  removeTimeOff,
  timeOff,
  weeklyHours,
} from "../api/provider";
import { myTaxRegistration, setTaxRegistration, type TaxRegistrationState } from "../api/money";
import type { Category, ProviderProfile, Service, TimeOff, WeeklyHours } from "../api/types";
import { ErrorAlert, Field, LiveState, Notice, useFocusWhenDrawn } from "../components/ui";
import { locale, money, number, percent, t, weekday, when } from "../i18n";
import { NEIGHBOURHOODS, TIME_ZONE, zonedInstant } from "../places";
import { LIVE_OFF, type Live, refreshOnBookings } from "../realtime";
import { statusText } from "./booking";

const hhmm = (s: string | null | undefined): string => (s ?? "").slice(0, 5);
const cents = (dollars: string): number => Math.round(Number(dollars) * 100);

export function ProviderPage(): JSX.Element {
  const [profile, setProfile] = useState<ProviderProfile | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  // hours or time off changed: the calendar below re-reads them
  const [schedule, setSchedule] = useState(0);
  const scheduleChanged = (): void => setSchedule((n) => n + 1);
  useEffect(() => {
    myProvider().then((rows) => setProfile(rows[0] ?? null), setError);
  }, []);
  return (
    <section>
      <h1>{t("provider.title")}</h1>
      <ErrorAlert error={error} />
      {profile === undefined && !error && <p role="status">{t("common.loading")}</p>}
      {profile === null && <CreateProfile onCreated={setProfile} />}
      {profile && (
        <>
          <Profile profile={profile} onSaved={setProfile} />
          <Taxes />
          <Services providerId={profile.id ?? ""} />
          <Hours providerId={profile.id ?? ""} zone={profile.time_zone ?? TIME_ZONE} onChange={scheduleChanged} />
          <Absences providerId={profile.id ?? ""} zone={profile.time_zone ?? TIME_ZONE} onChange={scheduleChanged} />
          <Bookings zone={profile.time_zone ?? TIME_ZONE} schedule={schedule} />
        </>
      )}
    </section>
  );
}

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

function CreateProfile({ onCreated }: { onCreated: (p: ProviderProfile) => void }): JSX.Element {
  const [name, setName] = useState("");
  const [place, setPlace] = useState(NEIGHBOURHOODS[0].name);
  const [radius, setRadius] = useState("5");
  const [email, setEmail] = useState("");
  const [busy, error, run] = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const where = NEIGHBOURHOODS.find((n) => n.name === place) ?? NEIGHBOURHOODS[0];
    run(async () => {
      const rows = await createProvider({
        business_name: name,
        lat: where.lat,
        lng: where.lng,
        time_zone: TIME_ZONE,
        service_radius_km: Number(radius),
        contact_email: email || null,
      });
      onCreated(rows[0]);
    });
  };
  return (
    <section aria-labelledby="profile-title" class="panel">
      <h2 id="profile-title">{t("provider.profile")}</h2>
      <p>{t("provider.none")}</p>
      <p>{t("provider.createIntro")}</p>
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <Field id="profile-name" label={t("provider.businessName")} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <div class="field">
          <label for="profile-place">{t("provider.place")}</label>
          <select id="profile-place" value={place} onChange={(e) => setPlace(e.currentTarget.value)}>
            {NEIGHBOURHOODS.map((n) => (
              <option key={n.name} value={n.name}>
                {locale() === "fr" ? (n.fr ?? n.name) : n.name}
              </option>
            ))}
          </select>
        </div>
        <Field id="profile-radius" label={t("provider.radiusKm")} type="number" min={1} max={100} value={radius} onInput={(e) => setRadius(e.currentTarget.value)} />
        <Field id="profile-email" label={t("provider.contactEmail")} type="email" autocomplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          {t("provider.create")}
        </button>
      </form>
    </section>
  );
}

const OTHER_PLACE = "";
/** The neighbourhood at exactly these coordinates, or OTHER_PLACE. */
const placeOf = (lat: number | null | undefined, lng: number | null | undefined): string =>
  NEIGHBOURHOODS.find((n) => Math.abs(n.lat - (lat ?? NaN)) < 1e-6 && Math.abs(n.lng - (lng ?? NaN)) < 1e-6)?.name ?? OTHER_PLACE;
/** The browser's IANA zones, with the current one first if the browser does not list it. */
const zones = (current: string): string[] => {
  const all = Intl.supportedValuesOf("timeZone");
  return all.includes(current) ? all : [current, ...all];
};
const numberOr = (text: string): number | string => (text.trim() === "" || Number.isNaN(Number(text)) ? text : Number(text));

/** The profile, editable: the API checks every value and names the field it refuses. */
function Profile({ profile, onSaved }: { profile: ProviderProfile; onSaved: (p: ProviderProfile) => void }): JSX.Element {
  const [name, setName] = useState(profile.business_name ?? "");
  const [description, setDescription] = useState(profile.description ?? "");
  const [place, setPlace] = useState(placeOf(profile.lat, profile.lng));
  const [lat, setLat] = useState(String(profile.lat ?? ""));
  const [lng, setLng] = useState(String(profile.lng ?? ""));
  const [radius, setRadius] = useState(String(profile.service_radius_km ?? ""));
  const [zone, setZone] = useState(profile.time_zone ?? TIME_ZONE);
  const [email, setEmail] = useState(profile.contact_email ?? "");
  const [phone, setPhone] = useState(profile.contact_phone ?? "");
  const [active, setActive] = useState(profile.is_active ?? true);
  const [saved, setSaved] = useState(false);
  const [busy, error, run] = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    setSaved(false);
    const where = NEIGHBOURHOODS.find((n) => n.name === place);
    run(async () => {
      const rows = await updateProvider(profile.id ?? "", {
        business_name: name,
        description,
        lat: where ? where.lat : (numberOr(lat) as number),
        lng: where ? where.lng : (numberOr(lng) as number),
        service_radius_km: numberOr(radius) as number,
        time_zone: zone,
        contact_email: email.trim() || null,
        contact_phone: phone.trim() || null,
        is_active: active,
      });
      setSaved(true);
      onSaved(rows[0]);
    });
  };
  return (
    <section aria-labelledby="profile-title" class="panel">
      <h2 id="profile-title">{t("provider.profile")}</h2>
      {profile.suspended_at && (
        <div class="alert error" role="alert">
          {t("provider.suspendedNote", { reason: profile.suspension_reason ?? "" })}
        </div>
      )}
      <dl>
        <dt>{t("provider.rating")}</dt>
        <dd>{profile.rating_count ? `${number(profile.rating_avg ?? 0)} / 5 (${profile.rating_count})` : t("offer.noRating")}</dd>
      </dl>
      {saved && <Notice>{t("provider.profileSaved")}</Notice>}
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate aria-labelledby="profile-title">
        <div class="row">
          <Field id="profile-name" label={t("provider.businessName")} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <Field id="profile-phone" label={t("provider.contactPhone")} hint={t("provider.phoneHint")} type="tel" autocomplete="tel" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
          <Field id="profile-email" label={t("provider.contactEmail")} type="email" autocomplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="profile-description">{t("provider.description")}</label>
          <textarea id="profile-description" name="profile-description" rows={3} maxLength={4000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        <div class="row">
          <div class="field">
            <label for="profile-place">{t("provider.place")}</label>
            <select id="profile-place" value={place} onChange={(e) => setPlace(e.currentTarget.value)}>
              {NEIGHBOURHOODS.map((n) => (
                <option key={n.name} value={n.name}>
                  {locale() === "fr" ? (n.fr ?? n.name) : n.name}
                </option>
              ))}
              <option value={OTHER_PLACE}>{t("provider.otherPlace")}</option>
            </select>
          </div>
          {place === OTHER_PLACE && (
            <>
              <Field id="profile-lat" label={t("search.lat")} type="number" step={0.0001} min={-90} max={90} value={lat} onInput={(e) => setLat(e.currentTarget.value)} />
              <Field id="profile-lng" label={t("search.lng")} type="number" step={0.0001} min={-180} max={180} value={lng} onInput={(e) => setLng(e.currentTarget.value)} />
            </>
          )}
          <Field id="profile-radius" label={t("provider.radiusKm")} type="number" min={1} max={200} value={radius} onInput={(e) => setRadius(e.currentTarget.value)} />
          <div class="field">
            <label for="profile-zone">{t("provider.timeZone")}</label>
            <select id="profile-zone" value={zone} onChange={(e) => setZone(e.currentTarget.value)}>
              {zones(zone).map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div class="field check">
          <input id="profile-active" type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
          <label for="profile-active">{t("provider.listed")}</label>
        </div>
        <button type="submit" disabled={busy}>
          {t("provider.saveProfile")}
        </button>
      </form>
    </section>
  );
}

/** GST and QST registration numbers (api.set_tax_registration): both sent every time, an
 *  empty one means "not registered"; a malformed one is the API's 400 naming the field. */
function Taxes(): JSX.Element {
  const [gst, setGst] = useState("");
  const [qst, setQst] = useState("");
  const [rates, setRates] = useState<TaxRegistrationState["rates"] | null>(null);
  const [saved, setSaved] = useState(false);
  const [loadError, setLoadError] = useState<unknown>(null);
  // the form shows once the numbers are read, so that they never overwrite what is typed
  const [loaded, setLoaded] = useState(false);
  const [busy, error, run] = useAction();
  useEffect(() => {
    myTaxRegistration().then((r) => {
      setGst(r.gst_number ?? "");
      setQst(r.qst_number ?? "");
      setRates(r.rates);
      setLoaded(true);
    }, setLoadError);
  }, []);
  const submit = (e: Event): void => {
    e.preventDefault();
    setSaved(false);
    run(async () => {
      const r = await setTaxRegistration({ gst_number: gst.trim() || null, qst_number: qst.trim() || null });
      setGst(r.gst_number ?? "");
      setQst(r.qst_number ?? "");
      setSaved(true);
    });
  };
  return (
    <section aria-labelledby="taxes-title" class="panel">
      <h2 id="taxes-title">{t("taxes.title")}</h2>
      {rates && <p class="hint">{t("taxes.intro", { gst: percent(rates.gst), qst: percent(rates.qst) })}</p>}
      <ErrorAlert error={loadError} />
      {saved && <Notice>{t(gst || qst ? "taxes.saved" : "taxes.savedNone")}</Notice>}
      <ErrorAlert error={error} />
      {!loaded && !loadError && <p role="status">{t("common.loading")}</p>}
      {loaded && (
      <form onSubmit={submit} noValidate aria-labelledby="taxes-title">
        <div class="row">
          <Field id="tax-gst" label={t("taxes.gst")} hint={t("taxes.gstHint")} value={gst} onInput={(e) => setGst(e.currentTarget.value)} />
          <Field id="tax-qst" label={t("taxes.qst")} hint={t("taxes.qstHint")} value={qst} onInput={(e) => setQst(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          {t("taxes.save")}
        </button>
      </form>
      )}
    </section>
  );
}

function Services({ providerId }: { providerId: string }): JSX.Element {
  const [rows, setRows] = useState<Service[]>([]);
  const [cats, setCats] = useState<Category[]>([]);
  const [name, setName] = useState("");
  const [category, setCategory] = useState("");
  const [duration, setDuration] = useState("45");
  const [price, setPrice] = useState("");
  const [deposit, setDeposit] = useState("0");
  const [editing, setEditing] = useState<Service | null>(null);
  const [busy, error, run] = useAction();
  const load = (): void => run(async () => setRows(await myServices()));
  useEffect(() => {
    load();
    categories().then((c) => {
      setCats(c);
      setCategory(String(c[0]?.id ?? ""));
    });
  }, []);
  const submit = (e: Event): void => {
    e.preventDefault();
    run(async () => {
      await createService({
        provider_id: providerId,
        category_id: Number(category),
        name,
        duration_minutes: Number(duration),
        price_cents: cents(price),
        deposit_cents: cents(deposit),
      });
      setName("");
      setRows(await myServices());
    });
  };
  return (
    <section aria-labelledby="services-title" class="panel">
      <h2 id="services-title">{t("provider.services")}</h2>
      {rows.length === 0 ? (
        <p>{t("provider.noServices")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("provider.serviceName")}</th>
              <th scope="col">{t("provider.durationMinutes")}</th>
              <th scope="col">{t("offer.price")}</th>
              <th scope="col">{t("offer.deposit")}</th>
              <th scope="col">{t("history.status")}</th>
              <th scope="col">{t("provider.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <td>{s.name}</td>
                <td>{t("provider.duration", { minutes: s.duration_minutes ?? 0 })}</td>
                <td>{money(s.price_cents, s.currency)}</td>
                <td>{money(s.deposit_cents, s.currency)}</td>
                <td>{s.is_active ? t("provider.serviceActive") : t("provider.serviceInactive")}</td>
                <td>
                  <button type="button" class="secondary small" onClick={() => setEditing(s)} aria-expanded={editing?.id === s.id}>
                    {t("provider.editService", { name: s.name ?? "" })}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <ServiceEditor
          key={editing.id}
          service={editing}
          onClose={() => setEditing(null)}
          onSaved={async () => {
            setRows(await myServices());
          }}
        />
      )}
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate aria-labelledby="service-new-title">
        <h3 id="service-new-title">{t("provider.newService")}</h3>
        <div class="row">
          <Field id="service-name" label={t("provider.serviceName")} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <div class="field">
            <label for="service-category">{t("provider.category")}</label>
            <select id="service-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
              {cats.map((c) => (
                <option key={c.id} value={String(c.id)}>
                  {(locale() === "fr" ? c.name_fr : c.name_en) ?? c.slug}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div class="row">
          <Field id="service-duration" label={t("provider.durationMinutes")} type="number" min={5} max={480} step={5} value={duration} onInput={(e) => setDuration(e.currentTarget.value)} />
          <Field id="service-price" label={t("provider.priceDollars")} type="number" min={0} step={0.01} required value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
          <Field id="service-deposit" label={t("provider.depositDollars")} type="number" min={0} step={0.01} value={deposit} onInput={(e) => setDeposit(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          {t("provider.addService")}
        </button>
      </form>
    </section>
  );
}

const dollars = (c: number | null | undefined): string => (c === null || c === undefined ? "" : (c / 100).toFixed(2));
/** Dollars typed → cents, or what was typed (the API then names the field it refuses). */
const centsOr = (text: string): number | string => (text.trim() === "" || Number.isNaN(Number(text)) ? text : cents(text));

/** One service's settings, edited in place (PATCH api.my_services). */
function ServiceEditor({ service, onClose, onSaved }: { service: Service; onClose: () => void; onSaved: () => Promise<void> }): JSX.Element {
  const [v, setV] = useState({
    name: service.name ?? "",
    description: service.description ?? "",
    duration: String(service.duration_minutes ?? ""),
    price: dollars(service.price_cents),
    deposit: dollars(service.deposit_cents),
    before: String(service.buffer_before_minutes ?? 0),
    after: String(service.buffer_after_minutes ?? 0),
    notice: String(service.min_notice_minutes ?? 0),
    ahead: String(service.max_days_ahead ?? ""),
    cancelHours: String(service.cancel_notice_hours ?? 0),
    cancelFee: dollars(service.cancel_fee_cents ?? 0),
  });
  const [active, setActive] = useState(service.is_active ?? true);
  const [saved, setSaved] = useState(false);
  const [busy, error, run] = useAction();
  const field = (key: keyof typeof v) => (e: { currentTarget: HTMLInputElement }) => setV({ ...v, [key]: e.currentTarget.value });
  const submit = (e: Event): void => {
    e.preventDefault();
    setSaved(false);
    run(async () => {
      await updateService(service.id ?? "", {
        name: v.name,
        description: v.description,
        duration_minutes: numberOr(v.duration) as number,
        price_cents: centsOr(v.price) as number,
        deposit_cents: centsOr(v.deposit) as number,
        buffer_before_minutes: numberOr(v.before) as number,
        buffer_after_minutes: numberOr(v.after) as number,
        min_notice_minutes: numberOr(v.notice) as number,
        max_days_ahead: numberOr(v.ahead) as number,
        cancel_notice_hours: numberOr(v.cancelHours) as number,
        cancel_fee_cents: centsOr(v.cancelFee) as number,
        is_active: active,
      });
      setSaved(true);
      await onSaved();
    });
  };
  const id = `service-edit-${service.id ?? ""}`;
  // opened from its row's button: the keyboard goes on in the form
  useFocusWhenDrawn("edit-name");
  return (
    <form class="panel" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t("provider.editServiceTitle", { name: service.name ?? "" })}</h3>
      {saved && <Notice>{t("provider.serviceSaved")}</Notice>}
      <ErrorAlert error={error} />
      <div class="row">
        <Field id="edit-name" label={t("provider.serviceName")} required value={v.name} onInput={field("name")} />
        <Field id="edit-duration" label={t("provider.durationMinutes")} type="number" min={5} max={1440} step={5} value={v.duration} onInput={field("duration")} />
        <Field id="edit-price" label={t("provider.priceDollars")} type="number" min={0} step={0.01} value={v.price} onInput={field("price")} />
        <Field id="edit-deposit" label={t("provider.depositDollars")} type="number" min={0} step={0.01} value={v.deposit} onInput={field("deposit")} />
      </div>
      <div class="field">
        <label for="edit-description">{t("provider.serviceDescription")}</label>
        <textarea id="edit-description" name="edit-description" rows={2} maxLength={4000} value={v.description} onInput={(e) => setV({ ...v, description: e.currentTarget.value })} />
      </div>
      <div class="row">
        <Field id="edit-before" label={t("provider.bufferBefore")} type="number" min={0} max={240} value={v.before} onInput={field("before")} />
        <Field id="edit-after" label={t("provider.bufferAfter")} type="number" min={0} max={240} value={v.after} onInput={field("after")} />
        <Field id="edit-notice" label={t("provider.minNotice")} type="number" min={0} max={43200} value={v.notice} onInput={field("notice")} />
        <Field id="edit-ahead" label={t("provider.maxDaysAhead")} type="number" min={1} max={730} value={v.ahead} onInput={field("ahead")} />
      </div>
      <div class="row">
        <Field id="edit-cancel-hours" label={t("provider.cancelNoticeHours")} type="number" min={0} max={720} value={v.cancelHours} onInput={field("cancelHours")} />
        <Field id="edit-cancel-fee" label={t("provider.cancelFeeDollars")} type="number" min={0} step={0.01} value={v.cancelFee} onInput={field("cancelFee")} />
      </div>
      <div class="field check">
        <input id="edit-active" type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
        <label for="edit-active">{t("provider.serviceOffered")}</label>
      </div>
      <p class="actions">
        <button type="submit" disabled={busy}>
          {t("provider.saveService")}
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          {t("provider.closeEditor")}
        </button>
      </p>
    </form>
  );
}

function Hours({ providerId, zone, onChange }: { providerId: string; zone: string; onChange: () => void }): JSX.Element {
  const [rows, setRows] = useState<WeeklyHours[]>([]);
  const [day, setDay] = useState("1");
  const [from, setFrom] = useState("09:00");
  const [to, setTo] = useState("17:00");
  const [busy, error, run] = useAction();
  useEffect(() => run(async () => setRows(await weeklyHours())), []);
  const submit = (e: Event): void => {
    e.preventDefault();
    run(async () => {
      await addHours({ provider_id: providerId, day_of_week: Number(day), start_time: from, end_time: to });
      onChange();
      setRows(await weeklyHours());
    });
  };
  const remove = (id: string): void =>
    run(async () => {
      await removeHours(id);
      onChange();
      setRows(await weeklyHours());
    });
  return (
    <section aria-labelledby="hours-title" class="panel">
      <h2 id="hours-title">{t("provider.hours")}</h2>
      <p class="hint">{t("provider.timesIn", { zone })}</p>
      {rows.length === 0 ? (
        <p>{t("provider.noHours")}</p>
      ) : (
        <ul class="plain">
          {rows.map((h) => {
            const label = { day: weekday(h.day_of_week ?? 0), from: hhmm(h.start_time), to: hhmm(h.end_time) };
            return (
              <li key={h.id}>
                {label.day} {label.from}–{label.to}{" "}
                <button type="button" class="secondary small" aria-label={t("provider.removeHours", label)} onClick={() => remove(h.id ?? "")} disabled={busy}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <div class="row">
          <div class="field">
            <label for="hours-day">{t("provider.day")}</label>
            <select id="hours-day" value={day} onChange={(e) => setDay(e.currentTarget.value)}>
              {[1, 2, 3, 4, 5, 6, 0].map((d) => (
                <option key={d} value={String(d)}>
                  {weekday(d)}
                </option>
              ))}
            </select>
          </div>
          <Field id="hours-from" label={t("provider.from")} type="time" step={900} value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          <Field id="hours-to" label={t("provider.to")} type="time" step={900} value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          {t("provider.addHours")}
        </button>
      </form>
    </section>
  );
}

function Absences({ providerId, zone, onChange }: { providerId: string; zone: string; onChange: () => void }): JSX.Element {
  const [rows, setRows] = useState<TimeOff[]>([]);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [reason, setReason] = useState("");
  const [busy, error, run] = useAction();
  useEffect(() => run(async () => setRows(await timeOff())), []);
  const instant = (local: string): string => {
    const [date, time] = local.split("T");
    return zonedInstant(date, time ?? "00:00", zone).toISOString();
  };
  const submit = (e: Event): void => {
    e.preventDefault();
    run(async () => {
      await addTimeOff({ provider_id: providerId, during: `[${instant(from)},${instant(to)})`, reason: reason || null });
      onChange();
      setRows(await timeOff());
    });
  };
  const remove = (id: string): void =>
    run(async () => {
      await removeTimeOff(id);
      onChange();
      setRows(await timeOff());
    });
  return (
    <section aria-labelledby="off-title" class="panel">
      <h2 id="off-title">{t("provider.timeOff")}</h2>
      <p class="hint">{t("provider.timesIn", { zone })}</p>
      {rows.length === 0 ? (
        <p>{t("provider.noTimeOff")}</p>
      ) : (
        <ul class="plain">
          {rows.map((o) => (
            <li key={o.id}>
              {when(o.starts_at, zone)} – {when(o.ends_at, zone)} {o.reason ? `(${o.reason})` : ""}{" "}
              <button type="button" class="secondary small" aria-label={t("provider.removeTimeOff", { when: when(o.starts_at, zone) })} onClick={() => remove(o.id ?? "")} disabled={busy}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <div class="row">
          <Field id="off-from" label={t("provider.offFrom")} type="datetime-local" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          <Field id="off-to" label={t("provider.offTo")} type="datetime-local" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </div>
        <Field id="off-reason" label={t("provider.offReason")} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        <button type="submit" disabled={busy || !from || !to}>
          {t("provider.addTimeOff")}
        </button>
      </form>
    </section>
  );
}

/** YYYY-MM-DD of an instant in ``zone``. */
const dayIn = (d: Date, zone: string): string =>
  new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
/** A calendar date moved by ``n`` days (no time zone involved). */
const addDays = (date: string, n: number): string => {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};
const dayTitle = (date: string): string => {
  const [y, m, d] = date.split("-").map(Number);
  return new Intl.DateTimeFormat(locale() === "fr" ? "fr-CA" : "en-CA", { timeZone: "UTC", weekday: "long", month: "long", day: "numeric", year: "numeric" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
};
const timeIn = (iso: string, zone: string): string =>
  new Intl.DateTimeFormat(locale() === "fr" ? "fr-CA" : "en-CA", { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

/** The bookings of a day or a week (Monday first), grouped by day in the business's zone. */
function Bookings({ zone, schedule }: { zone: string; schedule: number }): JSX.Element {
  const [view, setView] = useState<"day" | "week">("week");
  const [anchor, setAnchor] = useState(dayIn(new Date(), zone));
  const [rows, setRows] = useState<ProviderBooking[]>([]);
  const [hours, setHours] = useState<WeeklyHours[]>([]);
  const [absences, setAbsences] = useState<TimeOff[]>([]);
  const [cancelling, setCancelling] = useState<ProviderBooking | null>(null);
  const [reason, setReason] = useState("");
  const [busy, error, run] = useAction();
  const weekday0 = (new Date(`${anchor}T12:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
  const first = view === "day" ? anchor : addDays(anchor, -weekday0);
  const days = Array.from({ length: view === "day" ? 1 : 7 }, (_, i) => addDays(first, i));
  const last = days[days.length - 1];
  const latest = useRef(0);
  const reload = async (): Promise<void> => {
    // only the answer for the period shown now counts (an earlier, slower one is dropped)
    const ticket = ++latest.current;
    const [found, open, away] = await Promise.all([
      bookingsWithCustomers(zonedInstant(first, "00:00", zone).toISOString(), zonedInstant(addDays(last, 1), "00:00", zone).toISOString()),
      weeklyHours(),
      timeOff(),
    ]);
    if (ticket !== latest.current) return;
    setRows(found);
    setHours(open);
    setAbsences(away);
  };
  useEffect(() => run(reload), [first, last, schedule]);
  // live: a booking made, paid, cancelled or moved by anyone re-reads the period shown
  const current = useRef(reload);
  current.current = reload;
  const [live, setLive] = useState<Live>(LIVE_OFF);
  useEffect(() => refreshOnBookings(() => void current.current().catch(() => undefined), setLive), []);
  const mark = (id: string, outcome: "completed" | "no_show"): void =>
    run(async () => {
      await markBooking(id, outcome);
      await reload();
    });
  const cancel = (e: Event): void => {
    e.preventDefault();
    const b = cancelling;
    if (!b || !reason.trim()) return;
    run(async () => {
      await cancelAsProvider(b.id, reason.trim());
      setCancelling(null);
      setReason("");
      await reload();
    });
  };
  const step = view === "day" ? 1 : 7;
  return (
    <section aria-labelledby="bookings-title" class="panel">
      <h2 id="bookings-title">{t("provider.bookings")}</h2>
      <p class="hint">{t("provider.timesIn", { zone })}</p>
      <LiveState live={live} />
      <div class="row calendar-tools">
        <div class="field">
          <label for="bookings-view">{t("provider.view")}</label>
          <select id="bookings-view" value={view} onChange={(e) => setView(e.currentTarget.value === "day" ? "day" : "week")}>
            <option value="day">{t("provider.dayView")}</option>
            <option value="week">{t("provider.weekView")}</option>
          </select>
        </div>
        <Field id="bookings-date" label={t("search.date")} type="date" value={anchor} onInput={(e) => e.currentTarget.value && setAnchor(e.currentTarget.value)} />
        <p class="actions">
          <button type="button" class="secondary small" onClick={() => setAnchor(addDays(anchor, -step))}>
            {t("provider.previous")}
          </button>
          <button type="button" class="secondary small" onClick={() => setAnchor(addDays(anchor, step))}>
            {t("provider.next")}
          </button>
        </p>
      </div>
      <p id="bookings-period" aria-live="polite">
        {view === "day" ? dayTitle(first) : t("provider.period", { from: dayTitle(first), to: dayTitle(last) })}
      </p>
      <ErrorAlert error={error} />
      {cancelling && (
        <form class="panel" onSubmit={cancel} noValidate aria-labelledby="pcancel-title">
          <h3 id="pcancel-title">{t("provider.cancel", { name: cancelling.customer_name ?? "" })}</h3>
          <Field id="pcancel-reason" label={t("provider.cancelReason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <p class="actions">
            <button type="submit" class="danger" disabled={busy || !reason.trim()}>
              {t("provider.cancelYes", { name: cancelling.customer_name ?? "" })}
            </button>
            <button type="button" class="secondary" onClick={() => setCancelling(null)}>
              {t("common.back")}
            </button>
          </p>
        </form>
      )}
      {rows.length === 0 && <p>{t("provider.noBookingsThen")}</p>}
      {days.map((day) => {
        const today = rows.filter((b) => dayIn(new Date(b.starts_at), zone) === day);
        // the day's opening hours (PostgreSQL's dow: 0 = Sunday) and the time off that overlaps it
        const dow = new Date(`${day}T12:00:00Z`).getUTCDay();
        const open = hours.filter((h) => h.day_of_week === dow).map((h) => `${hhmm(h.start_time)}–${hhmm(h.end_time)}`);
        const dayStart = zonedInstant(day, "00:00", zone).getTime();
        const dayEnd = zonedInstant(addDays(day, 1), "00:00", zone).getTime();
        const away = absences.filter((o) => new Date(o.starts_at ?? "").getTime() < dayEnd && new Date(o.ends_at ?? "").getTime() > dayStart);
        return (
          <section key={day} aria-labelledby={`day-${day}`} class="day">
            <h3 id={`day-${day}`}>{dayTitle(day)}</h3>
            <p class="day-hours">{open.length ? t("provider.openHours", { hours: open.join(", ") }) : t("provider.closed")}</p>
            {away.map((o) => (
              <p key={o.id} class="day-away">
                {t("provider.away", { from: when(o.starts_at, zone), to: when(o.ends_at, zone) })}
              </p>
            ))}
            {today.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("history.when")}</th>
                  <th scope="col">{t("provider.customer")}</th>
                  <th scope="col">{t("provider.serviceName")}</th>
                  <th scope="col">{t("history.status")}</th>
                  <th scope="col">{t("history.price")}</th>
                  <th scope="col">{t("provider.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {today.map((b) => (
                  <tr key={b.id} class="provider-booking">
                    <td>
                      {timeIn(b.starts_at, zone)}–{timeIn(b.ends_at, zone)}
                    </td>
                    <td>
                      <span class="customer-name">{b.customer_name}</span>
                      {(b.customer_email || b.customer_phone) && (
                        <>
                          <br />
                          <span class="hint">
                            {t("provider.contact")}: {[b.customer_email, b.customer_phone].filter(Boolean).join(", ")}
                          </span>
                        </>
                      )}
                    </td>
                    <td>{b.service_name}</td>
                    <td>{statusText(b.status)}</td>
                    <td>{money(b.price_cents, b.currency)}</td>
                    <td>
                      <span class="actions">
                        {b.status === "confirmed" && new Date(b.starts_at).getTime() <= Date.now() && (
                          <>
                            <button type="button" class="small" disabled={busy} onClick={() => mark(b.id, "completed")}>
                              {t("provider.markCompleted")}
                            </button>
                            <button type="button" class="secondary small" disabled={busy} onClick={() => mark(b.id, "no_show")}>
                              {t("provider.markNoShow")}
                            </button>
                          </>
                        )}
                        {(b.status === "confirmed" || b.status === "pending_payment") && new Date(b.starts_at).getTime() > Date.now() && (
                          <button
                            type="button"
                            class="secondary small"
                            disabled={busy}
                            onClick={() => {
                              setReason("");
                              setCancelling(b);
                            }}
                          >
                            {t("provider.cancel", { name: b.customer_name ?? "" })}
                          </button>
                        )}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            )}
          </section>
        );
      })}
    </section>
  );
}
