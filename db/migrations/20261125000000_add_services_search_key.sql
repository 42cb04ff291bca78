-- migrate:up
-- The quote's search key (internal.find_offers, db/functions/40_quote.sql):
-- an active offer as a 4-D point (longitude, latitude, the rating term of the
-- score, the price in cents), null while the service or its provider is
-- inactive. The n-D GiST index over (category, key) finds the offers of a
-- category inside a box of longitude x latitude x rating term x price, so a
-- quote reads only the offers that can still reach the score it is looking
-- for instead of every offer around the point. Kept by triggers (db/functions/30_catalog.sql); written by
-- nobody else (no column grant).
alter table app.services add column search_key extensions.geometry (pointzm, 4326);
comment on column app.services.search_key is
'Quote search key: (lng, lat, rating term, price in cents) of an active offer of an active provider, else null. Kept by triggers.';

update app.services as s
set
    search_key = extensions.st_setsrid(
        extensions.st_makepoint(
            p.lng, p.lat,
            0.3 * ((5 * 4.0 + p.rating_count * coalesce(p.rating_avg, 0)) / (5 + p.rating_count) - 1) / 4,
            s.price_cents
        ),
        4326
    )
from app.providers as p
where s.provider_id = p.id and s.is_active and p.is_active;

create index services_category_id_search_key_idx on app.services
using gist (category_id, search_key extensions.gist_geometry_ops_nd)
where search_key is not null;

-- migrate:down
-- the trigger that keeps the key names the column (deploy recreates it)
drop trigger if exists _050_search_key on app.services;
drop index app.services_category_id_search_key_idx;
alter table app.services drop column search_key;
