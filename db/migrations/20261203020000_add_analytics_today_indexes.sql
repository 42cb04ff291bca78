-- migrate:up
-- Today's counters (api.analytics_today, db/functions/85_analytics_today.sql)
-- read the bookings made and the refunds asked for since local midnight across
-- every provider: without an index on when each row was created, every refresh
-- of the ops dashboard (one per booking event) would scan both tables.
create index bookings_created_at_idx on app.bookings (created_at);
create index refunds_created_at_idx on app.refunds (created_at);

-- migrate:down
drop index app.refunds_created_at_idx;
drop index app.bookings_created_at_idx;
