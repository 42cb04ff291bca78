// Start: read the runtime configuration, resume the tab's session (refresh token), render.
import { render } from "preact";
import { me } from "./api/auth";
import { session } from "./api/session";
import type { User } from "./api/types";
import { App } from "./App";
import { loadConfig } from "./config";
import { setLocale } from "./i18n";
import "./styles.css";

async function start(): Promise<void> {
  await loadConfig();
  if (await session.refreshNow()) {
    const user = await me().catch(() => null);
    if (user) session.setUser(user);
  }
  // the user's own language, once per sign-in (a switch on the page wins afterwards)
  let seen: string | null = null;
  const follow = (u: User | null): void => {
    if (u && u.id !== seen && u.locale) setLocale(u.locale);
    seen = u?.id ?? null;
  };
  session.subscribe(follow);
  follow(session.user());
  render(<App />, document.getElementById("root") as HTMLElement);
}

void start();
