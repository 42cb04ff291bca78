-- migrate:up
-- Connect's money on the existing ledger (issue 22):
-- - bookings keep the commission of their confirmation (rate, minimum and the
--   amount in cents), as they keep their cancellation policy; 0 for older bookings;
-- - payments keep where the charge goes (the provider's connected account, null: the
--   platform collects and pays the provider later) and the application fee it carries;
-- - refunds keep how they unwind: whether the transfer is reversed and the fee
--   refunded, and the cents of each (proportional; the refund that completes the
--   charge takes what is left, as Stripe does).
alter table app.bookings
add column commission_rate_bp integer not null default 0,
add column commission_minimum_cents integer not null default 0,
add column commission_cents integer not null default 0,
add constraint bookings_commission_check check (
    commission_rate_bp between 0 and 10000
    and commission_minimum_cents >= 0
    and commission_cents between 0 and price_cents
);
comment on column app.bookings.commission_cents is
'The platform''s commission on this booking, fixed at confirmation: max(price x rate, minimum), at most the price.';

alter table app.payments
add column transfer_destination text,
add column application_fee_cents integer not null default 0,
add constraint payments_application_fee_cents_check check (
    application_fee_cents between 0 and amount_cents
    and (transfer_destination is not null or application_fee_cents = 0)
);
comment on column app.payments.transfer_destination is
'The provider''s connected account the charge goes to (transfer_data.destination); null: the platform collects.';
comment on column app.payments.application_fee_cents is
'The platform''s commission taken from this charge (application_fee_amount).';

alter table app.refunds
add column reverse_transfer boolean not null default false,
add column refund_application_fee boolean not null default false,
add column transfer_reversal_cents integer not null default 0,
add column fee_refund_cents integer not null default 0,
add constraint refunds_unwind_check check (
    transfer_reversal_cents >= 0 and fee_refund_cents >= 0
    and (reverse_transfer or transfer_reversal_cents = 0)
    and (refund_application_fee or fee_refund_cents = 0)
);
comment on column app.refunds.transfer_reversal_cents is
'What this refund takes back from the provider''s transfer (reverse_transfer, proportional).';
comment on column app.refunds.fee_refund_cents is
'What this refund gives back of the platform''s fee (refund_application_fee, proportional).';

-- migrate:down
alter table app.refunds
drop constraint refunds_unwind_check,
drop column fee_refund_cents,
drop column transfer_reversal_cents,
drop column refund_application_fee,
drop column reverse_transfer;
alter table app.payments
drop constraint payments_application_fee_cents_check,
drop column application_fee_cents,
drop column transfer_destination;
alter table app.bookings
drop constraint bookings_commission_check,
drop column commission_cents,
drop column commission_minimum_cents,
drop column commission_rate_bp;
