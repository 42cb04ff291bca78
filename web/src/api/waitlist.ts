// The customer's waitlist (api.join_waitlist, api.my_waitlist, api.leave_waitlist) and what the
// waitlist_opening email's link needs to find the freed slot again (the public services and
// providers views).
import { call } from "./client";

/** A waitlist entry as the API returns it (the OpenAPI document types it as any JSON). */
export interface WaitlistEntry {
  id: string;
  service_id: string | null;
  provider_id: string | null;
  category: string | null;
  lat: number | null;
  lng: number | null;
  radius_km: number | null;
  starts_at: string;
  ends_at: string;
  status: "active" | "notified" | "cancelled" | "expired";
  notified_at: string | null;
  created_at: string;
}

export interface JoinByCategory {
  category: string;
  lat: number;
  lng: number;
  radius_km: number;
  starts_at: string;
  ends_at: string;
}

export const joinWaitlist = (body: JoinByCategory): Promise<WaitlistEntry> =>
  call<WaitlistEntry>("/rpc/join_waitlist", { method: "POST", body });

export const myWaitlist = (): Promise<WaitlistEntry[]> => call<WaitlistEntry[]>("/rpc/my_waitlist", { query: { limit: "100" } });

export const leaveWaitlist = (id: string): Promise<WaitlistEntry> =>
  call<WaitlistEntry>("/rpc/leave_waitlist", { method: "POST", body: { entry_id: id } });

/** A public service with its provider's name and place (two anonymous catalog reads). */
export interface OpenedService {
  id: string;
  name: string;
  category: string;
  provider_id: string;
  provider_name: string;
  lat: number;
  lng: number;
}

interface ServiceRow {
  id: string;
  name: string;
  category: string;
  provider_id: string;
}
interface ProviderRow {
  id: string;
  business_name: string;
  lat: number;
  lng: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function openedService(id: string): Promise<OpenedService | null> {
  if (!UUID.test(id)) return null;
  const services = await call<ServiceRow[]>("/services", {
    query: { id: `eq.${id}`, select: "id,name,category,provider_id" },
    anonymous: true,
  });
  const s = services[0];
  if (!s) return null;
  const providers = await call<ProviderRow[]>("/providers", {
    query: { id: `eq.${s.provider_id}`, select: "id,business_name,lat,lng" },
    anonymous: true,
  });
  const p = providers[0];
  if (!p) return null;
  return { ...s, provider_name: p.business_name, lat: p.lat, lng: p.lng };
}

/** The names of services and providers an entry may target (public views), by id. */
export async function targetNames(entries: WaitlistEntry[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const services = [...new Set(entries.map((e) => e.service_id).filter((x): x is string => !!x))];
  const providers = [...new Set(entries.map((e) => e.provider_id).filter((x): x is string => !!x))];
  if (services.length) {
    const rows = await call<{ id: string; name: string }[]>("/services", {
      query: { id: `in.(${services.join(",")})`, select: "id,name" },
      anonymous: true,
    });
    for (const r of rows) names.set(r.id, r.name);
  }
  if (providers.length) {
    const rows = await call<{ id: string; business_name: string }[]>("/providers", {
      query: { id: `in.(${providers.join(",")})`, select: "id,business_name" },
      anonymous: true,
    });
    for (const r of rows) names.set(r.id, r.business_name);
  }
  return names;
}
