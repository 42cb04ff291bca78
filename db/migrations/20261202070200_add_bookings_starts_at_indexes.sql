-- migrate:up
-- The booking lists of the web app order by the appointment's start: a
-- provider's calendar (api.my_provider_bookings, per provider) and the ops
-- search (api.ops_bookings, over every booking, newest first). Keyset
-- pagination walks (start, id) on these indexes instead of sorting every row.
create index bookings_provider_id_starts_at_idx on app.bookings (provider_id, lower(during), id);
create index bookings_starts_at_idx on app.bookings (lower(during), id);

-- migrate:down
drop index app.bookings_starts_at_idx;
drop index app.bookings_provider_id_starts_at_idx;
