// "Tell me when someone is free": shown under a search that found nobody, it joins the
// waitlist (api.join_waitlist) for the searched service near the searched place, within a
// window the customer chooses (Montreal time), starting at the searched time by default.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { joinWaitlist, type WaitlistEntry } from "../api/waitlist";
import { t, when } from "../i18n";
import { TIME_ZONE, zonedInstant } from "../places";
import { ErrorAlert, Field, Link, Notice } from "./ui";

export interface SearchedFor {
  category: string;
  categoryName: string;
  lat: number;
  lng: number;
  radiusKm: number;
  date: string;
  time: string;
}

/** ``time`` plus ``hours`` on ``date``, kept within the day (for the window's default end). */
function later(date: string, time: string, hours: number): { date: string; time: string } {
  const [hh, mm] = time.split(":").map(Number);
  const end = Math.min(hh + hours, 23);
  return { date, time: `${String(end).padStart(2, "0")}:${String(end === hh + hours ? mm : 45).padStart(2, "0")}` };
}

export function WaitlistJoin({ searched }: { searched: SearchedFor }): JSX.Element {
  const until = later(searched.date, searched.time, 4);
  const [fromDate, setFromDate] = useState(searched.date);
  const [fromTime, setFromTime] = useState(searched.time);
  const [toDate, setToDate] = useState(until.date);
  const [toTime, setToTime] = useState(until.time);
  const [joined, setJoined] = useState<WaitlistEntry | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const join = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    joinWaitlist({
      category: searched.category,
      lat: searched.lat,
      lng: searched.lng,
      radius_km: searched.radiusKm,
      starts_at: zonedInstant(fromDate, fromTime, TIME_ZONE).toISOString(),
      ends_at: zonedInstant(toDate, toTime, TIME_ZONE).toISOString(),
    })
      .then(setJoined, setError)
      .finally(() => setBusy(false));
  };

  if (joined) {
    return (
      <section class="panel waitlist-join" aria-labelledby="waitlist-join-title">
        <h3 id="waitlist-join-title">{t("waitlist.joinTitle")}</h3>
        <Notice>
          {t("waitlist.joined", {
            service: searched.categoryName,
            from: when(joined.starts_at, TIME_ZONE),
            to: when(joined.ends_at, TIME_ZONE),
          })}
        </Notice>
        <p>
          <Link to="/waitlist">{t("waitlist.seeMine")}</Link>
        </p>
      </section>
    );
  }
  return (
    <section class="panel waitlist-join" aria-labelledby="waitlist-join-title">
      <h3 id="waitlist-join-title">{t("waitlist.joinTitle")}</h3>
      <p>{t("waitlist.joinIntro", { service: searched.categoryName, km: searched.radiusKm })}</p>
      <form onSubmit={join} noValidate aria-labelledby="waitlist-join-title">
        <div class="row">
          <Field id="waitlist-from-date" label={t("waitlist.fromDate")} type="date" required value={fromDate} onInput={(e) => setFromDate(e.currentTarget.value)} />
          <Field id="waitlist-from-time" label={t("waitlist.fromTime")} hint={t("search.timeZone", { zone: TIME_ZONE })} type="time" step={900} required value={fromTime} onInput={(e) => setFromTime(e.currentTarget.value)} />
        </div>
        <div class="row">
          <Field id="waitlist-to-date" label={t("waitlist.toDate")} type="date" required value={toDate} onInput={(e) => setToDate(e.currentTarget.value)} />
          <Field id="waitlist-to-time" label={t("waitlist.toTime")} hint={t("search.timeZone", { zone: TIME_ZONE })} type="time" step={900} required value={toTime} onInput={(e) => setToTime(e.currentTarget.value)} />
        </div>
        <ErrorAlert error={error} />
        <button type="submit" disabled={busy}>
          {t("waitlist.joinButton")}
        </button>
      </form>
    </section>
  );
}
