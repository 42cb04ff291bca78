// The ops console's ranking page: every version of the quote's ranking, newest first, with its
// weights, its offline metrics against the version it was evaluated with (held-out
// log-likelihood and NDCG@5) and which one ranks the quotes now; activate one (a trained
// version that beat the active one) or roll back to an earlier one, with a reason and after a
// confirmation step. The database decides what may be activated: its 409 is shown in words.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { activateRankingVersion, type RankingMetrics, rankingVersions, type RankingVersion } from "../api/ranking";
import { ApiError } from "../api/client";
import { ErrorAlert, Field, Notice, useFocusWhenDrawn } from "../components/ui";
import { coded, locale, number, t } from "../i18n";
import { TIME_ZONE } from "../places";

const day = (iso: string): string => new Intl.DateTimeFormat(locale() === "fr" ? "fr-CA" : "en-CA", { timeZone: TIME_ZONE, dateStyle: "medium" }).format(new Date(iso));

const WEIGHTS = ["distance", "rating", "price", "reliability", "personal"] as const;

const figure = (n: number | null | undefined, digits = 3): string => (n === null || n === undefined ? "—" : number(n, digits));

function metric(m: RankingMetrics | null | undefined): string {
  if (!m) return "—";
  return t("ranking.metricValue", { ll: figure(m.log_likelihood), ndcg: figure(m.ndcg_at_5) });
}

export function RankingPage(): JSX.Element {
  const [rows, setRows] = useState<RankingVersion[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [chosen, setChosen] = useState<RankingVersion | null>(null);
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<number | null>(null);

  const load = (): Promise<void> => rankingVersions().then(setRows, setError);
  useEffect(() => void load(), []);
  useFocusWhenDrawn("ranking-reason", chosen);
  const active = rows?.find((v) => v.is_active) ?? null;
  /** Going back to a version that ranked the quotes before the active one. */
  const isRollback = (v: RankingVersion): boolean => !!active && v.version < active.version && !!v.activated_at;
  const actionText = (v: RankingVersion): string =>
    isRollback(v) ? t("ranking.rollbackTo", { version: v.version }) : t("ranking.activate", { version: v.version });

  const choose = (v: RankingVersion): void => {
    setChosen(v);
    setReason("");
    setConfirming(false);
    setNote("");
    setError(null);
    setRefused(null);
  };
  const submit = (e: Event): void => {
    e.preventDefault();
    if (!chosen) return;
    if (!confirming) {
      setConfirming(true);
      return;
    }
    setBusy(true);
    setError(null);
    setRefused(null);
    activateRankingVersion(chosen.version, reason.trim())
      .then(
        () => {
          setNote(t("ranking.activated", { version: chosen.version }));
          setChosen(null);
          return load();
        },
        (e: unknown) => {
          // 409: the database found it did not beat the active version offline
          if (e instanceof ApiError && e.status === 409) setRefused(chosen.version);
          else setError(e);
        },
      )
      .finally(() => {
        setBusy(false);
        setConfirming(false);
      });
  };

  return (
    <section aria-labelledby="ranking-title">
      <h1 id="ranking-title">{t("ranking.title")}</h1>
      <p>{t("ranking.intro")}</p>
      {active && <p class="ranking-active">{t("ranking.activeNow", { version: active.version })}</p>}
      <ErrorAlert error={error} />
      {refused !== null && (
        <div class="alert error" role="alert">
          {t("ranking.notBetter", { version: refused, active: active?.version ?? "—" })}
        </div>
      )}
      {note && <Notice>{note}</Notice>}
      {chosen && (
        <form class="panel" onSubmit={submit} noValidate aria-labelledby="ranking-form-title">
          <h2 id="ranking-form-title">{isRollback(chosen) ? t("ranking.rollbackTitle", { version: chosen.version }) : t("ranking.activateTitle", { version: chosen.version })}</h2>
          <Field id="ranking-reason" label={t("ops.reason")} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          {confirming && (
            <p id="ranking-confirm" class="alert info">
              {t("ranking.confirm", { version: chosen.version, active: active?.version ?? "—" })}
            </p>
          )}
          <p class="actions">
            <button type="submit" disabled={busy}>
              {confirming ? t("ranking.confirmYes", { version: chosen.version }) : actionText(chosen)}
            </button>
            <button type="button" class="secondary" onClick={() => setChosen(null)}>
              {t("common.back")}
            </button>
          </p>
        </form>
      )}
      {rows === null && !error && <p role="status">{t("common.loading")}</p>}
      {!!rows?.length && (
        <table class="ranking-versions">
          <caption>{t("ranking.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("ranking.version")}</th>
              <th scope="col">{t("ranking.state")}</th>
              <th scope="col">{t("ranking.source")}</th>
              {WEIGHTS.map((w) => (
                <th scope="col" key={w}>
                  {t(`ranking.weight.${w}`)}
                </th>
              ))}
              <th scope="col">{t("ranking.candidate")}</th>
              <th scope="col">{t("ranking.baseline")}</th>
              <th scope="col">{t("ranking.created")}</th>
              <th scope="col">{t("provider.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((v) => (
              <tr key={v.version} data-version={v.version} data-active={v.is_active ? "yes" : "no"}>
                <th scope="row">{v.version}</th>
                <td>{v.is_active ? t("ranking.isActive") : v.activated_at ? t("ranking.wasActive") : t("ranking.neverActive")}</td>
                <td>{coded("ranking.sourceName.", v.source)}</td>
                {WEIGHTS.map((w) => (
                  <td class="num" key={w}>
                    {figure(v.weights[w])}
                  </td>
                ))}
                <td>{metric(v.metrics?.candidate)}</td>
                <td>
                  {metric(v.metrics?.baseline)}
                  {v.metrics?.baseline_version !== undefined && v.metrics?.baseline_version !== null && (
                    <>
                      <br />
                      <span class="hint">{t("ranking.against", { version: v.metrics.baseline_version })}</span>
                    </>
                  )}
                </td>
                <td>{day(v.created_at)}</td>
                <td>
                  {!v.is_active && (
                    <button type="button" class="secondary small" disabled={busy} onClick={() => choose(v)}>
                      {actionText(v)}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
