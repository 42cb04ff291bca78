-- migrate:up
-- Money: one payment per booking (its Stripe PaymentIntent), a ledger of
-- refunds, and the Idempotency-Key records of booking confirmations. The
-- ledger's invariant (refunded never exceeds captured, per booking) is checked
-- by a constraint trigger in db/functions/46_payments.sql.
create table app.payments (
    id uuid primary key default extensions.gen_random_uuid(),
    booking_id uuid not null references app.bookings (id) on delete cascade,
    amount_cents integer not null,
    currency text not null,
    status text not null default 'pending',
    stripe_payment_intent_id text,
    client_secret text,
    captured_cents integer not null default 0,
    failure_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint payments_booking_id_key unique (booking_id),
    constraint payments_stripe_payment_intent_id_key unique (stripe_payment_intent_id),
    constraint payments_amount_cents_check check (amount_cents > 0),
    constraint payments_captured_cents_check check (captured_cents between 0 and amount_cents),
    constraint payments_status_check check (
        status in ('pending', 'requires_payment', 'succeeded', 'failed', 'cancelled')
    )
);
comment on table app.payments is
'The charge of a booking: its Stripe PaymentIntent, client secret, amount, captured amount and status.';

create table app.refunds (
    id uuid primary key default extensions.gen_random_uuid(),
    booking_id uuid not null references app.bookings (id) on delete cascade,
    payment_id uuid not null references app.payments (id) on delete cascade,
    amount_cents integer not null,
    reason text not null,
    requested_by uuid references app.users (id) on delete set null,
    requested_role text not null,
    status text not null default 'pending',
    stripe_refund_id text,
    failure_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint refunds_stripe_refund_id_key unique (stripe_refund_id),
    constraint refunds_amount_cents_check check (amount_cents > 0),
    constraint refunds_reason_check check (length(btrim(reason)) between 1 and 500),
    constraint refunds_status_check check (status in ('pending', 'succeeded', 'failed'))
);
comment on table app.refunds is
'The refund ledger: each row is one refund of a booking''s payment (pending until Stripe settles it).';
create index refunds_booking_id_idx on app.refunds (booking_id);
create index refunds_payment_id_idx on app.refunds (payment_id);
create index refunds_requested_by_idx on app.refunds (requested_by);

create table app.idempotency_keys (
    customer_id uuid not null references app.users (id) on delete cascade,
    key text not null,
    request_hash bytea not null,
    response jsonb,
    created_at timestamptz not null default now(),
    primary key (customer_id, key),
    constraint idempotency_keys_key_check check (length(key) between 1 and 255)
);
comment on table app.idempotency_keys is
'Idempotency-Key headers of booking confirmations: the request''s hash and the response given.';
create index idempotency_keys_created_at_idx on app.idempotency_keys (created_at);

create index bookings_status_hold_expires_at_idx on app.bookings (hold_expires_at)
where status = 'pending_payment';
create index bookings_status_during_idx on app.bookings (upper(during))
where status = 'confirmed';

-- migrate:down
drop index app.bookings_status_during_idx;
drop index app.bookings_status_hold_expires_at_idx;
drop table app.idempotency_keys;
drop table app.refunds;
drop table app.payments;
