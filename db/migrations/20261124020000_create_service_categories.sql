-- migrate:up
-- The fixed list of service categories a customer asks a quote for (by slug).
-- Names in both of Bookiji's languages; the rows themselves are seeded by the
-- next migration and change only through migrations.
create table app.service_categories (
    id integer primary key,
    slug text not null,
    name_en text not null,
    name_fr text not null,
    sort_order integer not null default 0,
    constraint service_categories_slug_key unique (slug),
    constraint service_categories_slug_check check (slug ~ '^[a-z][a-z0-9-]{1,39}$'),
    constraint service_categories_name_en_check check (length(btrim(name_en)) between 1 and 80),
    constraint service_categories_name_fr_check check (length(btrim(name_fr)) between 1 and 80)
);
comment on table app.service_categories is
'The fixed list of service categories (slug, English and French names); seeded by a migration.';

-- migrate:down
-- cascade: the declarative api views (and functions returning their rows)
-- depend on the table; deploy recreates them.
drop table app.service_categories cascade;
