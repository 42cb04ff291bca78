-- migrate:up
-- The funnel's three medians read from each quote's first booking: its minutes from the quote to
-- the booking, from the booking to its payment, from the payment to its completion. They were
-- computed for every row of the range on every read (timestamps subtracted, date_part), and the
-- rows fetched from the heap: with a month of quotes at 10,000 providers (112,494 first
-- bookings) that was most of a 45-67 ms call. Kept in the row (computed by PostgreSQL from its
-- own columns when it is written: nothing else writes them) and in the index the read walks by
-- quote time, so that the read is an index-only scan of four numbers a row. Same expressions as
-- the read had (api.analytics_funnel, db/functions/84_analytics_behaviour.sql): paid means the
-- booking's payment succeeded (its last change), or nothing was due and it was confirmed at once
-- (no payment); completed counts only a paid booking.
alter table app.analytics_quote_bookings
add column confirm_minutes double precision generated always as (
    pg_catalog.date_part('epoch', booked_at - quoted_at) / 60
) stored,
add column paid_minutes double precision generated always as (
    pg_catalog.date_part('epoch', (
        case
            when payment_status = 'succeeded' then payment_updated_at
            when payment_status is null and status not in ('pending_payment', 'expired') then booked_at
        end
    ) - booked_at) / 60
) stored,
add column completed_minutes double precision generated always as (
    case when status = 'completed' then pg_catalog.date_part('epoch', updated_at - (
        case
            when payment_status = 'succeeded' then payment_updated_at
            when payment_status is null and status not in ('pending_payment', 'expired') then booked_at
        end
    )) / 60 end
) stored;
comment on column app.analytics_quote_bookings.confirm_minutes is
'Minutes from the quote to its first booking (the funnel''s confirm step).';
comment on column app.analytics_quote_bookings.paid_minutes is
'Minutes from the booking to its payment''s success (its last change), 0 when nothing was due and it was confirmed '
'at once; null when not paid (the funnel''s paid step).';
comment on column app.analytics_quote_bookings.completed_minutes is
'Minutes from the payment to the booking''s completion (its last change); null unless paid and completed (the '
'funnel''s completed step).';

drop index app.analytics_quote_bookings_quoted_at_idx;
create index analytics_quote_bookings_quoted_at_idx on app.analytics_quote_bookings (quoted_at)
include (category_id, confirm_minutes, paid_minutes, completed_minutes);

-- migrate:down
drop index app.analytics_quote_bookings_quoted_at_idx;
create index analytics_quote_bookings_quoted_at_idx on app.analytics_quote_bookings (quoted_at)
include (category_id, booking_id, booked_at);
alter table app.analytics_quote_bookings
drop column confirm_minutes,
drop column paid_minutes,
drop column completed_minutes;
