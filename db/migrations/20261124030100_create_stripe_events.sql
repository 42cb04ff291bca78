-- migrate:up
-- Stripe webhook events, stored once each (Stripe delivers at least once).
create table app.stripe_events (
    id text primary key,
    type text not null,
    payload jsonb not null,
    received_at timestamptz not null default now(),
    processed_at timestamptz,
    outcome text,
    constraint stripe_events_id_check check (id ~ '^evt_[A-Za-z0-9_]+$' and length(id) <= 255)
);
comment on table app.stripe_events is
'Verified Stripe webhook events, one row per event id; processed_at/outcome record what they did.';
create index stripe_events_type_received_at_idx on app.stripe_events (type, received_at);

-- migrate:down
drop table app.stripe_events;
