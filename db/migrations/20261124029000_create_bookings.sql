-- migrate:up
-- Bookings (the shared contract between the catalog and the booking flow).
-- `during` is the appointment; `blocked` is `during` padded by the service's
-- buffers, and no two live bookings of one provider may overlap on it: the
-- exclusion constraint makes a double booking impossible, not just unlikely.
-- A pending_payment hold whose hold_expires_at has passed blocks nothing for
-- availability and quotes; the booking flow marks it expired before inserting.
create table app.bookings (
    id uuid primary key default extensions.gen_random_uuid(),
    customer_id uuid not null references app.users (id) on delete restrict,
    provider_id uuid not null references app.providers (id) on delete restrict,
    service_id uuid not null references app.services (id) on delete restrict,
    quote_id uuid references app.quotes (id) on delete set null,
    during tstzrange not null,
    blocked tstzrange not null,
    status text not null default 'pending_payment',
    hold_expires_at timestamptz,
    price_cents integer not null,
    deposit_cents integer not null,
    currency text not null,
    cancel_notice_hours integer not null,
    cancel_fee_cents integer not null,
    cancelled_at timestamptz,
    cancelled_by uuid references app.users (id) on delete set null,
    cancel_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint bookings_status_check check (
        status in ('pending_payment', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired')
    ),
    constraint bookings_during_check check (
        not isempty(during) and not lower_inf(during) and not upper_inf(during)
    ),
    constraint bookings_blocked_check check (blocked @> during),
    constraint bookings_price_cents_check check (price_cents >= 0),
    constraint bookings_deposit_cents_check check (deposit_cents between 0 and price_cents),
    constraint bookings_cancel_notice_hours_check check (cancel_notice_hours >= 0),
    constraint bookings_cancel_fee_cents_check check (cancel_fee_cents between 0 and price_cents),
    constraint bookings_provider_id_blocked_excl exclude using gist (
        provider_id with =,
        blocked with &&
    ) where (status in ('pending_payment', 'confirmed'))
);
comment on table app.bookings is
'Appointments: during (the slot), blocked (slot plus buffers), status, price and cancellation policy locked in.';

create index bookings_customer_id_idx on app.bookings (customer_id);
create index bookings_provider_id_idx on app.bookings (provider_id);
create index bookings_service_id_idx on app.bookings (service_id);
create index bookings_quote_id_idx on app.bookings (quote_id);
create index bookings_cancelled_by_idx on app.bookings (cancelled_by);

-- migrate:down
-- cascade: the declarative api views (and functions returning their rows)
-- depend on the table; deploy recreates them.
drop table app.bookings cascade;
