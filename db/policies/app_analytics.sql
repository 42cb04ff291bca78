-- The analytics rollups (db/functions/80_analytics_rollups.sql): derived rows,
-- written only by the definer triggers. A provider reads its own provider's
-- rows, ops read all; the per-booking facts are read by nobody through the API.
alter table app.analytics_booking_facts enable row level security;
alter table app.analytics_booking_facts force row level security;
alter table app.analytics_provider_hours enable row level security;
alter table app.analytics_provider_hours force row level security;
-- the rollups across providers and their deltas: read by the invoker functions as ops only
alter table app.analytics_deltas enable row level security;
alter table app.analytics_deltas force row level security;
alter table app.analytics_hours enable row level security;
alter table app.analytics_hours force row level security;
alter table app.analytics_days enable row level security;
alter table app.analytics_days force row level security;
alter table app.analytics_created_hours enable row level security;
alter table app.analytics_created_hours force row level security;

drop policy if exists select_provider_own on app.analytics_provider_hours;
drop policy if exists select_ops on app.analytics_provider_hours;
drop policy if exists select_ops on app.analytics_deltas;
drop policy if exists select_ops on app.analytics_hours;
drop policy if exists select_ops on app.analytics_days;
drop policy if exists select_ops on app.analytics_created_hours;

revoke all on app.analytics_booking_facts, app.analytics_provider_hours, app.analytics_deltas,
app.analytics_hours, app.analytics_days, app.analytics_created_hours
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
    fees_kept_cents, outstanding_cents, gst_cents, qst_cents
) on app.analytics_provider_hours to provider, ops;

create policy select_ops on app.analytics_deltas for select
to ops
using (true);
comment on policy select_ops on app.analytics_deltas is 'Ops staff read the deltas across providers (the overview).';
create policy select_ops on app.analytics_hours for select
to ops
using (true);
comment on policy select_ops on app.analytics_hours is 'Ops staff read the hourly rollup across providers (the overview).';
create policy select_ops on app.analytics_days for select
to ops
using (true);
comment on policy select_ops on app.analytics_days is 'Ops staff read the daily rollup across providers (the overview).';
create policy select_ops on app.analytics_created_hours for select
to ops
using (true);
comment on policy select_ops on app.analytics_created_hours is
'Ops staff read the rollup across providers by the hour bookings were made (today''s counters).';

-- across providers: no provider column, no provider reads them
grant select (
    hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer,
    cancelled_by_provider, cancelled_by_ops, cancelled_by_system, cancelled_late, captured_cents, refunded_cents,
    fees_kept_cents, outstanding_cents, gst_cents, qst_cents
) on app.analytics_deltas, app.analytics_hours to ops;
grant select (
    day, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer,
    cancelled_by_provider, cancelled_by_ops, cancelled_by_system, cancelled_late, captured_cents, refunded_cents,
    fees_kept_cents, outstanding_cents, gst_cents, qst_cents
) on app.analytics_days to ops;
grant select (hour, status, bookings, booked_cents, captured_cents) on app.analytics_created_hours to ops;
grant select (created_hour) on app.analytics_deltas to ops;

