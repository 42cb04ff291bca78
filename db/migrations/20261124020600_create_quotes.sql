-- migrate:up
-- A customer's quote: the question (category, point, start, radius) and the
-- ranked answers. Each item copies the price and the cancellation policy in
-- force when the quote was made, so a confirmation honours them even if the
-- provider edits the service afterwards. Quotes expire (15 minutes by default).
create table app.quotes (
    id uuid primary key default extensions.gen_random_uuid(),
    customer_id uuid not null references app.users (id) on delete cascade,
    category_id integer not null references app.service_categories (id) on delete restrict,
    location extensions.geography (point, 4326) not null,
    starts_at timestamptz not null,
    radius_km double precision not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null default now() + interval '15 minutes',
    constraint quotes_radius_km_check check (radius_km > 0 and radius_km <= 100),
    constraint quotes_expires_at_check check (expires_at > created_at)
);
comment on table app.quotes is 'A customer''s quote request (category, point, start, radius); expires.';

create index quotes_customer_id_idx on app.quotes (customer_id);
create index quotes_category_id_idx on app.quotes (category_id);

create table app.quote_items (
    quote_id uuid not null references app.quotes (id) on delete cascade,
    provider_id uuid not null references app.providers (id) on delete cascade,
    service_id uuid not null references app.services (id) on delete cascade,
    rank integer not null,
    price_cents integer not null,
    deposit_cents integer not null,
    currency text not null,
    duration_minutes integer not null,
    buffer_before_minutes integer not null,
    buffer_after_minutes integer not null,
    distance_m double precision not null,
    score double precision not null,
    cancel_notice_hours integer not null,
    cancel_fee_cents integer not null,
    primary key (quote_id, provider_id),
    constraint quote_items_quote_id_rank_key unique (quote_id, rank),
    constraint quote_items_rank_check check (rank >= 1),
    constraint quote_items_price_cents_check check (price_cents >= 0),
    constraint quote_items_deposit_cents_check check (deposit_cents between 0 and price_cents),
    constraint quote_items_cancel_fee_cents_check check (cancel_fee_cents between 0 and price_cents),
    constraint quote_items_duration_minutes_check check (duration_minutes > 0),
    constraint quote_items_distance_m_check check (distance_m >= 0)
);
comment on table app.quote_items is
'One ranked candidate of a quote, with the price and cancellation policy locked in.';

create index quote_items_provider_id_idx on app.quote_items (provider_id);
create index quote_items_service_id_idx on app.quote_items (service_id);

-- migrate:down
-- cascade: the declarative api views (and functions returning their rows)
-- depend on the table; deploy recreates them.
drop table app.quote_items cascade;
drop table app.quotes cascade;
