// The language of the page: the user's own (api.me) when signed in, else the last one
// chosen here, else the browser's. Dates, times and money are formatted by Intl.
import { en, type MessageKey } from "./en";
import { fr } from "./fr";
import type { Locale } from "../api/types";
import { ApiError } from "../api/client";

export type { MessageKey };
const catalogues: Record<Locale, Record<MessageKey, string>> = { en, fr };
const STORE = "bookiji.locale";
type Listener = (l: Locale) => void;
const listeners = new Set<Listener>();

function initial(): Locale {
  const stored = localStorage.getItem(STORE);
  if (stored === "en" || stored === "fr") return stored;
  return navigator.language.toLowerCase().startsWith("fr") ? "fr" : "en";
}

let current: Locale = initial();
document.documentElement.lang = current;

export const locale = (): Locale => current;
export function setLocale(l: Locale): void {
  if (l === current) return;
  current = l;
  localStorage.setItem(STORE, l);
  document.documentElement.lang = l;
  for (const fn of listeners) fn(l);
}
export function onLocale(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = catalogues[current][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ""));
}

const tag = (): string => (current === "fr" ? "fr-CA" : "en-CA");

export function money(cents: number | null | undefined, currency: string | null | undefined): string {
  return new Intl.NumberFormat(tag(), { style: "currency", currency: (currency ?? "CAD").toUpperCase() }).format(
    (cents ?? 0) / 100,
  );
}

/** A rate (0.09975) as a percentage in the page's language ("9.975%", "9,975 %"). */
export function percent(rate: number): string {
  return new Intl.NumberFormat(tag(), { style: "percent", maximumFractionDigits: 3 }).format(rate);
}

/** A moment in a named time zone, labelled with the zone ("Wed, Dec 3, 10:00 a.m. EST"). */
export function when(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(tag(), {
    timeZone,
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

export function distance(meters: number | null | undefined): string {
  return new Intl.NumberFormat(tag(), { style: "unit", unit: "kilometer", maximumFractionDigits: 1 }).format(
    (meters ?? 0) / 1000,
  );
}

export function number(n: number, digits = 1): string {
  return new Intl.NumberFormat(tag(), { maximumFractionDigits: digits }).format(n);
}

/** What an invalid_input message adds: the API's own sentence in English; in French the
 *  field it names ("contact_phone must be ...": the column comes first), when known. */
function fieldText(detail: string): string {
  if (current === "en") return ` (${detail})`;
  const column = /^([a-z_]+) /.exec(detail)?.[1];
  const key = `field.${column}` as MessageKey;
  return column && key in en ? ` ${t("error.invalidField", { field: t(key) })}` : "";
}

/** A human sentence for any failure: the registry's code in this language, never raw JSON. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const key = `error.${err.code}` as MessageKey;
    const base = key in en ? t(key) : t(err.status >= 500 ? "error.unavailable" : "error.invalid_input");
    const field = err.code === "invalid_input" && err.detail ? fieldText(err.detail) : "";
    const wait = err.retryAfter !== null ? ` ${t("error.retryIn", { seconds: err.retryAfter })}` : "";
    return base + field + wait;
  }
  return t("error.internal_error");
}

/** A machine code of the API (a status, an event kind, an audit action) in words:
 *  ``prefix + code`` in the catalogue, else "other (code)" so that nothing is hidden. */
export function coded(prefix: string, code: string | null | undefined): string {
  if (!code) return "—";
  const key = `${prefix}${code}` as MessageKey;
  return key in en ? t(key) : t("ops.unknownCode", { code });
}

/** The name of a day of the week, 0 = Sunday (PostgreSQL's dow). */
export function weekday(dow: number): string {
  return new Intl.DateTimeFormat(tag(), { weekday: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2023, 0, 1 + dow)));
}
