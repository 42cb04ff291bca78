// The shell: skip link, header with navigation and the language switch, the routed page.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { logOut, saveLocale } from "./api/auth";
import { session } from "./api/session";
import type { Locale, User } from "./api/types";
import { Link } from "./components/ui";
import { locale, onLocale, setLocale, t } from "./i18n";
import { BookingPage } from "./pages/booking";
import { ConfirmEmail, ForgotPassword, ResetPassword, SignIn, SignUp } from "./pages/auth";
import { HistoryPage } from "./pages/history";
import { SearchPage } from "./pages/search";
import { href, navigate, onLinkClick, usePath } from "./router";

function NotFound(): JSX.Element {
  return (
    <section>
      <h1>{t("notFound.title")}</h1>
      <p>{t("notFound.body")}</p>
      <p>
        <Link to="/">{t("notFound.home")}</Link>
      </p>
    </section>
  );
}

/** The provider's dashboard, a chunk of its own: customers never download it. */
function ProviderPage(): JSX.Element {
  const [Page, setPage] = useState<(() => JSX.Element) | null>(null);
  useEffect(() => {
    void import("./pages/provider").then((m) => setPage(() => m.ProviderPage));
  }, []);
  return Page ? <Page /> : <p role="status">{t("common.loading")}</p>;
}

/** The provider's payouts (Stripe onboarding, statement), a chunk of its own. */
function PayoutsPage({ onboarding }: { onboarding: string | null }): JSX.Element {
  const [Page, setPage] = useState<((p: { onboarding: string | null }) => JSX.Element) | null>(null);
  useEffect(() => {
    void import("./pages/payouts").then((m) => setPage(() => m.PayoutsPage));
  }, []);
  return Page ? <Page onboarding={onboarding} /> : <p role="status">{t("common.loading")}</p>;
}

/** Analytics (ops and providers), a chunk of its own: no other page downloads it. */
function AnalyticsPage({ user }: { user: User }): JSX.Element {
  const [Page, setPage] = useState<((p: { user: User }) => JSX.Element) | null>(null);
  useEffect(() => {
    if (user.role !== "customer") void import("./pages/analytics/analytics").then((m) => setPage(() => m.AnalyticsPage));
  }, [user.role]);
  if (user.role === "customer") {
    return (
      <section>
        <h1>{t("analytics.notAllowedTitle")}</h1>
        <p role="alert">{t("analytics.notAllowedBody")}</p>
        <p>
          <Link to="/">{t("notFound.home")}</Link>
        </p>
      </section>
    );
  }
  return Page ? <Page user={user} /> : <p role="status">{t("common.loading")}</p>;
}

/** The ops console, a chunk of its own (only ops staff need it; the API refuses anyone else). */
function OpsPage({ path }: { path: string }): JSX.Element {
  const [Page, setPage] = useState<((p: { path: string }) => JSX.Element) | null>(null);
  useEffect(() => {
    void import("./pages/ops").then((m) => setPage(() => m.OpsPage));
  }, []);
  return Page ? <Page path={path} /> : <p role="status">{t("common.loading")}</p>;
}

/** The customer's waitlist, a chunk of its own. */
function WaitlistPage(): JSX.Element {
  const [Page, setPage] = useState<(() => JSX.Element) | null>(null);
  useEffect(() => {
    void import("./pages/waitlist").then((m) => setPage(() => m.WaitlistPage));
  }, []);
  return Page ? <Page /> : <p role="status">{t("common.loading")}</p>;
}

/** The provider's pricing suggestions, a chunk of its own. */
function PricingPage(): JSX.Element {
  const [Page, setPage] = useState<(() => JSX.Element) | null>(null);
  useEffect(() => {
    void import("./pages/pricing").then((m) => setPage(() => m.PricingPage));
  }, []);
  return Page ? <Page /> : <p role="status">{t("common.loading")}</p>;
}

/** The account page (preferences, export, deletion), a chunk of its own. */
function AccountPage(): JSX.Element {
  const [Page, setPage] = useState<(() => JSX.Element) | null>(null);
  useEffect(() => {
    void import("./pages/account").then((m) => setPage(() => m.AccountPage));
  }, []);
  return Page ? <Page /> : <p role="status">{t("common.loading")}</p>;
}

const PUBLIC = new Set(["/signin", "/signup", "/forgot-password", "/reset-password", "/confirm-email"]);

