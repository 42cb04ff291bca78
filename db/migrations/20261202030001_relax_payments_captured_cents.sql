-- migrate:up
-- A payment's captured_cents is what Stripe really captured. It was capped at the
-- booking's amount, so the webhook recorded least(received, due) and an
-- over-payment could not be recorded, nor refunded in full through the ledger
-- (refunds never exceed captured_cents). The webhook now refuses to confirm a
-- payment that differs from the booking's amount or currency and refunds all of
-- it (db/functions/46_payments.sql, docs/security.md): the ledger must be able
-- to hold more than was due.
alter table app.payments drop constraint payments_captured_cents_check;
alter table app.payments add constraint payments_captured_cents_check check (captured_cents >= 0);

-- migrate:down
alter table app.payments drop constraint payments_captured_cents_check;
alter table app.payments add constraint payments_captured_cents_check check (
    captured_cents between 0 and amount_cents
);
