// The customer's waitlist (api.my_waitlist): what each entry waits for, where, the window and
// its status in words (waiting, told, left, expired); an entry still waiting can be left
// (api.leave_waitlist). Joining happens on the booking page, under a search that found nobody.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { categories } from "../api/bookings";
import type { Category } from "../api/types";
import { leaveWaitlist, myWaitlist, targetNames, type WaitlistEntry } from "../api/waitlist";
import { ErrorAlert, Link, Notice } from "../components/ui";
import { coded, distance, locale, number, t, when } from "../i18n";
import { neighbourhoodAt, TIME_ZONE } from "../places";

export function WaitlistPage(): JSX.Element {
  const [rows, setRows] = useState<WaitlistEntry[] | null>(null);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [cats, setCats] = useState<Category[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);

  const load = (): Promise<void> =>
    myWaitlist().then(async (entries) => {
      setRows(entries);
      setNames(await targetNames(entries));
    }, setError);
  useEffect(() => {
    void load();
    categories().then(setCats, () => undefined);
  }, []);

  const what = (e: WaitlistEntry): string => {
    if (e.service_id) return names.get(e.service_id) ?? t("waitlist.aService");
    if (e.provider_id) return t("waitlist.anyServiceOf", { provider: names.get(e.provider_id) ?? "" });
    const c = cats.find((x) => x.slug === e.category);
    return (c ? (locale() === "fr" ? c.name_fr : c.name_en) : null) ?? e.category ?? "";
  };
  const where = (e: WaitlistEntry): string => {
    if (e.lat === null || e.lng === null) return e.service_id ? t("waitlist.atProvider") : t("waitlist.anywhere");
    const n = neighbourhoodAt(e.lat, e.lng);
    const place = n ? (locale() === "fr" ? (n.fr ?? n.name) : n.name) : `${number(e.lat, 4)}, ${number(e.lng, 4)}`;
    return t("waitlist.near", { km: distance((e.radius_km ?? 0) * 1000), place });
  };

  const leave = (e: WaitlistEntry): void => {
    setBusy(true);
    setError(null);
    setNote("");
    leaveWaitlist(e.id)
      .then(() => {
        setNote(t("waitlist.left", { what: what(e) }));
        return load();
      }, setError)
      .finally(() => setBusy(false));
  };

  return (
    <section>
      <h1>{t("waitlist.title")}</h1>
      <p>{t("waitlist.intro")}</p>
      <ErrorAlert error={error} />
      {note && <Notice>{note}</Notice>}
      {rows === null && !error && <p role="status">{t("common.loading")}</p>}
      {rows?.length === 0 && (
        <p>
          {t("waitlist.none")} <Link to="/">{t("nav.book")}</Link>
        </p>
      )}
      {!!rows?.length && (
        <table class="waitlist">
          <caption>{t("waitlist.caption", { zone: TIME_ZONE })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("waitlist.what")}</th>
              <th scope="col">{t("waitlist.where")}</th>
              <th scope="col">{t("waitlist.from")}</th>
              <th scope="col">{t("waitlist.until")}</th>
              <th scope="col">{t("waitlist.status")}</th>
              <th scope="col">{t("provider.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id} data-status={e.status}>
                <th scope="row">{what(e)}</th>
                <td>{where(e)}</td>
                <td>{when(e.starts_at, TIME_ZONE)}</td>
                <td>{when(e.ends_at, TIME_ZONE)}</td>
                <td>
                  {coded("waitlist.status.", e.status)}
                  {e.status === "notified" && e.notified_at && (
                    <>
                      <br />
                      <span class="hint">{t("waitlist.notifiedAt", { when: when(e.notified_at, TIME_ZONE) })}</span>
                    </>
                  )}
                </td>
                <td>
                  {e.status === "active" && (
                    <button type="button" class="secondary small" disabled={busy} onClick={() => leave(e)}>
                      {t("waitlist.leave", { what: what(e) })}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
