-- migrate:up
-- Areas named after Montreal's neighbourhoods, for the analytics by area
-- (docs/analytics.md, "Areas"). The polygons are APPROXIMATE and defined here,
-- not copied from any boundary dataset: from each neighbourhood's well-known
-- centre (the same centres as the demo data, db/seed), an area is the part of
-- the city nearer to that centre than to any other centre (a Voronoi cell,
-- computed in Web Mercator so that distances are locally true) and within
-- 2.5 km of it. A provider's area is the polygon covering its location, looked
-- up at read time; a location outside every polygon is in the area "other".
-- Rows are written only by migrations; read by provider and ops through the
-- analytics functions (db/policies/app_areas.sql).
create table app.areas (
    slug text not null,
    name_en text not null,
    name_fr text not null,
    centre extensions.geometry (point, 4326) not null,
    boundary extensions.geometry (multipolygon, 4326) not null,
    constraint areas_pkey primary key (slug),
    constraint areas_slug_check check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and slug <> 'other'),
    constraint areas_boundary_check check (extensions.st_isvalid(boundary) and not extensions.st_isempty(boundary))
);
comment on table app.areas is
'Neighbourhoods as approximate polygons (Voronoi cells of well-known centres within 2.5 km of them); '
'a provider is in the one covering its location, else in "other".';
comment on column app.areas.boundary is 'Approximate, defined by the migration from the centres: not official limits.';
create index areas_boundary_idx on app.areas using gist (boundary);

with centres (slug, name_en, name_fr, lat, lng) as (
    values
    ('plateau-mont-royal', 'Plateau-Mont-Royal', 'Plateau-Mont-Royal', 45.5225, -73.5810),
    ('mile-end', 'Mile End', 'Mile End', 45.5245, -73.5990),
    ('rosemont', 'Rosemont', 'Rosemont', 45.5440, -73.5800),
    ('petite-patrie', 'La Petite-Patrie', 'La Petite-Patrie', 45.5340, -73.6060),
    ('villeray', 'Villeray', 'Villeray', 45.5440, -73.6230),
    ('hochelaga', 'Hochelaga', 'Hochelaga', 45.5440, -73.5400),
    ('verdun', 'Verdun', 'Verdun', 45.4590, -73.5710),
    ('saint-henri', 'Saint-Henri', 'Saint-Henri', 45.4770, -73.5860),
    ('griffintown', 'Griffintown', 'Griffintown', 45.4920, -73.5600),
    ('old-montreal', 'Old Montreal', 'Vieux-Montréal', 45.5075, -73.5545),
    ('downtown', 'Downtown', 'Centre-ville', 45.5017, -73.5700),
    ('cote-des-neiges', 'Côte-des-Neiges', 'Côte-des-Neiges', 45.4960, -73.6240),
    ('notre-dame-de-grace', 'Notre-Dame-de-Grâce', 'Notre-Dame-de-Grâce', 45.4730, -73.6150),
    ('outremont', 'Outremont', 'Outremont', 45.5190, -73.6080),
    ('westmount', 'Westmount', 'Westmount', 45.4850, -73.5980),
    ('ahuntsic', 'Ahuntsic', 'Ahuntsic', 45.5560, -73.6600),
    ('little-burgundy', 'Little Burgundy', 'Petite-Bourgogne', 45.4870, -73.5730),
    ('centre-sud', 'Centre-Sud', 'Centre-Sud', 45.5190, -73.5540)
),

points as (
    select
        c.*,
        extensions.st_setsrid(extensions.st_makepoint(c.lng, c.lat), 4326) as centre,
        extensions.st_transform(extensions.st_setsrid(extensions.st_makepoint(c.lng, c.lat), 4326), 3857) as mercator
    from centres as c
),

cells as (
    select (extensions.st_dump(extensions.st_voronoipolygons(
        extensions.st_collect(p.mercator), 0,
        extensions.st_expand(extensions.st_collect(p.mercator), 20000)
    ))).geom as cell
    from points as p
)

insert into app.areas (slug, name_en, name_fr, centre, boundary)
select
    p.slug,
    p.name_en,
    p.name_fr,
    p.centre,
    extensions.st_multi(extensions.st_intersection(
        extensions.st_transform(c.cell, 4326),
        extensions.st_buffer(p.centre::extensions.geography, 2500)::extensions.geometry
    )) as boundary
from points as p
inner join cells as c on extensions.st_contains(c.cell, p.mercator);

-- migrate:down
drop table app.areas;
