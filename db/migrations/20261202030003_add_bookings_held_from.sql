-- migrate:up
-- Slot hoarding: accounts are free, so a per-account limit on live holds does
-- not stop one client from emptying a calendar with many accounts. A confirm now
-- records the network it came from (nginx's X-Real-IP: the address, or its /64
-- for IPv6) and refuses a new hold past max_live_holds_per_address live unpaid
-- holds from that network, whichever accounts made them (db/functions/45_booking.sql,
-- docs/security.md). Only the pending holds are read, through this partial index.
alter table app.bookings add column held_from text;
comment on column app.bookings.held_from is
'The client network the hold was made from (IPv4 address, IPv6 /64), for the per-address hold limit; null outside HTTP.';
create index bookings_held_from_hold_expires_at_idx on app.bookings (held_from, hold_expires_at)
where status = 'pending_payment' and held_from is not null;

-- migrate:down
drop index app.bookings_held_from_hold_expires_at_idx;
alter table app.bookings drop column held_from;
