-- migrate:up
-- Businesses that offer services. lat/lng are stored as given and checked
-- here (PostGIS would silently wrap an out-of-range coordinate into range);
-- location is the WGS 84 geography point generated from them (GiST indexed:
-- the quote's st_dwithin filter uses it). The time zone is the one
-- the provider's weekly hours are written in (checked against
-- pg_timezone_names by a statement trigger, see db/functions/30_catalog.sql).
-- owner_id and the contact fields are private: column grants keep them from
-- customers and anonymous callers. Rating aggregates are written by Bookiji,
-- never by the provider.
create table app.providers (
    id uuid primary key default extensions.gen_random_uuid(),
    owner_id uuid not null references app.users (id) on delete cascade,
    business_name text not null,
    description text not null default '',
    lat double precision not null,
    lng double precision not null,
    location extensions.geography (point, 4326) not null generated always as (
        extensions.st_setsrid(extensions.st_makepoint(lng, lat), 4326)::extensions.geography
    ) stored,
    service_radius_km numeric(6, 2) not null default 10,
    time_zone text not null default 'America/Toronto',
    rating_count integer not null default 0,
    rating_avg numeric(3, 2),
    contact_email extensions.citext,
    contact_phone text,
    is_active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint providers_owner_id_key unique (owner_id),
    constraint providers_business_name_check check (length(btrim(business_name)) between 1 and 200),
    constraint providers_description_check check (length(description) <= 4000),
    constraint providers_lat_check check (lat between -90 and 90),
    constraint providers_lng_check check (lng between -180 and 180),
    constraint providers_service_radius_km_check check (service_radius_km > 0 and service_radius_km <= 200),
    constraint providers_time_zone_check check (length(time_zone) between 1 and 64),
    constraint providers_rating_count_check check (rating_count >= 0),
    constraint providers_rating_avg_check check (
        (rating_count = 0 and rating_avg is null)
        or (rating_count > 0 and rating_avg between 1 and 5)
    ),
    constraint providers_contact_email_check check (
        length(contact_email) <= 254 and contact_email::text ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
    ),
    constraint providers_contact_phone_check check (contact_phone ~ '^\+[1-9][0-9]{6,14}$')
);
comment on table app.providers is
'Businesses offering services: public profile, location, radius, time zone, ratings; private owner and contact.';
comment on column app.providers.time_zone is 'IANA time zone of the weekly hours (a name in pg_timezone_names).';
comment on column app.providers.service_radius_km is 'How far from its location the provider serves customers.';

create index providers_location_idx on app.providers using gist (location);
-- read by the select_public policy
create index providers_is_active_idx on app.providers (is_active);

-- migrate:down
-- cascade: the declarative api views (and functions returning their rows)
-- depend on the table; deploy recreates them.
drop table app.providers cascade;
