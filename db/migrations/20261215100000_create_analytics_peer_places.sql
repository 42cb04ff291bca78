-- migrate:up
-- A provider's peers (internal.analytics_peer_ranks, 82_analytics_reads.sql) were the providers
-- of its category in its 0.1-degree cell: at 100,000 providers the seed's busiest cell holds
-- 21,987 of them, and a rank summed the range's rollup rows of every one offering the category
-- (1,096 for dog grooming: 13-14 ms a call, api.analytics_provider's p99 76 ms through
-- PostgREST). They are now its category's nearest providers within a radius, at most a fixed
-- number of them: the work of a rank no longer grows with the crowd, and a provider near a
-- cell's edge is compared with its neighbours across it rather than with ones 11 km away.
--
-- This table is each provider's location once per category it offers, so that a nearest-first
-- scan of one category (a GiST index over category and location) finds them without probing
-- the services of every provider around. Derived: kept by statement triggers on app.services
-- and a row trigger on a provider's move (81_analytics_audience.sql); rebuilt by
-- internal.analytics_rebuild and compared by internal.analytics_drift.
create table app.analytics_peer_places (
    category_id integer not null references app.service_categories (id) on delete cascade,
    provider_id uuid not null references app.providers (id) on delete cascade,
    location extensions.geography (point, 4326) not null,
    constraint analytics_peer_places_pkey primary key (provider_id, category_id)
);
comment on table app.analytics_peer_places is
'Derived: each provider''s location once per category it has a service in (active or not), for the '
'nearest-first search of a provider''s peers (internal.analytics_peer_ranks). Kept by triggers on services and '
'on a provider''s move.';

insert into app.analytics_peer_places (category_id, provider_id, location)
select distinct
    s.category_id,
    s.provider_id,
    p.location
from app.services as s
inner join app.providers as p on s.provider_id = p.id;

create index analytics_peer_places_category_id_location_idx on app.analytics_peer_places
using gist (category_id, location);

-- the cell's index served only the peers
drop index app.providers_peer_cell_idx;

analyze app.analytics_peer_places;

-- migrate:down
create index providers_peer_cell_idx on app.providers ((floor(lat * 10)), (floor(lng * 10)))
include (id, lat, lng);
drop table app.analytics_peer_places;
