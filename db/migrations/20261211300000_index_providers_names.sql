-- migrate:up
-- Ops' list of providers (internal.ops_providers) sorts them by name and searches a part of the
-- name, an owner's or contact email, or an id. With no index for either, every page sorted
-- every provider and every search read them all (100,000 providers: ~110 ms a page, ~170 ms a
-- search). By name then id, a page is one index range; a part of a name (three letters or
-- more) is found through its trigrams (pg_trgm: the GIN index answers LIKE '%part%'); a
-- contact email through its own index.
create extension if not exists pg_trgm with schema extensions;
create index providers_business_name_id_idx on app.providers (business_name, id);
create index providers_business_name_trgm_idx on app.providers
using gin (lower(business_name) extensions.gin_trgm_ops);
create index providers_contact_email_idx on app.providers ((contact_email::text));

-- migrate:down
drop index app.providers_contact_email_idx;
drop index app.providers_business_name_trgm_idx;
drop index app.providers_business_name_id_idx;
drop extension pg_trgm;
