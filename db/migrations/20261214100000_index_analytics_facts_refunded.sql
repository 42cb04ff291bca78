-- migrate:up
-- Revenue's refunded GST and QST (internal.analytics_refund_taxes) read every succeeded refund
-- ever made, summed per booking, before keeping the bookings of the range: a cost that grew with
-- all-time refunds, not with the range asked. The facts carry each booking's refunded and
-- captured money, category, currency, provider and start hour; the few facts with money refunded,
-- by start hour, are the range's refunded bookings in one index range (and a provider's, by its
-- second column). Written only when a booking's refunds change.
create index analytics_booking_facts_refunded_idx on app.analytics_booking_facts (hour, provider_id)
where refunded_cents <> 0;

-- migrate:down
drop index app.analytics_booking_facts_refunded_idx;
