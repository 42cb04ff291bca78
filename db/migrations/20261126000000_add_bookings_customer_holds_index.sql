-- migrate:up
-- A confirm counts the customer's live holds (the max_live_holds_per_customer
-- limit) and looks for the customer's own hold on the same slot: both read the
-- customer's pending holds only, here in expiry order, instead of every booking
-- the customer ever made (see README, Performance: confirm).
create index bookings_customer_id_hold_expires_at_idx on app.bookings (customer_id, hold_expires_at)
where status = 'pending_payment';

-- migrate:down
drop index app.bookings_customer_id_hold_expires_at_idx;
