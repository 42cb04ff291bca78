-- migrate:up
-- Analytics rollups (docs/analytics.md). Every booking contributes one vector of
-- figures (a count, its price, its lead time, who cancelled it and how late, the
-- money captured, refunded, kept as fees and still outstanding) under one key:
-- its provider, its service's category, the UTC hour its appointment starts, its
-- status and its currency. app.analytics_booking_facts keeps each booking's
-- current vector; the two rollups are the sums of those vectors per key, one
-- with the provider (a provider's dashboard) and one without (ops, across
-- providers). Triggers on the base tables keep all three exact in the
-- transaction of the change (db/functions/80_analytics_rollups.sql);
-- internal.analytics_rebuild() recomputes them from the base tables.
-- No foreign keys: a deleted booking must still be subtracted by its trigger,
-- and the rows are derived data that a rebuild rewrites.
create table app.analytics_booking_facts (
    booking_id uuid not null,
    provider_id uuid not null,
    category_id integer not null,
    hour timestamptz not null,
    status text not null,
    currency text not null,
    bookings integer not null,
    booked_cents bigint not null,
    lead_minutes bigint not null,
    cancelled_by_customer integer not null,
    cancelled_by_provider integer not null,
    cancelled_by_ops integer not null,
    cancelled_by_system integer not null,
    cancelled_late integer not null,
    captured_cents bigint not null,
    refunded_cents bigint not null,
    fees_kept_cents bigint not null,
    outstanding_cents bigint not null,
    constraint analytics_booking_facts_pkey primary key (booking_id)
);
comment on table app.analytics_booking_facts is
'Each booking''s current contribution to the analytics rollups (derived; rewritten by internal.analytics_rebuild).';
create index analytics_booking_facts_provider_id_hour_idx on app.analytics_booking_facts (provider_id, hour);
create index analytics_booking_facts_hour_idx on app.analytics_booking_facts (hour);

create table app.analytics_provider_hours (
    provider_id uuid not null,
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
    constraint analytics_provider_hours_pkey primary key (provider_id, hour, category_id, status, currency)
);
comment on table app.analytics_provider_hours is
'Rollup: the sums of app.analytics_booking_facts per provider, UTC start hour, category, status and currency.';

-- ops' figures across providers add up the provider rows of a time range at read time
create index analytics_provider_hours_hour_idx on app.analytics_provider_hours (hour);

-- the funnel and the cohorts read quotes and customers by creation time
create index quotes_created_at_idx on app.quotes (created_at);
create index users_created_at_idx on app.users (created_at) where role = 'customer';

-- migrate:down
-- the declarative view over bookings, services, payments, refunds and fees
-- (db/functions/80_analytics_rollups.sql) would hold back the earlier
-- migrations' downs (a dropped column, a dropped table); deploy recreates it
drop view if exists internal.analytics_live_facts;
-- and so would the triggers' WHEN clauses (they name columns); deploy recreates them
drop trigger if exists _510_analytics_insert on app.bookings;
drop trigger if exists _510_analytics_update on app.bookings;
drop trigger if exists _510_analytics_insert on app.payments;
drop trigger if exists _510_analytics_update on app.payments;
drop trigger if exists _510_analytics_insert on app.refunds;
drop trigger if exists _510_analytics_update on app.refunds;
drop trigger if exists _510_analytics_insert on app.booking_fees;
drop trigger if exists _510_analytics_update on app.booking_fees;
drop trigger if exists _510_analytics_category on app.services;
drop index app.analytics_provider_hours_hour_idx;
drop index app.users_created_at_idx;
drop index app.quotes_created_at_idx;
-- cascade: the policies, and the functions whose arguments or results are these
-- tables' row types (internal.analytics_apply, internal.analytics_rows); deploy
-- recreates them.
drop table app.analytics_provider_hours cascade;
drop table app.analytics_booking_facts cascade;