function route(path: string, user: User | null): JSX.Element {
  const bare = path.split("?")[0];
  if (!user && !PUBLIC.has(bare)) {
    // sign in here, then come back: the address says where (idempotent, no re-render)
    history.replaceState(null, "", href(`/signin?next=${encodeURIComponent(path)}`));
    return <SignIn />;
  }
  const booking = /^\/bookings\/([^/]+)$/.exec(bare);
  if (booking) return <BookingPage id={booking[1]} />;
  if (bare === "/ops" || bare.startsWith("/ops/")) return <OpsPage path={bare} />;
  switch (bare) {
    case "/":
      if (user?.role === "ops") return <OpsPage path="/ops" />;
      return user?.role === "provider" ? <ProviderPage /> : <SearchPage />;
    case "/signin":
      return <SignIn />;
    case "/signup":
      return <SignUp />;
    case "/forgot-password":
      return <ForgotPassword />;
    case "/reset-password":
      return <ResetPassword />;
    case "/confirm-email":
      return <ConfirmEmail />;
    case "/bookings":
      return <HistoryPage payBalance={new URLSearchParams(path.split("?")[1] ?? "").get("pay_balance")} />;
    case "/provider":
      return <ProviderPage />;
    case "/provider/pricing":
      return <PricingPage />;
    case "/waitlist":
      return <WaitlistPage />;
    case "/provider/payouts":
      return <PayoutsPage onboarding={new URLSearchParams(path.split("?")[1] ?? "").get("onboarding")} />;
    case "/analytics":
      return user ? <AnalyticsPage user={user} /> : <NotFound />;
    case "/account":
      return <AccountPage />;
    default:
      return <NotFound />;
  }
}

export function App(): JSX.Element {
  const path = usePath();
  const [user, setUser] = useState<User | null>(session.user());
  const [, setLang] = useState(locale());
  const main = useRef<HTMLElement>(null);
  useEffect(() => session.subscribe(setUser), []);
  useEffect(() => onLocale(setLang), []);
  useEffect(() => {
    // a new page: move focus to its content, as a page load would
    main.current?.focus();
    document.title = `${main.current?.querySelector("h1")?.textContent ?? ""} · ${t("app.name")}`;
  }, [path]);

  const changeLanguage = (l: Locale): void => {
    setLocale(l);
    // signed in: the profile keeps it, so emails and the next sign-in follow
    if (user) void saveLocale(l).catch(() => undefined);
  };

  const signOut = (): void => {
    void logOut().finally(() => navigate("/signin"));
  };

  return (
    <div onClick={onLinkClick}>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <header>
        <Link to="/" class="brand">
          {t("app.name")}
        </Link>
        <nav aria-label={t("nav.main")}>
          <ul>
            {user?.role === "customer" && (
              <>
                <li>
                  <Link to="/">{t("nav.book")}</Link>
                </li>
                <li>
                  <Link to="/bookings">{t("nav.bookings")}</Link>
                </li>
                <li>
                  <Link to="/waitlist">{t("nav.waitlist")}</Link>
                </li>
              </>
            )}
            {user?.role === "provider" && (
              <>
                <li>
                  <Link to="/provider">{t("nav.provider")}</Link>
                </li>
                <li>
                  <Link to="/provider/pricing">{t("nav.pricing")}</Link>
                </li>
                <li>
                  <Link to="/provider/payouts">{t("nav.payouts")}</Link>
                </li>
              </>
            )}
            {(user?.role === "provider" || user?.role === "ops") && (
              <li>
                <Link to="/analytics">{t("nav.analytics")}</Link>
              </li>
            )}
            {user?.role === "ops" && (
              <li>
                <Link to="/ops">{t("nav.ops")}</Link>
              </li>
            )}
            {(user?.role === "customer" || user?.role === "provider") && (
              <li>
                <Link to="/account">{t("nav.account")}</Link>
              </li>
            )}
            {!user && (
              <>
                <li>
                  <Link to="/signin">{t("nav.signIn")}</Link>
                </li>
                <li>
                  <Link to="/signup">{t("nav.signUp")}</Link>
                </li>
              </>
            )}
          </ul>
        </nav>
        <div class="tools">
          {user && <span class="who">{t("nav.signedInAs", { name: user.full_name })}</span>}
          <label for="language">{t("nav.language")}</label>
          <select id="language" value={locale()} onChange={(e) => changeLanguage(e.currentTarget.value === "fr" ? "fr" : "en")}>
            <option value="en" lang="en">
              English
            </option>
            <option value="fr" lang="fr">
              Français
            </option>
          </select>
          {user && (
            <button type="button" class="secondary" onClick={signOut}>
              {t("nav.signOut")}
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        {route(path, user)}
      </main>
    </div>
  );
}
