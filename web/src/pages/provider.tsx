// The provider's business: profile and services (more screens follow, docs/web.md).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { myProvider, myServices } from "../api/provider";
import type { ProviderProfile, Service } from "../api/types";
import { ErrorAlert } from "../components/ui";
import { money, t } from "../i18n";

export function ProviderPage(): JSX.Element {
  const [profile, setProfile] = useState<ProviderProfile | null | undefined>(undefined);
  const [services, setServices] = useState<Service[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    myProvider().then((rows) => setProfile(rows[0] ?? null), setError);
    myServices().then(setServices, setError);
  }, []);
  return (
    <section>
      <h1>{t("provider.title")}</h1>
      <ErrorAlert error={error} />
      {profile === undefined && !error && <p role="status">{t("common.loading")}</p>}
      {profile === null && <p>{t("provider.none")}</p>}
      {profile && <p class="lead">{profile.business_name}</p>}
      <h2>{t("provider.services")}</h2>
      {services.length === 0 ? (
        <p>{t("provider.noServices")}</p>
      ) : (
        <ul>
          {services.map((s) => (
            <li key={s.id}>
              {s.name}: {money(s.price_cents, s.currency)}, {t("provider.duration", { minutes: s.duration_minutes ?? 0 })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
