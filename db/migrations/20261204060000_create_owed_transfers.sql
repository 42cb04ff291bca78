-- migrate:up
-- Paying what the platform owes (issue 22, docs/connect.md "A provider who cannot receive
-- payouts"). A booking paid while its provider had no account able to take transfers was
-- collected by the platform, which owes the provider its share. Once the account can take
-- transfers (account.updated, or the worker's sweep), the worker makes one Stripe Transfer
-- per booking (source_transaction = the charge): a row here is that effect, its amount
-- fixed when the row is made (db/functions/65_owed_payouts.sql). A refund asked for after
-- the row exists takes its share back from the transfer (a TransferReversal), recorded on
-- the refund. A transfer Stripe refuses is kept as failed; a later attempt is a new row.
-- Written only by definer functions.
create table app.owed_transfers (
    id uuid primary key default extensions.gen_random_uuid(),
    booking_id uuid not null references app.bookings (id) on delete restrict,
    payment_id uuid not null references app.payments (id) on delete restrict,
    attempt integer not null default 1,
    destination text not null,
    amount_cents integer not null,
    currency text not null,
    status text not null default 'pending',
    stripe_transfer_id text,
    source_transaction text,
    failure_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint owed_transfers_booking_id_attempt_key unique (booking_id, attempt),
    constraint owed_transfers_stripe_transfer_id_key unique (stripe_transfer_id),
    constraint owed_transfers_attempt_check check (attempt >= 1),
    constraint owed_transfers_destination_check check (destination ~ '^acct_[A-Za-z0-9]+$'),
    constraint owed_transfers_amount_cents_check check (amount_cents > 0),
    constraint owed_transfers_status_check check (status in ('pending', 'succeeded', 'failed')),
    constraint owed_transfers_stripe_transfer_id_check check (
        (status = 'succeeded') = (stripe_transfer_id is not null)
    )
);
comment on table app.owed_transfers is
'Transfers of what the platform owes a provider for a booking it collected: one live (pending or succeeded) per booking.';
comment on column app.owed_transfers.amount_cents is
'What was owed when the transfer was asked for: the provider''s share of the charge less the shares of earlier refunds.';
comment on column app.owed_transfers.attempt is
'1, then one more for each new attempt after Stripe refused one: part of the transfer''s idempotency key.';
create unique index owed_transfers_live_key on app.owed_transfers (booking_id) where status <> 'failed';
create index owed_transfers_payment_id_idx on app.owed_transfers (payment_id);
create index owed_transfers_pending_idx on app.owed_transfers (created_at) where status = 'pending';

alter table app.refunds
add column payout_share_cents integer not null default 0,
add column owed_transfer_id uuid references app.owed_transfers (id) on delete restrict,
add column owed_reversal_cents integer not null default 0,
add column stripe_owed_reversal_id text,
add constraint refunds_payout_share_cents_check check (
    payout_share_cents >= 0 and owed_reversal_cents >= 0 and owed_reversal_cents <= payout_share_cents
    and (owed_transfer_id is not null or owed_reversal_cents = 0)
    and (stripe_owed_reversal_id is null or owed_transfer_id is not null)
);
comment on column app.refunds.payout_share_cents is
'On a charge the platform collected: the refund''s share of what the provider is owed (as a destination charge''s reversal).';
comment on column app.refunds.owed_transfer_id is
'The owed transfer already asked for when this refund was: its share is reversed from it.';
comment on column app.refunds.owed_reversal_cents is
'The cents reversed (or to reverse) from the owed transfer: the refund''s payout share.';
comment on column app.refunds.stripe_owed_reversal_id is
'The TransferReversal (trr_...) that took the share back, once made.';
create index refunds_owed_transfer_id_idx on app.refunds (owed_transfer_id);

-- migrate:down
-- cascade: the declarative functions and views read the columns; deploy recreates them.
alter table app.refunds
drop constraint refunds_payout_share_cents_check,
drop column stripe_owed_reversal_id cascade,
drop column owed_reversal_cents cascade,
drop column owed_transfer_id cascade,
drop column payout_share_cents cascade;
-- cascade: the declarative functions read the table; deploy recreates them.
drop table app.owed_transfers cascade;
