-- The analytics rollups (db/functions/80_analytics_rollups.sql): derived rows,
-- written only by the definer triggers. A provider reads its own provider's
-- rows, ops read all; the per-booking facts are read by nobody through the API.
alter table app.analytics_booking_facts enable row level security;
alter table app.analytics_booking_facts force row level security;
alter table app.analytics_provider_hours enable row level security;
alter table app.analytics_provider_hours force row level security;

drop policy if exists select_provider_own on app.analytics_provider_hours;
drop policy if exists select_ops on app.analytics_provider_hours;

revoke all on app.analytics_booking_facts, app.analytics_provider_hours
from public, anon, customer, provider, ops, bookiji_worker;

create policy select_provider_own on app.analytics_provider_hours for select
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy select_provider_own on app.analytics_provider_hours is
'A provider account reads the rollup rows of its own provider only.';

create policy select_ops on app.analytics_provider_hours for select
to ops
using (true);
comment on policy select_ops on app.analytics_provider_hours is 'Ops staff read every provider''s rollup rows.';


-- column grants, as on every app table (no API role holds a table-wide select)
grant select (
    provider_id, hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider,
    cancelled_by_ops, cancelled_by_system, cancelled_late, captured_cents, refunded_cents,
    fees_kept_cents, outstanding_cents
) on app.analytics_provider_hours to provider, ops;
