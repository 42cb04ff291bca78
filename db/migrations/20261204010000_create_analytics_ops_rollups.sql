-- migrate:up
-- Analytics across providers without a row that concurrent confirms share
-- (docs/analytics.md#across-providers), and the taxes inside captured money.
--
-- Every write that moves a provider's hourly rollup row (app.analytics_provider_hours)
-- also appends the same difference, without its provider, to app.analytics_deltas:
-- an insert, never an update, so two confirms never wait on each other there.
-- internal.analytics_compact() (the worker, after each sweep) folds the committed
-- deltas into two rollups across providers, one per UTC hour and one per UTC day,
-- and deletes them in the same statement. A read sums rollup rows and the deltas not
-- folded yet: exact at every moment, whether or not the compaction ran.
--
-- gst_cents and qst_cents: the GST and QST inside captured_cents (the taxes of the
-- booking's first charge, for each of its payments that succeeded).
alter table app.analytics_booking_facts
add column gst_cents bigint not null default 0,
add column qst_cents bigint not null default 0;
alter table app.analytics_provider_hours
add column gst_cents bigint not null default 0,
add column qst_cents bigint not null default 0;

create table app.analytics_deltas (
    hour timestamptz not null,
    category_id integer not null,
    status text not null,
    currency text not null,
    bookings bigint not null,
    booked_cents bigint not null,
    lead_minutes bigint not null,
    cancelled_by_customer bigint not null,
    cancelled_by_provider bigint not null,
    cancelled_by_ops bigint not null,
    cancelled_by_system bigint not null,
    cancelled_late bigint not null,
    captured_cents bigint not null,
    refunded_cents bigint not null,
    fees_kept_cents bigint not null,
    outstanding_cents bigint not null,
    gst_cents bigint not null,
    qst_cents bigint not null
);
comment on table app.analytics_deltas is
'Differences of the analytics figures not yet folded into the rollups across providers '
'(append-only; internal.analytics_compact folds and deletes them).';
alter table app.analytics_deltas set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);

create table app.analytics_hours (
    hour timestamptz not null,
    category_id integer not null,
    status text not null,
    currency text not null,
    bookings bigint not null default 0,
    booked_cents bigint not null default 0,
    lead_minutes bigint not null default 0,
    cancelled_by_customer bigint not null default 0,
    cancelled_by_provider bigint not null default 0,
    cancelled_by_ops bigint not null default 0,
    cancelled_by_system bigint not null default 0,
    cancelled_late bigint not null default 0,
    captured_cents bigint not null default 0,
    refunded_cents bigint not null default 0,
    fees_kept_cents bigint not null default 0,
    outstanding_cents bigint not null default 0,
    gst_cents bigint not null default 0,
    qst_cents bigint not null default 0,
    constraint analytics_hours_pkey primary key (hour, category_id, status, currency)
);
comment on table app.analytics_hours is
'Rollup across providers per UTC start hour, category, status and currency (folded from app.analytics_deltas).';

create table app.analytics_days (
    day date not null,
    category_id integer not null,
    status text not null,
    currency text not null,
    bookings bigint not null default 0,
    booked_cents bigint not null default 0,
    lead_minutes bigint not null default 0,
    cancelled_by_customer bigint not null default 0,
    cancelled_by_provider bigint not null default 0,
    cancelled_by_ops bigint not null default 0,
    cancelled_by_system bigint not null default 0,
    cancelled_late bigint not null default 0,
    captured_cents bigint not null default 0,
    refunded_cents bigint not null default 0,
    fees_kept_cents bigint not null default 0,
    outstanding_cents bigint not null default 0,
    gst_cents bigint not null default 0,
    qst_cents bigint not null default 0,
    constraint analytics_days_pkey primary key (day, category_id, status, currency)
);
comment on table app.analytics_days is
'Rollup across providers per UTC start day, category, status and currency (folded from app.analytics_deltas).';

-- migrate:down
drop table app.analytics_days cascade;
drop table app.analytics_hours cascade;
drop table app.analytics_deltas cascade;
alter table app.analytics_provider_hours drop column gst_cents cascade, drop column qst_cents cascade;
alter table app.analytics_booking_facts drop column gst_cents cascade, drop column qst_cents cascade;
