// The runtime configuration nginx serves at /app/config.json (bookiji/gateway.py): one
// build for every environment.
export interface AppConfig {
  realtime_path: string;
  stripe_js_url: string;
  stripe_publishable_key: string;
}

let loaded: AppConfig | null = null;

export async function loadConfig(): Promise<AppConfig> {
  const resp = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-store" });
  if (!resp.ok) throw new Error(`config.json: ${resp.status}`);
  loaded = (await resp.json()) as AppConfig;
  return loaded;
}

export function config(): AppConfig {
  if (!loaded) throw new Error("configuration not loaded");
  return loaded;
}
