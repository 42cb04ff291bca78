-- migrate:up
-- How many bookings have each figure of money (not zero), beside its sum, in the rollups the
-- drill-down totals read (internal.analytics_drill_total): a money figure's total was counted
-- from the facts, up to 10,000 (25 ms of CPU at 100,000 providers), and is now exact from the
-- rollups like the counts'. net_bookings: captured differs from refunded.
alter table app.analytics_provider_hours
add column captured_bookings bigint not null default 0,
add column refunded_bookings bigint not null default 0,
add column fees_kept_bookings bigint not null default 0,
add column net_bookings bigint not null default 0,
add column outstanding_bookings bigint not null default 0;
alter table app.analytics_deltas
add column captured_bookings bigint not null default 0,
add column refunded_bookings bigint not null default 0,
add column fees_kept_bookings bigint not null default 0,
add column net_bookings bigint not null default 0,
add column outstanding_bookings bigint not null default 0;
alter table app.analytics_hours
add column captured_bookings bigint not null default 0,
add column refunded_bookings bigint not null default 0,
add column fees_kept_bookings bigint not null default 0,
add column net_bookings bigint not null default 0,
add column outstanding_bookings bigint not null default 0;
alter table app.analytics_days
add column captured_bookings bigint not null default 0,
add column refunded_bookings bigint not null default 0,
add column fees_kept_bookings bigint not null default 0,
add column net_bookings bigint not null default 0,
add column outstanding_bookings bigint not null default 0;

-- the counts of every booking now, from each booking's vector. The provider rows are current:
-- set. The rows across providers are current once the deltas not folded yet are: those carry
-- no counts (written before this), so the folded rows take the whole count now, and a key only
-- the deltas hold yet gets a row with its count and zero elsewhere, to which the fold adds
-- the rest.
with c as (
    select
        f.provider_id,
        f.hour,
        f.category_id,
        f.status,
        f.currency,
        sum((f.captured_cents <> 0)::integer) as captured_bookings,
        sum((f.refunded_cents <> 0)::integer) as refunded_bookings,
        sum((f.fees_kept_cents <> 0)::integer) as fees_kept_bookings,
        sum((f.captured_cents <> f.refunded_cents)::integer) as net_bookings,
        sum((f.outstanding_cents <> 0)::integer) as outstanding_bookings
    from app.analytics_booking_facts as f
    group by f.provider_id, f.hour, f.category_id, f.status, f.currency
)

update app.analytics_provider_hours as h set
    captured_bookings = c.captured_bookings,
    refunded_bookings = c.refunded_bookings,
    fees_kept_bookings = c.fees_kept_bookings,
    net_bookings = c.net_bookings,
    outstanding_bookings = c.outstanding_bookings
from c
where
    h.provider_id = c.provider_id and h.hour = c.hour and h.category_id = c.category_id
    and h.status = c.status and h.currency = c.currency;

insert into app.analytics_hours as h (
    hour, category_id, status, currency,
    captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
)
select
    f.hour,
    f.category_id,
    f.status,
    f.currency,
    sum((f.captured_cents <> 0)::integer) as captured_bookings,
    sum((f.refunded_cents <> 0)::integer) as refunded_bookings,
    sum((f.fees_kept_cents <> 0)::integer) as fees_kept_bookings,
    sum((f.captured_cents <> f.refunded_cents)::integer) as net_bookings,
    sum((f.outstanding_cents <> 0)::integer) as outstanding_bookings
from app.analytics_booking_facts as f
group by f.hour, f.category_id, f.status, f.currency
on conflict (hour, category_id, status, currency) do update set
    captured_bookings = excluded.captured_bookings,
    refunded_bookings = excluded.refunded_bookings,
    fees_kept_bookings = excluded.fees_kept_bookings,
    net_bookings = excluded.net_bookings,
    outstanding_bookings = excluded.outstanding_bookings;

insert into app.analytics_days as h (
    day, category_id, status, currency,
    captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
)
select
    (f.hour at time zone 'UTC')::date as day,
    f.category_id,
    f.status,
    f.currency,
    sum((f.captured_cents <> 0)::integer) as captured_bookings,
    sum((f.refunded_cents <> 0)::integer) as refunded_bookings,
    sum((f.fees_kept_cents <> 0)::integer) as fees_kept_bookings,
    sum((f.captured_cents <> f.refunded_cents)::integer) as net_bookings,
    sum((f.outstanding_cents <> 0)::integer) as outstanding_bookings
from app.analytics_booking_facts as f
group by (f.hour at time zone 'UTC')::date, f.category_id, f.status, f.currency
on conflict (day, category_id, status, currency) do update set
    captured_bookings = excluded.captured_bookings,
    refunded_bookings = excluded.refunded_bookings,
    fees_kept_bookings = excluded.fees_kept_bookings,
    net_bookings = excluded.net_bookings,
    outstanding_bookings = excluded.outstanding_bookings;

-- migrate:down
alter table app.analytics_days
drop column captured_bookings, drop column refunded_bookings, drop column fees_kept_bookings,
drop column net_bookings, drop column outstanding_bookings;
alter table app.analytics_hours
drop column captured_bookings, drop column refunded_bookings, drop column fees_kept_bookings,
drop column net_bookings, drop column outstanding_bookings;
alter table app.analytics_deltas
drop column captured_bookings, drop column refunded_bookings, drop column fees_kept_bookings,
drop column net_bookings, drop column outstanding_bookings;
alter table app.analytics_provider_hours
drop column captured_bookings, drop column refunded_bookings, drop column fees_kept_bookings,
drop column net_bookings, drop column outstanding_bookings;
