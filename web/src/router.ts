// A small history router under the app's base (/app/): the path is the state.
import { useEffect, useState } from "preact/hooks";

const BASE = import.meta.env.BASE_URL.replace(/\/$/, "");
const listeners = new Set<() => void>();

export function href(path: string): string {
  return BASE + path;
}

export function currentPath(): string {
  const p = window.location.pathname;
  return (p.startsWith(BASE) ? p.slice(BASE.length) : p) || "/";
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", href(path));
  else history.pushState(null, "", href(path));
  for (const fn of listeners) fn();
}

window.addEventListener("popstate", () => {
  for (const fn of listeners) fn();
});

export function usePath(): string {
  const [path, setPath] = useState(currentPath() + window.location.search);
  useEffect(() => {
    const fn = (): void => setPath(currentPath() + window.location.search);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return path;
}

/** Follow same-app links without reloading the page. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as HTMLElement).closest("a");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith(BASE + "/")) return;
  e.preventDefault();
  navigate(url.pathname.slice(BASE.length) + url.search);
}
