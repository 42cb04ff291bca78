-- migrate:up
-- The fees a booking keeps: today only the cancellation fee a customer pays
-- when cancelling inside the notice window. With the refund ledger this gives
-- a booking's balance (charged, refunded, fee, net). The invariant "a fee
-- never exceeds the charge" spans two tables, so a constraint trigger checks
-- it (db/functions/47_after_booking.sql).
create table app.booking_fees (
    id uuid primary key default extensions.gen_random_uuid(),
    booking_id uuid not null references app.bookings (id) on delete cascade,
    payment_id uuid not null references app.payments (id) on delete cascade,
    kind text not null default 'cancellation',
    amount_cents integer not null,
    created_at timestamptz not null default now(),
    constraint booking_fees_booking_id_kind_key unique (booking_id, kind),
    constraint booking_fees_kind_check check (kind in ('cancellation')),
    constraint booking_fees_amount_cents_check check (amount_cents > 0)
);
comment on table app.booking_fees is
'Fees a booking keeps from its charge (the cancellation fee); never more than was captured.';
create index booking_fees_booking_id_idx on app.booking_fees (booking_id);
create index booking_fees_payment_id_idx on app.booking_fees (payment_id);

-- migrate:down
drop table app.booking_fees;
