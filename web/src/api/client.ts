// One fetch wrapper for the whole app: the API is the page's own origin (nginx in front of
// PostgREST), the access token is added from memory, an expired one is refreshed once,
// and every refusal becomes an ApiError carrying the registry's machine code.
import type { ApiErrorBody } from "./types";
import { session } from "./session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly retryAfter: number | null,
  ) {
    super(code);
  }
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface CallOptions {
  method?: Method;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  anonymous?: boolean;
  single?: boolean;
}

function errorCode(status: number, body: Partial<ApiErrorBody> | null): string {
  if (body?.hint && /^[a-z_]+$/.test(body.hint)) return body.hint;
  if (status === 429) return "rate_limited";
  if (status === 401) return "not_authenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status >= 500) return "unavailable";
  return "invalid_input";
}

async function toError(resp: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> | null = null;
  try {
    body = (await resp.json()) as Partial<ApiErrorBody>;
  } catch {
    body = null;
  }
  const retry = resp.headers.get("Retry-After");
  return new ApiError(
    resp.status,
    errorCode(resp.status, body),
    body?.message ?? "",
    retry !== null && /^\d+$/.test(retry) ? Number(retry) : null,
  );
}

export async function call<T>(path: string, options: CallOptions = {}, retried = false): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (options.single) headers.Accept = "application/vnd.pgrst.object+json";
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const token = options.anonymous ? null : session.accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp: Response;
  try {
    resp = await fetch(url, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "omit",
    });
  } catch {
    throw new ApiError(0, "network_error", "", null);
  }
  if (resp.status === 401 && token && !retried && (await session.refreshNow())) {
    return call<T>(path, options, true);
  }
  if (!resp.ok) throw await toError(resp);
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  return (text ? JSON.parse(text) : null) as T;
}
