-- migrate:up
-- The platform keeps its whole fee on a late cancellation (issue 22; docs/connect.md,
-- "Refunds that unwind"): the provider bears that refund, so its transfer is reversed by the
-- refund's whole amount (at most what is left of it), not in proportion. Stripe's
-- reverse_transfer on a refund is always proportional, so such a refund is made without it
-- and the transfer is reversed apart, by a TransferReversal of the computed amount made after
-- the refund succeeded (key refund_reversal:<refund id>), recorded here.
alter table app.refunds
add column reversal_apart boolean not null default false,
add column stripe_transfer_reversal_id text,
add constraint refunds_reversal_apart_check check (
    (reverse_transfer or not reversal_apart)
    and (stripe_transfer_reversal_id is null or reversal_apart)
);
comment on column app.refunds.reversal_apart is
'The transfer_reversal_cents are reversed by a TransferReversal of their own after the refund (Stripe''s flag is proportional).';
comment on column app.refunds.stripe_transfer_reversal_id is
'That TransferReversal (trr_...), once made.';
comment on column app.refunds.transfer_reversal_cents is
'What this refund takes back from the provider''s transfer: proportional, or on a late cancellation the whole refund (reversal_apart).';

-- migrate:down
comment on column app.refunds.transfer_reversal_cents is
'What this refund takes back from the provider''s transfer (reverse_transfer, proportional).';
alter table app.refunds
drop constraint refunds_reversal_apart_check,
drop column stripe_transfer_reversal_id cascade,
drop column reversal_apart cascade;
