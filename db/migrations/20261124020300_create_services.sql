-- migrate:up
-- What a provider sells: duration, price and deposit in integer cents, buffers
-- around each appointment, how early and how far ahead it can be booked, and
-- the cancellation policy (full refund up to cancel_notice_hours before the
-- start, cancel_fee_cents after). Nonsense (zero durations, negative prices,
-- a deposit or fee above the price) is refused by constraints.
create table app.services (
    id uuid primary key default extensions.gen_random_uuid(),
    provider_id uuid not null references app.providers (id) on delete cascade,
    category_id integer not null references app.service_categories (id) on delete restrict,
    name text not null,
    description text not null default '',
    duration_minutes integer not null,
    price_cents integer not null,
    deposit_cents integer not null default 0,
    currency text not null default 'CAD',
    buffer_before_minutes integer not null default 0,
    buffer_after_minutes integer not null default 0,
    min_notice_minutes integer not null default 60,
    max_days_ahead integer not null default 60,
    cancel_notice_hours integer not null default 24,
    cancel_fee_cents integer not null default 0,
    is_active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint services_name_check check (length(btrim(name)) between 1 and 200),
    constraint services_description_check check (length(description) <= 4000),
    constraint services_duration_minutes_check check (duration_minutes between 5 and 1440),
    constraint services_price_cents_check check (price_cents >= 0 and price_cents <= 100000000),
    -- greatest(price_cents, 0): a negative price is reported by its own check, not as a fee or deposit
    constraint services_deposit_cents_check check (deposit_cents >= 0 and deposit_cents <= greatest(price_cents, 0)),
    constraint services_currency_check check (currency = 'CAD'),
    constraint services_buffer_before_minutes_check check (buffer_before_minutes between 0 and 240),
    constraint services_buffer_after_minutes_check check (buffer_after_minutes between 0 and 240),
    constraint services_min_notice_minutes_check check (min_notice_minutes between 0 and 43200),
    constraint services_max_days_ahead_check check (max_days_ahead between 1 and 730),
    constraint services_cancel_notice_hours_check check (cancel_notice_hours between 0 and 720),
    constraint services_cancel_fee_cents_check check (
        cancel_fee_cents >= 0 and cancel_fee_cents <= greatest(price_cents, 0)
    )
);
comment on table app.services is
'Services a provider sells: duration, price/deposit (cents), buffers, booking window, cancellation policy.';

create index services_provider_id_category_id_idx on app.services (provider_id, category_id);
create index services_category_id_idx on app.services (category_id);
-- read by the select_public policy
create index services_is_active_idx on app.services (is_active);

-- migrate:down
-- cascade: the declarative api views (and functions returning their rows)
-- depend on the table; deploy recreates them.
drop table app.services cascade;
