-- migrate:up
-- Stripe Connect: each provider's Express account (issue 22). A provider asks for
-- onboarding (api.start_payout_onboarding); the worker creates the account and an
-- AccountLink (the onboarding URL, short-lived and single-use, kept here for the
-- provider to open); Stripe's account.updated webhooks record what the account can
-- do. A booking's charge goes to the account (a destination charge) only while its
-- transfers capability is active (db/functions/55_connect.sql, docs/payments.md).
-- Written only by definer functions.
create table app.payout_accounts (
    provider_id uuid primary key references app.providers (id) on delete cascade,
    stripe_account_id text,
    link_request_id uuid,
    link_requested_at timestamptz,
    onboarding_url text,
    onboarding_url_expires_at timestamptz,
    details_submitted boolean not null default false,
    charges_enabled boolean not null default false,
    payouts_enabled boolean not null default false,
    capabilities jsonb not null default '{}'::jsonb,
    requirements_due text[] not null default '{}'::text[],
    stripe_event_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint payout_accounts_stripe_account_id_key unique (stripe_account_id),
    constraint payout_accounts_stripe_account_id_check check (stripe_account_id ~ '^acct_[A-Za-z0-9]+$'),
    constraint payout_accounts_capabilities_check check (jsonb_typeof(capabilities) = 'object')
);
comment on table app.payout_accounts is
'Providers'' Stripe Express accounts: the onboarding link, and what the account may do (from account.updated).';
comment on column app.payout_accounts.link_request_id is
'The latest onboarding link asked for: the worker''s idempotency key for its AccountLink.';
comment on column app.payout_accounts.stripe_event_at is
'When Stripe created the latest account.updated applied: an older event changes nothing.';

-- migrate:down
-- cascade: the declarative api functions read the table; deploy recreates them.
drop table app.payout_accounts cascade;
