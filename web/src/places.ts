// The Montreal neighbourhoods of the demo data (db/seed/__init__.py, NEIGHBOURHOODS) and
// the marketplace's time zone (the seed's TIME_ZONE): where and when a search happens.
export const TIME_ZONE = "America/Toronto";

// `fr`: the French name where it differs.
export const NEIGHBOURHOODS: ReadonlyArray<{ name: string; fr?: string; lat: number; lng: number }> = [
  { name: "Plateau-Mont-Royal", lat: 45.5225, lng: -73.581 },
  { name: "Mile End", lat: 45.5245, lng: -73.599 },
  { name: "Rosemont", lat: 45.544, lng: -73.58 },
  { name: "Petite-Patrie", lat: 45.534, lng: -73.606 },
  { name: "Villeray", lat: 45.544, lng: -73.623 },
  { name: "Hochelaga", lat: 45.544, lng: -73.54 },
  { name: "Verdun", lat: 45.459, lng: -73.571 },
  { name: "Saint-Henri", lat: 45.477, lng: -73.586 },
  { name: "Griffintown", lat: 45.492, lng: -73.56 },
  { name: "Old Montreal", fr: "Vieux-Montréal", lat: 45.5075, lng: -73.5545 },
  { name: "Downtown", fr: "Centre-ville", lat: 45.5017, lng: -73.57 },
  { name: "Côte-des-Neiges", lat: 45.496, lng: -73.624 },
  { name: "Notre-Dame-de-Grâce", lat: 45.473, lng: -73.615 },
  { name: "Outremont", lat: 45.519, lng: -73.608 },
  { name: "Westmount", lat: 45.485, lng: -73.598 },
  { name: "Ahuntsic", lat: 45.556, lng: -73.66 },
  { name: "Little Burgundy", fr: "Petite-Bourgogne", lat: 45.487, lng: -73.573 },
  { name: "Centre-Sud", lat: 45.519, lng: -73.554 },
];

/** The instant of a wall-clock date and time ("2026-12-03", "10:00") in ``zone``. */
export function zonedInstant(date: string, time: string, zone: string): Date {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    }).formatToParts(new Date(guess));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
    const shown = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
    guess += wall - shown;
  }
  return new Date(guess);
}

/** Tomorrow's date in ``zone``, as YYYY-MM-DD. */
export function tomorrow(zone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(Date.now() + 86_400_000),
  );
  return parts;
}

/** The wall-clock date ("2026-12-03") and time ("10:00") of an instant in ``zone``. */
export function zonedParts(iso: string, zone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(iso));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  return { date: `${get("year")}-${get("month")}-${get("day")}`, time: `${get("hour")}:${get("minute")}` };
}

/** The neighbourhood at exactly this point, if any (a search's or a waitlist entry's). */
export function neighbourhoodAt(lat: number, lng: number): { name: string; fr?: string } | undefined {
  return NEIGHBOURHOODS.find((n) => Math.abs(n.lat - lat) < 1e-6 && Math.abs(n.lng - lng) < 1e-6);
}
