-- migrate:up
-- The balance of a booking taken with a deposit (issue 22, docs/money.md): the
-- rest of the price and its taxes (internal.booking_remainder), settled once,
-- either paid at the venue (the provider marks it) or charged to the
-- customer's saved card. One row per booking; the amounts are the remainder's
-- when it was settled, so base + gst + qst = amount.
create table app.balance_payments (
    booking_id uuid primary key references app.bookings (id) on delete cascade,
    method text not null,
    status text not null,
    base_cents integer not null,
    gst_cents integer not null,
    qst_cents integer not null,
    amount_cents integer not null,
    stripe_payment_intent_id text unique,
    marked_by uuid references app.users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint balance_payments_method_check check (method in ('venue', 'card')),
    constraint balance_payments_status_check check (status in ('pending', 'due', 'succeeded')),
    constraint balance_payments_venue_check check (method <> 'venue' or status = 'succeeded'),
    constraint balance_payments_cents_check check (
        base_cents > 0 and gst_cents >= 0 and qst_cents >= 0 and amount_cents = base_cents + gst_cents + qst_cents
    )
);
comment on table app.balance_payments is
'The balance after a deposit: paid at the venue (marked by the provider) or charged to the saved card; its amount and taxes.';
comment on column app.balance_payments.method is 'venue: paid at the venue, marked by the provider; card: charged off-session.';
comment on column app.balance_payments.status is
'pending: being charged; due: the charge failed, the customer must pay; succeeded: settled.';
comment on column app.balance_payments.marked_by is 'The provider''s owner who marked it paid at the venue.';
create index balance_payments_marked_by_idx on app.balance_payments (marked_by);

-- migrate:down
drop table app.balance_payments cascade;
