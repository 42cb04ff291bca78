-- migrate:up
-- The event log: every change a client may care about, appended in the
-- transaction of the change, for the real-time service (live delivery and
-- replay) and analytics. The id is monotonic (an identity); NOTIFY
-- bookiji_events carries only the id. Row-level security decides who may read
-- an event, so delivery to a subscriber is checked in SQL under its own claims
-- (db/policies/app_events.sql). Kinds:
--   booking_created, booking_status_changed, booking_rescheduled, booking_refunded
--       about a booking: booking_id, its provider_id and customer_id
--   availability_changed
--       a provider's time was taken or freed (a booking, time off): provider_id
--       and the range (during) only, never a booking or a customer
--   notification_created
--       a notification row for its recipient (recipient_id)
-- Append-only: nobody is granted insert, update or delete; definers write it
-- and internal.purge_events removes what is older than event_retention_hours.
-- No foreign keys: the log outlives what it is about (a deleted time off, a
-- deleted provider), and it is purged by age.
create table app.events (
    id bigint generated always as identity primary key,
    created_at timestamptz not null default now(),
    kind text not null,
    booking_id uuid,
    provider_id uuid,
    customer_id uuid,
    recipient_id uuid,
    during tstzrange,
    payload jsonb not null default '{}'::jsonb,
    constraint events_kind_check check (
        kind in (
            'booking_created', 'booking_status_changed', 'booking_rescheduled', 'booking_refunded',
            'availability_changed', 'notification_created'
        )
    ),
    -- each kind names exactly its audience: an availability event carries no
    -- booking and no customer, a notification event only its recipient
    constraint events_audience_check check (
        case
            when kind = 'availability_changed'
                then
                    provider_id is not null and during is not null
                    and booking_id is null and customer_id is null and recipient_id is null
                    and payload = '{}'::jsonb
            when kind = 'notification_created'
                then
                    recipient_id is not null and booking_id is null and provider_id is null and customer_id is null
            else
                booking_id is not null and provider_id is not null and customer_id is not null
                and recipient_id is null
        end
    ),
    constraint events_payload_check check (jsonb_typeof(payload) = 'object' and pg_column_size(payload) <= 2000)
);
comment on table app.events is
'Append-only event log (booking changes, availability, notifications) with a monotonic id; read under RLS.';
create index events_created_at_idx on app.events (created_at);
create index events_customer_id_idx on app.events (customer_id) where customer_id is not null;
create index events_provider_id_idx on app.events (provider_id) where provider_id is not null;
create index events_recipient_id_idx on app.events (recipient_id) where recipient_id is not null;
-- anonymous readers see availability only: their replay scans this
create index events_availability_idx on app.events (id) where kind = 'availability_changed';

-- migrate:down
-- cascade: the policies and triggers the declarative files made on it; deploy recreates them.
drop table app.events cascade;
