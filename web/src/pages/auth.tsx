// Sign in, sign up, forgotten password, reset: one question block per page, labels visible.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { confirmEmail, logIn, requestPasswordReset, resetPassword, signUp } from "../api/auth";
import { ErrorAlert, Field, Link, Notice } from "../components/ui";
import { locale, t } from "../i18n";
import { navigate } from "../router";
import type { Role } from "../api/types";

function useSubmit(action: () => Promise<void>): [boolean, unknown, (e: Event) => void] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    action()
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };
  return [busy, error, submit];
}

const landing = (role: Role): string => (role === "provider" ? "/provider" : "/");

function nextPath(): string | null {
  const next = new URLSearchParams(window.location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

export function SignIn(): JSX.Element {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, error, submit] = useSubmit(async () => {
    const s = await logIn(email, password);
    navigate(nextPath() ?? landing(s.user.role), true);
  });
  return (
    <section class="narrow">
      <h1>{t("auth.signInTitle")}</h1>
      {new URLSearchParams(window.location.search).get("deleted") && <Notice>{t("account.deleted")}</Notice>}
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <Field id="signin-email" label={t("auth.email")} type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <Field id="signin-password" label={t("auth.password")} type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          {t("auth.signInButton")}
        </button>
      </form>
      <p>
        <Link to="/forgot-password">{t("auth.forgot")}</Link>
      </p>
      <p>
        {t("auth.noAccount")} <Link to="/signup">{t("nav.signUp")}</Link>
      </p>
    </section>
  );
}

export function SignUp(): JSX.Element {
  const [fullName, setFullName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("customer");
  const [busy, error, submit] = useSubmit(async () => {
    const s = await signUp({ email, password, full_name: fullName, role, locale: locale() });
    navigate(nextPath() ?? landing(s.user.role), true);
  });
  return (
    <section class="narrow">
      <h1>{t("auth.signUpTitle")}</h1>
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <Field id="signup-name" label={t("auth.fullName")} autocomplete="name" required value={fullName} onInput={(e) => setFullName(e.currentTarget.value)} />
        <Field id="signup-email" label={t("auth.email")} type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <Field id="signup-password" label={t("auth.password")} hint={t("auth.passwordHint")} type="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <fieldset>
          <legend>{t("auth.accountType")}</legend>
          {(["customer", "provider"] as const).map((r) => (
            <div class="choice" key={r}>
              <input type="radio" id={`signup-role-${r}`} name="role" value={r} checked={role === r} onChange={() => setRole(r)} />
              <label for={`signup-role-${r}`}>{t(r === "customer" ? "auth.asCustomer" : "auth.asProvider")}</label>
            </div>
          ))}
        </fieldset>
        <button type="submit" disabled={busy}>
          {t("auth.signUpButton")}
        </button>
      </form>
      <p>
        {t("auth.haveAccount")} <Link to="/signin">{t("nav.signIn")}</Link>
      </p>
    </section>
  );
}

export function ForgotPassword(): JSX.Element {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const [busy, error, submit] = useSubmit(async () => {
    await requestPasswordReset(email);
    setSent(true);
  });
  return (
    <section class="narrow">
      <h1>{t("auth.forgotTitle")}</h1>
      <ErrorAlert error={error} />
      {sent ? (
        <Notice>{t("auth.forgotSent", { email })}</Notice>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>{t("auth.forgotIntro")}</p>
          <Field id="forgot-email" label={t("auth.email")} type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {t("auth.forgotButton")}
          </button>
        </form>
      )}
    </section>
  );
}

export function ResetPassword(): JSX.Element {
  const [token, setToken] = useState(new URLSearchParams(window.location.search).get("token") ?? "");
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const [busy, error, submit] = useSubmit(async () => {
    await resetPassword(token.trim(), password);
    setDone(true);
  });
  return (
    <section class="narrow">
      <h1>{t("auth.resetTitle")}</h1>
      <ErrorAlert error={error} />
      {done ? (
        <Notice>
          {t("auth.resetDone")} <Link to="/signin">{t("nav.signIn")}</Link>
        </Notice>
      ) : (
        <form onSubmit={submit} noValidate>
          <Field id="reset-token" label={t("auth.resetCode")} required value={token} autocomplete="one-time-code" onInput={(e) => setToken(e.currentTarget.value)} />
          <Field id="reset-password" label={t("auth.newPassword")} hint={t("auth.passwordHint")} type="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {t("auth.resetButton")}
          </button>
        </form>
      )}
    </section>
  );
}

export function ConfirmEmail(): JSX.Element {
  const [token, setToken] = useState(new URLSearchParams(window.location.search).get("token") ?? "");
  const [done, setDone] = useState(false);
  const [busy, error, submit] = useSubmit(async () => {
    await confirmEmail(token.trim());
    setDone(true);
  });
  return (
    <section class="narrow">
      <h1>{t("auth.confirmTitle")}</h1>
      <ErrorAlert error={error} />
      {done ? (
        <Notice>{t("auth.confirmDone")}</Notice>
      ) : (
        <form onSubmit={submit} noValidate>
          <Field id="confirm-token" label={t("auth.confirmCode")} required value={token} autocomplete="one-time-code" onInput={(e) => setToken(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {t("auth.confirmButton")}
          </button>
        </form>
      )}
    </section>
  );
}
