-- app.events: append-only, written only by definers (db/functions/44_events.sql).
-- Each reader sees the events about rows it may read itself, so the real-time
-- service checks a delivery by reading the event under the subscriber's claims:
-- a booking's events reach its customer, its provider's owner and ops (as
-- app.bookings does); a notification's, its recipient (as app.notifications
-- does); availability (a provider and a time range, nothing else) is public.
alter table app.events enable row level security;
alter table app.events force row level security;
drop policy if exists select_anon on app.events;
drop policy if exists select_customer on app.events;
drop policy if exists select_provider on app.events;
drop policy if exists select_ops on app.events;

revoke all on app.events from public, anon, customer, provider, ops, bookiji_worker;

create policy select_anon on app.events for select
to anon
using (kind = 'availability_changed');
comment on policy select_anon on app.events is 'Anonymous callers read public availability events only.';

create policy select_customer on app.events for select
to customer
using (
    kind = 'availability_changed'
    or customer_id = (select auth.uid())
    or recipient_id = (select auth.uid())
);
comment on policy select_customer on app.events is
'A customer reads availability, the events of its own bookings and of its own notifications.';

create policy select_provider on app.events for select
to provider
using (
    kind = 'availability_changed'
    or recipient_id = (select auth.uid())
    or provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid()))
);
comment on policy select_provider on app.events is
'A provider account reads availability, the events of its own provider''s bookings and of its own notifications.';

create policy select_ops on app.events for select
to ops
using (kind <> 'notification_created' or recipient_id = (select auth.uid()));
comment on policy select_ops on app.events is
'Ops staff read every booking and availability event, and the events of their own notifications.';

grant select (
    id, created_at, kind, booking_id, provider_id, customer_id, recipient_id, during, payload
) on app.events to anon, customer, provider, ops;

-- replay and delivery checks (db/functions/44_events.sql); rows as above
grant select on api.events to anon, customer, provider, ops;
