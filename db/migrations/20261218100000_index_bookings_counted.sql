-- migrate:up
-- The bookings that count (confirmed, completed, no-show) of a provider by start. The reads that
-- want only those by provider and time (the performance page's booked minutes and customers,
-- internal.analytics_performance; a provider's fill in the pricing advice) went through
-- bookings_provider_id_starts_at_idx, which holds every status, and dropped the others after
-- fetching each row: holds that lapsed unpaid, cancellations. Where many holds lapse that is most
-- of the rows (the 10,000-provider benchmark dataset: 547,916 expired bookings for 107,239
-- confirmed; a page of 100 providers over 31 days fetched 4,738 buffers for 1,090 bookings,
-- 0.5 ms of 518 through this index). A confirm's hold is not in it (pending_payment): only the
-- payment's confirmation, a completion and a no-show write an entry.
create index bookings_counted_provider_id_starts_at_idx on app.bookings (provider_id, lower(during))
where status in ('confirmed', 'completed', 'no_show');

-- migrate:down
drop index app.bookings_counted_provider_id_starts_at_idx;
