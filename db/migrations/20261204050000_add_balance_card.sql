-- migrate:up
-- The balance charged to the customer's saved card after completion (issue 22,
-- docs/money.md#charged-to-the-saved-card): the customer's Stripe Customer (one per
-- user, created once), the consent and the saved card on the deposit's payment, and
-- what a failed off-session charge left for the customer to pay on session.
create table app.stripe_customers (
    user_id uuid primary key references app.users (id) on delete cascade,
    stripe_customer_id text not null,
    created_at timestamptz not null default now(),
    constraint stripe_customers_stripe_customer_id_key unique (stripe_customer_id),
    constraint stripe_customers_stripe_customer_id_check check (stripe_customer_id ~ '^cus_[A-Za-z0-9]{1,100}$')
);
comment on table app.stripe_customers is
'A user''s Stripe Customer (cus_...), created once by the worker when the user first saves a card.';

alter table app.payments
add column save_card boolean not null default false,
add column stripe_customer_id text,
add column stripe_payment_method_id text;
comment on column app.payments.save_card is
'The customer consented, when booking, to the balance being charged to this card off-session after completion.';
comment on column app.payments.stripe_customer_id is 'The Stripe Customer the card is saved to (save_card only).';
comment on column app.payments.stripe_payment_method_id is 'The card that paid (pm_...), from payment_intent.succeeded.';

alter table app.balance_payments
add column client_secret text,
add column failure_code text,
add column failure_reason text;
comment on column app.balance_payments.client_secret is
'The balance PaymentIntent''s client secret: the customer confirms it on session when the card charge failed (due).';
comment on column app.balance_payments.failure_code is
'Why the off-session charge failed (Stripe''s code: authentication_required, card_declined, ...).';

-- migrate:down
alter table app.balance_payments
drop column failure_reason,
drop column failure_code,
drop column client_secret;
alter table app.payments
drop column stripe_payment_method_id,
drop column stripe_customer_id,
drop column save_card;
drop table app.stripe_customers;
