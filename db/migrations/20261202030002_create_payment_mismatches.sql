-- migrate:up
-- Payments that did not match their booking: a PaymentIntent Stripe reported
-- succeeded for another amount or currency than the booking is due (a client
-- that lowered the amount before confirming, or a bug). Such a payment never
-- confirms its booking; it is refunded in full, and recorded here for ops to
-- look into (api.payment_mismatches). Written only by the webhook's definer
-- functions.
create table app.payment_mismatches (
    id uuid primary key default extensions.gen_random_uuid(),
    payment_id uuid not null references app.payments (id) on delete cascade,
    booking_id uuid not null references app.bookings (id) on delete cascade,
    refund_id uuid references app.refunds (id) on delete set null,
    stripe_payment_intent_id text not null,
    expected_cents integer not null,
    expected_currency text not null,
    received_cents bigint,
    received_currency text,
    created_at timestamptz not null default now(),
    constraint payment_mismatches_payment_id_key unique (payment_id)
);
comment on table app.payment_mismatches is
'Succeeded payments whose amount or currency differed from the booking''s: never confirmed, refunded, for ops.';
create index payment_mismatches_booking_id_idx on app.payment_mismatches (booking_id);
create index payment_mismatches_refund_id_idx on app.payment_mismatches (refund_id);
create index payment_mismatches_created_at_idx on app.payment_mismatches (created_at);

-- migrate:down
-- cascade: the declarative api view depends on the table; deploy recreates it.
drop table app.payment_mismatches cascade;
