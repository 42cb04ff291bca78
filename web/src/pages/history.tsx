// The customer's bookings, newest first (api.my_bookings).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { myBookings } from "../api/bookings";
import type { Booking } from "../api/types";
import { ErrorAlert, Link } from "../components/ui";
import { money, t, when } from "../i18n";
import { TIME_ZONE } from "../places";
import { statusText } from "./booking";

export function HistoryPage(): JSX.Element {
  const [rows, setRows] = useState<Booking[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    myBookings().then(setRows, setError);
  }, []);
  return (
    <section>
      <h1>{t("history.title")}</h1>
      <ErrorAlert error={error} />
      {rows === null && !error && <p role="status">{t("common.loading")}</p>}
      {rows?.length === 0 && <p>{t("history.none")}</p>}
      {!!rows?.length && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("history.when")}</th>
              <th scope="col">{t("history.status")}</th>
              <th scope="col">{t("history.price")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={b.id}>
                <td>
                  <Link to={`/bookings/${b.id}`}>{when(b.starts_at, TIME_ZONE)}</Link>
                </td>
                <td>{statusText(b.status)}</td>
                <td>{money(b.price_cents, b.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
