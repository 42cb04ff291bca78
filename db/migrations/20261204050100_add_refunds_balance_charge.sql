-- migrate:up
-- Refunds of a balance charged to the saved card (docs/money.md#charged-to-the-saved-card):
-- a booking can have two charges, the deposit's (app.payments) and the balance's
-- (app.balance_payments, method card); a refund says which one it gives back, and the
-- balance keeps the destination and fee it was charged with, for the refunds that unwind it.
alter table app.refunds
add column balance_charge boolean not null default false;
comment on column app.refunds.balance_charge is
'The refund is of the balance charged to the card (app.balance_payments), not of the deposit''s payment.';

alter table app.balance_payments
add column transfer_destination text,
add column application_fee_cents integer not null default 0,
add constraint balance_payments_application_fee_cents_check check (
    application_fee_cents between 0 and amount_cents
    and (transfer_destination is not null or application_fee_cents = 0)
);
comment on column app.balance_payments.transfer_destination is
'A card balance''s destination charge: the provider''s connected account (the deposit''s).';
comment on column app.balance_payments.application_fee_cents is
'A card balance''s application fee: the commission less the deposit''s fee, at most the balance.';

-- migrate:down
alter table app.balance_payments
drop constraint balance_payments_application_fee_cents_check,
drop column application_fee_cents,
drop column transfer_destination;
-- the trigger of 63_balance_card.sql reads the column (re-created by the next deploy)
drop trigger if exists _120_unwind_balance on app.refunds;
alter table app.refunds drop column balance_charge;
