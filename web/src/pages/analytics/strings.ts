// The analytics page's messages, in the page's language (i18n/analytics-en.ts, -fr.ts).
import { analyticsEn, type AnalyticsKey } from "../../i18n/analytics-en";
import { analyticsFr } from "../../i18n/analytics-fr";
import { locale } from "../../i18n";

export type { AnalyticsKey };

export function at(key: AnalyticsKey, vars: Record<string, string | number> = {}): string {
  const text = (locale() === "fr" ? analyticsFr : analyticsEn)[key] ?? analyticsEn[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ""));
}
