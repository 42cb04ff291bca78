// Who is signed in. The access token lives in memory only; the refresh token in
// sessionStorage (this tab, until it closes): docs/decisions.md says why. Tokens are
// rotated silently before the access token expires, one refresh at a time.
import type { Session, User } from "./types";

const REFRESH_KEY = "bookiji.refresh";
type Listener = (user: User | null) => void;

let access: string | null = null;
let user: User | null = null;
let timer: number | undefined;
let inFlight: Promise<boolean> | null = null;
const listeners = new Set<Listener>();

function notify(): void {
  for (const l of listeners) l(user);
}

async function postRefresh(refreshToken: string): Promise<Session | null> {
  const resp = await fetch("/rpc/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
    credentials: "omit",
  }).catch(() => null);
  if (!resp || !resp.ok) return null;
  return (await resp.json()) as Session;
}

export const session = {
  accessToken: (): string | null => access,
  user: (): User | null => user,
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  start(s: Session): void {
    access = s.access_token;
    user = s.user;
    sessionStorage.setItem(REFRESH_KEY, s.refresh_token);
    window.clearTimeout(timer);
    // rotate at 80% of the access token's life
    timer = window.setTimeout(() => void session.refreshNow(), Math.max(5, s.expires_in * 0.8) * 1000);
    notify();
  },
  setUser(u: User): void {
    user = u;
    notify();
  },
  clear(): void {
    access = null;
    user = null;
    sessionStorage.removeItem(REFRESH_KEY);
    window.clearTimeout(timer);
    notify();
  },
  /** Rotate the refresh token now; false (and signed out) when it is no longer valid. */
  refreshNow(): Promise<boolean> {
    if (inFlight) return inFlight;
    const token = sessionStorage.getItem(REFRESH_KEY);
    if (!token) return Promise.resolve(false);
    inFlight = postRefresh(token)
      .then((s) => {
        if (s) session.start(s);
        else session.clear();
        return s !== null;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  },
};
