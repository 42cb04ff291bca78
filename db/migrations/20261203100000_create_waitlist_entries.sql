-- migrate:up
-- The waitlist: a customer asks to be told when a slot frees up for one
-- service, any service of one provider, or any provider of a category within
-- radius_km of a point, starting inside a window (wanted). When a live booking
-- that matches is cancelled or its hold expires, each matching active entry
-- gets one notification (waitlist_opening) and becomes notified. An entry
-- whose window has ended is expired: it is never matched and no longer counts
-- towards the customer's limit. Written only by the definers of
-- db/functions/41_waitlist.sql.
create table app.waitlist_entries (
    id uuid primary key default extensions.gen_random_uuid(),
    customer_id uuid not null references app.users (id) on delete cascade,
    service_id uuid references app.services (id) on delete cascade,
    provider_id uuid references app.providers (id) on delete cascade,
    category_id integer references app.service_categories (id) on delete cascade,
    lat double precision,
    lng double precision,
    radius_km numeric(6, 2),
    wanted tstzrange not null,
    status text not null default 'active',
    notified_at timestamptz,
    notified_booking_id uuid references app.bookings (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint waitlist_entries_status_check check (status in ('active', 'notified', 'cancelled')),
    constraint waitlist_entries_target_check check (
        (service_id is not null and provider_id is not null and category_id is null and lat is null)
        or (service_id is null and provider_id is not null and category_id is null and lat is null)
        or (
            service_id is null and provider_id is null and category_id is not null
            and lat is not null and lng is not null and radius_km is not null
        )
    ),
    constraint waitlist_entries_lat_check check (lat between -90 and 90),
    constraint waitlist_entries_lng_check check (lng between -180 and 180),
    constraint waitlist_entries_radius_km_check check (radius_km > 0 and radius_km <= 200),
    constraint waitlist_entries_wanted_check check (
        not isempty(wanted) and not lower_inf(wanted) and not upper_inf(wanted)
    ),
    constraint waitlist_entries_notified_check check ((status = 'notified') = (notified_at is not null))
);
comment on table app.waitlist_entries is
'Waitlist: a customer''s request to be told when a matching slot (service, provider, or category near a point) frees up within a window.';
comment on column app.waitlist_entries.wanted is 'The window the freed appointment must lie in (start and end).';
comment on column app.waitlist_entries.status is
'active (waiting), notified (told once, done), cancelled (left by the customer); expired = active and the window has ended.';

-- matching on a freed booking: the active entries of its service, its provider, or its category
create index waitlist_entries_service_id_idx on app.waitlist_entries (service_id) where (status = 'active');
create index waitlist_entries_provider_id_idx on app.waitlist_entries (provider_id) where (status = 'active');
create index waitlist_entries_category_id_idx on app.waitlist_entries (category_id) where (status = 'active');
-- the customer's own list and its limit
create index waitlist_entries_customer_id_idx on app.waitlist_entries (customer_id, created_at desc);
create index waitlist_entries_notified_booking_id_idx on app.waitlist_entries (notified_booking_id);

-- migrate:down
drop table app.waitlist_entries cascade;
