-- migrate:up
-- Bookings of one status, latest start first (ops' search by status, api.ops_bookings): without
-- it the planner walked the index on the start time backwards until a page of them turned up,
-- which for a status few bookings have is every booking of the marketplace (10,000 providers,
-- 132,000 bookings: 170-230 ms for no-shows, completed bookings or live holds; ten times that at
-- 100,000). In start order within the status, the page is one index range. A booking's status
-- is already in the predicates of partial indexes, so a change of status was never a HOT
-- update: the index adds one entry to a booking's insert and to each change of its status.
create index bookings_status_starts_at_idx on app.bookings (status, lower(during), id);

-- migrate:down
drop index app.bookings_status_starts_at_idx;
