// The live stream (/realtime, docs/realtime.md): auth with the access token, subscribe to
// the bookings channel, resume with `after` on reconnect, re-auth when the token rotates.
import { config } from "./config";
import { session } from "./api/session";

export interface LiveEvent {
  id: number;
  event: string;
  channel: string;
  data: { booking_id?: string | null; payload?: Record<string, unknown> | null };
}
type Handler = (e: LiveEvent) => void;

export function followBookings(onEvent: Handler, onReady?: () => void): () => void {
  let ws: WebSocket | null = null;
  let last: number | undefined;
  let closed = false;
  let retry = 500;
  let timer: number | undefined;

  const open = (): void => {
    const token = session.accessToken();
    if (closed || !token) return;
    const url = new URL(config().realtime_path, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(url);
    let subscribed = false; // a re-auth (rotated token) answers "ready" again
    ws.onopen = () => ws?.send(JSON.stringify({ type: "auth", token: session.accessToken() }));
    ws.onmessage = (msg) => {
      const frame = JSON.parse(String(msg.data)) as { type: string; code?: string } & LiveEvent;
      if (frame.type === "ready" && !subscribed) {
        retry = 500;
        subscribed = true;
        ws?.send(JSON.stringify({ type: "subscribe", channel: "bookings", ...(last ? { after: last } : {}) }));
      } else if (frame.type === "subscribed") {
        onReady?.();
      } else if (frame.type === "event") {
        last = frame.id;
        onEvent(frame);
      } else if (frame.type === "error" && frame.code === "resume_window_passed") {
        last = undefined;
        onReady?.(); // the caller re-reads the state
      }
    };
    ws.onclose = () => {
      ws = null;
      if (closed) return;
      timer = window.setTimeout(open, retry);
      retry = Math.min(retry * 2, 15000);
    };
  };
  // a rotated token: authenticate the open stream again before the old one expires
  const unsubscribe = session.subscribe(() => {
    const token = session.accessToken();
    if (ws && ws.readyState === WebSocket.OPEN && token) ws.send(JSON.stringify({ type: "auth", token }));
  });
  open();
  return () => {
    closed = true;
    unsubscribe();
    window.clearTimeout(timer);
    ws?.close();
  };
}

/** Whether a page follows the stream, and how many live refreshes it has shown. */
export interface Live {
  on: boolean;
  changes: number;
}
export const LIVE_OFF: Live = { on: false, changes: 0 };

/** Follow the bookings channel and call ``refresh`` once per burst of events (a confirm
 *  writes two or three at once), and when the stream is (re)subscribed: a page that shows
 *  bookings re-reads them over HTTP instead of patching rows from the event's payload.
 *  ``wanted`` picks the events that concern the page (all by default); ``onLive`` hears
 *  the stream's state and each refresh an event caused. Returns the stop. */
export function refreshOnBookings(refresh: () => void, onLive: (live: Live) => void, wanted: (e: LiveEvent) => boolean = () => true): () => void {
  let timer: number | undefined;
  const state: Live = { on: false, changes: 0 };
  let changed = false;
  const soon = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      refresh();
      if (changed) {
        changed = false;
        state.changes += 1;
        onLive({ ...state });
      }
    }, 150);
  };
  const stop = followBookings(
    (e) => {
      if (!wanted(e)) return;
      changed = true;
      soon();
    },
    () => {
      state.on = true;
      onLive({ ...state });
      soon();
    },
  );
  return () => {
    window.clearTimeout(timer);
    stop();
  };
}
