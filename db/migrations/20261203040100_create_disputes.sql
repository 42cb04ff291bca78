-- migrate:up
-- Card disputes (chargebacks): Stripe's charge.dispute.created / .updated /
-- .closed events (db/functions/54_payments.sql, docs/money.md). One row per
-- Stripe Dispute, keyed by its id, with Stripe's reason and status as
-- received; `outcome` is set when it closes (won, lost, or warning_closed for
-- an inquiry that never became a chargeback). The booking carries the flag
-- (dispute_status: open, won, lost) so that ops and the refund path see it
-- without a join: a disputed payment cannot be refunded (Stripe refuses it,
-- and a lost dispute has already given the money back).
create table app.disputes (
    id text primary key,
    booking_id uuid not null references app.bookings (id) on delete cascade,
    payment_id uuid not null references app.payments (id) on delete cascade,
    stripe_charge_id text,
    stripe_payment_intent_id text,
    amount_cents integer not null,
    currency text not null,
    reason text not null,
    status text not null,
    outcome text,
    evidence_due_by timestamptz,
    opened_at timestamptz not null default now(),
    closed_at timestamptz,
    updated_at timestamptz not null default now(),
    constraint disputes_id_check check (id ~ '^dp_[A-Za-z0-9_]+$' and length(id) <= 255),
    constraint disputes_amount_cents_check check (amount_cents >= 0),
    constraint disputes_reason_check check (length(reason) between 1 and 100),
    constraint disputes_status_check check (length(status) between 1 and 100),
    constraint disputes_outcome_check check (
        (outcome is null and closed_at is null)
        or (outcome in ('won', 'lost', 'warning_closed') and closed_at is not null)
    )
);
comment on table app.disputes is
'Card disputes of booking payments (Stripe Dispute objects): amount, reason, status, and the outcome once closed.';
create index disputes_booking_id_idx on app.disputes (booking_id);
create index disputes_payment_id_idx on app.disputes (payment_id);
create index disputes_opened_at_idx on app.disputes (opened_at);

alter table app.bookings
add column dispute_status text,
add constraint bookings_dispute_status_check check (dispute_status in ('open', 'won', 'lost'));
comment on column app.bookings.dispute_status is
'null: never disputed; open: a card dispute is in progress; won or lost: how the last one closed.';

-- migrate:down
alter table app.bookings drop constraint bookings_dispute_status_check, drop column dispute_status cascade;
drop table app.disputes cascade;
