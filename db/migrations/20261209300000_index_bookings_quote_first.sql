-- migrate:up
-- A quote's first booking (internal.analytics_live_quote_bookings, recomputed by the funnel's
-- triggers on every booking and payment of a quote) read every booking of the quote and sorted
-- them: the benchmark's confirms make up to 50 bookings from one quote, and a confirm paid
-- ~0.5 ms more for it. Ordered by the time made within the quote, the first is one index probe.
-- It also serves what the index on quote_id alone served (the quote's bookings, the foreign
-- key's ON DELETE SET NULL).
create index bookings_quote_id_created_at_id_idx on app.bookings (quote_id, created_at, id);
drop index app.bookings_quote_id_idx;

-- migrate:down
create index bookings_quote_id_idx on app.bookings (quote_id);
drop index app.bookings_quote_id_created_at_id_idx;