-- The offered time per provider and local day (performance's utilisation) and its window:
-- derived rows, written only by the definer triggers and the worker's advance. A provider
-- reads its own provider's days, ops all; the window is read by both (one row, no figure).
alter table app.analytics_offered_days enable row level security;
alter table app.analytics_offered_days force row level security;
alter table app.analytics_offered_window enable row level security;
alter table app.analytics_offered_window force row level security;

drop policy if exists select_provider_own on app.analytics_offered_days;
drop policy if exists select_ops on app.analytics_offered_days;
drop policy if exists select_analytics on app.analytics_offered_window;

revoke all on app.analytics_offered_days, app.analytics_offered_window
from public, anon, customer, provider, ops, bookiji_worker;

create policy select_provider_own on app.analytics_offered_days for select
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy select_provider_own on app.analytics_offered_days is
'A provider account reads the offered days of its own provider only.';

create policy select_ops on app.analytics_offered_days for select
to ops
using (true);
comment on policy select_ops on app.analytics_offered_days is 'Ops staff read every provider''s offered days.';

create policy select_analytics on app.analytics_offered_window for select
to provider, ops
using (true);
comment on policy select_analytics on app.analytics_offered_window is
'Providers and ops read which days are kept (the same row for everyone, no figure in it).';

grant select (provider_id, day, offered, offered_seconds) on app.analytics_offered_days to provider, ops;
grant select (first_day, last_day) on app.analytics_offered_window to provider, ops;

-- The customers' cohort weeks and the providers' places (81_analytics_audience.sql): derived
-- rows, written only by the definer triggers and the rebuild, read only by the definer
-- functions behind api.analytics_cohorts and api.analytics_areas (ops, checked first). No API
-- role reads them: no policy, no grant.
alter table app.analytics_customer_weeks enable row level security;
alter table app.analytics_customer_weeks force row level security;
alter table app.analytics_provider_places enable row level security;
alter table app.analytics_provider_places force row level security;

revoke all on app.analytics_customer_weeks, app.analytics_provider_places
from public, anon, customer, provider, ops, bookiji_worker;

-- The providers' places per category (81_analytics_audience.sql): derived rows, written only by
-- the definer triggers and the rebuild, read only by the definer internal.analytics_peer_ranks
-- (the provider itself or ops, checked first). No API role reads them: no policy, no grant.
alter table app.analytics_peer_places enable row level security;
alter table app.analytics_peer_places force row level security;
revoke all on app.analytics_peer_places from public, anon, customer, provider, ops, bookiji_worker;

-- The rollups per area (81_analytics_audience.sql, folded in 80): read only by the definer
-- internal.analytics_area_figures behind api.analytics_areas (ops, checked first); written only
-- by the definer compaction, move and rebuild. No API role reads them: no policy, no grant.
alter table app.analytics_area_hours enable row level security;
alter table app.analytics_area_hours force row level security;
alter table app.analytics_area_days enable row level security;
alter table app.analytics_area_days force row level security;
alter table app.analytics_area_weeks enable row level security;
alter table app.analytics_area_weeks force row level security;

revoke all on app.analytics_area_hours, app.analytics_area_days, app.analytics_area_weeks
from public, anon, customer, provider, ops, bookiji_worker;

-- The funnel's rollups (84_analytics_behaviour.sql): derived rows, written only by the definer
-- triggers on quotes and bookings, the compaction and the rebuild. Ops read them through
-- api.analytics_funnel (an invoker function, as ops read the quotes and bookings themselves).
alter table app.analytics_quote_hours enable row level security;
alter table app.analytics_quote_hours force row level security;
alter table app.analytics_quote_deltas enable row level security;
alter table app.analytics_quote_deltas force row level security;
alter table app.analytics_quote_bookings enable row level security;
alter table app.analytics_quote_bookings force row level security;

drop policy if exists select_ops on app.analytics_quote_hours;
drop policy if exists select_ops on app.analytics_quote_deltas;
drop policy if exists select_ops on app.analytics_quote_bookings;

revoke all on app.analytics_quote_hours, app.analytics_quote_deltas, app.analytics_quote_bookings
from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.analytics_quote_hours for select
to ops
using (true);
comment on policy select_ops on app.analytics_quote_hours is
'Ops staff read the quotes per hour and category (the funnel).';
create policy select_ops on app.analytics_quote_deltas for select
to ops
using (true);
comment on policy select_ops on app.analytics_quote_deltas is
'Ops staff read the quotes not folded yet (the funnel).';
create policy select_ops on app.analytics_quote_bookings for select
to ops
using (true);
comment on policy select_ops on app.analytics_quote_bookings is
'Ops staff read each quote''s first booking (the funnel).';

grant select (hour, category_id, quotes) on app.analytics_quote_hours, app.analytics_quote_deltas to ops;
grant select (
    quote_id, quoted_at, category_id, booking_id, booked_at, status, updated_at, payment_status, payment_updated_at,
    confirm_minutes, paid_minutes, completed_minutes
) on app.analytics_quote_bookings to ops;

-- Each customer's first booking (81_analytics_audience.sql): derived rows, written only by the
-- definer trigger on bookings and the rebuild. Ops read them through api.analytics_customers
-- (an invoker function, as ops read the bookings themselves): the customer's id, its first
-- booking and when it starts.
alter table app.analytics_customer_firsts enable row level security;
alter table app.analytics_customer_firsts force row level security;

drop policy if exists select_ops on app.analytics_customer_firsts;

revoke all on app.analytics_customer_firsts
from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.analytics_customer_firsts for select
to ops
using (true);
comment on policy select_ops on app.analytics_customer_firsts is
'Ops staff read each customer''s first booking (new and returning customers).';

grant select (customer_id, booking_id, starts_at, category_id) on app.analytics_customer_firsts to ops;

-- The first bookings per start hour and category, and their deltas not folded yet
-- (81_analytics_audience.sql): derived rows, written only by the definer trigger on bookings,
-- the compaction and the rebuild. Ops read them through api.analytics_customers.
alter table app.analytics_first_hours enable row level security;
alter table app.analytics_first_hours force row level security;
alter table app.analytics_first_deltas enable row level security;
alter table app.analytics_first_deltas force row level security;

drop policy if exists select_ops on app.analytics_first_hours;
drop policy if exists select_ops on app.analytics_first_deltas;

revoke all on app.analytics_first_hours, app.analytics_first_deltas
from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.analytics_first_hours for select
to ops
using (true);
comment on policy select_ops on app.analytics_first_hours is
'Ops staff read the first bookings per start hour and category (new customers).';
create policy select_ops on app.analytics_first_deltas for select
to ops
using (true);
comment on policy select_ops on app.analytics_first_deltas is
'Ops staff read the first bookings not folded yet (new customers).';

grant select (hour, category_id, customers) on app.analytics_first_hours, app.analytics_first_deltas to ops;

-- Each customer's earliest counted start with each provider (81_analytics_audience.sql):
-- derived rows, written only by the definer trigger on bookings and the rebuild. A provider
-- reads its own provider's rows (the repeat customers of api.analytics_performance, an invoker
-- function), ops every row.
alter table app.analytics_provider_customers enable row level security;
alter table app.analytics_provider_customers force row level security;

drop policy if exists select_provider_own on app.analytics_provider_customers;
drop policy if exists select_ops on app.analytics_provider_customers;

revoke all on app.analytics_provider_customers
from public, anon, customer, provider, ops, bookiji_worker;

create policy select_provider_own on app.analytics_provider_customers for select
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy select_provider_own on app.analytics_provider_customers is
'A provider account reads its own provider''s customers'' earliest starts only.';
create policy select_ops on app.analytics_provider_customers for select
to ops
using (true);
comment on policy select_ops on app.analytics_provider_customers is
'Ops staff read every provider''s customers'' earliest starts.';

grant select (provider_id, customer_id, first_starts_at) on app.analytics_provider_customers to provider, ops;
