// The account page (a chunk of its own): notification preferences, the export of
// everything held about the caller, and deleting the account with its password.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { deleteAccount, exportData, type Preference, preferences, setPreference } from "../api/account";
import { session } from "../api/session";
import { ErrorAlert, Field, Link, Notice } from "../components/ui";
import { type MessageKey, t } from "../i18n";
import { navigate } from "../router";

const categoryName = (c: string): string => {
  const key = `account.category.${c}` as MessageKey;
  return t(key) === key ? c : t(key);
};

export function AccountPage(): JSX.Element {
  return (
    <section>
      <h1>{t("account.title")}</h1>
      {session.user()?.role === "customer" && (
        <p>
          <Link to="/bookings">{t("account.history")}</Link>
        </p>
      )}
      <Preferences />
      <Export />
      <Delete />
    </section>
  );
}

function Preferences(): JSX.Element {
  const [rows, setRows] = useState<Preference[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    preferences().then(setRows, setError);
  }, []);
  const change = (p: Preference, email: boolean, sms: boolean): void => {
    // shown at once; the answer (or a refusal) puts the stored preferences back
    setRows(rows.map((r) => (r.category === p.category ? { ...r, email, sms } : r)));
    setBusy(true);
    setError(null);
    setPreference(p.category, email, sms)
      .catch((e: unknown) => setError(e))
      .then(preferences)
      .then(setRows, setError)
      .finally(() => setBusy(false));
  };
  return (
    <section aria-labelledby="prefs-title" class="panel">
      <h2 id="prefs-title">{t("account.notifications")}</h2>
      <ErrorAlert error={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t("account.category")}</th>
            <th scope="col">{t("account.byEmail")}</th>
            <th scope="col">{t("account.bySms")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => {
            const name = categoryName(p.category);
            return (
              <tr key={p.category}>
                <th scope="row">{name}</th>
                <td>
                  <input
                    type="checkbox"
                    id={`pref-${p.category}-email`}
                    aria-label={t("account.emailFor", { category: name })}
                    checked={p.email}
                    disabled={busy || !p.editable}
                    onChange={(e) => change(p, e.currentTarget.checked, p.sms)}
                  />
                </td>
                <td>
                  <input
                    type="checkbox"
                    id={`pref-${p.category}-sms`}
                    aria-label={t("account.smsFor", { category: name })}
                    checked={p.sms}
                    disabled={busy || !p.editable}
                    onChange={(e) => change(p, p.email, e.currentTarget.checked)}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Export(): JSX.Element {
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const download = (): void => {
    setBusy(true);
    setError(null);
    exportData()
      .then((data) => {
        const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = "bookiji-data.json";
        document.body.append(a);
        a.click();
        a.remove();
        window.setTimeout(() => URL.revokeObjectURL(url), 1000);
        setDone(true);
      }, setError)
      .finally(() => setBusy(false));
  };
  return (
    <section aria-labelledby="export-title" class="panel">
      <h2 id="export-title">{t("account.export")}</h2>
      <p>{t("account.exportIntro")}</p>
      <ErrorAlert error={error} />
      {done && <Notice>{t("account.exported")}</Notice>}
      <button type="button" disabled={busy} onClick={download}>
        {t("account.exportButton")}
      </button>
    </section>
  );
}

function Delete(): JSX.Element {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    deleteAccount(password).then(
      () => navigate("/signin?deleted=1", true),
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };
  return (
    <section aria-labelledby="delete-title" class="panel">
      <h2 id="delete-title">{t("account.delete")}</h2>
      <p>{t("account.deleteIntro")}</p>
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <Field id="delete-password" label={t("account.deletePassword")} type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" class="danger" disabled={busy || !password}>
          {t("account.deleteButton")}
        </button>
      </form>
    </section>
  );
}
