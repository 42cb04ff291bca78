\restrict dbmate

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA api;


--
-- Name: app; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app;


--
-- Name: audit; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA audit;


--
-- Name: auth; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA auth;


--
-- Name: extensions; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA extensions;


--
-- Name: internal; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA internal;


--
-- Name: pgmq; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA pgmq;


--
-- Name: btree_gist; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA extensions;


--
-- Name: EXTENSION btree_gist; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';


--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA extensions;


--
-- Name: EXTENSION citext; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';


--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;


--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';


--
-- Name: postgis; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA extensions;


--
-- Name: EXTENSION postgis; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION postgis IS 'PostGIS geometry and geography spatial types and functions';


--
-- Name: message_record; Type: TYPE; Schema: pgmq; Owner: -
--

CREATE TYPE pgmq.message_record AS (
	msg_id bigint,
	read_ct integer,
	enqueued_at timestamp with time zone,
	last_read_at timestamp with time zone,
	vt timestamp with time zone,
	message jsonb,
	headers jsonb
);


--
-- Name: metrics_result; Type: TYPE; Schema: pgmq; Owner: -
--

CREATE TYPE pgmq.metrics_result AS (
	queue_name text,
	queue_length bigint,
	newest_msg_age_sec integer,
	oldest_msg_age_sec integer,
	total_messages bigint,
	scrape_time timestamp with time zone,
	queue_visible_length bigint,
	default_partition_length bigint
);


--
-- Name: queue_record; Type: TYPE; Schema: pgmq; Owner: -
--

CREATE TYPE pgmq.queue_record AS (
	queue_name character varying,
	is_partitioned boolean,
	is_unlogged boolean,
	created_at timestamp with time zone
);


--
-- Name: analytics_areas(date, date, text, numeric, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_areas("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, tz text DEFAULT 'UTC'::text, cell_deg numeric DEFAULT 0.02, category text DEFAULT NULL::text) RETURNS TABLE(area text, category text, currency text, providers bigint, bookings bigint, completed bigint, no_show bigint, cancelled bigint, booked_cents bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, net_cents bigint, outstanding_cents bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require_role('ops', 'only ops staff may read the figures by area');
    select internal.analytics_cell(analytics_areas.cell_deg);
    select internal.fail('invalid_input', 'category: no such category')
    where
        analytics_areas.category is not null
        and not exists (select from app.service_categories as k where k.slug = analytics_areas.category);
    select from internal.analytics_window(analytics_areas."from", analytics_areas."to", analytics_areas.tz, 'day');
    with w as (
        select w.*
        from internal.analytics_window(analytics_areas."from", analytics_areas."to", analytics_areas.tz, 'day') as w
    ),
    -- summed per provider first, so that each provider's cell is computed once
    per_provider as (
        select
            h.provider_id, h.category_id, h.currency,
            pg_catalog.sum(h.bookings) as bookings,
            pg_catalog.sum(h.bookings) filter (where h.status = 'completed') as completed,
            pg_catalog.sum(h.bookings) filter (where h.status = 'no_show') as no_show,
            pg_catalog.sum(h.bookings) filter (where h.status = 'cancelled') as cancelled,
            pg_catalog.sum(h.booked_cents) as booked_cents, pg_catalog.sum(h.captured_cents) as captured_cents,
            pg_catalog.sum(h.refunded_cents) as refunded_cents, pg_catalog.sum(h.fees_kept_cents) as fees_kept_cents,
            pg_catalog.sum(h.outstanding_cents) as outstanding_cents
        from w
        inner join app.analytics_provider_hours as h on h.hour >= w.from_ts and h.hour < w.to_ts
        where
            analytics_areas.category is null
            or h.category_id = (select k.id from app.service_categories as k where k.slug = analytics_areas.category)
        group by h.provider_id, h.category_id, h.currency
    )
    select
        -- internal.analytics_area written out: a function with a pinned search_path is never
        -- inlined, and a call per provider cost a thousand providers about 20 ms
        pg_catalog.format(
            '%s,%s',
            pg_catalog.floor(p.lat::numeric / analytics_areas.cell_deg) * analytics_areas.cell_deg,
            pg_catalog.floor(p.lng::numeric / analytics_areas.cell_deg) * analytics_areas.cell_deg
        ) as area,
        k.slug, x.currency,
        pg_catalog.count(*) filter (where x.bookings <> 0),
        pg_catalog.sum(x.bookings)::bigint,
        coalesce(pg_catalog.sum(x.completed), 0)::bigint,
        coalesce(pg_catalog.sum(x.no_show), 0)::bigint,
        coalesce(pg_catalog.sum(x.cancelled), 0)::bigint,
        pg_catalog.sum(x.booked_cents)::bigint, pg_catalog.sum(x.captured_cents)::bigint,
        pg_catalog.sum(x.refunded_cents)::bigint, pg_catalog.sum(x.fees_kept_cents)::bigint,
        pg_catalog.sum(x.captured_cents - x.refunded_cents)::bigint, pg_catalog.sum(x.outstanding_cents)::bigint
    from per_provider as x
    inner join app.providers as p on x.provider_id = p.id
    inner join app.service_categories as k on x.category_id = k.id
    group by 1, k.slug, x.currency
    having
        pg_catalog.sum(x.bookings) <> 0 or pg_catalog.sum(x.captured_cents) <> 0
        or pg_catalog.sum(x.refunded_cents) <> 0 or pg_catalog.sum(x.outstanding_cents) <> 0
    order by 1, k.slug, x.currency
$$;


--
-- Name: FUNCTION analytics_areas("from" date, "to" date, tz text, cell_deg numeric, category text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_areas("from" date, "to" date, tz text, cell_deg numeric, category text) IS 'Bookings and money per area (a grid cell of the providers'' locations), category and currency (ops only).

Inputs: from and to (local dates in tz, both included; at most 366 days), tz (default UTC; offsets in
whole hours), cell_deg (the cell''s size in degrees, 0.005 to 1; default 0.02, about 2.2 x 1.6 km in
Montreal), category (a slug; optional). Each row: area ("lat,lng" of the cell''s south-west corner),
category, currency, providers (with bookings there in the range), bookings, completed, no_show,
cancelled, booked_cents, captured_cents, refunded_cents, fees_kept_cents, net_cents, outstanding_cents:
the figures of analytics_overview summed over the range, from the rollups, placed where each provider
is now. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz, cell_deg or category; 403 forbidden for any role but ops.';


--
-- Name: analytics_cohorts(date, date, text, integer); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_cohorts("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, tz text DEFAULT 'UTC'::text, weeks integer DEFAULT 8) RETURNS TABLE(cohort_week date, customers bigint, week_offset integer, active_customers bigint, retention numeric)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require_role('ops', 'only ops staff may read customer cohorts');
    select internal.fail('invalid_input', 'weeks must be between 1 and 26')
    where analytics_cohorts.weeks is null or analytics_cohorts.weeks not between 1 and 26;
    with w as (
        select w.*
        from internal.analytics_window(analytics_cohorts."from", analytics_cohorts."to", analytics_cohorts.tz,
            'week', 183) as w
    ),
    c as (
        select u.id, pg_catalog.date_trunc('week', u.created_at at time zone w.tz)::date as cohort_week
        from app.users as u, w
        where u.role = 'customer' and u.created_at >= w.from_ts and u.created_at < w.to_ts
    ),
    sizes as (
        select c.cohort_week, pg_catalog.count(*) as n from c group by c.cohort_week
    ),
    active as (
        select
            c.cohort_week,
            ((pg_catalog.date_trunc('week', b.created_at at time zone w.tz)::date - c.cohort_week) / 7) as k,
            pg_catalog.count(distinct c.id) as a
        from c
        inner join app.bookings as b on b.customer_id = c.id
        cross join w
        where
            b.status <> 'expired'
            and b.created_at >= (c.cohort_week::timestamp at time zone w.tz)
            and b.created_at < ((c.cohort_week + 7 * (analytics_cohorts.weeks + 1))::timestamp at time zone w.tz)
        group by 1, 2
    )
    select
        s.cohort_week, s.n, k.k, coalesce(a.a, 0), pg_catalog.round(coalesce(a.a, 0)::numeric / s.n, 4)
    from sizes as s
    cross join pg_catalog.generate_series(0, analytics_cohorts.weeks) as k (k)
    left join active as a on s.cohort_week = a.cohort_week and k.k = a.k
    order by s.cohort_week, k.k
$$;


--
-- Name: FUNCTION analytics_cohorts("from" date, "to" date, tz text, weeks integer); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_cohorts("from" date, "to" date, tz text, weeks integer) IS 'Customer retention by sign-up week (ops only).

Inputs: from and to (local dates in tz, both included, at most 183 days: customers who signed up then),
tz (default UTC; offsets in whole hours), weeks (how many weeks after sign-up, 1-26, default 8).
Each row: cohort_week (the Monday of the local sign-up week), customers (signed up that week, within
from..to), week_offset (0 = the sign-up week), active_customers (of them, those who made a booking that
did not lapse unpaid in that week), retention (active_customers / customers). Counted live from the
base tables. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or weeks; 403 forbidden for any role but ops.';


--
-- Name: analytics_funnel(date, date, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_funnel("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, tz text DEFAULT 'UTC'::text, category text DEFAULT NULL::text) RETURNS TABLE(step integer, name text, quotes bigint, share_of_quotes numeric, share_of_previous numeric, drop_off bigint, median_minutes_from_previous numeric)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require_role('ops', 'only ops staff may read the booking funnel');
    select internal.fail('invalid_input', 'category: no such category')
    where
        analytics_funnel.category is not null
        and not exists (select from app.service_categories as k where k.slug = analytics_funnel.category);
    with w as (
        select w.*
        from internal.analytics_window(analytics_funnel."from", analytics_funnel."to", analytics_funnel.tz,
            'day', 92) as w
    ),
    q as (
        select q.id, q.created_at
        from app.quotes as q, w
        where
            q.created_at >= w.from_ts and q.created_at < w.to_ts
            and (
                analytics_funnel.category is null
                or q.category_id = (select k.id from app.service_categories as k where k.slug = analytics_funnel.category)
            )
    ),
    -- a quote's booking: the first one made from it
    b as (
        select distinct on (b.quote_id)
            b.quote_id, b.id, b.created_at, b.status, b.updated_at, q.created_at as quoted_at
        from app.bookings as b
        inner join q on b.quote_id = q.id
        order by b.quote_id, b.created_at, b.id
    ),
    -- paid: its payment succeeded (when it last changed), or nothing was due and it was confirmed at once
    paid as (
        select
            b.*,
            coalesce(
                (
                    select pg_catalog.max(p.updated_at) from app.payments as p
                    where p.booking_id = b.id and p.status = 'succeeded'
                ),
                case
                    when
                        b.status not in ('pending_payment', 'expired')
                        and not exists (select from app.payments as p where p.booking_id = b.id)
                        then b.created_at
                end
            ) as paid_at
        from b
    ),
    steps as (
        select 1 as step, 'quote' as name, pg_catalog.count(*) as n, null::double precision as median
        from q
        union all
        select
            2, 'confirm', pg_catalog.count(*),
            pg_catalog.percentile_cont(0.5) within group (order by extract(epoch from b.created_at - b.quoted_at) / 60)
        from b
        union all
        select
            3, 'paid', pg_catalog.count(*),
            pg_catalog.percentile_cont(0.5) within group (order by extract(epoch from p.paid_at - p.created_at) / 60)
        from paid as p
        where p.paid_at is not null
        union all
        select
            4, 'completed', pg_catalog.count(*),
            pg_catalog.percentile_cont(0.5) within group (order by extract(epoch from p.updated_at - p.paid_at) / 60)
        from paid as p
        where p.paid_at is not null and p.status = 'completed'
    )
    select
        s.step,
        s.name,
        s.n,
        pg_catalog.round(s.n::numeric / nullif(pg_catalog.first_value(s.n) over (order by s.step), 0), 4),
        pg_catalog.round(s.n::numeric / nullif(pg_catalog.lag(s.n) over (order by s.step), 0), 4),
        pg_catalog.lag(s.n) over (order by s.step) - s.n,
        pg_catalog.round(s.median::numeric, 1)
    from steps as s
    order by s.step
$$;


--
-- Name: FUNCTION analytics_funnel("from" date, "to" date, tz text, category text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_funnel("from" date, "to" date, tz text, category text) IS 'The booking funnel (ops only): quotes asked in the range, and how many went on to each step.

Inputs: from and to (local dates in tz, both included, at most 92 days), tz (default UTC; offsets in
whole hours), category (a category slug; default all).
Steps: quote (quotes created in the range), confirm (of those, quotes that became a booking), paid
(that booking''s payment succeeded, or it was free and confirmed at once), completed (it was then
completed). Each row: quotes (how many reached the step), share_of_quotes, share_of_previous,
drop_off (lost since the previous step), median_minutes_from_previous (quote to booking; booking to
payment, its last change; payment to completion, the booking''s last change). Counted live from the
base tables. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or category; 403 forbidden for any role but ops.';


--
-- Name: analytics_overview(date, date, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_overview("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, tz text DEFAULT 'UTC'::text, group_by text DEFAULT 'day'::text) RETURNS TABLE(bucket_start timestamp with time zone, bucket_end timestamp with time zone, bucket_local timestamp without time zone, category text, currency text, bookings bigint, pending_payment bigint, confirmed bigint, completed bigint, no_show bigint, cancelled bigint, expired bigint, cancelled_by_customer bigint, cancelled_by_provider bigint, cancelled_by_ops bigint, cancelled_by_system bigint, cancelled_late bigint, lead_minutes bigint, booked_cents bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, net_cents bigint, outstanding_cents bigint, gst_cents bigint, qst_cents bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require_role('ops', 'only ops staff may read the analytics overview');
    select s.*
    from internal.analytics_window(analytics_overview."from", analytics_overview."to",
        analytics_overview.tz, analytics_overview.group_by) as w,
    lateral internal.analytics_series(null, w.from_ts, w.to_ts, w.tz, w.grain) as s
$$;


--
-- Name: FUNCTION analytics_overview("from" date, "to" date, tz text, group_by text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_overview("from" date, "to" date, tz text, group_by text) IS 'Bookings and money across every provider (ops only), per bucket, category and currency, from the rollups.

Inputs: from and to (local dates in tz, both included; at most 366 days, 31 with group_by hour), tz
(an IANA zone whose offset is a whole number of hours, default UTC), group_by (hour, day, week or month;
default day). A booking counts in the bucket where its appointment starts, in its current status.
Each row: bucket_start and bucket_end (instants; a DST day lasts 23 or 25 hours), bucket_local (the
bucket''s local start), category (slug), currency, bookings and the count per status, cancellations by
who cancelled (customer, provider, ops, system) and cancelled_late (within the notice period),
lead_minutes (the sum of minutes from booking to start: divide by bookings for the mean), booked_cents
(list prices), captured_cents, refunded_cents, fees_kept_cents (cancellation fees kept), net_cents
(captured - refunded), outstanding_cents (payments not yet settled), gst_cents and qst_cents (the GST and QST
inside captured_cents). Integer cents, one currency per row. Across providers it reads whole UTC days and the edge
hours of rollups kept across providers (docs/analytics.md).
Definitions: docs/analytics.md. Accept: text/csv gives CSV.
Errors: 400 invalid_input naming from, to, tz or group_by; 403 forbidden for any role but ops.';


--
-- Name: analytics_performance(date, date, uuid, numeric); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_performance("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, provider_id uuid DEFAULT NULL::uuid, cell_deg numeric DEFAULT 0.02) RETURNS TABLE(provider_id uuid, business_name text, time_zone text, area text, offered_minutes bigint, booked_minutes bigint, utilisation numeric, bookings bigint, completed bigint, no_show bigint, cancelled bigint, cancellation_rate numeric, no_show_rate numeric, customers bigint, repeat_customers bigint, repeat_customer_share numeric, reviews bigint, rating_avg numeric, previous_reviews bigint, previous_rating_avg numeric, rating_change numeric, captured_cents bigint, refunded_cents bigint, net_cents bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require(analytics_performance."from", 'from', 'a date, YYYY-MM-DD');
    select internal.require(analytics_performance."to", 'to', 'a date, YYYY-MM-DD');
    select internal.analytics_cell(analytics_performance.cell_deg);
    -- the range checked in a statement of its own: in the query below, a join order that reads an
    -- empty side first would never call it
    select
    from internal.analytics_window(analytics_performance."from", analytics_performance."to", 'UTC', 'day',
        case when internal.analytics_subject(analytics_performance.provider_id, false) is null then 31 else 366 end);
    with subject as (
        select internal.analytics_subject(analytics_performance.provider_id, false) as id
    ),
    w as (
        select w.*
        from subject, lateral internal.analytics_window(analytics_performance."from", analytics_performance."to",
            'UTC', 'day', case when subject.id is null then 31 else 366 end) as w
    )
    select x.*
    from subject, w,
    lateral internal.analytics_performance(subject.id, analytics_performance."from", analytics_performance."to",
        analytics_performance.cell_deg) as x
$$;


--
-- Name: FUNCTION analytics_performance("from" date, "to" date, provider_id uuid, cell_deg numeric); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_performance("from" date, "to" date, provider_id uuid, cell_deg numeric) IS 'Provider performance over local days: utilisation, cancellation and no-show rates, repeat customers, rating trend.

Inputs: from and to (local dates in each provider''s own zone, both included; at most 366 days for one
provider, 31 across every provider), provider_id (a provider: omit it or give its own; ops: one provider,
or omit it for every provider), cell_deg (the grid cell of area, in degrees, 0.005 to 1; default 0.02).
One row per provider: area (the grid cell of its location, "lat,lng" of the south-west corner),
offered_minutes (weekly hours on each day of the range minus time off), booked_minutes (the part of
them its confirmed, completed and no-show bookings starting in the range occupy), utilisation
(booked / offered, 0-1; null with nothing offered), bookings starting in the range (every status),
completed, no_show, cancelled, cancellation_rate (cancelled / bookings that are
neither holds nor expired), no_show_rate (no_show / (completed + no_show)), customers (distinct, with a
confirmed, completed or no-show booking in the range), repeat_customers (those who booked it at least
twice up to the end of the range) and repeat_customer_share, reviews and rating_avg (published reviews
written in the range, mean stars), previous_reviews and previous_rating_avg (the as-long period just
before), rating_change (the difference), captured_cents, refunded_cents (succeeded), net_cents.
Counted live from the base tables. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to or cell_deg; 403 forbidden (another provider''s id, or a
customer); 404 not_found (no such provider, or no provider profile).';


--
-- Name: analytics_provider(date, date, text, text, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_provider("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, group_by text DEFAULT 'day'::text, tz text DEFAULT NULL::text, provider_id uuid DEFAULT NULL::uuid) RETURNS TABLE(bucket_start timestamp with time zone, bucket_end timestamp with time zone, bucket_local timestamp without time zone, category text, currency text, bookings bigint, pending_payment bigint, confirmed bigint, completed bigint, no_show bigint, cancelled bigint, expired bigint, cancelled_by_customer bigint, cancelled_by_provider bigint, cancelled_by_ops bigint, cancelled_by_system bigint, cancelled_late bigint, lead_minutes bigint, booked_cents bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, net_cents bigint, outstanding_cents bigint, gst_cents bigint, qst_cents bigint, peer_category text, peer_area text, peer_providers integer, bookings_percentile numeric, net_percentile numeric, completion_rate_percentile numeric)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- the required arguments first, whoever calls
    select internal.require(analytics_provider."from", 'from', 'a date, YYYY-MM-DD');
    select internal.require(analytics_provider."to", 'to', 'a date, YYYY-MM-DD');
    with subject as (
        select internal.analytics_subject(analytics_provider.provider_id, true) as id
    ),
    zone as (
        select coalesce(
            analytics_provider.tz,
            (select p.time_zone from app.providers as p, subject where p.id = subject.id)
        ) as tz
    ),
    w as (
        select w.*
        from zone, lateral internal.analytics_window(analytics_provider."from", analytics_provider."to",
            zone.tz, analytics_provider.group_by) as w
    ),
    -- materialized: inlined, the planner put the ranks on the inner side of a nested loop and
    -- computed them again for every row of the series (12 rows: 12 times 16 ms)
    ranks as materialized (
        select r.* from subject, w, lateral internal.analytics_peer_ranks(subject.id, w.from_ts, w.to_ts) as r
    )
    select s.*, ranks.*
    from subject, w, ranks,
    lateral internal.analytics_series(subject.id, w.from_ts, w.to_ts, w.tz, w.grain) as s
$$;


--
-- Name: FUNCTION analytics_provider("from" date, "to" date, group_by text, tz text, provider_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_provider("from" date, "to" date, group_by text, tz text, provider_id uuid) IS 'A provider''s own figures per bucket, category and currency, with its anonymised rank among its peers.

Inputs: from and to (local dates, both included; at most 366 days, 31 with group_by hour), group_by
(hour, day, week, month; default day), tz (default the provider''s own zone; offsets in whole hours),
provider_id (a provider: omit it or give its own; ops: required).
Each row has the columns of analytics_overview for this provider only, and the same rank for the whole
range: peer_category and peer_area (its main category and 0.1-degree cell), peer_providers (how many
providers of that category in that cell, itself included), and its percentiles among them for bookings,
net revenue and completion rate (share of peers below it, 0-100; null with fewer than 3 peers). Never
another provider''s figures or name. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz, group_by or provider_id; 403 forbidden (another
provider''s id, or a customer); 404 not_found (no such provider, or no provider profile).';


--
-- Name: analytics_refunds(date, date, text, text, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_refunds("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, tz text DEFAULT NULL::text, group_by text DEFAULT 'day'::text, provider_id uuid DEFAULT NULL::uuid) RETURNS TABLE(bucket_start timestamp with time zone, bucket_end timestamp with time zone, bucket_local timestamp without time zone, reason text, status text, currency text, refunds bigint, amount_cents bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require(analytics_refunds."from", 'from', 'a date, YYYY-MM-DD');
    select internal.require(analytics_refunds."to", 'to', 'a date, YYYY-MM-DD');
    select
    from internal.analytics_window(analytics_refunds."from", analytics_refunds."to", coalesce(
        analytics_refunds.tz,
        (
            select p.time_zone from app.providers as p
            where p.id = internal.analytics_subject(analytics_refunds.provider_id, false)
        ),
        'UTC'
    ), analytics_refunds.group_by);
    with subject as (
        select internal.analytics_subject(analytics_refunds.provider_id, false) as id
    ),
    zone as (
        select coalesce(
            analytics_refunds.tz,
            (select p.time_zone from app.providers as p, subject where p.id = subject.id),
            'UTC'
        ) as tz
    ),
    w as (
        select w.*
        from zone, lateral internal.analytics_window(analytics_refunds."from", analytics_refunds."to", zone.tz,
            analytics_refunds.group_by) as w
    ),
    r as (
        select
            case
                when w.grain = 'hour' then pg_catalog.date_trunc('hour', pg_catalog.lower(b.during), 'UTC')
            end as h,
            case
                when w.grain <> 'hour' then pg_catalog.date_trunc(w.grain, pg_catalog.lower(b.during) at time zone w.tz)
            end as lb,
            internal.refund_reason_kind(f.requested_role, f.reason) as reason,
            f.status, b.currency, f.amount_cents
        from subject, w
        inner join app.bookings as b
            on pg_catalog.lower(b.during) >= w.from_ts and pg_catalog.lower(b.during) < w.to_ts
        inner join app.refunds as f on b.id = f.booking_id
        where subject.id is null or b.provider_id = subject.id
    )
    select
        coalesce(r.h, r.lb at time zone w.tz),
        coalesce(r.h + interval '1 hour', (r.lb + ('1 ' || w.grain)::interval) at time zone w.tz),
        coalesce(r.h, r.lb at time zone w.tz) at time zone w.tz,
        r.reason, r.status, r.currency, pg_catalog.count(*), pg_catalog.sum(r.amount_cents)::bigint
    from r, w
    group by r.h, r.lb, w.tz, w.grain, r.reason, r.status, r.currency
    order by 1, r.reason, r.status, r.currency
$$;


--
-- Name: FUNCTION analytics_refunds("from" date, "to" date, tz text, group_by text, provider_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_refunds("from" date, "to" date, tz text, group_by text, provider_id uuid) IS 'Refunds per bucket, reason, status and currency (ops: every provider or the one given; a provider: its own).

Inputs: from and to (local dates, both included; at most 366 days, 31 with group_by hour), tz (default:
the provider''s own zone, or UTC for ops across providers; offsets in whole hours), group_by (hour, day,
week, month; default day), provider_id (ops: optional; a provider: omit it or give its own).
A refund counts in the bucket where its booking''s appointment starts, like refunded_cents in
analytics_revenue (whose refunded_cents equal the succeeded amount_cents here). reason:
customer_cancellation, provider_cancellation, ops_cancellation (a refund made by a cancellation),
ops_refund (ops refunded without cancelling), late_payment (paid after the booking ended),
payment_mismatch (the payment did not match the booking), other. status: pending, succeeded, failed.
Integer cents. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or group_by; 403 forbidden (another provider''s id, or a
customer); 404 not_found (no such provider, or no provider profile).';


--
-- Name: analytics_revenue(date, date, text, text, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_revenue("from" date DEFAULT NULL::date, "to" date DEFAULT NULL::date, tz text DEFAULT NULL::text, group_by text DEFAULT 'day'::text, provider_id uuid DEFAULT NULL::uuid) RETURNS TABLE(bucket_start timestamp with time zone, bucket_end timestamp with time zone, bucket_local timestamp without time zone, category text, currency text, bookings bigint, booked_cents bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, net_cents bigint, outstanding_cents bigint, gst_cents bigint, qst_cents bigint, service_cents bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- the required arguments first, whoever calls
    select internal.require(analytics_revenue."from", 'from', 'a date, YYYY-MM-DD');
    select internal.require(analytics_revenue."to", 'to', 'a date, YYYY-MM-DD');
    with subject as (
        select internal.analytics_subject(analytics_revenue.provider_id, false) as id
    ),
    zone as (
        select coalesce(
            analytics_revenue.tz,
            (select p.time_zone from app.providers as p, subject where p.id = subject.id),
            'UTC'
        ) as tz
    )
    select
        s.bucket_start, s.bucket_end, s.bucket_local, s.category, s.currency, s.bookings, s.booked_cents,
        s.captured_cents, s.refunded_cents, s.fees_kept_cents, s.net_cents, s.outstanding_cents,
        s.gst_cents, s.qst_cents, s.captured_cents - s.gst_cents - s.qst_cents
    from subject, zone,
    lateral internal.analytics_window(analytics_revenue."from", analytics_revenue."to", zone.tz,
        analytics_revenue.group_by) as w,
    lateral internal.analytics_series(subject.id, w.from_ts, w.to_ts, w.tz, w.grain) as s
$$;


--
-- Name: FUNCTION analytics_revenue("from" date, "to" date, tz text, group_by text, provider_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_revenue("from" date, "to" date, tz text, group_by text, provider_id uuid) IS 'Money per bucket, category and currency (ops: every provider or the one given; a provider: its own).

Inputs: from and to (local dates, both included; at most 366 days, 31 with group_by hour), tz (default:
the provider''s own zone, or UTC for ops across providers; offsets in whole hours), group_by (hour, day,
week, month; default day), provider_id (ops: optional; a provider: omit it or give its own).
Money is counted in the bucket where the booking''s appointment starts: captured_cents (what its payments
captured), refunded_cents (refunds that succeeded), fees_kept_cents (cancellation fees kept),
net_cents = captured - refunded, outstanding_cents (payments still pending), booked_cents (list prices);
the taxes collected inside captured_cents, apart: gst_cents and qst_cents (the taxes of each charge that succeeded,
as on the receipt), and service_cents = captured - gst - qst (the service''s own revenue).
Integer cents, one currency per row. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or group_by; 403 forbidden (another provider''s id, or a
customer); 404 not_found (no such provider, or no provider profile).';


--
-- Name: analytics_today(text, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.analytics_today(tz text DEFAULT NULL::text, provider_id uuid DEFAULT NULL::uuid) RETURNS TABLE(day_start timestamp with time zone, day_end timestamp with time zone, tz text, as_of timestamp with time zone, bookings_made bigint, bookings_paid bigint, bookings_cancelled bigint, booked_cents bigint, captured_cents bigint, refunds_requested bigint, refunded_cents bigint, live_holds bigint, queue_depth bigint, dead_letters bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    with subject as (
        select internal.analytics_subject(analytics_today.provider_id, false) as id
    ),
    zone as (
        select internal.analytics_today_zone(coalesce(
            analytics_today.tz,
            (select p.time_zone from app.providers as p, subject where p.id = subject.id),
            'UTC'
        )) as tz
    ),
    d as (
        select
            zone.tz,
            pg_catalog.date_trunc('day', pg_catalog.now() at time zone zone.tz) at time zone zone.tz as day_start,
            (pg_catalog.date_trunc('day', pg_catalog.now() at time zone zone.tz) + interval '1 day')
            at time zone zone.tz as day_end
        from zone
    ),
    made as (
        select
            pg_catalog.count(*) as made,
            pg_catalog.count(*) filter (where b.status in ('confirmed', 'completed', 'no_show')) as paid,
            pg_catalog.count(*) filter (where b.status = 'cancelled') as cancelled,
            coalesce(pg_catalog.sum(b.price_cents) filter (
                where b.status in ('confirmed', 'completed', 'no_show')
            ), 0)::bigint as booked_cents,
            coalesce(pg_catalog.sum((
                select pg_catalog.sum(y.captured_cents) from app.payments as y where y.booking_id = b.id
            )), 0)::bigint as captured_cents
        from subject, d
        inner join app.bookings as b on b.created_at >= d.day_start and b.created_at < d.day_end
        where subject.id is null or b.provider_id = subject.id
    ),
    refunds as (
        select
            pg_catalog.count(*) as requested,
            coalesce(pg_catalog.sum(f.amount_cents) filter (where f.status = 'succeeded'), 0)::bigint as refunded
        from subject, d
        inner join app.refunds as f on f.created_at >= d.day_start and f.created_at < d.day_end
        where
            subject.id is null
            or exists (select from app.bookings as b where b.id = f.booking_id and b.provider_id = subject.id)
    ),
    holds as (
        select pg_catalog.count(*) as live
        from subject
        inner join app.bookings as b
            on b.status = 'pending_payment' and b.hold_expires_at > pg_catalog.now()
        where subject.id is null or b.provider_id = subject.id
    ),
    queues as (
        select q.depth, q.dead from internal.analytics_queue_depth() as q
    )
    select
        d.day_start, d.day_end, d.tz, pg_catalog.now(), made.made, made.paid, made.cancelled,
        made.booked_cents, made.captured_cents, refunds.requested, refunds.refunded, holds.live,
        queues.depth, queues.dead
    from d, made, refunds, holds, queues
$$;


--
-- Name: FUNCTION analytics_today(tz text, provider_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.analytics_today(tz text, provider_id uuid) IS 'Today''s counters: bookings made since local midnight and their money, refunds asked today, live holds, queues.

Inputs: tz (any IANA zone; default the provider''s own zone, or UTC for ops across providers),
provider_id (ops: optional, one provider''s counters; a provider: omit it or give its own).
One row: day_start and day_end (today in tz, as instants), as_of (the snapshot''s time), bookings_made
(created today, every status), bookings_paid (of those, now confirmed, completed or no-show),
bookings_cancelled, booked_cents (list prices of the paid ones), captured_cents (what their payments
captured), refunds_requested (refunds asked today, every status) and refunded_cents (of those, the
succeeded amounts), live_holds (holds awaiting payment that have not lapsed, whatever their day),
queue_depth and dead_letters (messages waiting in the work queues and in the dead-letter queues; ops
only, null for a provider). The web app reads it again on every booking event of /realtime.
Errors: 400 invalid_input naming tz; 403 forbidden (another provider''s id, or a customer); 404
not_found (no such provider, or no provider profile).';


--
-- Name: available_slots(uuid, timestamp with time zone, timestamp with time zone, integer); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.available_slots(service_id uuid DEFAULT NULL::uuid, "from" timestamp with time zone DEFAULT NULL::timestamp with time zone, "to" timestamp with time zone DEFAULT NULL::timestamp with time zone, step_minutes integer DEFAULT 15) RETURNS TABLE(starts_at timestamp with time zone, ends_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select s.starts_at, s.ends_at
    from internal.service_slots(
        available_slots.service_id,
        available_slots."from",
        available_slots."to",
        available_slots.step_minutes,
        pg_catalog.now()
    ) as s
$$;


--
-- Name: FUNCTION available_slots(service_id uuid, "from" timestamp with time zone, "to" timestamp with time zone, step_minutes integer); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.available_slots(service_id uuid, "from" timestamp with time zone, "to" timestamp with time zone, step_minutes integer) IS 'Bookable start times of an active service between from and to.

Weekly hours are expanded in the provider''s own time zone (DST-correct), minus
time off, live bookings and unexpired holds (with their buffers); the whole slot
plus the service''s buffers fits inside working hours, and the start respects the
minimum notice and the maximum days ahead. Starts step by step_minutes (5 to 240,
default 15) from the opening of each working stretch.

Errors: 400 invalid_input when to <= from, the range exceeds 31 days, or a
parameter is missing or out of range; 400 too_costly when the range holds more
than 3000 steps (31 days at 15 minutes is 2,976); 404 not_found for an unknown or inactive
service. Open to everyone. GET /rpc/available_slots?service_id=...&from=...&to=...';


--
-- Name: booking_balance(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.booking_balance(booking_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.booking_balance(booking_id)
$$;


--
-- Name: FUNCTION booking_balance(booking_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.booking_balance(booking_id uuid) IS 'A booking''s money: what was charged and refunded, the fee kept, and the net.

charged_cents (captured), refunded_cents (pending and succeeded), fee_cents (kept on cancellation), net_cents (charged minus refunded).
After a deposit: balance_cents (price - deposit with its taxes: balance_base_cents, balance_gst_cents,
balance_qst_cents), balance_status (none, open, charging, due, paid, void), balance_method (venue or
card), balance_paid_cents, balance_paid_at; settled_cents (charged + balance paid).

For the booking''s customer, its provider''s owner and ops.
Errors: 400 invalid_input; 404 not_found (not your booking).';


--
-- Name: booking_payment(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.booking_payment(booking_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.booking_payment(booking_id)
$$;


--
-- Name: FUNCTION booking_payment(booking_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.booking_payment(booking_id uuid) IS 'Your booking with its payment: status, amount and the Stripe client_secret to pay with (customer only).

Poll it after confirm_booking: the client_secret appears once the PaymentIntent exists; status becomes confirmed once Stripe reports the payment.
Errors: 404 not_found (not your booking).';


--
-- Name: booking_payout(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.booking_payout(booking_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.booking_payout(booking_id)
$$;


--
-- Name: FUNCTION booking_payout(booking_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.booking_payout(booking_id uuid) IS 'A booking''s split between the provider and the platform (its provider''s owner and ops).

commission_cents (fixed at confirmation from rate_bp and minimum), collected_by (provider_account: a destination charge to transfer_destination; platform: the provider had no account able to take transfers, and payout_owed_cents is what the platform owes it), charged_cents, refunded_cents, application_fee_cents, transfer_cents, transfer_reversed_cents and fee_refunded_cents (refunds so far, pending ones included), fee_kept_cents (the platform''s fee less its refunds), transfer_kept_cents (the transfer less its reversals).
Errors: 400 invalid_input; 404 not_found (not your provider''s booking).';


--
-- Name: booking_receipt(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.booking_receipt(booking_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.booking_receipt(booking_receipt.booking_id)
$$;


--
-- Name: FUNCTION booking_receipt(booking_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.booking_receipt(booking_id uuid) IS 'Your booking''s receipt (role customer): price, taxes and the provider''s registration numbers, what you paid and what was refunded.

GET /rpc/booking_receipt?booking_id=... Amounts in cents of currency: price_cents, gst_cents and
qst_cents (5% and 9.975% of the price, each rounded half up to the cent; 0 with a null number when
the provider is not registered), total_cents; deposit_cents and charge (what the first payment asked
for: the deposit or the price, with its own taxes); paid_cents, refunded_cents (pending or done),
fee_cents (kept on a late cancellation), disputed_lost_cents; dispute_status; after a deposit,
balance_cents (with balance_base_cents, balance_gst_cents, balance_qst_cents), balance_status (none, open,
charging, due, paid, void), balance_method (venue or card), balance_paid_cents, balance_paid_at.
Errors: 400 invalid_input (booking_id missing); 401 not_authenticated; 403 forbidden (not a customer);
404 not_found (not your booking).';


--
-- Name: cancel_booking(uuid, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.cancel_booking(booking_id uuid DEFAULT NULL::uuid, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.cancel_booking(booking_id, reason)
$$;


--
-- Name: FUNCTION cancel_booking(booking_id uuid, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.cancel_booking(booking_id uuid, reason text) IS 'Cancel a booking (its customer, or the owner of its provider), with a reason.

A customer cancelling at least cancel_notice_hours before the start gets back everything paid; later, what was paid minus cancel_fee_cents (never below 0). A provider cancelling refunds in full. Neither may cancel once the booking has started: the provider then marks it completed or no_show (POST /rpc/mark_booking); only ops can still cancel it. An unpaid booking''s payment is cancelled. Both parties are notified.
Returns the booking with refund_cents, fee_cents and cancelled_by. See GET /rpc/cancellation_preview first.
Errors: 400 invalid_input (missing booking_id or reason); 404 not_found (not your booking); 409 invalid_transition (already cancelled, expired, completed or no_show), booking_started (the start time has passed). Not idempotent: a second call is a 409.';


--
-- Name: cancellation_preview(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.cancellation_preview(booking_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.cancellation_preview(booking_id)
$$;


--
-- Name: FUNCTION cancellation_preview(booking_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.cancellation_preview(booking_id uuid) IS 'What you would get back if you cancelled this booking now, and when that changes.

Returns refund_cents and fee_cents now, captured_cents, already_refunded_cents, deadline (start minus cancel_notice_hours), and changes_at / refund_after_change_cents when waiting past the deadline would lower the refund (customers only).
can_cancel is false, refund_cents and fee_cents 0, and refusal names the error cancel_booking would give (invalid_transition: the booking has ended; booking_started: its start has passed, for the customer and the provider) when cancelling now would be refused; cancellable_until is the start for them (null for ops, who may cancel at any time).
Errors: 400 invalid_input; 404 not_found (not your booking).';


--
-- Name: commission_rates(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.commission_rates() RETURNS TABLE(category text, rate_bp integer, minimum_cents integer, updated_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select * from internal.commission_rates()
$$;


--
-- Name: FUNCTION commission_rates(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.commission_rates() IS 'The platform''s commission per service category (ops only): rate_bp (basis points of the price) and minimum_cents.

Errors: 403 forbidden (not ops).';


--
-- Name: confirm_booking(uuid, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.confirm_booking(quote_id uuid DEFAULT NULL::uuid, provider_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.confirm_booking(quote_id, provider_id)
$$;


--
-- Name: FUNCTION confirm_booking(quote_id uuid, provider_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.confirm_booking(quote_id uuid, provider_id uuid) IS 'Book one provider from a quote: the slot is held for you (15 minutes) while you pay.

Holds are limited: 5 at once per account (1, held 5 minutes, until the account''s email is confirmed), and 10 at once from one client network (an IPv4 address or an IPv6 /64), whichever accounts made them. Paying for a hold, or its lapse, frees its place.

Inputs: quote_id and provider_id (one of the quote''s offers). Send an Idempotency-Key header to make retries safe: the same key and body return the first answer, the same key with another body is a 422.
Returns the booking (status pending_payment, hold_expires_at) and its payment; the PaymentIntent''s client_secret appears in GET /rpc/booking_payment once the worker has created it. Confirming again while you hold the same slot returns that same booking.
Errors: 404 not_found (quote or offer); 409 slot_unavailable (taken, even by a race: never a double booking); 410 quote_expired; 422 idempotency_key_reused; 429 too_many_holds (per account or per network).';


--
-- Name: confirm_email(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.confirm_email(token text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.confirm_email(token)
$$;


--
-- Name: FUNCTION confirm_email(token text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.confirm_email(token text) IS 'Confirm an email address with the single-use token from the confirmation email.

Errors: 400 invalid_one_time_token (unknown, used or expired).';


--
-- Name: delete_my_account(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.delete_my_account(password text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.delete_my_account(password)
$$;


--
-- Name: FUNCTION delete_my_account(password text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.delete_my_account(password text) IS 'Delete your account (customer or provider), confirming with your password. It cannot be undone.

Sign-in ends at once: every session, access token and refresh token is revoked and the password is erased, so login fails. Your email, name and phone are replaced ("Deleted user"); your notification preferences, the notifications sent to you, your quotes and other personal data are erased; a provider''s business name, contact, hours and time off are erased and it leaves the catalogue.
Kept, because the law requires financial records: bookings, payments, refunds, fees and the audit log, pointing at the anonymised account (which docs/security.md, "Deleting an account", explains, with how long).
Refused while you have upcoming confirmed bookings, bookings awaiting payment or refunds in progress: the message names them, and details lists them as JSON.
Errors: 400 invalid_input (missing password); 401 not_authenticated; 403 wrong_password; 403 forbidden (an ops account); 409 account_not_deletable; 429 rate_limited with Retry-After after 5 wrong passwords (logins included) in 15 minutes; 405 method_not_allowed for GET/HEAD.';


--
-- Name: dlq_discard(text, bigint, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.dlq_discard(queue text DEFAULT NULL::text, msg_id bigint DEFAULT NULL::bigint, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return internal.dlq_discard(
        dlq_discard.queue, dlq_discard.msg_id, dlq_discard.reason, auth.uid(), 'ops',
        internal.request_id()
    );
end
$$;


--
-- Name: FUNCTION dlq_discard(queue text, msg_id bigint, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.dlq_discard(queue text, msg_id bigint, reason text) IS 'Discard one dead letter for good (ops only); the audit trail keeps the whole message and the reason.

Inputs: queue (payments or notifications), msg_id, reason (required, at most 1000 characters).
Errors: 400 invalid_input naming queue, msg_id or reason; 403 forbidden; 404 not_found.';


--
-- Name: dlq_list(text, text, integer); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.dlq_list(queue text DEFAULT NULL::text, error_class text DEFAULT NULL::text, "limit" integer DEFAULT 50) RETURNS TABLE(msg_id bigint, dead_lettered_at timestamp with time zone, original_msg_id bigint, type text, error_class text, error text, attempts integer)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require_role('ops', 'only ops staff may use the queue tools');
    select * from internal.dlq_list(dlq_list.queue, dlq_list.error_class, dlq_list."limit");
$$;


--
-- Name: FUNCTION dlq_list(queue text, error_class text, "limit" integer); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.dlq_list(queue text, error_class text, "limit" integer) IS 'List dead letters of a queue, oldest first (ops only).

Inputs: queue (payments or notifications), error_class (optional, exact class name such as PermanentError or CardError), limit (1-1000, default 50).
Errors: 400 invalid_input naming queue or limit; 403 forbidden for any role but ops.';


--
-- Name: dlq_replay(text, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.dlq_replay(queue text DEFAULT NULL::text, msg_id bigint DEFAULT NULL::bigint) RETURNS TABLE(dlq_msg_id bigint, new_msg_id bigint)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return query select * from internal.dlq_replay(
        dlq_replay.queue, dlq_replay.msg_id, auth.uid(), 'ops', internal.request_id()
    );
end
$$;


--
-- Name: FUNCTION dlq_replay(queue text, msg_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.dlq_replay(queue text, msg_id bigint) IS 'Replay dead letters into their queue (ops only).

Each goes back as its original message, with a fresh attempt count, and leaves the
dead-letter queue: one message, or every one of the queue when msg_id is omitted.
Each replay is audited.

Returns the dead letter''s id and the new message''s id for each message replayed.
Errors: 400 invalid_input naming queue; 403 forbidden; 404 not_found when msg_id is given and absent.
Idempotency: a replayed message is no longer in the DLQ, so replaying it again answers 404.';


--
-- Name: dlq_show(text, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.dlq_show(queue text DEFAULT NULL::text, msg_id bigint DEFAULT NULL::bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return internal.dlq_show(dlq_show.queue, dlq_show.msg_id);
end
$$;


--
-- Name: FUNCTION dlq_show(queue text, msg_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.dlq_show(queue text, msg_id bigint) IS 'One dead letter in full (ops only).

The original message, its queue and id, error, error class, attempts and the last traceback.

Errors: 400 invalid_input naming queue or msg_id; 403 forbidden; 404 not_found.';


--
-- Name: edit_review(uuid, integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.edit_review(review_id uuid DEFAULT NULL::uuid, stars integer DEFAULT NULL::integer, body text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.edit_review(edit_review.review_id, edit_review.stars, edit_review.body)
$$;


--
-- Name: FUNCTION edit_review(review_id uuid, stars integer, body text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.edit_review(review_id uuid, stars integer, body text) IS 'Change your review''s stars or text, within 14 days of writing it.

Role customer, own reviews only. Give stars, body or both; an empty body removes the text.
Errors: 400 invalid_input (nothing to change, stars outside 1..5, body too long); 404 not_found;
409 edit_window_closed (written more than 14 days ago); 409 conflict (hidden by moderation).';


--
-- Name: export_my_data(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.export_my_data() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.export_my_data()
$$;


--
-- Name: FUNCTION export_my_data(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.export_my_data() IS 'Everything Bookiji holds about the caller, as one JSON document (a download for the account page).

Keys: format ("bookiji-export-1"), exported_at, account (profile), notification_preferences, sessions (when signed in, refreshed, revoked), notifications (each message sent, its data without one-time tokens), quotes (where and when you searched), bookings, payments (with their refunds and fees, Stripe PaymentIntent ids), provider (for a provider account: the profile, services, weekly hours, time off, and its bookings with each customer''s name and balance; null otherwise), activity (what you did, from the audit log: action, row, reason, request id).
Errors: 401 not_authenticated.';


--
-- Name: health(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.health() RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    -- Versions tell an attacker which published bugs to try: only ops see them.
    -- plpgsql, so that internal.health() (granted to ops alone) is only looked
    -- up, and its privilege checked, when the branch runs.
    if current_user = 'ops' then
        return internal.health();
    end if;
    return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;


--
-- Name: FUNCTION health(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.health() IS 'Health check: {"status": "ok"} when the API and its database answer.

Open to anonymous callers. GET /rpc/health. Called with an ops token it adds the
versions of PostgreSQL, PostGIS, pgmq and PostgREST, the schema cache state, the
latest migration and the streaming replicas'' lag (replicas: name, state,
replay_lag_bytes, replay_lag_seconds); every other caller gets the status alone.';


--
-- Name: hide_review(uuid, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.hide_review(review_id uuid DEFAULT NULL::uuid, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.hide_review(hide_review.review_id, hide_review.reason)
$$;


--
-- Name: FUNCTION hide_review(review_id uuid, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.hide_review(review_id uuid, reason text) IS 'Hide an abusive review (ops only), with a reason (at most 500 characters).

The review leaves the public list and the provider''s rating; its author still sees it, marked hidden, with the reason.
The action is written to the audit log (actor, before, after, reason, request id).
Errors: 400 invalid_input (missing reason); 403 forbidden (not ops); 404 not_found; 409 conflict (already hidden).';


--
-- Name: join_waitlist(uuid, uuid, text, double precision, double precision, numeric, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.join_waitlist(service_id uuid DEFAULT NULL::uuid, provider_id uuid DEFAULT NULL::uuid, category text DEFAULT NULL::text, lat double precision DEFAULT NULL::double precision, lng double precision DEFAULT NULL::double precision, radius_km numeric DEFAULT NULL::numeric, starts_at timestamp with time zone DEFAULT NULL::timestamp with time zone, ends_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.join_waitlist(
        join_waitlist.service_id, join_waitlist.provider_id, join_waitlist.category,
        join_waitlist.lat, join_waitlist.lng, join_waitlist.radius_km,
        join_waitlist.starts_at, join_waitlist.ends_at
    )
$$;


--
-- Name: FUNCTION join_waitlist(service_id uuid, provider_id uuid, category text, lat double precision, lng double precision, radius_km numeric, starts_at timestamp with time zone, ends_at timestamp with time zone); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.join_waitlist(service_id uuid, provider_id uuid, category text, lat double precision, lng double precision, radius_km numeric, starts_at timestamp with time zone, ends_at timestamp with time zone) IS 'Ask to be told when a slot frees up: for one service (service_id), any service of one provider
(provider_id), or any provider of a category (category slug) within radius_km (default 10) of lat/lng;
the freed appointment must start at or after starts_at and end by ends_at (a window of at most 90 days ahead).

Role customer. When a booking that matches is cancelled or its hold expires, you get one email
(waitlist_opening) with a link to a fresh quote, and the entry becomes notified; the slot is not held
for you. An entry whose window has ended is expired. At most 10 active entries per customer.
Returns the entry: id, service_id, provider_id, category, lat, lng, radius_km, starts_at, ends_at,
status, notified_at, created_at.
Errors: 400 invalid_input (window missing, reversed, past or too far; not exactly one target; unknown
category; lat/lng/radius out of range); 401 not_authenticated; 403 forbidden (not a customer);
404 not_found (no such active service or provider); 429 too_many_waitlist_entries.';


--
-- Name: leave_waitlist(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.leave_waitlist(entry_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.leave_waitlist(leave_waitlist.entry_id)
$$;


--
-- Name: FUNCTION leave_waitlist(entry_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.leave_waitlist(entry_id uuid) IS 'Leave a waitlist: the entry becomes cancelled and is never notified (an entry already notified or
cancelled is returned unchanged). Role customer; own entries only.
Errors: 400 invalid_input (entry_id missing); 401; 403; 404 not_found (no such entry of yours).';


--
-- Name: login(text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.login(email text DEFAULT NULL::text, password text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.login(email, password)
$$;


--
-- Name: FUNCTION login(email text, password text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.login(email text, password text) IS 'Sign in with email and password.

Returns access_token (15 minutes), refresh_token and the user.
Errors: 401 invalid_credentials (the same for an unknown email and a wrong password); 405 method_not_allowed for GET/HEAD.
429 rate_limited with Retry-After: after 5 failures for one email from one client address each further attempt from that address waits 30 s, then 1, 2, 4, 8 minutes (a success resets it);
after 50 failures for one email from all addresses in 15 minutes; after 30 failures from one address in 15 minutes.';


--
-- Name: logout(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.logout() RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.logout()
$$;


--
-- Name: FUNCTION logout(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.logout() IS 'Sign out: revoke the caller''s session; its access and refresh tokens stop working at once.';


--
-- Name: mark_balance_paid_at_venue(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.mark_balance_paid_at_venue(booking_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.mark_balance_paid_at_venue(mark_balance_paid_at_venue.booking_id)
$$;


--
-- Name: FUNCTION mark_balance_paid_at_venue(booking_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.mark_balance_paid_at_venue(booking_id uuid) IS 'Mark the balance of a booking taken with a deposit paid at the venue (role provider, your own bookings).

POST /rpc/mark_balance_paid_at_venue {"booking_id": ...} once the appointment has started (confirmed or
completed). The balance is price - deposit plus its taxes (the booking''s GST and QST minus the deposit''s).
Calling it again returns the same answer and changes nothing. Returns booking_id, balance_cents,
balance_base_cents, balance_gst_cents, balance_qst_cents, balance_status (paid), balance_method (venue),
balance_paid_cents, balance_paid_at. Audited (payment.balance_paid_at_venue).
Errors: 400 invalid_input (booking_id missing); 401 not_authenticated; 403 forbidden (not the provider);
404 not_found (not your booking); 409 invalid_transition (no deposit, not started, cancelled, expired or
no-show, deposit unpaid); 409 conflict (already charged to the card, or being charged).';


--
-- Name: mark_booking(uuid, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.mark_booking(booking_id uuid DEFAULT NULL::uuid, outcome text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.mark_booking(booking_id, outcome)
$$;


--
-- Name: FUNCTION mark_booking(booking_id uuid, outcome text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.mark_booking(booking_id uuid, outcome text) IS 'Mark a confirmed booking completed or no_show once it has started (the provider''s owner).

Bookings nobody marks complete automatically complete_after_minutes (default 120) after their end.
Errors: 400 invalid_input (outcome not completed or no_show); 403 forbidden (not the provider); 404 not_found; 409 invalid_transition (not confirmed, or not started yet).';


--
-- Name: me(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.me() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'id', u.id, 'email', u.email, 'role', u.role, 'full_name', u.full_name,
        'locale', u.locale, 'phone', u.phone, 'email_confirmed', u.email_confirmed_at is not null,
        'created_at', u.created_at
    )
    from app.users as u
    where u.id = auth.uid()
$$;


--
-- Name: FUNCTION me(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.me() IS 'The caller''s own profile (null without a token).';


--
-- Name: my_booking_history(text, integer, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.my_booking_history(status text DEFAULT NULL::text, "limit" integer DEFAULT 50, before_id uuid DEFAULT NULL::uuid) RETURNS TABLE(id uuid, status text, starts_at timestamp with time zone, ends_at timestamp with time zone, time_zone text, provider_id uuid, provider_name text, service_id uuid, service_name text, price_cents integer, deposit_cents integer, currency text, payment_status text, charged_cents integer, refunded_cents integer, fee_cents integer, hold_expires_at timestamp with time zone, cancelled_at timestamp with time zone, cancelled_by_role text, cancel_reason text, created_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select * from internal.my_booking_history(
        my_booking_history.status, my_booking_history."limit", my_booking_history.before_id
    )
$$;


--
-- Name: FUNCTION my_booking_history(status text, "limit" integer, before_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.my_booking_history(status text, "limit" integer, before_id uuid) IS 'The calling customer''s booking history: each booking with its provider''s and service''s names and its money, latest start first.

Names stay even when the provider was suspended, deactivated or deleted since (the public providers and services views show active ones only).
Each row: status, starts_at, ends_at, time_zone (the provider''s, for display), provider and service (ids and names), price and deposit, payment_status, charged_cents (captured), refunded_cents (pending and succeeded), fee_cents (kept on a late cancellation), hold_expires_at while awaiting payment, the cancellation (when, by whom, why).
Inputs (each optional): status, limit (1-500, default 50), before_id (keyset pagination: the id of the last row of the previous page).
Over HTTP GET, a limit in the query string is PostgREST''s own row limit (the same effect); POST the arguments as JSON to pass it as the argument.
Errors: 400 invalid_input naming limit or status; 401 not_authenticated; 403 forbidden (not a customer); 404 not_found (before_id is not one of your bookings).';


--
-- Name: my_notifications(integer); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.my_notifications("limit" integer DEFAULT 50) RETURNS TABLE(id uuid, event text, channel text, status text, created_at timestamp with time zone, sent_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.fail('not_authenticated', 'sign in first')
    where auth.uid() is null;
    select internal.fail('invalid_input', 'limit must be between 1 and 500')
    where my_notifications."limit" is null or my_notifications."limit" not between 1 and 500;
    select n.id, n.event, n.channel, n.status, n.created_at, n.sent_at
    from app.notifications as n
    where n.recipient_id = (select auth.uid())
    order by n.created_at desc, n.id
    limit my_notifications."limit";
$$;


--
-- Name: FUNCTION my_notifications("limit" integer); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.my_notifications("limit" integer) IS 'The caller''s own notifications, newest first: event, channel (email or sms), status and times.

Status: queued, sending, sent, failed or skipped.
Inputs: limit (1-500, default 50). Over HTTP, GET /rpc/my_notifications?limit=n: in a query string
limit is PostgREST''s own row limit, with the same effect.
Errors: 400 invalid_input naming limit; 401 not_authenticated.';


--
-- Name: my_payout_account(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.my_payout_account() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.my_payout_account()
$$;


--
-- Name: FUNCTION my_payout_account(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.my_payout_account() IS 'Your Stripe payout account (providers only): the onboarding link while it is valid, and what Stripe lets the account do.

stripe_account_id (null until created), onboarding_url and onboarding_url_expires_at (null once used or expired), details_submitted, charges_enabled, payouts_enabled, capabilities, requirements_due, destination_charges (true: your bookings'' payments go to your account, less the commission).
Errors: 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile yet).';


--
-- Name: my_price_suggestions(integer); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.my_price_suggestions(days integer DEFAULT 30) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.price_suggestions(my_price_suggestions.days)
$$;


--
-- Name: FUNCTION my_price_suggestions(days integer); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.my_price_suggestions(days integer) IS 'Pricing suggestions for your own active services, from the last `days` days (7 to 365, default 30).

Role provider; only your own services. Each row: service_id, service_name, category, price_cents, currency,
suggestion (raise, lower or keep), suggested_low_cents, suggested_high_cents, and reasons: a list of
{kind, text, figures}, kind demand (quotes it appeared in and won, against the win rate of every offer of
the category in quotes asked within your radius), supply (other providers'' prices of the category within
your radius, scaled to the service''s duration: quartiles), fill (booked minutes over your weekly hours''
open minutes), or no_data.
Raise: won at least 1.5 times the market''s rate over 5 or more appearances, or hours 80% booked or more.
Lower: priced above the peers'' median and passed over (half the market''s rate or less, or never chosen,
over 5 or more appearances) or hours under 20% booked. Otherwise keep (within 5%).
Errors: 400 invalid_input (days); 401; 403 forbidden (not a provider); 404 not_found (no provider profile).';


--
-- Name: my_provider_bookings(timestamp with time zone, timestamp with time zone, text, uuid, uuid, uuid, integer, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.my_provider_bookings("from" timestamp with time zone DEFAULT NULL::timestamp with time zone, "to" timestamp with time zone DEFAULT NULL::timestamp with time zone, status text DEFAULT NULL::text, service_id uuid DEFAULT NULL::uuid, customer_id uuid DEFAULT NULL::uuid, booking_id uuid DEFAULT NULL::uuid, "limit" integer DEFAULT 100, after_id uuid DEFAULT NULL::uuid) RETURNS TABLE(id uuid, status text, starts_at timestamp with time zone, ends_at timestamp with time zone, time_zone text, service_id uuid, service_name text, customer_id uuid, customer_name text, customer_email text, customer_phone text, price_cents integer, deposit_cents integer, currency text, payment_status text, charged_cents integer, refunded_cents integer, fee_cents integer, hold_expires_at timestamp with time zone, cancelled_at timestamp with time zone, cancel_reason text, created_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select * from internal.my_provider_bookings(
        my_provider_bookings."from", my_provider_bookings."to", my_provider_bookings.status,
        my_provider_bookings.service_id, my_provider_bookings.customer_id, my_provider_bookings.booking_id,
        my_provider_bookings."limit", my_provider_bookings.after_id
    )
$$;


--
-- Name: FUNCTION my_provider_bookings("from" timestamp with time zone, "to" timestamp with time zone, status text, service_id uuid, customer_id uuid, booking_id uuid, "limit" integer, after_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.my_provider_bookings("from" timestamp with time zone, "to" timestamp with time zone, status text, service_id uuid, customer_id uuid, booking_id uuid, "limit" integer, after_id uuid) IS 'The calling provider''s bookings with who booked: the calendar of the provider dashboard, oldest start first.

Only the bookings of the caller''s own provider profile, whatever the filters say: another provider''s booking, service or customer id simply matches nothing.
Each row: the booking (status, starts_at, ends_at, time_zone: the provider''s, for display), the service, the amounts (price, deposit; charged_cents captured, refunded_cents pending and succeeded, fee_cents kept), and the customer: customer_name always; customer_email and customer_phone only for a confirmed booking, or a completed or no_show one that ended less than 30 days ago (null otherwise, and for a deleted account).
Inputs (each optional; given ones all apply): from and to (starts_at in [from, to)), status, service_id, customer_id, booking_id, limit (1-500, default 100), after_id (keyset pagination: the id of the last row of the previous page).
Over HTTP GET, a limit in the query string is PostgREST''s own row limit (the same effect); POST the arguments as JSON to pass it as the argument.
Errors: 400 invalid_input naming limit, status, or to not after from; 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (after_id is not one of your bookings).';


--
-- Name: my_tax_registration(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.my_tax_registration() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.my_tax_registration()
$$;


--
-- Name: FUNCTION my_tax_registration(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.my_tax_registration() IS 'Your business''s sales-tax registration (role provider): gst_number, qst_number (null: not registered),
the rates they make you charge and charges_taxes.

Errors: 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile yet).';


--
-- Name: my_waitlist(integer); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.my_waitlist("limit" integer DEFAULT 100) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.my_waitlist(my_waitlist."limit")
$$;


--
-- Name: FUNCTION my_waitlist("limit" integer); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.my_waitlist("limit" integer) IS 'Your waitlist entries, newest first (at most limit, 1 to 500, default 100), each as join_waitlist
returns it; status is active, notified, cancelled or expired (the window has ended).
Role customer; only your own entries. Errors: 400 invalid_input (limit); 401; 403.';


--
-- Name: notification_preferences(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.notification_preferences() RETURNS TABLE(category text, email boolean, sms boolean, editable boolean)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select
        c.category,
        coalesce(p.email, true),
        coalesce(p.sms, false),
        c.category <> 'security'
    from (
        values ('security', 1), ('booking_updates', 2), ('reminders', 3)
    ) as c (category, pos)
    left join app.notification_preferences as p
        on p.category = c.category and p.user_id = (select auth.uid())
    order by c.pos
$$;


--
-- Name: FUNCTION notification_preferences(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.notification_preferences() IS 'The caller''s notification preferences: for each category, whether email and SMS are used.

Categories: security (email confirmation, password reset: always email, not editable),
booking_updates (confirmations, cancellations, refunds, payment failures, expired holds),
reminders (before a booking). Defaults: email on, SMS off. SMS is only sent with a phone number
in the profile (api.update_me).';


--
-- Name: openapi(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.openapi() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.openapi(current_user)
$$;


--
-- Name: FUNCTION openapi(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.openapi() IS 'The API''s own description: an OpenAPI 3.1 document of what the caller''s role may call.

Generated from the database: function signatures and results, view columns, the comment
on each, required arguments, the registered error codes each operation can answer, a
bearer JWT security scheme and the public URL. Anonymous callers get the operations open
to everyone; a token''s role gets its own. Also at GET /openapi.json.
Errors: none of its own.';


--
-- Name: ops_activate_ranking_version(integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_activate_ranking_version(version integer DEFAULT NULL::integer, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff may activate a ranking version');
    return internal.activate_ranking_version(ops_activate_ranking_version.version, ops_activate_ranking_version.reason);
end
$$;


--
-- Name: FUNCTION ops_activate_ranking_version(version integer, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_activate_ranking_version(version integer, reason text) IS 'Make a ranking version the one the quote ranks with (ops only): roll back to an earlier one, or ship a trained one.

POST /rpc/ops_activate_ranking_version {"version": 1, "reason": "..."}. A
version that was active before may always come back; a trained version that
never was must have beaten the active version offline (held-out
log-likelihood and NDCG@5, recorded by `bookiji rank train`). Every search key
is rewritten in the same transaction; audited (ranking.activated). Activating
the active version changes nothing.

Errors: 400 invalid_input (version missing), 401 not_authenticated, 403
forbidden, 404 not_found (no such version), 409 conflict (not better offline).';


--
-- Name: ops_audit_trail(uuid, uuid, timestamp with time zone, timestamp with time zone, integer, bigint); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_audit_trail(booking_id uuid DEFAULT NULL::uuid, actor_id uuid DEFAULT NULL::uuid, "from" timestamp with time zone DEFAULT NULL::timestamp with time zone, "to" timestamp with time zone DEFAULT NULL::timestamp with time zone, "limit" integer DEFAULT 50, before_id bigint DEFAULT NULL::bigint) RETURNS TABLE(id bigint, occurred_at timestamp with time zone, actor_id uuid, actor_role text, action text, table_name text, row_id text, reason text, before jsonb, after jsonb, request_id text)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.require_role('ops', 'only ops staff may read the audit trail');
    select internal.fail('invalid_input', 'limit must be between 1 and 500')
    where ops_audit_trail."limit" is null or ops_audit_trail."limit" not between 1 and 500;
    select internal.fail('invalid_input', 'to must be after from')
    where ops_audit_trail."to" <= ops_audit_trail."from";
    select
        a.id, a.occurred_at, a.actor_id, a.actor_role, a.action, a.table_name, a.row_id,
        a.reason, a.before, a.after, a.request_id
    from audit.action_log as a
    where
        (
            ops_audit_trail.booking_id is null
            or (a.table_name = 'app.bookings' and a.row_id = ops_audit_trail.booking_id::text)
            or (
                a.table_name = 'app.payments'
                and a.row_id in (
                    select p.id::text from app.payments as p
                    where p.booking_id = ops_audit_trail.booking_id
                )
            )
        )
        and (ops_audit_trail.actor_id is null or a.actor_id = ops_audit_trail.actor_id)
        and (ops_audit_trail."from" is null or a.occurred_at >= ops_audit_trail."from")
        and (ops_audit_trail."to" is null or a.occurred_at < ops_audit_trail."to")
        and (ops_audit_trail.before_id is null or a.id < ops_audit_trail.before_id)
    order by a.id desc
    limit ops_audit_trail."limit"
$$;


--
-- Name: FUNCTION ops_audit_trail(booking_id uuid, actor_id uuid, "from" timestamp with time zone, "to" timestamp with time zone, "limit" integer, before_id bigint); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_audit_trail(booking_id uuid, actor_id uuid, "from" timestamp with time zone, "to" timestamp with time zone, "limit" integer, before_id bigint) IS 'The audit trail, newest first (ops only): who did what to which row, before and after, and why.

Inputs (each optional; given ones all apply): booking_id (the booking''s own entries and its
payment''s), actor_id (the account that acted), from and to (occurred_at in [from, to)),
limit (1-500, default 50), before_id (keyset pagination: pass the id of the last entry of
the previous page to get the next, older one).
Over HTTP, GET /rpc/ops_audit_trail?booking_id=...: in a query string limit is PostgREST''s own
row limit, with the same effect; POST the arguments as JSON to use it as an argument.
Errors: 400 invalid_input naming limit, or to not after from; 403 forbidden for any role but ops.';


--
-- Name: ops_booking_story(uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_booking_story(booking_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.ops_booking_story(booking_id)
$$;


--
-- Name: FUNCTION ops_booking_story(booking_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_booking_story(booking_id uuid) IS 'A booking''s full story as one JSON document (ops only): what happened, who did it, what was paid and sent.

Keys: booking (every field, times, hold, cancellation), customer and provider (accounts and contact; the provider''s suspension), service, balance (as booking_balance), payment (status, amounts, Stripe PaymentIntent id; never the client secret), refunds (each with its Stripe refund id), fees, payment_mismatches, status_history (every status change and move from the audit log: from, to, actor, reason, request id), audit_trail (every audit entry about the booking, its payment and refunds), events (the event log''s, while it keeps them: event_retention_hours), notifications (recipient, channel, status, attempts, errors), stripe (PaymentIntent id, refund ids, the Stripe events received about the intent). Lists are oldest first.
Errors: 400 invalid_input (missing booking_id); 403 forbidden (not ops); 404 not_found.';


--
-- Name: ops_bookings(text, uuid, text, timestamp with time zone, timestamp with time zone, uuid, integer, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_bookings(customer_email text DEFAULT NULL::text, provider_id uuid DEFAULT NULL::uuid, status text DEFAULT NULL::text, "from" timestamp with time zone DEFAULT NULL::timestamp with time zone, "to" timestamp with time zone DEFAULT NULL::timestamp with time zone, customer_id uuid DEFAULT NULL::uuid, "limit" integer DEFAULT 50, before_id uuid DEFAULT NULL::uuid) RETURNS TABLE(id uuid, status text, starts_at timestamp with time zone, ends_at timestamp with time zone, created_at timestamp with time zone, customer_id uuid, customer_email text, customer_name text, provider_id uuid, provider_name text, service_id uuid, service_name text, price_cents integer, deposit_cents integer, currency text, payment_status text, stripe_payment_intent_id text, charged_cents integer, refunded_cents integer)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select * from internal.ops_bookings(
        ops_bookings.customer_email, ops_bookings.provider_id, ops_bookings.status, ops_bookings."from",
        ops_bookings."to", ops_bookings.customer_id, ops_bookings."limit", ops_bookings.before_id
    )
$$;


--
-- Name: FUNCTION ops_bookings(customer_email text, provider_id uuid, status text, "from" timestamp with time zone, "to" timestamp with time zone, customer_id uuid, "limit" integer, before_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_bookings(customer_email text, provider_id uuid, status text, "from" timestamp with time zone, "to" timestamp with time zone, customer_id uuid, "limit" integer, before_id uuid) IS 'Search bookings (ops only): by customer email, provider, status and start time, latest start first.

Inputs (each optional; given ones all apply): customer_email (the whole address, any case), provider_id, status, from and to (starts_at in [from, to)), customer_id, limit (1-500, default 50), before_id (keyset pagination: the id of the last row of the previous page gives the next, earlier one).
Over HTTP GET, a limit in the query string is PostgREST''s own row limit (the same effect); POST the arguments as JSON to pass it as the argument.
Each row: the booking, its customer (email, name) and provider (business name), the service, the amounts (charged_cents captured, refunded_cents pending and succeeded), the payment''s status and Stripe PaymentIntent id. The whole story of one booking: ops_booking_story.
Errors: 400 invalid_input naming limit, status, customer_email, or to not after from; 403 forbidden (not ops); 404 not_found (before_id is no booking).';


--
-- Name: ops_disputes(boolean); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_disputes(open_only boolean DEFAULT false) RETURNS TABLE(id text, booking_id uuid, payment_id uuid, stripe_charge_id text, stripe_payment_intent_id text, amount_cents integer, currency text, reason text, status text, outcome text, evidence_due_by timestamp with time zone, opened_at timestamp with time zone, closed_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.fail('forbidden', 'only ops staff see disputes')
    where auth.role() is distinct from 'ops';
    select
        d.id, d.booking_id, d.payment_id, d.stripe_charge_id, d.stripe_payment_intent_id, d.amount_cents,
        d.currency, d.reason, d.status, d.outcome, d.evidence_due_by, d.opened_at, d.closed_at
    from app.disputes as d
    where not coalesce(ops_disputes.open_only, false) or d.outcome is null
    order by d.opened_at desc, d.id;
$$;


--
-- Name: FUNCTION ops_disputes(open_only boolean); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_disputes(open_only boolean) IS 'Card disputes of booking payments, newest first (ops only): Stripe''s dispute id, amount, reason and status, and the outcome once closed.

GET /rpc/ops_disputes?open_only=true lists those still open. outcome: won, lost or warning_closed
(an inquiry that never became a chargeback); null while open. A disputed booking''s payment cannot be
refunded (409 conflict). Every ops account is emailed when a dispute opens and when it closes.
Errors: 403 forbidden (not ops).';


--
-- Name: ops_force_cancel(uuid, text, boolean); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_force_cancel(booking_id uuid DEFAULT NULL::uuid, reason text DEFAULT NULL::text, refund boolean DEFAULT true) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.ops_force_cancel(booking_id, reason, refund)
$$;


--
-- Name: FUNCTION ops_force_cancel(booking_id uuid, reason text, refund boolean); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_force_cancel(booking_id uuid, reason text, refund boolean) IS 'Cancel a pending_payment or confirmed booking (ops only), with a reason.

refund (default true) gives back everything still refundable.
Both parties are notified; the cancellation is written to the audit log.
Errors: 400 invalid_input (missing reason); 403 forbidden (not ops); 404 not_found; 409 invalid_transition (already ended).';


--
-- Name: ops_providers(text, boolean, integer, uuid); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_providers(search text DEFAULT NULL::text, suspended boolean DEFAULT NULL::boolean, "limit" integer DEFAULT 50, after_id uuid DEFAULT NULL::uuid) RETURNS TABLE(id uuid, business_name text, owner_id uuid, owner_email text, owner_name text, contact_email text, contact_phone text, time_zone text, is_active boolean, suspended_at timestamp with time zone, suspended_by uuid, suspension_reason text, rating_count integer, rating_avg numeric, created_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select * from internal.ops_providers(
        ops_providers.search, ops_providers.suspended, ops_providers."limit", ops_providers.after_id
    )
$$;


--
-- Name: FUNCTION ops_providers(search text, suspended boolean, "limit" integer, after_id uuid); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_providers(search text, suspended boolean, "limit" integer, after_id uuid) IS 'Every provider, active, inactive or suspended, with its owner''s account and private contact (ops only), by business name.

Inputs (each optional): search (a part of the business name, case-insensitive, or an exact owner email, contact email or provider id), suspended (true: only suspended ones; false: only the others), limit (1-500, default 50), after_id (keyset pagination: the id of the last row of the previous page).
Over HTTP GET, a limit in the query string is PostgREST''s own row limit (the same effect); POST the arguments as JSON to pass it as the argument.
Errors: 400 invalid_input naming limit or search; 403 forbidden (not ops); 404 not_found (after_id is no provider).';


--
-- Name: ops_ranking_versions(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_ranking_versions() RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff may see the ranking versions');
    return query
    select internal.ranking_version_json(v)
    from internal.ranking_versions() as v
    order by v.version desc;
end
$$;


--
-- Name: FUNCTION ops_ranking_versions(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_ranking_versions() IS 'The quote''s ranking versions, newest first: weights, position effects, offline metrics, which is active.

Role ops only (others: 401/403). GET /rpc/ops_ranking_versions. Each element:
{version, is_active, source (''fixed'' or ''trained''), weights {distance, rating,
price, reliability, personal}, position_bias, metrics, note, created_at,
activated_at}; see docs/ranking.md.

Errors: 401 not_authenticated, 403 forbidden.';


--
-- Name: ops_refund(uuid, integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_refund(booking_id uuid DEFAULT NULL::uuid, amount_cents integer DEFAULT NULL::integer, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.ops_refund(booking_id, amount_cents, reason)
$$;


--
-- Name: FUNCTION ops_refund(booking_id uuid, amount_cents integer, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_refund(booking_id uuid, amount_cents integer, reason text) IS 'Refund an amount of a booking''s charge (ops only), with a reason; partial refunds add up.

The refund is queued for Stripe and counts at once. Returns the booking''s balance after it, with refund_id. Every call is written to the audit log with the balance before and after.
Errors: 400 invalid_input (missing reason, amount not positive); 403 forbidden (not ops); 404 not_found; 409 conflict (more than is still refundable, or nothing captured). Not idempotent: each call is a new refund.';


--
-- Name: ops_reinstate_provider(uuid, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_reinstate_provider(provider_id uuid DEFAULT NULL::uuid, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.ops_reinstate_provider(provider_id, reason)
$$;


--
-- Name: FUNCTION ops_reinstate_provider(provider_id uuid, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_reinstate_provider(provider_id uuid, reason text) IS 'Lift a provider''s suspension (ops only), with a reason: is_active is restored to what it was before.

Written to the audit log with the reason and the request id.
Errors: 400 invalid_input (missing provider_id or reason); 403 forbidden (not ops); 404 not_found; 409 conflict (not suspended).';


--
-- Name: ops_set_commission_rate(text, integer, integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_set_commission_rate(category text DEFAULT NULL::text, rate_bp integer DEFAULT NULL::integer, minimum_cents integer DEFAULT NULL::integer, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.ops_set_commission_rate(category, rate_bp, minimum_cents, reason)
$$;


--
-- Name: FUNCTION ops_set_commission_rate(category text, rate_bp integer, minimum_cents integer, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_set_commission_rate(category text, rate_bp integer, minimum_cents integer, reason text) IS 'Set the platform''s commission for a service category (ops only), with a reason.

rate_bp: basis points of the service''s price (1000 is 10 %); minimum_cents: the least commission per booking. The commission of a booking is max(price x rate, minimum), at most the price, fixed when the booking is confirmed: a change applies to later bookings only. Every change is written to the audit log with the rate before and after.
Errors: 400 invalid_input (missing or out-of-range argument, missing reason); 403 forbidden (not ops); 404 not_found (no such category).';


--
-- Name: ops_suspend_provider(uuid, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ops_suspend_provider(provider_id uuid DEFAULT NULL::uuid, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.ops_suspend_provider(provider_id, reason)
$$;


--
-- Name: FUNCTION ops_suspend_provider(provider_id uuid, reason text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ops_suspend_provider(provider_id uuid, reason text) IS 'Suspend a provider (ops only), with a reason: it stops being offered at once.

The provider becomes inactive: it leaves the quote, available_slots and the public catalogue (providers, services), and cannot make itself active again (409 provider_suspended) until ops reinstate it; it still signs in and sees the reason in my_provider.
Its existing bookings are kept (holds may still be paid, confirmed appointments still happen): ops force-cancel those that must not (ops_force_cancel, refunding in full). The answer counts them (live_bookings).
Written to the audit log with the reason and the request id.
Errors: 400 invalid_input (missing provider_id or reason, reason over 500 characters); 403 forbidden (not ops); 404 not_found; 409 conflict (already suspended).';


--
-- Name: ping(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ping() RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    select 1
$$;


--
-- Name: FUNCTION ping(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ping() IS 'Liveness probe: always 1, reads nothing.

The cheapest possible call through the whole HTTP path (nginx, PostgREST, the
pre-request hook, one SQL statement): `make bench` measures the request overhead
with it. Open to anonymous callers. GET /rpc/ping.';


--
-- Name: provider_statement(date, date); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.provider_statement(period_from date DEFAULT NULL::date, period_to date DEFAULT NULL::date) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.provider_statement(provider_statement.period_from, provider_statement.period_to)
$$;


--
-- Name: FUNCTION provider_statement(period_from date, period_to date); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.provider_statement(period_from date, period_to date) IS 'Your statement for a period (role provider): the paid bookings, gross, GST and QST collected, refunds and disputes.

GET /rpc/provider_statement?period_from=2026-12-01&period_to=2027-01-01: bookings starting in
[period_from, period_to), dates in your time zone, at most 366 days. Each line: booking_id, starts_at,
status, price_cents, charged_cents (taxes included), gst_cents and qst_cents (the taxes of that
charge and of the balance once paid), balance_cents and balance_method (the balance after a deposit,
paid at the venue or by card, taxes included), refunded_cents (pending or done), disputed_lost_cents, dispute_status, fees_cents (what
Bookiji keeps: its commission net of refunds) and payout_cents (what reaches you: the transfer to
your Stripe account net of reversals, or what Bookiji owes you for a charge it collected). Totals:
bookings, gross_cents, gst_collected_cents, qst_collected_cents, refunded_cents,
disputed_lost_cents, fees_cents, payout_cents, balance_venue_cents (balances you collected at the
venue), balance_card_cents, net_cents (gross - refunded - lost disputes); your
gst_number and qst_number.
Errors: 400 invalid_input (a date missing, period_to not after period_from, longer than 366 days);
401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile).';


--
-- Name: queue_stats(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.queue_stats() RETURNS TABLE(queue_name text, queue_length bigint, queue_visible_length bigint, oldest_msg_age_sec integer, newest_msg_age_sec integer, total_messages bigint, scrape_time timestamp with time zone)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return query select * from internal.queue_stats();
end
$$;


--
-- Name: FUNCTION queue_stats(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.queue_stats() IS 'Queue statistics for every work queue and its dead-letter queue (ops only).

Length, visible length, oldest and newest message age (seconds) and total ever sent.

Errors: 403 forbidden for any role but ops. GET /rpc/queue_stats.';


--
-- Name: uid(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.uid() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
    select nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')::uuid
$$;


--
-- Name: FUNCTION uid(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.uid() IS 'The caller''s user id (JWT sub), or null for anon.';


--
-- Name: provider_taxes(uuid, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.provider_taxes(p_provider_id uuid, p_price_cents integer) RETURNS TABLE(gst_rate numeric, qst_rate numeric, gst_number text, qst_number text, gst_cents integer, qst_cents integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select
        case when t.gst_number is not null then r.gst_rate else 0 end,
        case when t.qst_number is not null then r.qst_rate else 0 end,
        t.gst_number,
        t.qst_number,
        case when t.gst_number is not null then internal.tax_cents(p_price_cents, r.gst_rate) else 0 end,
        case when t.qst_number is not null then internal.tax_cents(p_price_cents, r.qst_rate) else 0 end
    from internal.tax_rates() as r
    left join app.provider_tax_registrations as t on t.provider_id = p_provider_id
$$;


--
-- Name: FUNCTION provider_taxes(p_provider_id uuid, p_price_cents integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.provider_taxes(p_provider_id uuid, p_price_cents integer) IS 'The taxes a provider charges now on a price: the rates and numbers it is registered for (0 and null
otherwise) and each tax in cents. Definer: customers see the numbers on quotes and receipts, not the table.';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: providers; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.providers (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    owner_id uuid NOT NULL,
    business_name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    lat double precision NOT NULL,
    lng double precision NOT NULL,
    location extensions.geography(Point,4326) GENERATED ALWAYS AS ((extensions.st_setsrid(extensions.st_makepoint(lng, lat), 4326))::extensions.geography) STORED NOT NULL,
    service_radius_km numeric(6,2) DEFAULT 10 NOT NULL,
    time_zone text DEFAULT 'America/Toronto'::text NOT NULL,
    rating_count integer DEFAULT 0 NOT NULL,
    rating_avg numeric(3,2),
    contact_email extensions.citext,
    contact_phone text,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    suspended_at timestamp with time zone,
    suspended_by uuid,
    suspension_reason text,
    active_before_suspension boolean,
    rating_weight numeric DEFAULT 0 NOT NULL,
    rating_weighted_stars numeric DEFAULT 0 NOT NULL,
    ended_bookings integer DEFAULT 0 NOT NULL,
    provider_cancellations integer DEFAULT 0 NOT NULL,
    no_shows integer DEFAULT 0 NOT NULL,
    provider_cancellation_rate numeric(5,4) DEFAULT 0.02 NOT NULL,
    no_show_rate numeric(5,4) DEFAULT 0.02 NOT NULL,
    CONSTRAINT providers_business_name_check CHECK (((length(btrim(business_name)) >= 1) AND (length(btrim(business_name)) <= 200))),
    CONSTRAINT providers_contact_email_check CHECK (((length((contact_email)::text) <= 254) AND ((contact_email)::text ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'::text))),
    CONSTRAINT providers_contact_phone_check CHECK ((contact_phone ~ '^\+[1-9][0-9]{6,14}$'::text)),
    CONSTRAINT providers_description_check CHECK ((length(description) <= 4000)),
    CONSTRAINT providers_lat_check CHECK (((lat >= ('-90'::integer)::double precision) AND (lat <= (90)::double precision))),
    CONSTRAINT providers_lng_check CHECK (((lng >= ('-180'::integer)::double precision) AND (lng <= (180)::double precision))),
    CONSTRAINT providers_rating_avg_check CHECK ((((rating_count = 0) AND (rating_avg IS NULL)) OR ((rating_count > 0) AND ((rating_avg >= (1)::numeric) AND (rating_avg <= (5)::numeric))))),
    CONSTRAINT providers_rating_count_check CHECK ((rating_count >= 0)),
    CONSTRAINT providers_rating_weight_check CHECK ((rating_weight >= (0)::numeric)),
    CONSTRAINT providers_rating_weighted_stars_check CHECK ((rating_weighted_stars >= (0)::numeric)),
    CONSTRAINT providers_reliability_counts_check CHECK (((provider_cancellations >= 0) AND (no_shows >= 0) AND ((provider_cancellations + no_shows) <= ended_bookings))),
    CONSTRAINT providers_reliability_rates_check CHECK ((((provider_cancellation_rate >= (0)::numeric) AND (provider_cancellation_rate <= (1)::numeric)) AND ((no_show_rate >= (0)::numeric) AND (no_show_rate <= (1)::numeric)))),
    CONSTRAINT providers_service_radius_km_check CHECK (((service_radius_km > (0)::numeric) AND (service_radius_km <= (200)::numeric))),
    CONSTRAINT providers_suspended_inactive_check CHECK (((suspended_at IS NULL) OR (NOT is_active))),
    CONSTRAINT providers_suspension_check CHECK ((((suspended_at IS NULL) = (suspension_reason IS NULL)) AND ((suspended_at IS NULL) = (active_before_suspension IS NULL)) AND ((suspension_reason IS NULL) OR ((length(btrim(suspension_reason)) >= 1) AND (length(btrim(suspension_reason)) <= 500))))),
    CONSTRAINT providers_time_zone_check CHECK (((length(time_zone) >= 1) AND (length(time_zone) <= 64)))
);

ALTER TABLE ONLY app.providers FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE providers; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.providers IS 'Businesses offering services: public profile, location, radius, time zone, ratings; private owner and contact.';


--
-- Name: COLUMN providers.service_radius_km; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.service_radius_km IS 'How far from its location the provider serves customers.';


--
-- Name: COLUMN providers.time_zone; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.time_zone IS 'IANA time zone of the weekly hours (a name in pg_timezone_names).';


--
-- Name: COLUMN providers.suspended_at; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.suspended_at IS 'When ops suspended the provider (null: not suspended).';


--
-- Name: COLUMN providers.suspended_by; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.suspended_by IS 'The ops account that suspended it.';


--
-- Name: COLUMN providers.suspension_reason; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.suspension_reason IS 'Why ops suspended it (shown to the provider).';


--
-- Name: COLUMN providers.active_before_suspension; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.active_before_suspension IS 'is_active before the suspension: reinstatement restores it.';


--
-- Name: COLUMN providers.rating_weight; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.rating_weight IS 'Sum of the decay weights of the provider''s ratings (2^((rated_at - 2026-01-01) / 730 days)); kept by triggers.';


--
-- Name: COLUMN providers.rating_weighted_stars; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.rating_weighted_stars IS 'Sum of weight * stars over the provider''s ratings; rating_avg = this / rating_weight. Kept by triggers.';


--
-- Name: COLUMN providers.ended_bookings; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.ended_bookings IS 'Bookings of this provider that ended: completed, no_show or cancelled. Kept by a trigger.';


--
-- Name: COLUMN providers.provider_cancellations; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.provider_cancellations IS 'Ended bookings the provider cancelled. Kept by a trigger.';


--
-- Name: COLUMN providers.no_shows; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.no_shows IS 'Ended bookings marked no_show. Kept by a trigger.';


--
-- Name: COLUMN providers.provider_cancellation_rate; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.provider_cancellation_rate IS '(provider_cancellations + 0.4) / (ended_bookings + 20): shrunk towards 2%. Kept by a trigger.';


--
-- Name: COLUMN providers.no_show_rate; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.providers.no_show_rate IS '(no_shows + 0.4) / (ended_bookings + 20): shrunk towards 2%. Kept by a trigger.';


--
-- Name: quote_items; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.quote_items (
    quote_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    service_id uuid NOT NULL,
    rank integer NOT NULL,
    price_cents integer NOT NULL,
    deposit_cents integer NOT NULL,
    currency text NOT NULL,
    duration_minutes integer NOT NULL,
    buffer_before_minutes integer NOT NULL,
    buffer_after_minutes integer NOT NULL,
    distance_m double precision NOT NULL,
    score double precision NOT NULL,
    cancel_notice_hours integer NOT NULL,
    cancel_fee_cents integer NOT NULL,
    explanation jsonb,
    CONSTRAINT quote_items_cancel_fee_cents_check CHECK (((cancel_fee_cents >= 0) AND (cancel_fee_cents <= price_cents))),
    CONSTRAINT quote_items_deposit_cents_check CHECK (((deposit_cents >= 0) AND (deposit_cents <= price_cents))),
    CONSTRAINT quote_items_distance_m_check CHECK ((distance_m >= (0)::double precision)),
    CONSTRAINT quote_items_duration_minutes_check CHECK ((duration_minutes > 0)),
    CONSTRAINT quote_items_price_cents_check CHECK ((price_cents >= 0)),
    CONSTRAINT quote_items_rank_check CHECK ((rank >= 1))
);

ALTER TABLE ONLY app.quote_items FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE quote_items; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.quote_items IS 'One ranked candidate of a quote, with the price and cancellation policy locked in.';


--
-- Name: COLUMN quote_items.explanation; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.quote_items.explanation IS 'Why this offer ranks where it does: each term''s feature, weight and contribution (the features the learnt ranking is fitted on).';


--
-- Name: quotes; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.quotes (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    category_id integer NOT NULL,
    location extensions.geography(Point,4326) NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    radius_km double precision NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '00:15:00'::interval) NOT NULL,
    ranking_version integer,
    CONSTRAINT quotes_expires_at_check CHECK ((expires_at > created_at)),
    CONSTRAINT quotes_radius_km_check CHECK (((radius_km > (0)::double precision) AND (radius_km <= (100)::double precision)))
);

ALTER TABLE ONLY app.quotes FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE quotes; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.quotes IS 'A customer''s quote request (category, point, start, radius); expires.';


--
-- Name: COLUMN quotes.ranking_version; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.quotes.ranking_version IS 'The ranking version that ordered this quote''s offers.';


--
-- Name: services; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.services (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    provider_id uuid NOT NULL,
    category_id integer NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    duration_minutes integer NOT NULL,
    price_cents integer NOT NULL,
    deposit_cents integer DEFAULT 0 NOT NULL,
    currency text DEFAULT 'CAD'::text NOT NULL,
    buffer_before_minutes integer DEFAULT 0 NOT NULL,
    buffer_after_minutes integer DEFAULT 0 NOT NULL,
    min_notice_minutes integer DEFAULT 60 NOT NULL,
    max_days_ahead integer DEFAULT 60 NOT NULL,
    cancel_notice_hours integer DEFAULT 24 NOT NULL,
    cancel_fee_cents integer DEFAULT 0 NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    search_key extensions.geometry(PointZM,4326),
    CONSTRAINT services_buffer_after_minutes_check CHECK (((buffer_after_minutes >= 0) AND (buffer_after_minutes <= 240))),
    CONSTRAINT services_buffer_before_minutes_check CHECK (((buffer_before_minutes >= 0) AND (buffer_before_minutes <= 240))),
    CONSTRAINT services_cancel_fee_cents_check CHECK (((cancel_fee_cents >= 0) AND (cancel_fee_cents <= GREATEST(price_cents, 0)))),
    CONSTRAINT services_cancel_notice_hours_check CHECK (((cancel_notice_hours >= 0) AND (cancel_notice_hours <= 720))),
    CONSTRAINT services_currency_check CHECK ((currency = 'CAD'::text)),
    CONSTRAINT services_deposit_cents_check CHECK (((deposit_cents >= 0) AND (deposit_cents <= GREATEST(price_cents, 0)))),
    CONSTRAINT services_description_check CHECK ((length(description) <= 4000)),
    CONSTRAINT services_duration_minutes_check CHECK (((duration_minutes >= 5) AND (duration_minutes <= 1440))),
    CONSTRAINT services_max_days_ahead_check CHECK (((max_days_ahead >= 1) AND (max_days_ahead <= 730))),
    CONSTRAINT services_min_notice_minutes_check CHECK (((min_notice_minutes >= 0) AND (min_notice_minutes <= 43200))),
    CONSTRAINT services_name_check CHECK (((length(btrim(name)) >= 1) AND (length(btrim(name)) <= 200))),
    CONSTRAINT services_price_cents_check CHECK (((price_cents >= 0) AND (price_cents <= 100000000)))
);

ALTER TABLE ONLY app.services FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE services; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.services IS 'Services a provider sells: duration, price/deposit (cents), buffers, booking window, cancellation policy.';


--
-- Name: COLUMN services.search_key; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.services.search_key IS 'Quote search key: (lng, lat, rating term, price in cents) of an active offer of an active provider, else null. Kept by triggers.';


--
-- Name: my_quote_offers; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.my_quote_offers WITH (security_invoker='true') AS
 SELECT q.id AS quote_id,
    i.provider_id,
    p.business_name AS provider_name,
    i.service_id,
    s.name AS service_name,
    i.price_cents,
    i.deposit_cents,
    i.currency,
    i.distance_m,
    p.rating_avg AS rating,
    i.score,
    q.starts_at,
    (q.starts_at + make_interval(mins => i.duration_minutes)) AS ends_at,
    q.expires_at,
    i.rank,
    i.cancel_notice_hours,
    i.cancel_fee_cents,
    q.ranking_version,
    i.explanation,
    t.gst_cents,
    t.qst_cents,
    ((i.price_cents + t.gst_cents) + t.qst_cents) AS total_cents,
    t.gst_number,
    t.qst_number
   FROM ((((app.quote_items i
     JOIN app.quotes q ON ((i.quote_id = q.id)))
     JOIN app.providers p ON ((i.provider_id = p.id)))
     JOIN app.services s ON ((i.service_id = s.id)))
     CROSS JOIN LATERAL internal.provider_taxes(i.provider_id, i.price_cents) t(gst_rate, qst_rate, gst_number, qst_number, gst_cents, qst_cents))
  WHERE (q.customer_id = ( SELECT auth.uid() AS uid));


--
-- Name: VIEW my_quote_offers; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.my_quote_offers IS 'The offers of the caller''s own quotes (role customer), with the locked-in price and cancellation policy.

api.quote returns rows of this shape. Offers of a provider or service that has
since been deactivated are not listed.';


--
-- Name: COLUMN my_quote_offers.quote_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.quote_id IS 'The quote (confirm a booking with it and provider_id).';


--
-- Name: COLUMN my_quote_offers.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.provider_id IS 'The offering provider.';


--
-- Name: COLUMN my_quote_offers.provider_name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.provider_name IS 'The provider''s business name.';


--
-- Name: COLUMN my_quote_offers.service_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.service_id IS 'The service offered.';


--
-- Name: COLUMN my_quote_offers.service_name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.service_name IS 'The service''s name.';


--
-- Name: COLUMN my_quote_offers.price_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.price_cents IS 'Locked-in price, in cents.';


--
-- Name: COLUMN my_quote_offers.deposit_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.deposit_cents IS 'Locked-in deposit, in cents.';


--
-- Name: COLUMN my_quote_offers.currency; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.currency IS 'Currency (CAD).';


--
-- Name: COLUMN my_quote_offers.distance_m; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.distance_m IS 'Distance from the quote''s point to the provider, in metres.';


--
-- Name: COLUMN my_quote_offers.rating; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.rating IS 'The provider''s average rating (null without ratings).';


--
-- Name: COLUMN my_quote_offers.score; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.score IS 'Ranking score (see api.quote), higher is better.';


--
-- Name: COLUMN my_quote_offers.starts_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.starts_at IS 'Start of the appointment.';


--
-- Name: COLUMN my_quote_offers.ends_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.ends_at IS 'End of the appointment (start plus the service duration).';


--
-- Name: COLUMN my_quote_offers.expires_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.expires_at IS 'When the quote expires.';


--
-- Name: COLUMN my_quote_offers.rank; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.rank IS 'Position in the quote, 1 = best.';


--
-- Name: COLUMN my_quote_offers.cancel_notice_hours; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.cancel_notice_hours IS 'Locked-in policy: free cancellation up to this many hours before.';


--
-- Name: COLUMN my_quote_offers.cancel_fee_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.cancel_fee_cents IS 'Locked-in policy: fee for a later cancellation, in cents.';


--
-- Name: COLUMN my_quote_offers.ranking_version; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.ranking_version IS 'The ranking version that ordered the quote (see api.quote).';


--
-- Name: COLUMN my_quote_offers.explanation; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.explanation IS 'Why the offer ranks where it does: {version, score, terms: {distance, rating, reliability, price,
personal}}, each term with its feature, weight, contribution (they add up to the score) and facts.';


--
-- Name: COLUMN my_quote_offers.gst_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.gst_cents IS 'GST on the price (5%, half up to the cent; 0 if the provider is not GST-registered), see api.set_tax_registration.';


--
-- Name: COLUMN my_quote_offers.qst_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.qst_cents IS 'QST on the price (9.975%, half up to the cent; 0 if the provider is not QST-registered).';


--
-- Name: COLUMN my_quote_offers.total_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.total_cents IS 'price_cents + gst_cents + qst_cents: what the service costs, taxes included.';


--
-- Name: COLUMN my_quote_offers.gst_number; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.gst_number IS 'The provider''s GST registration number (null: charges no GST).';


--
-- Name: COLUMN my_quote_offers.qst_number; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_quote_offers.qst_number IS 'The provider''s QST registration number (null: charges no QST).';


--
-- Name: quote(text, double precision, double precision, timestamp with time zone, double precision, integer); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.quote(category text DEFAULT NULL::text, lat double precision DEFAULT NULL::double precision, lng double precision DEFAULT NULL::double precision, starts_at timestamp with time zone DEFAULT NULL::timestamp with time zone, radius_km double precision DEFAULT 10, max_results integer DEFAULT 10) RETURNS SETOF api.my_quote_offers
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select q.*
    from internal.quote(
        quote.category, quote.lat, quote.lng, quote.starts_at, quote.radius_km, quote.max_results
    ) as q
$$;


--
-- Name: FUNCTION quote(category text, lat double precision, lng double precision, starts_at timestamp with time zone, radius_km double precision, max_results integer); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.quote(category text, lat double precision, lng double precision, starts_at timestamp with time zone, radius_km double precision, max_results integer) IS 'Ranked providers free to do a service of a category near a point at a time, with the price locked in.

Role customer only (anonymous: 401 not_authenticated; provider, ops: 403
forbidden). POST /rpc/quote {"category": "haircut", "lat": 45.52, "lng": -73.58,
"starts_at": "2026-12-01T10:00:00-05:00", "radius_km": 10, "max_results": 10}.

Candidates offer an active service in the category, lie within radius_km of the
point, have a service radius covering it, and are free for the whole slot
(duration plus buffers, weekly hours in their time zone, time off, live
bookings and unexpired holds, minimum notice, maximum days ahead). One offer per
provider (the best-scoring free service). The quote and its offers are stored
(app.quotes, app.quote_items) with the price and cancellation policy in force,
and expire after 15 minutes.

Score = wD * D + wR * R + wP * P + wQ * Q + wU * U, rounded to 4 decimals,
ties to the nearer, with the weights of the active ranking version
(ranking_version; version 2: 0.5, 0.2, 0.2, 0.1, 0.15; version 1 was 0.5 * D +
0.3 * R + 0.2 * P): D = 1 - distance_m / (radius_km * 1000); R = (B - 1) / 4
with the Bayesian rating B = (5 * 4.0 + n * avg) / (5 + n) (a prior of 5
ratings at 4.0); P = the cheapest price among the category''s active offers
within radius_km / this price; Q = 1 - the provider''s cancellation rate - its
no-show rate (both shrunk towards 2%); U = the caller''s own history with the
provider, in [-1, 1] (completed bookings, its own latest review; 0 for a
provider it never booked, and never seen by another customer). Each offer''s
explanation gives every term''s contribution (docs/ranking.md).

Errors (400 invalid_input, nothing stored): unknown category, lat outside
[-90, 90], lng outside [-180, 180], starts_at missing or not in the future,
radius_km <= 0 or > 100, max_results outside 1..50.';


--
-- Name: refresh(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.refresh(refresh_token text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.refresh(refresh_token)
$$;


--
-- Name: FUNCTION refresh(refresh_token text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.refresh(refresh_token text) IS 'Exchange a refresh token for a new access token and a new refresh token.

The old refresh token stops working. Presenting an already-used one revokes the whole session (theft detection).
Errors: 401 invalid_token.';


--
-- Name: reply_to_review(uuid, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.reply_to_review(review_id uuid DEFAULT NULL::uuid, reply text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.reply_to_review(reply_to_review.review_id, reply_to_review.reply)
$$;


--
-- Name: FUNCTION reply_to_review(review_id uuid, reply text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.reply_to_review(review_id uuid, reply text) IS 'Reply, once, to a review of your provider (at most 2000 characters); the reply is public.

Role provider, reviews of the provider it owns only.
Errors: 400 invalid_input (reply missing, blank or too long); 403 forbidden (another provider''s review);
404 not_found (no such visible review); 409 already_replied.';


--
-- Name: request_password_reset(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.request_password_reset(email text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.request_password_reset(email)
$$;


--
-- Name: FUNCTION request_password_reset(email text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.request_password_reset(email text) IS 'Ask for a password reset email. The answer is the same whether or not the account exists.

At most 3 reset emails an hour go to one account; further requests get the same answer and send nothing.
Errors: 400 invalid_input for a malformed email; 405 method_not_allowed for GET/HEAD.';


--
-- Name: reschedule_booking(uuid, timestamp with time zone); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.reschedule_booking(booking_id uuid DEFAULT NULL::uuid, new_starts_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.reschedule_booking(booking_id, new_starts_at)
$$;


--
-- Name: FUNCTION reschedule_booking(booking_id uuid, new_starts_at timestamp with time zone); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.reschedule_booking(booking_id uuid, new_starts_at timestamp with time zone) IS 'Move a booking to another start time (its customer, or the owner of its provider).

The booking keeps its duration, price, policy and payment: nothing is charged again. The old slot is released only if the new one is won. A customer may reschedule only until cancel_notice_hours before the current start; the provider until the start. Only pending_payment and confirmed bookings move, and none once started.
Errors: 400 invalid_input; 404 not_found (not your booking); 409 slot_unavailable (the new slot, with buffers, is taken or outside hours), invalid_transition (the booking has ended), booking_started (its start has passed), too_late (inside the notice window). Repeating the same move returns the booking unchanged.';


--
-- Name: reset_password(text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.reset_password(token text DEFAULT NULL::text, new_password text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.reset_password(token, new_password)
$$;


--
-- Name: FUNCTION reset_password(token text, new_password text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.reset_password(token text, new_password text) IS 'Set a new password with the single-use token from the reset email; every session is signed out.

Errors: 400 invalid_one_time_token; 400 invalid_input for a weak password.';


--
-- Name: review_booking(uuid, integer, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.review_booking(booking_id uuid DEFAULT NULL::uuid, stars integer DEFAULT NULL::integer, body text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.review_booking(review_booking.booking_id, review_booking.stars, review_booking.body)
$$;


--
-- Name: FUNCTION review_booking(booking_id uuid, stars integer, body text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.review_booking(booking_id uuid, stars integer, body text) IS 'Review one of your completed bookings: 1 to 5 stars and an optional text (at most 2000 characters).

Role customer, own bookings only. One review per booking; change it with edit_review for 14 days.
Publicly the review shows your first name and last initial, never your account.
The provider is notified. The provider''s rating (rating_count, rating_avg) is updated at once.
Errors: 400 invalid_input (stars missing or outside 1..5, body too long); 404 not_found (not your booking);
409 booking_not_completed (the booking has not been completed); 409 already_reviewed;
429 too_many_reviews (more than 10 reviews in a day).';


--
-- Name: set_notification_preference(text, boolean, boolean); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.set_notification_preference(category text DEFAULT NULL::text, email boolean DEFAULT NULL::boolean, sms boolean DEFAULT NULL::boolean) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_row app.notification_preferences;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'sign in first');
    end if;
    if set_notification_preference.category = 'security' then
        perform internal.fail(
            'invalid_input',
            'category ''security'' cannot be changed: email confirmation and password reset always go by email'
        );
    end if;
    if set_notification_preference.category is null
        or set_notification_preference.category not in ('reminders', 'booking_updates') then
        perform internal.fail('invalid_input', 'category must be ''reminders'' or ''booking_updates''');
    end if;
    insert into app.notification_preferences as p (user_id, category, email, sms)
    values (
        auth.uid(),
        set_notification_preference.category,
        coalesce(set_notification_preference.email, true),
        coalesce(set_notification_preference.sms, false)
    )
    on conflict on constraint notification_preferences_pkey do update
        set
            email = coalesce(set_notification_preference.email, p.email),
            sms = coalesce(set_notification_preference.sms, p.sms),
            updated_at = pg_catalog.now()
    returning * into v_row;
    return pg_catalog.jsonb_build_object('category', v_row.category, 'email', v_row.email, 'sms', v_row.sms);
end
$$;


--
-- Name: FUNCTION set_notification_preference(category text, email boolean, sms boolean); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.set_notification_preference(category text, email boolean, sms boolean) IS 'Choose whether a category of notifications reaches the caller by email and by SMS.

Inputs: category (''booking_updates'' or ''reminders''), email, sms (each optional: omitted keeps the current choice).
SMS goes out only while the profile has a phone number. Security mail cannot be turned off.
Returns the category''s preferences. Idempotent.
Errors: 400 invalid_input naming category; 401 not_authenticated.';


--
-- Name: set_tax_registration(text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.set_tax_registration(gst_number text DEFAULT NULL::text, qst_number text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.set_tax_registration(set_tax_registration.gst_number, set_tax_registration.qst_number)
$$;


--
-- Name: FUNCTION set_tax_registration(gst_number text, qst_number text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.set_tax_registration(gst_number text, qst_number text) IS 'Register your business for Quebec''s sales taxes: your GST and QST numbers (role provider).

POST /rpc/set_tax_registration {"gst_number": "123456782RT0001", "qst_number": "1234567890TQ0001"}.
Send both every time: an omitted, null or empty number means you are not registered for that tax (a
small supplier registered for neither charges no tax). Spaces and dashes are ignored. From then on
new quotes and bookings charge GST 5% and QST 9.975% on the price for each tax you are registered for;
existing bookings keep the taxes they were made with.
Returns your registration (gst_number, qst_number, gst_rate, qst_rate, charges_taxes). Idempotent.
Errors: 400 invalid_input (gst_number not 9 digits of a valid business number + RT + 4 digits,
qst_number not 10 digits + TQ + 4 digits); 401 not_authenticated; 403 forbidden (not a provider);
404 not_found (no provider profile yet).';


--
-- Name: signup(text, text, text, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.signup(email text DEFAULT NULL::text, password text DEFAULT NULL::text, full_name text DEFAULT NULL::text, role text DEFAULT 'customer'::text, locale text DEFAULT 'en'::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.signup(email, password, full_name, role, locale)
$$;


--
-- Name: FUNCTION signup(email text, password text, full_name text, role text, locale text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.signup(email text, password text, full_name text, role text, locale text) IS 'Create an account and sign in.

Inputs: email (unique, normalised), password (10+ characters, at most 72 bytes, not the email), full_name, role (''customer'' or ''provider''; ops accounts are made with the command line), locale (''en'' or ''fr'').
Returns the user and a session (access_token, refresh_token). A confirmation email is queued.
Errors: 400 invalid_input naming the field; 409 email_taken; 405 method_not_allowed for GET/HEAD;
429 rate_limited with Retry-After for a minute after 5 email_taken answers to one client address (whatever the email).';


--
-- Name: start_payout_onboarding(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.start_payout_onboarding() RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select internal.start_payout_onboarding()
$$;


--
-- Name: FUNCTION start_payout_onboarding(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.start_payout_onboarding() IS 'Start (or resume) getting paid through Stripe: a fresh onboarding link to your Stripe Express account (providers only).

The worker creates your Express account (once) and a Stripe onboarding link: poll GET /rpc/my_payout_account until onboarding_url appears, and open it. Stripe sends you back to the app when you are done (or to ask for a new link when it has expired: call this again). charges_enabled, payouts_enabled and capabilities follow Stripe''s account.updated. Until your account can take transfers (destination_charges true), customers still book and pay you, and the platform collects and owes you your share.
Errors: 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile yet). Each call asks for a new link.';


--
-- Name: stripe_webhook(json); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.stripe_webhook(json) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $_$
    select internal.receive_stripe_webhook($1)
$_$;


--
-- Name: FUNCTION stripe_webhook(json); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.stripe_webhook(json) IS 'Stripe''s webhook endpoint (POST the event as Stripe sends it, with its Stripe-Signature header).

The signature is checked over the exact body. Each event is stored once: a repeated delivery answers 200 and changes nothing.
Errors: 400 invalid_signature (unsigned, badly signed or older than 5 minutes; nothing is stored).';


--
-- Name: update_me(text, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.update_me(full_name text DEFAULT NULL::text, locale text DEFAULT NULL::text, phone text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_before app.users;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'sign in first');
    end if;
    select * into v_before from app.users as u where u.id = auth.uid();
    perform auth.check_profile(
        coalesce(full_name, v_before.full_name), coalesce(locale, v_before.locale), nullif(phone, '')
    );
    update app.users as u
    set
        full_name = coalesce(update_me.full_name, u.full_name),
        locale = coalesce(update_me.locale, u.locale),
        phone = case when update_me.phone = '' then null else coalesce(update_me.phone, u.phone) end,
        updated_at = pg_catalog.now()
    where u.id = auth.uid();
    return api.me();
end
$$;


--
-- Name: FUNCTION update_me(full_name text, locale text, phone text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.update_me(full_name text, locale text, phone text) IS 'Edit the caller''s profile: full_name, locale (''en'' or ''fr''), phone (E.164; '''' clears it). Omitted fields stay.

Errors: 400 invalid_input naming the field.';


--
-- Name: base64url(bytea); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.base64url(p_data bytea) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select pg_catalog.translate(
        pg_catalog.rtrim(pg_catalog.replace(pg_catalog.encode(p_data, 'base64'), e'\n', ''), '='),
        '+/', '-_'
    )
$$;


--
-- Name: FUNCTION base64url(p_data bytea); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.base64url(p_data bytea) IS 'base64url without padding (RFC 7515), as JWTs use.';


--
-- Name: base64url_decode(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.base64url_decode(p_text text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select pg_catalog.decode(
        pg_catalog.rpad(
            pg_catalog.translate(p_text, '-_', '+/'),
            (pg_catalog.length(p_text) + 3) / 4 * 4,
            '='
        ),
        'base64'
    )
$$;


--
-- Name: FUNCTION base64url_decode(p_text text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.base64url_decode(p_text text) IS 'Decode base64url without padding (RFC 7515), as JWTs use.';


--
-- Name: check_email(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_email(p_email text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$
begin
    if p_email is null or p_email = '' then
        perform internal.fail('invalid_input', 'email is required');
    end if;
    if pg_catalog.length(p_email) > 254 then
        perform internal.fail('invalid_input', 'email must be at most 254 characters');
    end if;
    if p_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
        perform internal.fail('invalid_input', 'email is not a valid address');
    end if;
end
$_$;


--
-- Name: FUNCTION check_email(p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_email(p_email text) IS 'Refuse a missing, oversized or malformed email (400, names the field).';


--
-- Name: check_password(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_password(p_password text, p_email text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
    if p_password is null or p_password = '' then
        perform internal.fail('invalid_input', 'password is required');
    end if;
    if pg_catalog.char_length(p_password) < 10 then
        perform internal.fail('invalid_input', 'password must be at least 10 characters');
    end if;
    -- bcrypt reads at most 72 bytes: a longer password would be silently truncated
    if pg_catalog.octet_length(p_password) > 72 then
        perform internal.fail('invalid_input', 'password must be at most 72 bytes');
    end if;
    if pg_catalog.lower(p_password) = pg_catalog.lower(p_email)
        or pg_catalog.lower(p_password) = pg_catalog.split_part(pg_catalog.lower(p_email), '@', 1) then
        perform internal.fail('invalid_input', 'password must not be the email address');
    end if;
end
$$;


--
-- Name: FUNCTION check_password(p_password text, p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_password(p_password text, p_email text) IS 'Password rules: 10 characters or more, at most 72 bytes (bcrypt), not the email.';


--
-- Name: check_profile(text, text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_profile(p_full_name text, p_locale text, p_phone text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$
begin
    perform internal.require_text(p_full_name, 'full_name');
    if pg_catalog.char_length(p_full_name) > 200 then
        perform internal.fail('invalid_input', 'full_name must be at most 200 characters');
    end if;
    if p_locale is null or p_locale not in ('en', 'fr') then
        perform internal.fail('invalid_input', 'locale must be ''en'' or ''fr''');
    end if;
    if p_phone is not null and p_phone !~ '^\+[1-9][0-9]{6,14}$' then
        perform internal.fail('invalid_input', 'phone must be in E.164 form, for example +15145550123');
    end if;
end
$_$;


--
-- Name: FUNCTION check_profile(p_full_name text, p_locale text, p_phone text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_profile(p_full_name text, p_locale text, p_phone text) IS 'Profile field rules (400 naming the field).';


--
-- Name: check_request(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_request() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_claims jsonb := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb;
    v_now numeric := extract(epoch from pg_catalog.now());
    v_aud text;
    v_method text := pg_catalog.current_setting('request.method', true);
    v_path text;
    v_name text;
    -- without a token PostgREST sets only {"role": "anon"}; any token Bookiji
    -- issues carries exp, so a claim set without it and for anon is no token
    v_anonymous boolean := coalesce(v_claims ->> 'role', 'anon') = 'anon' and not v_claims ? 'exp';
begin
    if not v_anonymous then
        -- PostgREST 12 accepts a token without exp for ever and skips the audience
        -- check when the claim is absent: refuse both here.
        if jsonb_typeof(v_claims -> 'exp') is distinct from 'number'
            or jsonb_typeof(v_claims -> 'iat') is distinct from 'number' then
            perform internal.fail('invalid_token', 'the access token must carry exp and iat claims');
        end if;
        if (v_claims ->> 'exp')::numeric <= v_now then
            perform internal.fail('invalid_token', 'the access token has expired');
        end if;
        if (v_claims ->> 'iat')::numeric > v_now + 60 then
            perform internal.fail('invalid_token', 'the access token was issued in the future');
        end if;
        select s.value into v_aud from internal.settings as s where s.key = 'jwt_aud';
        if not coalesce(
            v_claims -> 'aud' = pg_catalog.to_jsonb(v_aud)
            or (jsonb_typeof(v_claims -> 'aud') = 'array' and v_claims -> 'aud' ? v_aud),
            false
        ) then
            perform internal.fail('invalid_token', 'the access token is not meant for this API (aud)');
        end if;
        if v_claims ->> 'role' is null or v_claims ->> 'role' not in ('customer', 'provider', 'ops') then
            perform internal.fail('invalid_token', 'the access token has an unknown role');
        end if;
        -- every access token names its session (auth.issue_session): one without
        -- could not be ended by logout or a revocation, so it is no token
        if jsonb_typeof(v_claims -> 'sid') is distinct from 'string' then
            perform internal.fail('invalid_token', 'the access token carries no session (sid claim); sign in (rpc/login) for one');
        end if;
        if v_claims ->> 'sid' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
            perform internal.fail('invalid_token', 'the access token''s session (sid claim) is not a session id');
        end if;
        if exists (
            select from auth.sessions as s
            where s.id = (v_claims ->> 'sid')::uuid and s.revoked_at is not null
        ) then
            perform internal.fail('invalid_token', 'the session has ended; sign in again');
        end if;
    end if;
    -- GET and HEAD on a function that writes: PostgREST would run it in a
    -- read-only transaction, do all its work (bcrypt, for login and sign-up)
    -- and only fail at its first write, outside every write limit. Refuse
    -- before any work: one index probe of pg_proc, for GET/HEAD on /rpc/ only.
    if v_method in ('GET', 'HEAD') then
        v_path := pg_catalog.current_setting('request.path', true);
        if v_path like '/rpc/%' then
            v_name := pg_catalog.substr(v_path, 6);
            if pg_catalog.strpos(v_name, '%') > 0 then
                -- request.path is raw, and PostgREST decodes the name (/rpc/log%69n is login)
                v_name := auth.percent_decode(v_name);
            end if;
            if exists (
                select from pg_catalog.pg_proc as p
                where p.proname = v_name::name
                    and p.pronamespace = 'api'::regnamespace
                    and p.provolatile = 'v'
            ) then
                -- the registry's method_not_allowed, raised as PGRST so that the
                -- 405 carries the Allow header HTTP requires
                raise sqlstate 'PGRST' using
                    message = pg_catalog.jsonb_build_object(
                        'code', 'PT405', 'hint', 'method_not_allowed', 'details', null,
                        'message', pg_catalog.format(
                            '%s %s is not allowed: this function changes data; call it with POST',
                            v_method, v_path
                        )
                    )::text,
                    detail = pg_catalog.jsonb_build_object(
                        'status', 405, 'headers', pg_catalog.jsonb_build_object('Allow', 'POST')
                    )::text;
            end if;
        end if;
    end if;
    -- Per-identity write limits. GET and HEAD, and POST to a stable function,
    -- run in read-only transactions and cannot count: nginx limits those (per
    -- address and per token) in front of PostgREST.
    if v_method is not null and v_method not in ('GET', 'HEAD', 'OPTIONS')
        and pg_catalog.current_setting('transaction_read_only') = 'off' then
        if pg_catalog.current_setting('request.path', true) = '/rpc/stripe_webhook' then
            return;  -- Stripe's deliveries: authenticated by signature, limited by nginx per address
        elsif v_anonymous then
            perform auth.rate_limited_address(
                'addr:' || auth.client_addr(),
                coalesce((select s.value::integer from internal.settings as s
                          where s.key = 'rate_limit_anon_writes_per_minute'), 60)
            );
        else
            perform auth.rate_limited(
                'sub:' || (v_claims ->> 'sub'),
                coalesce((select s.value::integer from internal.settings as s
                          where s.key = 'rate_limit_writes_per_minute'), 120)
            );
        end if;
    end if;
end
$_$;


--
-- Name: FUNCTION check_request(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_request() IS 'PostgREST db-pre-request hook: refuse tokens without exp/iat, with the wrong aud or a revoked session;
refuse GET/HEAD on a volatile api function (405) before it runs; limit writes per identity (per address for anon). Definer: reads settings and sessions, writes counters.';


--
-- Name: client_addr(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.client_addr() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- nginx overwrites X-Real-IP with the connection's address; without nginx
    -- there is no trustworthy address and every client shares one bucket.
    select coalesce(
        nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-real-ip',
        'unknown'
    )
$$;


--
-- Name: FUNCTION client_addr(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.client_addr() IS 'The client''s address as nginx reports it (X-Real-IP), or ''unknown''.';


--
-- Name: confirm_email(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.confirm_email(p_token text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user_id uuid := auth.consume_one_time_token(p_token, 'confirm_email');
begin
    update app.users as u
    set email_confirmed_at = coalesce(u.email_confirmed_at, pg_catalog.now()), updated_at = pg_catalog.now()
    where u.id = v_user_id;
    perform internal.audit('confirm_email', 'app.users', v_user_id::text, null, null, null, v_user_id, 'anon');
    return pg_catalog.jsonb_build_object('email_confirmed', true);
end
$$;


--
-- Name: FUNCTION confirm_email(p_token text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.confirm_email(p_token text) IS 'Confirm an email with its single-use token. Definer: anon completes it.';


--
-- Name: consume_one_time_token(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.consume_one_time_token(p_token text, p_purpose text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_row auth.one_time_tokens;
begin
    if p_token is null or p_token = '' or pg_catalog.length(p_token) > 200 then
        perform internal.fail('invalid_input', 'token is required');
    end if;
    select * into v_row
    from auth.one_time_tokens as t
    where t.token_hash = auth.token_hash(p_token) and t.purpose = p_purpose
    for update;
    if not found or v_row.used_at is not null or v_row.expires_at <= pg_catalog.now() then
        perform internal.fail('invalid_one_time_token', 'the token is invalid, already used or expired');
    end if;
    update auth.one_time_tokens as t set used_at = pg_catalog.now() where t.id = v_row.id;
    return v_row.user_id;
end
$$;


--
-- Name: FUNCTION consume_one_time_token(p_token text, p_purpose text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.consume_one_time_token(p_token text, p_purpose text) IS 'Use a single-use token once; refuse unknown, used or expired ones. Definer: reads auth.one_time_tokens.';


--
-- Name: event_log_bounds(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.event_log_bounds() RETURNS TABLE(oldest_id bigint, last_id bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select
        (select e.id from app.events as e order by e.id limit 1),
        coalesce(pg_catalog.pg_sequence_last_value(
            pg_catalog.pg_get_serial_sequence('app.events', 'id')::regclass
        ), 0)
$$;


--
-- Name: FUNCTION event_log_bounds(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.event_log_bounds() IS 'The oldest event id still in the log (null when empty) and the newest id, whoever may read them:
the real-time service tells a resume that is too old (resume_window_passed). Definer: reads past row-level security.';


--
-- Name: issue_one_time_token(uuid, text, interval); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.issue_one_time_token(p_user_id uuid, p_purpose text, p_ttl interval) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_token text := auth.new_opaque_token();
begin
    -- a new token supersedes any earlier unused one for the same purpose
    update auth.one_time_tokens as t
    set used_at = pg_catalog.now()
    where t.user_id = p_user_id and t.purpose = p_purpose and t.used_at is null;
    insert into auth.one_time_tokens (user_id, purpose, token_hash, expires_at)
    values (p_user_id, p_purpose, auth.token_hash(v_token), pg_catalog.now() + p_ttl);
    return v_token;
end
$$;


--
-- Name: FUNCTION issue_one_time_token(p_user_id uuid, p_purpose text, p_ttl interval); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.issue_one_time_token(p_user_id uuid, p_purpose text, p_ttl interval) IS 'Create a single-use token (only its hash is stored). Definer: writes auth.one_time_tokens.';


--
-- Name: issue_session(uuid, uuid); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.issue_session(p_user_id uuid, p_session_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user app.users;
    v_session uuid := p_session_id;
    v_refresh text := auth.new_opaque_token();
    v_now bigint := pg_catalog.floor(extract(epoch from pg_catalog.now()))::bigint;
    v_ttl integer := coalesce(internal.setting('jwt_ttl_seconds')::integer, 900);
    v_refresh_days integer := coalesce(internal.setting('refresh_ttl_days')::integer, 30);
begin
    select * into strict v_user from app.users as u where u.id = p_user_id;
    if v_session is null then
        insert into auth.sessions (user_id) values (p_user_id) returning id into v_session;
    else
        update auth.sessions as s set last_refreshed_at = pg_catalog.now() where s.id = v_session;
    end if;
    insert into auth.refresh_tokens (user_id, family_id, token_hash, expires_at)
    values (
        p_user_id, v_session, auth.token_hash(v_refresh),
        pg_catalog.now() + pg_catalog.make_interval(days => v_refresh_days)
    );
    return pg_catalog.jsonb_build_object(
        'access_token', auth.sign_jwt(pg_catalog.jsonb_build_object(
            'sub', v_user.id,
            'role', v_user.role,
            'email', v_user.email,
            'aud', internal.setting('jwt_aud'),
            'iat', v_now,
            'exp', v_now + v_ttl,
            'sid', v_session
        )),
        'token_type', 'bearer',
        'expires_in', v_ttl,
        'refresh_token', v_refresh,
        'user', auth.user_json(v_user.id)
    );
end
$$;


--
-- Name: FUNCTION issue_session(p_user_id uuid, p_session_id uuid); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.issue_session(p_user_id uuid, p_session_id uuid) IS 'Start (or continue, on refresh) a session: a signed access token and a new refresh token. Definer: writes auth tables.';


--
-- Name: jwt(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.jwt() RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;


--
-- Name: FUNCTION jwt(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.jwt() IS 'The verified JWT claims of the current request ({} for anon).';


--
-- Name: login(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.login(p_email text, p_password text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_email text := auth.normalize_email(coalesce(p_email, ''));
    v_addr text := auth.client_addr();
    v_window interval := pg_catalog.make_interval(
        secs => coalesce(internal.setting('login_window_seconds')::integer, 900)
    );
    -- failures one address may make for one email before the delays start
    v_free integer := coalesce(internal.setting('login_free_failures_per_email_and_address')::integer, 5);
    -- the first delay; it doubles with each further failure, up to the window
    v_delay integer := coalesce(internal.setting('login_delay_seconds')::integer, 30);
    -- across every address: far above v_free, so that a stranger cannot lock the owner out
    v_max_email integer := coalesce(internal.setting('login_max_failures_per_email')::integer, 50);
    v_max_addr integer := coalesce(internal.setting('login_max_failures_per_address')::integer, 30);
    v_pair_failures integer;
    v_pair_last timestamptz;
    v_user app.users;
    v_hash text;
    v_ok boolean;
    v_retry_after integer;
begin
    if p_email is null or p_password is null then
        perform internal.fail('invalid_input', 'email and password are required');
    end if;
    if pg_catalog.length(p_email) > 254 or pg_catalog.length(p_password) > 1000 then
        perform internal.fail('invalid_input', 'email or password is too long');
    end if;
    -- one login at a time per email, so concurrent guesses cannot slip past the count
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('login:' || v_email));

    -- 1. this address and this email: failures since the pair's last success;
    -- past v_free, each further attempt waits v_delay * 2^(failures - v_free)
    -- after the last failure (30 s, 1, 2, 4, 8 min, then the window)
    -- (citext's own operator, named: with search_path '' a plain = compares
    -- as text and cannot use the email indexes)
    select count(*), max(la.attempted_at) into v_pair_failures, v_pair_last
    from auth.login_attempts as la
    where la.email operator(extensions.=) v_email::extensions.citext
        and la.client_addr = v_addr and not la.succeeded
        and la.attempted_at > pg_catalog.now() - v_window
        and la.attempted_at > coalesce((
            select max(ok.attempted_at) from auth.login_attempts as ok
            where ok.email operator(extensions.=) v_email::extensions.citext
                and ok.client_addr = v_addr and ok.succeeded
                and ok.attempted_at > pg_catalog.now() - v_window
        ), '-infinity');
    if v_pair_failures >= v_free then
        v_retry_after := ceil(extract(epoch from (
            v_pair_last
            + pg_catalog.make_interval(secs => least(
                v_delay * power(2, least(v_pair_failures - v_free, 30)),
                extract(epoch from v_window)
            ))
            - pg_catalog.now()
        )))::integer;
        if v_retry_after <= 0 then
            v_retry_after := null;
        end if;
    end if;
    -- 2. this email from every address: a cap far above v_free
    if v_retry_after is null then
        select ceil(extract(epoch from (min(a.attempted_at) + v_window - pg_catalog.now())))::integer
        into v_retry_after
        from (
            select la.attempted_at from auth.login_attempts as la
            where la.email operator(extensions.=) v_email::extensions.citext and not la.succeeded
                and la.attempted_at > pg_catalog.now() - v_window
            order by la.attempted_at desc
            limit v_max_email
        ) as a
        having count(*) >= v_max_email;
    end if;
    -- 3. this address, whatever the email
    if v_retry_after is null then
        select ceil(extract(epoch from (min(a.attempted_at) + v_window - pg_catalog.now())))::integer
        into v_retry_after
        from (
            select la.attempted_at from auth.login_attempts as la
            where la.client_addr = v_addr and not la.succeeded
                and la.attempted_at > pg_catalog.now() - v_window
            order by la.attempted_at desc
            limit v_max_addr
        ) as a
        having count(*) >= v_max_addr;
    end if;
    if v_retry_after is not null then
        -- returned, not raised, so that the response can carry Retry-After
        perform pg_catalog.set_config('response.status', '429', true);
        perform pg_catalog.set_config(
            'response.headers',
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('Retry-After', greatest(v_retry_after, 1)::text))::text,
            true
        );
        return pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many failed logins; retry in %s seconds', greatest(v_retry_after, 1))
        );
    end if;

    select * into v_user from app.users as u
    where u.email operator(extensions.=) v_email::extensions.citext;  -- users_email_key
    select c.password_hash into v_hash from auth.credentials as c where c.user_id = v_user.id;
    -- the same bcrypt work whether or not the account exists
    v_ok := extensions.crypt(p_password, coalesce(v_hash, '$2a$10$0000000000000000000000uSyvAtVHnQiXKdtuxqvlOmfi.fGbhwO'))
        = coalesce(v_hash, '-');
    insert into auth.login_attempts (email, client_addr, succeeded) values (v_email, v_addr, v_ok);
    if not v_ok then
        -- returned, not raised: a raise would roll back the failed attempt we just recorded
        perform pg_catalog.set_config('response.status', '401', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT401', 'hint', 'invalid_credentials', 'details', null,
            'message', 'wrong email or password'
        );
    end if;
    return auth.issue_session(v_user.id);
end
$_$;


--
-- Name: FUNCTION login(p_email text, p_password text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.login(p_email text, p_password text) IS 'Check a password and start a session. Throttled per (email, client address) with doubling delays after 5
failures, per email across all addresses (50 failures in 15 minutes) and per address (30). Definer: reads credentials.';


--
-- Name: logout(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.logout() RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_sid uuid := nullif(auth.jwt() ->> 'sid', '')::uuid;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'sign in first');
    end if;
    update auth.sessions as s
    set revoked_at = pg_catalog.now(), revoked_reason = 'logout'
    where s.user_id = auth.uid() and s.revoked_at is null and (v_sid is null or s.id = v_sid);
    return pg_catalog.jsonb_build_object('signed_out', true);
end
$$;


--
-- Name: FUNCTION logout(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.logout() IS 'End the caller''s session (every session when the token has no sid). Definer: writes auth.sessions.';


--
-- Name: new_opaque_token(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.new_opaque_token() RETURNS text
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.base64url(extensions.gen_random_bytes(32))
$$;


--
-- Name: FUNCTION new_opaque_token(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.new_opaque_token() IS '256 random bits, base64url: refresh and one-time tokens.';


--
-- Name: normalize_email(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.normalize_email(p_email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select pg_catalog.lower(pg_catalog.btrim(p_email))
$$;


--
-- Name: FUNCTION normalize_email(p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.normalize_email(p_email text) IS 'Emails are compared trimmed and lower-cased.';


--
-- Name: percent_decode(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.percent_decode(p_text text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO ''
    AS $$
declare
    v_decoded text;
begin
    select pg_catalog.convert_from(pg_catalog.string_agg(
        case when m.part[1] is not null
            then pg_catalog.decode(pg_catalog.substr(m.part[1], 2), 'hex')
            else pg_catalog.convert_to(m.part[2], 'UTF8')
        end, ''::bytea order by m.ord
    ), 'UTF8') into v_decoded
    from pg_catalog.regexp_matches(p_text, '(%[0-9A-Fa-f]{2})|([^%]+|%)', 'g') with ordinality as m (part, ord);
    return v_decoded;
exception when character_not_in_repertoire or untranslatable_character then
    return null;  -- not UTF-8 once decoded (the gateway refuses such a path before PostgREST)
end
$$;


--
-- Name: FUNCTION percent_decode(p_text text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.percent_decode(p_text text) IS 'Decode %XX sequences of a URL path as UTF-8 (null if the bytes are not UTF-8).';


--
-- Name: rate_limited(text, integer); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.rate_limited(p_bucket text, p_limit integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    -- GCRA: a write is due every v_step; a burst of p_limit is let through at once,
    -- then one every v_step, so that no more than p_limit pass in any minute from idle
    -- and p_limit a minute at most in the long run
    v_step interval := interval '1 minute' / greatest(p_limit, 1);
    v_tat timestamptz;
begin
    insert into auth.rate_limits as r (bucket, tat)
    values (p_bucket, pg_catalog.now() + v_step)
    on conflict (bucket) do update
        set tat = greatest(r.tat, pg_catalog.now()) + v_step
        where greatest(r.tat, pg_catalog.now()) + v_step <= pg_catalog.now() + interval '1 minute'
    returning r.tat into v_tat;
    if v_tat is null then
        -- refused (the row is unchanged, and locked by the upsert until the rollback)
        select r.tat into v_tat from auth.rate_limits as r where r.bucket = p_bucket;
        perform auth.too_many_requests(p_limit, greatest(1, ceil(extract(epoch from (
            v_tat + v_step - interval '1 minute' - pg_catalog.now()
        )))::integer));
    end if;
end
$$;


--
-- Name: FUNCTION rate_limited(p_bucket text, p_limit integer); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.rate_limited(p_bucket text, p_limit integer) IS 'Count one write of an identity (GCRA: p_limit at once, then p_limit a minute; one row per bucket, O(1));
refuse with 429 and Retry-After past the limit. Definer: writes auth.rate_limits.';


--
-- Name: rate_limited_address(text, integer); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.rate_limited_address(p_bucket text, p_limit integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_hits integer;
    v_oldest timestamptz;
begin
    -- a sliding one-minute window of inserted rows, which never wait on each other:
    -- an anonymous write (login, sign-up) runs bcrypt inside its transaction, and a
    -- counter row locked until commit would serialise every login from one address.
    -- The request is counted only if it is let through (a refused one rolls back).
    select count(*), min(e.at) into v_hits, v_oldest
    from auth.rate_events as e
    where e.bucket = p_bucket and e.at > pg_catalog.now() - interval '1 minute';
    if v_hits >= p_limit then
        perform auth.too_many_requests(p_limit, greatest(1, ceil(extract(epoch from (
            v_oldest + interval '1 minute' - pg_catalog.now()
        )))::integer));
    end if;
    insert into auth.rate_events (bucket) values (p_bucket);
end
$$;


--
-- Name: FUNCTION rate_limited_address(p_bucket text, p_limit integer); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.rate_limited_address(p_bucket text, p_limit integer) IS 'Count one anonymous write in a sliding minute (lock-free rows);
refuse with 429 and Retry-After past the limit. Definer: writes auth.rate_events.';


--
-- Name: refresh(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.refresh(p_refresh_token text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_row auth.refresh_tokens;
    v_session auth.sessions;
begin
    if p_refresh_token is null or p_refresh_token = '' or pg_catalog.length(p_refresh_token) > 200 then
        perform internal.fail('invalid_input', 'refresh_token is required');
    end if;
    select * into v_row from auth.refresh_tokens as r
    where r.token_hash = auth.token_hash(p_refresh_token)
    for update;
    if not found then
        perform internal.fail('invalid_token', 'the refresh token is not valid');
    end if;
    select * into v_session from auth.sessions as s where s.id = v_row.family_id for update;
    if v_row.used_at is not null and v_session.revoked_at is null then
        -- a rotated token came back: someone holds a copy. End the whole session.
        update auth.sessions as s
        set revoked_at = pg_catalog.now(), revoked_reason = 'refresh token reuse'
        where s.id = v_row.family_id;
        perform internal.audit('revoke_session', 'auth.sessions', v_row.family_id::text, null, null,
            'refresh token reuse detected', v_row.user_id, 'system');
        -- returned, not raised, so that the revocation is kept
        perform pg_catalog.set_config('response.status', '401', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT401', 'hint', 'invalid_token', 'details', null,
            'message', 'the refresh token was already used; the session has been revoked'
        );
    end if;
    if v_row.used_at is not null or v_session.revoked_at is not null or v_row.expires_at <= pg_catalog.now() then
        perform internal.fail('invalid_token', 'the refresh token is expired or revoked');
    end if;
    update auth.refresh_tokens as r set used_at = pg_catalog.now() where r.id = v_row.id;
    return auth.issue_session(v_row.user_id, v_row.family_id);
end
$$;


--
-- Name: FUNCTION refresh(p_refresh_token text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.refresh(p_refresh_token text) IS 'Rotate a refresh token; a reused one revokes its whole session. Definer: reads auth.refresh_tokens.';


--
-- Name: request_password_reset(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.request_password_reset(p_email text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user_id uuid;
    v_token text;
    v_max integer := coalesce(internal.setting('password_reset_emails_per_hour')::integer, 3);
    v_recent integer;
begin
    perform auth.check_email(auth.normalize_email(p_email));
    -- a deleted account (api.delete_my_account) has no password to reset
    select u.id into v_user_id from app.users as u
    where u.email operator(extensions.=) auth.normalize_email(p_email)::extensions.citext
        and u.deleted_at is null;
    if v_user_id is not null then
        -- at most v_max reset emails an hour per recipient; past that the
        -- answer is the same but nothing is sent (one request at a time per
        -- account, so concurrent requests cannot slip past the count)
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('password_reset:' || v_user_id::text));
        select count(*) into v_recent from auth.one_time_tokens as t
        where t.user_id = v_user_id and t.purpose = 'reset_password'
            and t.created_at > pg_catalog.now() - interval '1 hour';
        if v_recent >= v_max then
            v_user_id := null;
        end if;
    end if;
    if v_user_id is not null then
        v_token := auth.issue_one_time_token(v_user_id, 'reset_password', interval '1 hour');
        perform internal.notify(
            'password_reset', v_user_id,
            'password_reset:' || pg_catalog.encode(auth.token_hash(v_token), 'hex'),
            pg_catalog.jsonb_build_object('token', v_token)
        );
    end if;
    -- the same answer whether or not the account exists
    return pg_catalog.jsonb_build_object('requested', true);
end
$$;


--
-- Name: FUNCTION request_password_reset(p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.request_password_reset(p_email text) IS 'Email a single-use password reset token if the account exists, at most 3 an hour per account. Definer: anon requests it.';


--
-- Name: reset_password(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.reset_password(p_token text, p_new_password text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user_id uuid := auth.consume_one_time_token(p_token, 'reset_password');
    v_email text;
begin
    select u.email into v_email from app.users as u where u.id = v_user_id;
    perform auth.check_password(p_new_password, v_email);
    update auth.credentials as c
    set password_hash = extensions.crypt(p_new_password, extensions.gen_salt('bf', 10)), updated_at = pg_catalog.now()
    where c.user_id = v_user_id;
    perform auth.revoke_sessions(v_user_id, 'password reset');
    return pg_catalog.jsonb_build_object('password_reset', true);
end
$$;


--
-- Name: FUNCTION reset_password(p_token text, p_new_password text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.reset_password(p_token text, p_new_password text) IS 'Set a new password with a reset token and sign out every session. Definer: anon completes it.';


--
-- Name: revoke_sessions(uuid, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.revoke_sessions(p_user_id uuid, p_reason text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_count integer;
begin
    update auth.sessions as s
    set revoked_at = pg_catalog.now(), revoked_reason = p_reason
    where s.user_id = p_user_id and s.revoked_at is null;
    get diagnostics v_count = row_count;
    perform internal.audit('revoke_sessions', 'auth.sessions', p_user_id::text, null,
        pg_catalog.jsonb_build_object('revoked', v_count), p_reason);
    return v_count;
end
$$;


--
-- Name: FUNCTION revoke_sessions(p_user_id uuid, p_reason text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.revoke_sessions(p_user_id uuid, p_reason text) IS 'Revoke every session of a user (ops tooling, password reset). Definer: writes auth.sessions.';


--
-- Name: role(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.role() RETURNS text
    LANGUAGE sql STABLE
    AS $$
    select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', 'anon')
$$;


--
-- Name: FUNCTION role(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.role() IS 'The caller''s role claim (anon without a token).';


--
-- Name: sign_jwt(jsonb); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.sign_jwt(p_claims jsonb) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    with parts as (
        select
            auth.base64url(pg_catalog.convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'))
            || '.'
            || auth.base64url(pg_catalog.convert_to(p_claims::text, 'utf8')) as signing_input
    )
    select
        parts.signing_input || '.' || auth.base64url(
            extensions.hmac(
                pg_catalog.convert_to(parts.signing_input, 'utf8'),
                pg_catalog.convert_to(internal.setting('jwt_secret'), 'utf8'),
                'sha256'
            )
        )
    from parts
$$;


--
-- Name: FUNCTION sign_jwt(p_claims jsonb); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.sign_jwt(p_claims jsonb) IS 'Sign claims as an HS256 JWT. Definer: reads the JWT secret, which no API role may see.';


--
-- Name: signup(text, text, text, text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.signup(p_email text, p_password text, p_full_name text, p_role text, p_locale text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_email text := auth.normalize_email(p_email);
    v_user_id uuid;
    v_token text;
    -- 409 email_taken tells whether an address has an account: at most this
    -- many a minute per client address, then every sign-up from it waits
    v_max_taken integer := coalesce(internal.setting('signup_taken_per_minute_per_address')::integer, 5);
    v_bucket text := 'signup_taken:' || auth.client_addr();
    v_retry_after integer;
begin
    perform auth.check_email(v_email);
    perform auth.check_password(p_password, v_email);
    perform auth.check_profile(p_full_name, coalesce(p_locale, 'en'), null);
    if coalesce(p_role, 'customer') not in ('customer', 'provider') then
        perform internal.fail('invalid_input', 'role must be ''customer'' or ''provider''');
    end if;
    -- before bcrypt, and for a new email too, so that the 429 itself tells nothing
    select ceil(extract(epoch from (min(e.at) + interval '1 minute' - pg_catalog.now())))::integer
    into v_retry_after
    from auth.rate_events as e
    where e.bucket = v_bucket and e.at > pg_catalog.now() - interval '1 minute'
    having count(*) >= v_max_taken;
    if v_retry_after is not null then
        perform pg_catalog.set_config('response.status', '429', true);
        perform pg_catalog.set_config(
            'response.headers',
            pg_catalog.jsonb_build_array(
                pg_catalog.jsonb_build_object('Retry-After', greatest(v_retry_after, 1)::text)
            )::text,
            true
        );
        return pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many sign-ups; retry in %s seconds', greatest(v_retry_after, 1))
        );
    end if;
    begin
        insert into app.users (email, role, full_name, locale)
        values (v_email, coalesce(p_role, 'customer'), pg_catalog.btrim(p_full_name), coalesce(p_locale, 'en'))
        returning id into v_user_id;
    exception when unique_violation then
        -- counted, so returned rather than raised (a raise would roll the count
        -- back); never echo the constraint's detail (it would repeat the address)
        insert into auth.rate_events (bucket) values (v_bucket);
        perform pg_catalog.set_config('response.status', '409', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT409', 'hint', 'email_taken', 'details', null,
            'message', 'an account with this email already exists'
        );
    end;
    insert into auth.credentials (user_id, password_hash)
    values (v_user_id, extensions.crypt(p_password, extensions.gen_salt('bf', 10)));
    v_token := auth.issue_one_time_token(v_user_id, 'confirm_email', interval '48 hours');
    -- the token's hash identifies this request (the token itself is a secret)
    perform internal.notify(
        'email_confirmation', v_user_id,
        'email_confirmation:' || pg_catalog.encode(auth.token_hash(v_token), 'hex'),
        pg_catalog.jsonb_build_object('token', v_token)
    );
    perform internal.audit('signup', 'app.users', v_user_id::text, null, auth.user_json(v_user_id),
        null, v_user_id, coalesce(p_role, 'customer'));
    return auth.issue_session(v_user_id);
end
$$;


--
-- Name: FUNCTION signup(p_email text, p_password text, p_full_name text, p_role text, p_locale text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.signup(p_email text, p_password text, p_full_name text, p_role text, p_locale text) IS 'Create a customer or provider account and its first session; at most 5 email_taken answers a minute per
client address. Definer: writes app.users and auth tables for anon.';


--
-- Name: token_hash(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.token_hash(p_token text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select extensions.digest(pg_catalog.convert_to(p_token, 'utf8'), 'sha256')
$$;


--
-- Name: FUNCTION token_hash(p_token text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.token_hash(p_token text) IS 'SHA-256 of an opaque token: only this is ever stored.';


--
-- Name: too_many_requests(integer, integer); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.too_many_requests(p_limit integer, p_retry integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    -- SQLSTATE PGRST lets the error carry its status and a Retry-After header
    raise sqlstate 'PGRST' using
        message = pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many requests: at most %s writes a minute; retry in %s seconds',
                p_limit, p_retry)
        )::text,
        detail = pg_catalog.jsonb_build_object(
            'status', 429, 'headers', pg_catalog.jsonb_build_object('Retry-After', p_retry::text)
        )::text;
end
$$;


--
-- Name: FUNCTION too_many_requests(p_limit integer, p_retry integer); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.too_many_requests(p_limit integer, p_retry integer) IS 'Raise the write limiters'' 429 (PT429 rate_limited) with its Retry-After, in seconds.';


--
-- Name: user_json(uuid); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.user_json(p_user_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'id', u.id,
        'email', u.email,
        'role', u.role,
        'full_name', u.full_name,
        'locale', u.locale,
        'phone', u.phone,
        'email_confirmed', u.email_confirmed_at is not null,
        'created_at', u.created_at
    )
    from app.users as u
    where u.id = p_user_id
$$;


--
-- Name: FUNCTION user_json(p_user_id uuid); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.user_json(p_user_id uuid) IS 'The public shape of an account, for session responses. Definer: called before the caller has a token.';


--
-- Name: verify_token(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.verify_token(p_token text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_parts text[] := pg_catalog.string_to_array(coalesce(p_token, ''), '.');
    v_header jsonb;
    v_claims jsonb;
    v_secret text;
    v_valid boolean := false;
begin
    if pg_catalog.array_length(v_parts, 1) is distinct from 3
        or pg_catalog.length(p_token) > 8192 then
        perform internal.fail('invalid_token', 'the access token is not a JWT');
    end if;
    begin
        v_header := pg_catalog.convert_from(auth.base64url_decode(v_parts[1]), 'utf8')::jsonb;
        v_claims := pg_catalog.convert_from(auth.base64url_decode(v_parts[2]), 'utf8')::jsonb;
    exception when others then
        perform internal.fail('invalid_token', 'the access token is not a JWT');
    end;
    if pg_catalog.jsonb_typeof(v_header) is distinct from 'object'
        or pg_catalog.jsonb_typeof(v_claims) is distinct from 'object'
        or v_header ->> 'alg' is distinct from 'HS256' then
        perform internal.fail('invalid_token', 'the access token is not an HS256 JWT');
    end if;
    -- the current key, then the previous one while a rotation lasts (deploy writes
    -- jwt_secret_previous from JWT_SECRET_PREVIOUS, empty otherwise): PostgREST is
    -- given both as a JWKS meanwhile (bookiji/postgrest.py)
    foreach v_secret in array array[
        internal.setting('jwt_secret'), internal.setting('jwt_secret_previous')
    ] loop
        if coalesce(v_secret, '') <> ''
            and auth.base64url(extensions.hmac(
                pg_catalog.convert_to(v_parts[1] || '.' || v_parts[2], 'utf8'),
                pg_catalog.convert_to(v_secret, 'utf8'),
                'sha256'
            )) = v_parts[3] then
            v_valid := true;
        end if;
    end loop;
    if not v_valid then
        perform internal.fail('invalid_token', 'the access token''s signature is not valid');
    end if;
    -- the very hook PostgREST runs before every request, as for a read (no write limit)
    perform pg_catalog.set_config('request.jwt.claims', v_claims::text, true);
    perform pg_catalog.set_config('request.method', 'GET', true);
    perform auth.check_request();
    return v_claims;
end
$$;


--
-- Name: FUNCTION verify_token(p_token text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.verify_token(p_token text) IS 'The claims of a valid access token, checked as PostgREST checks it: the HS256 signature with the JWT secret
(or the previous one while a rotation lasts), then auth.check_request (exp, iat, aud, role, revoked session); invalid_token otherwise.
Definer: reads the JWT secret and the sessions. For the real-time service (authenticator) only.';


--
-- Name: account_open_business(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.account_open_business(p_user_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- as a customer or as the provider's owner: bookings still to happen (confirmed,
    -- not ended), awaiting payment, and refunds Stripe has not settled
    select pg_catalog.jsonb_build_object(
        'bookings', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', b.id, 'status', b.status, 'starts_at', pg_catalog.lower(b.during)
            ) order by pg_catalog.lower(b.during), b.id)
            from app.bookings as b
            where
                (
                    b.customer_id = p_user_id
                    or b.provider_id in (select p.id from app.providers as p where p.owner_id = p_user_id)
                )
                and (
                    b.status = 'pending_payment'
                    or (b.status = 'confirmed' and pg_catalog.upper(b.during) > pg_catalog.now())
                )
        ), '[]'::jsonb),
        'refunds', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', r.id, 'booking_id', r.booking_id, 'amount_cents', r.amount_cents
            ) order by r.created_at, r.id)
            from app.refunds as r
            inner join app.bookings as b on r.booking_id = b.id
            where
                r.status = 'pending'
                and (
                    b.customer_id = p_user_id
                    or b.provider_id in (select p.id from app.providers as p where p.owner_id = p_user_id)
                )
        ), '[]'::jsonb)
    )
$$;


--
-- Name: FUNCTION account_open_business(p_user_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.account_open_business(p_user_id uuid) IS 'What keeps an account from being deleted: its upcoming confirmed bookings and its bookings awaiting
payment (as the customer or the provider), and its refunds in progress.';


--
-- Name: activate_ranking_version(integer, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.activate_ranking_version(p_version integer, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
-- Decides whether a version may rank the quotes, and makes it so. A version
-- that was active before may come back (a rollback); a trained one that never
-- was must have been evaluated against the version active now and beaten it
-- offline on both the held-out log-likelihood and NDCG@5 (its metrics).
-- Every search key is then rewritten under the new weights (the services'
-- trigger), in this transaction.
declare
    v_target app.ranking_versions;
    v_active app.ranking_versions;
begin
    perform internal.require(p_version, 'version');
    select * into v_target from app.ranking_versions as v where v.version = p_version for update;
    if not found then
        perform internal.fail('not_found', pg_catalog.format('ranking version %s does not exist', p_version));
    end if;
    select * into v_active from app.ranking_versions as v where v.is_active for update;
    if v_target.is_active then
        return internal.ranking_version_json(v_target);
    end if;
    if v_target.activated_at is null and v_target.source = 'trained' and not (
        (v_target.metrics ->> 'baseline_version')::integer is not distinct from v_active.version
        and (v_target.metrics -> 'candidate' ->> 'log_likelihood')::double precision
        > (v_target.metrics -> 'baseline' ->> 'log_likelihood')::double precision
        and (v_target.metrics -> 'candidate' ->> 'ndcg_at_5')::double precision
        > (v_target.metrics -> 'baseline' ->> 'ndcg_at_5')::double precision
    ) then
        perform internal.fail(
            'conflict',
            pg_catalog.format(
                'ranking version %s did not beat the active version %s offline (held-out log-likelihood and NDCG@5); it cannot be activated',
                p_version, v_active.version
            )
        );
    end if;
    update app.ranking_versions as v set is_active = false where v.is_active;
    update app.ranking_versions as v
    set is_active = true, activated_at = pg_catalog.now()
    where v.version = p_version
    returning * into v_target;
    update app.services as s set search_key = null where s.search_key is not null;
    perform internal.audit(
        'ranking.activated', 'app.ranking_versions', p_version::text,
        internal.ranking_version_json(v_active), internal.ranking_version_json(v_target),
        nullif(pg_catalog.btrim(p_reason), '')
    );
    return internal.ranking_version_json(v_target);
end
$$;


--
-- Name: FUNCTION activate_ranking_version(p_version integer, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.activate_ranking_version(p_version integer, p_reason text) IS 'Make a ranking version the active one: a rollback to one active before, or a trained one that beat
the active version offline (409 conflict otherwise); rewrites every search key; audited.
Definer: the keys of every provider''s services are rewritten.';


--
-- Name: add_ranking_version(jsonb, double precision[], jsonb, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.add_ranking_version(p_weights jsonb, p_position_bias double precision[], p_metrics jsonb, p_note text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
-- Records a trained version, inactive: the weights (distance, rating, price,
-- reliability scaled to sum 1; personal), the position effects fitted with
-- them and the offline metrics against the version that was active.
declare
    v_version integer;
begin
    select coalesce(pg_catalog.max(v.version), 0) + 1 into v_version from app.ranking_versions as v;
    insert into app.ranking_versions (
        version, w_distance, w_rating, w_price, w_reliability, w_personal, position_bias, source, metrics, note
    )
    values (
        v_version,
        (p_weights ->> 'distance')::double precision,
        (p_weights ->> 'rating')::double precision,
        (p_weights ->> 'price')::double precision,
        (p_weights ->> 'reliability')::double precision,
        (p_weights ->> 'personal')::double precision,
        coalesce(p_position_bias, '{}'),
        'trained',
        coalesce(p_metrics, '{}'),
        p_note
    );
    return v_version;
end
$$;


--
-- Name: FUNCTION add_ranking_version(p_weights jsonb, p_position_bias double precision[], p_metrics jsonb, p_note text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.add_ranking_version(p_weights jsonb, p_position_bias double precision[], p_metrics jsonb, p_note text) IS 'Record a trained ranking version (inactive) with its offline metrics; returns its number. Used by `bookiji rank train`.';


--
-- Name: analytics_booking_facts; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.analytics_booking_facts (
    booking_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    category_id integer NOT NULL,
    hour timestamp with time zone NOT NULL,
    status text NOT NULL,
    currency text NOT NULL,
    bookings integer NOT NULL,
    booked_cents bigint NOT NULL,
    lead_minutes bigint NOT NULL,
    cancelled_by_customer integer NOT NULL,
    cancelled_by_provider integer NOT NULL,
    cancelled_by_ops integer NOT NULL,
    cancelled_by_system integer NOT NULL,
    cancelled_late integer NOT NULL,
    captured_cents bigint NOT NULL,
    refunded_cents bigint NOT NULL,
    fees_kept_cents bigint NOT NULL,
    outstanding_cents bigint NOT NULL,
    gst_cents bigint DEFAULT 0 NOT NULL,
    qst_cents bigint DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY app.analytics_booking_facts FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE analytics_booking_facts; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.analytics_booking_facts IS 'Each booking''s current contribution to the analytics rollups (derived; rewritten by internal.analytics_rebuild).';


--
-- Name: analytics_add(app.analytics_booking_facts, app.analytics_booking_facts); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_add(p_new app.analytics_booking_facts, p_old app.analytics_booking_facts) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    insert into app.analytics_provider_hours as h (
        provider_id, hour, category_id, status, currency, bookings, booked_cents, lead_minutes,
        cancelled_by_customer, cancelled_by_provider, cancelled_by_ops, cancelled_by_system,
        cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents, gst_cents, qst_cents
    ) values (
        coalesce((p_new).provider_id, (p_old).provider_id), coalesce((p_new).hour, (p_old).hour),
        coalesce((p_new).category_id, (p_old).category_id), coalesce((p_new).status, (p_old).status),
        coalesce((p_new).currency, (p_old).currency),
        coalesce((p_new).bookings, 0) - coalesce((p_old).bookings, 0),
        coalesce((p_new).booked_cents, 0) - coalesce((p_old).booked_cents, 0),
        coalesce((p_new).lead_minutes, 0) - coalesce((p_old).lead_minutes, 0),
        coalesce((p_new).cancelled_by_customer, 0) - coalesce((p_old).cancelled_by_customer, 0),
        coalesce((p_new).cancelled_by_provider, 0) - coalesce((p_old).cancelled_by_provider, 0),
        coalesce((p_new).cancelled_by_ops, 0) - coalesce((p_old).cancelled_by_ops, 0),
        coalesce((p_new).cancelled_by_system, 0) - coalesce((p_old).cancelled_by_system, 0),
        coalesce((p_new).cancelled_late, 0) - coalesce((p_old).cancelled_late, 0),
        coalesce((p_new).captured_cents, 0) - coalesce((p_old).captured_cents, 0),
        coalesce((p_new).refunded_cents, 0) - coalesce((p_old).refunded_cents, 0),
        coalesce((p_new).fees_kept_cents, 0) - coalesce((p_old).fees_kept_cents, 0),
        coalesce((p_new).outstanding_cents, 0) - coalesce((p_old).outstanding_cents, 0),
        coalesce((p_new).gst_cents, 0) - coalesce((p_old).gst_cents, 0),
        coalesce((p_new).qst_cents, 0) - coalesce((p_old).qst_cents, 0)
    )
    on conflict (provider_id, hour, category_id, status, currency) do update set
        bookings = h.bookings + excluded.bookings,
        booked_cents = h.booked_cents + excluded.booked_cents,
        lead_minutes = h.lead_minutes + excluded.lead_minutes,
        cancelled_by_customer = h.cancelled_by_customer + excluded.cancelled_by_customer,
        cancelled_by_provider = h.cancelled_by_provider + excluded.cancelled_by_provider,
        cancelled_by_ops = h.cancelled_by_ops + excluded.cancelled_by_ops,
        cancelled_by_system = h.cancelled_by_system + excluded.cancelled_by_system,
        cancelled_late = h.cancelled_late + excluded.cancelled_late,
        captured_cents = h.captured_cents + excluded.captured_cents,
        refunded_cents = h.refunded_cents + excluded.refunded_cents,
        fees_kept_cents = h.fees_kept_cents + excluded.fees_kept_cents,
        outstanding_cents = h.outstanding_cents + excluded.outstanding_cents,
        gst_cents = h.gst_cents + excluded.gst_cents,
        qst_cents = h.qst_cents + excluded.qst_cents;
    -- the same difference, without the provider, for the rollups across providers: appended,
    -- never updated, so concurrent writers share no row (folded by internal.analytics_compact)
    insert into app.analytics_deltas (
        hour, category_id, status, currency, bookings, booked_cents, lead_minutes,
        cancelled_by_customer, cancelled_by_provider, cancelled_by_ops, cancelled_by_system,
        cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents, gst_cents, qst_cents
    ) values (
        coalesce((p_new).hour, (p_old).hour), coalesce((p_new).category_id, (p_old).category_id),
        coalesce((p_new).status, (p_old).status), coalesce((p_new).currency, (p_old).currency),
        coalesce((p_new).bookings, 0) - coalesce((p_old).bookings, 0),
        coalesce((p_new).booked_cents, 0) - coalesce((p_old).booked_cents, 0),
        coalesce((p_new).lead_minutes, 0) - coalesce((p_old).lead_minutes, 0),
        coalesce((p_new).cancelled_by_customer, 0) - coalesce((p_old).cancelled_by_customer, 0),
        coalesce((p_new).cancelled_by_provider, 0) - coalesce((p_old).cancelled_by_provider, 0),
        coalesce((p_new).cancelled_by_ops, 0) - coalesce((p_old).cancelled_by_ops, 0),
        coalesce((p_new).cancelled_by_system, 0) - coalesce((p_old).cancelled_by_system, 0),
        coalesce((p_new).cancelled_late, 0) - coalesce((p_old).cancelled_late, 0),
        coalesce((p_new).captured_cents, 0) - coalesce((p_old).captured_cents, 0),
        coalesce((p_new).refunded_cents, 0) - coalesce((p_old).refunded_cents, 0),
        coalesce((p_new).fees_kept_cents, 0) - coalesce((p_old).fees_kept_cents, 0),
        coalesce((p_new).outstanding_cents, 0) - coalesce((p_old).outstanding_cents, 0),
        coalesce((p_new).gst_cents, 0) - coalesce((p_old).gst_cents, 0),
        coalesce((p_new).qst_cents, 0) - coalesce((p_old).qst_cents, 0)
    );
end
$$;


--
-- Name: FUNCTION analytics_add(p_new app.analytics_booking_facts, p_old app.analytics_booking_facts); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_add(p_new app.analytics_booking_facts, p_old app.analytics_booking_facts) IS 'Add the difference of two analytics vectors of one key (either may be null) to its provider rollup row, and append it to the deltas of the rollups across providers.';


--
-- Name: analytics_apply(app.analytics_booking_facts, app.analytics_booking_facts); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_apply(p_old app.analytics_booking_facts, p_new app.analytics_booking_facts) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    if (p_old).booking_id is null or (p_new).booking_id is null or (
        (p_new).provider_id, (p_new).hour, (p_new).category_id, (p_new).status, (p_new).currency
    ) = (
        (p_old).provider_id, (p_old).hour, (p_old).category_id, (p_old).status, (p_old).currency
    ) then
        perform internal.analytics_add(p_new, p_old);
    elsif (
        (p_new).provider_id, (p_new).hour, (p_new).category_id, (p_new).status, (p_new).currency
    ) < (
        (p_old).provider_id, (p_old).hour, (p_old).category_id, (p_old).status, (p_old).currency
    ) then
        perform internal.analytics_add(p_new, null);
        perform internal.analytics_add(null, p_old);
    else
        perform internal.analytics_add(null, p_old);
        perform internal.analytics_add(p_new, null);
    end if;
end
$$;


--
-- Name: FUNCTION analytics_apply(p_old app.analytics_booking_facts, p_new app.analytics_booking_facts); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_apply(p_old app.analytics_booking_facts, p_new app.analytics_booking_facts) IS 'Move one booking''s contribution in the provider rollup: add the new vector, subtract the old (rows in key order).';


--
-- Name: analytics_area(double precision, double precision, numeric); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_area(p_lat double precision, p_lng double precision, p_cell numeric) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.format(
        '%s,%s',
        pg_catalog.floor(p_lat::numeric / p_cell) * p_cell,
        pg_catalog.floor(p_lng::numeric / p_cell) * p_cell
    )
$$;


--
-- Name: FUNCTION analytics_area(p_lat double precision, p_lng double precision, p_cell numeric); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_area(p_lat double precision, p_lng double precision, p_cell numeric) IS 'The grid cell holding a point, named by its south-west corner ("lat,lng"), for cells of p_cell degrees.';


--
-- Name: analytics_booking_changed(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_booking_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_new app.analytics_booking_facts;
begin
    if tg_op <> 'INSERT' then
        perform internal.analytics_refresh_booking(case when tg_op = 'DELETE' then old.id else new.id end);
        return null;
    end if;
    -- a booking being inserted: no payment, refund or fee can name it yet and no other
    -- transaction can see it, so its vector is its own row's (analytics_live_facts' formulas
    -- with zero money), without the lock, the old vector or the recount (a confirm's cost)
    select
        new.id, new.provider_id, s.category_id, pg_catalog.date_trunc('hour', pg_catalog.lower(new.during), 'UTC'),
        new.status, new.currency, 1, new.price_cents::bigint,
        pg_catalog.floor(extract(epoch from pg_catalog.lower(new.during) - new.created_at) / 60)::bigint,
        coalesce(new.status = 'cancelled' and new.cancelled_by_role = 'customer', false)::integer,
        coalesce(new.status = 'cancelled' and new.cancelled_by_role = 'provider', false)::integer,
        coalesce(new.status = 'cancelled' and new.cancelled_by_role = 'ops', false)::integer,
        coalesce(new.status = 'cancelled' and new.cancelled_by_role = 'system', false)::integer,
        coalesce(
            new.status = 'cancelled'
            and new.cancelled_at >= pg_catalog.lower(new.during) - pg_catalog.make_interval(hours => new.cancel_notice_hours),
            false
        )::integer,
        0, 0, 0, 0, 0, 0
    into v_new
    from app.services as s
    where s.id = new.service_id;
    perform internal.analytics_apply(null, v_new);
    insert into app.analytics_booking_facts values (v_new.*);
    return null;
end
$$;


--
-- Name: FUNCTION analytics_booking_changed(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_booking_changed() IS 'Trigger: a booking changed what it contributes to the analytics rollups. Definer: as internal.analytics_refresh_booking.';


--
-- Name: analytics_booking_row_changed(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_booking_row_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_succeeded integer := 0;
    v_gst bigint := 0;
    v_qst bigint := 0;
begin
    if tg_table_name = 'payments' and tg_op in ('INSERT', 'UPDATE')
        and (tg_op = 'INSERT' or old.booking_id = new.booking_id) then
        -- a charge that succeeds (or stops being succeeded) adds (or takes back) its taxes
        v_succeeded := (new.status = 'succeeded')::integer
            - (tg_op = 'UPDATE' and old.status = 'succeeded')::integer;
        if v_succeeded <> 0 then
            select v_succeeded * fc.gst_cents, v_succeeded * fc.qst_cents into v_gst, v_qst
            from app.bookings as b
            cross join lateral internal.booking_first_charge(b) as fc
            where b.id = new.booking_id;
        end if;
        if tg_op = 'INSERT' then
            if internal.analytics_payment_delta(
                new.booking_id, new.captured_cents::bigint,
                case when new.status in ('pending', 'requires_payment') then new.amount_cents else 0 end::bigint,
                v_gst, v_qst
            ) then
                return null;
            end if;
        elsif internal.analytics_payment_delta(
            new.booking_id, new.captured_cents::bigint - old.captured_cents,
            case when new.status in ('pending', 'requires_payment') then new.amount_cents else 0 end::bigint
            - case when old.status in ('pending', 'requires_payment') then old.amount_cents else 0 end,
            v_gst, v_qst
        ) then
            return null;
        end if;
    end if;
    if tg_op = 'DELETE' then
        perform internal.analytics_refresh_booking(old.booking_id);
        return null;
    end if;
    perform internal.analytics_refresh_booking(new.booking_id);
    if tg_op = 'UPDATE' and old.booking_id is distinct from new.booking_id then
        perform internal.analytics_refresh_booking(old.booking_id);
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION analytics_booking_row_changed(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_booking_row_changed() IS 'Trigger: a payment, refund or fee changed what its booking contributes to the analytics rollups. Definer: as internal.analytics_refresh_booking.';


--
-- Name: analytics_bucket_rows(uuid, timestamp with time zone, timestamp with time zone, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_bucket_rows(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text) RETURNS TABLE(h timestamp with time zone, lb timestamp without time zone, category_id integer, status text, currency text, bookings bigint, booked_cents bigint, lead_minutes bigint, cancelled_by_customer bigint, cancelled_by_provider bigint, cancelled_by_ops bigint, cancelled_by_system bigint, cancelled_late bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, outstanding_cents bigint, gst_cents bigint, qst_cents bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    if p_provider_id is null then
        return query
        select o.* from internal.analytics_ops_rows(p_from_ts, p_to_ts, p_tz, p_grain) as o;
    else
        return query
        select
            case when p_grain = 'hour' then r.hour end,
            case when p_grain <> 'hour' then pg_catalog.date_trunc(p_grain, r.hour at time zone p_tz) end,
            r.category_id, r.status, r.currency, r.bookings, r.booked_cents, r.lead_minutes, r.cancelled_by_customer, r.cancelled_by_provider, r.cancelled_by_ops, r.cancelled_by_system, r.cancelled_late, r.captured_cents, r.refunded_cents, r.fees_kept_cents, r.outstanding_cents, r.gst_cents, r.qst_cents
        from internal.analytics_rows(p_provider_id, p_from_ts, p_to_ts) as r;
    end if;
end
$$;


--
-- Name: FUNCTION analytics_bucket_rows(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_bucket_rows(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text) IS 'The rows of an analytics series placed in their buckets: one provider''s hourly rollup rows, or across providers internal.analytics_ops_rows.';


--
-- Name: analytics_cell(numeric); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_cell(p_cell numeric) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
    if p_cell is null or p_cell < 0.005 or p_cell > 1 then
        perform internal.fail('invalid_input', 'cell_deg must be a number of degrees from 0.005 to 1');
    end if;
    return p_cell;
end
$$;


--
-- Name: FUNCTION analytics_cell(p_cell numeric); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_cell(p_cell numeric) IS 'Check a grid cell size (degrees, 0.005 to 1) for the area figures.';


--
-- Name: analytics_compact(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_compact() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_rows bigint;
begin
    if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.analytics:compact', 0)) then
        return 0;
    end if;
    with moved as (
        delete from app.analytics_deltas as d returning d.*
    ),
    hourly as (
        select
            m.hour, m.category_id, m.status, m.currency,
            pg_catalog.sum(m.bookings) as bookings,
            pg_catalog.sum(m.booked_cents) as booked_cents,
            pg_catalog.sum(m.lead_minutes) as lead_minutes,
            pg_catalog.sum(m.cancelled_by_customer) as cancelled_by_customer,
            pg_catalog.sum(m.cancelled_by_provider) as cancelled_by_provider,
            pg_catalog.sum(m.cancelled_by_ops) as cancelled_by_ops,
            pg_catalog.sum(m.cancelled_by_system) as cancelled_by_system,
            pg_catalog.sum(m.cancelled_late) as cancelled_late,
            pg_catalog.sum(m.captured_cents) as captured_cents,
            pg_catalog.sum(m.refunded_cents) as refunded_cents,
            pg_catalog.sum(m.fees_kept_cents) as fees_kept_cents,
            pg_catalog.sum(m.outstanding_cents) as outstanding_cents,
            pg_catalog.sum(m.gst_cents) as gst_cents,
            pg_catalog.sum(m.qst_cents) as qst_cents,
            pg_catalog.count(*) as n
        from moved as m
        group by m.hour, m.category_id, m.status, m.currency
    ),
    into_hours as (
        insert into app.analytics_hours as h (
            hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
        )
        select
            x.hour, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes,
            x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system,
            x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents,
            x.gst_cents, x.qst_cents
        from hourly as x
        order by x.hour, x.category_id, x.status, x.currency
        on conflict (hour, category_id, status, currency) do update set
            bookings = h.bookings + excluded.bookings,
            booked_cents = h.booked_cents + excluded.booked_cents,
            lead_minutes = h.lead_minutes + excluded.lead_minutes,
            cancelled_by_customer = h.cancelled_by_customer + excluded.cancelled_by_customer,
            cancelled_by_provider = h.cancelled_by_provider + excluded.cancelled_by_provider,
            cancelled_by_ops = h.cancelled_by_ops + excluded.cancelled_by_ops,
            cancelled_by_system = h.cancelled_by_system + excluded.cancelled_by_system,
            cancelled_late = h.cancelled_late + excluded.cancelled_late,
            captured_cents = h.captured_cents + excluded.captured_cents,
            refunded_cents = h.refunded_cents + excluded.refunded_cents,
            fees_kept_cents = h.fees_kept_cents + excluded.fees_kept_cents,
            outstanding_cents = h.outstanding_cents + excluded.outstanding_cents,
            gst_cents = h.gst_cents + excluded.gst_cents,
            qst_cents = h.qst_cents + excluded.qst_cents
    ),
    into_days as (
        insert into app.analytics_days as h (
            day, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
        )
        select
            (x.hour at time zone 'UTC')::date, x.category_id, x.status, x.currency,
            pg_catalog.sum(x.bookings),
            pg_catalog.sum(x.booked_cents),
            pg_catalog.sum(x.lead_minutes),
            pg_catalog.sum(x.cancelled_by_customer),
            pg_catalog.sum(x.cancelled_by_provider),
            pg_catalog.sum(x.cancelled_by_ops),
            pg_catalog.sum(x.cancelled_by_system),
            pg_catalog.sum(x.cancelled_late),
            pg_catalog.sum(x.captured_cents),
            pg_catalog.sum(x.refunded_cents),
            pg_catalog.sum(x.fees_kept_cents),
            pg_catalog.sum(x.outstanding_cents),
            pg_catalog.sum(x.gst_cents),
            pg_catalog.sum(x.qst_cents)
        from hourly as x
        group by (x.hour at time zone 'UTC')::date, x.category_id, x.status, x.currency
        order by 1, 2, 3, 4
        on conflict (day, category_id, status, currency) do update set
            bookings = h.bookings + excluded.bookings,
            booked_cents = h.booked_cents + excluded.booked_cents,
            lead_minutes = h.lead_minutes + excluded.lead_minutes,
            cancelled_by_customer = h.cancelled_by_customer + excluded.cancelled_by_customer,
            cancelled_by_provider = h.cancelled_by_provider + excluded.cancelled_by_provider,
            cancelled_by_ops = h.cancelled_by_ops + excluded.cancelled_by_ops,
            cancelled_by_system = h.cancelled_by_system + excluded.cancelled_by_system,
            cancelled_late = h.cancelled_late + excluded.cancelled_late,
            captured_cents = h.captured_cents + excluded.captured_cents,
            refunded_cents = h.refunded_cents + excluded.refunded_cents,
            fees_kept_cents = h.fees_kept_cents + excluded.fees_kept_cents,
            outstanding_cents = h.outstanding_cents + excluded.outstanding_cents,
            gst_cents = h.gst_cents + excluded.gst_cents,
            qst_cents = h.qst_cents + excluded.qst_cents
    )
    -- (data-modifying CTEs run to completion whether or not the query reads them)
    select coalesce(pg_catalog.sum(x.n), 0)::bigint into v_rows from hourly as x;
    return v_rows;
end
$$;


--
-- Name: FUNCTION analytics_compact(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_compact() IS 'Fold the committed analytics deltas into the rollups across providers (hourly and daily); returns how many it folded. Definer: the worker calls it after each sweep; nobody writes those rollups otherwise.';


--
-- Name: analytics_drift(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_drift() RETURNS TABLE(rollup text, key text, stored bigint[], live bigint[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    with live as (
        select
            l.provider_id, l.hour, l.category_id, l.status, l.currency,
            array[
                pg_catalog.sum(l.bookings),
                pg_catalog.sum(l.booked_cents),
                pg_catalog.sum(l.lead_minutes),
                pg_catalog.sum(l.cancelled_by_customer),
                pg_catalog.sum(l.cancelled_by_provider),
                pg_catalog.sum(l.cancelled_by_ops),
                pg_catalog.sum(l.cancelled_by_system),
                pg_catalog.sum(l.cancelled_late),
                pg_catalog.sum(l.captured_cents),
                pg_catalog.sum(l.refunded_cents),
                pg_catalog.sum(l.fees_kept_cents),
                pg_catalog.sum(l.outstanding_cents),
                pg_catalog.sum(l.gst_cents),
                pg_catalog.sum(l.qst_cents)
            ]::bigint[] as v
        from internal.analytics_live_facts as l
        group by l.provider_id, l.hour, l.category_id, l.status, l.currency
    ),
    stored as (
        select
            h.provider_id, h.hour, h.category_id, h.status, h.currency,
            array[
                h.bookings,
                h.booked_cents,
                h.lead_minutes,
                h.cancelled_by_customer,
                h.cancelled_by_provider,
                h.cancelled_by_ops,
                h.cancelled_by_system,
                h.cancelled_late,
                h.captured_cents,
                h.refunded_cents,
                h.fees_kept_cents,
                h.outstanding_cents,
                h.gst_cents,
                h.qst_cents
            ] as v
        from app.analytics_provider_hours as h
        where h.bookings <> 0 or h.captured_cents <> 0 or h.refunded_cents <> 0
            or h.fees_kept_cents <> 0 or h.outstanding_cents <> 0 or h.booked_cents <> 0
    ),
    live_hours as (
        select
            l.hour, l.category_id, l.status, l.currency,
            array[
                pg_catalog.sum(l.bookings),
                pg_catalog.sum(l.booked_cents),
                pg_catalog.sum(l.lead_minutes),
                pg_catalog.sum(l.cancelled_by_customer),
                pg_catalog.sum(l.cancelled_by_provider),
                pg_catalog.sum(l.cancelled_by_ops),
                pg_catalog.sum(l.cancelled_by_system),
                pg_catalog.sum(l.cancelled_late),
                pg_catalog.sum(l.captured_cents),
                pg_catalog.sum(l.refunded_cents),
                pg_catalog.sum(l.fees_kept_cents),
                pg_catalog.sum(l.outstanding_cents),
                pg_catalog.sum(l.gst_cents),
                pg_catalog.sum(l.qst_cents)
            ]::bigint[] as v
        from internal.analytics_live_facts as l
        group by l.hour, l.category_id, l.status, l.currency
    ),
    stored_hours as (
        select
            h.hour, h.category_id, h.status, h.currency,
            array[
                pg_catalog.sum(h.bookings),
                pg_catalog.sum(h.booked_cents),
                pg_catalog.sum(h.lead_minutes),
                pg_catalog.sum(h.cancelled_by_customer),
                pg_catalog.sum(h.cancelled_by_provider),
                pg_catalog.sum(h.cancelled_by_ops),
                pg_catalog.sum(h.cancelled_by_system),
                pg_catalog.sum(h.cancelled_late),
                pg_catalog.sum(h.captured_cents),
                pg_catalog.sum(h.refunded_cents),
                pg_catalog.sum(h.fees_kept_cents),
                pg_catalog.sum(h.outstanding_cents),
                pg_catalog.sum(h.gst_cents),
                pg_catalog.sum(h.qst_cents)
            ]::bigint[] as v
        from (
            select
                x.hour, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
            from app.analytics_hours as x
            union all
            select
                x.hour, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
            from app.analytics_deltas as x
        ) as h
        group by h.hour, h.category_id, h.status, h.currency
        having pg_catalog.sum(h.bookings) <> 0 or pg_catalog.sum(h.captured_cents) <> 0
            or pg_catalog.sum(h.refunded_cents) <> 0 or pg_catalog.sum(h.fees_kept_cents) <> 0
            or pg_catalog.sum(h.outstanding_cents) <> 0 or pg_catalog.sum(h.booked_cents) <> 0
    ),
    live_days as (
        select
            (l.hour at time zone 'UTC')::date as day, l.category_id, l.status, l.currency,
            array[
                pg_catalog.sum(l.bookings),
                pg_catalog.sum(l.booked_cents),
                pg_catalog.sum(l.lead_minutes),
                pg_catalog.sum(l.cancelled_by_customer),
                pg_catalog.sum(l.cancelled_by_provider),
                pg_catalog.sum(l.cancelled_by_ops),
                pg_catalog.sum(l.cancelled_by_system),
                pg_catalog.sum(l.cancelled_late),
                pg_catalog.sum(l.captured_cents),
                pg_catalog.sum(l.refunded_cents),
                pg_catalog.sum(l.fees_kept_cents),
                pg_catalog.sum(l.outstanding_cents),
                pg_catalog.sum(l.gst_cents),
                pg_catalog.sum(l.qst_cents)
            ]::bigint[] as v
        from internal.analytics_live_facts as l
        group by (l.hour at time zone 'UTC')::date, l.category_id, l.status, l.currency
    ),
    stored_days as (
        select
            h.day, h.category_id, h.status, h.currency,
            array[
                pg_catalog.sum(h.bookings),
                pg_catalog.sum(h.booked_cents),
                pg_catalog.sum(h.lead_minutes),
                pg_catalog.sum(h.cancelled_by_customer),
                pg_catalog.sum(h.cancelled_by_provider),
                pg_catalog.sum(h.cancelled_by_ops),
                pg_catalog.sum(h.cancelled_by_system),
                pg_catalog.sum(h.cancelled_late),
                pg_catalog.sum(h.captured_cents),
                pg_catalog.sum(h.refunded_cents),
                pg_catalog.sum(h.fees_kept_cents),
                pg_catalog.sum(h.outstanding_cents),
                pg_catalog.sum(h.gst_cents),
                pg_catalog.sum(h.qst_cents)
            ]::bigint[] as v
        from (
            select
                x.day, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
            from app.analytics_days as x
            union all
            select
                (x.hour at time zone 'UTC')::date, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
            from app.analytics_deltas as x
        ) as h
        group by h.day, h.category_id, h.status, h.currency
        having pg_catalog.sum(h.bookings) <> 0 or pg_catalog.sum(h.captured_cents) <> 0
            or pg_catalog.sum(h.refunded_cents) <> 0 or pg_catalog.sum(h.fees_kept_cents) <> 0
            or pg_catalog.sum(h.outstanding_cents) <> 0 or pg_catalog.sum(h.booked_cents) <> 0
    )
    select
        'provider_hours', pg_catalog.concat_ws(' ', coalesce(s.provider_id, l.provider_id),
            coalesce(s.hour, l.hour), coalesce(s.category_id, l.category_id),
            coalesce(s.status, l.status), coalesce(s.currency, l.currency)),
        s.v, l.v
    from stored as s
    full join live as l
        on
            s.provider_id = l.provider_id and s.hour = l.hour and s.category_id = l.category_id
            and s.status = l.status and s.currency = l.currency
    where s.v is distinct from l.v
    union all
    select
        'hours', pg_catalog.concat_ws(' ', coalesce(s.hour, l.hour), coalesce(s.category_id, l.category_id),
            coalesce(s.status, l.status), coalesce(s.currency, l.currency)),
        s.v, l.v
    from stored_hours as s
    full join live_hours as l
        on s.hour = l.hour and s.category_id = l.category_id and s.status = l.status and s.currency = l.currency
    where s.v is distinct from l.v
    union all
    select
        'days', pg_catalog.concat_ws(' ', coalesce(s.day, l.day), coalesce(s.category_id, l.category_id),
            coalesce(s.status, l.status), coalesce(s.currency, l.currency)),
        s.v, l.v
    from stored_days as s
    full join live_days as l
        on s.day = l.day and s.category_id = l.category_id and s.status = l.status and s.currency = l.currency
    where s.v is distinct from l.v
$$;


--
-- Name: FUNCTION analytics_drift(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_drift() IS 'Where the analytics rollups (per provider; across providers, hourly and daily, with their unfolded deltas) differ from a live recount of the base tables (no rows: they agree). Definer: it reads every provider''s rows; granted to nobody (the owner and tests call it).';


--
-- Name: analytics_minutes(tstzmultirange); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_minutes(p_ranges tstzmultirange) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    select coalesce(
        pg_catalog.floor(pg_catalog.sum(extract(epoch from pg_catalog.upper(r) - pg_catalog.lower(r))) / 60),
        0
    )::bigint
    from pg_catalog.unnest(p_ranges) as r
$$;


--
-- Name: FUNCTION analytics_minutes(p_ranges tstzmultirange); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_minutes(p_ranges tstzmultirange) IS 'The whole minutes a multirange covers (its ranges never overlap).';


--
-- Name: analytics_ops_rows(timestamp with time zone, timestamp with time zone, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_ops_rows(p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text) RETURNS TABLE(h timestamp with time zone, lb timestamp without time zone, category_id integer, status text, currency text, bookings bigint, booked_cents bigint, lead_minutes bigint, cancelled_by_customer bigint, cancelled_by_provider bigint, cancelled_by_ops bigint, cancelled_by_system bigint, cancelled_late bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, outstanding_cents bigint, gst_cents bigint, qst_cents bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
-- PL/pgSQL: its statement's plan is kept for the session (an SQL function with SET is
-- planned again on every call: ~10 ms here)
#variable_conflict use_column
begin
    return query
    with buckets as (
        select
            g.lb,
            greatest(g.lb at time zone p_tz, p_from_ts) as bs,
            least((g.lb + ('1 ' || p_grain)::interval) at time zone p_tz, p_to_ts) as be
        from pg_catalog.generate_series(
            pg_catalog.date_trunc(p_grain, p_from_ts at time zone p_tz),
            (p_to_ts at time zone p_tz) - interval '1 microsecond',
            ('1 ' || p_grain)::interval
        ) as g (lb)
        where p_grain <> 'hour'
    ),
    spans as (
        select
            b.lb, b.bs, b.be, d.ds, d.de, d.ds < d.de as has_days,
            -- as dates once here, not in the join's filter for every day row
            (d.ds at time zone 'UTC')::date as dlo,
            (d.de at time zone 'UTC')::date as dhi
        from buckets as b
        cross join lateral (
            select
                pg_catalog.date_trunc('day', b.bs + interval '12 hours', 'UTC') as ds,
                pg_catalog.date_trunc('day', b.be + interval '12 hours', 'UTC') as de
        ) as d
    ),
    hour_pieces as (
        select s.lb, x.lo, x.hi, x.sign
        from spans as s
        cross join lateral (
            values (s.bs, s.ds, 1), (s.ds, s.bs, -1), (s.de, s.be, 1), (s.be, s.de, -1)
        ) as x (lo, hi, sign)
        where s.has_days and x.lo < x.hi
        union all
        select s.lb, s.bs, s.be, 1 from spans as s where not s.has_days
        union all
        select null::timestamp, p_from_ts, p_to_ts, 1 where p_grain = 'hour'
    ),
    day_pieces as (
        select s.lb, s.dlo as lo, s.dhi as hi
        from spans as s
        where s.has_days
    )
    select
        case when p_grain = 'hour' then r.hour end, p.lb, r.category_id, r.status, r.currency,
        p.sign * r.bookings,
        p.sign * r.booked_cents,
        p.sign * r.lead_minutes,
        p.sign * r.cancelled_by_customer,
        p.sign * r.cancelled_by_provider,
        p.sign * r.cancelled_by_ops,
        p.sign * r.cancelled_by_system,
        p.sign * r.cancelled_late,
        p.sign * r.captured_cents,
        p.sign * r.refunded_cents,
        p.sign * r.fees_kept_cents,
        p.sign * r.outstanding_cents,
        p.sign * r.gst_cents,
        p.sign * r.qst_cents
    from hour_pieces as p
    inner join (
        select x.hour, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_hours as x
        union all
        select x.hour, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_deltas as x
    ) as r on r.hour >= p.lo and r.hour < p.hi
    union all
    select
        null::timestamptz, p.lb, r.category_id, r.status, r.currency,
        r.bookings,
        r.booked_cents,
        r.lead_minutes,
        r.cancelled_by_customer,
        r.cancelled_by_provider,
        r.cancelled_by_ops,
        r.cancelled_by_system,
        r.cancelled_late,
        r.captured_cents,
        r.refunded_cents,
        r.fees_kept_cents,
        r.outstanding_cents,
        r.gst_cents,
        r.qst_cents
    from day_pieces as p
    inner join (
        select x.day, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_days as x
        union all
        select (x.hour at time zone 'UTC')::date, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_deltas as x
    ) as r on r.day >= p.lo and r.day < p.hi;
end
$$;


--
-- Name: FUNCTION analytics_ops_rows(p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_ops_rows(p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text) IS 'Across providers: the rows making up each bucket of [from_ts, to_ts) in tz (whole UTC days and edge hours of the rollups across providers, with their unfolded deltas), each signed; summed per bucket they are its figures.';


--
-- Name: analytics_payment_delta(uuid, bigint, bigint, bigint, bigint); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_payment_delta(p_booking_id uuid, p_captured bigint, p_outstanding bigint, p_gst bigint, p_qst bigint) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_old app.analytics_booking_facts;
    v_new app.analytics_booking_facts;
begin
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('bookiji.analytics:' || p_booking_id::text, 0)
    );
    update app.analytics_booking_facts as f set
        captured_cents = f.captured_cents + p_captured,
        outstanding_cents = f.outstanding_cents + p_outstanding,
        gst_cents = f.gst_cents + p_gst,
        qst_cents = f.qst_cents + p_qst
    where f.booking_id = p_booking_id
    returning f.* into v_new;
    if v_new.booking_id is null then
        return false;
    end if;
    v_old := v_new;
    v_old.captured_cents := v_new.captured_cents - p_captured;
    v_old.outstanding_cents := v_new.outstanding_cents - p_outstanding;
    v_old.gst_cents := v_new.gst_cents - p_gst;
    v_old.qst_cents := v_new.qst_cents - p_qst;
    perform internal.analytics_apply(v_old, v_new);
    return true;
end
$$;


--
-- Name: FUNCTION analytics_payment_delta(p_booking_id uuid, p_captured bigint, p_outstanding bigint, p_gst bigint, p_qst bigint); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_payment_delta(p_booking_id uuid, p_captured bigint, p_outstanding bigint, p_gst bigint, p_qst bigint) IS 'Move a payment''s own change (captured and outstanding cents, the taxes of a charge that succeeded) into its booking''s analytics vector and rollup row; false when the booking has no vector yet.';


--
-- Name: analytics_peer_ranks(uuid, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_peer_ranks(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone) RETURNS TABLE(peer_category text, peer_area text, peer_providers integer, bookings_percentile numeric, net_percentile numeric, completion_rate_percentile numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_category integer;
    v_lat double precision;
    v_lng double precision;
begin
    -- only the provider's owner and ops: this function reads every peer's rows
    if not (
        auth.role() = 'ops'
        or (auth.role() = 'provider' and exists (
            select from app.providers as p where p.id = p_provider_id and p.owner_id = auth.uid()
        ))
    ) then
        perform internal.fail('forbidden', 'only the provider itself and ops staff may read its ranks');
    end if;
    select p.lat, p.lng into v_lat, v_lng from app.providers as p where p.id = p_provider_id;
    -- its category: where most of its bookings of the range are, else its first service's
    select h.category_id into v_category
    from app.analytics_provider_hours as h
    where h.provider_id = p_provider_id and h.hour >= p_from_ts and h.hour < p_to_ts
    group by h.category_id
    order by pg_catalog.sum(h.bookings) desc, h.category_id
    limit 1;
    if v_category is null then
        select s.category_id into v_category from app.services as s
        where s.provider_id = p_provider_id order by s.created_at, s.id limit 1;
    end if;
    peer_category := (select k.slug from app.service_categories as k where k.id = v_category);
    peer_area := pg_catalog.format('%s,%s', pg_catalog.floor(v_lat * 10) / 10, pg_catalog.floor(v_lng * 10) / 10);
    return query
    with peers as (
        select p.id
        from app.providers as p
        where
            pg_catalog.floor(p.lat * 10) = pg_catalog.floor(v_lat * 10)
            and pg_catalog.floor(p.lng * 10) = pg_catalog.floor(v_lng * 10)
            and exists (select from app.services as s where s.provider_id = p.id and s.category_id = v_category)
    ),
    figures as (
        select
            peers.id,
            coalesce(pg_catalog.sum(h.bookings), 0) as bookings,
            coalesce(pg_catalog.sum(h.captured_cents - h.refunded_cents), 0) as net,
            coalesce(
                (pg_catalog.sum(h.bookings) filter (where h.status = 'completed'))::numeric
                / nullif(pg_catalog.sum(h.bookings) filter (where h.status in ('completed', 'no_show', 'cancelled')), 0),
                0
            ) as completion
        from peers
        left join app.analytics_provider_hours as h
            on
                h.provider_id = peers.id and h.category_id = v_category
                and h.hour >= p_from_ts and h.hour < p_to_ts
        group by peers.id
    ),
    ranked as (
        select
            f.id,
            pg_catalog.count(*) over () as n,
            pg_catalog.percent_rank() over (order by f.bookings) as rb,
            pg_catalog.percent_rank() over (order by f.net) as rn,
            pg_catalog.percent_rank() over (order by f.completion) as rc
        from figures as f
    )
    select
        peer_category, peer_area, coalesce(max(r.n), 0)::integer,
        -- fewer than 3 peers would give a rank that names the other one
        case when max(r.n) >= 3 then pg_catalog.round(max(r.rb)::numeric * 100, 1) end,
        case when max(r.n) >= 3 then pg_catalog.round(max(r.rn)::numeric * 100, 1) end,
        case when max(r.n) >= 3 then pg_catalog.round(max(r.rc)::numeric * 100, 1) end
    from ranked as r
    where r.id = p_provider_id;
end
$$;


--
-- Name: FUNCTION analytics_peer_ranks(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_peer_ranks(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone) IS 'A provider''s percentiles (bookings, net revenue, completion rate) among the providers of its category in its 0.1-degree area over [from_ts, to_ts): ranks and a count only, never a peer''s figures or name (none with fewer than 3 peers). Definer: it reads the peers'' rollup rows, which the provider itself may not.';


--
-- Name: analytics_performance(uuid, date, date, numeric); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_performance(p_provider_id uuid, p_from date, p_to date, p_cell numeric) RETURNS TABLE(provider_id uuid, business_name text, time_zone text, area text, offered_minutes bigint, booked_minutes bigint, utilisation numeric, bookings bigint, completed bigint, no_show bigint, cancelled bigint, cancellation_rate numeric, no_show_rate numeric, customers bigint, repeat_customers bigint, repeat_customer_share numeric, reviews bigint, rating_avg numeric, previous_reviews bigint, previous_rating_avg numeric, rating_change numeric, captured_cents bigint, refunded_cents bigint, net_cents bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    with p as (
        select
            p.id, p.business_name, p.time_zone, p.lat, p.lng,
            p_from::timestamp at time zone p.time_zone as from_ts,
            (p_to + 1)::timestamp at time zone p.time_zone as to_ts,
            (p_from - (p_to - p_from + 1))::timestamp at time zone p.time_zone as previous_ts
        from app.providers as p
        where p_provider_id is null or p.id = p_provider_id
    ),
    -- weekly hours on each local day of the range, as instants in the provider's zone
    hours as (
        select
            p.id,
            pg_catalog.range_agg(pg_catalog.tstzrange(
                (d.day + h.start_time) at time zone p.time_zone,
                (d.day + h.end_time) at time zone p.time_zone
            )) as ranges
        from p
        cross join pg_catalog.generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d (day)
        inner join app.weekly_hours as h
            on h.provider_id = p.id and h.day_of_week = extract(dow from d.day)
        group by p.id
    ),
    off as (
        select p.id, pg_catalog.range_agg(t.during) as ranges
        from p
        inner join app.time_off as t
            on t.provider_id = p.id and t.during && pg_catalog.tstzrange(p.from_ts, p.to_ts)
        group by p.id
    ),
    b as (
        select p.id as pid, p.from_ts, b.id, b.customer_id, b.status, b.during
        from p
        inner join app.bookings as b
            on b.provider_id = p.id and pg_catalog.lower(b.during) >= p.from_ts
            and pg_catalog.lower(b.during) < p.to_ts
    ),
    counts as (
        select
            b.pid as id,
            pg_catalog.count(*) as bookings,
            pg_catalog.count(*) filter (where b.status = 'completed') as completed,
            pg_catalog.count(*) filter (where b.status = 'no_show') as no_show,
            pg_catalog.count(*) filter (where b.status = 'cancelled') as cancelled,
            pg_catalog.count(*) filter (where b.status not in ('pending_payment', 'expired')) as kept_or_cancelled,
            pg_catalog.range_agg(b.during) filter (where b.status in ('confirmed', 'completed', 'no_show'))
                as booked,
            coalesce(pg_catalog.sum(y.captured_cents), 0)::bigint as captured_cents,
            coalesce(pg_catalog.sum(f.refunded_cents), 0)::bigint as refunded_cents
        from b
        -- joined, not a sub-select per booking: a month of every provider is ten thousand bookings
        left join (
            select y.booking_id, pg_catalog.sum(y.captured_cents) as captured_cents
            from app.payments as y where y.booking_id in (select b.id from b) group by y.booking_id
        ) as y on b.id = y.booking_id
        left join (
            select r.booking_id, pg_catalog.sum(r.amount_cents) as refunded_cents
            from app.refunds as r
            where r.status = 'succeeded' and r.booking_id in (select b.id from b)
            group by r.booking_id
        ) as f on b.id = f.booking_id
        group by b.pid
    ),
    -- a customer of the range is a repeat customer once it has booked this provider at
    -- least twice up to the end of the range (the earlier booking may be before it)
    customers as (
        select
            c.pid as id,
            pg_catalog.count(*) as customers,
            -- twice in the range, or once in it and once before it
            pg_catalog.count(*) filter (where c.n >= 2 or exists (
                select from app.bookings as e
                where
                    e.provider_id = c.pid and e.customer_id = c.customer_id
                    and e.status in ('confirmed', 'completed', 'no_show')
                    and pg_catalog.lower(e.during) < c.from_ts
            )) as repeat_customers
        from (
            select b.pid, b.customer_id, b.from_ts, pg_catalog.count(*) as n
            from b where b.status in ('confirmed', 'completed', 'no_show')
            group by b.pid, b.customer_id, b.from_ts
        ) as c
        group by c.pid
    ),
    ratings as (
        select
            p.id,
            pg_catalog.count(*) filter (where r.created_at >= p.from_ts) as reviews,
            pg_catalog.round(pg_catalog.avg(r.stars) filter (where r.created_at >= p.from_ts), 2) as rating_avg,
            pg_catalog.count(*) filter (where r.created_at < p.from_ts) as previous_reviews,
            pg_catalog.round(pg_catalog.avg(r.stars) filter (where r.created_at < p.from_ts), 2)
                as previous_rating_avg
        from p
        inner join app.reviews as r
            on r.provider_id = p.id and r.hidden_at is null
            and r.created_at >= p.previous_ts and r.created_at < p.to_ts
        group by p.id
    ),
    minutes as (
        select
            p.id,
            internal.analytics_minutes(coalesce(hours.ranges, '{}') - coalesce(off.ranges, '{}')) as offered,
            internal.analytics_minutes(
                coalesce(counts.booked, '{}') * (coalesce(hours.ranges, '{}') - coalesce(off.ranges, '{}'))
            ) as booked
        from p
        left join hours on p.id = hours.id
        left join off on p.id = off.id
        left join counts on p.id = counts.id
    )
    select
        p.id, p.business_name, p.time_zone, internal.analytics_area(p.lat, p.lng, p_cell),
        m.offered, m.booked,
        pg_catalog.round(m.booked::numeric / nullif(m.offered, 0), 4),
        coalesce(c.bookings, 0), coalesce(c.completed, 0), coalesce(c.no_show, 0), coalesce(c.cancelled, 0),
        pg_catalog.round(c.cancelled::numeric / nullif(c.kept_or_cancelled, 0), 4),
        pg_catalog.round(c.no_show::numeric / nullif(c.completed + c.no_show, 0), 4),
        coalesce(u.customers, 0), coalesce(u.repeat_customers, 0),
        pg_catalog.round(u.repeat_customers::numeric / nullif(u.customers, 0), 4),
        coalesce(r.reviews, 0), r.rating_avg, coalesce(r.previous_reviews, 0), r.previous_rating_avg,
        r.rating_avg - r.previous_rating_avg,
        coalesce(c.captured_cents, 0), coalesce(c.refunded_cents, 0),
        coalesce(c.captured_cents, 0) - coalesce(c.refunded_cents, 0)
    from p
    inner join minutes as m on p.id = m.id
    left join counts as c on p.id = c.id
    left join customers as u on p.id = u.id
    left join ratings as r on p.id = r.id
    order by p.id
$$;


--
-- Name: FUNCTION analytics_performance(p_provider_id uuid, p_from date, p_to date, p_cell numeric); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_performance(p_provider_id uuid, p_from date, p_to date, p_cell numeric) IS 'Each provider''s (or one provider''s) performance over its local days [from, to], counted from the base tables under the caller''s row-level security.';


--
-- Name: analytics_queue_depth(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_queue_depth() RETURNS TABLE(depth bigint, dead bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select
        (pg_catalog.sum(q.queue_length) filter (where q.queue_name not like '%\_dlq'))::bigint,
        (pg_catalog.sum(q.queue_length) filter (where q.queue_name like '%\_dlq'))::bigint
    from internal.queue_stats() as q
    where auth.role() = 'ops'
$$;


--
-- Name: FUNCTION analytics_queue_depth(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_queue_depth() IS 'Messages waiting in the work queues and in their dead-letter queues, for ops (nulls for another role). Definer: reads pgmq''s metrics, which only ops'' own wrapper may, for today''s counters that providers call too.';


--
-- Name: analytics_rebuild(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_rebuild() RETURNS TABLE(bookings bigint, provider_rows bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    -- writers that would touch the rollups wait until the rebuild commits
    lock table app.analytics_booking_facts, app.analytics_provider_hours, app.analytics_deltas,
    app.analytics_hours, app.analytics_days in exclusive mode;
    delete from app.analytics_booking_facts;
    delete from app.analytics_provider_hours;
    delete from app.analytics_deltas;
    delete from app.analytics_hours;
    delete from app.analytics_days;
    insert into app.analytics_booking_facts select l.* from internal.analytics_live_facts as l;
    insert into app.analytics_provider_hours (
        provider_id, hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
    )
    select
        f.provider_id, f.hour, f.category_id, f.status, f.currency,
        pg_catalog.sum(f.bookings),
        pg_catalog.sum(f.booked_cents),
        pg_catalog.sum(f.lead_minutes),
        pg_catalog.sum(f.cancelled_by_customer),
        pg_catalog.sum(f.cancelled_by_provider),
        pg_catalog.sum(f.cancelled_by_ops),
        pg_catalog.sum(f.cancelled_by_system),
        pg_catalog.sum(f.cancelled_late),
        pg_catalog.sum(f.captured_cents),
        pg_catalog.sum(f.refunded_cents),
        pg_catalog.sum(f.fees_kept_cents),
        pg_catalog.sum(f.outstanding_cents),
        pg_catalog.sum(f.gst_cents),
        pg_catalog.sum(f.qst_cents)
    from app.analytics_booking_facts as f
    group by f.provider_id, f.hour, f.category_id, f.status, f.currency;
    insert into app.analytics_hours (
        hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
    )
    select
        f.hour, f.category_id, f.status, f.currency,
        pg_catalog.sum(f.bookings),
        pg_catalog.sum(f.booked_cents),
        pg_catalog.sum(f.lead_minutes),
        pg_catalog.sum(f.cancelled_by_customer),
        pg_catalog.sum(f.cancelled_by_provider),
        pg_catalog.sum(f.cancelled_by_ops),
        pg_catalog.sum(f.cancelled_by_system),
        pg_catalog.sum(f.cancelled_late),
        pg_catalog.sum(f.captured_cents),
        pg_catalog.sum(f.refunded_cents),
        pg_catalog.sum(f.fees_kept_cents),
        pg_catalog.sum(f.outstanding_cents),
        pg_catalog.sum(f.gst_cents),
        pg_catalog.sum(f.qst_cents)
    from app.analytics_provider_hours as f
    group by f.hour, f.category_id, f.status, f.currency;
    insert into app.analytics_days (
        day, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents
    )
    select
        (f.hour at time zone 'UTC')::date, f.category_id, f.status, f.currency,
        pg_catalog.sum(f.bookings),
        pg_catalog.sum(f.booked_cents),
        pg_catalog.sum(f.lead_minutes),
        pg_catalog.sum(f.cancelled_by_customer),
        pg_catalog.sum(f.cancelled_by_provider),
        pg_catalog.sum(f.cancelled_by_ops),
        pg_catalog.sum(f.cancelled_by_system),
        pg_catalog.sum(f.cancelled_late),
        pg_catalog.sum(f.captured_cents),
        pg_catalog.sum(f.refunded_cents),
        pg_catalog.sum(f.fees_kept_cents),
        pg_catalog.sum(f.outstanding_cents),
        pg_catalog.sum(f.gst_cents),
        pg_catalog.sum(f.qst_cents)
    from app.analytics_hours as f
    group by (f.hour at time zone 'UTC')::date, f.category_id, f.status, f.currency;
    return query select
        (select pg_catalog.count(*) from app.analytics_booking_facts),
        (select pg_catalog.count(*) from app.analytics_provider_hours);
end
$$;


--
-- Name: FUNCTION analytics_rebuild(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_rebuild() IS 'Recompute the analytics rollups (per provider and across providers) from the base tables (backfill, or after a bulk load with the triggers off). Definer: run by the owner''s command line (`bookiji analytics rebuild`) and by tests; granted to nobody else.';


--
-- Name: analytics_refresh_booking(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_refresh_booking(p_booking_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_old app.analytics_booking_facts;
    v_new app.analytics_booking_facts;
begin
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('bookiji.analytics:' || p_booking_id::text, 0)
    );
    select * into v_old from app.analytics_booking_facts as f where f.booking_id = p_booking_id;
    select * into v_new from internal.analytics_live_facts as l where l.booking_id = p_booking_id;
    if v_old is not distinct from v_new then
        return;
    end if;
    perform internal.analytics_apply(v_old, v_new);
    if v_new.booking_id is null then
        delete from app.analytics_booking_facts as f where f.booking_id = p_booking_id;
    elsif v_old.booking_id is null then
        insert into app.analytics_booking_facts values (v_new.*);
    else
        update app.analytics_booking_facts as f set
            provider_id = v_new.provider_id, category_id = v_new.category_id, hour = v_new.hour,
            status = v_new.status, currency = v_new.currency, bookings = v_new.bookings,
            booked_cents = v_new.booked_cents, lead_minutes = v_new.lead_minutes,
            cancelled_by_customer = v_new.cancelled_by_customer,
            cancelled_by_provider = v_new.cancelled_by_provider,
            cancelled_by_ops = v_new.cancelled_by_ops, cancelled_by_system = v_new.cancelled_by_system,
            cancelled_late = v_new.cancelled_late, captured_cents = v_new.captured_cents,
            refunded_cents = v_new.refunded_cents, fees_kept_cents = v_new.fees_kept_cents,
            outstanding_cents = v_new.outstanding_cents, gst_cents = v_new.gst_cents, qst_cents = v_new.qst_cents
        where f.booking_id = p_booking_id;
    end if;
end
$$;


--
-- Name: FUNCTION analytics_refresh_booking(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_refresh_booking(p_booking_id uuid) IS 'Recompute one booking''s analytics contribution from the base tables and move the difference into the rollups. Definer: called from triggers of writes by any role, and the rollups are written by nobody else.';


--
-- Name: analytics_rows(uuid, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_rows(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone) RETURNS TABLE(hour timestamp with time zone, category_id integer, status text, currency text, bookings bigint, booked_cents bigint, lead_minutes bigint, cancelled_by_customer bigint, cancelled_by_provider bigint, cancelled_by_ops bigint, cancelled_by_system bigint, cancelled_late bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, outstanding_cents bigint, gst_cents bigint, qst_cents bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    if p_provider_id is null then
        return query
        select
            h.hour, h.category_id, h.status, h.currency, pg_catalog.sum(h.bookings)::bigint,
            pg_catalog.sum(h.booked_cents)::bigint, pg_catalog.sum(h.lead_minutes)::bigint,
            pg_catalog.sum(h.cancelled_by_customer)::bigint, pg_catalog.sum(h.cancelled_by_provider)::bigint,
            pg_catalog.sum(h.cancelled_by_ops)::bigint, pg_catalog.sum(h.cancelled_by_system)::bigint,
            pg_catalog.sum(h.cancelled_late)::bigint, pg_catalog.sum(h.captured_cents)::bigint,
            pg_catalog.sum(h.refunded_cents)::bigint, pg_catalog.sum(h.fees_kept_cents)::bigint,
            pg_catalog.sum(h.outstanding_cents)::bigint, pg_catalog.sum(h.gst_cents)::bigint,
            pg_catalog.sum(h.qst_cents)::bigint
        from app.analytics_provider_hours as h
        where h.hour >= p_from_ts and h.hour < p_to_ts
        group by h.hour, h.category_id, h.status, h.currency;
    else
        return query
        select
            h.hour, h.category_id, h.status, h.currency, h.bookings, h.booked_cents, h.lead_minutes,
            h.cancelled_by_customer, h.cancelled_by_provider, h.cancelled_by_ops, h.cancelled_by_system,
            h.cancelled_late, h.captured_cents, h.refunded_cents, h.fees_kept_cents, h.outstanding_cents,
            h.gst_cents, h.qst_cents
        from app.analytics_provider_hours as h
        where h.provider_id = p_provider_id and h.hour >= p_from_ts and h.hour < p_to_ts;
    end if;
end
$$;


--
-- Name: FUNCTION analytics_rows(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_rows(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone) IS 'The rollup rows of [from_ts, to_ts): one provider''s (under row-level security), or across providers for a null provider.';


--
-- Name: analytics_series(uuid, timestamp with time zone, timestamp with time zone, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_series(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text) RETURNS TABLE(bucket_start timestamp with time zone, bucket_end timestamp with time zone, bucket_local timestamp without time zone, category text, currency text, bookings bigint, pending_payment bigint, confirmed bigint, completed bigint, no_show bigint, cancelled bigint, expired bigint, cancelled_by_customer bigint, cancelled_by_provider bigint, cancelled_by_ops bigint, cancelled_by_system bigint, cancelled_late bigint, lead_minutes bigint, booked_cents bigint, captured_cents bigint, refunded_cents bigint, fees_kept_cents bigint, net_cents bigint, outstanding_cents bigint, gst_cents bigint, qst_cents bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- grouped by the local bucket first: a local time back to an instant (at time zone)
    -- is then computed once per bucket, not once per row
    with bucketed as (
        select * from internal.analytics_bucket_rows(p_provider_id, p_from_ts, p_to_ts, p_tz, p_grain)
    ),
    grouped as (
        select
            x.h, x.lb, x.category_id, x.currency,
            pg_catalog.sum(x.bookings)::bigint as bookings,
            (pg_catalog.sum(x.bookings) filter (where x.status = 'pending_payment'))::bigint as pending_payment,
            (pg_catalog.sum(x.bookings) filter (where x.status = 'confirmed'))::bigint as confirmed,
            (pg_catalog.sum(x.bookings) filter (where x.status = 'completed'))::bigint as completed,
            (pg_catalog.sum(x.bookings) filter (where x.status = 'no_show'))::bigint as no_show,
            (pg_catalog.sum(x.bookings) filter (where x.status = 'cancelled'))::bigint as cancelled,
            (pg_catalog.sum(x.bookings) filter (where x.status = 'expired'))::bigint as expired,
            pg_catalog.sum(x.cancelled_by_customer)::bigint as cancelled_by_customer,
            pg_catalog.sum(x.cancelled_by_provider)::bigint as cancelled_by_provider,
            pg_catalog.sum(x.cancelled_by_ops)::bigint as cancelled_by_ops,
            pg_catalog.sum(x.cancelled_by_system)::bigint as cancelled_by_system,
            pg_catalog.sum(x.cancelled_late)::bigint as cancelled_late,
            pg_catalog.sum(x.lead_minutes)::bigint as lead_minutes,
            pg_catalog.sum(x.booked_cents)::bigint as booked_cents,
            pg_catalog.sum(x.captured_cents)::bigint as captured_cents,
            pg_catalog.sum(x.refunded_cents)::bigint as refunded_cents,
            pg_catalog.sum(x.fees_kept_cents)::bigint as fees_kept_cents,
            pg_catalog.sum(x.outstanding_cents)::bigint as outstanding_cents,
            pg_catalog.sum(x.gst_cents)::bigint as gst_cents,
            pg_catalog.sum(x.qst_cents)::bigint as qst_cents
        from bucketed as x
        group by x.h, x.lb, x.category_id, x.currency
    ),
    instants as (
        select
            coalesce(g.h, g.lb at time zone p_tz) as bucket_start,
            coalesce(g.h + interval '1 hour', (g.lb + ('1 ' || p_grain)::interval) at time zone p_tz) as bucket_end,
            g.*
        from grouped as g
    )
    select
        i.bucket_start, i.bucket_end, i.bucket_start at time zone p_tz, k.slug, i.currency,
        i.bookings, i.pending_payment, i.confirmed, i.completed, i.no_show, i.cancelled, i.expired,
        i.cancelled_by_customer, i.cancelled_by_provider, i.cancelled_by_ops, i.cancelled_by_system,
        i.cancelled_late, i.lead_minutes, i.booked_cents, i.captured_cents, i.refunded_cents,
        i.fees_kept_cents, i.captured_cents - i.refunded_cents, i.outstanding_cents, i.gst_cents, i.qst_cents
    from instants as i
    inner join app.service_categories as k on i.category_id = k.id
    where
        i.bookings <> 0 or i.captured_cents <> 0 or i.refunded_cents <> 0 or i.outstanding_cents <> 0
    order by i.bucket_start, k.slug, i.currency
$$;


--
-- Name: FUNCTION analytics_series(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_series(p_provider_id uuid, p_from_ts timestamp with time zone, p_to_ts timestamp with time zone, p_tz text, p_grain text) IS 'The rollup rows of [from_ts, to_ts) grouped by bucket (start hour, or local day, week or month in tz), category and currency; one provider''s (under its row-level security) or, with a null provider, every provider''s (from the rollups across providers, internal.analytics_ops_rows).';


--
-- Name: analytics_service_category_changed(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_service_category_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_booking_id uuid;
begin
    for v_booking_id in select b.id from app.bookings as b where b.service_id = new.id order by b.id loop
        perform internal.analytics_refresh_booking(v_booking_id);
    end loop;
    return null;
end
$$;


--
-- Name: FUNCTION analytics_service_category_changed(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_service_category_changed() IS 'Trigger: a service moved to another category; its bookings move with it in the rollups. Definer: a provider edits its own services and may not write the rollups.';


--
-- Name: analytics_subject(uuid, boolean); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_subject(p_provider_id uuid, p_required boolean) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
    v_own uuid;
begin
    if auth.role() = 'ops' then
        if p_provider_id is null and p_required then
            perform internal.fail('invalid_input', 'provider_id is required (ops read one provider''s figures)');
        end if;
        if p_provider_id is not null
            and not exists (select from app.providers as p where p.id = p_provider_id) then
            perform internal.fail('not_found', 'provider_id: no such provider');
        end if;
        return p_provider_id;
    end if;
    perform internal.require_role('provider', 'only providers and ops staff may read these figures',
        'analytics need a signed-in provider or ops account');
    select p.id into v_own from app.providers as p where p.owner_id = (select auth.uid());
    if v_own is null then
        perform internal.fail('not_found', 'you have no provider profile yet');
    end if;
    if p_provider_id is not null and p_provider_id <> v_own then
        perform internal.fail('forbidden', 'provider_id: a provider may read only its own figures');
    end if;
    return v_own;
end
$$;


--
-- Name: FUNCTION analytics_subject(p_provider_id uuid, p_required boolean); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_subject(p_provider_id uuid, p_required boolean) IS 'The provider whose analytics a caller may read: its own for a provider (another provider_id is 403), the one named for ops.';


--
-- Name: analytics_today_zone(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_today_zone(p_tz text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
begin
    if p_tz is null or p_tz !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$' or pg_catalog.length(p_tz) > 64 then
        perform internal.fail('invalid_input', 'tz must be a time zone name such as America/Toronto');
    end if;
    perform pg_catalog.now() at time zone p_tz;
    return p_tz;
exception when invalid_parameter_value then
    perform internal.fail('invalid_input', 'tz must be a time zone name such as America/Toronto');
end
$_$;


--
-- Name: FUNCTION analytics_today_zone(p_tz text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_today_zone(p_tz text) IS 'Check a time zone name for today''s counters (any IANA zone: they read the base tables, not the hourly rollups).';


--
-- Name: analytics_window(date, date, text, text, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.analytics_window(p_from date, p_to date, p_tz text, p_group_by text, p_max_days integer DEFAULT 366) RETURNS TABLE(from_ts timestamp with time zone, to_ts timestamp with time zone, tz text, grain text)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
declare
    v_days integer;
    v_max integer := case when p_group_by = 'hour' then 31 else p_max_days end;
begin
    perform internal.require(p_from, 'from', 'a date, YYYY-MM-DD');
    perform internal.require(p_to, 'to', 'a date, YYYY-MM-DD');
    if not pg_catalog.isfinite(p_from) then
        perform internal.fail('invalid_input', 'from must be a calendar date');
    end if;
    if not pg_catalog.isfinite(p_to) then
        perform internal.fail('invalid_input', 'to must be a calendar date');
    end if;
    if p_group_by is null or p_group_by not in ('hour', 'day', 'week', 'month') then
        perform internal.fail('invalid_input', 'group_by must be hour, day, week or month');
    end if;
    if p_from > p_to then
        perform internal.fail('invalid_input', 'from must be on or before to');
    end if;
    v_days := p_to - p_from + 1;
    if v_days > v_max then
        perform internal.fail('invalid_input', pg_catalog.format(
            'to: the range from %s to %s covers %s days; at most %s%s',
            p_from, p_to, v_days, v_max, case when p_group_by = 'hour' then ' with group_by hour' else '' end
        ));
    end if;
    if p_tz is null or p_tz !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$' or pg_catalog.length(p_tz) > 64 then
        perform internal.fail('invalid_input', 'tz must be a time zone name such as America/Toronto');
    end if;
    begin
        from_ts := p_from::timestamp at time zone p_tz;
    exception when invalid_parameter_value then
        perform internal.fail('invalid_input', 'tz must be a time zone name such as America/Toronto');
    end;
    to_ts := (p_to + 1)::timestamp at time zone p_tz;
    -- whole-hour offsets everywhere in the range (sampled daily: no zone changes twice a day)
    if exists (
        select from pg_catalog.generate_series(from_ts, to_ts, interval '1 day') as g (t)
        where extract(minute from (g.t at time zone p_tz) - (g.t at time zone 'UTC')) <> 0
    ) then
        perform internal.fail('invalid_input', pg_catalog.format(
            'tz: %s is not a whole number of hours from UTC in this range; the rollups hold whole hours',
            p_tz
        ));
    end if;
    tz := p_tz;
    grain := p_group_by;
    return next;
end
$_$;


--
-- Name: FUNCTION analytics_window(p_from date, p_to date, p_tz text, p_group_by text, p_max_days integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.analytics_window(p_from date, p_to date, p_tz text, p_group_by text, p_max_days integer) IS 'Check an analytics range (from and to: local dates, both included; tz; group_by) and return it as instants [from_ts, to_ts).';


--
-- Name: append_availability_event(uuid, tstzrange); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.append_availability_event(p_provider_id uuid, p_during tstzrange) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    -- time that has passed can be neither booked nor freed: nobody needs to hear of it
    if p_during is not null and pg_catalog.upper(p_during) > pg_catalog.now() then
        perform internal.append_event('availability_changed', null, p_provider_id, null, null, p_during, '{}');
    end if;
end
$$;


--
-- Name: FUNCTION append_availability_event(p_provider_id uuid, p_during tstzrange); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.append_availability_event(p_provider_id uuid, p_during tstzrange) IS 'Append availability_changed for a provider and a range (only the provider and the range: no booking, no customer).';


--
-- Name: append_event(text, uuid, uuid, uuid, uuid, tstzrange, jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.append_event(p_kind text, p_booking_id uuid, p_provider_id uuid, p_customer_id uuid, p_recipient_id uuid, p_during tstzrange, p_payload jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_id bigint;
begin
    insert into app.events (kind, booking_id, provider_id, customer_id, recipient_id, during, payload)
    values (p_kind, p_booking_id, p_provider_id, p_customer_id, p_recipient_id, p_during, coalesce(p_payload, '{}'))
    returning id into v_id;
    perform pg_catalog.pg_notify('bookiji_events', v_id::text);
    return v_id;
end
$$;


--
-- Name: FUNCTION append_event(p_kind text, p_booking_id uuid, p_provider_id uuid, p_customer_id uuid, p_recipient_id uuid, p_during tstzrange, p_payload jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.append_event(p_kind text, p_booking_id uuid, p_provider_id uuid, p_customer_id uuid, p_recipient_id uuid, p_during tstzrange, p_payload jsonb) IS 'Append one event to app.events and NOTIFY bookiji_events with its id only, in the caller''s transaction.';


--
-- Name: append_horizon_events(uuid[]); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.append_horizon_events(p_provider_ids uuid[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_provider_id uuid;
begin
    for v_provider_id in
        select distinct i.id
        from pg_catalog.unnest(p_provider_ids) as i (id)
        -- a provider deleted with its hours (on delete cascade) has nothing left to book
        where exists (select from app.providers as p where p.id = i.id)
        order by 1
    loop
        perform internal.append_availability_event(v_provider_id, internal.availability_horizon(v_provider_id));
    end loop;
end
$$;


--
-- Name: FUNCTION append_horizon_events(p_provider_ids uuid[]); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.append_horizon_events(p_provider_ids uuid[]) IS 'Append availability_changed over its booking horizon for each distinct provider (still existing) of the list.';


--
-- Name: apply_account_event(jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.apply_account_event(p_event jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_account jsonb := p_event -> 'data' -> 'object';
    v_at timestamptz := pg_catalog.to_timestamp(coalesce((p_event ->> 'created')::double precision, 0));
    v_provider_id uuid;
begin
    perform pg_catalog.set_config('bookiji.actor', 'stripe', true);
    if p_event ->> 'type' <> 'account.updated' then
        return 'ignored';
    end if;
    select a.provider_id into v_provider_id
    from app.payout_accounts as a
    where a.stripe_account_id = v_account ->> 'id'
    for update;
    if not found then
        -- the webhook can outrun the worker's record of the account: match by metadata
        select a.provider_id into v_provider_id
        from app.payout_accounts as a
        where a.provider_id::text = v_account -> 'metadata' ->> 'provider_id' and a.stripe_account_id is null
        for update;
        if not found then
            return 'unknown account';
        end if;
        update app.payout_accounts as a set stripe_account_id = v_account ->> 'id' where a.provider_id = v_provider_id;
    end if;
    -- events can arrive out of order: an older snapshot never overwrites a newer one
    update app.payout_accounts as a
    set
        details_submitted = coalesce((v_account ->> 'details_submitted')::boolean, false),
        charges_enabled = coalesce((v_account ->> 'charges_enabled')::boolean, false),
        payouts_enabled = coalesce((v_account ->> 'payouts_enabled')::boolean, false),
        capabilities = case
            when pg_catalog.jsonb_typeof(v_account -> 'capabilities') = 'object' then v_account -> 'capabilities'
            else '{}'::jsonb
        end,
        requirements_due = coalesce(
            (select pg_catalog.array_agg(d.value) from pg_catalog.jsonb_array_elements_text(
                case when pg_catalog.jsonb_typeof(v_account -> 'requirements' -> 'currently_due') = 'array'
                    then v_account -> 'requirements' -> 'currently_due' else '[]'::jsonb end
            ) as d (value)),
            '{}'::text []
        ),
        -- a completed onboarding uses up the link
        onboarding_url = case when (v_account ->> 'details_submitted')::boolean then null else a.onboarding_url end,
        onboarding_url_expires_at = case
            when (v_account ->> 'details_submitted')::boolean then null else a.onboarding_url_expires_at
        end,
        stripe_event_at = v_at,
        updated_at = pg_catalog.now()
    where a.provider_id = v_provider_id and (a.stripe_event_at is null or a.stripe_event_at <= v_at);
    if not found then
        return 'older than the account''s last update: ignored';
    end if;
    perform internal.audit('payout.account_updated', 'app.payout_accounts', v_provider_id::text, null,
        pg_catalog.jsonb_build_object(
            'charges_enabled', v_account -> 'charges_enabled', 'payouts_enabled', v_account -> 'payouts_enabled',
            'capabilities', v_account -> 'capabilities'
        ));
    return 'account updated';
end
$$;


--
-- Name: FUNCTION apply_account_event(p_event jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.apply_account_event(p_event jsonb) IS 'Apply an account.updated event to the provider''s payout account (never an older one over a newer). Definer: Stripe calls as anon.';


--
-- Name: apply_dispute_event(text, jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.apply_dispute_event(p_type text, p_dispute jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $_$
-- A card dispute (Stripe Dispute object; charge.dispute.created, .updated,
-- .funds_withdrawn, .funds_reinstated, .closed): recorded once per dispute id
-- and kept up to date, the booking flagged (dispute_status), every ops account
-- emailed when it opens and when it closes, and both moments in the audit log.
-- A warning (inquiry) that closes without a chargeback counts as won. A
-- disputed payment cannot be refunded (internal.request_refund).
declare
    v_payment app.payments;
    v_old app.disputes;
    v_new app.disputes;
    v_status text := coalesce(nullif(p_dispute ->> 'status', ''), 'needs_response');
    v_outcome text;
    v_data jsonb;
    v_ops uuid;
begin
    if coalesce(p_dispute ->> 'id', '') !~ '^dp_[A-Za-z0-9_]+$' then
        return 'ignored: the dispute has no valid id';
    end if;
    select * into v_payment from app.payments as p
    where p.stripe_payment_intent_id = p_dispute ->> 'payment_intent'
    for update;
    if not found then
        return 'unknown dispute: no payment has its payment_intent';
    end if;
    v_outcome := case
        when v_status in ('won', 'lost', 'warning_closed') then v_status
        when p_type = 'charge.dispute.closed' then 'won'
    end;
    select * into v_old from app.disputes as d where d.id = p_dispute ->> 'id' for update;
    insert into app.disputes as d (
        id, booking_id, payment_id, stripe_charge_id, stripe_payment_intent_id, amount_cents, currency,
        reason, status, outcome, evidence_due_by, closed_at
    )
    values (
        p_dispute ->> 'id', v_payment.booking_id, v_payment.id, p_dispute ->> 'charge', p_dispute ->> 'payment_intent',
        least(greatest(coalesce((p_dispute ->> 'amount')::bigint, 0), 0), 2147483647)::integer,
        pg_catalog.lower(coalesce(p_dispute ->> 'currency', v_payment.currency)),
        pg_catalog.left(coalesce(nullif(p_dispute ->> 'reason', ''), 'general'), 100),
        pg_catalog.left(v_status, 100),
        v_outcome,
        pg_catalog.to_timestamp((p_dispute -> 'evidence_details' ->> 'due_by')::double precision),
        case when v_outcome is not null then pg_catalog.now() end
    )
    on conflict (id) do update
        set
            amount_cents = excluded.amount_cents,
            reason = excluded.reason,
            -- a closed dispute stays closed (a late .updated changes nothing)
            status = case when d.outcome is null then excluded.status else d.status end,
            outcome = coalesce(d.outcome, excluded.outcome),
            closed_at = coalesce(d.closed_at, excluded.closed_at),
            evidence_due_by = coalesce(excluded.evidence_due_by, d.evidence_due_by),
            updated_at = pg_catalog.now()
    returning * into v_new;

    update app.bookings as b
    set dispute_status = case when v_new.outcome is null then 'open' when v_new.outcome = 'lost' then 'lost' else 'won' end
    where b.id = v_payment.booking_id;

    v_data := internal.booking_event_data(v_payment.booking_id) || pg_catalog.jsonb_build_object(
        'dispute', pg_catalog.jsonb_build_object(
            'id', v_new.id, 'amount_cents', v_new.amount_cents, 'currency', v_new.currency,
            'reason', v_new.reason, 'status', v_new.status, 'outcome', v_new.outcome,
            'evidence_due_by', v_new.evidence_due_by
        )
    );
    if v_old.id is null then
        perform internal.audit(
            'payment.dispute_opened', 'app.disputes', v_new.id, null, pg_catalog.to_jsonb(v_new), v_new.reason
        );
        for v_ops in select u.id from app.users as u where u.role = 'ops' and u.deleted_at is null loop
            perform internal.notify('dispute_opened', v_ops, 'dispute_opened:' || v_new.id, v_data);
        end loop;
    end if;
    if v_old.outcome is null and v_new.outcome is not null then
        perform internal.audit(
            'payment.dispute_closed', 'app.disputes', v_new.id,
            case when v_old.id is not null then pg_catalog.to_jsonb(v_old) end, pg_catalog.to_jsonb(v_new),
            v_new.outcome
        );
        for v_ops in select u.id from app.users as u where u.role = 'ops' and u.deleted_at is null loop
            perform internal.notify('dispute_closed', v_ops, 'dispute_closed:' || v_new.id, v_data);
        end loop;
        return 'dispute ' || v_new.outcome;
    end if;
    return case when v_old.id is null then 'dispute opened' else 'dispute updated' end;
end
$_$;


--
-- Name: FUNCTION apply_dispute_event(p_type text, p_dispute jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.apply_dispute_event(p_type text, p_dispute jsonb) IS 'Record a charge.dispute.* event: the dispute, the booking''s flag, ops emailed when it opens and closes, the audit log.';


--
-- Name: apply_payment_intent_event(text, jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.apply_payment_intent_event(p_type text, p_intent jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_payment app.payments;
    v_booking app.bookings;
    v_captured integer;
    v_received bigint;
    v_currency text;
    v_refund_id uuid;
begin
    select * into v_payment from app.payments as p
    where p.stripe_payment_intent_id = p_intent ->> 'id'
    for update;
    if not found then
        -- the webhook can outrun the worker's record of the intent: match by metadata
        select * into v_payment from app.payments as p
        where
            p.booking_id::text = p_intent -> 'metadata' ->> 'booking_id'
            and (p.stripe_payment_intent_id is null or p.stripe_payment_intent_id = p_intent ->> 'id')
        for update;
        if not found then
            return 'unknown payment intent';
        end if;
        update app.payments as p set stripe_payment_intent_id = p_intent ->> 'id' where p.id = v_payment.id;
    end if;
    select * into v_booking from app.bookings as b where b.id = v_payment.booking_id for update;

    if p_type = 'payment_intent.succeeded' then
        if v_payment.status = 'succeeded' then
            return 'already succeeded';
        end if;
        v_received := coalesce(p_intent ->> 'amount_received', p_intent ->> 'amount')::bigint;
        v_currency := pg_catalog.lower(p_intent ->> 'currency');
        if v_received is distinct from v_payment.amount_cents::bigint
            or v_currency is distinct from pg_catalog.lower(v_payment.currency) then
            -- Stripe keeps clients from changing an intent's amount, but this side never
            -- relies on it: a payment that is not exactly what the booking is due (less,
            -- more, another currency) confirms nothing, is refunded in full and is
            -- flagged for ops (api.payment_mismatches)
            v_captured := least(greatest(coalesce(v_received, 0), 0), 2147483647)::integer;
            update app.payments as p
            set
                status = 'succeeded', captured_cents = v_captured, updated_at = pg_catalog.now(),
                failure_reason = pg_catalog.format(
                    'paid %s %s for a booking due %s %s: refunded', coalesce(v_received::text, 'no amount'),
                    coalesce(v_currency, 'no currency'), v_payment.amount_cents, pg_catalog.lower(v_payment.currency)
                )
            where p.id = v_payment.id;
            if v_captured > 0 then
                v_refund_id := internal.request_refund(
                    v_booking.id, v_captured, 'the payment did not match the booking''s amount or currency',
                    null, 'system'
                );
            end if;
            insert into app.payment_mismatches (
                payment_id, booking_id, refund_id, stripe_payment_intent_id,
                expected_cents, expected_currency, received_cents, received_currency
            )
            values (
                v_payment.id, v_booking.id, v_refund_id, p_intent ->> 'id',
                v_payment.amount_cents, pg_catalog.lower(v_payment.currency), v_received, v_currency
            );
            perform internal.audit(
                'payment.mismatch', 'app.payments', v_payment.id::text, null,
                pg_catalog.jsonb_build_object(
                    'stripe_payment_intent_id', p_intent ->> 'id', 'refund_id', v_refund_id,
                    'expected_cents', v_payment.amount_cents, 'expected_currency', pg_catalog.lower(v_payment.currency),
                    'received_cents', v_received, 'received_currency', v_currency
                ),
                'the payment did not match the booking'
            );
            if v_booking.status = 'pending_payment' then
                -- the hold ends now: nothing else can pay it (the booking's one intent is spent)
                perform internal.transition_booking(
                    v_booking.id, 'cancelled', 'system',
                    'the payment did not match the booking''s amount or currency; it was refunded',
                    pg_catalog.jsonb_build_object('refund_cents', v_captured)
                );
            end if;
            return 'mismatched payment refunded';
        end if;
        v_captured := v_received::integer;
        update app.payments as p
        set status = 'succeeded', captured_cents = v_captured, failure_reason = null, updated_at = pg_catalog.now()
        where p.id = v_payment.id;
        if v_booking.status = 'pending_payment' then
            perform internal.transition_booking(v_booking.id, 'confirmed', 'system');
            return 'booking confirmed';
        end if;
        -- paid after the booking ended (expired or cancelled): give the money back
        perform internal.request_refund(
            v_booking.id, v_captured, 'payment arrived after the booking had ended', null, 'system'
        );
        return 'late payment refunded';
    elsif p_type = 'payment_intent.payment_failed' then
        if v_payment.status in ('succeeded', 'cancelled', 'failed') then
            return 'ignored: payment already settled';
        end if;
        -- the customer may try another card until the hold expires
        update app.payments as p
        set
            status = 'requires_payment',
            failure_reason = pg_catalog.left(
                coalesce(p_intent -> 'last_payment_error' ->> 'message', 'the payment was declined'), 500
            ),
            updated_at = pg_catalog.now()
        where p.id = v_payment.id;
        perform internal.emit_booking_event(
            v_booking.id, 'payment_failed', '{}'::jsonb, coalesce(p_intent ->> 'last_payment_error_id', md5(p_intent::text))
        );
        return 'payment failed; hold kept until it expires';
    elsif p_type = 'payment_intent.canceled' then
        update app.payments as p set status = 'cancelled', client_secret = null, updated_at = pg_catalog.now()
        where p.id = v_payment.id and p.status in ('pending', 'requires_payment');
        return 'payment cancelled';
    end if;
    return 'ignored';
end
$$;


--
-- Name: FUNCTION apply_payment_intent_event(p_type text, p_intent jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.apply_payment_intent_event(p_type text, p_intent jsonb) IS 'Apply a payment_intent.* event; never moves a booking or payment backwards.';


--
-- Name: apply_refund_object(jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.apply_refund_object(p_refund jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_status text := internal.stripe_refund_status(p_refund ->> 'status');
    v_refund app.refunds;
begin
    select * into v_refund from app.refunds as r
    where
        r.stripe_refund_id = p_refund ->> 'id'
        or (r.stripe_refund_id is null and r.id::text = p_refund -> 'metadata' ->> 'refund_ledger_id')
    for update;
    if found and v_refund.status = 'pending' and v_status = 'succeeded' then
        perform internal.emit_booking_event(
            v_refund.booking_id, 'booking_refunded',
            pg_catalog.jsonb_build_object('refund_cents', v_refund.amount_cents), v_refund.id::text
        );
    end if;
    update app.refunds as r
    set
        stripe_refund_id = coalesce(r.stripe_refund_id, p_refund ->> 'id'),
        status = case when r.status = 'pending' then v_status else r.status end,
        failure_reason = coalesce(p_refund ->> 'failure_reason', r.failure_reason),
        updated_at = pg_catalog.now()
    where
        r.stripe_refund_id = p_refund ->> 'id'
        or (r.stripe_refund_id is null and r.id::text = p_refund -> 'metadata' ->> 'refund_ledger_id');
    return case when found then 'refund ' || v_status else 'unknown refund' end;
end
$$;


--
-- Name: FUNCTION apply_refund_object(p_refund jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.apply_refund_object(p_refund jsonb) IS 'Settle a ledger refund from a Stripe refund object.';


--
-- Name: audit(text, text, text, jsonb, jsonb, text, uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.audit(p_action text, p_table text, p_row_id text, p_before jsonb DEFAULT NULL::jsonb, p_after jsonb DEFAULT NULL::jsonb, p_reason text DEFAULT NULL::text, p_actor_id uuid DEFAULT NULL::uuid, p_actor_role text DEFAULT NULL::text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
    insert into audit.action_log (
        actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
    )
    values (
        coalesce(p_actor_id, auth.uid()),
        -- who acts: the caller's given role, else the actor a system path declared
        -- (stripe, sweep), else the JWT's role, else the database role (the worker)
        coalesce(
            p_actor_role,
            nullif(pg_catalog.current_setting('bookiji.actor', true), ''),
            nullif(auth.jwt() ->> 'role', ''),
            session_user::text
        ),
        p_action, p_table, p_row_id, p_reason, p_before, p_after, internal.request_id()
    )
$$;


--
-- Name: FUNCTION audit(p_action text, p_table text, p_row_id text, p_before jsonb, p_after jsonb, p_reason text, p_actor_id uuid, p_actor_role text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.audit(p_action text, p_table text, p_row_id text, p_before jsonb, p_after jsonb, p_reason text, p_actor_id uuid, p_actor_role text) IS 'Append one row to audit.action_log (actor from the JWT unless given). Definer: audit is append-only for everyone else.';


--
-- Name: availability_horizon(uuid, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.availability_horizon(p_provider_id uuid, p_days integer DEFAULT NULL::integer) RETURNS tstzrange
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.tstzrange(
        pg_catalog.now(),
        pg_catalog.now() + pg_catalog.make_interval(days => 1 + greatest(
            coalesce(p_days, 0),
            coalesce((select max(s.max_days_ahead) from app.services as s where s.provider_id = p_provider_id), 60)
        ))
    )
$$;


--
-- Name: FUNCTION availability_horizon(p_provider_id uuid, p_days integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.availability_horizon(p_provider_id uuid, p_days integer) IS 'The window a provider''s recurring availability can be booked in: now to now + its
largest max_days_ahead (or p_days, if larger; 60 with no service) + 1 day.';


--
-- Name: balance_due_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.balance_due_json(p_booking_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'balance_cents', coalesce(r.total_cents, 0),
        'balance_base_cents', coalesce(r.base_cents, 0),
        'balance_gst_cents', coalesce(r.gst_cents, 0),
        'balance_qst_cents', coalesce(r.qst_cents, 0),
        'balance_status', case
            when r.total_cents is null then 'none'
            when bp.status = 'succeeded' then 'paid'
            when bp.status = 'due' then 'due'
            when bp.status = 'pending' then 'charging'
            when b.status in ('cancelled', 'expired', 'no_show') then 'void'
            else 'open'
        end,
        'balance_method', bp.method,
        'balance_paid_cents', coalesce(case when bp.status = 'succeeded' then bp.amount_cents end, 0),
        'balance_paid_at', case when bp.status = 'succeeded' then bp.updated_at end
    )
    from app.bookings as b
    left join internal.booking_remainder(b) as r on true
    left join app.balance_payments as bp on b.id = bp.booking_id
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION balance_due_json(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.balance_due_json(p_booking_id uuid) IS 'A booking''s balance after its deposit and how it stands: balance_cents (base, gst, qst), balance_status
(none: no deposit; open: not settled yet; charging; due: the card charge failed, the customer must pay;
paid; void: cancelled, expired or no-show), balance_method (venue or card), balance_paid_cents and _at.';


--
-- Name: balance_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.balance_json(p_booking_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'status', b.status,
        'currency', b.currency,
        'payment_id', m.payment_id,
        'charged_cents', m.captured_cents,
        'refunded_cents', m.refund_pending_cents + m.refund_succeeded_cents,
        'refund_pending_cents', m.refund_pending_cents,
        'refund_succeeded_cents', m.refund_succeeded_cents,
        'fee_cents', m.fee_cents,
        'net_cents', m.captured_cents - m.refund_pending_cents - m.refund_succeeded_cents,
        'refundable_cents', m.captured_cents - m.refund_pending_cents - m.refund_succeeded_cents
    ) || x.bal || pg_catalog.jsonb_build_object(
        -- everything the customer paid: the card charge and the balance after a deposit
        -- (at the venue or by card: 57_balance.sql)
        'settled_cents', m.captured_cents + (x.bal ->> 'balance_paid_cents')::integer
    )
    from app.bookings as b
    cross join lateral (select internal.balance_due_json(b.id) as bal) as x
    cross join internal.booking_money(b.id) as m
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION balance_json(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.balance_json(p_booking_id uuid) IS 'A booking''s balance as the API returns it: charged, refunded (pending and succeeded), fee, net; the
balance after a deposit (internal.balance_due_json) and settled_cents (charged + balance paid).';


--
-- Name: booking_balance(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_balance(p_booking_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.require(p_booking_id, 'booking_id');
    if internal.booking_party(p_booking_id) is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.balance_json(p_booking_id);
end
$$;


--
-- Name: FUNCTION booking_balance(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_balance(p_booking_id uuid) IS 'A booking''s money for its customer, its provider''s owner or ops. Definer: reads the ledger and fees.';


--
-- Name: booking_event_data(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_event_data(p_booking_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'service_name', s.name,
        'provider_name', p.business_name,
        'provider_time_zone', p.time_zone,
        'customer_name', u.full_name,
        'starts_at', pg_catalog.to_char(pg_catalog.lower(b.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'ends_at', pg_catalog.to_char(pg_catalog.upper(b.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'price_cents', b.price_cents,
        'currency', b.currency
    )
    from app.bookings as b
    inner join app.services as s on b.service_id = s.id
    inner join app.providers as p on b.provider_id = p.id
    inner join app.users as u on b.customer_id = u.id
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION booking_event_data(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_event_data(p_booking_id uuid) IS 'The booking keys every booking notification carries (names, provider''s time zone, UTC times, price).';


--
-- Name: booking_fees_check_total(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_fees_check_total() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_captured integer;
    v_fees bigint;
begin
    select p.captured_cents into v_captured from app.payments as p where p.id = new.payment_id;
    select coalesce(sum(f.amount_cents), 0) into v_fees
    from app.booking_fees as f
    where f.payment_id = new.payment_id;
    if v_fees > coalesce(v_captured, 0) then
        perform internal.fail(
            'conflict', pg_catalog.format('fees would total %s cents, more than the %s charged', v_fees, v_captured)
        );
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION booking_fees_check_total(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_fees_check_total() IS 'Constraint trigger: the fees a booking keeps never add up to more than its charge.';


--
-- Name: bookings; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.bookings (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    service_id uuid NOT NULL,
    quote_id uuid,
    during tstzrange NOT NULL,
    blocked tstzrange NOT NULL,
    status text DEFAULT 'pending_payment'::text NOT NULL,
    hold_expires_at timestamp with time zone,
    price_cents integer NOT NULL,
    deposit_cents integer NOT NULL,
    currency text NOT NULL,
    cancel_notice_hours integer NOT NULL,
    cancel_fee_cents integer NOT NULL,
    cancelled_at timestamp with time zone,
    cancelled_by uuid,
    cancel_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    cancelled_by_role text,
    held_from text,
    commission_rate_bp integer DEFAULT 0 NOT NULL,
    commission_minimum_cents integer DEFAULT 0 NOT NULL,
    commission_cents integer DEFAULT 0 NOT NULL,
    gst_rate numeric(6,5) DEFAULT 0 NOT NULL,
    qst_rate numeric(6,5) DEFAULT 0 NOT NULL,
    gst_number text,
    qst_number text,
    gst_cents integer DEFAULT 0 NOT NULL,
    qst_cents integer DEFAULT 0 NOT NULL,
    dispute_status text,
    CONSTRAINT bookings_blocked_check CHECK ((blocked @> during)),
    CONSTRAINT bookings_cancel_fee_cents_check CHECK (((cancel_fee_cents >= 0) AND (cancel_fee_cents <= price_cents))),
    CONSTRAINT bookings_cancel_notice_hours_check CHECK ((cancel_notice_hours >= 0)),
    CONSTRAINT bookings_cancelled_by_role_check CHECK ((cancelled_by_role = ANY (ARRAY['customer'::text, 'provider'::text, 'ops'::text, 'system'::text]))),
    CONSTRAINT bookings_commission_check CHECK ((((commission_rate_bp >= 0) AND (commission_rate_bp <= 10000)) AND (commission_minimum_cents >= 0) AND ((commission_cents >= 0) AND (commission_cents <= price_cents)))),
    CONSTRAINT bookings_deposit_cents_check CHECK (((deposit_cents >= 0) AND (deposit_cents <= price_cents))),
    CONSTRAINT bookings_dispute_status_check CHECK ((dispute_status = ANY (ARRAY['open'::text, 'won'::text, 'lost'::text]))),
    CONSTRAINT bookings_during_check CHECK (((NOT isempty(during)) AND (NOT lower_inf(during)) AND (NOT upper_inf(during)))),
    CONSTRAINT bookings_price_cents_check CHECK ((price_cents >= 0)),
    CONSTRAINT bookings_status_check CHECK ((status = ANY (ARRAY['pending_payment'::text, 'confirmed'::text, 'completed'::text, 'no_show'::text, 'cancelled'::text, 'expired'::text]))),
    CONSTRAINT bookings_taxes_check CHECK (((gst_rate >= (0)::numeric) AND (qst_rate >= (0)::numeric) AND (gst_cents >= 0) AND (qst_cents >= 0) AND ((gst_rate = (0)::numeric) = (gst_number IS NULL)) AND ((qst_rate = (0)::numeric) = (qst_number IS NULL))))
);

ALTER TABLE ONLY app.bookings FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE bookings; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.bookings IS 'Appointments: during (the slot), blocked (slot plus buffers), status, price and cancellation policy locked in.';


--
-- Name: COLUMN bookings.cancelled_by_role; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.cancelled_by_role IS 'The party that cancelled the booking: customer, provider, ops or system.';


--
-- Name: COLUMN bookings.held_from; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.held_from IS 'The client network the hold was made from (IPv4 address, IPv6 /64), for the per-address hold limit; null outside HTTP.';


--
-- Name: COLUMN bookings.commission_cents; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.commission_cents IS 'The platform''s commission on this booking, fixed at confirmation: max(price x rate, minimum), at most the price.';


--
-- Name: COLUMN bookings.gst_rate; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.gst_rate IS 'GST rate in force when booked (0: the provider was not registered).';


--
-- Name: COLUMN bookings.qst_rate; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.qst_rate IS 'QST rate in force when booked (0: the provider was not registered).';


--
-- Name: COLUMN bookings.gst_number; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.gst_number IS 'The provider''s GST registration number when booked.';


--
-- Name: COLUMN bookings.qst_number; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.qst_number IS 'The provider''s QST registration number when booked.';


--
-- Name: COLUMN bookings.gst_cents; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.gst_cents IS 'GST on price_cents: round half up of price_cents * gst_rate.';


--
-- Name: COLUMN bookings.qst_cents; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.qst_cents IS 'QST on price_cents: round half up of price_cents * qst_rate.';


--
-- Name: COLUMN bookings.dispute_status; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.bookings.dispute_status IS 'null: never disputed; open: a card dispute is in progress; won or lost: how the last one closed.';


--
-- Name: booking_first_charge(app.bookings); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_first_charge(p_booking app.bookings) RETURNS TABLE(base_cents integer, gst_cents integer, qst_cents integer, total_cents integer)
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    -- the deposit (with its own taxes) or, without one, the price (with the booking's)
    select c.base, c.gst, c.qst, c.base + c.gst + c.qst
    from (
        select
            p_booking.deposit_cents as base,
            internal.tax_cents(p_booking.deposit_cents, p_booking.gst_rate) as gst,
            internal.tax_cents(p_booking.deposit_cents, p_booking.qst_rate) as qst
        where p_booking.deposit_cents > 0
        union all
        select p_booking.price_cents, p_booking.gst_cents, p_booking.qst_cents
        where p_booking.deposit_cents = 0
    ) as c (base, gst, qst)
$$;


--
-- Name: FUNCTION booking_first_charge(p_booking app.bookings); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_first_charge(p_booking app.bookings) IS 'What a booking charges first: its deposit plus the deposit''s taxes or, without a deposit, its price plus
its taxes. The balance (price - deposit) carries the booking''s taxes minus the deposit''s.';


--
-- Name: booking_first_charge_cents(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_first_charge_cents(p_booking_id uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select c.total_cents
    from app.bookings as b
    cross join internal.booking_first_charge(b) as c
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION booking_first_charge_cents(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_first_charge_cents(p_booking_id uuid) IS 'The amount (taxes included) of a booking''s first payment: what its PaymentIntent asks for.';


--
-- Name: booking_json(uuid, boolean); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_json(p_booking_id uuid, p_with_secret boolean DEFAULT false) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'id', b.id,
        'status', b.status,
        'customer_id', b.customer_id,
        'provider_id', b.provider_id,
        'service_id', b.service_id,
        'quote_id', b.quote_id,
        'starts_at', pg_catalog.lower(b.during),
        'ends_at', pg_catalog.upper(b.during),
        'hold_expires_at', case when b.status = 'pending_payment' then b.hold_expires_at end,
        'price_cents', b.price_cents,
        'deposit_cents', b.deposit_cents,
        'currency', b.currency,
        'cancel_notice_hours', b.cancel_notice_hours,
        'cancel_fee_cents', b.cancel_fee_cents,
        'payment', (
            select pg_catalog.jsonb_build_object(
                'id', p.id,
                'status', p.status,
                'amount_cents', p.amount_cents,
                'currency', p.currency,
                'client_secret', case when p_with_secret then p.client_secret end,
                'failure_reason', p.failure_reason
            )
            from app.payments as p
            where p.booking_id = b.id
        )
    )
    from app.bookings as b
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION booking_json(p_booking_id uuid, p_with_secret boolean); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_json(p_booking_id uuid, p_with_secret boolean) IS 'A booking as the API returns it (with its payment). Definer: callers are checked before.';


--
-- Name: booking_money(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_money(p_booking_id uuid) RETURNS TABLE(payment_id uuid, captured_cents integer, refund_pending_cents integer, refund_succeeded_cents integer, fee_cents integer)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select
        p.id,
        coalesce(case when p.status = 'succeeded' then p.captured_cents end, 0),
        coalesce((
            select sum(r.amount_cents) from app.refunds as r
            where r.booking_id = b.id and r.status = 'pending'
        ), 0)::integer,
        coalesce((
            select sum(r.amount_cents) from app.refunds as r
            where r.booking_id = b.id and r.status = 'succeeded'
        ), 0)::integer,
        coalesce((select sum(f.amount_cents) from app.booking_fees as f where f.booking_id = b.id), 0)::integer
    from app.bookings as b
    left join app.payments as p on b.id = p.booking_id
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION booking_money(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_money(p_booking_id uuid) IS 'A booking''s money: its payment, what was captured, refunds pending and succeeded, fees kept.';


--
-- Name: booking_party(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_party(p_booking_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select case
        when auth.role() = 'customer' and b.customer_id = auth.uid() then 'customer'
        when auth.role() = 'provider' and pr.owner_id = auth.uid() then 'provider'
        when auth.role() = 'ops' then 'ops'
    end
    from app.bookings as b
    inner join app.providers as pr on b.provider_id = pr.id
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION booking_party(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_party(p_booking_id uuid) IS 'The caller''s part in a booking: customer, provider (its owner), ops, or null (a stranger or no booking).';


--
-- Name: booking_payment(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_payment(p_booking_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.require(p_booking_id, 'booking_id');
    if not exists (
        select from app.bookings as b where b.id = p_booking_id and b.customer_id = auth.uid()
    ) then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.booking_json(p_booking_id, true);
end
$$;


--
-- Name: FUNCTION booking_payment(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_payment(p_booking_id uuid) IS 'The booking with its payment and client secret, for its own customer only. Definer: the secret is column-restricted.';


--
-- Name: booking_payout(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_payout(p_booking_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.require(p_booking_id, 'booking_id');
    if not exists (
        select from app.bookings as b
        inner join app.providers as pr on b.provider_id = pr.id
        where
            b.id = p_booking_id
            and (auth.role() = 'ops' or (auth.role() = 'provider' and pr.owner_id = auth.uid()))
    ) then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.payout_json(p_booking_id);
end
$$;


--
-- Name: FUNCTION booking_payout(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_payout(p_booking_id uuid) IS 'A booking''s split between provider and platform, for its provider''s owner and ops. Definer: reads the ledger.';


--
-- Name: booking_receipt(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_receipt(p_booking_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('customer', 'only the booking''s customer has its receipt', 'sign in first');
    perform internal.require(p_booking_id, 'booking_id');
    if not exists (select from app.bookings as b where b.id = p_booking_id and b.customer_id = auth.uid()) then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.booking_receipt_json(p_booking_id);
end
$$;


--
-- Name: FUNCTION booking_receipt(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_receipt(p_booking_id uuid) IS 'A booking''s receipt for its own customer (anyone else: not_found). Definer: it reads payments, refunds and disputes.';


--
-- Name: booking_receipt_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_receipt_json(p_booking_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'status', b.status,
        'service_name', s.name,
        'provider_name', p.business_name,
        'starts_at', pg_catalog.lower(b.during),
        'ends_at', pg_catalog.upper(b.during),
        'currency', b.currency,
        'price_cents', b.price_cents,
        'gst_cents', b.gst_cents,
        'qst_cents', b.qst_cents,
        'gst_rate', b.gst_rate,
        'qst_rate', b.qst_rate,
        'gst_number', b.gst_number,
        'qst_number', b.qst_number,
        'total_cents', b.price_cents + b.gst_cents + b.qst_cents,
        'deposit_cents', b.deposit_cents,
        'charge', pg_catalog.jsonb_build_object(
            'base_cents', c.base_cents, 'gst_cents', c.gst_cents, 'qst_cents', c.qst_cents,
            'total_cents', c.total_cents
        ),
        'paid_cents', coalesce(case when pay.status = 'succeeded' then pay.captured_cents end, 0),
        'paid_at', case when pay.status = 'succeeded' then pay.updated_at end,
        'refunded_cents', coalesce((
            select sum(r.amount_cents) from app.refunds as r where r.booking_id = b.id and r.status <> 'failed'
        ), 0),
        'fee_cents', coalesce((select sum(f.amount_cents) from app.booking_fees as f where f.booking_id = b.id), 0),
        'disputed_lost_cents', coalesce((
            select sum(d.amount_cents) from app.disputes as d where d.booking_id = b.id and d.outcome = 'lost'
        ), 0),
        'dispute_status', b.dispute_status
    ) || internal.balance_due_json(b.id)
    from app.bookings as b
    inner join app.services as s on b.service_id = s.id
    inner join app.providers as p on b.provider_id = p.id
    cross join internal.booking_first_charge(b) as c
    left join app.payments as pay on b.id = pay.booking_id
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION booking_receipt_json(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_receipt_json(p_booking_id uuid) IS 'A booking''s receipt: price, GST and QST (with the provider''s numbers), total, the deposit, the charge
(base and its taxes), what was paid, refunded (pending or done), kept as a fee and lost to a dispute; the
balance after a deposit and how it was paid (internal.balance_due_json).';


--
-- Name: booking_remainder(app.bookings); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_remainder(p_booking app.bookings) RETURNS TABLE(base_cents integer, gst_cents integer, qst_cents integer, total_cents integer)
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    -- no row without a deposit (the first charge was the whole price and its taxes)
    select r.base, r.gst, r.qst, r.base + r.gst + r.qst
    from internal.booking_first_charge(p_booking) as f
    cross join lateral (
        select
            p_booking.price_cents - f.base_cents,
            p_booking.gst_cents - f.gst_cents,
            p_booking.qst_cents - f.qst_cents
    ) as r (base, gst, qst)
    where p_booking.deposit_cents > 0 and r.base > 0
$$;


--
-- Name: FUNCTION booking_remainder(p_booking app.bookings); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_remainder(p_booking app.bookings) IS 'A booking''s balance after its deposit: price - deposit, and the booking''s GST and QST minus the
deposit''s (so deposit and balance add up to the booking''s taxes to the cent). No row without a deposit.';


--
-- Name: booking_transition_allowed(text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.booking_transition_allowed(p_from text, p_to text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select (p_from, p_to) in (
        ('pending_payment', 'confirmed'),
        ('pending_payment', 'expired'),
        ('pending_payment', 'cancelled'),
        ('confirmed', 'completed'),
        ('confirmed', 'no_show'),
        ('confirmed', 'cancelled')
    )
$$;


--
-- Name: FUNCTION booking_transition_allowed(p_from text, p_to text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.booking_transition_allowed(p_from text, p_to text) IS 'The booking state machine: whether a booking may move from one status to another.';


--
-- Name: bookings_append_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_append_events() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    -- live: the statuses that hold the provider's time (bookings_provider_id_blocked_excl);
    -- time that has passed can be neither booked nor freed, so nobody hears of it
    v_now timestamptz := pg_catalog.now();
    v_id bigint;
begin
    -- This is confirm's path: one insert statement and no nested function calls
    -- (each call of a function with a pinned search_path costs a save and restore).
    if tg_op = 'INSERT' then
        for v_id in
            insert into app.events (kind, booking_id, provider_id, customer_id, during, payload)
            select e.kind, e.booking_id, new.provider_id, e.customer_id, e.during, e.payload
            from (
                values
                (1, 'booking_created', new.id, new.customer_id, null::tstzrange, pg_catalog.jsonb_build_object(
                    'status', new.status,
                    'starts_at', pg_catalog.lower(new.during), 'ends_at', pg_catalog.upper(new.during)
                ), true),
                (2, 'availability_changed', null, null, new.blocked, '{}'::jsonb,
                    new.status in ('pending_payment', 'confirmed') and pg_catalog.upper(new.blocked) > v_now)
            ) as e (n, kind, booking_id, customer_id, during, payload, wanted)
            where e.wanted
            order by e.n
            returning id
        loop
            perform pg_catalog.pg_notify('bookiji_events', v_id::text);
        end loop;
        return null;
    end if;
    for v_id in
        insert into app.events (kind, booking_id, provider_id, customer_id, during, payload)
        select e.kind, e.booking_id, new.provider_id, e.customer_id, e.during, e.payload
        from (
            values
            (1, 'booking_status_changed', new.id, new.customer_id, null::tstzrange,
                pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                    'from', old.status, 'to', new.status, 'cancelled_by', new.cancelled_by_role
                )),
                new.status is distinct from old.status),
            -- a booking that ends frees its time
            (2, 'availability_changed', null, null, old.blocked, '{}'::jsonb,
                new.status is distinct from old.status
                and old.status in ('pending_payment', 'confirmed')
                and new.status not in ('pending_payment', 'confirmed')
                and pg_catalog.upper(old.blocked) > v_now),
            (3, 'booking_rescheduled', new.id, new.customer_id, null, pg_catalog.jsonb_build_object(
                'starts_at', pg_catalog.lower(new.during), 'ends_at', pg_catalog.upper(new.during),
                'previous_starts_at', pg_catalog.lower(old.during), 'previous_ends_at', pg_catalog.upper(old.during)
            ), new.during is distinct from old.during or new.blocked is distinct from old.blocked),
            -- a live booking that moves frees its old time and takes the new
            (4, 'availability_changed', null, null, old.blocked, '{}'::jsonb,
                new.blocked is distinct from old.blocked
                and new.status in ('pending_payment', 'confirmed')
                and pg_catalog.upper(old.blocked) > v_now),
            (5, 'availability_changed', null, null, new.blocked, '{}'::jsonb,
                new.blocked is distinct from old.blocked
                and new.status in ('pending_payment', 'confirmed')
                and pg_catalog.upper(new.blocked) > v_now)
        ) as e (n, kind, booking_id, customer_id, during, payload, wanted)
        where e.wanted
        order by e.n
        returning id
    loop
        perform pg_catalog.pg_notify('bookiji_events', v_id::text);
    end loop;
    return null;
end
$$;


--
-- Name: FUNCTION bookings_append_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_append_events() IS 'Trigger: a booking''s creation, status change and move go to the event log, with the time they take or free.';


--
-- Name: bookings_audit(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_audit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    if tg_op = 'INSERT' then
        perform internal.audit('booking.created', 'app.bookings', new.id::text, null, pg_catalog.to_jsonb(new));
    elsif new.status is distinct from old.status or new.during is distinct from old.during then
        perform internal.audit(
            'booking.' || case when new.status is distinct from old.status then new.status else 'moved' end,
            'app.bookings', new.id::text, pg_catalog.to_jsonb(old), pg_catalog.to_jsonb(new), new.cancel_reason
        );
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION bookings_audit(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_audit() IS 'Trigger: every booking creation, status change and move is written to audit.action_log with its actor.';


--
-- Name: bookings_check_taxes(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_check_taxes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    if (new.gst_rate, new.qst_rate, new.gst_number, new.qst_number, new.gst_cents, new.qst_cents)
        is distinct from (old.gst_rate, old.qst_rate, old.gst_number, old.qst_number, old.gst_cents, old.qst_cents) then
        perform internal.fail('invalid_input', 'a booking''s taxes never change');
    end if;
    return new;
end
$$;


--
-- Name: FUNCTION bookings_check_taxes(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_check_taxes() IS 'Trigger: refuse any change to a booking''s tax snapshot.';


--
-- Name: bookings_check_update(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_check_update() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    if new.status is distinct from old.status then
        if not internal.booking_transition_allowed(old.status, new.status) then
            perform internal.fail(
                'invalid_transition',
                pg_catalog.format('a %s booking cannot become %s', old.status, new.status)
            );
        end if;
        -- set by internal.transition_booking around its own update of this row, and nowhere else
        if pg_catalog.current_setting('bookiji.booking_transition', true) is distinct from old.id::text then
            perform internal.fail(
                'invalid_transition',
                'a booking''s status changes only through internal.transition_booking, with its event and notifications'
            );
        end if;
    end if;
    if new.customer_id is distinct from old.customer_id
        or new.provider_id is distinct from old.provider_id
        or new.service_id is distinct from old.service_id
        or new.price_cents is distinct from old.price_cents
        or new.deposit_cents is distinct from old.deposit_cents
        or new.currency is distinct from old.currency
        or new.cancel_notice_hours is distinct from old.cancel_notice_hours
        or new.cancel_fee_cents is distinct from old.cancel_fee_cents then
        perform internal.fail('invalid_input', 'a booking''s parties, price and policy never change');
    end if;
    new.updated_at := pg_catalog.now();
    return new;
end
$$;


--
-- Name: FUNCTION bookings_check_update(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_check_update() IS 'Trigger: refuse illegal status transitions, any status change not made by internal.transition_booking,
and changes to a booking''s parties, price and policy.';


--
-- Name: bookings_commission_snapshot(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_commission_snapshot() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_rate app.commission_rates;
begin
    if tg_op = 'INSERT' then
        select r.* into v_rate
        from app.services as s
        inner join app.commission_rates as r on s.category_id = r.category_id
        where s.id = new.service_id;
        new.commission_rate_bp := coalesce(v_rate.rate_bp, 0);
        new.commission_minimum_cents := coalesce(v_rate.minimum_cents, 0);
        new.commission_cents := internal.commission_cents(
            new.price_cents, new.commission_rate_bp, new.commission_minimum_cents
        );
    elsif new.commission_rate_bp is distinct from old.commission_rate_bp
        or new.commission_minimum_cents is distinct from old.commission_minimum_cents
        or new.commission_cents is distinct from old.commission_cents then
        perform internal.fail('invalid_input', 'a booking''s commission never changes');
    end if;
    return new;
end
$$;


--
-- Name: FUNCTION bookings_commission_snapshot(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_commission_snapshot() IS 'Trigger: a new booking keeps its category''s commission (rate, minimum, cents); it never changes after.';


--
-- Name: bookings_receipt(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_receipt() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    if exists (select from app.payments as p where p.booking_id = new.id and p.status = 'succeeded') then
        perform internal.notify(
            'payment_receipt', new.customer_id, 'payment_receipt:' || new.id::text,
            internal.booking_event_data(new.id)
            || pg_catalog.jsonb_build_object('receipt', internal.booking_receipt_json(new.id))
        );
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION bookings_receipt(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_receipt() IS 'Trigger: a booking confirmed by its payment emails its customer the receipt (once per booking).
Definer: it reads the payment and queues the notification for whoever confirmed it.';


--
-- Name: bookings_reliability(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_reliability() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    -- what the old row counted for (provider, ended, provider-cancelled, no_show), and the new one
    v_old_provider uuid;
    v_old_ended integer := 0;
    v_old_cancelled integer := 0;
    v_old_no_show integer := 0;
    v_new_provider uuid;
    v_new_ended integer := 0;
    v_new_cancelled integer := 0;
    v_new_no_show integer := 0;
begin
    if tg_op in ('UPDATE', 'DELETE') and old.status in ('completed', 'no_show', 'cancelled') then
        v_old_provider := old.provider_id;
        v_old_ended := 1;
        v_old_cancelled := (old.status = 'cancelled' and old.cancelled_by_role is not distinct from 'provider')::integer;
        v_old_no_show := (old.status = 'no_show')::integer;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.status in ('completed', 'no_show', 'cancelled') then
        v_new_provider := new.provider_id;
        v_new_ended := 1;
        v_new_cancelled := (new.status = 'cancelled' and new.cancelled_by_role is not distinct from 'provider')::integer;
        v_new_no_show := (new.status = 'no_show')::integer;
    end if;
    if (v_old_provider, v_old_cancelled, v_old_no_show) is not distinct from (v_new_provider, v_new_cancelled, v_new_no_show) then
        return null;
    end if;
    if v_old_ended = 1 then
        update app.providers as p
        set
            ended_bookings = p.ended_bookings - 1,
            provider_cancellations = p.provider_cancellations - v_old_cancelled,
            no_shows = p.no_shows - v_old_no_show,
            provider_cancellation_rate = internal.shrunk_rate(
                p.provider_cancellations - v_old_cancelled, p.ended_bookings - 1
            ),
            no_show_rate = internal.shrunk_rate(p.no_shows - v_old_no_show, p.ended_bookings - 1)
        where p.id = v_old_provider;
    end if;
    if v_new_ended = 1 then
        update app.providers as p
        set
            ended_bookings = p.ended_bookings + 1,
            provider_cancellations = p.provider_cancellations + v_new_cancelled,
            no_shows = p.no_shows + v_new_no_show,
            provider_cancellation_rate = internal.shrunk_rate(
                p.provider_cancellations + v_new_cancelled, p.ended_bookings + 1
            ),
            no_show_rate = internal.shrunk_rate(p.no_shows + v_new_no_show, p.ended_bookings + 1)
        where p.id = v_new_provider;
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION bookings_reliability(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_reliability() IS 'Trigger: keep the provider''s reliability counts and rates as its bookings reach an end (or are deleted).
Definer: whoever changes the booking (a customer cancelling) has no rights on the provider''s row.';


--
-- Name: bookings_snapshot_taxes(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.bookings_snapshot_taxes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    select t.gst_rate, t.qst_rate, t.gst_number, t.qst_number, t.gst_cents, t.qst_cents
    into new.gst_rate, new.qst_rate, new.gst_number, new.qst_number, new.gst_cents, new.qst_cents
    from internal.provider_taxes(new.provider_id, new.price_cents) as t;
    return new;
end
$$;


--
-- Name: FUNCTION bookings_snapshot_taxes(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.bookings_snapshot_taxes() IS 'Trigger: a new booking takes the taxes its provider charges now on its price (rates, numbers, cents).';


--
-- Name: busy_ranges(uuid, tstzrange, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.busy_ranges(p_provider_id uuid, p_within tstzrange, p_now timestamp with time zone) RETURNS tstzmultirange
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select coalesce(pg_catalog.range_agg(b.r), '{}'::pg_catalog.tstzmultirange)
    from (
        select t.during as r
        from app.time_off as t
        where t.provider_id = p_provider_id and t.during && p_within
        union all
        select k.blocked
        from app.bookings as k
        where
            k.provider_id = p_provider_id
            and k.blocked && p_within
            and k.status in ('pending_payment', 'confirmed')
            and (k.status = 'confirmed' or k.hold_expires_at is null or k.hold_expires_at >= p_now)
    ) as b
$$;


--
-- Name: FUNCTION busy_ranges(p_provider_id uuid, p_within tstzrange, p_now timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.busy_ranges(p_provider_id uuid, p_within tstzrange, p_now timestamp with time zone) IS 'Time off and live bookings (blocked ranges; expired holds excluded) of a provider that overlap p_within.';


--
-- Name: cancel_booking(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.cancel_booking(p_booking_id uuid, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_party text;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'cancelling a booking needs a signed-in user');
    end if;
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party = 'ops' then
        perform internal.fail('forbidden', 'ops cancel through ops_force_cancel');
    end if;
    return internal.cancel_booking_as(p_booking_id, v_party, pg_catalog.btrim(p_reason), true);
end
$$;


--
-- Name: FUNCTION cancel_booking(p_booking_id uuid, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.cancel_booking(p_booking_id uuid, p_reason text) IS 'Cancel a booking as its customer or its provider''s owner, under the booking''s policy.
Definer: writes bookings, refunds, fees and the queue, which no API role may write directly.';


--
-- Name: cancel_booking_as(uuid, text, text, boolean); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.cancel_booking_as(p_booking_id uuid, p_party text, p_reason text, p_refund boolean) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
    v_payment app.payments;
    v_terms jsonb;
    v_refund integer;
    v_fee integer;
    v_actor uuid := internal.current_user_id();
begin
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    if v_booking.status not in ('pending_payment', 'confirmed') then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot be cancelled', v_booking.status)
        );
    end if;
    -- After the start the customer has had (or missed) the service: never a refund by
    -- default. The provider marks it completed or no_show (mark_booking); ops can still
    -- force-cancel. cancellation_terms says the same to the preview.
    if p_party <> 'ops' and pg_catalog.now() >= pg_catalog.lower(v_booking.during) then
        perform internal.fail(
            'booking_started',
            'the booking has started, so it can no longer be cancelled; '
            || case when p_party = 'provider' then 'mark it completed or no_show instead'
                else 'ask the provider or support' end
        );
    end if;
    v_terms := internal.cancellation_terms(p_booking_id, p_party, pg_catalog.now());
    v_refund := case when p_refund then (v_terms ->> 'refund_cents')::integer else 0 end;
    v_fee := case when p_party = 'customer' then (v_terms ->> 'fee_cents')::integer else 0 end;

    -- the state machine writes it, tells both parties and cancels an unpaid PaymentIntent
    perform internal.transition_booking(
        p_booking_id, 'cancelled', p_party, p_reason,
        pg_catalog.jsonb_build_object('refund_cents', v_refund, 'cancelled_by_user', v_actor)
    );
    if v_refund > 0 then
        perform internal.request_refund(
            p_booking_id, v_refund, pg_catalog.left('cancelled by ' || p_party || ': ' || p_reason, 500),
            v_actor, p_party
        );
    end if;
    if v_fee > 0 then
        insert into app.booking_fees (booking_id, payment_id, kind, amount_cents)
        values (p_booking_id, v_payment.id, 'cancellation', v_fee);
    end if;
    return internal.booking_json(p_booking_id)
        || pg_catalog.jsonb_build_object('refund_cents', v_refund, 'fee_cents', v_fee, 'cancelled_by', p_party);
end
$$;


--
-- Name: FUNCTION cancel_booking_as(p_booking_id uuid, p_party text, p_reason text, p_refund boolean); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.cancel_booking_as(p_booking_id uuid, p_party text, p_reason text, p_refund boolean) IS 'Cancel a live booking for a party already checked: refund per policy, cancel an unpaid intent, notify.';


--
-- Name: cancellation_preview(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.cancellation_preview(p_booking_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_party text;
begin
    perform internal.require(p_booking_id, 'booking_id');
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.cancellation_terms(p_booking_id, v_party, pg_catalog.now());
end
$$;


--
-- Name: FUNCTION cancellation_preview(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.cancellation_preview(p_booking_id uuid) IS 'What cancelling now would refund the caller''s party, and when that changes. Definer: reads the ledger.';


--
-- Name: cancellation_terms(uuid, text, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.cancellation_terms(p_booking_id uuid, p_party text, p_now timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
    v_money record;
    v_left integer;
    v_late integer;
    v_deadline timestamptz;
    v_in_time boolean;
    v_refusal text;
    v_refund integer;
begin
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    select * into strict v_money from internal.booking_money(p_booking_id);
    v_left := greatest(0, v_money.captured_cents - v_money.refund_pending_cents - v_money.refund_succeeded_cents);
    -- late: the captured amount minus the fee, never below 0, never more than is left
    v_late := greatest(0, least(v_left, v_money.captured_cents - v_booking.cancel_fee_cents));
    v_deadline := pg_catalog.lower(v_booking.during) - pg_catalog.make_interval(hours => v_booking.cancel_notice_hours);
    v_in_time := p_now <= v_deadline;
    -- what cancel_booking_as would refuse, with the same code (null: it would cancel)
    v_refusal := case
        when v_booking.status not in ('pending_payment', 'confirmed') then 'invalid_transition'
        when p_party <> 'ops' and p_now >= pg_catalog.lower(v_booking.during) then 'booking_started'
    end;
    v_refund := case
        when v_refusal is not null then 0
        when p_party = 'customer' and not v_in_time then v_late
        else v_left
    end;
    return pg_catalog.jsonb_build_object(
        'booking_id', v_booking.id,
        'status', v_booking.status,
        'can_cancel', v_refusal is null,
        'refusal', v_refusal,
        -- customers and providers cancel only before the start; ops at any time
        'cancellable_until', case when p_party <> 'ops' then pg_catalog.lower(v_booking.during) end,
        'cancelled_by', p_party,
        'currency', v_booking.currency,
        'captured_cents', v_money.captured_cents,
        'already_refunded_cents', v_money.refund_pending_cents + v_money.refund_succeeded_cents,
        'refund_cents', v_refund,
        'fee_cents', case when v_refusal is null then v_left - v_refund else 0 end,
        'cancel_notice_hours', v_booking.cancel_notice_hours,
        'cancel_fee_cents', v_booking.cancel_fee_cents,
        'deadline', v_deadline,
        'within_notice', p_party = 'customer' and v_in_time,
        -- when the answer changes for this caller, and to what (null: it will not)
        'changes_at', case when p_party = 'customer' and v_in_time and v_late <> v_left then v_deadline end,
        'refund_after_change_cents', case when p_party = 'customer' and v_in_time and v_late <> v_left then v_late end
    );
end
$$;


--
-- Name: FUNCTION cancellation_terms(p_booking_id uuid, p_party text, p_now timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.cancellation_terms(p_booking_id uuid, p_party text, p_now timestamp with time zone) IS 'What cancelling a booking at p_now by p_party would refund and keep, and the deadline where that changes.';


--
-- Name: check_invariants(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.check_invariants() RETURNS TABLE(rule text, violations bigint, example text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select 'no two live bookings of a provider overlap', count(*), min(a.id::text)
    from app.bookings as a
    inner join app.bookings as b
        on a.provider_id = b.provider_id and a.id < b.id and a.blocked && b.blocked
    where a.status in ('pending_payment', 'confirmed') and b.status in ('pending_payment', 'confirmed')
    union all
    select 'refunds never exceed what was captured', count(*), min(x.booking_id::text)
    from (
        select p.booking_id
        from app.payments as p
        inner join app.refunds as r on r.payment_id = p.id and r.status <> 'failed'
        group by p.id, p.booking_id, p.captured_cents
        having sum(r.amount_cents) > p.captured_cents
    ) as x
    union all
    select 'fees never exceed the charge', count(*), min(x.booking_id::text)
    from (
        select f.booking_id
        from app.booking_fees as f
        inner join app.payments as p on f.payment_id = p.id
        group by f.booking_id, p.captured_cents
        having sum(f.amount_cents) > p.captured_cents
    ) as x
    union all
    select 'no booking is confirmed without a payment', count(*), min(b.id::text)
    from app.bookings as b
    inner join app.payments as p on p.booking_id = b.id
    where b.status in ('confirmed', 'completed', 'no_show') and p.status <> 'succeeded'
    union all
    select 'every status a booking reached is audited', count(*), min(b.id::text)
    from app.bookings as b
    where not exists (
        select from audit.action_log as l
        where l.table_name = 'app.bookings' and l.row_id = b.id::text
            and (
                l.action = 'booking.' || b.status
                -- created in that status (a free service is confirmed at once)
                or (l.action = 'booking.created' and l.after ->> 'status' = b.status)
            )
    )
$$;


--
-- Name: FUNCTION check_invariants(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.check_invariants() IS 'The database''s promises checked after the fact: overlaps, over-refunds, fees, unpaid confirmations, unaudited changes.';


--
-- Name: check_notification_data(text, jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.check_notification_data(p_event text, p_data jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
declare
    v_required text [];
    v_key text;
    v_starts timestamptz;
    v_ends timestamptz;
begin
    select e.required_keys into v_required
    from internal.notification_events() as e
    where e.event = p_event;
    if v_required is null then
        perform internal.fail('invalid_input', pg_catalog.format(
            'event must be one of: %s',
            (select pg_catalog.string_agg(e.event, ', ') from internal.notification_events() as e)
        ));
    end if;
    if p_data is null or pg_catalog.jsonb_typeof(p_data) <> 'object' then
        perform internal.fail('invalid_input', 'data must be a JSON object');
    end if;
    foreach v_key in array v_required loop
        if coalesce(pg_catalog.jsonb_typeof(p_data -> v_key), 'null') = 'null' then
            perform internal.fail(
                'invalid_input', pg_catalog.format('data.%s is required for %s', v_key, p_event)
            );
        end if;
    end loop;

    foreach v_key in array array['token', 'service_name', 'provider_name', 'customer_name'] loop
        if p_data ? v_key and (
            pg_catalog.jsonb_typeof(p_data -> v_key) <> 'string'
            or pg_catalog.char_length(p_data ->> v_key) not between 1 and 200
        ) then
            perform internal.fail(
                'invalid_input', pg_catalog.format('data.%s must be a string of 1 to 200 characters', v_key)
            );
        end if;
    end loop;
    foreach v_key in array array['booking_id', 'entry_id', 'service_id'] loop
        if p_data ? v_key and coalesce(p_data ->> v_key, '')
            !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
            perform internal.fail('invalid_input', pg_catalog.format('data.%s must be a uuid', v_key));
        end if;
    end loop;
    if p_data ? 'provider_time_zone' then
        if coalesce(p_data ->> 'provider_time_zone', '') !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$' then
            perform internal.fail('invalid_input', 'data.provider_time_zone must be an IANA time zone name');
        end if;
        begin
            perform pg_catalog.now() at time zone (p_data ->> 'provider_time_zone');
        exception when invalid_parameter_value then
            perform internal.fail('invalid_input', 'data.provider_time_zone must be an IANA time zone name');
        end;
    end if;
    foreach v_key in array array['starts_at', 'ends_at'] loop
        if p_data ? v_key then
            begin
                -- an explicit offset (Z or +hh:mm): never the session's time zone
                if pg_catalog.jsonb_typeof(p_data -> v_key) <> 'string'
                    or (p_data ->> v_key) !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' then
                    raise invalid_datetime_format;
                end if;
                v_ends := (p_data ->> v_key)::timestamptz;
                if v_key = 'starts_at' then
                    v_starts := v_ends;
                end if;
            exception when invalid_datetime_format or datetime_field_overflow then
                perform internal.fail(
                    'invalid_input', pg_catalog.format('data.%s must be an ISO 8601 timestamp with an offset (UTC: Z)', v_key)
                );
            end;
        end if;
    end loop;
    if p_data ? 'starts_at' and p_data ? 'ends_at' and v_ends <= v_starts then
        perform internal.fail('invalid_input', 'data.ends_at must be after data.starts_at');
    end if;
    foreach v_key in array array['price_cents', 'refund_cents', 'ics_sequence'] loop
        if p_data ? v_key and (
            pg_catalog.jsonb_typeof(p_data -> v_key) <> 'number'
            or (p_data ->> v_key)::numeric < 0
            or (p_data ->> v_key)::numeric <> pg_catalog.trunc((p_data ->> v_key)::numeric)
            or (p_data ->> v_key)::numeric > 2147483647
        ) then
            perform internal.fail(
                'invalid_input', pg_catalog.format('data.%s must be a whole number, zero or more', v_key)
            );
        end if;
    end loop;
    if p_data ? 'stars' and (
        pg_catalog.jsonb_typeof(p_data -> 'stars') <> 'number'
        or (p_data ->> 'stars') not in ('1', '2', '3', '4', '5')
    ) then
        perform internal.fail('invalid_input', 'data.stars must be a whole number from 1 to 5');
    end if;
    foreach v_key in array array['receipt', 'dispute'] loop
        if p_data ? v_key and pg_catalog.jsonb_typeof(p_data -> v_key) <> 'object' then
            perform internal.fail('invalid_input', pg_catalog.format('data.%s must be a JSON object', v_key));
        end if;
    end loop;
    if p_data ? 'currency' and coalesce(p_data ->> 'currency', '') !~ '^[A-Za-z]{3}$' then
        perform internal.fail('invalid_input', 'data.currency must be a three-letter ISO 4217 code');
    end if;
    if p_data ? 'cancelled_by'
        and coalesce(p_data ->> 'cancelled_by', '') not in ('customer', 'provider', 'ops', 'system') then
        perform internal.fail(
            'invalid_input', 'data.cancelled_by must be ''customer'', ''provider'', ''ops'' or ''system'''
        );
    end if;
end
$_$;


--
-- Name: FUNCTION check_notification_data(p_event text, p_data jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.check_notification_data(p_event text, p_data jsonb) IS 'Refuse an unknown notification event or data that breaks its contract (400 invalid_input naming data.<key>).';


--
-- Name: check_stars(integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.check_stars(p_stars integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
    if p_stars is not null and p_stars not between 1 and 5 then
        perform internal.fail('invalid_input', 'stars must be a whole number from 1 to 5');
    end if;
end
$$;


--
-- Name: FUNCTION check_stars(p_stars integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.check_stars(p_stars integer) IS 'Refuse stars outside 1..5 (400 invalid_input).';


--
-- Name: check_time_zones_inserted(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.check_time_zones_inserted() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_bad text;
begin
    -- @plpgsql_check_options: newtable = new_rows
    -- Statement level: pg_timezone_names costs tens of milliseconds, so it is
    -- read once per statement (a COPY of 100k providers included), not per row.
    select n.time_zone into v_bad
    from new_rows as n
    where n.time_zone not in (select z.name from pg_catalog.pg_timezone_names as z)
    limit 1;
    if found then
        perform internal.fail(
            'invalid_input', pg_catalog.format('time_zone %L is not a known IANA time zone', v_bad)
        );
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION check_time_zones_inserted(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.check_time_zones_inserted() IS 'Statement trigger: refuse providers whose time_zone is not in pg_timezone_names (invalid_input).';


--
-- Name: check_time_zones_updated(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.check_time_zones_updated() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_bad text;
begin
    -- @plpgsql_check_options: oldtable = old_rows, newtable = new_rows
    -- Only changed time zones are looked up, so other updates cost nothing.
    select n.time_zone into v_bad
    from new_rows as n
    inner join old_rows as o on n.id = o.id
    where
        n.time_zone is distinct from o.time_zone
        and n.time_zone not in (select z.name from pg_catalog.pg_timezone_names as z)
    limit 1;
    if found then
        perform internal.fail(
            'invalid_input', pg_catalog.format('time_zone %L is not a known IANA time zone', v_bad)
        );
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION check_time_zones_updated(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.check_time_zones_updated() IS 'Statement trigger: refuse a change of time_zone to a name not in pg_timezone_names (invalid_input).';


--
-- Name: checked_queue(text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.checked_queue(p_queue text, p_field text DEFAULT 'queue'::text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    if p_queue is null or not (p_queue = any(internal.queue_names())) then
        perform internal.fail(
            'invalid_input',
            pg_catalog.format(
                '%s must be one of: %s',
                p_field,
                pg_catalog.array_to_string(internal.queue_names(), ', ')
            )
        );
    end if;
    return p_queue;
end
$$;


--
-- Name: FUNCTION checked_queue(p_queue text, p_field text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.checked_queue(p_queue text, p_field text) IS 'Return the queue name when it is a known work queue; refuse anything else (invalid_input naming the field).';


--
-- Name: client_network(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.client_network() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
    -- nginx overwrites X-Real-IP with the connection's address (auth.client_addr);
    -- outside HTTP (the worker, the CLI, tests in SQL) there is none: null
    v_addr text := nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-real-ip';
    v_inet inet;
begin
    if v_addr is null then
        return null;
    end if;
    begin
        v_inet := v_addr::inet;
    exception when invalid_text_representation then
        return pg_catalog.left(v_addr, 100);
    end;
    -- one IPv6 subscriber gets a whole /64: count it as one address
    if pg_catalog.family(v_inet) = 6 then
        return pg_catalog.network(pg_catalog.set_masklen(v_inet, 64))::text;
    end if;
    return pg_catalog.host(v_inet);
end
$$;


--
-- Name: FUNCTION client_network(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.client_network() IS 'The client''s network for per-address limits: its IPv4 address or IPv6 /64 (from X-Real-IP), null outside HTTP.';


--
-- Name: commission_cents(integer, integer, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.commission_cents(p_price_cents integer, p_rate_bp integer, p_minimum_cents integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    -- price x rate, rounded half up to the cent; never below the minimum, never above the price
    select least(
        p_price_cents,
        greatest(p_minimum_cents, ((p_price_cents::bigint * p_rate_bp * 2 + 10000) / 20000)::integer)
    )
$$;


--
-- Name: FUNCTION commission_cents(p_price_cents integer, p_rate_bp integer, p_minimum_cents integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.commission_cents(p_price_cents integer, p_rate_bp integer, p_minimum_cents integer) IS 'The commission on a price: price x rate_bp / 10000 rounded half up, at least the minimum, at most the price.';


--
-- Name: commission_rates(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.commission_rates() RETURNS TABLE(category text, rate_bp integer, minimum_cents integer, updated_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff can read the commission rates');
    return query
    select c.slug, r.rate_bp, r.minimum_cents, r.updated_at
    from app.service_categories as c
    inner join app.commission_rates as r on c.id = r.category_id
    order by c.sort_order, c.slug;
end
$$;


--
-- Name: FUNCTION commission_rates(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.commission_rates() IS 'Every category''s commission (ops only). Definer: app.commission_rates is read by nobody else.';


--
-- Name: complete_due_bookings(integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.complete_due_bookings(p_limit integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_id uuid;
    v_count integer := 0;
begin
    -- skip locked: a booking another transaction is changing is left for the next sweep
    for v_id in
        select b.id from app.bookings as b
        where
            b.status = 'confirmed'
            and pg_catalog.upper(b.during) <= pg_catalog.now() - pg_catalog.make_interval(
                mins => coalesce(internal.setting('complete_after_minutes')::integer, 120)
            )
        order by pg_catalog.upper(b.during)
        limit p_limit
        for no key update skip locked
    loop
        perform internal.transition_booking(v_id, 'completed', 'system');
        v_count := v_count + 1;
    end loop;
    return v_count;
end
$$;


--
-- Name: FUNCTION complete_due_bookings(p_limit integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.complete_due_bookings(p_limit integer) IS 'Complete confirmed bookings that ended more than complete_after_minutes ago (for internal.sweep).';


--
-- Name: confirm_booking(uuid, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.confirm_booking(p_quote_id uuid, p_provider_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_customer uuid := auth.uid();
    v_headers jsonb := coalesce(nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb, '{}');
    v_key text := nullif(pg_catalog.btrim(coalesce(v_headers ->> 'idempotency-key', '')), '');
    v_quote app.quotes;
    v_item app.quote_items;
    v_booking_id uuid;
    v_during tstzrange;
    v_blocked tstzrange;
    v_email_confirmed boolean;
    -- 'off' lifts the per-address limit (benchmarks, whose clients share one address)
    v_network text := case when internal.setting('max_live_holds_per_address') is distinct from 'off'
        then internal.client_network() end;
    v_result jsonb;
begin
    perform internal.require_role(
        'customer', 'only customers can confirm bookings', 'confirming a booking needs a signed-in customer'
    );
    perform internal.require(p_quote_id, 'quote_id');
    perform internal.require(p_provider_id, 'provider_id');

    -- step 1: the same key and body return the first answer
    if v_key is not null then
        v_result := internal.idempotency_claim(v_customer, v_key, p_quote_id::text || ':' || p_provider_id::text);
        if v_result is not null then
            return v_result;
        end if;
    end if;

    -- step 2: the quoted offer (the caller's own quote) and its slot
    select * into v_quote from app.quotes as q where q.id = p_quote_id and q.customer_id = v_customer;
    if not found then
        perform internal.fail('not_found', 'no such quote');
    end if;
    select * into v_item from app.quote_items as i where i.quote_id = p_quote_id and i.provider_id = p_provider_id;
    if not found then
        perform internal.fail('not_found', 'this provider was not offered in the quote');
    end if;
    v_during := pg_catalog.tstzrange(
        v_quote.starts_at, v_quote.starts_at + pg_catalog.make_interval(mins => v_item.duration_minutes), '[)'
    );
    v_blocked := pg_catalog.tstzrange(
        pg_catalog.lower(v_during) - pg_catalog.make_interval(mins => v_item.buffer_before_minutes),
        pg_catalog.upper(v_during) + pg_catalog.make_interval(mins => v_item.buffer_after_minutes),
        '[)'
    );

    -- step 3: everything below runs under the provider, customer and network locks
    perform internal.confirm_lock(p_provider_id, v_customer, v_network);

    -- step 4: a customer who confirms again while holding this very slot gets that hold back
    v_booking_id := internal.live_hold_of(v_customer, p_provider_id, v_during);
    if v_booking_id is null then
        if v_quote.expires_at <= pg_catalog.now() then
            perform internal.fail('quote_expired', 'the quote has expired; ask for a new quote');
        end if;
        -- steps 5 to 8: the limits, the slot, the hold, its payment
        v_email_confirmed := internal.confirm_check_hold_limits(v_customer, v_network);
        perform internal.confirm_check_slot(p_provider_id, v_item.service_id, v_quote.starts_at, v_blocked);
        v_booking_id := internal.confirm_insert_hold(
            v_customer, v_item, v_during, v_blocked, v_email_confirmed, v_network
        );
        perform internal.confirm_start_payment(v_booking_id, v_item);
    end if;
    v_result := internal.booking_json(v_booking_id, true);

    -- step 9
    if v_key is not null then
        perform internal.idempotency_store(v_customer, v_key, v_result);
    end if;
    return v_result;
end
$$;


--
-- Name: FUNCTION confirm_booking(p_quote_id uuid, p_provider_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.confirm_booking(p_quote_id uuid, p_provider_id uuid) IS 'Turn a quoted offer into a hold awaiting payment (and its payment request), serialised per provider.
Definer: writes bookings, payments and the queue for a customer who may do none of that directly.';


--
-- Name: confirm_check_hold_limits(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.confirm_check_hold_limits(p_customer_id uuid, p_network text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
-- Decides whether one more hold is allowed (too_many_holds if not), and
-- answers whether the customer's email is confirmed (it sets the hold's
-- length). Slot hoarding (docs/security.md): holds are free and so are
-- accounts. An account whose email is not confirmed holds fewer slots, for
-- less time; and one client network holds at most so many, whichever accounts
-- it uses. Each count stops at its limit: the answer is the same, the cost
-- bounded.
declare
    v_email_confirmed boolean;
    v_max_holds integer;
    v_max_network_holds integer;
begin
    select u.email_confirmed_at is not null into v_email_confirmed from app.users as u where u.id = p_customer_id;
    v_email_confirmed := coalesce(v_email_confirmed, false);
    v_max_holds := greatest(coalesce(
        case when v_email_confirmed
            then internal.setting('max_live_holds_per_customer')::integer
            else internal.setting('max_live_holds_unconfirmed')::integer
        end,
        case when v_email_confirmed then 5 else 1 end
    ), 0);
    if (
        select count(*) from (
            select from app.bookings as b
            where
                b.customer_id = p_customer_id and b.status = 'pending_payment'
                and b.hold_expires_at > pg_catalog.now()
            limit v_max_holds
        ) as live
    ) >= v_max_holds then
        perform internal.fail(
            'too_many_holds',
            case when v_email_confirmed
                then 'you have too many bookings awaiting payment; pay for one or let it expire'
                else pg_catalog.format(
                    'until your email address is confirmed you can hold %s booking(s) awaiting payment at once; '
                    || 'pay for it or let it expire, and confirm your email', v_max_holds
                )
            end
        );
    end if;
    if p_network is not null then
        v_max_network_holds := greatest(
            coalesce(internal.setting('max_live_holds_per_address')::integer, 10), 0
        );
        if (
            select count(*) from (
                select from app.bookings as b
                where
                    b.held_from = p_network and b.status = 'pending_payment'
                    and b.hold_expires_at > pg_catalog.now()
                limit v_max_network_holds
            ) as live
        ) >= v_max_network_holds then
            perform internal.fail(
                'too_many_holds',
                'too many bookings are awaiting payment from your network; pay for one or let it expire'
            );
        end if;
    end if;
    return v_email_confirmed;
end
$$;


--
-- Name: FUNCTION confirm_check_hold_limits(p_customer_id uuid, p_network text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.confirm_check_hold_limits(p_customer_id uuid, p_network text) IS 'Step 5 of internal.confirm_booking: refuse a hold past the account''s or the network''s limit; true if the email is confirmed.';


--
-- Name: confirm_check_slot(uuid, uuid, timestamp with time zone, tstzrange); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.confirm_check_slot(p_provider_id uuid, p_service_id uuid, p_starts_at timestamp with time zone, p_blocked tstzrange) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
-- Decides whether the quoted offer can still be held (slot_unavailable if
-- not): provider and service still active, the minimum notice still met, the
-- blocked range free. Holds whose time is up no longer block, even before the
-- sweep has run: those overlapping the range are expired first.
declare
    v_provider app.providers;
    v_service app.services;
begin
    perform internal.expire_hold(b.id)
    from app.bookings as b
    where
        b.provider_id = p_provider_id and b.status = 'pending_payment'
        and b.hold_expires_at <= pg_catalog.now() and b.blocked && p_blocked;

    select * into v_provider from app.providers as p where p.id = p_provider_id;
    select * into v_service from app.services as s where s.id = p_service_id;
    if not v_provider.is_active or not v_service.is_active then
        perform internal.fail('slot_unavailable', 'this provider no longer offers the service');
    end if;
    if p_starts_at < pg_catalog.now() + pg_catalog.make_interval(mins => v_service.min_notice_minutes) then
        perform internal.fail('slot_unavailable', 'it is now too late to book this slot');
    end if;
    if not internal.slot_is_free(p_provider_id, v_provider.time_zone, p_blocked, pg_catalog.now()) then
        perform internal.fail('slot_unavailable', 'this slot is no longer available');
    end if;
end
$$;


--
-- Name: FUNCTION confirm_check_slot(p_provider_id uuid, p_service_id uuid, p_starts_at timestamp with time zone, p_blocked tstzrange); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.confirm_check_slot(p_provider_id uuid, p_service_id uuid, p_starts_at timestamp with time zone, p_blocked tstzrange) IS 'Step 6 of internal.confirm_booking: refuse (slot_unavailable) an offer withdrawn, too late, or no longer free.';


--
-- Name: confirm_insert_hold(uuid, app.quote_items, tstzrange, tstzrange, boolean, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.confirm_insert_hold(p_customer_id uuid, p_item app.quote_items, p_during tstzrange, p_blocked tstzrange, p_email_confirmed boolean, p_network text) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
-- Decides the hold: a booking awaiting payment at the quoted price and policy,
-- held for hold_seconds (hold_seconds_unconfirmed until the email is
-- confirmed), or with no time limit when there is nothing to pay. A race lost
-- to another booking under the exclusion constraint is slot_unavailable.
declare
    v_amount integer := case when p_item.deposit_cents > 0 then p_item.deposit_cents else p_item.price_cents end;
    v_booking_id uuid;
begin
    insert into app.bookings (
        customer_id, provider_id, service_id, quote_id, during, blocked, status, hold_expires_at,
        price_cents, deposit_cents, currency, cancel_notice_hours, cancel_fee_cents, held_from
    )
    values (
        p_customer_id, p_item.provider_id, p_item.service_id, p_item.quote_id, p_during, p_blocked,
        'pending_payment',
        case when v_amount > 0 then
            pg_catalog.now()
            + pg_catalog.make_interval(secs => case when p_email_confirmed
                then coalesce(internal.setting('hold_seconds')::integer, 900)
                else coalesce(internal.setting('hold_seconds_unconfirmed')::integer, 300)
            end)
        end,
        p_item.price_cents, p_item.deposit_cents, p_item.currency,
        p_item.cancel_notice_hours, p_item.cancel_fee_cents, p_network
    )
    returning id into v_booking_id;
    return v_booking_id;
exception when exclusion_violation then
    perform internal.fail('slot_unavailable', 'this slot was just taken');
    return null;
end
$$;


--
-- Name: FUNCTION confirm_insert_hold(p_customer_id uuid, p_item app.quote_items, p_during tstzrange, p_blocked tstzrange, p_email_confirmed boolean, p_network text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.confirm_insert_hold(p_customer_id uuid, p_item app.quote_items, p_during tstzrange, p_blocked tstzrange, p_email_confirmed boolean, p_network text) IS 'Step 7 of internal.confirm_booking: insert the hold for the quoted offer; a lost race is slot_unavailable.';


--
-- Name: confirm_lock(uuid, uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.confirm_lock(p_provider_id uuid, p_customer_id uuid, p_network text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
-- Decides the order of confirm's advisory locks, the only one there is:
-- provider, then customer, then network.
begin
    perform internal.provider_lock(p_provider_id);
    -- The hold limit counts across providers, so the provider lock does not
    -- serialise it: one customer's confirmations take turns here (always after
    -- the provider lock, never before one, so no two orders can deadlock).
    perform internal.customer_lock(p_customer_id);
    -- and one network's confirmations, for the per-address limit (always last)
    if p_network is not null then
        perform internal.network_lock(p_network);
    end if;
end
$$;


--
-- Name: FUNCTION confirm_lock(p_provider_id uuid, p_customer_id uuid, p_network text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.confirm_lock(p_provider_id uuid, p_customer_id uuid, p_network text) IS 'Step 3 of internal.confirm_booking: take the provider, customer and network locks, in that order.';


--
-- Name: confirm_start_payment(uuid, app.quote_items); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.confirm_start_payment(p_booking_id uuid, p_item app.quote_items) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
-- Decides what follows the hold: nothing to pay (no deposit, free service)
-- confirms it at once, through the state machine (its event and
-- notifications with it); otherwise a payment of the deposit (or the price),
-- taxes included (39_taxes.sql), and a request to the worker to create its PaymentIntent.
declare
    v_amount integer := internal.booking_first_charge_cents(p_booking_id);
    v_payment_id uuid;
begin
    if v_amount = 0 then
        perform internal.transition_booking(p_booking_id, 'confirmed', 'customer');
        return;
    end if;
    insert into app.payments (booking_id, amount_cents, currency)
    values (p_booking_id, v_amount, p_item.currency)
    returning id into v_payment_id;
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'payment.create_intent', 'booking_id', p_booking_id, 'payment_id', v_payment_id
    ));
end
$$;


--
-- Name: FUNCTION confirm_start_payment(p_booking_id uuid, p_item app.quote_items); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.confirm_start_payment(p_booking_id uuid, p_item app.quote_items) IS 'Step 8 of internal.confirm_booking: confirm a booking with nothing to pay, or record its payment and queue its PaymentIntent.';


--
-- Name: constraint_errors(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.constraint_errors() RETURNS TABLE(constraint_name text, code text, message text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select v.constraint_name, v.code, v.message
    from (
        values
        -- users
        ('users_pkey', 'conflict', 'this account already exists'),
        ('users_email_key', 'email_taken', 'an account with this email already exists'),
        ('users_email_check', 'invalid_input', 'email must be an address (at most 254 characters)'),
        ('users_full_name_check', 'invalid_input', 'full_name must be 1 to 200 characters'),
        ('users_locale_check', 'invalid_input', 'locale must be en or fr'),
        ('users_phone_check', 'invalid_input', 'phone must be in E.164 form (+15145550123)'),
        ('users_role_check', 'invalid_input', 'role must be customer or provider'),
        -- service categories
        ('service_categories_pkey', 'conflict', 'this category already exists'),
        ('service_categories_slug_key', 'conflict', 'a category with this slug already exists'),
        ('service_categories_slug_check', 'invalid_input', 'slug must be 2 to 40 lowercase letters, digits or dashes'),
        ('service_categories_name_en_check', 'invalid_input', 'name_en must be 1 to 80 characters'),
        ('service_categories_name_fr_check', 'invalid_input', 'name_fr must be 1 to 80 characters'),
        -- providers
        ('providers_pkey', 'conflict', 'this provider profile already exists'),
        ('providers_owner_id_key', 'conflict', 'you already have a provider profile; update it instead (PATCH /my_provider)'),
        ('providers_owner_id_fkey', 'not_found', 'the owner account does not exist'),
        ('providers_business_name_check', 'invalid_input', 'business_name must be 1 to 200 characters'),
        ('providers_contact_email_check', 'invalid_input', 'contact_email must be an address (at most 254 characters)'),
        ('providers_contact_phone_check', 'invalid_input', 'contact_phone must be in E.164 form (+15145550123)'),
        ('providers_description_check', 'invalid_input', 'description must be at most 4000 characters'),
        ('providers_lat_check', 'invalid_input', 'lat must be between -90 and 90'),
        ('providers_lng_check', 'invalid_input', 'lng must be between -180 and 180'),
        ('providers_service_radius_km_check', 'invalid_input', 'service_radius_km must be more than 0 and at most 200'),
        ('providers_time_zone_check', 'invalid_input', 'time_zone must be 1 to 64 characters'),
        ('providers_rating_avg_check', 'internal_error', 'the rating could not be recorded'),
        (
            'providers_suspended_inactive_check', 'provider_suspended',
            'is_active cannot be set: Bookiji suspended this provider; only Bookiji staff can reinstate it'
        ),
        ('providers_suspension_check', 'internal_error', 'the suspension could not be recorded'),
        ('providers_suspended_by_fkey', 'internal_error', 'the suspension could not be recorded'),
        ('providers_rating_count_check', 'internal_error', 'the rating could not be recorded'),
        -- services
        ('services_pkey', 'conflict', 'this service already exists'),
        ('services_provider_id_fkey', 'invalid_input', 'provider_id must be your provider profile''s id'),
        ('services_category_id_fkey', 'invalid_input', 'category_id must be one of GET /service_categories'),
        ('services_buffer_after_minutes_check', 'invalid_input', 'buffer_after_minutes must be between 0 and 240'),
        ('services_buffer_before_minutes_check', 'invalid_input', 'buffer_before_minutes must be between 0 and 240'),
        ('services_cancel_fee_cents_check', 'invalid_input', 'cancel_fee_cents must be between 0 and price_cents'),
        ('services_cancel_notice_hours_check', 'invalid_input', 'cancel_notice_hours must be between 0 and 720'),
        ('services_currency_check', 'invalid_input', 'currency must be CAD'),
        ('services_deposit_cents_check', 'invalid_input', 'deposit_cents must be between 0 and price_cents'),
        ('services_description_check', 'invalid_input', 'description must be at most 4000 characters'),
        ('services_duration_minutes_check', 'invalid_input', 'duration_minutes must be between 5 and 1440'),
        ('services_max_days_ahead_check', 'invalid_input', 'max_days_ahead must be between 1 and 730'),
        ('services_min_notice_minutes_check', 'invalid_input', 'min_notice_minutes must be between 0 and 43200'),
        ('services_name_check', 'invalid_input', 'name must be 1 to 200 characters'),
        ('services_price_cents_check', 'invalid_input', 'price_cents must be between 0 and 100000000'),
        -- weekly hours and time off
        ('weekly_hours_pkey', 'conflict', 'these hours already exist'),
        ('weekly_hours_provider_id_fkey', 'invalid_input', 'provider_id must be your provider profile''s id'),
        ('weekly_hours_day_of_week_check', 'invalid_input', 'day_of_week must be between 0 (Sunday) and 6'),
        ('weekly_hours_end_time_check', 'invalid_input', 'end_time must be after start_time'),
        (
            'weekly_hours_provider_id_day_of_week_excl', 'conflict',
            'these hours (day_of_week, start_time to end_time) overlap hours you already have that day'
        ),
        ('time_off_pkey', 'conflict', 'this time off already exists'),
        ('time_off_provider_id_fkey', 'invalid_input', 'provider_id must be your provider profile''s id'),
        ('time_off_during_check', 'invalid_input', 'during must be a non-empty range with a start and an end'),
        ('time_off_reason_check', 'invalid_input', 'reason must be at most 500 characters'),
        ('time_off_provider_id_during_excl', 'conflict', 'this time off (during) overlaps time off you already have'),
        -- quotes
        ('quotes_pkey', 'conflict', 'this quote already exists'),
        ('quotes_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('quotes_category_id_fkey', 'invalid_input', 'category must be one of GET /service_categories'),
        ('quotes_expires_at_check', 'internal_error', 'the quote could not be recorded'),
        ('quotes_radius_km_check', 'invalid_input', 'radius_km must be more than 0 and at most 100'),
        ('quotes_ranking_version_fkey', 'internal_error', 'the quote could not be recorded'),
        ('ranking_versions_pkey', 'conflict', 'this ranking version already exists'),
        ('ranking_versions_version_check', 'invalid_input', 'a ranking version is a number from 1'),
        ('ranking_versions_weights_check', 'invalid_input',
            'ranking weights must be at least 0 (distance above 0, personal at most 1)'),
        ('ranking_versions_weights_sum_check', 'invalid_input',
            'the distance, rating, price and reliability weights must add up to 1'),
        ('ranking_versions_source_check', 'invalid_input', 'a ranking version''s source is fixed or trained'),
        ('ranking_versions_note_check', 'invalid_input', 'a ranking version''s note has at most 500 characters'),
        ('quote_items_pkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_quote_id_rank_key', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_quote_id_fkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_provider_id_fkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_service_id_fkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_cancel_fee_cents_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_deposit_cents_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_distance_m_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_duration_minutes_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_price_cents_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_rank_check', 'internal_error', 'the quote could not be recorded'),
        -- bookings
        ('bookings_pkey', 'conflict', 'this booking already exists'),
        ('bookings_provider_id_blocked_excl', 'slot_unavailable', 'the slot (with its buffers) is taken'),
        ('bookings_customer_id_fkey', 'conflict', 'the account has bookings and cannot be deleted'),
        ('bookings_provider_id_fkey', 'conflict', 'the provider has bookings and cannot be deleted; set is_active to false instead'),
        ('bookings_service_id_fkey', 'conflict', 'the service has bookings and cannot be deleted; set is_active to false instead'),
        ('bookings_quote_id_fkey', 'not_found', 'the quote does not exist'),
        ('bookings_cancelled_by_fkey', 'internal_error', 'the booking could not be recorded'),
        ('bookings_blocked_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_cancel_fee_cents_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_cancel_notice_hours_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_cancelled_by_role_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_deposit_cents_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_during_check', 'invalid_input', 'starts_at must give a booking with a start and an end'),
        ('bookings_price_cents_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_status_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_taxes_check', 'internal_error', 'the booking''s taxes could not be recorded'),
        ('bookings_dispute_status_check', 'internal_error', 'the dispute could not be recorded'),
        -- sales-tax registrations
        ('provider_tax_registrations_pkey', 'conflict', 'this provider''s tax registration already exists'),
        ('provider_tax_registrations_provider_id_fkey', 'not_found', 'the provider does not exist'),
        (
            'provider_tax_registrations_gst_number_check', 'invalid_input',
            'gst_number must be 9 digits, RT and 4 digits (123456782RT0001)'
        ),
        (
            'provider_tax_registrations_qst_number_check', 'invalid_input',
            'qst_number must be 10 digits, TQ and 4 digits (1234567890TQ0001)'
        ),
        ('booking_fees_pkey', 'internal_error', 'the fee could not be recorded'),
        ('booking_fees_booking_id_kind_key', 'conflict', 'this booking''s fee is already recorded'),
        ('booking_fees_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('booking_fees_payment_id_fkey', 'not_found', 'the payment does not exist'),
        ('booking_fees_amount_cents_check', 'internal_error', 'the fee could not be recorded'),
        ('booking_fees_kind_check', 'internal_error', 'the fee could not be recorded'),
        ('idempotency_keys_pkey', 'idempotency_key_reused', 'this Idempotency-Key was already used'),
        ('idempotency_keys_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('idempotency_keys_key_check', 'invalid_input', 'the Idempotency-Key header must be 1 to 255 characters'),
        -- payments and refunds
        ('payments_pkey', 'internal_error', 'the payment could not be recorded'),
        ('payments_booking_id_key', 'conflict', 'this booking already has a payment'),
        ('payments_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('payments_stripe_payment_intent_id_key', 'conflict', 'this PaymentIntent belongs to another payment'),
        ('payments_amount_cents_check', 'internal_error', 'the payment could not be recorded'),
        ('payments_captured_cents_check', 'internal_error', 'the payment could not be recorded'),
        ('payments_status_check', 'internal_error', 'the payment could not be recorded'),
        ('refunds_pkey', 'internal_error', 'the refund could not be recorded'),
        ('refunds_stripe_refund_id_key', 'conflict', 'this Stripe refund belongs to another refund'),
        ('refunds_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('refunds_payment_id_fkey', 'not_found', 'the payment does not exist'),
        ('refunds_requested_by_fkey', 'not_found', 'the requesting account does not exist'),
        ('refunds_amount_cents_check', 'invalid_input', 'amount_cents must be more than 0'),
        ('refunds_reason_check', 'invalid_input', 'reason must be 1 to 500 characters'),
        ('refunds_status_check', 'internal_error', 'the refund could not be recorded'),
        ('payment_mismatches_pkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_payment_id_key', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_payment_id_fkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_booking_id_fkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_refund_id_fkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('disputes_pkey', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_booking_id_fkey', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_payment_id_fkey', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_id_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_amount_cents_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_reason_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_status_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_outcome_check', 'internal_error', 'the dispute could not be recorded'),
        -- the balance after a deposit (57_balance.sql; written by definers only)
        ('balance_payments_pkey', 'conflict', 'the balance of this booking is already settled'),
        ('balance_payments_booking_id_fkey', 'not_found', 'no such booking'),
        ('balance_payments_marked_by_fkey', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_stripe_payment_intent_id_key', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_method_check', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_status_check', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_venue_check', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_cents_check', 'internal_error', 'the balance payment could not be recorded'),
        -- Stripe Connect (55_connect.sql; written by definers only)
        ('payout_accounts_pkey', 'internal_error', 'the payout account could not be recorded'),
        ('payout_accounts_provider_id_fkey', 'not_found', 'the provider does not exist'),
        ('payout_accounts_stripe_account_id_key', 'internal_error', 'the payout account could not be recorded'),
        ('payout_accounts_stripe_account_id_check', 'internal_error', 'the payout account could not be recorded'),
        ('payout_accounts_capabilities_check', 'internal_error', 'the payout account could not be recorded'),
        ('commission_rates_pkey', 'internal_error', 'the commission could not be recorded'),
        ('commission_rates_category_id_fkey', 'not_found', 'the category does not exist'),
        ('commission_rates_updated_by_fkey', 'internal_error', 'the commission could not be recorded'),
        ('commission_rates_rate_bp_check', 'invalid_input', 'rate_bp must be between 0 and 10000'),
        ('commission_rates_minimum_cents_check', 'invalid_input', 'minimum_cents must be between 0 and 1000000'),
        ('bookings_commission_check', 'internal_error', 'the booking''s commission could not be recorded'),
        ('payments_application_fee_cents_check', 'internal_error', 'the payment could not be recorded'),
        ('refunds_unwind_check', 'internal_error', 'the refund could not be recorded'),
        ('stripe_events_pkey', 'conflict', 'this event was already received'),
        ('stripe_events_id_check', 'invalid_input', 'the event id must look like evt_...'),
        -- the event log (written by definers only)
        ('events_pkey', 'internal_error', 'the event could not be recorded'),
        -- analytics rollups (derived rows, written by definer triggers only)
        ('analytics_booking_facts_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_provider_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_days_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('events_kind_check', 'internal_error', 'the event could not be recorded'),
        ('events_audience_check', 'internal_error', 'the event could not be recorded'),
        ('events_payload_check', 'internal_error', 'the event could not be recorded'),
        -- notifications
        ('notifications_pkey', 'internal_error', 'the notification could not be recorded'),
        ('notifications_event_key_recipient_id_channel_key', 'conflict', 'this notification was already recorded'),
        ('notifications_recipient_id_fkey', 'not_found', 'the recipient account does not exist'),
        ('notifications_attempts_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_channel_check', 'invalid_input', 'channel must be email or sms'),
        ('notifications_data_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_delivery_unknown_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_event_key_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_sent_at_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_status_check', 'internal_error', 'the notification could not be recorded'),
        ('notification_preferences_pkey', 'conflict', 'this preference already exists'),
        ('notification_preferences_user_id_fkey', 'not_found', 'the account does not exist'),
        ('notification_preferences_category_check', 'invalid_input', 'category must be reminders or booking_updates'),
        -- reviews (written by definers only) and the ratings and reliability they keep
        ('reviews_pkey', 'internal_error', 'the review could not be recorded'),
        ('reviews_booking_id_key', 'already_reviewed', 'this booking has already been reviewed'),
        ('reviews_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('reviews_provider_id_fkey', 'not_found', 'the provider does not exist'),
        ('reviews_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('reviews_hidden_by_fkey', 'internal_error', 'the review could not be recorded'),
        ('reviews_stars_check', 'invalid_input', 'stars must be a whole number from 1 to 5'),
        ('reviews_body_check', 'invalid_input', 'body must be 1 to 2000 characters'),
        ('reviews_author_name_check', 'internal_error', 'the review could not be recorded'),
        ('reviews_weight_check', 'internal_error', 'the review could not be recorded'),
        ('reviews_reply_check', 'invalid_input', 'reply must be 1 to 2000 characters'),
        ('reviews_replied_at_check', 'internal_error', 'the reply could not be recorded'),
        ('reviews_hidden_reason_check', 'invalid_input', 'reason must be 1 to 500 characters'),
        ('waitlist_entries_pkey', 'internal_error', 'the waitlist entry could not be recorded'),
        ('waitlist_entries_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('waitlist_entries_service_id_fkey', 'not_found', 'the service does not exist'),
        ('waitlist_entries_provider_id_fkey', 'not_found', 'the provider does not exist'),
        ('waitlist_entries_category_id_fkey', 'invalid_input', 'category must be a known category slug'),
        ('waitlist_entries_notified_booking_id_fkey', 'internal_error', 'the waitlist entry could not be recorded'),
        ('waitlist_entries_status_check', 'internal_error', 'the waitlist entry could not be recorded'),
        (
            'waitlist_entries_target_check', 'invalid_input',
            'give exactly one of service_id, provider_id, or category with lat and lng'
        ),
        ('waitlist_entries_lat_check', 'invalid_input', 'lat must be between -90 and 90'),
        ('waitlist_entries_lng_check', 'invalid_input', 'lng must be between -180 and 180'),
        ('waitlist_entries_radius_km_check', 'invalid_input', 'radius_km must be more than 0 and at most 200'),
        ('waitlist_entries_wanted_check', 'invalid_input', 'ends_at must be after starts_at'),
        ('waitlist_entries_notified_check', 'internal_error', 'the waitlist entry could not be recorded'),
        ('providers_rating_weight_check', 'internal_error', 'the rating could not be recorded'),
        ('providers_rating_weighted_stars_check', 'internal_error', 'the rating could not be recorded'),
        ('providers_reliability_counts_check', 'internal_error', 'the reliability figures could not be recorded'),
        ('providers_reliability_rates_check', 'internal_error', 'the reliability figures could not be recorded')
    ) as v (constraint_name, code, message)
$$;


--
-- Name: FUNCTION constraint_errors(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.constraint_errors() IS 'Each app constraint with the registered code and the message a client gets when a write breaks it.';


--
-- Name: create_ops_user(text, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.create_ops_user(p_email text, p_password text, p_full_name text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_email text := auth.normalize_email(p_email);
    v_user_id uuid;
begin
    perform auth.check_email(v_email);
    perform auth.check_password(p_password, v_email);
    perform auth.check_profile(p_full_name, 'en', null);
    insert into app.users (email, role, full_name, email_confirmed_at)
    values (v_email, 'ops', p_full_name, pg_catalog.now())
    returning id into v_user_id;
    insert into auth.credentials (user_id, password_hash)
    values (v_user_id, extensions.crypt(p_password, extensions.gen_salt('bf', 10)));
    perform internal.audit('create_ops_user', 'app.users', v_user_id::text, null, auth.user_json(v_user_id),
        null, null, 'cli');
    return v_user_id;
end
$$;


--
-- Name: FUNCTION create_ops_user(p_email text, p_password text, p_full_name text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.create_ops_user(p_email text, p_password text, p_full_name text) IS 'Create an ops account (command line only; never exposed over HTTP).';


--
-- Name: current_user_id(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- an ops token's subject need not be a user row; foreign keys want one
    select u.id from app.users as u where u.id = auth.uid()
$$;


--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.current_user_id() IS 'The caller''s user id if it names a user row, else null (for foreign keys such as cancelled_by).';


--
-- Name: customer_lock(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.customer_lock(p_customer_id uuid) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.customer:' || p_customer_id::text, 0))
$$;


--
-- Name: FUNCTION customer_lock(p_customer_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.customer_lock(p_customer_id uuid) IS 'Serialise one customer''s confirmations for this transaction, so the live-hold limit cannot be raced past.';


--
-- Name: default_owner(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.default_owner() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    -- A provider creating its profile through api.my_provider never names the
    -- owner: it is the caller. (The policy insert_provider_own checks it too.)
    if new.owner_id is null then
        new.owner_id := auth.uid();
    end if;
    return new;
end
$$;


--
-- Name: FUNCTION default_owner(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.default_owner() IS 'Trigger: a new provider without owner_id belongs to the caller (auth.uid()).';


--
-- Name: delete_my_account(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.delete_my_account(p_password text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user app.users;
    v_hash text;
    v_open jsonb;
    v_window interval := pg_catalog.make_interval(
        secs => coalesce(internal.setting('login_window_seconds')::integer, 900)
    );
    v_free integer := coalesce(internal.setting('login_free_failures_per_email_and_address')::integer, 5);
    v_failures integer;
    v_first timestamptz;
    v_retry_after integer;
    v_provider_id uuid;
    v_bookings uuid[];
    v_deleted_name constant text := 'Deleted user';
begin
    perform internal.require_role(
        case when auth.role() = 'provider' then 'provider' else 'customer' end,
        'only customer and provider accounts can be deleted here (ops accounts: the command line)',
        'sign in to delete your account'
    );
    perform internal.require_text(p_password, 'password');
    if pg_catalog.length(p_password) > 1000 then
        perform internal.fail('invalid_input', 'password is too long');
    end if;
    select * into v_user from app.users as u where u.id = auth.uid() for update;
    if not found or v_user.deleted_at is not null then
        perform internal.fail('not_authenticated', 'this account no longer exists');
    end if;

    -- the password, throttled with the login's own record of failures for this email:
    -- a stolen access token cannot be turned into a deletion by guessing
    select count(*), min(la.attempted_at) into v_failures, v_first
    from auth.login_attempts as la
    where la.email operator(extensions.=) v_user.email and not la.succeeded
        and la.attempted_at > pg_catalog.now() - v_window;
    if v_failures >= v_free then
        v_retry_after := greatest(1, ceil(extract(epoch from (v_first + v_window - pg_catalog.now())))::integer);
        perform pg_catalog.set_config('response.status', '429', true);
        perform pg_catalog.set_config(
            'response.headers',
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('Retry-After', v_retry_after::text))::text,
            true
        );
        return pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many wrong passwords; retry in %s seconds', v_retry_after)
        );
    end if;
    select c.password_hash into v_hash from auth.credentials as c where c.user_id = v_user.id;
    if v_hash is null or extensions.crypt(p_password, v_hash) <> v_hash then
        insert into auth.login_attempts (email, client_addr, succeeded)
        values (v_user.email, auth.client_addr(), false);
        -- returned, not raised: a raise would roll back the failure just counted
        perform pg_catalog.set_config('response.status', '403', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT403', 'hint', 'wrong_password', 'details', null,
            'message', 'password is not this account''s password'
        );
    end if;

    -- nothing may be left half-done: bookings to happen or to be paid, money moving
    v_open := internal.account_open_business(v_user.id);
    if pg_catalog.jsonb_array_length(v_open -> 'bookings') > 0
        or pg_catalog.jsonb_array_length(v_open -> 'refunds') > 0 then
        perform internal.fail(
            'account_not_deletable',
            pg_catalog.format(
                'the account cannot be deleted yet: %s%s; cancel them or wait until they end, then try again',
                -- the first ten of each named (the message is also the HTTP reason
                -- phrase); details lists them all
                coalesce((
                    select 'bookings ' || pg_catalog.string_agg(
                        pg_catalog.format('%s (%s, starts %s)', e ->> 'id', e ->> 'status', e ->> 'starts_at'),
                        ', ' order by n
                    ) || case when max(t.total) > 10 then pg_catalog.format(' and %s more', max(t.total) - 10) else '' end
                    from pg_catalog.jsonb_array_elements(v_open -> 'bookings') with ordinality as x (e, n)
                    cross join (select pg_catalog.jsonb_array_length(v_open -> 'bookings') as total) as t
                    where x.n <= 10
                ), ''),
                coalesce((
                    select case when pg_catalog.jsonb_array_length(v_open -> 'bookings') > 0 then '; ' else '' end
                        || 'refunds in progress ' || pg_catalog.string_agg(e ->> 'id', ', ' order by n)
                        || case when max(t.total) > 10 then pg_catalog.format(' and %s more', max(t.total) - 10) else '' end
                    from pg_catalog.jsonb_array_elements(v_open -> 'refunds') with ordinality as x (e, n)
                    cross join (select pg_catalog.jsonb_array_length(v_open -> 'refunds') as total) as t
                    where x.n <= 10
                ), '')
            ),
            v_open::text
        );
    end if;

    select pg_catalog.array_agg(b.id) into v_bookings from app.bookings as b where b.customer_id = v_user.id;
    select p.id into v_provider_id from app.providers as p where p.owner_id = v_user.id;

    -- sign-in ends: every session (so every access and refresh token), the password, one-time tokens
    update auth.sessions as s
    set revoked_at = pg_catalog.now(), revoked_reason = 'account deleted'
    where s.user_id = v_user.id and s.revoked_at is null;
    update auth.refresh_tokens as r
    set revoked_at = pg_catalog.now()
    where r.user_id = v_user.id and r.revoked_at is null;
    delete from auth.credentials as c where c.user_id = v_user.id;
    delete from auth.one_time_tokens as t where t.user_id = v_user.id;
    delete from auth.login_attempts as la where la.email operator(extensions.=) v_user.email;

    -- what was only about the person
    delete from app.notification_preferences as np where np.user_id = v_user.id;
    delete from app.notifications as n where n.recipient_id = v_user.id;
    delete from app.quotes as q where q.customer_id = v_user.id;
    delete from app.idempotency_keys as k where k.customer_id = v_user.id;
    -- their name in what the providers of their bookings were sent
    update app.notifications as n
    set data = pg_catalog.jsonb_set(n.data, '{customer_name}', pg_catalog.to_jsonb(v_deleted_name))
    where
        n.recipient_id in (
            select pr.owner_id from app.bookings as b
            inner join app.providers as pr on b.provider_id = pr.id
            where b.customer_id = v_user.id
        )
        and n.data ? 'customer_name'
        and (n.data ->> 'booking_id')::uuid = any(v_bookings);

    -- a provider: out of the catalogue for good, its private and identifying data gone
    if v_provider_id is not null then
        delete from app.weekly_hours as h where h.provider_id = v_provider_id;
        delete from app.time_off as t where t.provider_id = v_provider_id;
        update app.services as s set is_active = false where s.provider_id = v_provider_id;
        update app.providers as p
        set
            business_name = 'Deleted provider',
            description = '',
            contact_email = null,
            contact_phone = null,
            is_active = false,
            -- about a kilometre: where the business was, not where someone lives
            lat = pg_catalog.round(p.lat::numeric, 2)::double precision,
            lng = pg_catalog.round(p.lng::numeric, 2)::double precision
        where p.id = v_provider_id;
    end if;

    -- the account row stays (the financial records point at it), anonymised
    update app.users as u
    set
        email = 'deleted-' || u.id::text || '@deleted.invalid',
        full_name = v_deleted_name,
        phone = null,
        email_confirmed_at = null,
        deleted_at = pg_catalog.now(),
        updated_at = pg_catalog.now()
    where u.id = v_user.id;
    -- the audit log keeps what was done, not who the person was
    update audit.action_log as a
    set
        before = a.before - array['email', 'full_name', 'phone'],
        after = a.after - array['email', 'full_name', 'phone']
    where a.table_name = 'app.users' and a.row_id = v_user.id::text;

    perform internal.audit(
        'account.deleted', 'app.users', v_user.id::text, null,
        pg_catalog.jsonb_build_object('role', v_user.role, 'provider_id', v_provider_id),
        null, v_user.id, v_user.role
    );
    return pg_catalog.jsonb_build_object(
        'deleted', true,
        'kept', pg_catalog.jsonb_build_array(
            'bookings', 'payments', 'refunds', 'fees', 'stripe_events', 'audit_log'
        )
    );
end
$$;


--
-- Name: FUNCTION delete_my_account(p_password text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.delete_my_account(p_password text) IS 'Delete the caller''s account after checking its password: sign-in ends, personal data is erased or
replaced, financial records are kept (see this file''s header and docs/security.md).
Definer: writes auth tables, other people''s notification data and the audit log.';


--
-- Name: dlq_discard(text, bigint, text, uuid, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.dlq_discard(p_queue text, p_msg_id bigint, p_reason text, p_actor_id uuid, p_actor_role text, p_request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_dlq text := internal.checked_queue(p_queue) || '_dlq';
    v_table text := pgmq.format_table_name(v_dlq, 'q');
    v_message jsonb;
begin
    perform internal.require(p_msg_id, 'msg_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.length(p_reason) > 1000 then
        perform internal.fail('invalid_input', 'reason must be at most 1000 characters');
    end if;
    perform internal.require(p_actor_role, 'actor_role');
    execute pg_catalog.format(
        'delete from pgmq.%I as d where d.msg_id = $1 returning d.message', v_table
    ) into v_message using p_msg_id;
    if v_message is null then
        perform internal.fail(
            'not_found', pg_catalog.format('no message %s in %s', p_msg_id, v_dlq)
        );
    end if;
    insert into audit.action_log (
        actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
    ) values (
        p_actor_id, p_actor_role, 'dlq_discard', 'pgmq.' || v_table, p_msg_id::text,
        pg_catalog.btrim(p_reason), v_message, null, p_request_id
    );
    return jsonb_build_object('queue', p_queue, 'msg_id', p_msg_id, 'message', v_message);
end
$_$;


--
-- Name: FUNCTION dlq_discard(p_queue text, p_msg_id bigint, p_reason text, p_actor_id uuid, p_actor_role text, p_request_id text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.dlq_discard(p_queue text, p_msg_id bigint, p_reason text, p_actor_id uuid, p_actor_role text, p_request_id text) IS 'Delete one dead letter for good, with a reason, audited with the whole message.
Definer: ops and the CLI hold no pgmq privileges, and the audit trail is append-only.';


--
-- Name: dlq_list(text, text, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.dlq_list(p_queue text, p_error_class text DEFAULT NULL::text, p_limit integer DEFAULT 50) RETURNS TABLE(msg_id bigint, dead_lettered_at timestamp with time zone, original_msg_id bigint, type text, error_class text, error text, attempts integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_table text := pgmq.format_table_name(internal.checked_queue(p_queue) || '_dlq', 'q');
begin
    if p_limit is null or p_limit < 1 or p_limit > 1000 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 1000');
    end if;
    return query execute pg_catalog.format(
        $q$
        select
            d.msg_id,
            d.enqueued_at,
            (d.message ->> 'msg_id')::bigint,
            d.message -> 'original' ->> 'type',
            d.message ->> 'error_class',
            d.message ->> 'error',
            (d.message ->> 'attempts')::integer
        from pgmq.%I as d
        where $1 is null or d.message ->> 'error_class' = $1
        order by d.msg_id
        limit $2
        $q$,
        v_table
    ) using p_error_class, p_limit;
end
$_$;


--
-- Name: FUNCTION dlq_list(p_queue text, p_error_class text, p_limit integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.dlq_list(p_queue text, p_error_class text, p_limit integer) IS 'List the dead letters of a work queue (oldest first). Definer: ops and the CLI hold no pgmq privileges.';


--
-- Name: dlq_replay(text, bigint, uuid, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.dlq_replay(p_queue text, p_msg_id bigint, p_actor_id uuid, p_actor_role text, p_request_id text DEFAULT NULL::text) RETURNS TABLE(dlq_msg_id bigint, new_msg_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_dlq text := internal.checked_queue(p_queue) || '_dlq';
    v_table text := pgmq.format_table_name(v_dlq, 'q');
    v_id bigint;
    v_message jsonb;
begin
    perform internal.require(p_actor_role, 'actor_role');
    for v_id, v_message in execute pg_catalog.format(
        $q$
        select d.msg_id, d.message
        from pgmq.%I as d
        where $1 is null or d.msg_id = $1
        order by d.msg_id
        for update
        $q$,
        v_table
    ) using p_msg_id
    loop
        dlq_msg_id := v_id;
        new_msg_id := internal.enqueue(p_queue, v_message -> 'original');
        perform pgmq.delete(v_dlq, v_id);
        insert into audit.action_log (
            actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
        ) values (
            p_actor_id, p_actor_role, 'dlq_replay', 'pgmq.' || v_table, v_id::text,
            null, v_message, jsonb_build_object('queue', p_queue, 'msg_id', new_msg_id),
            p_request_id
        );
        return next;
    end loop;
    if p_msg_id is not null and dlq_msg_id is null then
        perform internal.fail(
            'not_found', pg_catalog.format('no message %s in %s', p_msg_id, v_dlq)
        );
    end if;
end
$_$;


--
-- Name: FUNCTION dlq_replay(p_queue text, p_msg_id bigint, p_actor_id uuid, p_actor_role text, p_request_id text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.dlq_replay(p_queue text, p_msg_id bigint, p_actor_id uuid, p_actor_role text, p_request_id text) IS 'Send dead letters back to their queue as their original message and delete them from the DLQ, audited.
Definer: ops and the CLI hold no pgmq privileges, and the audit trail is append-only.';


--
-- Name: dlq_show(text, bigint); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.dlq_show(p_queue text, p_msg_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_dlq text := internal.checked_queue(p_queue) || '_dlq';
    v_result jsonb;
begin
    perform internal.require(p_msg_id, 'msg_id');
    execute pg_catalog.format(
        $q$
        select jsonb_build_object(
            'queue', $2,
            'dlq', $3,
            'msg_id', d.msg_id,
            'dead_lettered_at', d.enqueued_at,
            'message', d.message
        )
        from pgmq.%I as d
        where d.msg_id = $1
        $q$,
        pgmq.format_table_name(v_dlq, 'q')
    ) into v_result using p_msg_id, p_queue, v_dlq;
    if v_result is null then
        perform internal.fail(
            'not_found', pg_catalog.format('no message %s in %s', p_msg_id, v_dlq)
        );
    end if;
    return v_result;
end
$_$;


--
-- Name: FUNCTION dlq_show(p_queue text, p_msg_id bigint); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.dlq_show(p_queue text, p_msg_id bigint) IS 'One dead letter in full. Definer: ops and the CLI hold no pgmq privileges.';


--
-- Name: edit_review(uuid, integer, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.edit_review(p_review_id uuid, p_stars integer, p_body text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_review app.reviews;
begin
    perform internal.require_role(
        'customer', 'only the customer who wrote a review can edit it', 'editing a review needs a signed-in customer'
    );
    perform internal.require(p_review_id, 'review_id');
    perform internal.check_stars(p_stars);
    if p_stars is null and p_body is null then
        perform internal.fail('invalid_input', 'stars or body is required (the change to make)');
    end if;
    select * into v_review from app.reviews as r
    where r.id = p_review_id and r.customer_id = auth.uid()
    for update;
    if not found then
        perform internal.fail('not_found', 'no such review');
    end if;
    if v_review.hidden_at is not null then
        perform internal.fail('conflict', 'this review was hidden by moderation and cannot be edited');
    end if;
    if pg_catalog.now() > v_review.created_at + pg_catalog.make_interval(days => 14) then
        perform internal.fail('edit_window_closed', 'a review can be edited for 14 days after it was written');
    end if;
    update app.reviews as r
    set
        stars = coalesce(p_stars, r.stars),
        body = case when p_body is null then r.body else internal.review_text(p_body, 'body', 2000) end,
        edited_at = pg_catalog.now()
    where r.id = p_review_id;
    return internal.review_json(p_review_id);
end
$$;


--
-- Name: FUNCTION edit_review(p_review_id uuid, p_stars integer, p_body text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.edit_review(p_review_id uuid, p_stars integer, p_body text) IS 'Change one''s own review within 14 days of writing it. Definer: writes the review and the provider''s rating.';


--
-- Name: emit_booking_event(uuid, text, jsonb, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.emit_booking_event(p_booking_id uuid, p_event text, p_extra jsonb DEFAULT '{}'::jsonb, p_key text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
    v_owner uuid;
    v_data jsonb := internal.booking_event_data(p_booking_id) || coalesce(p_extra, '{}'::jsonb);
    v_key text := p_event || ':' || p_booking_id::text || coalesce(':' || p_key, '');
    v_lead interval := pg_catalog.make_interval(
        hours => coalesce(internal.setting('reminder_lead_hours')::integer, 24)
    );
begin
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    select p.owner_id into v_owner from app.providers as p where p.id = v_booking.provider_id;
    if p_event = 'booking_confirmed' then
        perform internal.notify('booking_confirmed', v_booking.customer_id, v_key, v_data || '{"ics_sequence": 0}');
        perform internal.notify(
            'booking_new', v_owner, 'booking_new:' || p_booking_id::text, v_data || '{"ics_sequence": 0}'
        );
        if pg_catalog.lower(v_booking.during) > pg_catalog.now() then
            -- the reminder is keyed by the start: a moved booking gets a new one,
            -- and the old one finds the start changed and drops itself
            perform internal.notify(
                'booking_reminder', v_booking.customer_id,
                'booking_reminder:' || p_booking_id::text || ':' || (v_data ->> 'starts_at'),
                v_data,
                greatest(0, extract(epoch from pg_catalog.lower(v_booking.during) - v_lead - pg_catalog.now())::integer)
            );
        end if;
    elsif p_event = 'booking_cancelled' then
        perform internal.notify('booking_cancelled', v_booking.customer_id, v_key || ':customer', v_data);
        perform internal.notify('booking_cancelled', v_owner, v_key || ':provider', v_data);
    else
        perform internal.notify(p_event, v_booking.customer_id, v_key, v_data);
    end if;
end
$$;


--
-- Name: FUNCTION emit_booking_event(p_booking_id uuid, p_event text, p_extra jsonb, p_key text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.emit_booking_event(p_booking_id uuid, p_event text, p_extra jsonb, p_key text) IS 'Queue the notifications of a booking event for each recipient (customer, provider), in the caller''s transaction.';


--
-- Name: enqueue(text, jsonb, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.enqueue(queue text, message jsonb, delay_seconds integer DEFAULT 0) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_msg_id bigint;
begin
    perform internal.checked_queue(queue);
    if message is null
        or jsonb_typeof(message) is distinct from 'object'
        or jsonb_typeof(message -> 'type') is distinct from 'string'
        or message ->> 'type' = '' then
        perform internal.fail(
            'invalid_input', 'message must be a JSON object with a non-empty string "type"'
        );
    end if;
    if delay_seconds is null or delay_seconds < 0 then
        perform internal.fail('invalid_input', 'delay_seconds must be zero or more');
    end if;
    v_msg_id := pgmq.send(queue, message, delay_seconds);
    -- delivered at commit, only if the message is committed too
    perform pg_catalog.pg_notify('bookiji_queue', queue);
    return v_msg_id;
end
$$;


--
-- Name: FUNCTION enqueue(queue text, message jsonb, delay_seconds integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.enqueue(queue text, message jsonb, delay_seconds integer) IS 'Send a message (a JSON object with a "type") to a work queue and NOTIFY bookiji_queue,
in the caller''s transaction: the message exists if and only if the state change commits.
Definer: the callers (api functions, the worker) hold no pgmq privileges of their own.';


--
-- Name: error_codes(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.error_codes() RETURNS TABLE(code text, http_status integer, description text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select v.code, v.http_status, v.description
    from (
        values
        ('invalid_input', 400, 'A parameter is missing, malformed or out of range; the message names it.'),
        ('invalid_signature', 400, 'A webhook''s signature is missing, wrong or stale; nothing was stored.'),
        (
            'too_costly', 400,
            'The request asks for more work than the API allows (embedding, select width, or= tree, offset, exact count); the message names the limit.'
        ),
        ('invalid_one_time_token', 400, 'The email confirmation or password reset token is unknown, used or expired.'),
        ('not_authenticated', 401, 'The request needs a valid access token.'),
        ('invalid_token', 401, 'The token is expired, lacks exp/iat/aud/sid, has the wrong audience, or its session has ended.'),
        ('invalid_credentials', 401, 'Wrong email or password.'),
        ('forbidden', 403, 'The caller''s role may not do this.'),
        ('wrong_password', 403, 'The password given to confirm a sensitive action (deleting the account) is wrong.'),
        ('not_found', 404, 'No such object visible to the caller.'),
        ('method_not_allowed', 405, 'GET or HEAD on a function that changes data; call it with POST.'),
        ('conflict', 409, 'The request conflicts with the current state.'),
        ('slot_unavailable', 409, 'The slot (with its buffers) is taken, or outside the provider''s hours.'),
        ('invalid_transition', 409, 'The booking''s current state does not allow this change.'),
        ('too_late', 409, 'The booking''s notice period for this change has passed.'),
        (
            'booking_started', 409,
            'The booking has started: it can no longer be cancelled or moved (the provider marks it completed or no_show).'
        ),
        (
            'booking_not_completed', 409,
            'Only a completed booking can be reviewed; this one has not been completed (yet).'
        ),
        ('already_reviewed', 409, 'The booking already has a review; change it with edit_review.'),
        ('edit_window_closed', 409, 'The review was written more than 14 days ago and can no longer be changed.'),
        ('already_replied', 409, 'The review already has the provider''s reply (one reply per review).'),
        ('quote_expired', 410, 'The quote has expired; ask for a new one.'),
        ('idempotency_key_reused', 422, 'The Idempotency-Key was already used with a different request.'),
        (
            'too_many_holds', 429,
            'Too many bookings awaiting payment at once, for the account or from its network; pay or let one expire.'
        ),
        ('email_taken', 409, 'An account with this email already exists.'),
        (
            'provider_suspended', 409,
            'Bookiji staff suspended this provider: it is not offered and cannot make itself active until they reinstate it.'
        ),
        (
            'account_not_deletable', 409,
            'The account still has upcoming confirmed bookings, bookings awaiting payment or refunds in progress; the message names them.'
        ),
        ('payload_too_large', 413, 'The request body is over the size limit (nginx).'),
        (
            'too_many_waitlist_entries', 429,
            'The customer already has the most active waitlist entries allowed (10); leave one or let one expire.'
        ),
        ('too_many_reviews', 429, 'More than 10 reviews in 24 hours from one customer; try again later.'),
        ('rate_limited', 429, 'Too many requests; retry after the number of seconds in Retry-After.'),
        ('internal_error', 500, 'An unexpected failure; nothing was written.'),
        ('unavailable', 503, 'The API or its database is restarting; retry after Retry-After seconds.'),
        (
            'statement_timeout', 503,
            'The request ran past the API roles'' statement timeout and was cancelled; nothing was written.'
        )
    ) as v (code, http_status, description)
$$;


--
-- Name: FUNCTION error_codes(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.error_codes() IS 'The registry of machine error codes and the HTTP status each maps to.';


--
-- Name: events_refuse_update(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.events_refuse_update() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    raise exception 'app.events is append-only: an event is never changed';
end
$$;


--
-- Name: FUNCTION events_refuse_update(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.events_refuse_update() IS 'Trigger: the event log is append-only, for its owner too (rows leave only by age, internal.purge_events).';


--
-- Name: expire_hold(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.expire_hold(p_booking_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    -- locked first, then checked again: a hold paid meanwhile is left alone
    perform from app.bookings as b
    where b.id = p_booking_id and b.status = 'pending_payment' and b.hold_expires_at <= pg_catalog.now()
    for no key update;
    if not found then
        return false;
    end if;
    perform internal.transition_booking(p_booking_id, 'expired', 'system');
    return true;
end
$$;


--
-- Name: FUNCTION expire_hold(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.expire_hold(p_booking_id uuid) IS 'Expire one pending hold whose time is up and ask the worker to cancel its PaymentIntent.';


--
-- Name: export_my_data(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.export_my_data() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user app.users;
    v_provider_id uuid;
begin
    if auth.uid() is null or auth.role() not in ('customer', 'provider', 'ops') then
        perform internal.fail('not_authenticated', 'sign in to export your data');
    end if;
    select * into v_user from app.users as u where u.id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'no account for this token');
    end if;
    select p.id into v_provider_id from app.providers as p where p.owner_id = v_user.id;
    return pg_catalog.jsonb_build_object(
        'format', 'bookiji-export-1',
        'exported_at', pg_catalog.now(),
        'account', pg_catalog.jsonb_build_object(
            'id', v_user.id, 'email', v_user.email, 'role', v_user.role, 'full_name', v_user.full_name,
            'locale', v_user.locale, 'phone', v_user.phone, 'email_confirmed_at', v_user.email_confirmed_at,
            'created_at', v_user.created_at, 'updated_at', v_user.updated_at
        ),
        'notification_preferences', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'category', np.category, 'email', np.email, 'sms', np.sms, 'updated_at', np.updated_at
            ) order by np.category)
            from app.notification_preferences as np where np.user_id = v_user.id
        ), '[]'::jsonb),
        'sessions', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', s.id, 'created_at', s.created_at, 'last_refreshed_at', s.last_refreshed_at,
                'revoked_at', s.revoked_at, 'revoked_reason', s.revoked_reason
            ) order by s.created_at, s.id)
            from auth.sessions as s where s.user_id = v_user.id
        ), '[]'::jsonb),
        -- the notifications sent to the person (a one-time token is never part of an export)
        'notifications', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', n.id, 'event', n.event, 'channel', n.channel, 'status', n.status,
                'data', n.data - 'token', 'created_at', n.created_at, 'sent_at', n.sent_at
            ) order by n.created_at, n.id)
            from app.notifications as n where n.recipient_id = v_user.id
        ), '[]'::jsonb),
        -- as a customer: the quotes asked for (where and when), the bookings and their money
        'quotes', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', q.id, 'category', c.slug,
                'lat', extensions.st_y(q.location::extensions.geometry),
                'lng', extensions.st_x(q.location::extensions.geometry),
                'starts_at', q.starts_at, 'radius_km', q.radius_km, 'created_at', q.created_at
            ) order by q.created_at, q.id)
            from app.quotes as q
            inner join app.service_categories as c on q.category_id = c.id
            where q.customer_id = v_user.id
        ), '[]'::jsonb),
        'bookings', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', b.id, 'status', b.status, 'starts_at', pg_catalog.lower(b.during),
                'ends_at', pg_catalog.upper(b.during), 'provider_id', b.provider_id,
                'provider_name', pr.business_name, 'service_id', b.service_id, 'service_name', s.name,
                'price_cents', b.price_cents, 'deposit_cents', b.deposit_cents, 'currency', b.currency,
                'cancel_notice_hours', b.cancel_notice_hours, 'cancel_fee_cents', b.cancel_fee_cents,
                'cancelled_at', b.cancelled_at, 'cancelled_by_role', b.cancelled_by_role,
                'cancel_reason', b.cancel_reason, 'created_at', b.created_at
            ) order by pg_catalog.lower(b.during), b.id)
            from app.bookings as b
            inner join app.providers as pr on b.provider_id = pr.id
            inner join app.services as s on b.service_id = s.id
            where b.customer_id = v_user.id
        ), '[]'::jsonb),
        'payments', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', p.id, 'booking_id', p.booking_id, 'status', p.status, 'amount_cents', p.amount_cents,
                'captured_cents', p.captured_cents, 'currency', p.currency,
                'stripe_payment_intent_id', p.stripe_payment_intent_id, 'created_at', p.created_at,
                'refunds', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'id', r.id, 'amount_cents', r.amount_cents, 'status', r.status, 'reason', r.reason,
                        'requested_role', r.requested_role, 'created_at', r.created_at
                    ) order by r.created_at, r.id)
                    from app.refunds as r where r.payment_id = p.id
                ), '[]'::jsonb),
                'fees', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'kind', f.kind, 'amount_cents', f.amount_cents, 'created_at', f.created_at
                    ) order by f.created_at)
                    from app.booking_fees as f where f.payment_id = p.id
                ), '[]'::jsonb)
            ) order by p.created_at, p.id)
            from app.payments as p
            inner join app.bookings as b on p.booking_id = b.id
            where b.customer_id = v_user.id
        ), '[]'::jsonb),
        -- as a provider: the profile, what it sells, when it works, and its bookings (the
        -- customers' own data is theirs: only their name is part of the provider's records)
        'provider', case when v_provider_id is not null then (
            select pg_catalog.jsonb_build_object(
                'id', p.id, 'business_name', p.business_name, 'description', p.description,
                'lat', p.lat, 'lng', p.lng, 'service_radius_km', p.service_radius_km, 'time_zone', p.time_zone,
                'contact_email', p.contact_email, 'contact_phone', p.contact_phone, 'is_active', p.is_active,
                'suspended_at', p.suspended_at, 'suspension_reason', p.suspension_reason,
                'rating_count', p.rating_count, 'rating_avg', p.rating_avg, 'created_at', p.created_at,
                'services', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) - 'search_key' order by s.created_at, s.id)
                    from app.services as s where s.provider_id = p.id
                ), '[]'::jsonb),
                'weekly_hours', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'day_of_week', h.day_of_week, 'start_time', h.start_time, 'end_time', h.end_time
                    ) order by h.day_of_week, h.start_time)
                    from app.weekly_hours as h where h.provider_id = p.id
                ), '[]'::jsonb),
                'time_off', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'starts_at', pg_catalog.lower(t.during), 'ends_at', pg_catalog.upper(t.during),
                        'reason', t.reason
                    ) order by pg_catalog.lower(t.during))
                    from app.time_off as t where t.provider_id = p.id
                ), '[]'::jsonb),
                'bookings', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'id', b.id, 'status', b.status, 'starts_at', pg_catalog.lower(b.during),
                        'ends_at', pg_catalog.upper(b.during), 'service_id', b.service_id,
                        'customer_id', b.customer_id, 'customer_name', u.full_name,
                        'price_cents', b.price_cents, 'deposit_cents', b.deposit_cents, 'currency', b.currency,
                        'cancelled_at', b.cancelled_at, 'cancelled_by_role', b.cancelled_by_role,
                        'cancel_reason', b.cancel_reason, 'balance', internal.balance_json(b.id)
                    ) order by pg_catalog.lower(b.during), b.id)
                    from app.bookings as b
                    inner join app.users as u on b.customer_id = u.id
                    where b.provider_id = p.id
                ), '[]'::jsonb)
            )
            from app.providers as p where p.id = v_provider_id
        ) end,
        -- what the person did, from the audit log (the entries' before and after are
        -- about the rows acted on, which may be other people's: left out)
        'activity', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'occurred_at', a.occurred_at, 'action', a.action, 'table_name', a.table_name,
                'row_id', a.row_id, 'reason', a.reason, 'request_id', a.request_id
            ) order by a.id)
            from audit.action_log as a where a.actor_id = v_user.id
        ), '[]'::jsonb)
    );
end
$$;


--
-- Name: FUNCTION export_my_data(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.export_my_data() IS 'The caller''s own data as one JSON document.
Definer: reads the caller''s sessions, notifications and audit entries, which no API role reads directly.';


--
-- Name: fail(text, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.fail(p_code text, p_message text, p_detail text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_status integer;
begin
    select e.http_status into v_status
    from internal.error_codes() as e
    where e.code = p_code;
    if v_status is null then
        raise exception 'unknown error code %', p_code;
    end if;
    -- PostgREST sends a PT error's message as the HTTP reason phrase too, so a
    -- line break in it (an echoed input such as a category "a\nb") ends the
    -- status line and the client gets a broken response. Line breaks are
    -- shown escaped, other control characters as '?'.
    raise exception using
        errcode = 'PT' || v_status::text,
        message = pg_catalog.regexp_replace(
            pg_catalog.replace(pg_catalog.replace(p_message, E'\r', '\r'), E'\n', '\n'),
            '[\x01-\x08\x0b-\x1f\x7f]', '?', 'g'
        ),
        detail = coalesce(p_detail, ''),
        hint = p_code;
end
$$;


--
-- Name: FUNCTION fail(p_code text, p_message text, p_detail text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.fail(p_code text, p_message text, p_detail text) IS 'Raise a registered error: SQLSTATE PT<status> (PostgREST answers with that
status), code in hint; control characters in the message are escaped (it is
also the HTTP reason phrase).';


--
-- Name: find_offers(integer, extensions.geography, timestamp with time zone, double precision, integer, timestamp with time zone, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.find_offers(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_max_results integer, p_now timestamp with time zone, p_customer_id uuid DEFAULT NULL::uuid) RETURNS TABLE(provider_id uuid, service_id uuid, rank integer, distance_m double precision, score double precision, explanation jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
-- Rounds of falling thresholds. For each threshold the offers that can reach
-- it are read through the search-key index (app.services.search_key:
-- longitude, latitude, rating term, price); those that do reach it are taken
-- in score order (skipping providers already taken and offers not free), and
-- nothing unread can come before them. Offers scoring at or above the previous
-- threshold were settled by an earlier round. The thresholds only decide how
-- much each round reads: the order of the offers is that of one sort over the
-- whole radius (score, then distance, provider and service) whatever they are.
-- The weights are the active ranking version's, read once; a customer's
-- personal providers (p_customer_id) are read once too, and apart in each round.
declare
    v_version app.ranking_versions;
    v_personal_ids uuid[] := '{}'::uuid[];
    v_personal_terms double precision[] := '{}'::double precision[];
    v_personal_u double precision[];
    v_completed integer[];
    v_stars integer[];
    v_i integer;
    v_offer record;
    v_taken uuid[] := '{}'::uuid[];
    v_ahead uuid[];
    v_min_price integer;
    v_theta double precision;
    v_step double precision := 0.01;
    v_above double precision := 'infinity'::double precision;
    v_next double precision;
    v_top double precision;
    v_checked integer := 0;
    v_min_score double precision;
    v_froms double precision[];
    v_tos double precision[];
    v_prices double precision[];
    v_withins double precision[];
begin
    rank := 0;
    -- step 1: the cheapest offer within the radius (none: no offers)
    v_min_price := internal.quote_cheapest_price(p_category_id, p_point, p_radius_km * 1000);
    if v_min_price is null then
        return;
    end if;
    -- the weights, and the customer's personal terms (wU * U)
    select * into v_version from app.ranking_versions as v where v.is_active;
    if p_customer_id is not null and v_version.w_personal > 0 then
        select
            coalesce(pg_catalog.array_agg(t.provider_id), '{}'),
            coalesce(pg_catalog.array_agg(v_version.w_personal * t.term), '{}'),
            pg_catalog.array_agg(t.term),
            pg_catalog.array_agg(t.completed),
            pg_catalog.array_agg(t.stars)
        into v_personal_ids, v_personal_terms, v_personal_u, v_completed, v_stars
        from internal.personal_terms(p_customer_id, p_category_id) as t;
    end if;

    v_theta := 1 - v_step;
    loop
        -- step 2: the slabs holding every offer that can reach this threshold
        select s.min_score, s.rating_from, s.rating_to, s.price_to, s.within_m
        into v_min_score, v_froms, v_tos, v_prices, v_withins
        from internal.quote_slabs(
            v_theta, p_radius_km * 1000, v_min_price, v_version.w_distance, v_version.w_price,
            v_version.w_rating + v_version.w_reliability
        ) as s;

        -- step 3: the round. The loop reads the sorted candidates lazily: the
        -- free-slot check runs only until max_results offers are found. Offers
        -- below the threshold are the look-ahead that step 4 aims with.
        v_next := null;
        v_ahead := '{}'::uuid[];
        for v_offer in
            select c.*
            from internal.quote_candidates_in(
                p_category_id, p_point, p_starts_at, p_radius_km, v_min_price,
                v_min_score, v_froms, v_tos, v_prices, v_withins, p_now,
                v_version.w_distance, v_version.w_rating, v_version.w_price, v_version.w_reliability,
                v_personal_ids, v_personal_terms
            ) as c
            where c.score < v_above
            order by c.score desc, c.distance_m asc, c.provider_id asc, c.service_id asc
        loop
            v_top := greatest(v_top, v_offer.score);
            if v_offer.score < v_theta then
                -- below this round's threshold: look ahead for the next one
                continue when v_offer.provider_id = any(v_taken) or v_offer.provider_id = any(v_ahead);
                v_ahead := v_ahead || v_offer.provider_id;
                if pg_catalog.cardinality(v_ahead) >= (p_max_results - rank) * v_checked / greatest(rank, 1) then
                    v_next := v_offer.score;
                    exit;
                end if;
                continue;
            end if;
            continue when v_offer.provider_id = any(v_taken);
            v_checked := v_checked + 1;
            continue when not internal.slot_is_free(
                v_offer.provider_id, v_offer.time_zone, v_offer.blocked, p_now
            );
            v_taken := v_taken || v_offer.provider_id;
            rank := rank + 1;
            provider_id := v_offer.provider_id;
            service_id := v_offer.service_id;
            distance_m := v_offer.distance_m;
            score := v_offer.score;
            v_i := pg_catalog.array_position(v_personal_ids, v_offer.provider_id);
            explanation := internal.offer_explanation(
                v_version, v_offer.distance_m, p_radius_km, v_offer.rating_count, v_offer.rating_avg,
                v_offer.cancellation_rate, v_offer.no_show_rate, v_offer.price_cents, v_min_price,
                v_personal_u[v_i], v_completed[v_i], v_stars[v_i], v_offer.score
            );
            return next;
            if rank >= p_max_results then
                return;
            end if;
        end loop;
        exit when v_theta = '-infinity';
        v_above := v_theta;

        -- step 4: the next threshold
        select n.theta, n.step into v_theta, v_step
        from internal.quote_next_threshold(v_theta, v_step, v_next, v_top, v_checked, rank, p_max_results) as n;
    end loop;
end
$$;


--
-- Name: FUNCTION find_offers(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_max_results integer, p_now timestamp with time zone, p_customer_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.find_offers(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_max_results integer, p_now timestamp with time zone, p_customer_id uuid) IS 'The ranked, genuinely free offers of a quote (one per provider), as seen at p_now, for
p_customer_id (personal terms; null: none), each with its explanation.';


--
-- Name: gst_number_valid(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.gst_number_valid(p_number text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $_$
-- 9 digits (the CRA business number), RT (the GST/HST program), a 4-digit
-- reference; the business number's ninth digit is its Luhn check digit.
declare
    v_sum integer := 0;
    v_digit integer;
begin
    if p_number is null or p_number !~ '^[0-9]{9}RT[0-9]{4}$' then
        return false;
    end if;
    for v_i in 1..9 loop
        v_digit := pg_catalog.substr(p_number, v_i, 1)::integer;
        if v_i % 2 = 0 then
            v_digit := v_digit * 2;
            if v_digit > 9 then
                v_digit := v_digit - 9;
            end if;
        end if;
        v_sum := v_sum + v_digit;
    end loop;
    return v_sum % 10 = 0;
end
$_$;


--
-- Name: FUNCTION gst_number_valid(p_number text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.gst_number_valid(p_number text) IS 'Whether a normalised GST number is 9 digits (a Luhn-valid business number), RT and 4 digits.';


--
-- Name: health(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.health() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select jsonb_build_object(
        'status', 'ok',
        'postgres', pg_catalog.current_setting('server_version'),
        'postgis', extensions.postgis_lib_version(),
        'pgmq', internal.setting('pgmq_version'),
        'postgrest', jsonb_build_object(
            'version', internal.setting('postgrest_version'),
            -- this function is reached through PostgREST's schema cache, so an
            -- answer means the cache is loaded and holds the deployed api
            'schema_cache', 'loaded',
            'deployed_at', internal.setting('deployed_at')
        ),
        'migration', (select max(m.version) from public.schema_migrations as m),
        -- the streaming replicas this server feeds (docs/operations.md, "Read replica"):
        -- how far each is behind, in bytes of WAL and in time (null once caught up and idle)
        'replicas', coalesce((
            select jsonb_agg(jsonb_build_object(
                'name', r.application_name,
                'state', r.state,
                'replay_lag_bytes', pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.replay_lsn),
                'replay_lag_seconds', extract(epoch from r.replay_lag)
            ) order by r.application_name)
            from pg_catalog.pg_stat_replication as r
        ), '[]'::jsonb),
        'time', pg_catalog.now()
    )
$$;


--
-- Name: FUNCTION health(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.health() IS 'Versions, migration state and the streaming replicas'' lag. Definer: reads schema_migrations,
settings and pg_stat_replication''s positions, which anon cannot.';


--
-- Name: hide_review(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.hide_review(p_review_id uuid, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_before jsonb;
    v_after jsonb;
begin
    perform internal.require_role('ops', 'only ops staff can hide a review');
    perform internal.require(p_review_id, 'review_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.char_length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    perform from app.reviews as r where r.id = p_review_id for update;
    if not found then
        perform internal.fail('not_found', 'no such review');
    end if;
    v_before := internal.review_json(p_review_id);
    if (v_before ->> 'hidden')::boolean then
        perform internal.fail('conflict', 'this review is already hidden');
    end if;
    update app.reviews as r
    set
        hidden_at = pg_catalog.now(),
        hidden_by = internal.current_user_id(),
        hidden_reason = pg_catalog.btrim(p_reason)
    where r.id = p_review_id;
    v_after := internal.review_json(p_review_id);
    perform internal.audit(
        'review.hidden', 'app.reviews', p_review_id::text, v_before, v_after, pg_catalog.btrim(p_reason)
    );
    return v_after;
end
$$;


--
-- Name: FUNCTION hide_review(p_review_id uuid, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.hide_review(p_review_id uuid, p_reason text) IS 'Hide an abusive review (ops only), with a reason; audited. The provider''s rating drops it at once.
Definer: writes the review, the rating and the audit log.';


--
-- Name: idempotency_claim(uuid, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.idempotency_claim(p_customer_id uuid, p_key text, p_request text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
-- Decides whether a request under an Idempotency-Key is new (null: go on, the
-- key is now claimed and row-locked until this transaction ends), a replay
-- (the first answer) or a misuse (the same key with another body:
-- idempotency_key_reused). A concurrent twin waits here for the first to
-- commit (the primary key), then reads its answer.
declare
    v_hash bytea;
    v_idem app.idempotency_keys;
begin
    if pg_catalog.length(p_key) > 255 then
        perform internal.fail('invalid_input', 'the Idempotency-Key header must be at most 255 characters');
    end if;
    v_hash := extensions.digest(p_request, 'sha256');
    insert into app.idempotency_keys (customer_id, key, request_hash)
    values (p_customer_id, p_key, v_hash)
    on conflict (customer_id, key) do nothing;
    select * into strict v_idem from app.idempotency_keys as k
    where k.customer_id = p_customer_id and k.key = p_key
    for update;
    if v_idem.request_hash <> v_hash then
        perform internal.fail(
            'idempotency_key_reused', 'this Idempotency-Key was already used for a different request'
        );
    end if;
    return v_idem.response;
end
$$;


--
-- Name: FUNCTION idempotency_claim(p_customer_id uuid, p_key text, p_request text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.idempotency_claim(p_customer_id uuid, p_key text, p_request text) IS 'Step 1 of internal.confirm_booking: claim an Idempotency-Key for this request (null) or return its first answer.';


--
-- Name: idempotency_store(uuid, text, jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.idempotency_store(p_customer_id uuid, p_key text, p_response jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    -- Decides nothing: keeps the answer for the key claimed by internal.idempotency_claim.
    update app.idempotency_keys as k set response = p_response
    where k.customer_id = p_customer_id and k.key = p_key
$$;


--
-- Name: FUNCTION idempotency_store(p_customer_id uuid, p_key text, p_response jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.idempotency_store(p_customer_id uuid, p_key text, p_response jsonb) IS 'Step 9 of internal.confirm_booking: the answer a retry under the same Idempotency-Key gets.';


--
-- Name: join_waitlist(uuid, uuid, text, double precision, double precision, numeric, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.join_waitlist(p_service_id uuid, p_provider_id uuid, p_category text, p_lat double precision, p_lng double precision, p_radius_km numeric, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_customer uuid := auth.uid();
    v_limit constant integer := coalesce(internal.setting('waitlist_max_active')::integer, 10);
    v_provider uuid := p_provider_id;
    v_category integer;
    v_entry app.waitlist_entries;
begin
    perform internal.require_role(
        'customer', 'only customers can join a waitlist', 'joining a waitlist needs a signed-in customer'
    );
    perform internal.require(p_starts_at, 'starts_at', 'the start of the window');
    perform internal.require(p_ends_at, 'ends_at', 'the end of the window');
    if p_ends_at <= p_starts_at then
        perform internal.fail('invalid_input', 'ends_at must be after starts_at');
    end if;
    if p_ends_at <= pg_catalog.now() then
        perform internal.fail('invalid_input', 'ends_at must be in the future');
    end if;
    if p_ends_at > pg_catalog.now() + '90 days'::interval then
        perform internal.fail('invalid_input', 'ends_at must be within 90 days');
    end if;
    if (p_service_id is not null)::integer + (p_provider_id is not null and p_service_id is null)::integer
        + (p_category is not null)::integer <> 1 then
        perform internal.fail(
            'invalid_input', 'give exactly one of service_id, provider_id, or category with lat and lng'
        );
    end if;
    if p_service_id is not null then
        select s.provider_id into v_provider
        from app.services as s
        inner join app.providers as p on s.provider_id = p.id
        where s.id = p_service_id and s.is_active and p.is_active;
        if not found then
            perform internal.fail('not_found', 'no such service');
        end if;
        if p_provider_id is not null and p_provider_id <> v_provider then
            perform internal.fail('invalid_input', 'provider_id does not offer service_id');
        end if;
    elsif p_provider_id is not null then
        if not exists (select from app.providers as p where p.id = p_provider_id and p.is_active) then
            perform internal.fail('not_found', 'no such provider');
        end if;
    else
        select c.id into v_category from app.service_categories as c where c.slug = p_category;
        if not found then
            perform internal.fail('invalid_input', 'category must be a known category slug');
        end if;
        perform internal.require(p_lat, 'lat', 'with category');
        perform internal.require(p_lng, 'lng', 'with category');
        if p_lat not between -90 and 90 then
            perform internal.fail('invalid_input', 'lat must be between -90 and 90');
        end if;
        if p_lng not between -180 and 180 then
            perform internal.fail('invalid_input', 'lng must be between -180 and 180');
        end if;
        if coalesce(p_radius_km, 10) <= 0 or coalesce(p_radius_km, 10) > 200 then
            perform internal.fail('invalid_input', 'radius_km must be more than 0 and at most 200');
        end if;
    end if;

    -- one customer's joins take turns, so the limit cannot be raced past
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.waitlist:' || v_customer::text, 0));
    if (
        select pg_catalog.count(*) from app.waitlist_entries as w
        where w.customer_id = v_customer and w.status = 'active' and pg_catalog.upper(w.wanted) > pg_catalog.now()
    ) >= v_limit then
        perform internal.fail(
            'too_many_waitlist_entries',
            pg_catalog.format('at most %s active waitlist entries; leave one or wait for one to expire', v_limit)
        );
    end if;

    insert into app.waitlist_entries as w (
        customer_id, service_id, provider_id, category_id, lat, lng, radius_km, wanted
    )
    values (
        v_customer, p_service_id, v_provider, v_category,
        case when v_category is not null then p_lat end,
        case when v_category is not null then p_lng end,
        case when v_category is not null then coalesce(p_radius_km, 10) end,
        pg_catalog.tstzrange(p_starts_at, p_ends_at)
    )
    returning * into v_entry;
    return internal.waitlist_entry_json(v_entry);
end
$$;


--
-- Name: FUNCTION join_waitlist(p_service_id uuid, p_provider_id uuid, p_category text, p_lat double precision, p_lng double precision, p_radius_km numeric, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.join_waitlist(p_service_id uuid, p_provider_id uuid, p_category text, p_lat double precision, p_lng double precision, p_radius_km numeric, p_starts_at timestamp with time zone, p_ends_at timestamp with time zone) IS 'Add a waitlist entry for the calling customer, within its limit. Definer: writes app.waitlist_entries.';


--
-- Name: leave_waitlist(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.leave_waitlist(p_entry_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_entry app.waitlist_entries;
begin
    perform internal.require_role(
        'customer', 'only customers have a waitlist', 'leaving a waitlist needs a signed-in customer'
    );
    perform internal.require(p_entry_id, 'entry_id');
    update app.waitlist_entries as w
    set status = 'cancelled', updated_at = pg_catalog.now()
    where w.id = p_entry_id and w.customer_id = auth.uid() and w.status = 'active'
    returning * into v_entry;
    if not found then
        select * into v_entry from app.waitlist_entries as w
        where w.id = p_entry_id and w.customer_id = auth.uid();
        if not found then
            perform internal.fail('not_found', 'no such waitlist entry');
        end if;
    end if;
    return internal.waitlist_entry_json(v_entry);
end
$$;


--
-- Name: FUNCTION leave_waitlist(p_entry_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.leave_waitlist(p_entry_id uuid) IS 'Cancel one of the calling customer''s active waitlist entries. Definer: writes app.waitlist_entries.';


--
-- Name: live_hold_of(uuid, uuid, tstzrange); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.live_hold_of(p_customer_id uuid, p_provider_id uuid, p_during tstzrange) RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- Decides whether a confirm repeats one that still holds this very slot:
    -- that hold's booking is the answer again.
    select b.id from app.bookings as b
    where
        b.customer_id = p_customer_id and b.provider_id = p_provider_id and b.during = p_during
        and b.status = 'pending_payment' and b.hold_expires_at > pg_catalog.now()
$$;


--
-- Name: FUNCTION live_hold_of(p_customer_id uuid, p_provider_id uuid, p_during tstzrange); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.live_hold_of(p_customer_id uuid, p_provider_id uuid, p_during tstzrange) IS 'Step 4 of internal.confirm_booking: the customer''s unexpired hold of this provider at exactly p_during, or null.';


--
-- Name: make_point(double precision, double precision); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.make_point(p_lat double precision, p_lng double precision) RETURNS extensions.geography
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
    if p_lat is null or not p_lat between -90 and 90 then
        perform internal.fail('invalid_input', 'lat must be a latitude between -90 and 90');
    end if;
    if p_lng is null or not p_lng between -180 and 180 then
        perform internal.fail('invalid_input', 'lng must be a longitude between -180 and 180');
    end if;
    return extensions.st_setsrid(extensions.st_makepoint(p_lng, p_lat), 4326)::extensions.geography;
end
$$;


--
-- Name: FUNCTION make_point(p_lat double precision, p_lng double precision); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.make_point(p_lat double precision, p_lng double precision) IS 'A WGS 84 geography point from latitude and longitude; out-of-range values are invalid_input naming the field.';


--
-- Name: mark_balance_paid_at_venue(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.mark_balance_paid_at_venue(p_booking_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_party text;
    v_booking app.bookings;
    v_rem record;
    v_existing app.balance_payments;
    v_before jsonb;
    v_after jsonb;
begin
    perform internal.require(p_booking_id, 'booking_id');
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party <> 'provider' then
        perform internal.fail('forbidden', 'only the booking''s provider marks its balance paid at the venue');
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    select * into v_existing from app.balance_payments as bp where bp.booking_id = p_booking_id for update;
    if found and v_existing.method = 'venue' then
        -- idempotent: marked already; nothing changes, nothing is audited again
        return pg_catalog.jsonb_build_object('booking_id', p_booking_id) || internal.balance_due_json(p_booking_id);
    end if;
    if found and v_existing.status = 'succeeded' then
        perform internal.fail('conflict', 'the balance was already charged to the customer''s card');
    end if;
    if found and v_existing.status = 'pending' then
        perform internal.fail('conflict', 'the balance is being charged to the customer''s card; look again in a minute');
    end if;
    select * into v_rem from internal.booking_remainder(v_booking);
    if not found then
        perform internal.fail('invalid_transition', 'this booking has no balance: it was paid in full');
    end if;
    if v_booking.status not in ('confirmed', 'completed') then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking has no balance to collect', v_booking.status)
        );
    end if;
    if pg_catalog.now() < pg_catalog.lower(v_booking.during) then
        perform internal.fail(
            'invalid_transition', 'the balance can be marked paid at the venue only once the appointment has started'
        );
    end if;
    if not exists (select from app.payments as p where p.booking_id = p_booking_id and p.status = 'succeeded') then
        perform internal.fail('invalid_transition', 'the deposit of this booking was not paid');
    end if;
    v_before := internal.balance_due_json(p_booking_id);
    -- a card charge that failed (due) may still be settled at the venue
    insert into app.balance_payments as bp (
        booking_id, method, status, base_cents, gst_cents, qst_cents, amount_cents, marked_by
    )
    values (
        p_booking_id, 'venue', 'succeeded', v_rem.base_cents, v_rem.gst_cents, v_rem.qst_cents, v_rem.total_cents,
        internal.current_user_id()
    )
    on conflict (booking_id) do update
        set method = 'venue', status = 'succeeded', marked_by = excluded.marked_by, updated_at = pg_catalog.now()
        where bp.status = 'due';
    v_after := pg_catalog.jsonb_build_object('booking_id', p_booking_id) || internal.balance_due_json(p_booking_id);
    perform internal.audit('payment.balance_paid_at_venue', 'app.bookings', p_booking_id::text, v_before, v_after);
    return v_after;
end
$$;


--
-- Name: FUNCTION mark_balance_paid_at_venue(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.mark_balance_paid_at_venue(p_booking_id uuid) IS 'The provider''s owner marks a started (confirmed or completed) booking''s balance paid at the venue: once,
idempotent, audited. Definer: writes app.balance_payments and the audit log.';


--
-- Name: mark_booking(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.mark_booking(p_booking_id uuid, p_outcome text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_party text;
    v_booking app.bookings;
begin
    perform internal.require(p_booking_id, 'booking_id');
    if p_outcome is null or p_outcome not in ('completed', 'no_show') then
        perform internal.fail('invalid_input', 'outcome must be completed or no_show');
    end if;
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party <> 'provider' then
        perform internal.fail('forbidden', 'only the provider marks a booking completed or no_show');
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    if v_booking.status <> 'confirmed' then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot become %s', v_booking.status, p_outcome)
        );
    end if;
    if pg_catalog.now() < pg_catalog.lower(v_booking.during) then
        perform internal.fail('invalid_transition', 'a booking can be marked only once it has started');
    end if;
    perform internal.transition_booking(p_booking_id, p_outcome, 'provider');
    return internal.booking_json(p_booking_id);
end
$$;


--
-- Name: FUNCTION mark_booking(p_booking_id uuid, p_outcome text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.mark_booking(p_booking_id uuid, p_outcome text) IS 'Mark a started, confirmed booking completed or no_show (its provider''s owner). Definer: writes bookings.';


--
-- Name: my_booking_history(text, integer, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.my_booking_history(p_status text, p_limit integer, p_before_id uuid) RETURNS TABLE(id uuid, status text, starts_at timestamp with time zone, ends_at timestamp with time zone, time_zone text, provider_id uuid, provider_name text, service_id uuid, service_name text, price_cents integer, deposit_cents integer, currency text, payment_status text, charged_cents integer, refunded_cents integer, fee_cents integer, hold_expires_at timestamp with time zone, cancelled_at timestamp with time zone, cancelled_by_role text, cancel_reason text, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_before_start timestamptz;
begin
    perform internal.require_role(
        'customer', 'only customer accounts have a booking history', 'sign in to see your bookings'
    );
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    if p_status is not null and p_status not in (
        'pending_payment', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired'
    ) then
        perform internal.fail(
            'invalid_input',
            'status must be pending_payment, confirmed, completed, no_show, cancelled or expired'
        );
    end if;
    if p_before_id is not null then
        select pg_catalog.lower(b.during) into v_before_start
        from app.bookings as b
        where b.id = p_before_id and b.customer_id = auth.uid();
        if v_before_start is null then
            perform internal.fail('not_found', 'before_id is not one of your bookings');
        end if;
    end if;
    return query
    select
        b.id, b.status, pg_catalog.lower(b.during), pg_catalog.upper(b.during), pr.time_zone,
        b.provider_id, pr.business_name, b.service_id, s.name, b.price_cents, b.deposit_cents, b.currency,
        pay.status, m.captured_cents, m.refund_pending_cents + m.refund_succeeded_cents, m.fee_cents,
        case when b.status = 'pending_payment' then b.hold_expires_at end,
        b.cancelled_at, b.cancelled_by_role, b.cancel_reason, b.created_at
    from app.bookings as b
    inner join app.providers as pr on b.provider_id = pr.id
    inner join app.services as s on b.service_id = s.id
    left join app.payments as pay on b.id = pay.booking_id
    cross join lateral internal.booking_money(b.id) as m
    where
        b.customer_id = auth.uid()
        and (p_status is null or b.status = p_status)
        and (
            v_before_start is null
            or (pg_catalog.lower(b.during), b.id) < (v_before_start, p_before_id)
        )
    order by pg_catalog.lower(b.during) desc, b.id desc
    limit p_limit;
end
$$;


--
-- Name: FUNCTION my_booking_history(p_status text, p_limit integer, p_before_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.my_booking_history(p_status text, p_limit integer, p_before_id uuid) IS 'The caller''s own bookings (customer) with provider and service names and the money, latest start first.
Definer: the public catalogue hides inactive providers and services, whose names a past booking still needs.';


--
-- Name: my_payout_account(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.my_payout_account() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    return internal.payout_account_json(internal.my_provider_id());
end
$$;


--
-- Name: FUNCTION my_payout_account(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.my_payout_account() IS 'The signed-in provider''s payout account. Definer: app.payout_accounts is read by nobody else.';


--
-- Name: my_provider_bookings(timestamp with time zone, timestamp with time zone, text, uuid, uuid, uuid, integer, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.my_provider_bookings(p_from timestamp with time zone, p_to timestamp with time zone, p_status text, p_service_id uuid, p_customer_id uuid, p_booking_id uuid, p_limit integer, p_after_id uuid) RETURNS TABLE(id uuid, status text, starts_at timestamp with time zone, ends_at timestamp with time zone, time_zone text, service_id uuid, service_name text, customer_id uuid, customer_name text, customer_email text, customer_phone text, price_cents integer, deposit_cents integer, currency text, payment_status text, charged_cents integer, refunded_cents integer, fee_cents integer, hold_expires_at timestamp with time zone, cancelled_at timestamp with time zone, cancel_reason text, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_provider_id uuid;
    v_after_start timestamptz;
begin
    perform internal.require_role(
        'provider', 'only provider accounts have provider bookings', 'sign in as a provider first'
    );
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    if p_from in ('infinity', '-infinity') or p_to in ('infinity', '-infinity') then
        perform internal.fail('invalid_input', 'from and to must be finite timestamps');
    end if;
    if p_to <= p_from then
        perform internal.fail('invalid_input', 'to must be after from');
    end if;
    if p_status is not null and p_status not in (
        'pending_payment', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired'
    ) then
        perform internal.fail(
            'invalid_input',
            'status must be pending_payment, confirmed, completed, no_show, cancelled or expired'
        );
    end if;
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if v_provider_id is null then
        -- no profile yet: no bookings either
        return;
    end if;
    if p_after_id is not null then
        select pg_catalog.lower(b.during) into v_after_start
        from app.bookings as b
        where b.id = p_after_id and b.provider_id = v_provider_id;
        if v_after_start is null then
            -- the same answer for another provider's booking and for none
            perform internal.fail('not_found', 'after_id is not one of your bookings');
        end if;
    end if;
    return query
    select
        b.id,
        b.status,
        pg_catalog.lower(b.during),
        pg_catalog.upper(b.during),
        pr.time_zone,
        b.service_id,
        s.name,
        b.customer_id,
        u.full_name,
        case
            when u.deleted_at is null and internal.provider_may_contact(b.status, pg_catalog.upper(b.during))
                then u.email::text
        end,
        case
            when u.deleted_at is null and internal.provider_may_contact(b.status, pg_catalog.upper(b.during))
                then u.phone
        end,
        b.price_cents,
        b.deposit_cents,
        b.currency,
        pay.status,
        m.captured_cents,
        m.refund_pending_cents + m.refund_succeeded_cents,
        m.fee_cents,
        case when b.status = 'pending_payment' then b.hold_expires_at end,
        b.cancelled_at,
        b.cancel_reason,
        b.created_at
    from app.bookings as b
    inner join app.providers as pr on b.provider_id = pr.id
    inner join app.services as s on b.service_id = s.id
    inner join app.users as u on b.customer_id = u.id
    left join app.payments as pay on b.id = pay.booking_id
    cross join lateral internal.booking_money(b.id) as m
    where
        b.provider_id = v_provider_id
        and (p_from is null or pg_catalog.lower(b.during) >= p_from)
        and (p_to is null or pg_catalog.lower(b.during) < p_to)
        and (p_status is null or b.status = p_status)
        and (p_service_id is null or b.service_id = p_service_id)
        and (p_customer_id is null or b.customer_id = p_customer_id)
        and (p_booking_id is null or b.id = p_booking_id)
        and (
            v_after_start is null
            or (pg_catalog.lower(b.during), b.id) > (v_after_start, p_after_id)
        )
    order by pg_catalog.lower(b.during), b.id
    limit p_limit;
end
$$;


--
-- Name: FUNCTION my_provider_bookings(p_from timestamp with time zone, p_to timestamp with time zone, p_status text, p_service_id uuid, p_customer_id uuid, p_booking_id uuid, p_limit integer, p_after_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.my_provider_bookings(p_from timestamp with time zone, p_to timestamp with time zone, p_status text, p_service_id uuid, p_customer_id uuid, p_booking_id uuid, p_limit integer, p_after_id uuid) IS 'The caller''s provider''s bookings with the customer''s name and, while needed, contact; oldest start first.
Definer: a provider may not read app.users; this reads the customers of its own bookings only.';


--
-- Name: my_provider_id(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.my_provider_id() RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
    v_provider_id uuid;
begin
    perform internal.require_role(
        'provider', 'only providers have payout accounts', 'a payout account needs a signed-in provider'
    );
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'you have no provider profile yet: create it first (POST /my_provider)');
    end if;
    return v_provider_id;
end
$$;


--
-- Name: FUNCTION my_provider_id(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.my_provider_id() IS 'The signed-in provider''s own provider id (403 for other roles, 404 without a profile).';


--
-- Name: my_tax_registration(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.my_tax_registration() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_provider_id uuid;
begin
    perform internal.require_role(
        'provider', 'only providers have a tax registration', 'reading a tax registration needs a signed-in provider'
    );
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'create your provider profile first (POST /my_provider)');
    end if;
    return internal.tax_registration_json(v_provider_id);
end
$$;


--
-- Name: FUNCTION my_tax_registration(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.my_tax_registration() IS 'The caller''s provider''s tax registration. Definer: providers have no rights on the table.';


--
-- Name: my_waitlist(integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.my_waitlist(p_limit integer) RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role(
        'customer', 'only customers have a waitlist', 'reading a waitlist needs a signed-in customer'
    );
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    return query
    select internal.waitlist_entry_json(w)
    from app.waitlist_entries as w
    where w.customer_id = auth.uid()
    order by w.created_at desc, w.id
    limit p_limit;
end
$$;


--
-- Name: FUNCTION my_waitlist(p_limit integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.my_waitlist(p_limit integer) IS 'The calling customer''s waitlist entries, newest first. Definer: reads app.waitlist_entries for its owner only.';


--
-- Name: network_lock(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.network_lock(p_network text) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.network:' || p_network, 0))
$$;


--
-- Name: FUNCTION network_lock(p_network text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.network_lock(p_network text) IS 'Serialise the confirmations from one client network for this transaction, so the per-address hold limit cannot be raced past.';


--
-- Name: notification_begin(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notification_begin(p_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_row app.notifications;
    v_channels text [];
begin
    select * into v_row from app.notifications as n where n.id = p_id for update;
    if not found then
        return 'missing';
    end if;
    if v_row.status in ('sent', 'skipped') or (v_row.status = 'failed' and v_row.delivery_unknown) then
        return 'done';
    end if;
    if v_row.status = 'sending' then
        update app.notifications as n
        set
            status = 'failed',
            delivery_unknown = true,
            last_error = 'delivery state unknown after an interrupted send',
            data = n.data - 'token'
        where n.id = p_id;
        return 'interrupted';
    end if;
    -- queued, or failed before anything was delivered (its dead letter replayed):
    -- the preferences may have changed since it was queued
    v_channels := internal.notification_channels(
        v_row.recipient_id,
        (select e.category from internal.notification_events() as e where e.event = v_row.event)
    );
    if not (v_row.channel = any(coalesce(v_channels, array[]::text []))) then
        update app.notifications as n
        set
            status = 'skipped',
            last_error = case
                when v_row.channel = 'sms' and not exists (
                    select from app.users as u where u.id = v_row.recipient_id and u.phone is not null
                ) then 'the recipient has no phone number'
                else 'turned off in the recipient''s preferences'
            end,
            data = n.data - 'token'
        where n.id = p_id;
        return 'skipped';
    end if;
    update app.notifications as n
    set status = 'sending', attempts = n.attempts + 1
    where n.id = p_id;
    return 'send';
end
$$;


--
-- Name: FUNCTION notification_begin(p_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notification_begin(p_id uuid) IS 'Before a send: ''send'' (now `sending`, attempts + 1), ''done'' (sent, skipped, or failed with delivery unknown),
''skipped'' (the preferences no longer allow it), ''interrupted'' (found `sending`: a previous attempt died
mid-send, so it is now failed with delivery unknown and never sent again) or ''missing''.
The caller commits this before sending. Definer: the worker has no rights on app.notifications.';


--
-- Name: notification_channels(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notification_channels(p_recipient uuid, p_category text) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select
        case
            when p_category = 'security' then array['email']::text []
            else pg_catalog.array_remove(
                array[
                    case when coalesce(p.email, true) then 'email' end,
                    case when coalesce(p.sms, false) and u.phone is not null then 'sms' end
                ]::text [],
                null
            )
        end
    from app.users as u
    left join app.notification_preferences as p
        on p.user_id = u.id and p.category = p_category
    where u.id = p_recipient
$$;


--
-- Name: FUNCTION notification_channels(p_recipient uuid, p_category text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notification_channels(p_recipient uuid, p_category text) IS 'The channels a person''s preferences allow for a category now (email on and SMS off unless chosen; SMS needs a phone).';


--
-- Name: notification_context(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notification_context(p_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'id', n.id,
        'event', n.event,
        'event_key', n.event_key,
        'category', e.category,
        'channel', n.channel,
        'status', n.status,
        'attempts', n.attempts,
        'delivery_unknown', n.delivery_unknown,
        'created_at', n.created_at,
        'data', n.data,
        'recipient', pg_catalog.jsonb_build_object(
            'id', u.id, 'email', u.email, 'full_name', u.full_name, 'locale', u.locale,
            'phone', u.phone, 'role', u.role
        ),
        -- the producer's booking data, its times normalised to UTC ('Z')
        'booking', case when n.data ? 'booking_id' then n.data || pg_catalog.jsonb_build_object(
            'starts_at', pg_catalog.to_char(
                (n.data ->> 'starts_at')::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
            ),
            'ends_at', pg_catalog.to_char(
                (n.data ->> 'ends_at')::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
            )
        ) end
    )
    from app.notifications as n
    inner join app.users as u on n.recipient_id = u.id
    inner join internal.notification_events() as e on n.event = e.event
    where n.id = p_id
$$;


--
-- Name: FUNCTION notification_context(p_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notification_context(p_id uuid) IS 'What the worker renders a notification from: the row, the recipient (email, full_name, locale, phone,
role) and, for booking events, the booking''s details (times in UTC). Null when the row is gone (its recipient was deleted).
Definer: the worker has no rights on app.users or app.notifications.';


--
-- Name: notification_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notification_events() RETURNS TABLE(event text, category text, required_keys text[])
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    with b (keys) as (
        select array[
            'booking_id', 'service_name', 'provider_name', 'provider_time_zone',
            'starts_at', 'ends_at', 'price_cents', 'currency'
        ]::text []
    )

    select v.event, v.category, v.required_keys
    from b
    cross join lateral (
        values
        ('email_confirmation', 'security', array['token']::text []),
        ('password_reset', 'security', array['token']::text []),
        ('booking_confirmed', 'booking_updates', b.keys || array['ics_sequence']),
        ('booking_new', 'booking_updates', b.keys || array['ics_sequence']),
        ('booking_cancelled', 'booking_updates', b.keys || array['refund_cents', 'cancelled_by', 'ics_sequence']),
        ('booking_refunded', 'booking_updates', b.keys || array['refund_cents']),
        ('payment_failed', 'booking_updates', b.keys),
        ('hold_expired', 'booking_updates', b.keys),
        ('booking_reminder', 'reminders', b.keys),
        ('review_received', 'booking_updates', b.keys || array['stars']),
        ('payment_receipt', 'booking_updates', b.keys || array['receipt']),
        ('dispute_opened', 'booking_updates', b.keys || array['dispute']),
        ('dispute_closed', 'booking_updates', b.keys || array['dispute']),
        -- a waitlist opening: not the recipient's booking, so no booking_id
        (
            'waitlist_opening', 'booking_updates',
            array[
                'entry_id', 'service_id', 'service_name', 'provider_name', 'provider_time_zone',
                'starts_at', 'ends_at', 'price_cents', 'currency'
            ]::text []
        )
    ) as v (event, category, required_keys)
$$;


--
-- Name: FUNCTION notification_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notification_events() IS 'The notification events: each one''s preference category and the keys its data must carry.';


--
-- Name: notification_record(uuid, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notification_record(p_id uuid, p_outcome text, p_detail text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_row app.notifications;
    v_detail text := pg_catalog.left(p_detail, 2000);
begin
    select * into v_row from app.notifications as n where n.id = p_id for update;
    if not found then
        perform internal.fail('not_found', pg_catalog.format('no notification %s', p_id));
    end if;
    if (p_outcome in ('sent', 'retry', 'failed') and v_row.status <> 'sending')
        or (p_outcome = 'skipped' and not (
            v_row.status = 'queued' or (v_row.status = 'failed' and not v_row.delivery_unknown)
        )) then
        perform internal.fail('conflict', pg_catalog.format(
            'notification %s is %s: cannot record %s', p_id, v_row.status, coalesce(p_outcome, 'null')
        ));
    end if;
    case p_outcome
        when 'sent' then
            update app.notifications as n
            set status = 'sent', provider_message_id = v_detail, sent_at = pg_catalog.now(), data = n.data - 'token'
            where n.id = p_id;
        when 'retry' then
            update app.notifications as n set status = 'queued', last_error = v_detail where n.id = p_id;
        when 'failed' then
            update app.notifications as n set status = 'failed', last_error = v_detail where n.id = p_id;
        when 'skipped' then
            update app.notifications as n
            set status = 'skipped', last_error = v_detail, data = n.data - 'token'
            where n.id = p_id;
        else
            perform internal.fail('invalid_input', 'outcome must be sent, retry, failed or skipped');
    end case;
end
$$;


--
-- Name: FUNCTION notification_record(p_id uuid, p_outcome text, p_detail text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notification_record(p_id uuid, p_outcome text, p_detail text) IS 'Record an attempt''s outcome: ''sent'' (detail: the provider''s message id), ''retry'' (back to queued;
detail: the error), ''failed'' (detail: the error) - each from `sending` only - or ''skipped'' (detail: the
reason) from queued. A one-time token in the data is dropped once it can no longer be sent.
Definer: the worker has no rights on app.notifications.';


--
-- Name: notifications_append_event(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notifications_append_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    perform internal.append_event(
        'notification_created', null, null, null, new.recipient_id, null,
        pg_catalog.jsonb_build_object('notification_id', new.id, 'event', new.event, 'channel', new.channel)
    );
    return null;
end
$$;


--
-- Name: FUNCTION notifications_append_event(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notifications_append_event() IS 'Trigger: a notification row goes to the event log for its recipient (its id, event, channel; never its data).';


--
-- Name: notify(text, uuid, text, jsonb, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notify(event text, recipient uuid, event_key text, data jsonb, delay_seconds integer DEFAULT 0) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_category text;
    v_channels text [];
    v_channel text;
    v_id uuid;
    v_queued integer := 0;
begin
    perform internal.check_notification_data(notify.event, notify.data);
    perform internal.require(notify.recipient, 'recipient');
    if notify.event_key is null or pg_catalog.btrim(notify.event_key) = ''
        or pg_catalog.char_length(notify.event_key) > 200 then
        perform internal.fail('invalid_input', 'event_key is required (at most 200 characters)');
    end if;
    if notify.delay_seconds is null or notify.delay_seconds < 0 then
        perform internal.fail('invalid_input', 'delay_seconds must be zero or more');
    end if;
    select e.category into v_category from internal.notification_events() as e where e.event = notify.event;
    v_channels := internal.notification_channels(notify.recipient, v_category);
    if v_channels is null then
        perform internal.fail('invalid_input', 'recipient must be an existing user');
    end if;
    foreach v_channel in array v_channels loop
        v_id := null;
        insert into app.notifications (event, event_key, recipient_id, channel, data)
        values (notify.event, notify.event_key, notify.recipient, v_channel, notify.data)
        on conflict on constraint notifications_event_key_recipient_id_channel_key do nothing
        returning id into v_id;
        if v_id is not null then
            perform internal.enqueue(
                'notifications',
                pg_catalog.jsonb_build_object('type', 'notify', 'notification_id', v_id),
                notify.delay_seconds
            );
            v_queued := v_queued + 1;
        end if;
    end loop;
    return v_queued;
end
$$;


--
-- Name: FUNCTION notify(event text, recipient uuid, event_key text, data jsonb, delay_seconds integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notify(event text, recipient uuid, event_key text, data jsonb, delay_seconds integer) IS 'Notify a person of an event, in the caller''s transaction: for each channel their preferences allow
(security mail: email only, always; SMS only with a phone), insert a notification row unless one
exists for (event_key, recipient, channel), and queue {"type":"notify","notification_id":...} for
each row inserted, visible after delay_seconds. Returns how many were queued (0: a repeat, or every
channel turned off). Refuses an unknown event or data that breaks its contract (400 naming data.<key>).
Definer: producers (sign-up, booking transitions) hold no rights on app.notifications or the queues.';


--
-- Name: notify_cache_change(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.notify_cache_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    perform pg_catalog.pg_notify('bookiji_cache', tg_argv[0]);
    return null;
end
$$;


--
-- Name: FUNCTION notify_cache_change(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.notify_cache_change() IS 'Statement trigger: NOTIFY bookiji_cache with the scope named by the trigger''s argument
(''catalog'' or ''slots''); the read router purges nginx''s cached catalog reads of that scope.';


--
-- Name: ranking_versions; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.ranking_versions (
    version integer NOT NULL,
    w_distance double precision NOT NULL,
    w_rating double precision NOT NULL,
    w_price double precision NOT NULL,
    w_reliability double precision NOT NULL,
    w_personal double precision NOT NULL,
    position_bias double precision[] DEFAULT '{}'::double precision[] NOT NULL,
    is_active boolean DEFAULT false NOT NULL,
    source text NOT NULL,
    metrics jsonb DEFAULT '{}'::jsonb NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    activated_at timestamp with time zone,
    CONSTRAINT ranking_versions_note_check CHECK ((char_length(note) <= 500)),
    CONSTRAINT ranking_versions_source_check CHECK ((source = ANY (ARRAY['fixed'::text, 'trained'::text]))),
    CONSTRAINT ranking_versions_version_check CHECK ((version >= 1)),
    CONSTRAINT ranking_versions_weights_check CHECK (((w_distance > (0)::double precision) AND (w_rating >= (0)::double precision) AND (w_price >= (0)::double precision) AND (w_reliability >= (0)::double precision) AND ((w_personal >= (0)::double precision) AND (w_personal <= (1)::double precision)))),
    CONSTRAINT ranking_versions_weights_sum_check CHECK ((abs(((((w_distance + w_rating) + w_price) + w_reliability) - (1)::double precision)) < (0.000000001)::double precision))
);

ALTER TABLE ONLY app.ranking_versions FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE ranking_versions; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.ranking_versions IS 'The quote''s ranking weights, one row per version; exactly one active (internal.activate_ranking_version).';


--
-- Name: offer_explanation(app.ranking_versions, double precision, double precision, integer, numeric, numeric, numeric, integer, integer, double precision, integer, integer, double precision); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.offer_explanation(p_version app.ranking_versions, p_distance_m double precision, p_radius_km double precision, p_rating_count integer, p_rating_avg numeric, p_cancellation_rate numeric, p_no_show_rate numeric, p_price_cents integer, p_min_price_cents integer, p_personal double precision, p_completed integer, p_stars integer, p_score double precision) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    -- Each term: its feature (in [0, 1], U in [-1, 1]), the version's weight,
    -- their product rounded to 4 decimals (the contributions add up to the
    -- score within rounding), and the plain facts behind it.
    select pg_catalog.jsonb_build_object(
        'version', (p_version).version,
        'score', p_score,
        'terms', pg_catalog.jsonb_build_object(
            'distance', pg_catalog.jsonb_build_object(
                'feature', f.d, 'weight', (p_version).w_distance,
                'contribution', pg_catalog.round(((p_version).w_distance * f.d)::numeric, 4),
                'distance_m', pg_catalog.round(p_distance_m::numeric), 'radius_km', p_radius_km
            ),
            'rating', pg_catalog.jsonb_build_object(
                'feature', f.r, 'weight', (p_version).w_rating,
                'contribution', pg_catalog.round(((p_version).w_rating * f.r)::numeric, 4),
                'rating_avg', p_rating_avg, 'rating_count', p_rating_count
            ),
            'reliability', pg_catalog.jsonb_build_object(
                'feature', f.q, 'weight', (p_version).w_reliability,
                'contribution', pg_catalog.round(((p_version).w_reliability * f.q)::numeric, 4),
                'cancellation_rate', p_cancellation_rate, 'no_show_rate', p_no_show_rate
            ),
            'price', pg_catalog.jsonb_build_object(
                'feature', f.p, 'weight', (p_version).w_price,
                'contribution', pg_catalog.round(((p_version).w_price * f.p)::numeric, 4),
                'price_cents', p_price_cents, 'cheapest_cents', p_min_price_cents
            ),
            'personal', pg_catalog.jsonb_build_object(
                'feature', f.u, 'weight', (p_version).w_personal,
                'contribution', pg_catalog.round(((p_version).w_personal * f.u)::numeric, 4),
                'completed', p_completed, 'stars', p_stars
            )
        )
    )
    from (
        select
            pg_catalog.round(greatest(0, 1 - p_distance_m / (p_radius_km * 1000))::numeric, 6) as d,
            pg_catalog.round(
                (((5 * 4.0 + p_rating_count * coalesce(p_rating_avg, 0)) / (5 + p_rating_count) - 1) / 4)::numeric, 6
            ) as r,
            pg_catalog.round(greatest(0, 1 - p_cancellation_rate - p_no_show_rate), 6) as q,
            pg_catalog.round(
                (case when p_price_cents = 0 then 1 else p_min_price_cents::numeric / p_price_cents end), 6
            ) as p,
            pg_catalog.round(coalesce(p_personal, 0)::numeric, 6) as u
    ) as f
$$;


--
-- Name: FUNCTION offer_explanation(p_version app.ranking_versions, p_distance_m double precision, p_radius_km double precision, p_rating_count integer, p_rating_avg numeric, p_cancellation_rate numeric, p_no_show_rate numeric, p_price_cents integer, p_min_price_cents integer, p_personal double precision, p_completed integer, p_stars integer, p_score double precision); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.offer_explanation(p_version app.ranking_versions, p_distance_m double precision, p_radius_km double precision, p_rating_count integer, p_rating_avg numeric, p_cancellation_rate numeric, p_no_show_rate numeric, p_price_cents integer, p_min_price_cents integer, p_personal double precision, p_completed integer, p_stars integer, p_score double precision) IS 'Why an offer ranks where it does: each term''s feature, weight and contribution to the score, with
the facts behind it (app.quote_items.explanation, api.quote''s explanation).';


--
-- Name: offer_score(double precision, double precision, double precision, integer, integer, double precision, double precision, double precision); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.offer_score(p_distance_m double precision, p_radius_km double precision, p_quality double precision, p_price_cents integer, p_min_price_cents integer, p_w_distance double precision, p_w_price double precision, p_personal double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    AS $$
    select pg_catalog.round((
        p_w_distance * greatest(0, 1 - p_distance_m / (p_radius_km * 1000))
        + p_quality
        + p_w_price * (case when p_price_cents = 0 then 1 else p_min_price_cents::numeric / p_price_cents end)
        + p_personal
    )::numeric, 4)::double precision
$$;


--
-- Name: FUNCTION offer_score(p_distance_m double precision, p_radius_km double precision, p_quality double precision, p_price_cents integer, p_min_price_cents integer, p_w_distance double precision, p_w_price double precision, p_personal double precision); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.offer_score(p_distance_m double precision, p_radius_km double precision, p_quality double precision, p_price_cents integer, p_min_price_cents integer, p_w_distance double precision, p_w_price double precision, p_personal double precision) IS 'The score of an offer (formula above), rounded to 4 decimals: p_quality is
internal.quality_term, p_min_price_cents the cheapest offer within the radius,
p_personal the customer''s weighted personal term (wU * U).';


--
-- Name: openapi(name); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.openapi(p_role name) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
declare
    -- what any request may be answered, whatever the operation
    c_everywhere constant text [] := array[
        'invalid_input', 'invalid_token', 'payload_too_large', 'rate_limited', 'internal_error',
        'unavailable', 'statement_timeout'
    ];
    c_reserved constant text [] := array[
        'select', 'order', 'limit', 'offset', 'on_conflict', 'columns', 'and', 'or', 'not'
    ];
    v_info jsonb := internal.openapi_info();
    v_paths jsonb := '{}'::jsonb;
    v_schemas jsonb;
    v_fn record;
    v_view record;
    v_arg record;
    v_codes text [];
    v_errors text;
    v_props jsonb;
    v_required text [];
    v_query jsonb;
    v_result jsonb;
    v_success jsonb;
    v_security jsonb;
    v_default jsonb;
    v_schema jsonb;
    v_item jsonb;
    v_filters jsonb;
    v_body jsonb;
    v_cols jsonb;
begin
    v_schemas := pg_catalog.jsonb_build_object(
        'Error', pg_catalog.jsonb_build_object(
            'type', 'object',
            'description',
            'A refusal. hint carries the machine code of the error registry (docs/errors.md) '
            || 'when the API refused; PostgREST''s own refusals (a malformed request) leave it null '
            || 'and put their code (PGRSTnnn or an SQLSTATE) in code.',
            'required', pg_catalog.jsonb_build_array('code', 'message'),
            'properties', pg_catalog.jsonb_build_object(
                'code', '{"type": "string", "description": "PT<status> for a registered refusal"}'::jsonb,
                'message', '{"type": "string", "description": "For people: names the field or the problem"}'::jsonb,
                'details', '{"type": ["string", "null"]}'::jsonb,
                'hint', pg_catalog.jsonb_build_object(
                    'type', pg_catalog.jsonb_build_array('string', 'null'),
                    'description', 'The registered machine code',
                    'examples', (select pg_catalog.jsonb_agg(e.code) from internal.error_codes() as e)
                )
            )
        )
    );

    v_schemas := v_schemas || (
        select pg_catalog.jsonb_object_agg(c.name, c.schema) from internal.openapi_components() as c
    );

    -- functions: /rpc/<name>
    for v_fn in
        select
            p.oid, p.proname::text as name, p.provolatile, p.proretset, p.prorettype,
            coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), p.proname::text) as doc,
            pg_catalog.has_function_privilege('anon', p.oid, 'execute') as for_anon
        from pg_catalog.pg_proc as p
        where
            p.pronamespace = 'api'::regnamespace
            and pg_catalog.has_function_privilege(p_role, p.oid, 'execute')
        order by p.proname
    loop
        -- the arguments, and the JSON body / query parameters they make
        v_props := '{}'::jsonb;
        v_required := '{}'::text [];
        v_query := '[]'::jsonb;
        v_body := null;
        for v_arg in
            select
                a.name, a.type, a.pos,
                pg_catalog.pg_get_function_arg_default(v_fn.oid, a.pos::integer) as def
            from pg_catalog.pg_proc as p,
                lateral unnest(
                    coalesce(p.proallargtypes, p.proargtypes::oid []),
                    p.proargmodes,
                    p.proargnames
                ) with ordinality as a (type, mode, name, pos)
            where p.oid = v_fn.oid and coalesce(a.mode, 'i') in ('i', 'b', 'v')
            order by a.pos
        loop
            if coalesce(v_arg.name, '') = '' then
                -- a single unnamed json argument: the whole body
                v_body := pg_catalog.jsonb_build_object(
                    'required', true,
                    'content', pg_catalog.jsonb_build_object(
                        'application/json', pg_catalog.jsonb_build_object('schema', '{}'::jsonb)
                    )
                );
                continue;
            end if;
            v_schema := internal.openapi_type(v_arg.type);
            -- a default that is a literal (50, true, 'en'::text) becomes the schema's default
            if v_arg.def ~ '^(-?[0-9.]+|true|false)$' then
                v_default := v_arg.def::jsonb;
            elsif v_arg.def ~ '^''.*''::[a-z ]+$' then
                v_default := pg_catalog.to_jsonb(pg_catalog.replace(
                    pg_catalog.substring(v_arg.def, '^''(.*)''::[a-z ]+$'), '''''', ''''
                ));
            else
                v_default := null;
            end if;
            if v_default is not null then
                v_schema := v_schema || pg_catalog.jsonb_build_object('default', v_default);
            end if;
            if v_arg.def is null or (
                v_arg.def like 'NULL::%' and not exists (
                    select from internal.openapi_optional_arguments() as o
                    where o.function_name = v_fn.name and o.argument_name = v_arg.name
                )
            ) then
                v_required := v_required || v_arg.name;
            end if;
            v_props := v_props || pg_catalog.jsonb_build_object(v_arg.name, v_schema);
            if not v_arg.name = any(c_reserved) then
                v_query := v_query || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'name', v_arg.name,
                    'in', 'query',
                    'required', v_arg.name = any(v_required),
                    'schema', v_schema
                ));
            end if;
        end loop;
        if v_body is null then
            v_body := pg_catalog.jsonb_build_object(
                'required', true,
                'content', pg_catalog.jsonb_build_object(
                    'application/json', pg_catalog.jsonb_build_object(
                        'schema', pg_catalog.jsonb_build_object(
                            'type', 'object',
                            'properties', v_props,
                            'required', pg_catalog.to_jsonb(v_required),
                            'additionalProperties', false
                        )
                    )
                )
            );
        end if;

        -- the result
        select pg_catalog.jsonb_object_agg(a.name, internal.openapi_nullable(internal.openapi_type(a.type)))
        into v_cols
        from pg_catalog.pg_proc as p,
            lateral unnest(p.proallargtypes, p.proargmodes, p.proargnames) as a (type, mode, name)
        where p.oid = v_fn.oid and a.mode = 't';
        if v_cols is null then
            select pg_catalog.jsonb_object_agg(
                att.attname, internal.openapi_nullable(internal.openapi_type(att.atttypid))
            )
            into v_cols
            from pg_catalog.pg_type as t
            join pg_catalog.pg_attribute as att on att.attrelid = t.typrelid
            where t.oid = v_fn.prorettype and t.typrelid <> 0 and att.attnum > 0 and not att.attisdropped;
        end if;
        if v_cols is not null then
            v_item := pg_catalog.jsonb_build_object('type', 'object', 'properties', v_cols);
        else
            v_item := internal.openapi_nullable(internal.openapi_type(v_fn.prorettype));
        end if;
        v_result := case when v_fn.proretset
            then pg_catalog.jsonb_build_object('type', 'array', 'items', v_item)
            else v_item
        end;
        v_result := coalesce(
            (select r.schema from internal.openapi_result_schemas() as r where r.function_name = v_fn.name),
            v_result
        );
        if v_fn.prorettype = 'pg_catalog.void'::pg_catalog.regtype then
            v_success := '{"204": {"description": "Done; no content"}}';
        else
            v_success := pg_catalog.jsonb_build_object('200', pg_catalog.jsonb_build_object(
                'description', 'OK',
                'content', pg_catalog.jsonb_build_object(
                    'application/json', pg_catalog.jsonb_build_object('schema', v_result)
                )
            ));
        end if;

        -- the errors: the codes the comment's "Errors:" part names, and everyone's
        v_errors := pg_catalog.substring(v_fn.doc, 'Errors:(.*)$');
        select pg_catalog.array_agg(e.code) into v_codes
        from internal.error_codes() as e
        where
            e.code = any(c_everywhere)
            -- a key that names no argument: PostgREST finds no such function (PGRST202)
            or e.code = 'not_found'
            or (e.code = 'not_authenticated' and not v_fn.for_anon)
            or v_errors ~ ('\m' || e.code || '\M');
        v_security := case when v_fn.for_anon
            then '[{}, {"bearerAuth": []}]'::jsonb
            else '[{"bearerAuth": []}]'::jsonb
        end;
        v_success := v_success || (
            select pg_catalog.jsonb_object_agg(
                s.http_status::text,
                pg_catalog.jsonb_build_object(
                    'description', s.description,
                    'x-error-codes', s.codes,
                    'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}'::jsonb
                )
            )
            from (
                select
                    e.http_status,
                    pg_catalog.string_agg(e.code || ': ' || e.description, ' ' order by e.code) as description,
                    pg_catalog.jsonb_agg(e.code order by e.code) as codes
                from internal.error_codes() as e
                where e.code = any(v_codes)
                group by e.http_status
            ) as s
        );

        v_paths := v_paths || pg_catalog.jsonb_build_object(
            '/rpc/' || v_fn.name,
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'get', case when v_fn.provolatile in ('s', 'i') and pg_catalog.jsonb_typeof(v_body #> '{content,application/json,schema,properties}') = 'object' then
                    pg_catalog.jsonb_build_object(
                        'operationId', v_fn.name,
                        'summary', pg_catalog.split_part(v_fn.doc, e'\n', 1),
                        'description', v_fn.doc,
                        'parameters', v_query,
                        'security', v_security,
                        'responses', v_success
                    )
                end,
                'post', pg_catalog.jsonb_build_object(
                    'operationId', v_fn.name || case when v_fn.provolatile in ('s', 'i') then '_post' else '' end,
                    'summary', pg_catalog.split_part(v_fn.doc, e'\n', 1),
                    'description', v_fn.doc,
                    'requestBody', v_body,
                    'security', v_security,
                    'responses', v_success
                )
            ))
        );
    end loop;

    -- views: /<name>
    for v_view in
        select
            c.oid, c.relname::text as name,
            coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), c.relname::text) as doc,
            pg_catalog.has_table_privilege(p_role, c.oid, 'select') as can_read,
            pg_catalog.has_any_column_privilege(p_role, c.oid, 'insert') as can_insert,
            pg_catalog.has_any_column_privilege(p_role, c.oid, 'update') as can_update,
            pg_catalog.has_table_privilege(p_role, c.oid, 'delete') as can_delete,
            pg_catalog.has_table_privilege('anon', c.oid, 'select, insert, update, delete') as for_anon
        from pg_catalog.pg_class as c
        where
            c.relnamespace = 'api'::regnamespace and c.relkind in ('v', 'm')
            and pg_catalog.has_table_privilege(p_role, c.oid, 'select, insert, update, delete')
        order by c.relname
    loop
        v_props := '{}'::jsonb;
        v_filters := pg_catalog.jsonb_build_array(
            '{"name": "select", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Columns to return (PostgREST select=)"}'::jsonb,
            '{"name": "order", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Ordering (PostgREST order=)"}'::jsonb,
            '{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}}'::jsonb,
            '{"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 10000}}'::jsonb
        );
        for v_arg in
            select
                att.attname::text as name, att.atttypid as type,
                pg_catalog.col_description(c.oid, att.attnum) as doc,
                pg_catalog.has_column_privilege(p_role, c.oid, att.attnum, 'insert') as can_insert,
                pg_catalog.has_column_privilege(p_role, c.oid, att.attnum, 'update') as can_update
            from pg_catalog.pg_class as c
            join pg_catalog.pg_attribute as att on att.attrelid = c.oid
            where c.oid = v_view.oid and att.attnum > 0 and not att.attisdropped
            order by att.attnum
        loop
            v_schema := internal.openapi_nullable(internal.openapi_type(v_arg.type));
            if v_arg.doc is not null then
                v_schema := v_schema || pg_catalog.jsonb_build_object('description', v_arg.doc);
            end if;
            v_props := v_props || pg_catalog.jsonb_build_object(v_arg.name, v_schema);
            v_filters := v_filters || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'name', v_arg.name, 'in', 'query', 'required', false,
                'schema', '{"type": "string"}'::jsonb,
                'description', 'A PostgREST filter on ' || v_arg.name || ': <operator>.<value>, such as eq.x'
            ));
        end loop;
        v_schemas := v_schemas || pg_catalog.jsonb_build_object(v_view.name, pg_catalog.jsonb_build_object(
            'type', 'object', 'description', v_view.doc, 'properties', v_props
        ));
        -- writes break constraints: the codes the constraint registry answers with
        select pg_catalog.array_agg(e.code) into v_codes
        from internal.error_codes() as e
        where
            e.code = any(c_everywhere) or e.code in ('too_costly', 'forbidden', 'not_found')
            or (e.code = 'not_authenticated' and not v_view.for_anon)
            or (
                (v_view.can_insert or v_view.can_update or v_view.can_delete)
                and e.code in (select r.code from internal.constraint_errors() as r)
            );
        v_success := (
            select pg_catalog.jsonb_object_agg(
                s.http_status::text,
                pg_catalog.jsonb_build_object(
                    'description', s.description,
                    'x-error-codes', s.codes,
                    'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}'::jsonb
                )
            )
            from (
                select
                    e.http_status,
                    pg_catalog.string_agg(e.code || ': ' || e.description, ' ' order by e.code) as description,
                    pg_catalog.jsonb_agg(e.code order by e.code) as codes
                from internal.error_codes() as e
                where e.code = any(v_codes)
                group by e.http_status
            ) as s
        );
        v_security := case when v_view.for_anon
            then '[{}, {"bearerAuth": []}]'::jsonb
            else '[{"bearerAuth": []}]'::jsonb
        end;
        v_paths := v_paths || pg_catalog.jsonb_build_object(
            '/' || v_view.name,
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'get', case when v_view.can_read then pg_catalog.jsonb_build_object(
                    'operationId', 'list_' || v_view.name,
                    'summary', pg_catalog.split_part(v_view.doc, e'\n', 1),
                    'description', v_view.doc,
                    'parameters', v_filters,
                    'security', v_security,
                    'responses', v_success || pg_catalog.jsonb_build_object('416', pg_catalog.jsonb_build_object(
                        'description',
                        'PostgREST''s own refusal PGRST103 (hint null): a negative limit, or an offset past the rows.',
                        'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}'::jsonb
                    )) || pg_catalog.jsonb_build_object('200', pg_catalog.jsonb_build_object(
                        'description', 'The rows visible to the caller',
                        'content', pg_catalog.jsonb_build_object('application/json', pg_catalog.jsonb_build_object(
                            'schema', pg_catalog.jsonb_build_object(
                                'type', 'array',
                                'items', pg_catalog.jsonb_build_object('$ref', '#/components/schemas/' || v_view.name)
                            )
                        ))
                    ))
                ) end,
                'post', case when v_view.can_insert then pg_catalog.jsonb_build_object(
                    'operationId', 'create_' || v_view.name,
                    'summary', 'Add a row to ' || v_view.name,
                    'description', v_view.doc,
                    'requestBody', pg_catalog.jsonb_build_object(
                        'required', true,
                        'content', pg_catalog.jsonb_build_object('application/json', pg_catalog.jsonb_build_object(
                            'schema', pg_catalog.jsonb_build_object(
                                'type', 'object',
                                'properties', (
                                    select coalesce(pg_catalog.jsonb_object_agg(k.key, k.value), '{}')
                                    from pg_catalog.jsonb_each(v_props) as k
                                    where pg_catalog.has_column_privilege(p_role, v_view.oid, k.key, 'insert')
                                ),
                                'additionalProperties', false
                            )
                        ))
                    ),
                    'security', v_security,
                    'responses', v_success || '{"201": {"description": "Created"}}'::jsonb
                ) end,
                'patch', case when v_view.can_update then pg_catalog.jsonb_build_object(
                    'operationId', 'update_' || v_view.name,
                    'summary', 'Change the rows of ' || v_view.name || ' the filters select',
                    'description', v_view.doc,
                    'parameters', v_filters - 0 - 0 - 0 - 0,
                    'requestBody', pg_catalog.jsonb_build_object(
                        'required', true,
                        'content', pg_catalog.jsonb_build_object('application/json', pg_catalog.jsonb_build_object(
                            'schema', pg_catalog.jsonb_build_object(
                                'type', 'object',
                                'properties', (
                                    select coalesce(pg_catalog.jsonb_object_agg(k.key, k.value), '{}')
                                    from pg_catalog.jsonb_each(v_props) as k
                                    where pg_catalog.has_column_privilege(p_role, v_view.oid, k.key, 'update')
                                ),
                                'additionalProperties', false
                            )
                        ))
                    ),
                    'security', v_security,
                    'responses', v_success || '{"204": {"description": "Done"}}'::jsonb
                ) end,
                'delete', case when v_view.can_delete then pg_catalog.jsonb_build_object(
                    'operationId', 'delete_' || v_view.name,
                    'summary', 'Delete the rows of ' || v_view.name || ' the filters select',
                    'description', v_view.doc,
                    'parameters', v_filters - 0 - 0 - 0 - 0,
                    'security', v_security,
                    'responses', v_success || '{"204": {"description": "Done"}}'::jsonb
                ) end
            ))
        );
    end loop;

    return pg_catalog.jsonb_build_object(
        'openapi', '3.1.0',
        'info', pg_catalog.jsonb_build_object(
            'title', 'Bookiji API',
            'version', v_info ->> 'version',
            'description',
            'Bookings near you: the catalogue, quotes, bookings and payments, and the tools of ops. '
            || 'This document is generated from the database for the role ' || p_role
            || ' and lists only what that role may call; call GET /rpc/openapi (or /openapi.json) '
            || 'with another role''s token for its document. Errors carry a machine code in hint '
            || '(docs/errors.md).'
        ),
        'servers', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('url', v_info ->> 'server_url')
        ),
        'paths', v_paths,
        'components', pg_catalog.jsonb_build_object(
            'schemas', v_schemas,
            'securitySchemes', pg_catalog.jsonb_build_object(
                'bearerAuth', pg_catalog.jsonb_build_object(
                    'type', 'http', 'scheme', 'bearer', 'bearerFormat', 'JWT',
                    'description', 'An access token from POST /rpc/login or /rpc/signup'
                )
            )
        )
    );
end
$_$;


--
-- Name: FUNCTION openapi(p_role name); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.openapi(p_role name) IS 'The OpenAPI 3.1 document of the api schema as the role p_role may use it (see the header of db/functions/97_openapi.sql).';


--
-- Name: openapi_components(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.openapi_components() RETURNS TABLE(name text, schema jsonb)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $_$
    select v.name, v.schema::jsonb
    from (
        values
        (
            'User', $j${
                "type": "object",
                "description": "An account, as the caller may see it",
                "required": ["id", "email", "role", "full_name", "locale", "phone", "email_confirmed", "created_at"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "email": {"type": "string"},
                    "role": {"type": "string", "enum": ["customer", "provider", "ops"]},
                    "full_name": {"type": "string"},
                    "locale": {"type": "string", "enum": ["en", "fr"]},
                    "phone": {"type": ["string", "null"]},
                    "email_confirmed": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"}
                }
            }$j$
        ),
        (
            'Session', $j${
                "type": "object",
                "description": "A session: send access_token as a bearer token; exchange refresh_token at POST /rpc/refresh",
                "required": ["access_token", "token_type", "expires_in", "refresh_token", "user"],
                "properties": {
                    "access_token": {"type": "string", "description": "A JWT, valid expires_in seconds"},
                    "token_type": {"type": "string", "const": "bearer"},
                    "expires_in": {"type": "integer"},
                    "refresh_token": {"type": "string"},
                    "user": {"$ref": "#/components/schemas/User"}
                }
            }$j$
        )
    ) as v (name, schema)
$_$;


--
-- Name: FUNCTION openapi_components(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.openapi_components() IS 'Named JSON Schemas of json results (the OpenAPI document''s components), for internal.openapi_result_schemas().';


--
-- Name: openapi_info(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.openapi_info() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'server_url', coalesce(nullif(internal.setting('public_api_url'), ''), '/'),
        'version', coalesce((select max(m.version) from public.schema_migrations as m), '0')
    )
$$;


--
-- Name: FUNCTION openapi_info(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.openapi_info() IS 'The public API URL (internal.settings public_api_url, else "/") and the latest migration. Definer: both are in tables the API roles cannot read.';


--
-- Name: openapi_nullable(jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.openapi_nullable(p_schema jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select case
        when coalesce(pg_catalog.jsonb_typeof(p_schema -> 'type'), '') <> 'string' then p_schema
        when p_schema ? 'enum' then p_schema || pg_catalog.jsonb_build_object(
            'type', pg_catalog.jsonb_build_array(p_schema -> 'type', 'null'),
            'enum', (p_schema -> 'enum') || 'null'::jsonb
        )
        else p_schema || pg_catalog.jsonb_build_object(
            'type', pg_catalog.jsonb_build_array(p_schema -> 'type', 'null')
        )
    end
$$;


--
-- Name: FUNCTION openapi_nullable(p_schema jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.openapi_nullable(p_schema jsonb) IS 'A JSON Schema that also allows null (a type array), as PostgREST writes a null column.';


--
-- Name: openapi_optional_arguments(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.openapi_optional_arguments() RETURNS TABLE(function_name text, argument_name text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select v.function_name, v.argument_name
    from (
        values
        ('analytics_funnel', 'category'),
        ('analytics_provider', 'provider_id'),
        ('analytics_provider', 'tz'),
        ('analytics_revenue', 'provider_id'),
        ('analytics_revenue', 'tz'),
        ('analytics_today', 'provider_id'),
        ('analytics_today', 'tz'),
        ('dlq_list', 'error_class'),
        ('dlq_replay', 'msg_id'),
        ('edit_review', 'body'),
        ('edit_review', 'stars'),
        ('my_booking_history', 'before_id'),
        ('my_booking_history', 'status'),
        ('my_provider_bookings', 'after_id'),
        ('my_provider_bookings', 'booking_id'),
        ('my_provider_bookings', 'customer_id'),
        ('my_provider_bookings', 'from'),
        ('my_provider_bookings', 'service_id'),
        ('my_provider_bookings', 'status'),
        ('my_provider_bookings', 'to'),
        ('ops_audit_trail', 'actor_id'),
        ('ops_audit_trail', 'before_id'),
        ('ops_audit_trail', 'booking_id'),
        ('ops_audit_trail', 'from'),
        ('ops_audit_trail', 'to'),
        ('ops_bookings', 'before_id'),
        ('ops_bookings', 'customer_email'),
        ('ops_bookings', 'customer_id'),
        ('ops_bookings', 'from'),
        ('ops_bookings', 'provider_id'),
        ('ops_bookings', 'status'),
        ('ops_bookings', 'to'),
        ('ops_providers', 'after_id'),
        ('ops_providers', 'search'),
        ('ops_providers', 'suspended'),
        ('review_booking', 'body'),
        ('set_notification_preference', 'email'),
        ('set_notification_preference', 'sms'),
        ('set_tax_registration', 'gst_number'),
        ('set_tax_registration', 'qst_number'),
        ('update_me', 'full_name'),
        ('update_me', 'locale'),
        ('update_me', 'phone')
    ) as v (function_name, argument_name)
$$;


--
-- Name: FUNCTION openapi_optional_arguments(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.openapi_optional_arguments() IS 'The api arguments that default to null and are optional (null means not given); every other null-defaulted argument is required.';


--
-- Name: openapi_result_schemas(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.openapi_result_schemas() RETURNS TABLE(function_name text, schema jsonb)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $_$
    select v.function_name, v.schema::jsonb
    from (
        values
        ('signup', '{"$ref": "#/components/schemas/Session"}'),
        ('login', '{"$ref": "#/components/schemas/Session"}'),
        ('refresh', '{"$ref": "#/components/schemas/Session"}'),
        ('me', '{"anyOf": [{"$ref": "#/components/schemas/User"}, {"type": "null"}]}'),
        (
            'health',
            '{"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}'
        ),
        (
            'openapi',
            '{"type": "object", "required": ["openapi", "info", "paths"], '
            '"properties": {"openapi": {"const": "3.1.0"}}}'
        )
    ) as v (function_name, schema)
$_$;


--
-- Name: FUNCTION openapi_result_schemas(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.openapi_result_schemas() IS 'The JSON Schema of the answer of api functions that return json, where the catalogue cannot tell it.';


--
-- Name: openapi_type(oid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.openapi_type(p_type oid) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
    v_oid oid := p_type;
    v_kind "char";
    v_category "char";
    v_elem oid;
    v_base oid;
    v_name text;
begin
    loop
        select t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typname::text
        into v_kind, v_category, v_elem, v_base, v_name
        from pg_catalog.pg_type as t
        where t.oid = v_oid;
        exit when v_kind is distinct from 'd';
        v_oid := v_base;
    end loop;
    if v_category = 'A' and v_elem <> 0 then
        return pg_catalog.jsonb_build_object('type', 'array', 'items', internal.openapi_type(v_elem));
    end if;
    if v_kind = 'e' then
        return pg_catalog.jsonb_build_object(
            'type', 'string',
            'enum', (
                select pg_catalog.jsonb_agg(e.enumlabel order by e.enumsortorder)
                from pg_catalog.pg_enum as e where e.enumtypid = v_oid
            )
        );
    end if;
    return case v_name
        when 'int2' then '{"type": "integer", "minimum": -32768, "maximum": 32767}'
        when 'int4' then
            '{"type": "integer", "format": "int32", "minimum": -2147483648, "maximum": 2147483647}'
        when 'int8' then '{"type": "integer", "format": "int64"}'
        when 'float4' then '{"type": "number", "format": "float"}'
        when 'float8' then '{"type": "number", "format": "double"}'
        when 'numeric' then '{"type": "number"}'
        when 'bool' then '{"type": "boolean"}'
        when 'uuid' then '{"type": "string", "format": "uuid"}'
        when 'timestamptz' then '{"type": "string", "format": "date-time"}'
        when 'date' then '{"type": "string", "format": "date"}'
        when 'json' then '{}'
        when 'jsonb' then '{}'
        else '{"type": "string"}'
    end::jsonb;
end
$$;


--
-- Name: FUNCTION openapi_type(p_type oid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.openapi_type(p_type oid) IS 'The JSON Schema of a PostgreSQL type as PostgREST writes it (domains resolved, arrays, enums; json is any JSON).';


--
-- Name: ops_booking_story(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_booking_story(p_booking_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
    v_payment app.payments;
    v_owner_id uuid;
    v_story jsonb;
begin
    perform internal.require_role('ops', 'only ops staff may read a booking''s story');
    perform internal.require(p_booking_id, 'booking_id');
    select * into v_booking from app.bookings as b where b.id = p_booking_id;
    if not found then
        perform internal.fail('not_found', 'no such booking');
    end if;
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id;
    select pr.owner_id into v_owner_id from app.providers as pr where pr.id = v_booking.provider_id;

    v_story := pg_catalog.jsonb_build_object(
        'booking', pg_catalog.jsonb_build_object(
            'id', v_booking.id,
            'status', v_booking.status,
            'starts_at', pg_catalog.lower(v_booking.during),
            'ends_at', pg_catalog.upper(v_booking.during),
            'blocked_from', pg_catalog.lower(v_booking.blocked),
            'blocked_to', pg_catalog.upper(v_booking.blocked),
            'hold_expires_at', v_booking.hold_expires_at,
            'held_from', v_booking.held_from,
            'quote_id', v_booking.quote_id,
            'price_cents', v_booking.price_cents,
            'deposit_cents', v_booking.deposit_cents,
            'currency', v_booking.currency,
            'cancel_notice_hours', v_booking.cancel_notice_hours,
            'cancel_fee_cents', v_booking.cancel_fee_cents,
            'cancelled_at', v_booking.cancelled_at,
            'cancelled_by', v_booking.cancelled_by,
            'cancelled_by_role', v_booking.cancelled_by_role,
            'cancel_reason', v_booking.cancel_reason,
            'created_at', v_booking.created_at,
            'updated_at', v_booking.updated_at
        ),
        'customer', (
            select pg_catalog.jsonb_build_object(
                'id', u.id, 'email', u.email, 'full_name', u.full_name, 'phone', u.phone,
                'locale', u.locale, 'deleted_at', u.deleted_at
            )
            from app.users as u where u.id = v_booking.customer_id
        ),
        'provider', (
            select pg_catalog.jsonb_build_object(
                'id', pr.id, 'business_name', pr.business_name, 'owner_id', pr.owner_id,
                'owner_email', u.email, 'contact_email', pr.contact_email, 'contact_phone', pr.contact_phone,
                'time_zone', pr.time_zone, 'is_active', pr.is_active, 'suspended_at', pr.suspended_at,
                'suspension_reason', pr.suspension_reason
            )
            from app.providers as pr
            inner join app.users as u on pr.owner_id = u.id
            where pr.id = v_booking.provider_id
        ),
        'service', (
            select pg_catalog.jsonb_build_object(
                'id', s.id, 'name', s.name, 'category', c.slug, 'duration_minutes', s.duration_minutes
            )
            from app.services as s
            inner join app.service_categories as c on s.category_id = c.id
            where s.id = v_booking.service_id
        ),
        'balance', internal.balance_json(p_booking_id),
        -- never the client secret: it lets its holder pay
        'payment', case when v_payment.id is not null then pg_catalog.jsonb_build_object(
            'id', v_payment.id,
            'status', v_payment.status,
            'amount_cents', v_payment.amount_cents,
            'captured_cents', v_payment.captured_cents,
            'currency', v_payment.currency,
            'stripe_payment_intent_id', v_payment.stripe_payment_intent_id,
            'failure_reason', v_payment.failure_reason,
            'created_at', v_payment.created_at,
            'updated_at', v_payment.updated_at
        ) end,
        'refunds', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', r.id, 'amount_cents', r.amount_cents, 'status', r.status, 'reason', r.reason,
                'requested_by', r.requested_by, 'requested_role', r.requested_role,
                'stripe_refund_id', r.stripe_refund_id, 'failure_reason', r.failure_reason,
                'created_at', r.created_at, 'updated_at', r.updated_at
            ) order by r.created_at, r.id)
            from app.refunds as r where r.booking_id = p_booking_id
        ), '[]'::jsonb),
        'fees', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', f.id, 'kind', f.kind, 'amount_cents', f.amount_cents, 'created_at', f.created_at
            ) order by f.created_at, f.id)
            from app.booking_fees as f where f.booking_id = p_booking_id
        ), '[]'::jsonb),
        'payment_mismatches', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', pm.id, 'stripe_payment_intent_id', pm.stripe_payment_intent_id,
                'expected_cents', pm.expected_cents, 'expected_currency', pm.expected_currency,
                'received_cents', pm.received_cents, 'received_currency', pm.received_currency,
                'refund_id', pm.refund_id, 'created_at', pm.created_at
            ) order by pm.created_at)
            from app.payment_mismatches as pm where pm.booking_id = p_booking_id
        ), '[]'::jsonb),
        -- the status changes and moves, oldest first, from the audit log (kept for good)
        'status_history', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'at', a.occurred_at, 'action', a.action,
                'from', a.before ->> 'status', 'to', a.after ->> 'status',
                'actor_id', a.actor_id, 'actor_role', a.actor_role, 'reason', a.reason,
                'request_id', a.request_id
            ) order by a.id)
            from audit.action_log as a
            where a.table_name = 'app.bookings' and a.row_id = p_booking_id::text
                and a.action like 'booking.%'
                -- creation, status changes and moves (not the refunds, which keep the status)
                and (
                    a.before is null
                    or a.action = 'booking.moved'
                    or a.before ->> 'status' is distinct from a.after ->> 'status'
                )
        ), '[]'::jsonb),
        -- every audit entry about the booking, its payment and its refunds, oldest first
        'audit_trail', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', a.id, 'occurred_at', a.occurred_at, 'actor_id', a.actor_id, 'actor_role', a.actor_role,
                'action', a.action, 'table_name', a.table_name, 'row_id', a.row_id, 'reason', a.reason,
                'before', a.before, 'after', a.after, 'request_id', a.request_id
            ) order by a.id)
            from audit.action_log as a
            where
                (a.table_name = 'app.bookings' and a.row_id = p_booking_id::text)
                or (a.table_name = 'app.payments' and a.row_id = v_payment.id::text)
                or (
                    a.table_name = 'app.refunds'
                    and a.row_id in (select r.id::text from app.refunds as r where r.booking_id = p_booking_id)
                )
        ), '[]'::jsonb),
        -- the event log keeps event_retention_hours only: older bookings have none left
        'events', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', e.id, 'created_at', e.created_at, 'kind', e.kind, 'payload', e.payload
            ) order by e.id)
            from app.events as e
            where e.customer_id = v_booking.customer_id and e.booking_id = p_booking_id
        ), '[]'::jsonb),
        -- what was sent to whom about it (the data, which may hold a one-time token, is left out)
        'notifications', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', n.id, 'event', n.event, 'event_key', n.event_key, 'recipient_id', n.recipient_id,
                'recipient', case when n.recipient_id = v_booking.customer_id then 'customer' else 'provider' end,
                'channel', n.channel, 'status', n.status, 'attempts', n.attempts, 'last_error', n.last_error,
                'delivery_unknown', n.delivery_unknown, 'provider_message_id', n.provider_message_id,
                'created_at', n.created_at, 'sent_at', n.sent_at
            ) order by n.created_at, n.id)
            from app.notifications as n
            where n.recipient_id in (v_booking.customer_id, v_owner_id)
                and n.data ->> 'booking_id' = p_booking_id::text
        ), '[]'::jsonb),
        'stripe', pg_catalog.jsonb_build_object(
            'payment_intent_id', v_payment.stripe_payment_intent_id,
            'refund_ids', coalesce((
                select pg_catalog.jsonb_agg(r.stripe_refund_id order by r.created_at, r.id)
                from app.refunds as r where r.booking_id = p_booking_id and r.stripe_refund_id is not null
            ), '[]'::jsonb),
            'events', coalesce((
                select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                    'id', se.id, 'type', se.type, 'received_at', se.received_at,
                    'processed_at', se.processed_at, 'outcome', se.outcome
                ) order by se.received_at, se.id)
                from app.stripe_events as se
                where v_payment.stripe_payment_intent_id is not null
                    and coalesce(se.payload #>> '{data,object,payment_intent}', se.payload #>> '{data,object,id}')
                    = v_payment.stripe_payment_intent_id
            ), '[]'::jsonb)
        )
    );
    return v_story;
end
$$;


--
-- Name: FUNCTION ops_booking_story(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_booking_story(p_booking_id uuid) IS 'A booking''s full story as one JSON document (ops only).
Definer: reads accounts, notifications, Stripe events and the audit log together.';


--
-- Name: ops_bookings(text, uuid, text, timestamp with time zone, timestamp with time zone, uuid, integer, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_bookings(p_customer_email text, p_provider_id uuid, p_status text, p_from timestamp with time zone, p_to timestamp with time zone, p_customer_id uuid, p_limit integer, p_before_id uuid) RETURNS TABLE(id uuid, status text, starts_at timestamp with time zone, ends_at timestamp with time zone, created_at timestamp with time zone, customer_id uuid, customer_email text, customer_name text, provider_id uuid, provider_name text, service_id uuid, service_name text, price_cents integer, deposit_cents integer, currency text, payment_status text, stripe_payment_intent_id text, charged_cents integer, refunded_cents integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_email text := auth.normalize_email(p_customer_email);
    v_customer_id uuid := p_customer_id;
    v_before_start timestamptz;
begin
    perform internal.require_role('ops', 'only ops staff may search bookings');
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    if p_from in ('infinity', '-infinity') or p_to in ('infinity', '-infinity') then
        perform internal.fail('invalid_input', 'from and to must be finite timestamps');
    end if;
    if p_to <= p_from then
        perform internal.fail('invalid_input', 'to must be after from');
    end if;
    if p_status is not null and p_status not in (
        'pending_payment', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired'
    ) then
        perform internal.fail(
            'invalid_input',
            'status must be pending_payment, confirmed, completed, no_show, cancelled or expired'
        );
    end if;
    if v_email = '' then
        v_email := null;
    end if;
    if pg_catalog.char_length(v_email) > 254 then
        perform internal.fail('invalid_input', 'customer_email must be at most 254 characters');
    end if;
    if v_email is not null then
        select u.id into v_customer_id
        from app.users as u
        where u.email operator(extensions.=) v_email::extensions.citext
            and (p_customer_id is null or u.id = p_customer_id);
        if v_customer_id is null then
            return;  -- nobody with that email: no bookings
        end if;
    end if;
    if p_before_id is not null then
        select pg_catalog.lower(b.during) into v_before_start from app.bookings as b where b.id = p_before_id;
        if v_before_start is null then
            perform internal.fail('not_found', 'before_id is not a booking');
        end if;
    end if;
    return query
    select
        b.id, b.status, pg_catalog.lower(b.during), pg_catalog.upper(b.during), b.created_at,
        b.customer_id, u.email::text, u.full_name, b.provider_id, pr.business_name, b.service_id, s.name,
        b.price_cents, b.deposit_cents, b.currency, pay.status, pay.stripe_payment_intent_id,
        m.captured_cents, m.refund_pending_cents + m.refund_succeeded_cents
    from app.bookings as b
    inner join app.users as u on b.customer_id = u.id
    inner join app.providers as pr on b.provider_id = pr.id
    inner join app.services as s on b.service_id = s.id
    left join app.payments as pay on b.id = pay.booking_id
    cross join lateral internal.booking_money(b.id) as m
    where
        (v_customer_id is null or b.customer_id = v_customer_id)
        and (p_provider_id is null or b.provider_id = p_provider_id)
        and (p_status is null or b.status = p_status)
        and (p_from is null or pg_catalog.lower(b.during) >= p_from)
        and (p_to is null or pg_catalog.lower(b.during) < p_to)
        and (
            v_before_start is null
            or (pg_catalog.lower(b.during), b.id) < (v_before_start, p_before_id)
        )
    order by pg_catalog.lower(b.during) desc, b.id desc
    limit p_limit;
end
$$;


--
-- Name: FUNCTION ops_bookings(p_customer_email text, p_provider_id uuid, p_status text, p_from timestamp with time zone, p_to timestamp with time zone, p_customer_id uuid, p_limit integer, p_before_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_bookings(p_customer_email text, p_provider_id uuid, p_status text, p_from timestamp with time zone, p_to timestamp with time zone, p_customer_id uuid, p_limit integer, p_before_id uuid) IS 'Bookings by customer email, provider, status and start, latest start first (ops only).
Definer: joins the customers'' and providers'' accounts.';


--
-- Name: ops_check(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_check(p_booking_id uuid, p_reason text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff can do this');
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    if not exists (select from app.bookings as b where b.id = p_booking_id) then
        perform internal.fail('not_found', 'no such booking');
    end if;
end
$$;


--
-- Name: FUNCTION ops_check(p_booking_id uuid, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_check(p_booking_id uuid, p_reason text) IS 'Refuse an ops action by a non-ops caller, without a reason, or on no booking.';


--
-- Name: ops_force_cancel(uuid, text, boolean); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_force_cancel(p_booking_id uuid, p_reason text, p_refund boolean) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.ops_check(p_booking_id, p_reason);
    if p_refund is null then
        perform internal.fail('invalid_input', 'refund must be true or false');
    end if;
    -- the status trigger audits the change (actor, before, after, reason, request id)
    return internal.cancel_booking_as(p_booking_id, 'ops', pg_catalog.btrim(p_reason), p_refund);
end
$$;


--
-- Name: FUNCTION ops_force_cancel(p_booking_id uuid, p_reason text, p_refund boolean); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_force_cancel(p_booking_id uuid, p_reason text, p_refund boolean) IS 'Cancel any live booking (ops only), refunding everything still refundable if asked; audited.
Definer: writes bookings, refunds and the queue.';


--
-- Name: ops_provider_check(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_provider_check(p_provider_id uuid, p_reason text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    perform internal.require_role('ops', 'only ops staff can suspend or reinstate a provider');
    perform internal.require(p_provider_id, 'provider_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.char_length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
end
$$;


--
-- Name: FUNCTION ops_provider_check(p_provider_id uuid, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_provider_check(p_provider_id uuid, p_reason text) IS 'Refuse a provider action by a non-ops caller, without a provider_id or a reason (400 naming it).';


--
-- Name: ops_providers(text, boolean, integer, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_providers(p_search text, p_suspended boolean, p_limit integer, p_after_id uuid) RETURNS TABLE(id uuid, business_name text, owner_id uuid, owner_email text, owner_name text, contact_email text, contact_phone text, time_zone text, is_active boolean, suspended_at timestamp with time zone, suspended_by uuid, suspension_reason text, rating_count integer, rating_avg numeric, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_after_name text;
    v_search text := nullif(pg_catalog.btrim(p_search), '');
begin
    perform internal.require_role('ops', 'only ops staff may list providers');
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    if pg_catalog.char_length(v_search) > 200 then
        perform internal.fail('invalid_input', 'search must be at most 200 characters');
    end if;
    if p_after_id is not null then
        select p.business_name into v_after_name from app.providers as p where p.id = p_after_id;
        if v_after_name is null then
            perform internal.fail('not_found', 'after_id is not a provider');
        end if;
    end if;
    return query
    select
        p.id, p.business_name, p.owner_id, u.email::text, u.full_name, p.contact_email::text,
        p.contact_phone, p.time_zone, p.is_active, p.suspended_at, p.suspended_by,
        p.suspension_reason, p.rating_count, p.rating_avg, p.created_at
    from app.providers as p
    inner join app.users as u on p.owner_id = u.id
    where
        (p_suspended is null or (p.suspended_at is not null) = p_suspended)
        and (
            v_search is null
            -- a name part (case-insensitive; % and _ match themselves), or an exact email or id
            or pg_catalog.strpos(pg_catalog.lower(p.business_name), pg_catalog.lower(v_search)) > 0
            or u.email::text = pg_catalog.lower(v_search)
            or p.contact_email::text = pg_catalog.lower(v_search)
            or p.id::text = pg_catalog.lower(v_search)
        )
        and (v_after_name is null or (p.business_name, p.id) > (v_after_name, p_after_id))
    order by p.business_name, p.id
    limit p_limit;
end
$$;


--
-- Name: FUNCTION ops_providers(p_search text, p_suspended boolean, p_limit integer, p_after_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_providers(p_search text, p_suspended boolean, p_limit integer, p_after_id uuid) IS 'Providers with their owner and suspension, by name (ops only).
Definer: joins the owners'' accounts.';


--
-- Name: ops_refund(uuid, integer, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_refund(p_booking_id uuid, p_amount_cents integer, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_before jsonb;
    v_after jsonb;
    v_refund_id uuid;
begin
    perform internal.ops_check(p_booking_id, p_reason);
    if p_amount_cents is null or p_amount_cents <= 0 then
        perform internal.fail('invalid_input', 'amount_cents must be a positive number of cents');
    end if;
    -- the payment row lock (request_refund takes it too) makes "before" exact
    perform from app.payments as p where p.booking_id = p_booking_id for update;
    v_before := internal.balance_json(p_booking_id);
    -- request_refund locks the payment row: concurrent refunds of one booking
    -- are checked one after the other, never past what was captured
    v_refund_id := internal.request_refund(
        p_booking_id, p_amount_cents, pg_catalog.btrim(p_reason), internal.current_user_id(), 'ops'
    );
    v_after := internal.balance_json(p_booking_id) || pg_catalog.jsonb_build_object('refund_id', v_refund_id);
    perform internal.audit(
        'booking.ops_refund', 'app.bookings', p_booking_id::text, v_before, v_after, pg_catalog.btrim(p_reason)
    );
    return v_after;
end
$$;


--
-- Name: FUNCTION ops_refund(p_booking_id uuid, p_amount_cents integer, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_refund(p_booking_id uuid, p_amount_cents integer, p_reason text) IS 'Refund part or all of a booking''s charge (ops only), never past what was captured; audited.
Definer: writes the refund ledger, the queue and the audit log.';


--
-- Name: ops_reinstate_provider(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_reinstate_provider(p_provider_id uuid, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_before jsonb;
    v_old app.providers;
begin
    perform internal.ops_provider_check(p_provider_id, p_reason);
    select * into v_old from app.providers as p where p.id = p_provider_id for no key update;
    if not found then
        perform internal.fail('not_found', 'no such provider');
    end if;
    if v_old.suspended_at is null then
        perform internal.fail('conflict', 'the provider is not suspended');
    end if;
    v_before := internal.provider_suspension_json(p_provider_id);
    update app.providers as p
    set
        is_active = p.active_before_suspension,
        active_before_suspension = null,
        suspended_at = null,
        suspended_by = null,
        suspension_reason = null
    where p.id = p_provider_id;
    perform internal.audit(
        'provider.reinstated', 'app.providers', p_provider_id::text,
        v_before, internal.provider_suspension_json(p_provider_id), pg_catalog.btrim(p_reason)
    );
    return internal.provider_suspension_json(p_provider_id);
end
$$;


--
-- Name: FUNCTION ops_reinstate_provider(p_provider_id uuid, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_reinstate_provider(p_provider_id uuid, p_reason text) IS 'Lift a provider''s suspension (ops only): is_active as it was before; audited with the reason and request id.
Definer: writes the providers'' private columns and the audit log.';


--
-- Name: ops_set_commission_rate(text, integer, integer, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_set_commission_rate(p_category text, p_rate_bp integer, p_minimum_cents integer, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_category_id integer;
    v_before jsonb;
    v_after jsonb;
begin
    perform internal.require_role('ops', 'only ops staff can change the commission');
    perform internal.require_text(p_category, 'category');
    perform internal.require(p_rate_bp, 'rate_bp');
    perform internal.require(p_minimum_cents, 'minimum_cents');
    perform internal.require_text(p_reason, 'reason');
    if p_rate_bp not between 0 and 10000 then
        perform internal.fail('invalid_input', 'rate_bp must be between 0 and 10000 (basis points: 1000 is 10 %)');
    end if;
    if p_minimum_cents not between 0 and 1000000 then
        perform internal.fail('invalid_input', 'minimum_cents must be between 0 and 1000000');
    end if;
    if pg_catalog.length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    select c.id into v_category_id from app.service_categories as c where c.slug = p_category;
    if not found then
        perform internal.fail('not_found', 'no such category');
    end if;
    select pg_catalog.to_jsonb(r) into v_before
    from app.commission_rates as r where r.category_id = v_category_id for update;
    insert into app.commission_rates as r (category_id, rate_bp, minimum_cents, updated_by, updated_at)
    values (v_category_id, p_rate_bp, p_minimum_cents, (select u.id from app.users as u where u.id = auth.uid()), pg_catalog.now())
    on conflict (category_id) do update
    set rate_bp = excluded.rate_bp, minimum_cents = excluded.minimum_cents,
        updated_by = excluded.updated_by, updated_at = excluded.updated_at;
    select pg_catalog.to_jsonb(r) into v_after from app.commission_rates as r where r.category_id = v_category_id;
    perform internal.audit(
        'commission.set', 'app.commission_rates', v_category_id::text, v_before, v_after, pg_catalog.btrim(p_reason)
    );
    return pg_catalog.jsonb_build_object(
        'category', p_category, 'rate_bp', p_rate_bp, 'minimum_cents', p_minimum_cents
    );
end
$$;


--
-- Name: FUNCTION ops_set_commission_rate(p_category text, p_rate_bp integer, p_minimum_cents integer, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_set_commission_rate(p_category text, p_rate_bp integer, p_minimum_cents integer, p_reason text) IS 'Set a category''s commission (ops only), audited with before and after. Definer: writes app.commission_rates and the audit log.';


--
-- Name: ops_suspend_provider(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ops_suspend_provider(p_provider_id uuid, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_old app.providers;
begin
    perform internal.ops_provider_check(p_provider_id, p_reason);
    select * into v_old from app.providers as p where p.id = p_provider_id for no key update;
    if not found then
        perform internal.fail('not_found', 'no such provider');
    end if;
    if v_old.suspended_at is not null then
        perform internal.fail(
            'conflict', pg_catalog.format('the provider is already suspended (since %s)', v_old.suspended_at)
        );
    end if;
    -- the providers' trigger (_300_search_keys) takes its services out of the quote
    update app.providers as p
    set
        active_before_suspension = p.is_active,
        is_active = false,
        suspended_at = pg_catalog.now(),
        suspended_by = internal.current_user_id(),
        suspension_reason = pg_catalog.btrim(p_reason)
    where p.id = p_provider_id;
    perform internal.audit(
        'provider.suspended', 'app.providers', p_provider_id::text,
        pg_catalog.jsonb_build_object('is_active', v_old.is_active, 'suspended_at', null),
        internal.provider_suspension_json(p_provider_id), pg_catalog.btrim(p_reason)
    );
    return internal.provider_suspension_json(p_provider_id);
end
$$;


--
-- Name: FUNCTION ops_suspend_provider(p_provider_id uuid, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ops_suspend_provider(p_provider_id uuid, p_reason text) IS 'Suspend a provider (ops only): inactive, with who, when and why; audited with the reason and request id.
Definer: writes the providers'' private columns and the audit log.';


--
-- Name: payment_cancel_action(uuid, text, boolean); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payment_cancel_action(p_payment_id uuid, p_stripe_status text DEFAULT NULL::text, p_cancel_refused boolean DEFAULT false) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select r.request || case
        when r.request ->> 'stripe_payment_intent_id' is null then
            -- never created (the create handler skips ended bookings)
            pg_catalog.jsonb_build_object(
                'action', 'record_cancelled', 'reason', 'no intent was created: nothing to cancel in Stripe'
            )
        when p_stripe_status is null then
            pg_catalog.jsonb_build_object('action', 'retrieve', 'reason', 'look at the intent in Stripe first')
        when p_stripe_status = 'canceled' then
            pg_catalog.jsonb_build_object('action', 'record_cancelled', 'reason', 'already canceled in Stripe')
        when internal.stripe_intent_settled(p_stripe_status) then
            -- the webhook refunds a payment that arrived after the booking ended
            pg_catalog.jsonb_build_object(
                'action', 'skip', 'reason', pg_catalog.format('the intent is %s: nothing to cancel', p_stripe_status)
            )
        when p_cancel_refused and p_stripe_status = 'processing' then
            pg_catalog.jsonb_build_object('action', 'retry', 'reason', 'the intent is processing: cancel once it settles')
        when p_cancel_refused then
            pg_catalog.jsonb_build_object(
                'action', 'fail', 'reason', pg_catalog.format('Stripe refused to cancel an intent in status %s', p_stripe_status)
            )
        else
            pg_catalog.jsonb_build_object(
                'action', 'cancel_intent', 'reason', pg_catalog.format('the intent is %s in Stripe', p_stripe_status)
            )
    end
    from (select internal.payment_intent_request(p_payment_id) as request) as r
    where r.request is not null
$$;


--
-- Name: FUNCTION payment_cancel_action(p_payment_id uuid, p_stripe_status text, p_cancel_refused boolean); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payment_cancel_action(p_payment_id uuid, p_stripe_status text, p_cancel_refused boolean) IS 'payment.cancel_intent: retrieve (look at the intent first), cancel_intent, record_cancelled, skip, retry or fail, given the intent''s Stripe status (and whether Stripe refused a cancel). Definer: as above.';


--
-- Name: payment_intent_action(uuid, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payment_intent_action(p_payment_id uuid, p_attempt integer) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select r.request || case
        when (r.request ->> 'wanted')::boolean then
            pg_catalog.jsonb_build_object('action', 'create_intent', 'reason', 'the booking awaits payment')
        -- An earlier attempt (a redelivery, no intent recorded, no failure recorded) may have
        -- made the intent in Stripe and died before its transaction committed: ask again with
        -- the same key (Stripe answers with that intent if it exists) and record it, which
        -- requests its cancellation, the booking having ended. Left alone it would stay live
        -- in Stripe, unknown here.
        when p_attempt > 1
            and r.request ->> 'stripe_payment_intent_id' is null
            and r.request ->> 'payment_status' in ('pending', 'cancelled') then
            pg_catalog.jsonb_build_object(
                'action', 'create_intent',
                'reason', pg_catalog.format(
                    'the booking no longer awaits payment; attempt %s: recording (and so cancelling) '
                    'any intent an earlier attempt made', p_attempt
                )
            )
        else
            pg_catalog.jsonb_build_object(
                'action', 'skip', 'reason', 'the booking no longer awaits payment: no intent created'
            )
    end
    from (select internal.payment_intent_request(p_payment_id) as request) as r
    where r.request is not null
$$;


--
-- Name: FUNCTION payment_intent_action(p_payment_id uuid, p_attempt integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payment_intent_action(p_payment_id uuid, p_attempt integer) IS 'payment.create_intent: create_intent or skip (with the reason), and what the intent is made of. p_attempt: the message''s read count (a redelivery may have to recover an intent an earlier attempt made). Definer: as above.';


--
-- Name: payment_intent_request(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payment_intent_request(p_payment_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'payment_id', p.id,
        'booking_id', b.id,
        'customer_id', b.customer_id,
        'amount_cents', p.amount_cents,
        'currency', pg_catalog.lower(p.currency),
        'payment_status', p.status,
        'booking_status', b.status,
        'stripe_payment_intent_id', p.stripe_payment_intent_id,
        -- a destination charge (55_connect.sql): the provider's account and the commission
        'transfer_destination', p.transfer_destination,
        'application_fee_cents', p.application_fee_cents,
        -- create an intent only for a booking still awaiting payment
        'wanted', b.status = 'pending_payment' and p.status = 'pending'
    )
    from app.payments as p
    inner join app.bookings as b on p.booking_id = b.id
    where p.id = p_payment_id
$$;


--
-- Name: FUNCTION payment_intent_request(p_payment_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payment_intent_request(p_payment_id uuid) IS 'What the worker needs to create (or cancel) a payment''s PaymentIntent. Definer: the worker role reads no app table.';


--
-- Name: payments_check_refund_total(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payments_check_refund_total() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_captured integer;
    v_refunded bigint;
begin
    select p.captured_cents into v_captured from app.payments as p where p.id = new.payment_id for update;
    select coalesce(sum(r.amount_cents), 0) into v_refunded
    from app.refunds as r
    where r.payment_id = new.payment_id and r.status <> 'failed';
    if v_refunded > v_captured then
        perform internal.fail(
            'conflict',
            pg_catalog.format('refunds would total %s cents, more than the %s captured', v_refunded, v_captured)
        );
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION payments_check_refund_total(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payments_check_refund_total() IS 'Constraint trigger: the refunds of a payment (but failed ones) never add up to more than was captured.';


--
-- Name: payments_destination_snapshot(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payments_destination_snapshot() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
begin
    select * into strict v_booking from app.bookings as b where b.id = new.booking_id;
    new.transfer_destination := internal.payout_destination(v_booking.provider_id);
    new.application_fee_cents := case
        when new.transfer_destination is null then 0
        else least(v_booking.commission_cents, new.amount_cents)
    end;
    return new;
end
$$;


--
-- Name: FUNCTION payments_destination_snapshot(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payments_destination_snapshot() IS 'Trigger: a new payment goes to the provider''s connected account (if it can take transfers) with the commission as its fee.';


--
-- Name: payout_account_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payout_account_json(p_provider_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p.id,
        'stripe_account_id', a.stripe_account_id,
        'onboarding_url', case when a.onboarding_url_expires_at > pg_catalog.now() then a.onboarding_url end,
        'onboarding_url_expires_at',
        case when a.onboarding_url_expires_at > pg_catalog.now() then a.onboarding_url_expires_at end,
        'link_requested_at', a.link_requested_at,
        'details_submitted', coalesce(a.details_submitted, false),
        'charges_enabled', coalesce(a.charges_enabled, false),
        'payouts_enabled', coalesce(a.payouts_enabled, false),
        'capabilities', coalesce(a.capabilities, '{}'::jsonb),
        'requirements_due', pg_catalog.to_jsonb(coalesce(a.requirements_due, '{}'::text [])),
        'destination_charges', internal.payout_destination(p.id) is not null
    )
    from app.providers as p
    left join app.payout_accounts as a on p.id = a.provider_id
    where p.id = p_provider_id
$$;


--
-- Name: FUNCTION payout_account_json(p_provider_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payout_account_json(p_provider_id uuid) IS 'A provider''s payout account as the API returns it.';


--
-- Name: payout_destination(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payout_destination(p_provider_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- a destination charge needs the account's transfers capability active (Stripe refuses it otherwise)
    select a.stripe_account_id
    from app.payout_accounts as a
    where
        a.provider_id = p_provider_id
        and a.charges_enabled
        and a.capabilities ->> 'transfers' = 'active'
$$;


--
-- Name: FUNCTION payout_destination(p_provider_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payout_destination(p_provider_id uuid) IS 'The provider''s connected account if a destination charge can go to it now, else null (the platform collects).';


--
-- Name: payout_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payout_json(p_booking_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- refunds still pending count: the ledger counts a refund when it is asked for
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'currency', b.currency,
        'commission_rate_bp', b.commission_rate_bp,
        'commission_minimum_cents', b.commission_minimum_cents,
        'commission_cents', b.commission_cents,
        'transfer_destination', p.transfer_destination,
        'collected_by', case when p.transfer_destination is null then 'platform' else 'provider_account' end,
        'charged_cents', m.captured,
        'refunded_cents', u.refunded,
        'application_fee_cents', case when m.captured > 0 then p.application_fee_cents else 0 end,
        'transfer_cents', case when m.captured > 0 and p.transfer_destination is not null
            then m.captured - p.application_fee_cents else 0 end,
        'transfer_reversed_cents', u.reversed,
        'fee_refunded_cents', u.fee_refunded,
        'fee_kept_cents', case when m.captured > 0 and p.transfer_destination is not null
            then p.application_fee_cents - u.fee_refunded else 0 end,
        'transfer_kept_cents', case when m.captured > 0 and p.transfer_destination is not null
            then m.captured - p.application_fee_cents - u.reversed else 0 end,
        -- the platform collected a charge that should have gone to the provider: what it owes
        'payout_owed_cents', case when m.captured > 0 and p.transfer_destination is null
            then greatest(m.captured - u.refunded - least(b.commission_cents, m.captured), 0) else 0 end
    )
    from app.bookings as b
    left join app.payments as p on b.id = p.booking_id
    cross join lateral (
        select coalesce(case when p.status = 'succeeded' then p.captured_cents end, 0) as captured
    ) as m
    cross join lateral (
        select
            coalesce(sum(r.amount_cents), 0)::integer as refunded,
            coalesce(sum(r.transfer_reversal_cents), 0)::integer as reversed,
            coalesce(sum(r.fee_refund_cents), 0)::integer as fee_refunded
        from app.refunds as r
        where r.booking_id = b.id and r.status <> 'failed'
    ) as u
    where b.id = p_booking_id
$$;


--
-- Name: FUNCTION payout_json(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payout_json(p_booking_id uuid) IS 'A booking''s split: commission, the transfer to the provider, reversals and fee refunds, what each side nets.';


--
-- Name: payout_onboarding_action(uuid, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.payout_onboarding_action(p_provider_id uuid, p_link_request_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p.id,
        'link_request_id', p_link_request_id,
        'email', coalesce(p.contact_email::text, u.email::text),
        'business_name', p.business_name,
        'stripe_account_id', a.stripe_account_id
    ) || case
        when a.link_request_id is distinct from p_link_request_id then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'a newer onboarding link was asked for')
        when a.onboarding_url is not null then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'this link is already recorded')
        when a.stripe_account_id is null then
            pg_catalog.jsonb_build_object('action', 'create_account', 'reason', 'the provider has no account yet')
        else
            pg_catalog.jsonb_build_object('action', 'create_link', 'reason', 'the account exists: make its link')
    end
    from app.providers as p
    inner join app.users as u on p.owner_id = u.id
    left join app.payout_accounts as a on p.id = a.provider_id
    where p.id = p_provider_id
$$;


--
-- Name: FUNCTION payout_onboarding_action(p_provider_id uuid, p_link_request_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.payout_onboarding_action(p_provider_id uuid, p_link_request_id uuid) IS 'connect.onboard: create_account, create_link or skip (with the reason), and what the account is made of.
Definer: the worker reads no app table.';


--
-- Name: personal_terms(uuid, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.personal_terms(p_customer_id uuid, p_category_id integer) RETURNS TABLE(provider_id uuid, term double precision, completed integer, stars integer, same_category boolean)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- U from the customer's completed bookings with a provider (any category) and
    -- its latest review of it: (stars - 3) / 2 when reviewed (5 stars 1, 1 star
    -- -1), else min(completed, 3) / 3; halved when none of those bookings was
    -- in this category. The 50 providers booked most recently; U = 0 left out.
    select h.provider_id, h.term, h.completed, h.stars, h.same_category
    from (
        select
            b.provider_id,
            b.completed,
            r.stars,
            b.same_category,
            b.last_at,
            (
                case
                    when r.stars is not null then (r.stars - 3) / 2.0
                    else least(b.completed, 3) / 3.0
                end
                * case when b.same_category then 1 else 0.5 end
            )::double precision as term
        from (
            select
                k.provider_id,
                pg_catalog.count(*)::integer as completed,
                pg_catalog.bool_or(s.category_id = p_category_id) as same_category,
                pg_catalog.max(pg_catalog.lower(k.during)) as last_at
            from app.bookings as k
            inner join app.services as s on k.service_id = s.id
            where k.customer_id = p_customer_id and k.status = 'completed'
            group by k.provider_id
        ) as b
        left join lateral (
            select v.stars::integer as stars
            from app.reviews as v
            where v.customer_id = p_customer_id and v.provider_id = b.provider_id
            order by v.created_at desc
            limit 1
        ) as r on true
    ) as h
    where h.term <> 0
    order by h.last_at desc, h.provider_id
    limit 50
$$;


--
-- Name: FUNCTION personal_terms(p_customer_id uuid, p_category_id integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.personal_terms(p_customer_id uuid, p_category_id integer) IS 'The personal term U of each provider the customer has completed bookings with (docs/ranking.md):
what the quote adds, times w_personal, for this customer only.';


--
-- Name: price_suggestions(integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.price_suggestions(p_days integer) RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_provider app.providers;
    v_since timestamptz;
    v_open_minutes numeric;
    v_booked_minutes numeric;
    v_fill numeric;
    v_market_appearances bigint;
    v_market_wins bigint;
    v_market_rate numeric;
    r record;
    v_rate numeric;
    v_action text;
    v_low integer;
    v_high integer;
    v_reasons jsonb;
begin
    perform internal.require_role(
        'provider', 'only providers get pricing suggestions', 'pricing suggestions need a signed-in provider'
    );
    if p_days is null or p_days not between 7 and 365 then
        perform internal.fail('invalid_input', 'days must be between 7 and 365');
    end if;
    select * into v_provider from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'this account has no provider profile');
    end if;
    v_since := pg_catalog.now() - pg_catalog.make_interval(days => p_days);

    -- fill: open minutes of the weekly hours over the period against booked minutes in it
    select coalesce(pg_catalog.sum(extract(epoch from h.end_time - h.start_time) / 60), 0) * p_days / 7.0
    into v_open_minutes
    from app.weekly_hours as h where h.provider_id = v_provider.id;
    select coalesce(pg_catalog.sum(extract(epoch from pg_catalog.upper(b.during) - pg_catalog.lower(b.during)) / 60), 0)
    into v_booked_minutes
    from app.bookings as b
    where b.provider_id = v_provider.id
        and b.status in ('confirmed', 'completed', 'no_show')
        and pg_catalog.lower(b.during) >= v_since and pg_catalog.lower(b.during) < pg_catalog.now();
    v_fill := case when v_open_minutes > 0 then least(v_booked_minutes / v_open_minutes, 1) end;

    for r in
        select
            s.id, s.name, s.price_cents, s.currency, s.duration_minutes, s.category_id,
            c.slug as category,
            (
                select pg_catalog.count(*) from app.quote_items as qi
                inner join app.quotes as q on qi.quote_id = q.id
                where qi.service_id = s.id and q.created_at >= v_since
            ) as appeared,
            (
                select pg_catalog.count(distinct b.quote_id) from app.bookings as b
                inner join app.quotes as q on b.quote_id = q.id
                where b.service_id = s.id and q.created_at >= v_since
            ) as won,
            peers.n as peer_count, peers.p25, peers.p50, peers.p75
        from app.services as s
        inner join app.service_categories as c on s.category_id = c.id
        cross join lateral (
            select
                pg_catalog.count(*) as n,
                pg_catalog.round(pg_catalog.percentile_cont(0.25) within group (order by ps.price_cents::numeric / ps.duration_minutes) * s.duration_minutes)::integer as p25,
                pg_catalog.round(pg_catalog.percentile_cont(0.5) within group (order by ps.price_cents::numeric / ps.duration_minutes) * s.duration_minutes)::integer as p50,
                pg_catalog.round(pg_catalog.percentile_cont(0.75) within group (order by ps.price_cents::numeric / ps.duration_minutes) * s.duration_minutes)::integer as p75
            from app.services as ps
            inner join app.providers as pp on ps.provider_id = pp.id
            where ps.category_id = s.category_id and ps.is_active and pp.is_active
                and pp.id <> v_provider.id
                and extensions.st_dwithin(pp.location, v_provider.location, v_provider.service_radius_km * 1000)
        ) as peers
        where s.provider_id = v_provider.id and s.is_active
        order by s.name, s.id
    loop
        -- the market: every appearance in the category's quotes asked within the radius, and the wins
        select pg_catalog.count(*), pg_catalog.count(*) filter (
            where exists (
                select from app.bookings as b
                where b.quote_id = qi.quote_id and b.provider_id = qi.provider_id
            )
        )
        into v_market_appearances, v_market_wins
        from app.quotes as q
        inner join app.quote_items as qi on qi.quote_id = q.id
        where q.category_id = r.category_id and q.created_at >= v_since
            and extensions.st_dwithin(q.location, v_provider.location, v_provider.service_radius_km * 1000);
        v_market_rate := case when v_market_appearances > 0 then v_market_wins::numeric / v_market_appearances end;
        v_rate := case when r.appeared > 0 then r.won::numeric / r.appeared end;
        v_reasons := '[]'::jsonb;

        if r.appeared > 0 then
            v_reasons := v_reasons || pg_catalog.jsonb_build_object(
                'kind', 'demand',
                'text', pg_catalog.format(
                    'chosen in %s of the %s quotes it appeared in (%s%%), against %s%% for %s offers within %s km',
                    r.won, r.appeared, pg_catalog.round(v_rate * 100),
                    coalesce(pg_catalog.round(v_market_rate * 100)::text, '?'), r.category,
                    v_provider.service_radius_km
                ),
                'figures', pg_catalog.jsonb_build_object(
                    'appeared', r.appeared, 'chosen', r.won, 'win_rate', pg_catalog.round(v_rate, 3),
                    'market_appearances', v_market_appearances, 'market_win_rate', pg_catalog.round(v_market_rate, 3)
                )
            );
        end if;
        if r.peer_count > 0 then
            v_reasons := v_reasons || pg_catalog.jsonb_build_object(
                'kind', 'supply',
                'text', pg_catalog.format(
                    '%s other %s services within %s km charge %s to %s (median %s) cents for %s minutes; yours is %s',
                    r.peer_count, r.category, v_provider.service_radius_km, r.p25, r.p75, r.p50,
                    r.duration_minutes, r.price_cents
                ),
                'figures', pg_catalog.jsonb_build_object(
                    'peers', r.peer_count, 'p25_cents', r.p25, 'median_cents', r.p50, 'p75_cents', r.p75
                )
            );
        end if;
        if v_fill is not null then
            v_reasons := v_reasons || pg_catalog.jsonb_build_object(
                'kind', 'fill',
                'text', pg_catalog.format(
                    'your hours were %s%% booked over the last %s days', pg_catalog.round(v_fill * 100), p_days
                ),
                'figures', pg_catalog.jsonb_build_object(
                    'booked_minutes', pg_catalog.round(v_booked_minutes), 'open_minutes', pg_catalog.round(v_open_minutes),
                    'fill_rate', pg_catalog.round(v_fill, 3)
                )
            );
        end if;

        -- raise: wanted well above the market, or the hours nearly full
        if (r.appeared >= 5 and v_market_rate > 0 and v_rate >= 1.5 * v_market_rate) or v_fill >= 0.8 then
            v_action := 'raise';
            v_low := r.price_cents;
            v_high := greatest(pg_catalog.round(r.price_cents * 1.15)::integer, coalesce(r.p75, 0));
        -- lower: passed over while priced above the median, or the hours nearly empty while above it
        elsif r.p50 is not null and r.price_cents > r.p50 and (
            (r.appeared >= 5 and v_rate <= 0.5 * coalesce(v_market_rate, 0))
            or (r.appeared >= 5 and r.won = 0)
            or v_fill < 0.2
        ) then
            v_action := 'lower';
            v_low := greatest(r.p50, pg_catalog.round(r.price_cents * 0.85)::integer);
            v_high := r.price_cents;
        else
            v_action := 'keep';
            v_low := pg_catalog.round(r.price_cents * 0.95)::integer;
            v_high := pg_catalog.round(r.price_cents * 1.05)::integer;
        end if;
        if pg_catalog.jsonb_array_length(v_reasons) = 0 then
            v_reasons := pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'kind', 'no_data', 'text', 'not enough quotes, peers or hours in the period to suggest a change',
                'figures', '{}'::jsonb
            ));
        end if;
        return next pg_catalog.jsonb_build_object(
            'service_id', r.id,
            'service_name', r.name,
            'category', r.category,
            'price_cents', r.price_cents,
            'currency', r.currency,
            'suggestion', v_action,
            'suggested_low_cents', v_low,
            'suggested_high_cents', v_high,
            'reasons', v_reasons
        );
    end loop;
end
$$;


--
-- Name: FUNCTION price_suggestions(p_days integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.price_suggestions(p_days integer) IS 'The calling provider''s pricing suggestions per active service. Definer: reads quotes, bookings and peers'' prices.';


--
-- Name: process_stripe_event(jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.process_stripe_event(p_event jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_type text := p_event ->> 'type';
    v_object jsonb := p_event -> 'data' -> 'object';
    v_refund jsonb;
    v_outcomes text[] := '{}'::text[];
begin
    perform pg_catalog.set_config('bookiji.actor', 'stripe', true);
    if v_type like 'payment_intent.%' then
        return internal.apply_payment_intent_event(v_type, v_object);
    elsif v_type like 'charge.dispute.%' then
        return internal.apply_dispute_event(v_type, v_object);
    elsif v_type like 'refund.%' or v_type = 'charge.refund.updated' then
        return internal.apply_refund_object(v_object);
    elsif v_type = 'charge.refunded' then
        for v_refund in select * from pg_catalog.jsonb_array_elements(coalesce(v_object -> 'refunds' -> 'data', '[]'))
        loop
            v_outcomes := v_outcomes || internal.apply_refund_object(v_refund);
        end loop;
        return coalesce(pg_catalog.array_to_string(v_outcomes, '; '), 'no refunds');
    end if;
    return 'ignored';
end
$$;


--
-- Name: FUNCTION process_stripe_event(p_event jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.process_stripe_event(p_event jsonb) IS 'Apply a verified Stripe event to payments, bookings and refunds; returns the outcome. Definer: called for anon.';


--
-- Name: proportional_cents(bigint, bigint, bigint, bigint, boolean); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.proportional_cents(p_part bigint, p_whole bigint, p_base bigint, p_already bigint, p_completes boolean) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    -- base x part / whole rounded half up, never past what is left of base; the part that
    -- completes the whole takes what is left, so the shares add up to base exactly
    select case
        when p_whole <= 0 then 0
        when p_completes then greatest(p_base - p_already, 0)
        else least(greatest(p_base - p_already, 0), (2 * p_part * p_base + p_whole) / (2 * p_whole))
    end::integer
$$;


--
-- Name: FUNCTION proportional_cents(p_part bigint, p_whole bigint, p_base bigint, p_already bigint, p_completes boolean); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.proportional_cents(p_part bigint, p_whole bigint, p_base bigint, p_already bigint, p_completes boolean) IS 'A refund''s share of a transfer or fee: base x part / whole half up; the completing refund takes the rest.';


--
-- Name: provider_lock(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.provider_lock(p_provider_id uuid) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    -- Concurrent inserts under the exclusion constraint can deadlock each other;
    -- taking this lock first turns every loser of a race into a clean conflict.
    select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.provider:' || p_provider_id::text, 0))
$$;


--
-- Name: FUNCTION provider_lock(p_provider_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.provider_lock(p_provider_id uuid) IS 'Serialise the changes that claim a provider''s time (confirm, reschedule) for this transaction.';


--
-- Name: provider_may_contact(text, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.provider_may_contact(p_status text, p_ends_at timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select p_status = 'confirmed'
        or (p_status in ('completed', 'no_show') and p_ends_at > pg_catalog.now() - interval '30 days')
$$;


--
-- Name: FUNCTION provider_may_contact(p_status text, p_ends_at timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.provider_may_contact(p_status text, p_ends_at timestamp with time zone) IS 'Whether a provider is shown a customer''s email and phone for a booking: confirmed, or
completed/no_show and ended less than 30 days ago.';


--
-- Name: provider_search_keys(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.provider_search_keys() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    -- the services' own trigger computes the value (from the updated provider)
    update app.services as s
    set search_key = null
    where s.provider_id = new.id;
    return null;
end
$$;


--
-- Name: FUNCTION provider_search_keys(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.provider_search_keys() IS 'Trigger: recompute the search keys of a provider''s services when its location, rating, reliability or activity changes.
Definer: the caller (ops changing a rating, say) need not have rights on the services.';


--
-- Name: provider_statement(date, date); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.provider_statement(p_from date, p_to date) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
-- Decides a provider's statement: its bookings starting in [from, to) (dates in
-- the provider's time zone) that took money, and the totals. Gross is what was
-- charged (taxes included); taxes collected are the taxes of those charges;
-- refunds are the refunds asked for (pending or done); net = gross - refunds
-- - lost disputes.
declare
    v_provider app.providers;
    v_lines jsonb;
begin
    perform internal.require_role('provider', 'only providers have statements', 'sign in first');
    perform internal.require(p_from, 'period_from');
    perform internal.require(p_to, 'period_to');
    if p_to <= p_from or p_to - p_from > 366 then
        perform internal.fail('invalid_input', 'period_to must be after period_from, at most 366 days later');
    end if;
    select * into v_provider from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'create your provider profile first (POST /my_provider)');
    end if;
    select coalesce(pg_catalog.jsonb_agg(l.line order by l.starts_at, l.id), '[]'::jsonb) into v_lines
    from (
        select
            b.id,
            pg_catalog.lower(b.during) as starts_at,
            pg_catalog.jsonb_build_object(
                'booking_id', b.id,
                'starts_at', pg_catalog.lower(b.during),
                'status', b.status,
                'price_cents', b.price_cents,
                'charged_cents', pay.captured_cents,
                -- the taxes of what was paid: the charge's and, once settled, the balance's
                'gst_cents', c.gst_cents + coalesce(bal.gst_cents, 0),
                'qst_cents', c.qst_cents + coalesce(bal.qst_cents, 0),
                'balance_cents', coalesce(bal.amount_cents, 0),
                'balance_method', bal.method,
                'refunded_cents', coalesce((
                    select sum(r.amount_cents) from app.refunds as r where r.booking_id = b.id and r.status <> 'failed'
                ), 0),
                'disputed_lost_cents', coalesce((
                    select sum(d.amount_cents) from app.disputes as d where d.booking_id = b.id and d.outcome = 'lost'
                ), 0),
                'dispute_status', b.dispute_status,
                -- Stripe Connect's split (55_connect.sql): what the platform keeps (its
                -- application fee net of fee refunds, or, on a charge it collected itself,
                -- the charge less refunds and what it owes the provider) and the payout
                'fees_cents', case when x.po ->> 'collected_by' = 'provider_account'
                    then (x.po ->> 'fee_kept_cents')::integer
                    else (x.po ->> 'charged_cents')::integer - (x.po ->> 'refunded_cents')::integer
                    - (x.po ->> 'payout_owed_cents')::integer end,
                'payout_cents', (x.po ->> 'transfer_kept_cents')::integer + (x.po ->> 'payout_owed_cents')::integer
            ) as line
        from app.bookings as b
        inner join app.payments as pay on b.id = pay.booking_id and pay.status = 'succeeded'
        cross join internal.booking_first_charge(b) as c
        cross join lateral (select internal.payout_json(b.id) as po) as x
        left join app.balance_payments as bal on b.id = bal.booking_id and bal.status = 'succeeded'
        where
            b.provider_id = v_provider.id
            and pg_catalog.lower(b.during) >= (p_from::timestamp at time zone v_provider.time_zone)
            and pg_catalog.lower(b.during) < (p_to::timestamp at time zone v_provider.time_zone)
    ) as l;
    return pg_catalog.jsonb_build_object(
        'provider_id', v_provider.id,
        'period_from', p_from,
        'period_to', p_to,
        'time_zone', v_provider.time_zone,
        'currency', 'CAD',
        'gst_number', (select t.gst_number from app.provider_tax_registrations as t where t.provider_id = v_provider.id),
        'qst_number', (select t.qst_number from app.provider_tax_registrations as t where t.provider_id = v_provider.id),
        'bookings', pg_catalog.jsonb_array_length(v_lines),
        'gross_cents', (select coalesce(sum((e ->> 'charged_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e),
        'gst_collected_cents', (select coalesce(sum((e ->> 'gst_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e),
        'qst_collected_cents', (select coalesce(sum((e ->> 'qst_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e),
        'refunded_cents', (select coalesce(sum((e ->> 'refunded_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e),
        'disputed_lost_cents', (
            select coalesce(sum((e ->> 'disputed_lost_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e
        ),
        'fees_cents', (select coalesce(sum((e ->> 'fees_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e),
        'payout_cents', (select coalesce(sum((e ->> 'payout_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e),
        'balance_venue_cents', (
            select coalesce(sum((e ->> 'balance_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e
            where e ->> 'balance_method' = 'venue'
        ),
        'balance_card_cents', (
            select coalesce(sum((e ->> 'balance_cents')::bigint), 0) from pg_catalog.jsonb_array_elements(v_lines) as e
            where e ->> 'balance_method' = 'card'
        ),
        'lines', v_lines
    ) || pg_catalog.jsonb_build_object(
        'net_cents',
        (select coalesce(sum(
            (e ->> 'charged_cents')::bigint - (e ->> 'refunded_cents')::bigint - (e ->> 'disputed_lost_cents')::bigint
        ), 0) from pg_catalog.jsonb_array_elements(v_lines) as e)
    );
end
$$;


--
-- Name: FUNCTION provider_statement(p_from date, p_to date); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.provider_statement(p_from date, p_to date) IS 'The caller''s provider''s statement for [p_from, p_to). Definer: it reads payments, refunds and disputes.';


--
-- Name: provider_suspension_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.provider_suspension_json(p_provider_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p.id,
        'is_active', p.is_active,
        'suspended', p.suspended_at is not null,
        'suspended_at', p.suspended_at,
        'suspended_by', p.suspended_by,
        'suspension_reason', p.suspension_reason,
        -- bookings still to happen or to be paid: kept by a suspension
        'live_bookings', (
            select count(*) from app.bookings as b
            where
                b.provider_id = p.id and b.status in ('pending_payment', 'confirmed')
                and pg_catalog.upper(b.during) > pg_catalog.now()
        )
    )
    from app.providers as p
    where p.id = p_provider_id
$$;


--
-- Name: FUNCTION provider_suspension_json(p_provider_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.provider_suspension_json(p_provider_id uuid) IS 'A provider''s activity and suspension, with the count of its live bookings (pending_payment or confirmed, not ended).';


--
-- Name: providers_append_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.providers_append_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    -- the weekly hours are wall-clock times in the provider's zone: a new zone moves
    -- them all; a provider switched off (or on) offers nothing (or everything again)
    perform internal.append_availability_event(new.id, internal.availability_horizon(new.id));
    return null;
end
$$;


--
-- Name: FUNCTION providers_append_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.providers_append_events() IS 'Trigger: a provider''s time zone or active flag changed moves or hides its weekly hours: availability_changed over its horizon.
Definer: providers write their own row, and may not write the log.';


--
-- Name: providers_initial_rating(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.providers_initial_rating() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    -- a provider created with ratings (the demo seed, an import) holds them as
    -- ratings given now: reviews then add to them
    if new.rating_count > 0 and new.rating_weight = 0 and new.rating_avg is not null then
        new.rating_weight := new.rating_count * internal.rating_weight(pg_catalog.now());
        new.rating_weighted_stars := new.rating_weight * new.rating_avg;
    end if;
    return new;
end
$$;


--
-- Name: FUNCTION providers_initial_rating(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.providers_initial_rating() IS 'Trigger: ratings a provider is created with count as ratings given at its creation (rating_weight, rating_weighted_stars).';


--
-- Name: providers_refuse_while_suspended(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.providers_refuse_while_suspended() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    if new.is_active and new.suspended_at is not null then
        -- the reason is not echoed: ops wrote it freely, and a message is also the
        -- HTTP reason phrase (the provider reads it in my_provider.suspension_reason)
        perform internal.fail(
            'provider_suspended',
            'is_active cannot be set: Bookiji suspended this provider (see suspension_reason); '
            || 'only Bookiji staff can reinstate it'
        );
    end if;
    return new;
end
$$;


--
-- Name: FUNCTION providers_refuse_while_suspended(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.providers_refuse_while_suspended() IS 'Trigger: refuse making a suspended provider active (409 provider_suspended).';


--
-- Name: public_name(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.public_name(p_full_name text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    -- "Marie-Ève Tremblay" -> "Marie-Ève T."; one word stays as it is; blank -> "A customer"
    select coalesce(
        nullif(
            pg_catalog.left(pg_catalog.split_part(pg_catalog.btrim(p_full_name), ' ', 1), 40)
            || case
                when pg_catalog.btrim(p_full_name) ~ '\s'
                    then ' ' || pg_catalog.upper(pg_catalog.left(
                        pg_catalog.regexp_replace(pg_catalog.btrim(p_full_name), '^.*\s', ''), 1
                    )) || '.'
                else ''
            end,
            ''
        ),
        'A customer'
    )
$$;


--
-- Name: FUNCTION public_name(p_full_name text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.public_name(p_full_name text) IS 'The public form of a customer''s name: the first name and the initial of the last word ("Marie T.").';


--
-- Name: purge_archives(interval); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.purge_archives(older_than interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_queue text;
    v_name text;
    v_count bigint;
    v_total bigint := 0;
begin
    if older_than is null or older_than <= interval '0' then
        perform internal.fail('invalid_input', 'older_than must be a positive interval');
    end if;
    foreach v_queue in array internal.queue_names() loop
        foreach v_name in array array[v_queue, v_queue || '_dlq'] loop
            execute pg_catalog.format(
                'delete from pgmq.%I where archived_at < pg_catalog.now() - $1',
                pgmq.format_table_name(v_name, 'a')
            ) using older_than;
            get diagnostics v_count = row_count;
            v_total := v_total + v_count;
        end loop;
    end loop;
    return v_total;
end
$_$;


--
-- Name: FUNCTION purge_archives(older_than interval); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.purge_archives(older_than interval) IS 'Delete pgmq archive rows (work and dead-letter queues) archived longer ago than older_than; returns how many.
Definer: an administrative delete on pgmq''s archive tables, granted to the worker as this one bounded operation.';


--
-- Name: purge_events(interval, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.purge_events(p_older_than interval DEFAULT NULL::interval, p_limit integer DEFAULT 10000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_cutoff timestamptz := pg_catalog.now() - coalesce(
        p_older_than,
        pg_catalog.make_interval(hours => coalesce(internal.setting('event_retention_hours')::integer, 24))
    );
    v_count integer;
begin
    -- oldest first, a bounded batch: the sweep calls this every few seconds
    delete from app.events as e
    where e.id in (
        select o.id from app.events as o
        where o.created_at < v_cutoff
        order by o.created_at
        limit greatest(coalesce(p_limit, 10000), 0)
    );
    get diagnostics v_count = row_count;
    return v_count;
end
$$;


--
-- Name: FUNCTION purge_events(p_older_than interval, p_limit integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.purge_events(p_older_than interval, p_limit integer) IS 'Delete events older than p_older_than (default: the event_retention_hours setting, else 24 hours), at most p_limit.
Definer: nobody else may delete from the append-only log; the sweep calls it.';


--
-- Name: qst_number_valid(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.qst_number_valid(p_number text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $_$
    -- Revenu Québec publishes no check-digit rule: the form only
    select coalesce(p_number ~ '^[0-9]{10}TQ[0-9]{4}$', false)
$_$;


--
-- Name: FUNCTION qst_number_valid(p_number text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.qst_number_valid(p_number text) IS 'Whether a normalised QST number is 10 digits, TQ and 4 digits.';


--
-- Name: quality_term(integer, numeric, numeric, numeric, double precision, double precision); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quality_term(p_rating_count integer, p_rating_avg numeric, p_cancellation_rate numeric, p_no_show_rate numeric, p_w_rating double precision, p_w_reliability double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    AS $$
    select
        p_w_rating * ((5 * 4.0 + p_rating_count * coalesce(p_rating_avg, 0)) / (5 + p_rating_count) - 1)::double precision / 4
        + p_w_reliability * greatest(0, 1 - p_cancellation_rate - p_no_show_rate)::double precision
$$;


--
-- Name: FUNCTION quality_term(p_rating_count integer, p_rating_avg numeric, p_cancellation_rate numeric, p_no_show_rate numeric, p_w_rating double precision, p_w_reliability double precision); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quality_term(p_rating_count integer, p_rating_avg numeric, p_cancellation_rate numeric, p_no_show_rate numeric, p_w_rating double precision, p_w_reliability double precision) IS 'The provider''s part of the quote score, w_rating * R + w_reliability * Q (R the Bayesian
rating, Q = 1 - cancellation rate - no-show rate; see 40_quote.sql and docs/ranking.md):
the third coordinate of the search key, under the active ranking version''s weights.';


--
-- Name: queue_names(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.queue_names() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select array['payments', 'notifications']::text []
$$;


--
-- Name: FUNCTION queue_names(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.queue_names() IS 'The work queues the worker consumes; each has a dead-letter twin named <queue>_dlq.';


--
-- Name: queue_stats(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.queue_stats() RETURNS TABLE(queue_name text, queue_length bigint, queue_visible_length bigint, oldest_msg_age_sec integer, newest_msg_age_sec integer, total_messages bigint, scrape_time timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select
        m.queue_name,
        m.queue_length,
        m.queue_visible_length,
        m.oldest_msg_age_sec,
        m.newest_msg_age_sec,
        m.total_messages,
        m.scrape_time
    from unnest(internal.queue_names()) with ordinality as q (name, pos)
    cross join lateral unnest(array[q.name, q.name || '_dlq']) with ordinality as t (name, sub)
    cross join lateral pgmq.metrics(t.name) as m
    order by q.pos, t.sub
$$;


--
-- Name: FUNCTION queue_stats(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.queue_stats() IS 'pgmq metrics of every work queue and dead-letter queue. Definer: ops holds no pgmq privileges.';


--
-- Name: quote(text, double precision, double precision, timestamp with time zone, double precision, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quote(p_category text, p_lat double precision, p_lng double precision, p_starts_at timestamp with time zone, p_radius_km double precision, p_max_results integer) RETURNS SETOF api.my_quote_offers
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_customer_id uuid := auth.uid();
    v_category_id integer;
    v_point extensions.geography;
    v_quote_id uuid;
    v_version integer;
begin
    perform internal.require_role(
        'customer', 'only customers can ask for quotes', 'asking for a quote needs a signed-in customer'
    );
    if not exists (
        select from app.users as u where u.id = v_customer_id and u.role = 'customer'
    ) then
        perform internal.fail('forbidden', 'the token''s subject is not a customer account');
    end if;

    perform internal.require(p_category, 'category', 'a category slug');
    select c.id into v_category_id from app.service_categories as c where c.slug = p_category;
    if not found then
        perform internal.fail(
            'invalid_input', pg_catalog.format('category %L is not a known category slug', p_category)
        );
    end if;
    v_point := internal.make_point(p_lat, p_lng);
    perform internal.require_time(p_starts_at, 'starts_at');
    if p_starts_at <= pg_catalog.now() then
        perform internal.fail('invalid_input', 'starts_at must be in the future');
    end if;
    if p_radius_km is null or not (p_radius_km > 0 and p_radius_km <= 100) then
        perform internal.fail('invalid_input', 'radius_km must be greater than 0 and at most 100');
    end if;
    if p_max_results is null or not p_max_results between 1 and 50 then
        perform internal.fail('invalid_input', 'max_results must be between 1 and 50');
    end if;

    select v.version into v_version from app.ranking_versions as v where v.is_active;
    insert into app.quotes as q (customer_id, category_id, location, starts_at, radius_km, ranking_version)
    values (v_customer_id, v_category_id, v_point, p_starts_at, p_radius_km, v_version)
    returning q.id into v_quote_id;

    -- The price and the cancellation policy in force now are copied into the
    -- quote: confirming it later honours them.
    insert into app.quote_items (
        quote_id, provider_id, service_id, rank, price_cents, deposit_cents, currency,
        duration_minutes, buffer_before_minutes, buffer_after_minutes, distance_m, score,
        cancel_notice_hours, cancel_fee_cents,
        explanation
    )
    select
        v_quote_id, o.provider_id, o.service_id, o.rank, s.price_cents, s.deposit_cents, s.currency,
        s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes, o.distance_m, o.score,
        s.cancel_notice_hours, s.cancel_fee_cents,
        o.explanation
    from internal.find_offers(
        v_category_id, v_point, p_starts_at, p_radius_km, p_max_results, pg_catalog.now(), v_customer_id
    ) as o
    inner join app.services as s on o.service_id = s.id;

    return query
    select o.*
    from api.my_quote_offers as o
    where o.quote_id = v_quote_id
    order by o.rank;
end
$$;


--
-- Name: FUNCTION quote(p_category text, p_lat double precision, p_lng double precision, p_starts_at timestamp with time zone, p_radius_km double precision, p_max_results integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quote(p_category text, p_lat double precision, p_lng double precision, p_starts_at timestamp with time zone, p_radius_km double precision, p_max_results integer) IS 'Validate a quote request, store the quote and its ranked offers, return them.
Definer: the search reads every provider''s bookings and time off, and the
quote is written for the caller (auth.uid()), who has no insert rights.';


--
-- Name: quote_candidates(integer, extensions.geography, timestamp with time zone, double precision, timestamp with time zone, uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quote_candidates(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_now timestamp with time zone, p_customer_id uuid DEFAULT NULL::uuid) RETURNS TABLE(provider_id uuid, service_id uuid, time_zone text, blocked tstzrange, distance_m double precision, score double precision)
    LANGUAGE sql STABLE
    AS $$
    -- the active version's weights, and the customer's personal terms
    select c.provider_id, c.service_id, c.time_zone, c.blocked, c.distance_m, c.score
    from app.ranking_versions as v
    cross join lateral internal.quote_candidates_near(
        p_category_id, p_point, p_starts_at, p_radius_km, p_radius_km * 1000,
        (
            select min(s.price_cents)
            from app.services as s
            inner join app.providers as p on s.provider_id = p.id
            where
                p.is_active
                and s.is_active
                and s.category_id = p_category_id
                and extensions.st_dwithin(p.location, p_point, p_radius_km * 1000)
        ),
        p_now, v.w_distance, v.w_rating, v.w_price, v.w_reliability,
        coalesce(
            (select pg_catalog.array_agg(t.provider_id order by t.provider_id)
            from internal.personal_terms(p_customer_id, p_category_id) as t),
            '{}'
        ),
        coalesce(
            (select pg_catalog.array_agg(v.w_personal * t.term order by t.provider_id)
            from internal.personal_terms(p_customer_id, p_category_id) as t),
            '{}'
        )
    ) as c
    where v.is_active
$$;


--
-- Name: FUNCTION quote_candidates(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_now timestamp with time zone, p_customer_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quote_candidates(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_now timestamp with time zone, p_customer_id uuid) IS 'Every scored (provider, service) offer of a quote before the free-slot check, under the active
ranking version and for p_customer_id''s personal terms (the reference ranking internal.find_offers
is tested against); the score formula is in 40_quote.sql.';


--
-- Name: quote_candidates_in(integer, extensions.geography, timestamp with time zone, double precision, integer, double precision, double precision[], double precision[], double precision[], double precision[], timestamp with time zone, double precision, double precision, double precision, double precision, uuid[], double precision[]); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quote_candidates_in(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_min_price_cents integer, p_threshold double precision, p_rating_from double precision[], p_rating_to double precision[], p_price_to double precision[], p_within_m double precision[], p_now timestamp with time zone, p_w_distance double precision, p_w_rating double precision, p_w_price double precision, p_w_reliability double precision, p_personal_ids uuid[], p_personal_terms double precision[]) RETURNS TABLE(provider_id uuid, service_id uuid, time_zone text, blocked tstzrange, distance_m double precision, score double precision, rating_count integer, rating_avg numeric, cancellation_rate numeric, no_show_rate numeric, price_cents integer, personal double precision)
    LANGUAGE sql STABLE
    AS $$
    -- The candidates whose search key lies in one of the slabs: quality term
    -- in [from, to) (half-open, so that an offer is read once) and within the
    -- slab's distance, scored by internal.offer_score. The customer's personal
    -- providers (p_personal_ids, a few) are read apart, by provider, whatever
    -- their key: their personal term (p_personal_terms, weighted) is not in it.
    select
        c.provider_id,
        c.service_id,
        c.time_zone,
        c.blocked,
        c.distance_m,
        internal.offer_score(
            c.distance_m, p_radius_km,
            internal.quality_term(
                c.rating_count, c.rating_avg, c.provider_cancellation_rate, c.no_show_rate, p_w_rating, p_w_reliability
            ),
            c.price_cents, p_min_price_cents, p_w_distance, p_w_price, c.personal
        ),
        c.rating_count,
        c.rating_avg,
        c.provider_cancellation_rate,
        c.no_show_rate,
        c.price_cents,
        c.personal
    from (
        (
            select
                p.id as provider_id,
                s.id as service_id,
                p.time_zone,
                p.rating_count,
                p.rating_avg,
                p.provider_cancellation_rate,
                p.no_show_rate,
                p.service_radius_km,
                s.price_cents,
                s.min_notice_minutes,
                s.max_days_ahead,
                k.within_m,
                0::double precision as personal,
                extensions.st_distance(p.location, p_point) as distance_m,
                pg_catalog.tstzrange(
                    p_starts_at - pg_catalog.make_interval(mins => s.buffer_before_minutes),
                    p_starts_at + pg_catalog.make_interval(mins => s.duration_minutes + s.buffer_after_minutes)
                ) as blocked
            from rows from (
                pg_catalog.unnest(p_rating_from),
                pg_catalog.unnest(p_rating_to),
                pg_catalog.unnest(p_price_to),
                pg_catalog.unnest(p_within_m)
            ) as k (rating_from, rating_to, price_to, within_m)
            cross join lateral (
                select
                    s.id,
                    s.provider_id,
                    extensions.st_z(s.search_key) as quality,
                    s.price_cents,
                    s.min_notice_minutes,
                    s.max_days_ahead,
                    s.buffer_before_minutes,
                    s.buffer_after_minutes,
                    s.duration_minutes
                from app.services as s
                where
                    s.category_id = p_category_id
                    and s.search_key is not null
                    and s.search_key operator(extensions.&&&) internal.search_box(
                        extensions.st_y(p_point::extensions.geometry),
                        extensions.st_x(p_point::extensions.geometry),
                        k.within_m, k.rating_from, k.rating_to, k.price_to
                    )
                    -- The offer's own bound, from its key alone (before the
                    -- provider is read): the distance on a sphere, less 1% (the
                    -- spheroid's geodesic differs by under 0.6%), is a lower bound.
                    and p_w_distance * (1 - 0.99 * 2 * 6371008.8 * pg_catalog.asin(least(1, pg_catalog.sqrt(
                        pg_catalog.sin(pg_catalog.radians(extensions.st_y(s.search_key) - extensions.st_y(p_point::extensions.geometry)) / 2) ^ 2
                        + pg_catalog.cosd(extensions.st_y(s.search_key)) * pg_catalog.cosd(extensions.st_y(p_point::extensions.geometry))
                        * pg_catalog.sin(pg_catalog.radians(extensions.st_x(s.search_key) - extensions.st_x(p_point::extensions.geometry)) / 2) ^ 2
                    ))) / (p_radius_km * 1000))
                    + extensions.st_z(s.search_key)
                    + p_w_price * (case when s.price_cents = 0 then 1 else p_min_price_cents::double precision / s.price_cents end)
                    >= p_threshold
                    and s.provider_id <> all(p_personal_ids)
            ) as s
            inner join app.providers as p on s.provider_id = p.id
            where
                s.quality >= k.rating_from
                and s.quality < k.rating_to
            offset 0
        )
        union all
        (
            select
                p.id,
                s.id,
                p.time_zone,
                p.rating_count,
                p.rating_avg,
                p.provider_cancellation_rate,
                p.no_show_rate,
                p.service_radius_km,
                s.price_cents,
                s.min_notice_minutes,
                s.max_days_ahead,
                p_radius_km * 1000,
                t.term,
                extensions.st_distance(p.location, p_point),
                pg_catalog.tstzrange(
                    p_starts_at - pg_catalog.make_interval(mins => s.buffer_before_minutes),
                    p_starts_at + pg_catalog.make_interval(mins => s.duration_minutes + s.buffer_after_minutes)
                )
            from rows from (
                pg_catalog.unnest(p_personal_ids), pg_catalog.unnest(p_personal_terms)
            ) as t (provider_id, term)
            inner join app.services as s on t.provider_id = s.provider_id
            inner join app.providers as p on s.provider_id = p.id
            where s.category_id = p_category_id and s.search_key is not null
            offset 0
        )
    ) as c
    where
        c.distance_m <= c.within_m
        and c.distance_m <= p_radius_km * 1000
        and c.distance_m <= c.service_radius_km::double precision * 1000
        and p_starts_at >= p_now + pg_catalog.make_interval(mins => c.min_notice_minutes)
        and p_starts_at <= p_now + pg_catalog.make_interval(days => c.max_days_ahead)
$$;


--
-- Name: FUNCTION quote_candidates_in(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_min_price_cents integer, p_threshold double precision, p_rating_from double precision[], p_rating_to double precision[], p_price_to double precision[], p_within_m double precision[], p_now timestamp with time zone, p_w_distance double precision, p_w_rating double precision, p_w_price double precision, p_w_reliability double precision, p_personal_ids uuid[], p_personal_terms double precision[]); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quote_candidates_in(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_min_price_cents integer, p_threshold double precision, p_rating_from double precision[], p_rating_to double precision[], p_price_to double precision[], p_within_m double precision[], p_now timestamp with time zone, p_w_distance double precision, p_w_rating double precision, p_w_price double precision, p_w_reliability double precision, p_personal_ids uuid[], p_personal_terms double precision[]) IS 'Scored (provider, service) offers in the search-key slabs (quality term range,
price cap, distance) that may score p_threshold, and every offer of the
customer''s personal providers, before the free-slot check; with the facts the
explanation is made of.';


--
-- Name: quote_candidates_near(integer, extensions.geography, timestamp with time zone, double precision, double precision, integer, timestamp with time zone, double precision, double precision, double precision, double precision, uuid[], double precision[]); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quote_candidates_near(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_within_m double precision, p_min_price_cents integer, p_now timestamp with time zone, p_w_distance double precision, p_w_rating double precision, p_w_price double precision, p_w_reliability double precision, p_personal_ids uuid[], p_personal_terms double precision[]) RETURNS TABLE(provider_id uuid, service_id uuid, time_zone text, blocked tstzrange, distance_m double precision, score double precision)
    LANGUAGE sql STABLE
    AS $$
    -- The offers within p_within_m (at most radius_km) of the point, scored
    -- against radius_km and the given cheapest price (the cheapest within
    -- radius_km, see internal.find_offers). Only the indexable st_dwithin
    -- (constant radius) filters the scan; the provider's own radius, the notice
    -- and the booking horizon are checked above, on the distance computed once
    -- per row. Left in the scan, these would make the planner start from the
    -- category's services instead of the GiST index.
    select
        c.provider_id,
        c.service_id,
        c.time_zone,
        c.blocked,
        c.distance_m,
        internal.offer_score(
            c.distance_m, p_radius_km,
            internal.quality_term(
                c.rating_count, c.rating_avg, c.provider_cancellation_rate, c.no_show_rate, p_w_rating, p_w_reliability
            ),
            c.price_cents, p_min_price_cents, p_w_distance, p_w_price,
            coalesce(p_personal_terms[pg_catalog.array_position(p_personal_ids, c.provider_id)], 0)
        )
    from (
        select
            p.id as provider_id,
            s.id as service_id,
            p.time_zone,
            p.rating_count,
            p.rating_avg,
            p.provider_cancellation_rate,
            p.no_show_rate,
            p.service_radius_km,
            s.price_cents,
            s.min_notice_minutes,
            s.max_days_ahead,
            extensions.st_distance(p.location, p_point) as distance_m,
            pg_catalog.tstzrange(
                p_starts_at - pg_catalog.make_interval(mins => s.buffer_before_minutes),
                p_starts_at + pg_catalog.make_interval(mins => s.duration_minutes + s.buffer_after_minutes)
            ) as blocked
        from app.providers as p
        inner join app.services as s on p.id = s.provider_id
        where
            p.is_active
            and s.is_active
            and s.category_id = p_category_id
            and extensions.st_dwithin(p.location, p_point, least(p_within_m, p_radius_km * 1000))
        offset 0
    ) as c
    where
        c.distance_m <= c.service_radius_km::double precision * 1000
        and p_starts_at >= p_now + pg_catalog.make_interval(mins => c.min_notice_minutes)
        and p_starts_at <= p_now + pg_catalog.make_interval(days => c.max_days_ahead)
$$;


--
-- Name: FUNCTION quote_candidates_near(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_within_m double precision, p_min_price_cents integer, p_now timestamp with time zone, p_w_distance double precision, p_w_rating double precision, p_w_price double precision, p_w_reliability double precision, p_personal_ids uuid[], p_personal_terms double precision[]); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quote_candidates_near(p_category_id integer, p_point extensions.geography, p_starts_at timestamp with time zone, p_radius_km double precision, p_within_m double precision, p_min_price_cents integer, p_now timestamp with time zone, p_w_distance double precision, p_w_rating double precision, p_w_price double precision, p_w_reliability double precision, p_personal_ids uuid[], p_personal_terms double precision[]) IS 'Scored (provider, service) offers within p_within_m of the point, before the free-slot check; the score formula is in 40_quote.sql.';


--
-- Name: quote_cheapest_price(integer, extensions.geography, double precision); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quote_cheapest_price(p_category_id integer, p_point extensions.geography, p_radius_m double precision) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
-- Decides the P of the score: the cheapest active offer of the category within
-- the radius (null when there is none: the quote is empty). The category's
-- prices in increasing order (a skip scan of
-- services_category_id_price_cents_idx), each probed through the search key's
-- index (a key is there only while offer and provider are active) for an offer
-- at that price or less within the radius; the first price that has one ends
-- the loop, usually the first. Many offers share the lowest price, so walking
-- the offers themselves in price order would depend on where the ties happen
-- to lie (on a table clustered by location, 200 offers at price 0 all outside
-- the circle). After 20 prices without one, the cheapest offer within the
-- radius is read directly. The probe stays an `exists` apart from that last
-- query: as min() it is planned as the price index's ordered scan of the whole
-- category (7x slower at 1M, measured).
declare
    -- double precision, as the probe's bound has always been (the plans are
    -- those measured with it)
    v_price double precision := -1;
    v_min_price integer;
begin
    for v_level in 1..20 loop
        select min(s.price_cents) into v_price
        from app.services as s
        where s.category_id = p_category_id and s.is_active and s.price_cents > v_price;
        exit when v_price is null;
        if exists (
            select
            from app.services as s
            inner join app.providers as p on s.provider_id = p.id
            where
                s.category_id = p_category_id
                and s.search_key is not null
                and s.search_key operator(extensions.&&&) internal.search_box(
                    extensions.st_y(p_point::extensions.geometry),
                    extensions.st_x(p_point::extensions.geometry),
                    p_radius_m, -1, 2, v_price
                )
                and extensions.st_dwithin(p.location, p_point, p_radius_m)
        ) then
            return v_price;
        end if;
    end loop;
    if v_price is not null then
        select min(s.price_cents) into v_min_price
        from app.services as s
        inner join app.providers as p on s.provider_id = p.id
        where
            s.category_id = p_category_id
            and s.search_key is not null
            and s.search_key operator(extensions.&&&) internal.search_box(
                extensions.st_y(p_point::extensions.geometry),
                extensions.st_x(p_point::extensions.geometry),
                p_radius_m, -1, 2, 'infinity'
            )
            and extensions.st_dwithin(p.location, p_point, p_radius_m);
    end if;
    return v_min_price;
end
$$;


--
-- Name: FUNCTION quote_cheapest_price(p_category_id integer, p_point extensions.geography, p_radius_m double precision); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quote_cheapest_price(p_category_id integer, p_point extensions.geography, p_radius_m double precision) IS 'Step 1 of internal.find_offers: the cheapest active offer of the category within p_radius_m of the point, null if none.';


--
-- Name: quote_next_threshold(double precision, double precision, double precision, double precision, integer, integer, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quote_next_threshold(p_theta double precision, p_step double precision, p_next double precision, p_top double precision, p_checked integer, p_found integer, p_max_results integer, OUT theta double precision, OUT step double precision) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
-- Decides the next round's threshold. It aims at the offers still needed at
-- the rate of free offers seen so far (p_checked offers checked, p_found of
-- them free): the score of the offer that many rows down the look-ahead
-- (p_next, the rows below the threshold that the round read anyway) or, if
-- higher, the score above which the count so far predicts twice that many, the
-- number of offers scoring above s growing as (top - s)^4 below the best score
-- seen (the distance counts twice, the rating and the price once). While
-- nothing at all has been seen, the threshold falls by a step that doubles
-- each round. Past 0.2 the whole radius is read (-infinity).
declare
    v_next double precision := p_next;
begin
    step := p_step;
    if p_checked > 0 then
        v_next := greatest(
            v_next,
            p_top - greatest(p_top - p_theta, 0.005) * pg_catalog.power(
                (p_checked + 2.0 * (p_max_results - p_found) * p_checked / greatest(p_found, 1)) / p_checked, 0.25
            )
        );
    end if;
    if v_next is null then
        theta := p_theta - p_step;
        step := 2 * p_step;
    else
        theta := least(v_next, p_theta - 0.001);
    end if;
    if theta <= 0.2 then
        theta := '-infinity'::double precision;
    end if;
end
$$;


--
-- Name: FUNCTION quote_next_threshold(p_theta double precision, p_step double precision, p_next double precision, p_top double precision, p_checked integer, p_found integer, p_max_results integer, OUT theta double precision, OUT step double precision); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quote_next_threshold(p_theta double precision, p_step double precision, p_next double precision, p_top double precision, p_checked integer, p_found integer, p_max_results integer, OUT theta double precision, OUT step double precision) IS 'Step 4 of internal.find_offers: the next round''s threshold (and step) from what the last round saw.';


--
-- Name: quote_slabs(double precision, double precision, integer, double precision, double precision, double precision); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.quote_slabs(p_theta double precision, p_radius_m double precision, p_min_price integer, p_w_distance double precision, p_w_price double precision, p_quality_max double precision, OUT min_score double precision, OUT rating_from double precision[], OUT rating_to double precision[], OUT price_to double precision[], OUT within_m double precision[]) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
-- Decides what one round of find_offers reads: the offers that can score
-- p_theta. score = wD * D + z + wP * P with D = 1 - d / radius, z the quality
-- term (< p_quality_max = wR + wQ) and P = cheapest / price <= 1, so an offer
-- scores at least theta only if z >= theta - (wD + wP),
-- d <= radius * (wD + wP + z - theta) / wD and
-- price <= wP * cheapest / (theta - wD - z). The answer is slabs of quality
-- term a tenth of p_quality_max high (rating_from, rating_to), each with the
-- distance (within_m) and the price (price_to) its best quality allows, and
-- the score below which an offer cannot reach theta (min_score). At theta
-- -infinity: one slab, the whole radius at any price. (Version 1's weights,
-- 0.5, 0.2 and 0.3, give the slabs as they were before versions.) A personal
-- term is not in the key: those offers are read apart.
declare
    v_span double precision := p_w_distance + p_w_price;
    v_slab double precision := p_quality_max / 10;
    v_t double precision;
    v_to double precision := 2;
    v_from double precision;
    v_price double precision;
    v_within double precision;
begin
    if p_theta = '-infinity' then
        min_score := '-infinity'::double precision;
        rating_from := array[-1]::double precision[];
        rating_to := array[2]::double precision[];
        price_to := array['infinity']::double precision[];
        within_m := array[p_radius_m];
        return;
    end if;
    rating_from := '{}'::double precision[];
    rating_to := '{}'::double precision[];
    price_to := '{}'::double precision[];
    within_m := '{}'::double precision[];
    -- the score is rounded to 4 decimals: an offer rounded up to theta is
    -- above theta - 0.00005
    v_t := p_theta - 0.0001;
    min_score := v_t;
    -- quality terms are in [0, p_quality_max): the top slab is open above, the
    -- last one below
    while v_to > v_t - v_span and v_to > -1 loop
        v_within := least(p_radius_m, p_radius_m * (v_span + least(v_to, p_quality_max) - v_t) / p_w_distance);
        v_price := case
            when v_t - p_w_distance - least(v_to, p_quality_max) > 0
                then p_w_price * p_min_price / (v_t - p_w_distance - least(v_to, p_quality_max))
            else 'infinity'::double precision
        end;
        v_from := greatest(v_t - v_span, least(v_to, p_quality_max) - v_slab);
        if v_from <= 0 then
            v_from := -1;
        end if;
        if v_within >= p_radius_m and pg_catalog.cardinality(within_m) > 0
            and within_m[pg_catalog.cardinality(within_m)] >= p_radius_m then
            -- the slab above already reaches the whole radius (at any price):
            -- widen it
            rating_from[pg_catalog.cardinality(rating_from)] := v_from;
        else
            rating_from := rating_from || v_from;
            rating_to := rating_to || v_to;
            price_to := price_to || v_price;
            within_m := within_m || v_within;
        end if;
        v_to := v_from;
    end loop;
end
$$;


--
-- Name: FUNCTION quote_slabs(p_theta double precision, p_radius_m double precision, p_min_price integer, p_w_distance double precision, p_w_price double precision, p_quality_max double precision, OUT min_score double precision, OUT rating_from double precision[], OUT rating_to double precision[], OUT price_to double precision[], OUT within_m double precision[]); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.quote_slabs(p_theta double precision, p_radius_m double precision, p_min_price integer, p_w_distance double precision, p_w_price double precision, p_quality_max double precision, OUT min_score double precision, OUT rating_from double precision[], OUT rating_to double precision[], OUT price_to double precision[], OUT within_m double precision[]) IS 'Step 2 of internal.find_offers: the search-key slabs (rating term range, price cap,
distance) holding every offer that can score p_theta, and the score below which none can.';


--
-- Name: ranking_choice_sets(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ranking_choice_sets(p_since timestamp with time zone, p_until timestamp with time zone) RETURNS TABLE(quote_id uuid, created_at timestamp with time zone, ranking_version integer, rank integer, terms jsonb, chosen boolean)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- Quotes with exactly one booking made from them (the choice) and their
    -- offers as shown: rank is the position, terms the features logged then.
    select q.id, q.created_at, q.ranking_version, i.rank, i.explanation -> 'terms', i.provider_id = c.provider_id
    from app.quotes as q
    inner join lateral (
        select pg_catalog.min(b.provider_id::text)::uuid as provider_id
        from app.bookings as b
        where b.quote_id = q.id
        having pg_catalog.count(*) = 1
    ) as c on true
    inner join app.quote_items as i on q.id = i.quote_id
    where
        q.created_at >= p_since and q.created_at < p_until
        and i.explanation is not null
    order by q.created_at, q.id, i.rank
$$;


--
-- Name: FUNCTION ranking_choice_sets(p_since timestamp with time zone, p_until timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ranking_choice_sets(p_since timestamp with time zone, p_until timestamp with time zone) IS 'The learning log: each quote made in [p_since, p_until) from which exactly one booking was made,
its offers as shown (rank = position, terms = the features) and which one was chosen.';


--
-- Name: ranking_version_json(app.ranking_versions); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ranking_version_json(p_version app.ranking_versions) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'version', (p_version).version,
        'is_active', (p_version).is_active,
        'source', (p_version).source,
        'weights', pg_catalog.jsonb_build_object(
            'distance', (p_version).w_distance, 'rating', (p_version).w_rating, 'price', (p_version).w_price,
            'reliability', (p_version).w_reliability, 'personal', (p_version).w_personal
        ),
        'position_bias', pg_catalog.to_jsonb((p_version).position_bias),
        'metrics', (p_version).metrics,
        'note', (p_version).note,
        'created_at', (p_version).created_at,
        'activated_at', (p_version).activated_at
    )
$$;


--
-- Name: FUNCTION ranking_version_json(p_version app.ranking_versions); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ranking_version_json(p_version app.ranking_versions) IS 'A ranking version as the ops API shows it.';


--
-- Name: ranking_versions(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.ranking_versions() RETURNS SETOF app.ranking_versions
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select v.* from app.ranking_versions as v where auth.role() = 'ops'
$$;


--
-- Name: FUNCTION ranking_versions(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.ranking_versions() IS 'Every ranking version, for ops callers only (none for others).
Definer: app.ranking_versions has no grant to any API role.';


--
-- Name: rating_weight(timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.rating_weight(p_at timestamp with time zone) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    -- 12 decimals: a rating from 1970 still weighs 3.7e-9, not 0
    select pg_catalog.round(
        pg_catalog.power(
            2::numeric,
            extract(epoch from p_at - '2026-01-01 00:00:00+00'::timestamptz)::numeric / (730 * 86400)
        ),
        12
    )
$$;


--
-- Name: FUNCTION rating_weight(p_at timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.rating_weight(p_at timestamp with time zone) IS 'The decay weight of a rating given at p_at: 2^((p_at - 2026-01-01) / 730 days), a half-life of two years.';


--
-- Name: receive_stripe_webhook(json); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.receive_stripe_webhook(p_body json) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_headers jsonb := coalesce(nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb, '{}');
    v_event jsonb;
    v_id text;
    v_outcome text;
begin
    if not internal.stripe_signature_valid(
        v_headers ->> 'stripe-signature', p_body::text, internal.setting('stripe_webhook_secret')
    ) then
        perform internal.fail('invalid_signature', 'the Stripe-Signature header is missing, wrong or stale');
    end if;
    perform pg_catalog.set_config('bookiji.actor', 'stripe', true);
    v_event := p_body::jsonb;
    v_id := v_event ->> 'id';
    if v_id is null or v_event ->> 'type' is null or v_id !~ '^evt_[A-Za-z0-9_]+$' then
        perform internal.fail('invalid_input', 'the event has no valid id or type');
    end if;
    insert into app.stripe_events (id, type, payload)
    values (v_id, v_event ->> 'type', v_event)
    on conflict (id) do nothing;
    if not found then
        return pg_catalog.jsonb_build_object('received', true, 'duplicate', true);
    end if;
    -- Connect's account events (55_connect.sql); everything else: payments and refunds
    v_outcome := case
        when v_event ->> 'type' like 'account.%' then internal.apply_account_event(v_event)
        else internal.process_stripe_event(v_event)
    end;
    update app.stripe_events as e set processed_at = pg_catalog.now(), outcome = v_outcome where e.id = v_id;
    return pg_catalog.jsonb_build_object('received', true, 'duplicate', false, 'outcome', v_outcome);
end
$_$;


--
-- Name: FUNCTION receive_stripe_webhook(p_body json); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.receive_stripe_webhook(p_body json) IS 'Verify, store once and apply a Stripe webhook delivery. Definer: Stripe calls as anon.';


--
-- Name: reconcile(jsonb, jsonb, timestamp with time zone, interval, boolean); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reconcile(p_intents jsonb, p_refunds jsonb, p_since timestamp with time zone, p_grace interval, p_repair boolean DEFAULT true) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_snap jsonb := internal.reconcile_snapshot(p_since);
    v_since bigint := pg_catalog.floor(extract(epoch from p_since))::bigint;
    v_cutoff timestamptz := pg_catalog.now() - p_grace;
    v_diffs jsonb := '[]'::jsonb;
    v_intents jsonb;
    v_refunds jsonb;
    v_row jsonb;
    v_found jsonb;
    v_obj jsonb;
    v_subject text;
    v_recorded text;
    v_status text;
    v_here text;
    v_old boolean;
    v_kind text;
    v_detail text;
    v_event text;
    v_outcome text;
begin
    -- Stripe's objects created in the window, in Stripe's order (newest first), with their key
    select coalesce(pg_catalog.jsonb_agg(o.obj || pg_catalog.jsonb_build_object(
        '_key', coalesce(o.obj -> 'metadata' ->> 'booking_id', '')
    ) order by o.n), '[]'::jsonb)
    into v_intents
    from pg_catalog.jsonb_array_elements(coalesce(p_intents, '[]'::jsonb)) with ordinality as o (obj, n)
    where coalesce((o.obj ->> 'created')::bigint, v_since) >= v_since;
    select coalesce(pg_catalog.jsonb_agg(o.obj || pg_catalog.jsonb_build_object(
        '_key', coalesce(o.obj -> 'metadata' ->> 'refund_ledger_id', '')
    ) order by o.n), '[]'::jsonb)
    into v_refunds
    from pg_catalog.jsonb_array_elements(coalesce(p_refunds, '[]'::jsonb)) with ordinality as o (obj, n)
    where coalesce((o.obj ->> 'created')::bigint, v_since) >= v_since;

    for v_row in select * from pg_catalog.jsonb_array_elements(v_snap -> 'payments') loop
        v_subject := v_row ->> 'booking_id';
        v_recorded := v_row ->> 'stripe_payment_intent_id';
        v_here := v_row ->> 'status';
        v_old := (v_row ->> 'created_at')::timestamptz < v_cutoff;
        select coalesce(pg_catalog.jsonb_agg(i.obj order by i.n), '[]'::jsonb) into v_found
        from pg_catalog.jsonb_array_elements(v_intents) with ordinality as i (obj, n)
        where i.obj ->> '_key' = v_subject;
        v_kind := null;
        if pg_catalog.jsonb_array_length(v_found) > 1 then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                'kind', 'duplicate_intents', 'subject', v_subject,
                'detail', pg_catalog.format('%s intents: %s', pg_catalog.jsonb_array_length(v_found), (
                    select pg_catalog.string_agg(f.obj ->> 'id', ', ' order by f.obj ->> 'id')
                    from pg_catalog.jsonb_array_elements(v_found) as f (obj)
                ))
            );
        end if;
        if v_recorded is not null and not v_found @> pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('id', v_recorded)
        ) then
            v_kind := 'intent_missing_in_stripe';
            v_detail := v_recorded || ' is not in Stripe';
        elsif pg_catalog.jsonb_array_length(v_found) = 0 then
            if v_here = 'pending' and v_row ->> 'booking_status' = 'pending_payment' and v_old then
                v_kind := 'intent_never_created';
                v_detail := 'no PaymentIntent in Stripe';
            end if;
        else
            select f.obj into v_obj
            from pg_catalog.jsonb_array_elements(v_found) with ordinality as f (obj, n)
            order by (f.obj ->> 'id') is not distinct from v_recorded desc, f.n
            limit 1;
            v_status := v_obj ->> 'status';
            v_event := null;
            if v_status = 'succeeded' and v_here <> 'succeeded' then
                v_kind := 'missed_payment_succeeded';
                v_event := 'payment_intent.succeeded';
                v_detail := pg_catalog.format('%s succeeded in Stripe, payment %s here', v_obj ->> 'id', v_here);
            elsif v_status = 'canceled' and v_here in ('pending', 'requires_payment') then
                v_kind := 'missed_payment_canceled';
                v_event := 'payment_intent.canceled';
                v_detail := pg_catalog.format('%s canceled in Stripe, payment %s here', v_obj ->> 'id', v_here);
            elsif v_here = 'succeeded' and v_status is distinct from 'succeeded' then
                v_kind := 'paid_here_not_in_stripe';
                v_detail := pg_catalog.format('%s is %s in Stripe', v_obj ->> 'id', v_status);
            elsif v_recorded is null and v_old then
                v_kind := 'intent_not_recorded';
                v_detail := pg_catalog.format('%s (%s) is not recorded', v_obj ->> 'id', v_status);
            end if;
            if v_event is not null then
                v_outcome := case when p_repair then internal.reconcile_repair(v_event, v_obj - '_key') end;
                v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                    'kind', v_kind, 'subject', v_subject, 'detail', v_detail, 'repaired', v_outcome
                );
                v_kind := null;
            end if;
        end if;
        if v_kind is not null then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object('kind', v_kind, 'subject', v_subject, 'detail', v_detail);
        end if;
    end loop;
    v_diffs := v_diffs || coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'kind', 'unknown_intent', 'subject', u.key, 'detail', 'no payment for ' || u.ids
        ) order by u.first)
        from (
            select i.obj ->> '_key' as key, pg_catalog.string_agg(i.obj ->> 'id', ', ' order by i.n) as ids, min(i.n) as first
            from pg_catalog.jsonb_array_elements(v_intents) with ordinality as i (obj, n)
            where i.obj ->> '_key' <> ''
                and not (v_snap -> 'payments') @> pg_catalog.jsonb_build_array(
                    pg_catalog.jsonb_build_object('booking_id', i.obj ->> '_key')
                )
            group by i.obj ->> '_key'
        ) as u
    ), '[]'::jsonb);

    for v_row in select * from pg_catalog.jsonb_array_elements(v_snap -> 'refunds') loop
        v_subject := v_row ->> 'refund_id';
        v_recorded := v_row ->> 'stripe_refund_id';
        v_here := v_row ->> 'status';
        select coalesce(pg_catalog.jsonb_agg(i.obj order by i.n), '[]'::jsonb) into v_found
        from pg_catalog.jsonb_array_elements(v_refunds) with ordinality as i (obj, n)
        where i.obj ->> '_key' = v_subject;
        v_kind := null;
        if pg_catalog.jsonb_array_length(v_found) > 1 then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                'kind', 'duplicate_refunds', 'subject', v_subject,
                'detail', pg_catalog.format('%s refunds: %s', pg_catalog.jsonb_array_length(v_found), (
                    select pg_catalog.string_agg(f.obj ->> 'id', ', ' order by f.obj ->> 'id')
                    from pg_catalog.jsonb_array_elements(v_found) as f (obj)
                ))
            );
        end if;
        if pg_catalog.jsonb_array_length(v_found) = 0 then
            if v_recorded is not null then
                v_kind := 'refund_missing_in_stripe';
                v_detail := v_recorded || ' is not in Stripe';
            elsif v_here = 'pending' and (v_row ->> 'created_at')::timestamptz < v_cutoff then
                v_kind := 'refund_never_performed';
                v_detail := 'no refund in Stripe';
            end if;
        else
            select f.obj into v_obj
            from pg_catalog.jsonb_array_elements(v_found) with ordinality as f (obj, n)
            order by (f.obj ->> 'id') is not distinct from v_recorded desc, f.n
            limit 1;
            v_status := internal.stripe_refund_status(v_obj ->> 'status');
            if v_here = 'pending' and (v_status <> 'pending' or v_recorded is null) then
                v_outcome := case when p_repair then internal.reconcile_repair('refund.updated', v_obj - '_key') end;
                v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                    'kind', 'missed_refund_update', 'subject', v_subject,
                    'detail', pg_catalog.format('%s %s in Stripe, refund pending here', v_obj ->> 'id', v_obj ->> 'status'),
                    'repaired', v_outcome
                );
            elsif v_here <> v_status and v_status <> 'pending' then
                v_kind := 'refund_status_differs';
                v_detail := pg_catalog.format('%s here, %s in Stripe', v_here, v_obj ->> 'status');
            end if;
        end if;
        if v_kind is not null then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object('kind', v_kind, 'subject', v_subject, 'detail', v_detail);
        end if;
    end loop;
    v_diffs := v_diffs || coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'kind', 'unknown_refund', 'subject', u.key, 'detail', 'no ledger entry for ' || u.ids
        ) order by u.first)
        from (
            select i.obj ->> '_key' as key, pg_catalog.string_agg(i.obj ->> 'id', ', ' order by i.n) as ids, min(i.n) as first
            from pg_catalog.jsonb_array_elements(v_refunds) with ordinality as i (obj, n)
            where i.obj ->> '_key' <> ''
                and not (v_snap -> 'refunds') @> pg_catalog.jsonb_build_array(
                    pg_catalog.jsonb_build_object('refund_id', i.obj ->> '_key')
                )
            group by i.obj ->> '_key'
        ) as u
    ), '[]'::jsonb);

    return pg_catalog.jsonb_build_object(
        'payments', pg_catalog.jsonb_array_length(v_snap -> 'payments'),
        'refunds', pg_catalog.jsonb_array_length(v_snap -> 'refunds'),
        'intents', pg_catalog.jsonb_array_length(v_intents),
        'stripe_refunds', pg_catalog.jsonb_array_length(v_refunds),
        'differences', v_diffs
    );
end
$$;


--
-- Name: FUNCTION reconcile(p_intents jsonb, p_refunds jsonb, p_since timestamp with time zone, p_grace interval, p_repair boolean); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reconcile(p_intents jsonb, p_refunds jsonb, p_since timestamp with time zone, p_grace interval, p_repair boolean) IS 'Reconciliation with Stripe in one call: p_intents and p_refunds are Stripe''s PaymentIntents and Refunds as it lists them; compares them with the payments and refunds created since p_since (matched by metadata.booking_id and metadata.refund_ledger_id), repairs what Stripe settled (with p_repair; internal.reconcile_repair) and returns the counts and every difference (kind, subject, detail, repaired). Work not done after p_grace is reported. Definer: the worker role.';


--
-- Name: reconcile_apply(jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reconcile_apply(p_event jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_outcome text;
begin
    if p_event ->> 'type' not in ('payment_intent.succeeded', 'payment_intent.canceled', 'refund.updated')
        or pg_catalog.left(p_event ->> 'id', 14) <> 'evt_reconcile_' then
        perform internal.fail('invalid_input', 'not a reconciliation event');
    end if;
    v_outcome := internal.process_stripe_event(p_event);
    perform pg_catalog.set_config('bookiji.actor', 'reconcile', true);
    perform internal.audit(
        'stripe.reconciled', 'stripe', p_event -> 'data' -> 'object' ->> 'id',
        null, pg_catalog.jsonb_build_object('event', p_event ->> 'type', 'outcome', v_outcome)
    );
    return v_outcome;
end
$$;


--
-- Name: FUNCTION reconcile_apply(p_event jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reconcile_apply(p_event jsonb) IS 'Reconciliation repair: apply a synthesized Stripe event (evt_reconcile_..., payment_intent.succeeded/canceled or refund.updated) with the webhook''s logic, and audit it. Definer: the worker role.';


--
-- Name: reconcile_repair(text, jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reconcile_repair(p_type text, p_object jsonb) RETURNS text
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    -- the event Stripe would have sent about the object as it is now
    select internal.reconcile_apply(pg_catalog.jsonb_build_object(
        'id', pg_catalog.format('evt_reconcile_%s_%s', p_object ->> 'id', coalesce(p_object ->> 'status', '')),
        'object', 'event',
        'type', p_type,
        'data', pg_catalog.jsonb_build_object('object', p_object)
    ))
$$;


--
-- Name: FUNCTION reconcile_repair(p_type text, p_object jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reconcile_repair(p_type text, p_object jsonb) IS 'Reconciliation''s repair of one object: synthesize the event Stripe would have sent (evt_reconcile_<id>_<status>) and apply it (internal.reconcile_apply).';


--
-- Name: reconcile_snapshot(timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reconcile_snapshot(p_since timestamp with time zone) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'payments', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'payment_id', p.id,
                'booking_id', p.booking_id,
                'booking_status', b.status,
                'status', p.status,
                'amount_cents', p.amount_cents,
                'captured_cents', p.captured_cents,
                'stripe_payment_intent_id', p.stripe_payment_intent_id,
                'created_at', p.created_at
            ) order by p.created_at)
            from app.payments as p
            inner join app.bookings as b on p.booking_id = b.id
            where p.created_at >= p_since
        ), '[]'::jsonb),
        'refunds', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'refund_id', r.id,
                'booking_id', r.booking_id,
                'status', r.status,
                'amount_cents', r.amount_cents,
                'stripe_refund_id', r.stripe_refund_id,
                'stripe_payment_intent_id', p.stripe_payment_intent_id,
                'created_at', r.created_at
            ) order by r.created_at)
            from app.refunds as r
            inner join app.payments as p on r.payment_id = p.id
            where r.created_at >= p_since
        ), '[]'::jsonb)
    )
$$;


--
-- Name: FUNCTION reconcile_snapshot(p_since timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reconcile_snapshot(p_since timestamp with time zone) IS 'Payments (with their booking''s status) and refunds created since p_since, for reconciliation with Stripe. Definer: the worker role reads no app table.';


--
-- Name: record_payment_failure(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.record_payment_failure(p_payment_id uuid, p_reason text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_payment app.payments;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    select * into v_payment from app.payments as p where p.id = p_payment_id for update;
    if not found then
        return 'unknown payment';
    end if;
    if v_payment.status in ('succeeded', 'failed') then
        return 'unchanged';
    end if;
    update app.payments as p
    set status = 'failed', failure_reason = pg_catalog.left(p_reason, 500), updated_at = pg_catalog.now()
    where p.id = p_payment_id;
    -- a booking that cannot be paid cannot be kept: free the slot, and say so
    perform from app.bookings as b
    where b.id = v_payment.booking_id and b.status = 'pending_payment'
    for no key update;
    if found then
        perform internal.transition_booking(
            v_payment.booking_id, 'cancelled', 'system',
            'the payment could not be set up: ' || pg_catalog.left(p_reason, 200)
        );
    end if;
    return 'failed';
end
$$;


--
-- Name: FUNCTION record_payment_failure(p_payment_id uuid, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.record_payment_failure(p_payment_id uuid, p_reason text) IS 'Worker entry point: Stripe refused to set up the payment for good; the booking is cancelled and both parties told (idempotent).';


--
-- Name: record_payment_intent(uuid, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.record_payment_intent(p_payment_id uuid, p_intent_id text, p_client_secret text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_payment app.payments;
    v_booking_status text;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_intent_id is null or p_intent_id !~ '^pi_[A-Za-z0-9_]+$' then
        perform internal.fail('invalid_input', 'p_intent_id must be a PaymentIntent id (pi_...)');
    end if;
    select * into v_payment from app.payments as p where p.id = p_payment_id for update;
    if not found then
        perform internal.fail('not_found', 'no such payment');
    end if;
    if v_payment.stripe_payment_intent_id = p_intent_id then
        return 'already recorded';
    end if;
    if v_payment.stripe_payment_intent_id is not null then
        perform internal.fail('conflict', 'this payment already has another PaymentIntent');
    end if;
    update app.payments as p
    set
        stripe_payment_intent_id = p_intent_id,
        client_secret = p_client_secret,
        status = case when p.status = 'pending' then 'requires_payment' else p.status end,
        updated_at = pg_catalog.now()
    where p.id = p_payment_id;
    perform internal.audit('payment.intent_created', 'app.payments', p_payment_id::text,
        null, pg_catalog.jsonb_build_object('stripe_payment_intent_id', p_intent_id));
    select b.status into v_booking_status from app.bookings as b where b.id = v_payment.booking_id;
    if v_booking_status in ('expired', 'cancelled') then
        -- the hold ended while the intent was being created: cancel it too
        perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
            'type', 'payment.cancel_intent', 'booking_id', v_payment.booking_id, 'payment_id', p_payment_id
        ));
        return 'recorded; booking already ended, cancel requested';
    end if;
    return 'recorded';
end
$_$;


--
-- Name: FUNCTION record_payment_intent(p_payment_id uuid, p_intent_id text, p_client_secret text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.record_payment_intent(p_payment_id uuid, p_intent_id text, p_client_secret text) IS 'Worker entry point: store a created PaymentIntent (idempotent). Definer: the worker role writes no app table.';


--
-- Name: record_payment_intent_cancelled(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.record_payment_intent_cancelled(p_payment_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    update app.payments as p
    set status = 'cancelled', client_secret = null, updated_at = pg_catalog.now()
    where p.id = p_payment_id and p.status in ('pending', 'requires_payment');
    return case when found then 'cancelled' else 'unchanged' end;
end
$$;


--
-- Name: FUNCTION record_payment_intent_cancelled(p_payment_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.record_payment_intent_cancelled(p_payment_id uuid) IS 'Worker entry point: a PaymentIntent was cancelled in Stripe (idempotent). Definer: as above.';


--
-- Name: record_payout_account(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.record_payout_account(p_provider_id uuid, p_account_id text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_current text;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_account_id is null or p_account_id !~ '^acct_[A-Za-z0-9]+$' then
        perform internal.fail('invalid_input', 'p_account_id must be a Stripe account id (acct_...)');
    end if;
    select a.stripe_account_id into v_current from app.payout_accounts as a where a.provider_id = p_provider_id for update;
    if not found then
        perform internal.fail('not_found', 'no payout account was asked for this provider');
    end if;
    if v_current = p_account_id then
        return 'already recorded';
    end if;
    if v_current is not null then
        perform internal.fail('conflict', 'this provider already has another Stripe account');
    end if;
    update app.payout_accounts as a
    set stripe_account_id = p_account_id, updated_at = pg_catalog.now()
    where a.provider_id = p_provider_id;
    perform internal.audit('payout.account_created', 'app.payout_accounts', p_provider_id::text,
        null, pg_catalog.jsonb_build_object('stripe_account_id', p_account_id));
    return 'recorded';
end
$_$;


--
-- Name: FUNCTION record_payout_account(p_provider_id uuid, p_account_id text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.record_payout_account(p_provider_id uuid, p_account_id text) IS 'Worker entry point: store a provider''s created Express account (idempotent). Definer: the worker writes no app table.';


--
-- Name: record_payout_link(uuid, uuid, text, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.record_payout_link(p_provider_id uuid, p_link_request_id uuid, p_url text, p_expires_at timestamp with time zone) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_url is null or p_url !~ '^https?://' then
        perform internal.fail('invalid_input', 'p_url must be an http(s) URL');
    end if;
    update app.payout_accounts as a
    set onboarding_url = p_url, onboarding_url_expires_at = p_expires_at, updated_at = pg_catalog.now()
    where a.provider_id = p_provider_id and a.link_request_id = p_link_request_id;
    return case when found then 'recorded' else 'superseded: a newer link was asked for' end;
end
$$;


--
-- Name: FUNCTION record_payout_link(p_provider_id uuid, p_link_request_id uuid, p_url text, p_expires_at timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.record_payout_link(p_provider_id uuid, p_link_request_id uuid, p_url text, p_expires_at timestamp with time zone) IS 'Worker entry point: store the onboarding link made for a link request (a superseded one is ignored). Definer: as above.';


--
-- Name: record_refund(uuid, text, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.record_refund(p_refund_id uuid, p_stripe_refund_id text, p_status text, p_failure text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_refund app.refunds;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_status not in ('pending', 'succeeded', 'failed') then
        perform internal.fail('invalid_input', 'p_status must be pending, succeeded or failed');
    end if;
    select * into v_refund from app.refunds as r where r.id = p_refund_id for update;
    if not found then
        perform internal.fail('not_found', 'no such refund');
    end if;
    if v_refund.stripe_refund_id is not null and v_refund.stripe_refund_id <> p_stripe_refund_id then
        perform internal.fail('conflict', 'this refund already has another Stripe refund');
    end if;
    if v_refund.status = 'pending' and p_status = 'succeeded' then
        perform internal.emit_booking_event(
            v_refund.booking_id, 'booking_refunded',
            pg_catalog.jsonb_build_object('refund_cents', v_refund.amount_cents), v_refund.id::text
        );
    end if;
    -- a settled refund never moves back to pending
    update app.refunds as r
    set
        stripe_refund_id = coalesce(p_stripe_refund_id, r.stripe_refund_id),
        status = case when r.status = 'pending' then p_status else r.status end,
        failure_reason = coalesce(p_failure, r.failure_reason),
        updated_at = pg_catalog.now()
    where r.id = p_refund_id;
    return 'recorded';
end
$$;


--
-- Name: FUNCTION record_refund(p_refund_id uuid, p_stripe_refund_id text, p_status text, p_failure text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.record_refund(p_refund_id uuid, p_stripe_refund_id text, p_status text, p_failure text) IS 'Worker entry point: store a Stripe refund''s id and status (idempotent). Definer: as above.';


--
-- Name: refund_action(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.refund_action(p_refund_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select r.request || case
        when not (r.request ->> 'wanted')::boolean then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the refund is performed or settled already')
        when coalesce(r.request ->> 'stripe_payment_intent_id', '') = '' then
            pg_catalog.jsonb_build_object('action', 'fail', 'reason', 'the refund has no PaymentIntent to refund')
        else
            pg_catalog.jsonb_build_object('action', 'create_refund', 'reason', 'the ledger asks for it')
    end
    from (select internal.refund_request(p_refund_id) as request) as r
    where r.request is not null
$$;


--
-- Name: FUNCTION refund_action(p_refund_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.refund_action(p_refund_id uuid) IS 'payment.refund: create_refund, skip or fail (with the reason), and what the refund is made of. Definer: as above.';


--
-- Name: refund_reason_kind(text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.refund_reason_kind(p_requested_role text, p_reason text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    select case
        when p_reason like 'cancelled by customer:%' then 'customer_cancellation'
        when p_reason like 'cancelled by provider:%' then 'provider_cancellation'
        when p_reason like 'cancelled by ops:%' then 'ops_cancellation'
        when p_requested_role = 'system' and p_reason like 'payment arrived after%' then 'late_payment'
        when p_requested_role = 'system' and p_reason like 'the payment did not match%' then 'payment_mismatch'
        when p_requested_role = 'ops' then 'ops_refund'
        else 'other'
    end
$$;


--
-- Name: FUNCTION refund_reason_kind(p_requested_role text, p_reason text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.refund_reason_kind(p_requested_role text, p_reason text) IS 'A refund''s reason, classified: customer_cancellation, provider_cancellation, ops_cancellation, late_payment, payment_mismatch, ops_refund (a refund ops made without cancelling), other.';


--
-- Name: refund_request(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.refund_request(p_refund_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'refund_id', r.id,
        'booking_id', r.booking_id,
        'amount_cents', r.amount_cents,
        'status', r.status,
        'stripe_refund_id', r.stripe_refund_id,
        'stripe_payment_intent_id', p.stripe_payment_intent_id,
        -- how a destination charge's refund unwinds (55_connect.sql)
        'reverse_transfer', r.reverse_transfer,
        'refund_application_fee', r.refund_application_fee,
        'wanted', r.status = 'pending' and r.stripe_refund_id is null
    )
    from app.refunds as r
    inner join app.payments as p on r.payment_id = p.id
    where r.id = p_refund_id
$$;


--
-- Name: FUNCTION refund_request(p_refund_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.refund_request(p_refund_id uuid) IS 'What the worker needs to perform a ledger refund. Definer: as above.';


--
-- Name: refunds_append_event(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.refunds_append_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
begin
    select * into strict v_booking from app.bookings as b where b.id = new.booking_id;
    perform internal.append_event(
        'booking_refunded', v_booking.id, v_booking.provider_id, v_booking.customer_id, null, null,
        pg_catalog.jsonb_build_object('refund_id', new.id, 'refund_cents', new.amount_cents, 'currency', v_booking.currency)
    );
    return null;
end
$$;


--
-- Name: FUNCTION refunds_append_event(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.refunds_append_event() IS 'Trigger: a refund that succeeded goes to the event log (booking_refunded).';


--
-- Name: refunds_unwind(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.refunds_unwind() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_payment app.payments;
    v_booking app.bookings;
    v_refunded bigint;
    v_reversed bigint;
    v_fee_refunded bigint;
    v_completes boolean;
    v_transfer integer;
begin
    select * into strict v_payment from app.payments as p where p.id = new.payment_id;
    if v_payment.transfer_destination is null then
        return new;  -- the platform's own charge: nothing to unwind
    end if;
    select * into strict v_booking from app.bookings as b where b.id = new.booking_id;
    select
        coalesce(sum(r.amount_cents), 0),
        coalesce(sum(r.transfer_reversal_cents), 0),
        coalesce(sum(r.fee_refund_cents), 0)
    into v_refunded, v_reversed, v_fee_refunded
    from app.refunds as r
    where r.payment_id = new.payment_id and r.status <> 'failed';
    v_completes := v_refunded + new.amount_cents >= v_payment.captured_cents;
    v_transfer := v_payment.captured_cents - v_payment.application_fee_cents;
    new.reverse_transfer := true;
    -- the platform keeps its fee when the customer cancelled late (the provider keeps
    -- the cancellation fee's share); a provider's or ops' cancellation, an in-time
    -- cancellation or an ops refund gives the fee back with the rest
    new.refund_application_fee := v_payment.application_fee_cents > 0 and not (
        new.requested_role = 'customer'
        and v_booking.cancelled_by_role = 'customer'
        and v_booking.cancelled_at > pg_catalog.lower(v_booking.during)
        - pg_catalog.make_interval(hours => v_booking.cancel_notice_hours)
    );
    new.transfer_reversal_cents := internal.proportional_cents(
        new.amount_cents, v_payment.captured_cents, v_transfer, v_reversed, v_completes
    );
    new.fee_refund_cents := case when new.refund_application_fee then internal.proportional_cents(
        new.amount_cents, v_payment.captured_cents, v_payment.application_fee_cents, v_fee_refunded, v_completes
    ) else 0 end;
    return new;
end
$$;


--
-- Name: FUNCTION refunds_unwind(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.refunds_unwind() IS 'Trigger: a refund of a destination charge reverses the transfer proportionally and refunds the fee
(but on a late customer cancellation), with the cents of each as Stripe computes them.';


--
-- Name: refuse_view_write(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.refuse_view_write() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    perform internal.fail('forbidden', pg_catalog.format('%I.%I is read-only', tg_table_schema, tg_table_name));
    return null;
end
$$;


--
-- Name: FUNCTION refuse_view_write(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.refuse_view_write() IS 'Instead-of trigger for api views that are not automatically updatable (joins):
without it, PATCH/DELETE/POST on such a view fails in the rewriter with 55000, a
500, before privileges are checked; with it, the caller without the privilege gets
PostgREST''s 401/403, and anyone else 403 forbidden.';


--
-- Name: reminder_still_due(uuid, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reminder_still_due(p_booking_id uuid, p_starts_at timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select exists (
        select from app.bookings as b
        where b.id = p_booking_id and b.status = 'confirmed' and pg_catalog.lower(b.during) = p_starts_at
    )
$$;


--
-- Name: FUNCTION reminder_still_due(p_booking_id uuid, p_starts_at timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reminder_still_due(p_booking_id uuid, p_starts_at timestamp with time zone) IS 'Whether a reminder is still wanted: the booking is confirmed and starts when the reminder said.';


--
-- Name: reply_to_review(uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reply_to_review(p_review_id uuid, p_reply text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_review app.reviews;
    v_reply text;
begin
    perform internal.require_role(
        'provider', 'only the reviewed provider can reply to a review', 'replying needs a signed-in provider'
    );
    perform internal.require(p_review_id, 'review_id');
    v_reply := internal.review_text(p_reply, 'reply', 2000);
    perform internal.require(v_reply, 'reply', 'at most 2000 characters');
    select * into v_review from app.reviews as r where r.id = p_review_id and r.hidden_at is null for update;
    if not found then
        perform internal.fail('not_found', 'no such review');
    end if;
    if not exists (
        select from app.providers as p where p.id = v_review.provider_id and p.owner_id = auth.uid()
    ) then
        perform internal.fail('forbidden', 'only the reviewed provider can reply to this review');
    end if;
    if v_review.reply is not null then
        perform internal.fail('already_replied', 'this review already has a reply');
    end if;
    update app.reviews as r
    set reply = v_reply, replied_at = pg_catalog.now()
    where r.id = p_review_id;
    return internal.review_json(p_review_id);
end
$$;


--
-- Name: FUNCTION reply_to_review(p_review_id uuid, p_reply text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reply_to_review(p_review_id uuid, p_reply text) IS 'The reviewed provider''s one reply to a visible review. Definer: writes the review.';


--
-- Name: request_id(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.request_id() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-request-id'
$$;


--
-- Name: FUNCTION request_id(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.request_id() IS 'The request id nginx put in X-Request-Id (null outside HTTP).';


--
-- Name: request_refund(uuid, integer, text, uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.request_refund(p_booking_id uuid, p_amount_cents integer, p_reason text, p_requested_by uuid, p_requested_role text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_payment app.payments;
    v_refund_id uuid;
    v_left bigint;
begin
    -- the payment row lock serialises refunds of one booking: concurrent
    -- requests cannot both pass the check below
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
    if not found or v_payment.status <> 'succeeded' then
        perform internal.fail('conflict', 'nothing was captured for this booking, so nothing can be refunded');
    end if;
    select v_payment.captured_cents - coalesce(sum(r.amount_cents), 0) into v_left
    from app.refunds as r where r.payment_id = v_payment.id and r.status <> 'failed';
    if p_amount_cents is null or p_amount_cents <= 0 then
        perform internal.fail('invalid_input', 'amount_cents must be a positive number of cents');
    end if;
    if exists (
        select from app.disputes as d where d.payment_id = v_payment.id and coalesce(d.outcome, 'lost') = 'lost'
    ) then
        perform internal.fail(
            'conflict', 'the payment is disputed by the cardholder: it cannot be refunded while the dispute is open or once lost'
        );
    end if;
    if p_amount_cents > v_left then
        perform internal.fail(
            'conflict', pg_catalog.format('at most %s cents can still be refunded for this booking', v_left)
        );
    end if;
    insert into app.refunds (booking_id, payment_id, amount_cents, reason, requested_by, requested_role)
    values (p_booking_id, v_payment.id, p_amount_cents, p_reason, p_requested_by, p_requested_role)
    returning id into v_refund_id;
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'payment.refund', 'refund_id', v_refund_id, 'booking_id', p_booking_id
    ));
    return v_refund_id;
end
$$;


--
-- Name: FUNCTION request_refund(p_booking_id uuid, p_amount_cents integer, p_reason text, p_requested_by uuid, p_requested_role text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.request_refund(p_booking_id uuid, p_amount_cents integer, p_reason text, p_requested_by uuid, p_requested_role text) IS 'Add a refund to the ledger (never past what was captured) and ask the worker to perform it.';


--
-- Name: require(anyelement, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.require(p_value anyelement, p_name text, p_hint text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    if p_value is null then
        perform internal.fail(
            'invalid_input', p_name || ' is required' || coalesce(' (' || p_hint || ')', '')
        );
    end if;
end
$$;


--
-- Name: FUNCTION require(p_value anyelement, p_name text, p_hint text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.require(p_value anyelement, p_name text, p_hint text) IS 'Refuse a null argument with 400 invalid_input "<name> is required" (and "(<hint>)" when given).';


--
-- Name: require_role(text, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.require_role(p_role text, p_refusal text, p_anonymous text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    -- an anonymous caller (no role claim or no subject) gets 401 when the
    -- caller says what signing in would allow; otherwise the role check's 403
    if p_anonymous is not null and (auth.role() = 'anon' or auth.uid() is null) then
        perform internal.fail('not_authenticated', p_anonymous);
    end if;
    if auth.role() is distinct from p_role then
        perform internal.fail('forbidden', p_refusal);
    end if;
end
$$;


--
-- Name: FUNCTION require_role(p_role text, p_refusal text, p_anonymous text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.require_role(p_role text, p_refusal text, p_anonymous text) IS 'Refuse a caller whose role claim is not p_role: 403 forbidden with p_refusal.
With p_anonymous, an anonymous caller (role anon, or no subject) gets 401 not_authenticated with that message first.';


--
-- Name: require_text(text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.require_text(p_value text, p_name text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    if p_value is null or pg_catalog.btrim(p_value) = '' then
        perform internal.fail('invalid_input', p_name || ' is required');
    end if;
end
$$;


--
-- Name: FUNCTION require_text(p_value text, p_name text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.require_text(p_value text, p_name text) IS 'Refuse a null or blank text argument with 400 invalid_input "<name> is required".';


--
-- Name: require_time(timestamp with time zone, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.require_time(p_value timestamp with time zone, p_name text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
    if p_value is null or p_value in ('infinity', '-infinity') then
        perform internal.fail('invalid_input', p_name || ' is required (a timestamp with time zone)');
    end if;
end
$$;


--
-- Name: FUNCTION require_time(p_value timestamp with time zone, p_name text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.require_time(p_value timestamp with time zone, p_name text) IS 'Refuse a null or infinite timestamp argument with 400 invalid_input "<name> is required (a timestamp with time zone)".';


--
-- Name: reschedule_booking(uuid, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reschedule_booking(p_booking_id uuid, p_new_starts_at timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
    v_service app.services;
    v_provider app.providers;
    v_party text;
    v_during tstzrange;
    v_blocked tstzrange;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'rescheduling a booking needs a signed-in user');
    end if;
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require_time(p_new_starts_at, 'new_starts_at');
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party = 'ops' then
        perform internal.fail('forbidden', 'only the booking''s customer or provider can reschedule it');
    end if;

    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    perform internal.provider_lock(v_booking.provider_id);
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;

    if v_booking.status not in ('pending_payment', 'confirmed')
        or (v_booking.status = 'pending_payment' and v_booking.hold_expires_at <= pg_catalog.now()) then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot be moved', v_booking.status)
        );
    end if;
    -- a started booking stays where it happened, whoever asks (the provider included)
    if pg_catalog.now() >= pg_catalog.lower(v_booking.during) then
        perform internal.fail('booking_started', 'the booking has started, so it can no longer be moved');
    end if;
    if v_party = 'customer'
        and pg_catalog.now() > pg_catalog.lower(v_booking.during)
        - pg_catalog.make_interval(hours => v_booking.cancel_notice_hours) then
        perform internal.fail(
            'too_late',
            pg_catalog.format(
                'a booking can be rescheduled only until %s hours before it starts', v_booking.cancel_notice_hours
            )
        );
    end if;

    select * into strict v_service from app.services as s where s.id = v_booking.service_id;
    select * into strict v_provider from app.providers as p where p.id = v_booking.provider_id;
    v_during := pg_catalog.tstzrange(
        p_new_starts_at, p_new_starts_at + (pg_catalog.upper(v_booking.during) - pg_catalog.lower(v_booking.during)),
        '[)'
    );
    if v_during = v_booking.during then
        return internal.booking_json(p_booking_id);
    end if;
    v_blocked := pg_catalog.tstzrange(
        p_new_starts_at - pg_catalog.make_interval(mins => v_service.buffer_before_minutes),
        pg_catalog.upper(v_during) + pg_catalog.make_interval(mins => v_service.buffer_after_minutes),
        '[)'
    );
    if not v_provider.is_active or not v_service.is_active then
        perform internal.fail('slot_unavailable', 'this provider no longer offers the service');
    end if;
    if p_new_starts_at < pg_catalog.now() + pg_catalog.make_interval(mins => v_service.min_notice_minutes)
        or p_new_starts_at > pg_catalog.now() + pg_catalog.make_interval(days => v_service.max_days_ahead) then
        perform internal.fail('slot_unavailable', 'this time is too soon or too far ahead to book');
    end if;
    -- holds whose time is up no longer block
    perform internal.expire_hold(b.id)
    from app.bookings as b
    where
        b.provider_id = v_booking.provider_id and b.status = 'pending_payment' and b.id <> p_booking_id
        and b.hold_expires_at <= pg_catalog.now() and b.blocked && v_blocked;
    if not internal.slot_is_free_except(
        p_booking_id, v_booking.provider_id, v_provider.time_zone, v_blocked, pg_catalog.now()
    ) then
        perform internal.fail('slot_unavailable', 'the new slot is not available');
    end if;
    begin
        -- the same row moves: the old slot is freed only if the new one is won,
        -- and the payment (keyed by the booking) follows without a new charge
        update app.bookings as b set during = v_during, blocked = v_blocked where b.id = p_booking_id;
    exception when exclusion_violation then
        perform internal.fail('slot_unavailable', 'the new slot was just taken');
    end;
    perform internal.schedule_booking_reminder(p_booking_id);
    return internal.booking_json(p_booking_id);
end
$$;


--
-- Name: FUNCTION reschedule_booking(p_booking_id uuid, p_new_starts_at timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reschedule_booking(p_booking_id uuid, p_new_starts_at timestamp with time zone) IS 'Move a live booking to another start, atomically, serialised per provider (the payment follows).
Definer: writes bookings and notifications, which no API role may write directly.';


--
-- Name: review_booking(uuid, integer, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.review_booking(p_booking_id uuid, p_stars integer, p_body text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_customer uuid := auth.uid();
    v_booking app.bookings;
    v_body text;
    v_review_id uuid;
    v_owner uuid;
    -- the spam limit: new reviews per customer in any 24 hours
    v_limit constant integer := 10;
begin
    perform internal.require_role(
        'customer', 'only customers can review a booking', 'reviewing a booking needs a signed-in customer'
    );
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require(p_stars, 'stars', 'a whole number from 1 to 5');
    perform internal.check_stars(p_stars);
    v_body := internal.review_text(p_body, 'body', 2000);

    select * into v_booking from app.bookings as b
    where b.id = p_booking_id and b.customer_id = v_customer;
    if not found then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_booking.status <> 'completed' then
        perform internal.fail(
            'booking_not_completed',
            pg_catalog.format('only a completed booking can be reviewed, and this one is %s', v_booking.status)
        );
    end if;

    -- one customer's reviews take turns, so the daily limit cannot be raced past
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.reviews:' || v_customer::text, 0));
    if exists (select from app.reviews as r where r.booking_id = p_booking_id) then
        perform internal.fail(
            'already_reviewed', 'this booking has already been reviewed; change the review with edit_review'
        );
    end if;
    if (
        select pg_catalog.count(*) from app.reviews as r
        where r.customer_id = v_customer and r.created_at > pg_catalog.now() - '1 day'::interval
    ) >= v_limit then
        perform internal.fail(
            'too_many_reviews', pg_catalog.format('at most %s reviews a day; try again tomorrow', v_limit)
        );
    end if;

    insert into app.reviews as r (booking_id, provider_id, customer_id, author_name, stars, body)
    select v_booking.id, v_booking.provider_id, v_customer, internal.public_name(u.full_name), p_stars, v_body
    from app.users as u
    where u.id = v_customer
    returning r.id into v_review_id;

    select p.owner_id into v_owner from app.providers as p where p.id = v_booking.provider_id;
    perform internal.notify(
        'review_received', v_owner, 'review_received:' || v_review_id::text,
        internal.booking_event_data(v_booking.id) || pg_catalog.jsonb_build_object('stars', p_stars)
    );
    return internal.review_json(v_review_id);
end
$$;


--
-- Name: FUNCTION review_booking(p_booking_id uuid, p_stars integer, p_body text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.review_booking(p_booking_id uuid, p_stars integer, p_body text) IS 'Review one of the caller''s completed bookings, once; notify the provider.
Definer: writes the review, the provider''s rating and the notification.';


--
-- Name: review_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.review_json(p_review_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'id', r.id,
        'booking_id', r.booking_id,
        'provider_id', r.provider_id,
        'author_name', r.author_name,
        'stars', r.stars,
        'body', r.body,
        'reply', r.reply,
        'replied_at', r.replied_at,
        'created_at', r.created_at,
        'edited_at', r.edited_at,
        'editable_until', r.created_at + pg_catalog.make_interval(days => 14),
        'hidden', r.hidden_at is not null,
        'hidden_reason', r.hidden_reason
    )
    from app.reviews as r
    where r.id = p_review_id
$$;


--
-- Name: FUNCTION review_json(p_review_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.review_json(p_review_id uuid) IS 'A review as the review functions return it. Definer: called after writes the caller cannot read back.';


--
-- Name: review_text(text, text, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.review_text(p_text text, p_name text, p_max integer) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
    -- trimmed; blank is no text
    if pg_catalog.char_length(p_text) > p_max then
        perform internal.fail('invalid_input', pg_catalog.format('%s must be at most %s characters', p_name, p_max));
    end if;
    return nullif(pg_catalog.btrim(p_text), '');
end
$$;


--
-- Name: FUNCTION review_text(p_text text, p_name text, p_max integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.review_text(p_text text, p_name text, p_max integer) IS 'A review''s or reply''s text, trimmed (blank: null); longer than p_max characters: 400 invalid_input naming it.';


--
-- Name: reviews_apply_rating(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reviews_apply_rating() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_provider uuid;
    v_count integer := 0;
    v_weight numeric := 0;
    v_stars numeric := 0;
begin
    -- what the old row counted for (if visible) goes, what the new one counts for comes
    if tg_op in ('UPDATE', 'DELETE') and old.hidden_at is null then
        v_count := v_count - 1;
        v_weight := v_weight - old.weight;
        v_stars := v_stars - old.weight * old.stars;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.hidden_at is null then
        v_count := v_count + 1;
        v_weight := v_weight + new.weight;
        v_stars := v_stars + new.weight * new.stars;
    end if;
    v_provider := case when tg_op = 'DELETE' then old.provider_id else new.provider_id end;
    if v_count = 0 and v_weight = 0 and v_stars = 0 then
        return null;
    end if;
    update app.providers as p
    set
        rating_count = p.rating_count + v_count,
        rating_weight = p.rating_weight + v_weight,
        rating_weighted_stars = p.rating_weighted_stars + v_stars,
        rating_avg = case
            when p.rating_count + v_count > 0
                then coalesce(
                    pg_catalog.round((p.rating_weighted_stars + v_stars) / nullif(p.rating_weight + v_weight, 0), 2),
                    p.rating_avg
                )
        end
    where p.id = v_provider;
    return null;
end
$$;


--
-- Name: FUNCTION reviews_apply_rating(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reviews_apply_rating() IS 'Trigger: keep the provider''s rating (rating_count, rating_avg and their sums) as reviews are written, edited, hidden or deleted.
Definer: the caller (a customer reviewing) has no rights on the provider''s row.';


--
-- Name: reviews_set_weight(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.reviews_set_weight() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    new.weight := internal.rating_weight(new.created_at);
    return new;
end
$$;


--
-- Name: FUNCTION reviews_set_weight(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.reviews_set_weight() IS 'Trigger: a review''s decay weight follows its created_at.';


--
-- Name: schedule_booking_reminder(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.schedule_booking_reminder(p_booking_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_booking app.bookings;
    v_data jsonb := internal.booking_event_data(p_booking_id);
    v_lead interval := pg_catalog.make_interval(
        hours => coalesce(internal.setting('reminder_lead_hours')::integer, 24)
    );
begin
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    if v_booking.status = 'confirmed' and pg_catalog.lower(v_booking.during) > pg_catalog.now() then
        -- keyed by the start, as emit_booking_event does: the old reminder finds
        -- the start changed and drops itself
        perform internal.notify(
            'booking_reminder', v_booking.customer_id,
            'booking_reminder:' || p_booking_id::text || ':' || (v_data ->> 'starts_at'),
            v_data,
            greatest(
                0, extract(epoch from pg_catalog.lower(v_booking.during) - v_lead - pg_catalog.now())::integer
            )
        );
    end if;
end
$$;


--
-- Name: FUNCTION schedule_booking_reminder(p_booking_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.schedule_booking_reminder(p_booking_id uuid) IS 'Queue the reminder of a confirmed booking for its current start (after a move).';


--
-- Name: search_box(double precision, double precision, double precision, double precision, double precision, double precision); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.search_box(p_lat double precision, p_lng double precision, p_within_m double precision, p_rating_from double precision, p_rating_to double precision, p_price_to double precision) RETURNS extensions.geometry
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
-- A box in (longitude, latitude, rating term, price) around the point that holds
-- every point within p_within_m of it on the spheroid: a geodesic of length
-- r moves at most r / M latitude (M >= 6,335,439 m, the meridional radius at
-- the equator) and r / (a cos(phi)) longitude (a = 6,378,137 m, phi the
-- latitude farthest from the equator it can reach), plus 0.1%. Near a pole or
-- across the antimeridian, every longitude. PL/pgSQL, not SQL: a SQL function
-- with a FROM clause is never inlined and runs a small plan per call (17 us
-- against 3 us; the quote calls it once per index probe).
declare
    v_dlat double precision := pg_catalog.degrees(p_within_m / 6335439.0) * 1.001;
    v_far double precision := pg_catalog.abs(p_lat) + v_dlat;
    v_dlng double precision;
begin
    if v_far < 89.9 then
        v_dlng := pg_catalog.degrees(p_within_m / (6378137.0 * pg_catalog.cosd(v_far))) * 1.001 + 1e-9;
    end if;
    v_dlat := v_dlat + 1e-9;
    if v_dlng is null or p_lng - v_dlng < -180 or p_lng + v_dlng > 180 then
        return extensions.st_setsrid(
            extensions.st_makeline(
                extensions.st_makepoint(-180, p_lat - v_dlat, p_rating_from, -1),
                extensions.st_makepoint(180, p_lat + v_dlat, p_rating_to, p_price_to)
            ),
            4326
        );
    end if;
    return extensions.st_setsrid(
        extensions.st_makeline(
            extensions.st_makepoint(p_lng - v_dlng, p_lat - v_dlat, p_rating_from, -1),
            extensions.st_makepoint(p_lng + v_dlng, p_lat + v_dlat, p_rating_to, p_price_to)
        ),
        4326
    );
end
$$;


--
-- Name: FUNCTION search_box(p_lat double precision, p_lng double precision, p_within_m double precision, p_rating_from double precision, p_rating_to double precision, p_price_to double precision); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.search_box(p_lat double precision, p_lng double precision, p_within_m double precision, p_rating_from double precision, p_rating_to double precision, p_price_to double precision) IS 'The search-key box holding every offer within p_within_m of the point whose
rating term is in [p_rating_from, p_rating_to] and price at most p_price_to.';


--
-- Name: search_key(double precision, double precision, double precision, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.search_key(p_lng double precision, p_lat double precision, p_quality double precision, p_price_cents integer) RETURNS extensions.geometry
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    select extensions.st_setsrid(extensions.st_makepoint(p_lng, p_lat, p_quality, p_price_cents), 4326)
$$;


--
-- Name: FUNCTION search_key(p_lng double precision, p_lat double precision, p_quality double precision, p_price_cents integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.search_key(p_lng double precision, p_lat double precision, p_quality double precision, p_price_cents integer) IS 'The search key of an offer: (longitude, latitude, quality term, price in cents).';


--
-- Name: service_search_key(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.service_search_key() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    -- the quality term under the active ranking version's weights (none
    -- active: the key stays null and the offer out of the quote)
    select
        case
            when new.is_active and p.is_active
                then internal.search_key(
                    p.lng, p.lat,
                    internal.quality_term(
                        p.rating_count, p.rating_avg, p.provider_cancellation_rate, p.no_show_rate,
                        v.w_rating, v.w_reliability
                    ),
                    new.price_cents
                )
        end
    into new.search_key
    from app.providers as p
    inner join app.ranking_versions as v on v.is_active
    where p.id = new.provider_id;
    return new;
end
$$;


--
-- Name: FUNCTION service_search_key(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.service_search_key() IS 'Trigger: compute a service''s search key from its provider (null when either is inactive).
Definer: the key must be right whoever writes the row, whatever that caller may read.';


--
-- Name: service_slots(uuid, timestamp with time zone, timestamp with time zone, integer, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.service_slots(p_service_id uuid, p_from timestamp with time zone, p_to timestamp with time zone, p_step_minutes integer, p_now timestamp with time zone) RETURNS TABLE(starts_at timestamp with time zone, ends_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_provider_id uuid;
    v_time_zone text;
    v_duration interval;
    v_before interval;
    v_after interval;
    v_earliest timestamptz;
    v_latest timestamptz;
    v_span tstzrange;
begin
    perform internal.require(p_service_id, 'service_id');
    perform internal.require_time(p_from, 'from');
    perform internal.require_time(p_to, 'to');
    if p_to <= p_from then
        perform internal.fail('invalid_input', 'to must be after from');
    end if;
    if p_to - p_from > interval '31 days' then
        perform internal.fail('invalid_input', 'from and to must be at most 31 days apart');
    end if;
    if p_step_minutes is null or not p_step_minutes between 5 and 240 then
        perform internal.fail('invalid_input', 'step_minutes must be between 5 and 240');
    end if;
    -- The work is one candidate start per step: bound their number, not only the
    -- range (31 days at 5 minutes is 8,928 candidates, 31 days at 15 is 2,976).
    if extract(epoch from p_to - p_from) / 60 / p_step_minutes > 3000 then
        perform internal.fail(
            'too_costly',
            pg_catalog.format(
                'from and to at step_minutes %s give %s candidate starts, over the limit of 3000: '
                'narrow the range or raise step_minutes',
                p_step_minutes,
                pg_catalog.ceil(extract(epoch from p_to - p_from) / 60 / p_step_minutes)
            )
        );
    end if;

    select
        p.id,
        p.time_zone,
        pg_catalog.make_interval(mins => s.duration_minutes),
        pg_catalog.make_interval(mins => s.buffer_before_minutes),
        pg_catalog.make_interval(mins => s.buffer_after_minutes),
        greatest(p_from, p_now + pg_catalog.make_interval(mins => s.min_notice_minutes)),
        p_now + pg_catalog.make_interval(days => s.max_days_ahead)
    into v_provider_id, v_time_zone, v_duration, v_before, v_after, v_earliest, v_latest
    from app.services as s
    inner join app.providers as p on s.provider_id = p.id
    where s.id = p_service_id and s.is_active and p.is_active;
    if not found then
        perform internal.fail('not_found', 'no active service with this service_id');
    end if;

    v_span := pg_catalog.tstzrange(p_from - v_before, p_to + v_duration + v_after);
    return query
    with
    work as (
        select internal.working_ranges(v_provider_id, v_time_zone, v_span) as m
    ),

    free as (
        select w.m - internal.busy_ranges(v_provider_id, v_span, p_now) as m
        from work as w
    )

    -- Candidate starts step through each working stretch from its opening
    -- (plus the buffer before), so slots sit at the same times whatever is booked.
    select g.t, g.t + v_duration
    from work as w
    cross join free as f
    cross join lateral pg_catalog.unnest(w.m) as u (r)
    cross join lateral pg_catalog.generate_series(
        pg_catalog.lower(u.r) + v_before,
        pg_catalog.upper(u.r) - v_duration - v_after,
        pg_catalog.make_interval(mins => p_step_minutes)
    ) as g (t)
    where
        g.t >= v_earliest
        and g.t < p_to
        and g.t <= v_latest
        and f.m @> pg_catalog.tstzrange(g.t - v_before, g.t + v_duration + v_after)
    order by g.t;
end
$$;


--
-- Name: FUNCTION service_slots(p_service_id uuid, p_from timestamp with time zone, p_to timestamp with time zone, p_step_minutes integer, p_now timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.service_slots(p_service_id uuid, p_from timestamp with time zone, p_to timestamp with time zone, p_step_minutes integer, p_now timestamp with time zone) IS 'Bookable start times of a service in [p_from, p_to), as seen at p_now.
Definer: availability must see every booking and time off of the provider,
which the caller (anonymous or a customer) may not read.';


--
-- Name: services_append_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.services_append_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    -- the horizon covers the old reach too: a shorter max_days_ahead frees the days beyond it
    if tg_op = 'DELETE' then
        -- a provider deleted with its services (on delete cascade) has nothing left to book
        if old.is_active and exists (select from app.providers as p where p.id = old.provider_id) then
            perform internal.append_availability_event(
                old.provider_id, internal.availability_horizon(old.provider_id, old.max_days_ahead)
            );
        end if;
        return null;
    end if;
    if tg_op = 'INSERT' then
        if new.is_active then
            perform internal.append_availability_event(new.provider_id, internal.availability_horizon(new.provider_id));
        end if;
        return null;
    end if;
    perform internal.append_availability_event(
        new.provider_id, internal.availability_horizon(new.provider_id, old.max_days_ahead)
    );
    return null;
end
$$;


--
-- Name: FUNCTION services_append_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.services_append_events() IS 'Trigger: a service added, removed, or changed in what it takes (duration, buffers, notice,
horizon, active) changes when it can be booked: availability_changed over the provider''s horizon.
Definer: providers write their services, and may not write the log.';


--
-- Name: set_tax_registration(text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.set_tax_registration(p_gst_number text, p_qst_number text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_provider_id uuid;
    v_gst text := internal.tax_number(p_gst_number);
    v_qst text := internal.tax_number(p_qst_number);
    v_before jsonb;
begin
    perform internal.require_role(
        'provider', 'only providers register for sales taxes', 'registering for sales taxes needs a signed-in provider'
    );
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'create your provider profile first (POST /my_provider)');
    end if;
    if v_gst is not null and not internal.gst_number_valid(v_gst) then
        perform internal.fail(
            'invalid_input',
            'gst_number must be a GST registration number: 9 digits of a valid business number, RT and 4 digits '
            || '(123456782RT0001)'
        );
    end if;
    if v_qst is not null and not internal.qst_number_valid(v_qst) then
        perform internal.fail(
            'invalid_input', 'qst_number must be a QST registration number: 10 digits, TQ and 4 digits (1234567890TQ0001)'
        );
    end if;
    v_before := internal.tax_registration_json(v_provider_id);
    if v_gst is null and v_qst is null then
        delete from app.provider_tax_registrations as t where t.provider_id = v_provider_id;
    else
        insert into app.provider_tax_registrations as t (provider_id, gst_number, qst_number)
        values (v_provider_id, v_gst, v_qst)
        on conflict (provider_id) do update
            set gst_number = excluded.gst_number, qst_number = excluded.qst_number, updated_at = pg_catalog.now();
    end if;
    perform internal.audit(
        'provider.tax_registration', 'app.provider_tax_registrations', v_provider_id::text,
        v_before, internal.tax_registration_json(v_provider_id)
    );
    return internal.tax_registration_json(v_provider_id);
end
$$;


--
-- Name: FUNCTION set_tax_registration(p_gst_number text, p_qst_number text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.set_tax_registration(p_gst_number text, p_qst_number text) IS 'Record the caller''s provider''s GST and QST registration numbers (null or empty: not registered).
Definer: providers have no rights on app.provider_tax_registrations; the numbers are checked here.';


--
-- Name: setting(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.setting(p_key text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select s.value from internal.settings as s where s.key = p_key
$$;


--
-- Name: FUNCTION setting(p_key text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.setting(p_key text) IS 'Read one deploy-time setting. Definer: internal.settings holds secrets no API role may read.';


--
-- Name: shrunk_rate(integer, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.shrunk_rate(p_events integer, p_bookings integer) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.round((p_events + 20 * 0.02) / (p_bookings + 20), 4)
$$;


--
-- Name: FUNCTION shrunk_rate(p_events integer, p_bookings integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.shrunk_rate(p_events integer, p_bookings integer) IS 'A reliability rate shrunk towards a prior of 20 bookings at 2%: (events + 0.4) / (bookings + 20), 4 decimals.';


--
-- Name: slot_is_free(uuid, text, tstzrange, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.slot_is_free(p_provider_id uuid, p_time_zone text, p_blocked tstzrange, p_now timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- Working time, cheaply first: one interval of the start's local day (or
    -- the day before, for zones that change clocks at midnight) that holds the
    -- whole slot settles it, no interval holding the start rules it out; only a slot that runs from one interval into the next (09:00-12:00
    -- then 12:00-17:00) needs the merged working time.
    select
        case
            when exists (
                select
                from app.weekly_hours as h
                cross join lateral (
                    select (pg_catalog.lower(p_blocked) at time zone p_time_zone)::date - g.i as day
                    from pg_catalog.generate_series(0, 1) as g (i)
                ) as d
                where
                    h.provider_id = p_provider_id
                    and h.day_of_week = extract(dow from d.day)
                    and (d.day + h.start_time) at time zone p_time_zone <= pg_catalog.lower(p_blocked)
                    and (d.day + h.end_time) at time zone p_time_zone >= pg_catalog.upper(p_blocked)
            ) then true
            when not exists (
                select
                from app.weekly_hours as h
                cross join lateral (
                    select (pg_catalog.lower(p_blocked) at time zone p_time_zone)::date - g.i as day
                    from pg_catalog.generate_series(0, 1) as g (i)
                ) as d
                where
                    h.provider_id = p_provider_id
                    and h.day_of_week = extract(dow from d.day)
                    and (d.day + h.start_time) at time zone p_time_zone <= pg_catalog.lower(p_blocked)
                    and (d.day + h.end_time) at time zone p_time_zone > pg_catalog.lower(p_blocked)
            ) then false
            else internal.working_ranges(p_provider_id, p_time_zone, p_blocked) @> p_blocked
        end
        and not exists (
            select
            from app.time_off as t
            where t.provider_id = p_provider_id and t.during && p_blocked
        )
        and not exists (
            select
            from app.bookings as k
            where
                k.provider_id = p_provider_id
                and k.blocked && p_blocked
                and k.status in ('pending_payment', 'confirmed')
                and (k.status = 'confirmed' or k.hold_expires_at is null or k.hold_expires_at >= p_now)
        )
$$;


--
-- Name: FUNCTION slot_is_free(p_provider_id uuid, p_time_zone text, p_blocked tstzrange, p_now timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.slot_is_free(p_provider_id uuid, p_time_zone text, p_blocked tstzrange, p_now timestamp with time zone) IS 'Whether p_blocked (a slot plus its buffers) lies in working time and touches no time off or live booking.';


--
-- Name: slot_is_free_except(uuid, uuid, text, tstzrange, timestamp with time zone); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.slot_is_free_except(p_booking_id uuid, p_provider_id uuid, p_time_zone text, p_blocked tstzrange, p_now timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- internal.slot_is_free, but the booking being moved does not block itself
    select
        internal.working_ranges(p_provider_id, p_time_zone, p_blocked) @> p_blocked
        and not exists (
            select
            from app.time_off as t
            where t.provider_id = p_provider_id and t.during && p_blocked
        )
        and not exists (
            select
            from app.bookings as k
            where
                k.provider_id = p_provider_id
                and k.id <> p_booking_id
                and k.blocked && p_blocked
                and k.status in ('pending_payment', 'confirmed')
                and (k.status = 'confirmed' or k.hold_expires_at is null or k.hold_expires_at >= p_now)
        )
$$;


--
-- Name: FUNCTION slot_is_free_except(p_booking_id uuid, p_provider_id uuid, p_time_zone text, p_blocked tstzrange, p_now timestamp with time zone); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.slot_is_free_except(p_booking_id uuid, p_provider_id uuid, p_time_zone text, p_blocked tstzrange, p_now timestamp with time zone) IS 'Whether p_blocked is free for booking p_booking_id: slot_is_free, ignoring that booking itself.';


--
-- Name: start_payout_onboarding(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.start_payout_onboarding() RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_provider_id uuid := internal.my_provider_id();
    v_link_request uuid := extensions.gen_random_uuid();
begin
    insert into app.payout_accounts as a (provider_id, link_request_id, link_requested_at)
    values (v_provider_id, v_link_request, pg_catalog.now())
    on conflict (provider_id) do update
    set
        link_request_id = excluded.link_request_id,
        link_requested_at = excluded.link_requested_at,
        onboarding_url = null,
        onboarding_url_expires_at = null,
        updated_at = pg_catalog.now();
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'connect.onboard', 'provider_id', v_provider_id, 'link_request_id', v_link_request
    ));
    perform internal.audit(
        'payout.onboarding_requested', 'app.payout_accounts', v_provider_id::text, null,
        pg_catalog.jsonb_build_object('link_request_id', v_link_request)
    );
    return internal.payout_account_json(v_provider_id);
end
$$;


--
-- Name: FUNCTION start_payout_onboarding(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.start_payout_onboarding() IS 'Ask for a Stripe onboarding link (creating the Express account first if needed). Definer: writes payout_accounts and the queue.';


--
-- Name: stripe_intent_settled(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.stripe_intent_settled(p_status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select p_status in ('succeeded', 'canceled')
$$;


--
-- Name: FUNCTION stripe_intent_settled(p_status text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.stripe_intent_settled(p_status text) IS 'Whether a PaymentIntent''s Stripe status is final (succeeded or canceled): nothing is left to cancel.';


--
-- Name: stripe_refund_status(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.stripe_refund_status(p_status text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select case p_status
        when 'succeeded' then 'succeeded'
        when 'failed' then 'failed'
        when 'canceled' then 'failed'
        else 'pending'  -- pending, requires_action, or a status Stripe adds later
    end
$$;


--
-- Name: FUNCTION stripe_refund_status(p_status text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.stripe_refund_status(p_status text) IS 'A Stripe refund''s status as the refund ledger''s: succeeded, failed (failed or canceled) or pending.';


--
-- Name: stripe_signature_valid(text, text, text, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.stripe_signature_valid(p_header text, p_body text, p_secret text, p_tolerance_seconds integer DEFAULT 300) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
declare
    v_timestamp bigint;
    v_expected text;
    v_part text;
    v_found boolean := false;
begin
    if p_header is null or p_secret is null or p_body is null then
        return false;
    end if;
    -- Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...][,v0=...]
    foreach v_part in array pg_catalog.string_to_array(p_header, ',') loop
        if pg_catalog.btrim(v_part) ~ '^t=[0-9]{1,12}$' then
            v_timestamp := pg_catalog.substr(pg_catalog.btrim(v_part), 3)::bigint;
        end if;
    end loop;
    if v_timestamp is null
        or pg_catalog.abs(extract(epoch from pg_catalog.now()) - v_timestamp) > p_tolerance_seconds then
        return false;
    end if;
    v_expected := pg_catalog.encode(
        extensions.hmac(
            pg_catalog.convert_to(v_timestamp::text || '.' || p_body, 'utf8'),
            pg_catalog.convert_to(p_secret, 'utf8'),
            'sha256'
        ),
        'hex'
    );
    foreach v_part in array pg_catalog.string_to_array(p_header, ',') loop
        -- compare every candidate; no early exit on the first mismatch
        if pg_catalog.btrim(v_part) = 'v1=' || v_expected then
            v_found := true;
        end if;
    end loop;
    return v_found;
end
$_$;


--
-- Name: FUNCTION stripe_signature_valid(p_header text, p_body text, p_secret text, p_tolerance_seconds integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.stripe_signature_valid(p_header text, p_body text, p_secret text, p_tolerance_seconds integer) IS 'Verify a Stripe-Signature header (HMAC-SHA256 of "<t>.<raw body>", any v1, within the tolerance).';


--
-- Name: sweep(integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.sweep(p_limit integer DEFAULT 500) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_id uuid;
    v_expired integer := 0;
    v_completed integer;
    v_purged integer;
begin
    perform pg_catalog.set_config('bookiji.actor', 'sweep', true);
    -- skip locked: safe to run concurrently and often; a hold another
    -- transaction is handling is left to it
    for v_id in
        select b.id from app.bookings as b
        where b.status = 'pending_payment' and b.hold_expires_at <= pg_catalog.now()
        order by b.hold_expires_at
        limit p_limit
        for update skip locked
    loop
        if internal.expire_hold(v_id) then
            v_expired := v_expired + 1;
        end if;
    end loop;
    -- confirmed bookings past their end (above)
    v_completed := internal.complete_due_bookings(p_limit);
    -- throttle bookkeeping older than any window that reads it
    delete from auth.rate_events as e where e.at < pg_catalog.now() - interval '2 minutes';
    -- a limit row locked by a request in flight is left to the next sweep: waiting
    -- for it while holding the bookings expired above could deadlock with that request
    delete from auth.rate_limits as r
    where r.bucket in (
        select l.bucket from auth.rate_limits as l
        where l.tat < pg_catalog.now()
        for update skip locked
    );
    delete from auth.login_attempts as a where a.attempted_at < pg_catalog.now() - interval '1 day';
    -- the event log keeps event_retention_hours (db/functions/44_events.sql)
    v_purged := internal.purge_events();
    return pg_catalog.jsonb_build_object('expired', v_expired, 'completed', v_completed, 'events_purged', v_purged);
end
$$;


--
-- Name: FUNCTION sweep(p_limit integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.sweep(p_limit integer) IS 'Periodic housekeeping run by the worker: expire unpaid holds, complete ended bookings, purge old events. Safe to run concurrently.';


--
-- Name: tax_cents(integer, numeric); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.tax_cents(p_amount_cents integer, p_rate numeric) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select pg_catalog.round(p_amount_cents::numeric * coalesce(p_rate, 0))::integer
$$;


--
-- Name: FUNCTION tax_cents(p_amount_cents integer, p_rate numeric); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.tax_cents(p_amount_cents integer, p_rate numeric) IS 'The tax on an amount at a rate, rounded half up to the cent (one line, one tax).';


--
-- Name: tax_number(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.tax_number(p_number text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    -- written as printed ("123456789 RT 0001", "1234567890-TQ-0001"): no spaces,
    -- dashes or dots, upper case; empty means none
    select nullif(pg_catalog.upper(pg_catalog.regexp_replace(p_number, '[\s.-]', '', 'g')), '')
$$;


--
-- Name: FUNCTION tax_number(p_number text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.tax_number(p_number text) IS 'A registration number normalised: spaces, dashes and dots removed, upper case; null when empty.';


--
-- Name: tax_rates(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.tax_rates() RETURNS TABLE(gst_rate numeric, qst_rate numeric)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    -- GST 5% (Excise Tax Act, since 2008), QST 9.975% (since 2013)
    select 0.05000::numeric, 0.09975::numeric
$$;


--
-- Name: FUNCTION tax_rates(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.tax_rates() IS 'The sales-tax rates charged by registered providers: GST 5%, QST 9.975%.';


--
-- Name: tax_registration_json(uuid); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.tax_registration_json(p_provider_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p_provider_id,
        'gst_number', t.gst_number,
        'qst_number', t.qst_number,
        'gst_rate', t.gst_rate,
        'qst_rate', t.qst_rate,
        'charges_taxes', t.gst_number is not null or t.qst_number is not null
    )
    from internal.provider_taxes(p_provider_id, 0) as t
$$;


--
-- Name: FUNCTION tax_registration_json(p_provider_id uuid); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.tax_registration_json(p_provider_id uuid) IS 'A provider''s registration as the API returns it: numbers, the rates they make it charge, whether it charges any.';


--
-- Name: time_off_append_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.time_off_append_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        if tg_op = 'DELETE' or old.during is distinct from new.during or old.provider_id is distinct from new.provider_id then
            perform internal.append_availability_event(old.provider_id, old.during);
        end if;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        if tg_op = 'INSERT' or old.during is distinct from new.during or old.provider_id is distinct from new.provider_id then
            perform internal.append_availability_event(new.provider_id, new.during);
        end if;
    end if;
    return null;
end
$$;


--
-- Name: FUNCTION time_off_append_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.time_off_append_events() IS 'Trigger: time off added, moved or removed changes the provider''s availability (event log).
Definer: providers write their time off, and may not write the log.';


--
-- Name: touch_updated_at(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
    new.updated_at := pg_catalog.now();
    return new;
end
$$;


--
-- Name: FUNCTION touch_updated_at(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.touch_updated_at() IS 'Trigger: stamp updated_at on every update of the row.';


--
-- Name: transition_booking(uuid, text, text, text, jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.transition_booking(p_booking_id uuid, p_to text, p_by text, p_reason text DEFAULT NULL::text, p_extra jsonb DEFAULT '{}'::jsonb) RETURNS app.bookings
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_old app.bookings;
    v_new app.bookings;
    v_payment app.payments;
begin
    if p_by is null or p_by not in ('customer', 'provider', 'ops', 'system') then
        raise exception 'internal.transition_booking: p_by must be customer, provider, ops or system, not %', p_by;
    end if;
    select * into v_old from app.bookings as b where b.id = p_booking_id for no key update;
    if not found then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if not internal.booking_transition_allowed(v_old.status, p_to) then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot become %s', v_old.status, p_to)
        );
    end if;

    -- the row (its triggers write the audit row and the event log)
    perform pg_catalog.set_config('bookiji.booking_transition', p_booking_id::text, true);
    update app.bookings as b
    set
        status = p_to,
        hold_expires_at = case when p_to = 'confirmed' then null else b.hold_expires_at end,
        cancelled_at = case when p_to = 'cancelled' then pg_catalog.now() else b.cancelled_at end,
        cancelled_by = case when p_to = 'cancelled' then (p_extra ->> 'cancelled_by_user')::uuid else b.cancelled_by end,
        cancelled_by_role = case when p_to = 'cancelled' then p_by else b.cancelled_by_role end,
        cancel_reason = case when p_to = 'cancelled' then p_reason else b.cancel_reason end
    where b.id = p_booking_id
    returning * into v_new;
    perform pg_catalog.set_config('bookiji.booking_transition', '', true);

    -- the notifications (docs/notifications.md); completed and no_show notify nobody
    if p_to = 'confirmed' then
        perform internal.emit_booking_event(p_booking_id, 'booking_confirmed');
    elsif p_to = 'expired' then
        perform internal.emit_booking_event(p_booking_id, 'hold_expired');
    elsif p_to = 'cancelled' then
        perform internal.emit_booking_event(
            p_booking_id, 'booking_cancelled',
            pg_catalog.jsonb_build_object(
                'refund_cents', coalesce((p_extra ->> 'refund_cents')::integer, 0),
                'cancelled_by', p_by,
                'ics_sequence', 1
            )
        );
    end if;

    -- the payment effects: an unpaid booking that ends cancels its PaymentIntent
    -- (a payment that still arrives is refunded by the webhook). Refunds and fees
    -- follow the cancelling party's policy: internal.cancel_booking_as.
    if p_to in ('expired', 'cancelled') then
        select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
        if found and v_payment.status in ('pending', 'requires_payment') then
            perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
                'type', 'payment.cancel_intent', 'booking_id', p_booking_id, 'payment_id', v_payment.id
            ));
        end if;
    end if;
    return v_new;
end
$$;


--
-- Name: FUNCTION transition_booking(p_booking_id uuid, p_to text, p_by text, p_reason text, p_extra jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.transition_booking(p_booking_id uuid, p_to text, p_by text, p_reason text, p_extra jsonb) IS 'The one path of every booking status change: refuse an illegal one (invalid_transition), write it (with its
audit row and event), queue its notifications and cancel the PaymentIntent of an unpaid booking that ends.
p_by: customer, provider, ops or system (cancelled_by_role, and cancelled_by in the notification);
p_reason: the cancel reason; p_extra: refund_cents (for the notification) and cancelled_by_user (a user id).';


--
-- Name: waitlist_entries; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.waitlist_entries (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    service_id uuid,
    provider_id uuid,
    category_id integer,
    lat double precision,
    lng double precision,
    radius_km numeric(6,2),
    wanted tstzrange NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    notified_at timestamp with time zone,
    notified_booking_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT waitlist_entries_lat_check CHECK (((lat >= ('-90'::integer)::double precision) AND (lat <= (90)::double precision))),
    CONSTRAINT waitlist_entries_lng_check CHECK (((lng >= ('-180'::integer)::double precision) AND (lng <= (180)::double precision))),
    CONSTRAINT waitlist_entries_notified_check CHECK (((status = 'notified'::text) = (notified_at IS NOT NULL))),
    CONSTRAINT waitlist_entries_radius_km_check CHECK (((radius_km > (0)::numeric) AND (radius_km <= (200)::numeric))),
    CONSTRAINT waitlist_entries_status_check CHECK ((status = ANY (ARRAY['active'::text, 'notified'::text, 'cancelled'::text]))),
    CONSTRAINT waitlist_entries_target_check CHECK ((((service_id IS NOT NULL) AND (provider_id IS NOT NULL) AND (category_id IS NULL) AND (lat IS NULL)) OR ((service_id IS NULL) AND (provider_id IS NOT NULL) AND (category_id IS NULL) AND (lat IS NULL)) OR ((service_id IS NULL) AND (provider_id IS NULL) AND (category_id IS NOT NULL) AND (lat IS NOT NULL) AND (lng IS NOT NULL) AND (radius_km IS NOT NULL)))),
    CONSTRAINT waitlist_entries_wanted_check CHECK (((NOT isempty(wanted)) AND (NOT lower_inf(wanted)) AND (NOT upper_inf(wanted))))
);

ALTER TABLE ONLY app.waitlist_entries FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE waitlist_entries; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.waitlist_entries IS 'Waitlist: a customer''s request to be told when a matching slot (service, provider, or category near a point) frees up within a window.';


--
-- Name: COLUMN waitlist_entries.wanted; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.waitlist_entries.wanted IS 'The window the freed appointment must lie in (start and end).';


--
-- Name: COLUMN waitlist_entries.status; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.waitlist_entries.status IS 'active (waiting), notified (told once, done), cancelled (left by the customer); expired = active and the window has ended.';


--
-- Name: waitlist_entry_json(app.waitlist_entries); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.waitlist_entry_json(p_entry app.waitlist_entries) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'id', p_entry.id,
        'service_id', p_entry.service_id,
        'provider_id', p_entry.provider_id,
        'category', (select c.slug from app.service_categories as c where c.id = p_entry.category_id),
        'lat', p_entry.lat,
        'lng', p_entry.lng,
        'radius_km', p_entry.radius_km,
        'starts_at', pg_catalog.lower(p_entry.wanted),
        'ends_at', pg_catalog.upper(p_entry.wanted),
        'status', case
            when p_entry.status = 'active' and pg_catalog.upper(p_entry.wanted) <= pg_catalog.now() then 'expired'
            else p_entry.status
        end,
        'notified_at', p_entry.notified_at,
        'created_at', p_entry.created_at
    )
$$;


--
-- Name: FUNCTION waitlist_entry_json(p_entry app.waitlist_entries); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.waitlist_entry_json(p_entry app.waitlist_entries) IS 'A waitlist entry as the API shows it: its target, window and status (active, notified, cancelled, expired).';


--
-- Name: waitlist_on_booking_freed(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.waitlist_on_booking_freed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_service app.services;
    v_provider app.providers;
    v_entry app.waitlist_entries;
    v_data jsonb;
begin
    if pg_catalog.lower(new.during) <= pg_catalog.now() then
        return null;
    end if;
    select * into strict v_service from app.services as s where s.id = new.service_id;
    select * into strict v_provider from app.providers as p where p.id = new.provider_id;
    if not (v_service.is_active and v_provider.is_active) then
        return null;
    end if;
    v_data := pg_catalog.jsonb_build_object(
        'service_id', v_service.id,
        'service_name', v_service.name,
        'provider_name', v_provider.business_name,
        'provider_time_zone', v_provider.time_zone,
        'starts_at', pg_catalog.to_char(pg_catalog.lower(new.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'ends_at', pg_catalog.to_char(pg_catalog.upper(new.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'price_cents', v_service.price_cents,
        'currency', v_service.currency
    );
    for v_entry in
        select w.* from app.waitlist_entries as w
        where w.status = 'active'
            and w.customer_id <> new.customer_id
            and w.wanted @> new.during
            and (
                w.service_id = new.service_id
                or (w.service_id is null and w.provider_id = new.provider_id)
                or (
                    w.category_id = v_service.category_id
                    and extensions.st_dwithin(
                        extensions.st_setsrid(extensions.st_makepoint(w.lng, w.lat), 4326)::extensions.geography,
                        v_provider.location,
                        w.radius_km * 1000
                    )
                )
            )
        order by w.created_at, w.id
        for update of w skip locked
    loop
        update app.waitlist_entries as w
        set status = 'notified', notified_at = pg_catalog.now(), notified_booking_id = new.id,
            updated_at = pg_catalog.now()
        where w.id = v_entry.id;
        perform internal.notify(
            'waitlist_opening', v_entry.customer_id, 'waitlist_opening:' || v_entry.id::text,
            v_data || pg_catalog.jsonb_build_object('entry_id', v_entry.id)
        );
    end loop;
    return null;
end
$$;


--
-- Name: FUNCTION waitlist_on_booking_freed(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.waitlist_on_booking_freed() IS 'Trigger: a live booking cancelled or expired before its start notifies each matching active waitlist
entry of other customers once (waitlist_opening: the opening''s service, provider, times, price) and marks
it notified. Definer: reads the waitlist and writes notifications.';


--
-- Name: weekly_hours_delete_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.weekly_hours_delete_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.append_horizon_events(array(select o.provider_id from old_rows as o));
    return null;
end
$$;


--
-- Name: FUNCTION weekly_hours_delete_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.weekly_hours_delete_events() IS 'Trigger: weekly hours removed change the provider''s availability over its booking horizon (one event per provider and statement).
Definer: providers write their hours, and may not write the log.';


--
-- Name: weekly_hours_insert_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.weekly_hours_insert_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.append_horizon_events(array(select n.provider_id from new_rows as n));
    return null;
end
$$;


--
-- Name: FUNCTION weekly_hours_insert_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.weekly_hours_insert_events() IS 'Trigger: weekly hours added change the provider''s availability over its booking horizon (one event per provider and statement).
Definer: providers write their hours, and may not write the log.';


--
-- Name: weekly_hours_update_events(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.weekly_hours_update_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    perform internal.append_horizon_events(array(
        select n.provider_id
        from new_rows as n
        inner join old_rows as o on o.id = n.id
        where (o.day_of_week, o.start_time, o.end_time, o.provider_id) is distinct from (n.day_of_week, n.start_time, n.end_time, n.provider_id)
        union all
        select o.provider_id
        from new_rows as n
        inner join old_rows as o on o.id = n.id
        where o.provider_id is distinct from n.provider_id
    ));
    return null;
end
$$;


--
-- Name: FUNCTION weekly_hours_update_events(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.weekly_hours_update_events() IS 'Trigger: weekly hours changed change the provider''s availability over its booking horizon
(one event per provider and statement; a no-op update writes none).
Definer: providers write their hours, and may not write the log.';


--
-- Name: working_ranges(uuid, text, tstzrange); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.working_ranges(p_provider_id uuid, p_time_zone text, p_within tstzrange) RETURNS tstzmultirange
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- Every local day that can touch p_within (the day before included: an
    -- interval ending at 24:00 runs into the next day).
    select coalesce(pg_catalog.range_agg(w.r), '{}'::pg_catalog.tstzmultirange)
    from (
        select pg_catalog.tstzrange(
            (d.day + h.start_time) at time zone p_time_zone,
            (d.day + h.end_time) at time zone p_time_zone
        ) as r
        from pg_catalog.generate_series(
            0,
            (pg_catalog.upper(p_within) at time zone p_time_zone)::date
            - (pg_catalog.lower(p_within) at time zone p_time_zone)::date + 1
        ) as g (i)
        cross join lateral (
            select (pg_catalog.lower(p_within) at time zone p_time_zone)::date - 1 + g.i as day
        ) as d
        inner join app.weekly_hours as h
            on
                h.provider_id = p_provider_id
                and h.day_of_week = extract(dow from d.day)
        -- a local interval inside a spring-forward gap can map backwards: skip it
        where
            (d.day + h.start_time) at time zone p_time_zone
            < (d.day + h.end_time) at time zone p_time_zone
    ) as w
$$;


--
-- Name: FUNCTION working_ranges(p_provider_id uuid, p_time_zone text, p_within tstzrange); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.working_ranges(p_provider_id uuid, p_time_zone text, p_within tstzrange) IS 'The provider''s working time, as absolute ranges, over the local days that can touch p_within.';


--
-- Name: _belongs_to_pgmq(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._belongs_to_pgmq(table_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    sql TEXT;
    result BOOLEAN;
BEGIN
  SELECT EXISTS (
    SELECT 1
    FROM pg_depend
    WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgmq')
    AND objid = (
        SELECT oid
        FROM pg_class
        WHERE relname = table_name
    )
  ) INTO result;
  RETURN result;
END;
$$;


--
-- Name: _create_fifo_index_if_not_exists(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._create_fifo_index_if_not_exists(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    index_name TEXT := qtable || '_fifo_idx';
BEGIN
    -- Create GIN index on headers for efficient FIFO key lookups
    EXECUTE FORMAT(
        $QUERY$
        CREATE INDEX IF NOT EXISTS %I ON pgmq.%I USING GIN (headers);
        $QUERY$,
        index_name, qtable
    );
END;
$_$;


--
-- Name: _ensure_pg_partman_installed(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._ensure_pg_partman_installed() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF NOT pgmq._extension_exists('pg_partman') THEN
    RAISE EXCEPTION 'pg_partman is required for partitioned queues';
  END IF;
END;
$$;


--
-- Name: _extension_exists(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._extension_exists(extension_name text) RETURNS boolean
    LANGUAGE sql
    AS $$
SELECT EXISTS (
    SELECT 1
    FROM pg_extension
    WHERE extname = extension_name
)
$$;


--
-- Name: _get_partition_col(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._get_partition_col(partition_interval text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
  num INTEGER;
BEGIN
    BEGIN
        num := partition_interval::INTEGER;
        RETURN 'msg_id';
    EXCEPTION
        WHEN others THEN
            RETURN 'enqueued_at';
    END;
END;
$$;


--
-- Name: _get_pg_partman_major_version(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._get_pg_partman_major_version() RETURNS integer
    LANGUAGE sql
    AS $$
  SELECT split_part(extversion, '.', 1)::INT
  FROM pg_extension
  WHERE extname = 'pg_partman'
$$;


--
-- Name: _get_pg_partman_schema(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._get_pg_partman_schema() RETURNS text
    LANGUAGE sql
    AS $$
  SELECT
    extnamespace::regnamespace::text
  FROM
    pg_extension
  WHERE
    extname = 'pg_partman';
$$;


--
-- Name: _send_batch(text, jsonb[], jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
            $QUERY$
        INSERT INTO pgmq.%I (vt, message, headers)
        SELECT $2, unnest($1), unnest(coalesce($3, ARRAY[]::jsonb[]))
        RETURNING msg_id;
        $QUERY$,
            qtable
           );
    RETURN QUERY EXECUTE sql USING msgs, delay, headers;
END;
$_$;


--
-- Name: _validate_batch_params(jsonb[], jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._validate_batch_params(msgs jsonb[], headers jsonb[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Validate that msgs is not NULL or empty
    IF msgs IS NULL OR array_length(msgs, 1) IS NULL THEN
        RAISE EXCEPTION 'msgs cannot be NULL or empty';
    END IF;

    -- Validate that headers array length matches msgs array length if headers is provided
    -- Note: array_length returns NULL for empty arrays, so we use COALESCE to treat empty arrays as length 0
    IF headers IS NOT NULL AND COALESCE(array_length(headers, 1), 0) != COALESCE(array_length(msgs, 1), 0) THEN
        RAISE EXCEPTION 'headers array length (%) must match msgs array length (%)',
            COALESCE(array_length(headers, 1), 0), COALESCE(array_length(msgs, 1), 0);
    END IF;
END;
$$;


--
-- Name: acquire_queue_lock(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.acquire_queue_lock(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('pgmq.queue_' || queue_name));
END;
$$;


--
-- Name: archive(text, bigint[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH archived AS (
            DELETE FROM pgmq.%I
            WHERE msg_id = ANY($1)
            RETURNING msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        )
        INSERT INTO pgmq.%I (msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers)
        SELECT msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        FROM archived
        RETURNING msg_id;
        $QUERY$,
        qtable, atable
    );
    RETURN QUERY EXECUTE sql USING msg_ids;
END;
$_$;


--
-- Name: archive(text, bigint); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.archive(queue_name text, msg_id bigint) RETURNS boolean
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result BIGINT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH archived AS (
            DELETE FROM pgmq.%I
            WHERE msg_id = $1
            RETURNING msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        )
        INSERT INTO pgmq.%I (msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers)
        SELECT msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        FROM archived
        RETURNING msg_id;
        $QUERY$,
        qtable, atable
    );
    EXECUTE sql USING msg_id INTO result;
    RETURN NOT (result IS NULL);
END;
$_$;


--
-- Name: bind_topic(text, text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.bind_topic(pattern text, queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq.validate_topic_pattern(pattern);
    IF queue_name IS NULL OR queue_name = '' THEN
        RAISE EXCEPTION 'queue_name cannot be NULL or empty';
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pgmq.meta WHERE meta.queue_name = bind_topic.queue_name) THEN
        RAISE EXCEPTION 'Queue "%" does not exist. Create the queue first using pgmq.create()', queue_name;
    END IF;

    INSERT INTO pgmq.topic_bindings (pattern, queue_name)
    VALUES (pattern, queue_name)
    ON CONFLICT ON CONSTRAINT topic_bindings_unique_pattern_queue DO NOTHING;
END;
$$;


--
-- Name: convert_archive_partitioned(text, text, text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.convert_archive_partitioned(table_name text, partition_interval text DEFAULT '10000'::text, retention_interval text DEFAULT '100000'::text, leading_partition integer DEFAULT 10) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  a_table_name TEXT := pgmq.format_table_name(table_name, 'a');
  a_table_name_old TEXT := pgmq.format_table_name(table_name, 'a') || '_old';
  qualified_a_table_name TEXT := format('pgmq.%I', a_table_name);
  partition_col TEXT;
  a_partition_col TEXT;
BEGIN

  PERFORM c.relkind
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = a_table_name
    AND c.relkind = 'p';

  IF FOUND THEN
    RAISE NOTICE 'Table %s is already partitioned', a_table_name;
    RETURN;
  END IF;

  PERFORM c.relkind
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = a_table_name
    AND c.relkind = 'r';

  IF NOT FOUND THEN
    RAISE NOTICE 'Table %s does not exists', a_table_name;
    RETURN;
  END IF;

  SELECT pgmq._get_partition_col(partition_interval) INTO partition_col;

  -- For archive tables, use archived_at for time-based partitioning
  IF partition_col = 'enqueued_at' THEN
    a_partition_col := 'archived_at';
  ELSE
    a_partition_col := partition_col;
  END IF;

  EXECUTE 'ALTER TABLE ' || qualified_a_table_name || ' RENAME TO ' || a_table_name_old;

  -- When partitioning by time (archived_at), we need to exclude constraints and indexes
  -- because the existing PRIMARY KEY on msg_id alone is incompatible with partitioning by archived_at.
  -- When partitioning by msg_id, we can keep all constraints including PRIMARY KEY.
  IF a_partition_col = 'archived_at' THEN
    EXECUTE format( 'CREATE TABLE pgmq.%I (LIKE pgmq.%I including defaults including generated including storage including comments) PARTITION BY RANGE (%I)', a_table_name, a_table_name_old, a_partition_col );
  ELSE
    EXECUTE format( 'CREATE TABLE pgmq.%I (LIKE pgmq.%I including all) PARTITION BY RANGE (%I)', a_table_name, a_table_name_old, a_partition_col );
  END IF;

  EXECUTE 'ALTER INDEX pgmq.archived_at_idx_' || table_name || ' RENAME TO archived_at_idx_' || table_name || '_old';
  EXECUTE 'CREATE INDEX archived_at_idx_'|| table_name || ' ON ' || qualified_a_table_name ||'(archived_at)';

  -- https://github.com/pgpartman/pg_partman/blob/master/doc/pg_partman.md
  -- p_parent_table - the existing parent table. MUST be schema qualified, even if in public schema.
  EXECUTE FORMAT(
    $QUERY$
    SELECT %I.create_parent(
      p_parent_table := %L,
      p_control := %L,
      p_interval := %L,
      p_type := case
        when pgmq._get_pg_partman_major_version() = 5 then 'range'
        else 'native'
      end
    )
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    qualified_a_table_name,
    a_partition_col,
    partition_interval
  );

  EXECUTE FORMAT(
    $QUERY$
    UPDATE %I.part_config
    SET
      retention = %L,
      retention_keep_table = false,
      retention_keep_index = false,
      infinite_time_partitions = true
    WHERE
      parent_table = %L;
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    retention_interval,
    qualified_a_table_name
  );
END;
$_$;


--
-- Name: create(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq."create"(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq.create_non_partitioned(queue_name);
END;
$$;


--
-- Name: create_fifo_index(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_fifo_index(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq._create_fifo_index_if_not_exists(queue_name);
END;
$$;


--
-- Name: create_fifo_indexes_all(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_fifo_indexes_all() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    queue_record RECORD;
BEGIN
    FOR queue_record IN SELECT queue_name FROM pgmq.meta LOOP
        PERFORM pgmq.create_fifo_index(queue_record.queue_name);
    END LOOP;
END;
$$;


--
-- Name: create_non_partitioned(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_non_partitioned(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  qtable_seq TEXT := qtable || '_msg_id_seq';
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
  PERFORM pgmq.validate_queue_name(queue_name);
  PERFORM pgmq.acquire_queue_lock(queue_name);

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
        msg_id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
        read_ct INT DEFAULT 0 NOT NULL,
        enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        last_read_at TIMESTAMP WITH TIME ZONE,
        vt TIMESTAMP WITH TIME ZONE NOT NULL,
        message JSONB,
        headers JSONB
    )
    $QUERY$,
    qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id BIGINT PRIMARY KEY,
      read_ct INT DEFAULT 0 NOT NULL,
      enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      last_read_at TIMESTAMP WITH TIME ZONE,
      archived_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      vt TIMESTAMP WITH TIME ZONE NOT NULL,
      message JSONB,
      headers JSONB
    );
    $QUERY$,
    atable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt ASC);
    $QUERY$,
    qtable || '_vt_idx', qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at);
    $QUERY$,
    'archived_at_idx_' || queue_name, atable
  );

  EXECUTE FORMAT(
    $QUERY$
    INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged)
    VALUES (%L, false, false)
    ON CONFLICT
    DO NOTHING;
    $QUERY$,
    queue_name
  );

END;
$_$;


--
-- Name: create_partitioned(text, text, text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_partitioned(queue_name text, partition_interval text DEFAULT '10000'::text, retention_interval text DEFAULT '100000'::text, premake integer DEFAULT 4) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  partition_col TEXT;
  a_partition_col TEXT;
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  qtable_seq TEXT := qtable || '_msg_id_seq';
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
  fq_qtable TEXT := 'pgmq.' || qtable;
  fq_atable TEXT := 'pgmq.' || atable;
BEGIN
  PERFORM pgmq.validate_queue_name(queue_name);
  PERFORM pgmq.acquire_queue_lock(queue_name);
  PERFORM pgmq._ensure_pg_partman_installed();
  IF premake < 1 THEN
    RAISE EXCEPTION 'premake must be at least 1, got %', premake;
  END IF;
  SELECT pgmq._get_partition_col(partition_interval) INTO partition_col;

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
        msg_id BIGINT GENERATED BY DEFAULT AS IDENTITY,
        read_ct INT DEFAULT 0 NOT NULL,
        enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        last_read_at TIMESTAMP WITH TIME ZONE,
        vt TIMESTAMP WITH TIME ZONE NOT NULL,
        message JSONB,
        headers JSONB
    ) PARTITION BY RANGE (%I)
    $QUERY$,
    qtable, partition_col
  );

  -- https://github.com/pgpartman/pg_partman/blob/master/doc/pg_partman.md
  -- p_parent_table - the existing parent table. MUST be schema qualified, even if in public schema.
  EXECUTE FORMAT(
    $QUERY$
    SELECT %I.create_parent(
      p_parent_table := %L,
      p_control := %L,
      p_interval := %L,
      p_premake := %s,
      p_type := case
        when pgmq._get_pg_partman_major_version() = 5 then 'range'
        else 'native'
      end
    )
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    fq_qtable,
    partition_col,
    partition_interval,
    premake
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (%I);
    $QUERY$,
    qtable || '_part_idx', qtable, partition_col
  );

  EXECUTE FORMAT(
    $QUERY$
    UPDATE %I.part_config
    SET
        retention = %L,
        retention_keep_table = false,
        retention_keep_index = true,
        automatic_maintenance = 'on'
    WHERE parent_table = %L;
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    retention_interval,
    'pgmq.' || qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged)
    VALUES (%L, true, false)
    ON CONFLICT
    DO NOTHING;
    $QUERY$,
    queue_name
  );

  IF partition_col = 'enqueued_at' THEN
    a_partition_col := 'archived_at';
  ELSE
    a_partition_col := partition_col;
  END IF;

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id BIGINT NOT NULL,
      read_ct INT DEFAULT 0 NOT NULL,
      enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      last_read_at TIMESTAMP WITH TIME ZONE,
      archived_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      vt TIMESTAMP WITH TIME ZONE NOT NULL,
      message JSONB,
      headers JSONB
    ) PARTITION BY RANGE (%I);
    $QUERY$,
    atable, a_partition_col
  );

  -- https://github.com/pgpartman/pg_partman/blob/master/doc/pg_partman.md
  -- p_parent_table - the existing parent table. MUST be schema qualified, even if in public schema.
  EXECUTE FORMAT(
    $QUERY$
    SELECT %I.create_parent(
      p_parent_table := %L,
      p_control := %L,
      p_interval := %L,
      p_premake := %s,
      p_type := case
        when pgmq._get_pg_partman_major_version() = 5 then 'range'
        else 'native'
      end
    )
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    fq_atable,
    a_partition_col,
    partition_interval,
    premake
  );

  EXECUTE FORMAT(
    $QUERY$
    UPDATE %I.part_config
    SET
        retention = %L,
        retention_keep_table = false,
        retention_keep_index = true,
        automatic_maintenance = 'on'
    WHERE parent_table = %L;
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    retention_interval,
    'pgmq.' || atable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at);
    $QUERY$,
    'archived_at_idx_' || queue_name, atable
  );

END;
$_$;


--
-- Name: create_unlogged(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_unlogged(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  qtable_seq TEXT := qtable || '_msg_id_seq';
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
  PERFORM pgmq.validate_queue_name(queue_name);
  PERFORM pgmq.acquire_queue_lock(queue_name);

  EXECUTE FORMAT(
    $QUERY$
    CREATE UNLOGGED TABLE IF NOT EXISTS pgmq.%I (
        msg_id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
        read_ct INT DEFAULT 0 NOT NULL,
        enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        last_read_at TIMESTAMP WITH TIME ZONE,
        vt TIMESTAMP WITH TIME ZONE NOT NULL,
        message JSONB,
        headers JSONB
    )
    $QUERY$,
    qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id BIGINT PRIMARY KEY,
      read_ct INT DEFAULT 0 NOT NULL,
      enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      last_read_at TIMESTAMP WITH TIME ZONE,
      archived_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      vt TIMESTAMP WITH TIME ZONE NOT NULL,
      message JSONB,
      headers JSONB
    );
    $QUERY$,
    atable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt ASC);
    $QUERY$,
    qtable || '_vt_idx', qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at);
    $QUERY$,
    'archived_at_idx_' || queue_name, atable
  );

  EXECUTE FORMAT(
    $QUERY$
    INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged)
    VALUES (%L, false, true)
    ON CONFLICT
    DO NOTHING;
    $QUERY$,
    queue_name
  );
END;
$_$;


--
-- Name: delete(text, bigint[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        DELETE FROM pgmq.%I
        WHERE msg_id = ANY($1)
        RETURNING msg_id
        $QUERY$,
        qtable
    );
    RETURN QUERY EXECUTE sql USING msg_ids;
END;
$_$;


--
-- Name: delete(text, bigint); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.delete(queue_name text, msg_id bigint) RETURNS boolean
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result BIGINT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        DELETE FROM pgmq.%I
        WHERE msg_id = $1
        RETURNING msg_id
        $QUERY$,
        qtable
    );
    EXECUTE sql USING msg_id INTO result;
    RETURN NOT (result IS NULL);
END;
$_$;


--
-- Name: detach_archive(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.detach_archive(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
  RAISE WARNING 'detach_archive(queue_name) is deprecated and is a no-op. It will be removed in PGMQ v2.0. Archive tables are no longer member objects.';
END
$$;


--
-- Name: disable_notify_insert(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.disable_notify_insert(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  v_queue_name TEXT := queue_name;
BEGIN
  EXECUTE FORMAT(
    $QUERY$
    DROP TRIGGER IF EXISTS trigger_notify_queue_insert_listeners ON pgmq.%I;
    $QUERY$,
    qtable
  );

  DELETE FROM pgmq.notify_insert_throttle nit WHERE nit.queue_name = v_queue_name;
END;
$_$;


--
-- Name: drop_queue(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.drop_queue(queue_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $_$
DECLARE
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    qtable_seq TEXT := qtable || '_msg_id_seq';
    fq_qtable TEXT := 'pgmq.' || qtable;
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
    fq_atable TEXT := 'pgmq.' || atable;
    partitioned BOOLEAN;
BEGIN
    PERFORM pgmq.acquire_queue_lock(queue_name);
    EXECUTE FORMAT(
        $QUERY$
        SELECT is_partitioned FROM pgmq.meta WHERE queue_name = %L
        $QUERY$,
        queue_name
    ) INTO partitioned;

    -- check if the queue exists
    IF NOT EXISTS (
        SELECT 1
        FROM information_schema.tables
        WHERE table_name = qtable and table_schema = 'pgmq'
    ) THEN
        RAISE NOTICE 'pgmq queue `%` does not exist', queue_name;
        RETURN FALSE;
    END IF;

    EXECUTE FORMAT(
        $QUERY$
        DROP TABLE IF EXISTS pgmq.%I
        $QUERY$,
        qtable
    );

    EXECUTE FORMAT(
        $QUERY$
        DROP TABLE IF EXISTS pgmq.%I
        $QUERY$,
        atable
    );

     IF EXISTS (
          SELECT 1
          FROM information_schema.tables
          WHERE table_name = 'meta' and table_schema = 'pgmq'
     ) THEN
        EXECUTE FORMAT(
            $QUERY$
            DELETE FROM pgmq.meta WHERE queue_name = %L
            $QUERY$,
            queue_name
        );
     END IF;

     IF partitioned THEN
        EXECUTE FORMAT(
          $QUERY$
          DELETE FROM %I.part_config where parent_table in (%L, %L)
          $QUERY$,
          pgmq._get_pg_partman_schema(), fq_qtable, fq_atable
        );
     END IF;

    RETURN TRUE;
END;
$_$;


--
-- Name: drop_queue(text, boolean); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.drop_queue(queue_name text, partitioned boolean) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    fq_qtable TEXT := 'pgmq.' || qtable;
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
    fq_atable TEXT := 'pgmq.' || atable;
BEGIN
    RAISE WARNING 'drop_queue(queue_name, partitioned) is deprecated and will be removed in PGMQ v2.0. Use drop_queue(queue_name) instead';

    PERFORM pgmq.drop_queue(queue_name);

    RETURN TRUE;
END;
$$;


--
-- Name: enable_notify_insert(text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.enable_notify_insert(queue_name text, throttle_interval_ms integer DEFAULT 250) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  v_queue_name TEXT := queue_name;
  v_throttle_interval_ms INTEGER := throttle_interval_ms;
BEGIN
  -- Validate that throttle_interval_ms is non-negative
  IF v_throttle_interval_ms < 0 THEN
    RAISE EXCEPTION 'throttle_interval_ms must be non-negative';
  END IF;

  -- Validate that the queue table exists
  IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'pgmq' AND table_name = qtable) THEN
    RAISE EXCEPTION 'Queue "%" does not exist. Create it first using pgmq.create()', v_queue_name;
  END IF;

  PERFORM pgmq.disable_notify_insert(v_queue_name);

  INSERT INTO pgmq.notify_insert_throttle (queue_name, throttle_interval_ms)
  VALUES (v_queue_name, v_throttle_interval_ms)
  ON CONFLICT ON CONSTRAINT notify_insert_throttle_queue_name_key DO UPDATE
      SET throttle_interval_ms = EXCLUDED.throttle_interval_ms,
          last_notified_at = to_timestamp(0);

  EXECUTE FORMAT(
    $QUERY$
    CREATE CONSTRAINT TRIGGER trigger_notify_queue_insert_listeners
    AFTER INSERT ON pgmq.%I
    DEFERRABLE FOR EACH ROW
    EXECUTE PROCEDURE pgmq.notify_queue_listeners()
    $QUERY$,
    qtable
  );
END;
$_$;


--
-- Name: format_table_name(text, text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.format_table_name(queue_name text, prefix text) RETURNS text
    LANGUAGE plpgsql
    AS $_$
BEGIN
    IF queue_name ~ '\$|;|--|'''
    THEN
        RAISE EXCEPTION 'queue name contains invalid characters: $, ;, --, or \''';
    END IF;
    RETURN lower(prefix || '_' || queue_name);
END;
$_$;


--
-- Name: list_notify_insert_throttles(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_notify_insert_throttles() RETURNS TABLE(queue_name text, throttle_interval_ms integer, last_notified_at timestamp with time zone)
    LANGUAGE sql STABLE
    AS $$
    SELECT queue_name, throttle_interval_ms, last_notified_at
    FROM pgmq.notify_insert_throttle
    ORDER BY queue_name;
$$;


--
-- Name: list_queues(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_queues() RETURNS SETOF pgmq.queue_record
    LANGUAGE plpgsql
    AS $$
BEGIN
  RETURN QUERY SELECT * FROM pgmq.meta;
END
$$;


--
-- Name: list_topic_bindings(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_topic_bindings() RETURNS TABLE(pattern text, queue_name text, bound_at timestamp with time zone, compiled_regex text)
    LANGUAGE sql STABLE
    AS $$
    SELECT pattern, queue_name, bound_at, compiled_regex
    FROM pgmq.topic_bindings
    ORDER BY bound_at DESC, pattern, queue_name;
$$;


--
-- Name: list_topic_bindings(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_topic_bindings(queue_name text) RETURNS TABLE(pattern text, queue_name text, bound_at timestamp with time zone, compiled_regex text)
    LANGUAGE sql STABLE
    AS $$
    SELECT pattern, tb.queue_name, bound_at, compiled_regex
    FROM pgmq.topic_bindings tb
    WHERE tb.queue_name = list_topic_bindings.queue_name
    ORDER BY bound_at DESC, pattern;
$$;


--
-- Name: metrics(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.metrics(queue_name text) RETURNS pgmq.metrics_result
    LANGUAGE plpgsql
    AS $_$
DECLARE
    result_row pgmq.metrics_result;
    query TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    q_default_partition TEXT := qtable || '_default';
    a_default_partition TEXT := pgmq.format_table_name(queue_name, 'a') || '_default';
    default_partition_length BIGINT;
BEGIN
    -- Only partitioned queues have default partitions. Messages in them have no
    -- partition of their own, which means pg_partman maintenance is failing for
    -- this queue; a non-zero value here is the signal to act on. The planner's
    -- estimate is used so that a large spill does not slow down every scrape.
    IF to_regclass(FORMAT('pgmq.%I', q_default_partition)) IS NOT NULL THEN
        SELECT COALESCE(SUM(GREATEST(c.reltuples, 0))::bigint, 0)
        INTO default_partition_length
        FROM pg_class c
        WHERE c.oid IN (
            to_regclass(FORMAT('pgmq.%I', q_default_partition)),
            to_regclass(FORMAT('pgmq.%I', a_default_partition))
        );
    END IF;

    query := FORMAT(
        $QUERY$
        WITH q_summary AS (
            SELECT
                count(*) as queue_length,
                count(CASE WHEN vt <= NOW() THEN 1 END) as queue_visible_length,
                EXTRACT(epoch FROM (NOW() - max(enqueued_at)))::int as newest_msg_age_sec,
                EXTRACT(epoch FROM (NOW() - min(enqueued_at)))::int as oldest_msg_age_sec,
                NOW() as scrape_time
            FROM pgmq.%I
        ),
        all_metrics AS (
            SELECT CASE
                WHEN is_called THEN last_value ELSE 0
                END as total_messages
            FROM pgmq.%I
        )
        SELECT
            %L as queue_name,
            q_summary.queue_length,
            q_summary.newest_msg_age_sec,
            q_summary.oldest_msg_age_sec,
            all_metrics.total_messages,
            q_summary.scrape_time,
            q_summary.queue_visible_length,
            %L::bigint as default_partition_length
        FROM q_summary, all_metrics
        $QUERY$,
        qtable, qtable || '_msg_id_seq', queue_name, default_partition_length
    );
    EXECUTE query INTO result_row;
    RETURN result_row;
END;
$_$;


--
-- Name: metrics_all(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.metrics_all() RETURNS SETOF pgmq.metrics_result
    LANGUAGE plpgsql
    AS $$
DECLARE
    row_name RECORD;
    result_row pgmq.metrics_result;
BEGIN
    FOR row_name IN SELECT queue_name FROM pgmq.meta LOOP
        result_row := pgmq.metrics(row_name.queue_name);
        RETURN NEXT result_row;
    END LOOP;
END;
$$;


--
-- Name: notify_queue_listeners(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.notify_queue_listeners() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  queue_name_extracted TEXT; -- Queue name extracted from trigger table name
  updated_count        INTEGER; -- Number of rows updated (0 or 1)
BEGIN
  queue_name_extracted := substring(TG_TABLE_NAME from 3);

  UPDATE pgmq.notify_insert_throttle
  SET last_notified_at = clock_timestamp()
  WHERE queue_name = queue_name_extracted
    AND (
      throttle_interval_ms = 0 -- No throttling configured
          OR clock_timestamp() - last_notified_at >=
             (throttle_interval_ms * INTERVAL '1 millisecond') -- Throttle interval has elapsed
    );

  -- Check how many rows were updated (will be 0 or 1)
  GET DIAGNOSTICS updated_count = ROW_COUNT;

  IF updated_count > 0 THEN
    PERFORM PG_NOTIFY('pgmq.' || TG_TABLE_NAME || '.' || TG_OP, NULL);
  END IF;

RETURN NEW;
END;
$$;


--
-- Name: pop(text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.pop(queue_name text, qty integer DEFAULT 1) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result pgmq.message_record;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH cte AS
            (
                SELECT msg_id
                FROM pgmq.%I
                WHERE vt <= clock_timestamp()
                ORDER BY msg_id ASC
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
        DELETE from pgmq.%I
        WHERE msg_id IN (select msg_id from cte)
        RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers;
        $QUERY$,
        qtable, qtable
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: purge_queue(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.purge_queue(queue_name text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  deleted_count INTEGER;
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
  -- Get the row count before truncating
  EXECUTE format('SELECT count(*) FROM pgmq.%I', qtable) INTO deleted_count;

  -- Use TRUNCATE for better performance on large tables
  EXECUTE format('TRUNCATE TABLE pgmq.%I', qtable);

  -- Return the number of purged rows
  RETURN deleted_count;
END
$$;


--
-- Name: read(text, integer, integer, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}'::jsonb) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH cte AS
        (
            SELECT msg_id
            FROM pgmq.%I
            WHERE vt <= clock_timestamp() AND CASE
                WHEN %L != '{}'::jsonb THEN (message @> %2$L)::integer
                ELSE 1
            END = 1
            ORDER BY msg_id ASC
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE pgmq.%I m
        SET
            last_read_at = clock_timestamp(),
            vt = clock_timestamp() + %L,
            read_ct = read_ct + 1
        FROM cte
        WHERE m.msg_id = cte.msg_id
        RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
        $QUERY$,
        qtable, conditional, qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped(text, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH fifo_groups AS (
            -- Find the minimum msg_id for each FIFO group that's ready to be processed
            SELECT
                COALESCE(headers->>'x-pgmq-group', '_default_fifo_group') as fifo_key,
                MIN(msg_id) as min_msg_id
            FROM pgmq.%I
            WHERE vt <= clock_timestamp()
            GROUP BY COALESCE(headers->>'x-pgmq-group', '_default_fifo_group')
        ),
        locked_groups AS (
            -- Lock the first available message in each FIFO group
            SELECT
                m.msg_id,
                fg.fifo_key
            FROM pgmq.%I m
            INNER JOIN fifo_groups fg ON
                COALESCE(m.headers->>'x-pgmq-group', '_default_fifo_group') = fg.fifo_key
                AND m.msg_id = fg.min_msg_id
            WHERE m.vt <= clock_timestamp()
            ORDER BY m.msg_id ASC
            FOR UPDATE SKIP LOCKED
        ),
        group_priorities AS (
            -- Assign priority to groups based on their oldest message
            SELECT
                fifo_key,
                msg_id as min_msg_id,
                ROW_NUMBER() OVER (ORDER BY msg_id) as group_priority
            FROM locked_groups
        ),
        filtered_groups as (
            SELECT * FROM group_priorities gp
            WHERE NOT EXISTS (
                -- Ensure no earlier message in this group is currently being processed
                SELECT 1
                FROM pgmq.%I m2
                WHERE COALESCE(m2.headers->>'x-pgmq-group', '_default_fifo_group') = gp.fifo_key
                AND m2.vt > clock_timestamp()
                AND m2.msg_id < gp.min_msg_id
            )
        ),
        available_messages as (
            SELECT gp.fifo_key, t.msg_id,gp.group_priority,
                ROW_NUMBER() OVER (PARTITION BY gp.fifo_key ORDER BY t.msg_id) as msg_rank_in_group
            FROM filtered_groups gp
            CROSS JOIN LATERAL (
                SELECT *
                FROM pgmq.%I t
                WHERE COALESCE(t.headers->>'x-pgmq-group', '_default_fifo_group') = gp.fifo_key
                AND t.vt <= clock_timestamp()
                ORDER BY msg_id
                LIMIT $1  -- tip to limit query impact, we know we need at most qty in each group
            ) t
            ORDER BY gp.group_priority
        ),
        batch_selection AS (
            -- Select messages to fill batch, prioritizing earliest group
            SELECT
                msg_id,
                ROW_NUMBER() OVER (ORDER BY group_priority, msg_rank_in_group) as overall_rank
            FROM available_messages
        ),
        selected_messages AS (
            -- Limit to requested quantity
            SELECT msg_id
            FROM batch_selection
            WHERE overall_rank <= $1
            ORDER BY msg_id
            FOR UPDATE SKIP LOCKED
        )
        UPDATE pgmq.%I m
        SET
            vt = clock_timestamp() + %L,
            read_ct = read_ct + 1,
            last_read_at = clock_timestamp()
        FROM selected_messages sm
        WHERE m.msg_id = sm.msg_id
        RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
        $QUERY$,
        qtable, qtable, qtable, qtable, qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped_head(text, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_head(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH fifo_groups AS (
            -- Determine the absolute head (oldest) message id per FIFO group, regardless of visibility
            SELECT
                COALESCE(headers->>'x-pgmq-group', '_default_fifo_group') AS fifo_key,
                MIN(msg_id) AS head_msg_id
            FROM pgmq.%1$I
            GROUP BY COALESCE(headers->>'x-pgmq-group', '_default_fifo_group')
        ),
        selected_messages AS (
            -- Take at most 1 message per group
            SELECT g.head_msg_id msg_id
            FROM fifo_groups g
            JOIN pgmq.%1$I q ON q.msg_id = g.head_msg_id
	        WHERE q.vt <= clock_timestamp()
            ORDER BY q.msg_id
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE pgmq.%1$I m
        SET
            vt = clock_timestamp() + %2$L,
            read_ct = read_ct + 1,
            last_read_at = clock_timestamp()
        FROM selected_messages sm
        WHERE m.msg_id = sm.msg_id
        RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
        $QUERY$,
        qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped_head_with_poll(text, integer, integer, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_head_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMPTZ;
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF clock_timestamp() >= stop_at THEN
        RETURN;
      END IF;

      FOR r IN
        SELECT * FROM pgmq.read_grouped_head(queue_name, vt, qty)
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$$;


--
-- Name: read_grouped_rr(text, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_rr(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH fifo_groups AS (
            -- Determine the absolute head (oldest) message id per FIFO group, regardless of visibility
            SELECT
                COALESCE(headers->>'x-pgmq-group', '_default_fifo_group') AS fifo_key,
                MIN(msg_id) AS head_msg_id
            FROM pgmq.%1$I
            GROUP BY COALESCE(headers->>'x-pgmq-group', '_default_fifo_group')
        ),
        eligible_groups AS (
            -- Only groups whose head message is currently visible
            -- Acquire a transaction-level advisory lock per group to prevent concurrent selection
            SELECT
                g.fifo_key,
                g.head_msg_id,
                ROW_NUMBER() OVER (ORDER BY g.head_msg_id) AS group_priority
            FROM fifo_groups g
            JOIN pgmq.%2$I h ON h.msg_id = g.head_msg_id
            WHERE h.vt <= clock_timestamp()
              AND pg_try_advisory_xact_lock(pg_catalog.hashtextextended(g.fifo_key, 0))
        ),
        available_messages AS (
            -- All currently visible messages starting at the head for each eligible group
            SELECT
                m.msg_id,
                eg.group_priority,
                ROW_NUMBER() OVER (
                    PARTITION BY eg.fifo_key
                    ORDER BY m.msg_id
                ) AS msg_rank_in_group
            FROM pgmq.%3$I m
            JOIN eligible_groups eg
              ON COALESCE(m.headers->>'x-pgmq-group', '_default_fifo_group') = eg.fifo_key
            WHERE m.vt <= clock_timestamp()
              AND m.msg_id >= eg.head_msg_id
        ),
        ordered_messages AS (
            -- Layered round-robin: take rank 1 of all groups by group_priority, then rank 2, etc.
            -- Assign selection order before locking
            SELECT msg_id, ROW_NUMBER() OVER (ORDER BY msg_rank_in_group, group_priority) as selection_order
            FROM available_messages
        ),
        selected_messages AS (
            -- Lock the messages in the correct order, preserving selection_order
            SELECT om.msg_id, om.selection_order
            FROM ordered_messages om
            JOIN pgmq.%4$I m ON m.msg_id = om.msg_id
            WHERE om.selection_order <= $1
            ORDER BY om.selection_order
            FOR UPDATE OF m SKIP LOCKED
        ),
        updated_messages AS (
            UPDATE pgmq.%5$I m
            SET
                vt = clock_timestamp() + %6$L,
                read_ct = read_ct + 1,
                last_read_at = clock_timestamp()
            FROM selected_messages sm
            WHERE m.msg_id = sm.msg_id
              AND m.vt <= clock_timestamp() -- final guard to avoid duplicate reads under races
            RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers, sm.selection_order
        )
        SELECT msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers
        FROM updated_messages
        ORDER BY selection_order;
        $QUERY$,
        qtable, qtable, qtable, qtable, qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped_rr_with_poll(text, integer, integer, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_rr_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMP;
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF (SELECT clock_timestamp() >= stop_at) THEN
        RETURN;
      END IF;

      FOR r IN
        SELECT * FROM pgmq.read_grouped_rr(queue_name, vt, qty)
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$$;


--
-- Name: read_grouped_with_poll(text, integer, integer, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMP;
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF (SELECT clock_timestamp() >= stop_at) THEN
        RETURN;
      END IF;

      FOR r IN
        SELECT * FROM pgmq.read_grouped(queue_name, vt, qty)
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$$;


--
-- Name: read_with_poll(text, integer, integer, integer, integer, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100, conditional jsonb DEFAULT '{}'::jsonb) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMP;
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF (SELECT clock_timestamp() >= stop_at) THEN
        RETURN;
      END IF;

      sql := FORMAT(
          $QUERY$
          WITH cte AS
          (
              SELECT msg_id
              FROM pgmq.%I
              WHERE vt <= clock_timestamp() AND CASE
                  WHEN %L != '{}'::jsonb THEN (message @> %2$L)::integer
                  ELSE 1
              END = 1
              ORDER BY msg_id ASC
              LIMIT $1
              FOR UPDATE SKIP LOCKED
          )
          UPDATE pgmq.%I m
          SET
              last_read_at = clock_timestamp(),
              vt = clock_timestamp() + %L,
              read_ct = read_ct + 1
          FROM cte
          WHERE m.msg_id = cte.msg_id
          RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
          $QUERY$,
          qtable, conditional, qtable, make_interval(secs => vt)
      );

      FOR r IN
        EXECUTE sql USING qty
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$_$;


--
-- Name: send(text, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, NULL, clock_timestamp());
$$;


--
-- Name: send(text, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, NULL, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send(text, jsonb, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp());
$$;


--
-- Name: send(text, jsonb, timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, NULL, delay);
$$;


--
-- Name: send(text, jsonb, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send(text, jsonb, jsonb, timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
            $QUERY$
        INSERT INTO pgmq.%I (vt, message, headers)
        VALUES ($2, $1, $3)
        RETURNING msg_id;
        $QUERY$,
            qtable
           );
    RETURN QUERY EXECUTE sql USING msg, delay, headers;
END;
$_$;


--
-- Name: send_batch(text, jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[]) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL, clock_timestamp());
$$;


--
-- Name: send_batch(text, jsonb[], jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[]) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp());
$$;


--
-- Name: send_batch(text, jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch(text, jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL, delay);
$$;


--
-- Name: send_batch(text, jsonb[], jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch(text, jsonb[], jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq._validate_batch_params(msgs, headers);
    RETURN QUERY SELECT * FROM pgmq._send_batch(queue_name, msgs, headers, delay);
END;
$$;


--
-- Name: send_batch_topic(text, jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[]) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, NULL, clock_timestamp());
$$;


--
-- Name: send_batch_topic(text, jsonb[], jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], headers jsonb[]) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, headers, clock_timestamp());
$$;


--
-- Name: send_batch_topic(text, jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], delay integer) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, NULL, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch_topic(text, jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], delay timestamp with time zone) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, NULL, delay);
$$;


--
-- Name: send_batch_topic(text, jsonb[], jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], headers jsonb[], delay integer) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, headers, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch_topic(text, jsonb[], jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], headers jsonb[], delay timestamp with time zone) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE plpgsql
    AS $$
DECLARE
    b RECORD;
BEGIN
    PERFORM pgmq.validate_routing_key(routing_key);

    -- Validate batch parameters once (not per queue)
    PERFORM pgmq._validate_batch_params(msgs, headers);

    -- Filter matching patterns in SQL for better performance (uses index)
    -- Any failure will rollback the entire transaction
    FOR b IN
        SELECT DISTINCT tb.queue_name
        FROM pgmq.topic_bindings tb
        WHERE routing_key ~ tb.compiled_regex
        ORDER BY tb.queue_name -- Deterministic ordering, deduplicated by queue_name
        LOOP
            -- Use private _send_batch to avoid redundant validation
            RETURN QUERY
            SELECT b.queue_name, batch_result.msg_id
            FROM pgmq._send_batch(b.queue_name, msgs, headers, delay) AS batch_result(msg_id);
        END LOOP;

    RETURN;
END;
$$;


--
-- Name: send_topic(text, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_topic(routing_key text, msg jsonb) RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pgmq.send_topic(routing_key, msg, NULL, 0);
END;
$$;


--
-- Name: send_topic(text, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_topic(routing_key text, msg jsonb, delay integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pgmq.send_topic(routing_key, msg, NULL, delay);
END;
$$;


--
-- Name: send_topic(text, jsonb, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_topic(routing_key text, msg jsonb, headers jsonb, delay integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    b             RECORD;
    matched_count integer := 0;
BEGIN
    PERFORM pgmq.validate_routing_key(routing_key);

    IF msg IS NULL THEN
        RAISE EXCEPTION 'msg cannot be NULL';
    END IF;

    IF delay < 0 THEN
        RAISE EXCEPTION 'delay cannot be negative, got: %', delay;
    END IF;

    -- Filter matching patterns in SQL for better performance (uses index)
    -- Any failure will rollback the entire transaction
    FOR b IN
        SELECT DISTINCT tb.queue_name
        FROM pgmq.topic_bindings tb
        WHERE routing_key ~ tb.compiled_regex
        ORDER BY tb.queue_name -- Deterministic ordering, deduplicated by queue_name
        LOOP
            PERFORM pgmq.send(b.queue_name, msg, headers, delay);
            matched_count := matched_count + 1;
        END LOOP;

    RETURN matched_count;
END;
$$;


--
-- Name: set_vt(text, bigint[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt integer) RETURNS SETOF pgmq.message_record
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.set_vt(queue_name, msg_ids, clock_timestamp() + make_interval(secs => vt));
$$;


--
-- Name: set_vt(text, bigint[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt timestamp with time zone) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        UPDATE pgmq.%I
        SET vt = $1
        WHERE msg_id = ANY($2)
        RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers;
        $QUERY$,
        qtable
    );
    RETURN QUERY EXECUTE sql USING vt, msg_ids;
END;
$_$;


--
-- Name: set_vt(text, bigint, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer) RETURNS SETOF pgmq.message_record
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.set_vt(queue_name, msg_id, clock_timestamp() + make_interval(secs => vt));
$$;


--
-- Name: set_vt(text, bigint, timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt timestamp with time zone) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result pgmq.message_record;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        UPDATE pgmq.%I
        SET vt = $1
        WHERE msg_id = $2
        RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers;
        $QUERY$,
        qtable
    );
    RETURN QUERY EXECUTE sql USING vt, msg_id;
END;
$_$;


--
-- Name: test_routing(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.test_routing(routing_key text) RETURNS TABLE(pattern text, queue_name text, compiled_regex text)
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
    PERFORM pgmq.validate_routing_key(routing_key);
    RETURN QUERY
        SELECT b.pattern,
               b.queue_name,
               b.compiled_regex
        FROM pgmq.topic_bindings b
        WHERE routing_key ~ b.compiled_regex
        ORDER BY b.pattern;
END;
$$;


--
-- Name: unbind_topic(text, text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.unbind_topic(pattern text, queue_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    rows_deleted integer;
BEGIN
    IF pattern IS NULL OR pattern = '' THEN
        RAISE EXCEPTION 'pattern cannot be NULL or empty';
    END IF;

    IF queue_name IS NULL OR queue_name = '' THEN
        RAISE EXCEPTION 'queue_name cannot be NULL or empty';
    END IF;

    DELETE
    FROM pgmq.topic_bindings
    WHERE topic_bindings.pattern = unbind_topic.pattern
      AND topic_bindings.queue_name = unbind_topic.queue_name;

    GET DIAGNOSTICS rows_deleted = ROW_COUNT;

    IF rows_deleted > 0 THEN
        RETURN true;
    ELSE
        RETURN false;
    END IF;
END;
$$;


--
-- Name: update_notify_insert(text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.update_notify_insert(queue_name text, throttle_interval_ms integer) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF throttle_interval_ms < 0 THEN
        RAISE EXCEPTION 'throttle_interval_ms must be non-negative, got: %', throttle_interval_ms;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pgmq.meta WHERE meta.queue_name = update_notify_insert.queue_name) THEN
        RAISE EXCEPTION 'Queue "%" does not exist. Create the queue first using pgmq.create()', queue_name;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pgmq.notify_insert_throttle WHERE notify_insert_throttle.queue_name = update_notify_insert.queue_name) THEN
        RAISE EXCEPTION 'Queue "%" does not have notify_insert enabled. Enable it first using pgmq.enable_notify_insert()', queue_name;
    END IF;

    UPDATE pgmq.notify_insert_throttle
    SET throttle_interval_ms = update_notify_insert.throttle_interval_ms,
        last_notified_at = to_timestamp(0)
    WHERE notify_insert_throttle.queue_name = update_notify_insert.queue_name;
END;
$$;


--
-- Name: validate_queue_name(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.validate_queue_name(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF length(queue_name) > 47 THEN
    -- complete table identifier must be <= 63
    -- https://www.postgresql.org/docs/17/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    -- e.g. template_pgmq_q_my_queue is an identifier for my_queue when partitioned
    -- template_pgmq_q_ (16) + <a max length queue name> (47) = 63
    RAISE EXCEPTION 'queue name is too long, maximum length is 47 characters';
  END IF;
END;
$$;


--
-- Name: validate_routing_key(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.validate_routing_key(routing_key text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
BEGIN
    -- Valid routing key examples:
    --   "logs.error"
    --   "app.user-service.auth"
    --   "system_events.db.connection_failed"
    --
    -- Invalid routing key examples:
    --   ""                     - empty
    --   ".logs.error"          - starts with dot
    --   "logs.error."          - ends with dot
    --   "logs..error"          - consecutive dots
    --   "logs.error!"          - invalid character
    --   "logs error"           - space not allowed
    --   "logs.*"               - wildcards not allowed in routing keys

    IF routing_key IS NULL OR routing_key = '' THEN
        RAISE EXCEPTION 'routing_key cannot be NULL or empty';
    END IF;

    IF length(routing_key) > 255 THEN
        RAISE EXCEPTION 'routing_key length cannot exceed 255 characters, got % characters', length(routing_key);
    END IF;

    IF routing_key !~ '^[a-zA-Z0-9._-]+$' THEN
        RAISE EXCEPTION 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: %', routing_key;
    END IF;

    IF routing_key ~ '^\.' THEN
        RAISE EXCEPTION 'routing_key cannot start with a dot. Got: %', routing_key;
    END IF;

    IF routing_key ~ '\.$' THEN
        RAISE EXCEPTION 'routing_key cannot end with a dot. Got: %', routing_key;
    END IF;

    IF routing_key ~ '\.\.' THEN
        RAISE EXCEPTION 'routing_key cannot contain consecutive dots. Got: %', routing_key;
    END IF;

    RETURN true;
END;
$_$;


--
-- Name: validate_topic_pattern(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.validate_topic_pattern(pattern text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
BEGIN
    -- Valid pattern examples:
    --   "logs.*"           - matches one segment after logs. (e.g., logs.error, logs.info)
    --   "logs.#"           - matches one or more segments after logs. (e.g., logs.error, logs.api.error)
    --   "*.error"          - matches one segment before .error (e.g., app.error, db.error)
    --   "#.error"          - matches one or more segments before .error (e.g., app.error, x.y.error)
    --   "app.*.#"          - mixed wildcards (one segment then one or more)
    --   "#"                - catch-all pattern, matches any routing key
    --
    -- Invalid pattern examples:
    --   ".logs.*"          - starts with dot
    --   "logs.*."          - ends with dot
    --   "logs..error"      - consecutive dots
    --   "logs.**"          - consecutive stars
    --   "logs.##"          - consecutive hashes
    --   "logs.*#"          - adjacent wildcards
    --   "logs.error!"      - invalid character

    IF pattern IS NULL OR pattern = '' THEN
        RAISE EXCEPTION 'pattern cannot be NULL or empty';
    END IF;

    IF length(pattern) > 255 THEN
        RAISE EXCEPTION 'pattern length cannot exceed 255 characters, got % characters', length(pattern);
    END IF;

    IF pattern !~ '^[a-zA-Z0-9._\-*#]+$' THEN
        RAISE EXCEPTION 'pattern contains invalid characters. Only alphanumeric, dots, hyphens, underscores, *, and # are allowed. Got: %', pattern;
    END IF;

    IF pattern ~ '^\.' THEN
        RAISE EXCEPTION 'pattern cannot start with a dot. Got: %', pattern;
    END IF;

    IF pattern ~ '\.$' THEN
        RAISE EXCEPTION 'pattern cannot end with a dot. Got: %', pattern;
    END IF;

    IF pattern ~ '\.\.' THEN
        RAISE EXCEPTION 'pattern cannot contain consecutive dots. Got: %', pattern;
    END IF;

    IF pattern ~ '\*\*' THEN
        RAISE EXCEPTION 'pattern cannot contain consecutive stars (**). Use # for multi-segment matching. Got: %', pattern;
    END IF;

    IF pattern ~ '##' THEN
        RAISE EXCEPTION 'pattern cannot contain consecutive hashes (##). A single # already matches zero or more segments. Got: %', pattern;
    END IF;

    IF pattern ~ '\*#' OR pattern ~ '#\*' THEN
        RAISE EXCEPTION 'pattern cannot contain adjacent wildcards (*# or #*). Separate wildcards with dots. Got: %', pattern;
    END IF;

    RETURN true;
END;
$_$;


--
-- Name: events; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.events (
    id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    kind text NOT NULL,
    booking_id uuid,
    provider_id uuid,
    customer_id uuid,
    recipient_id uuid,
    during tstzrange,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT events_audience_check CHECK (
CASE
    WHEN (kind = 'availability_changed'::text) THEN ((provider_id IS NOT NULL) AND (during IS NOT NULL) AND (booking_id IS NULL) AND (customer_id IS NULL) AND (recipient_id IS NULL) AND (payload = '{}'::jsonb))
    WHEN (kind = 'notification_created'::text) THEN ((recipient_id IS NOT NULL) AND (booking_id IS NULL) AND (provider_id IS NULL) AND (customer_id IS NULL))
    ELSE ((booking_id IS NOT NULL) AND (provider_id IS NOT NULL) AND (customer_id IS NOT NULL) AND (recipient_id IS NULL))
END),
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['booking_created'::text, 'booking_status_changed'::text, 'booking_rescheduled'::text, 'booking_refunded'::text, 'availability_changed'::text, 'notification_created'::text]))),
    CONSTRAINT events_payload_check CHECK (((jsonb_typeof(payload) = 'object'::text) AND (pg_column_size(payload) <= 2000)))
);

ALTER TABLE ONLY app.events FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.events IS 'Append-only event log (booking changes, availability, notifications) with a monotonic id; read under RLS.';


--
-- Name: events; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.events WITH (security_invoker='true') AS
 SELECT e.id,
    e.created_at,
    e.kind,
    e.booking_id,
    e.provider_id,
    e.customer_id,
    e.recipient_id,
    lower(e.during) AS starts_at,
    upper(e.during) AS ends_at,
    e.payload
   FROM app.events e;


--
-- Name: VIEW events; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.events IS 'The events you may see, with a monotonic id: replay with ?id=gt.<last id seen>&order=id (row-level security decides).

Kinds: booking_created, booking_status_changed (payload from, to), booking_rescheduled, booking_refunded (for the booking''s customer, its provider''s owner and ops); availability_changed (a provider and a time range only, for everyone, anonymous callers included); notification_created (for its recipient only).
Events are kept for 24 hours. NOTIFY bookiji_events carries each new id, nothing else.';


--
-- Name: COLUMN events.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.id IS 'Event id: grows with every event (replay from the last one you saw).';


--
-- Name: COLUMN events.created_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.created_at IS 'When the change happened (its transaction''s time).';


--
-- Name: COLUMN events.kind; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.kind IS 'booking_created, booking_status_changed, booking_rescheduled, booking_refunded, availability_changed or notification_created.';


--
-- Name: COLUMN events.booking_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.booking_id IS 'The booking the event is about (booking events only).';


--
-- Name: COLUMN events.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.provider_id IS 'The booking''s provider, or the provider whose availability changed.';


--
-- Name: COLUMN events.customer_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.customer_id IS 'The booking''s customer (booking events only).';


--
-- Name: COLUMN events.recipient_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.recipient_id IS 'The notification''s recipient (notification_created only).';


--
-- Name: COLUMN events.starts_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.starts_at IS 'availability_changed: start of the time taken or freed (with buffers).';


--
-- Name: COLUMN events.ends_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.ends_at IS 'availability_changed: end of the time taken or freed (with buffers).';


--
-- Name: COLUMN events.payload; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.events.payload IS 'Small details: status from/to and cancelled_by; a booking''s starts_at/ends_at (and previous_*);
refund_id, refund_cents, currency; notification_id, event, channel.';


--
-- Name: my_bookings; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.my_bookings WITH (security_invoker='true') AS
 SELECT b.id,
    b.status,
    b.customer_id,
    b.provider_id,
    b.service_id,
    lower(b.during) AS starts_at,
    upper(b.during) AS ends_at,
        CASE
            WHEN (b.status = 'pending_payment'::text) THEN b.hold_expires_at
            ELSE NULL::timestamp with time zone
        END AS hold_expires_at,
    b.price_cents,
    b.deposit_cents,
    b.currency,
    b.cancel_notice_hours,
    b.cancel_fee_cents,
    b.cancelled_at,
    b.cancel_reason,
    b.created_at,
    b.updated_at
   FROM app.bookings b;


--
-- Name: VIEW my_bookings; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.my_bookings IS 'Bookings you may see: a customer''s own, a provider''s bookings, or all for ops (row-level security decides).';


--
-- Name: COLUMN my_bookings.status; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_bookings.status IS 'pending_payment (held, awaiting payment), confirmed, completed, no_show, cancelled or expired.';


--
-- Name: COLUMN my_bookings.hold_expires_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_bookings.hold_expires_at IS 'While pending_payment: when the hold lapses and the slot is freed.';


--
-- Name: my_provider; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.my_provider WITH (security_invoker='true') AS
 SELECT p.id,
    p.business_name,
    p.description,
    p.lat,
    p.lng,
    p.service_radius_km,
    p.time_zone,
    p.contact_email,
    p.contact_phone,
    p.is_active,
    p.rating_count,
    p.rating_avg,
    p.created_at,
    p.updated_at,
    p.suspended_at,
    p.suspension_reason
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid))
  WITH LOCAL CHECK OPTION;


--
-- Name: VIEW my_provider; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.my_provider IS 'The caller''s own provider profile (role provider): read, create (POST) and edit (PATCH).

One profile per account (the owner is the caller); a second POST is a 409.
While Bookiji staff suspend it (suspended_at, suspension_reason), setting
is_active to true is a 409 provider_suspended.
lat/lng out of range are 400 (check constraint providers_lat_check /
providers_lng_check); an unknown time_zone is 400 invalid_input. Ratings, owner
and id cannot be written.';


--
-- Name: COLUMN my_provider.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.id IS 'Provider id (read-only).';


--
-- Name: COLUMN my_provider.business_name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.business_name IS 'Business name (1 to 200 characters).';


--
-- Name: COLUMN my_provider.description; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.description IS 'Free-text description (at most 4000 characters).';


--
-- Name: COLUMN my_provider.lat; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.lat IS 'Latitude of the location, -90 to 90 (WGS 84).';


--
-- Name: COLUMN my_provider.lng; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.lng IS 'Longitude of the location, -180 to 180 (WGS 84).';


--
-- Name: COLUMN my_provider.service_radius_km; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.service_radius_km IS 'How far the provider travels or serves, in km (0 < r <= 200; default 10).';


--
-- Name: COLUMN my_provider.time_zone; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.time_zone IS 'IANA time zone of the weekly hours (default America/Toronto).';


--
-- Name: COLUMN my_provider.contact_email; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.contact_email IS 'Private contact email (never shown to customers).';


--
-- Name: COLUMN my_provider.contact_phone; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.contact_phone IS 'Private contact phone, E.164 (never shown to customers).';


--
-- Name: COLUMN my_provider.is_active; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.is_active IS 'Whether the profile is listed and quotable.';


--
-- Name: COLUMN my_provider.rating_count; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.rating_count IS 'Number of ratings (read-only).';


--
-- Name: COLUMN my_provider.rating_avg; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.rating_avg IS 'Average rating (read-only).';


--
-- Name: COLUMN my_provider.created_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.created_at IS 'Creation time (read-only).';


--
-- Name: COLUMN my_provider.updated_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.updated_at IS 'Last update time (read-only).';


--
-- Name: COLUMN my_provider.suspended_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.suspended_at IS 'When Bookiji staff suspended the profile (read-only; null: not suspended). While suspended it is not offered and is_active cannot be set.';


--
-- Name: COLUMN my_provider.suspension_reason; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_provider.suspension_reason IS 'Why Bookiji staff suspended the profile (read-only).';


--
-- Name: reviews; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.reviews (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    booking_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    author_name text NOT NULL,
    stars smallint NOT NULL,
    body text,
    weight numeric NOT NULL,
    reply text,
    replied_at timestamp with time zone,
    hidden_at timestamp with time zone,
    hidden_by uuid,
    hidden_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    edited_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reviews_author_name_check CHECK (((char_length(author_name) >= 1) AND (char_length(author_name) <= 60))),
    CONSTRAINT reviews_body_check CHECK (((char_length(body) >= 1) AND (char_length(body) <= 2000))),
    CONSTRAINT reviews_hidden_reason_check CHECK ((((hidden_at IS NULL) AND (hidden_reason IS NULL)) OR ((hidden_at IS NOT NULL) AND ((char_length(hidden_reason) >= 1) AND (char_length(hidden_reason) <= 500))))),
    CONSTRAINT reviews_replied_at_check CHECK (((reply IS NULL) = (replied_at IS NULL))),
    CONSTRAINT reviews_reply_check CHECK (((char_length(reply) >= 1) AND (char_length(reply) <= 2000))),
    CONSTRAINT reviews_stars_check CHECK (((stars >= 1) AND (stars <= 5))),
    CONSTRAINT reviews_weight_check CHECK ((weight > (0)::numeric))
);

ALTER TABLE ONLY app.reviews FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE reviews; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.reviews IS 'Verified reviews of completed bookings: stars, text, the provider''s reply, moderation. Written by definers only.';


--
-- Name: COLUMN reviews.author_name; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.reviews.author_name IS 'The customer''s first name and last initial, as shown publicly.';


--
-- Name: COLUMN reviews.weight; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.reviews.weight IS 'Decay weight, 2^((created_at - 2026-01-01) / 730 days); set by a trigger.';


--
-- Name: my_reviews; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.my_reviews WITH (security_invoker='true') AS
 SELECT r.id,
    r.booking_id,
    r.provider_id,
    r.stars,
    r.body,
    r.reply,
    r.replied_at,
    r.created_at,
    r.edited_at,
    (r.created_at + make_interval(days => 14)) AS editable_until,
    (r.hidden_at IS NOT NULL) AS hidden,
    r.hidden_reason
   FROM app.reviews r
  WHERE (r.customer_id = ( SELECT auth.uid() AS uid));


--
-- Name: VIEW my_reviews; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.my_reviews IS 'Your own reviews (role customer), hidden ones included with the moderator''s reason.';


--
-- Name: COLUMN my_reviews.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.id IS 'Review id.';


--
-- Name: COLUMN my_reviews.booking_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.booking_id IS 'The reviewed booking.';


--
-- Name: COLUMN my_reviews.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.provider_id IS 'The reviewed provider.';


--
-- Name: COLUMN my_reviews.stars; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.stars IS 'Stars, 1 to 5.';


--
-- Name: COLUMN my_reviews.body; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.body IS 'The review''s text (null: stars only).';


--
-- Name: COLUMN my_reviews.reply; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.reply IS 'The provider''s reply (null: none).';


--
-- Name: COLUMN my_reviews.replied_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.replied_at IS 'When the provider replied.';


--
-- Name: COLUMN my_reviews.created_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.created_at IS 'When the review was written.';


--
-- Name: COLUMN my_reviews.edited_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.edited_at IS 'When the review was last edited (null: never).';


--
-- Name: COLUMN my_reviews.editable_until; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.editable_until IS 'Until when edit_review accepts a change.';


--
-- Name: COLUMN my_reviews.hidden; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.hidden IS 'Whether moderation hid the review from the public.';


--
-- Name: COLUMN my_reviews.hidden_reason; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_reviews.hidden_reason IS 'Why moderation hid it (null: not hidden).';


--
-- Name: my_services; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.my_services WITH (security_invoker='true') AS
 SELECT s.id,
    s.provider_id,
    s.category_id,
    s.name,
    s.description,
    s.duration_minutes,
    s.price_cents,
    s.deposit_cents,
    s.currency,
    s.buffer_before_minutes,
    s.buffer_after_minutes,
    s.min_notice_minutes,
    s.max_days_ahead,
    s.cancel_notice_hours,
    s.cancel_fee_cents,
    s.is_active,
    s.created_at,
    s.updated_at
   FROM app.services s
  WHERE (s.provider_id IN ( SELECT p.id
           FROM app.providers p
          WHERE (p.owner_id = ( SELECT auth.uid() AS uid))))
  WITH LOCAL CHECK OPTION;


--
-- Name: VIEW my_services; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.my_services IS 'The caller''s own services (role provider): read, create (POST), edit (PATCH), delete.

provider_id must be the caller''s provider. Durations, prices and buffers are
checked by the database (400 naming the constraint and so the field); the
currency is CAD.';


--
-- Name: COLUMN my_services.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.id IS 'Service id (read-only).';


--
-- Name: COLUMN my_services.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.provider_id IS 'The caller''s provider id (set on creation, then read-only).';


--
-- Name: COLUMN my_services.category_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.category_id IS 'Category (see api.service_categories).';


--
-- Name: COLUMN my_services.name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.name IS 'Service name (1 to 200 characters).';


--
-- Name: COLUMN my_services.description; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.description IS 'Free-text description.';


--
-- Name: COLUMN my_services.duration_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.duration_minutes IS 'Length of the appointment, 5 to 1440 minutes.';


--
-- Name: COLUMN my_services.price_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.price_cents IS 'Price in cents, >= 0.';


--
-- Name: COLUMN my_services.deposit_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.deposit_cents IS 'Deposit in cents, 0 to the price.';


--
-- Name: COLUMN my_services.currency; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.currency IS 'Currency (CAD, read-only).';


--
-- Name: COLUMN my_services.buffer_before_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.buffer_before_minutes IS 'Time kept free before each appointment, 0 to 240 minutes.';


--
-- Name: COLUMN my_services.buffer_after_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.buffer_after_minutes IS 'Time kept free after each appointment, 0 to 240 minutes.';


--
-- Name: COLUMN my_services.min_notice_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.min_notice_minutes IS 'Minimum notice before the start, in minutes (default 60).';


--
-- Name: COLUMN my_services.max_days_ahead; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.max_days_ahead IS 'How many days ahead it can be booked, 1 to 730 (default 60).';


--
-- Name: COLUMN my_services.cancel_notice_hours; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.cancel_notice_hours IS 'Free cancellation up to this many hours before the start (default 24).';


--
-- Name: COLUMN my_services.cancel_fee_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.cancel_fee_cents IS 'Fee for a later cancellation, 0 to the price (default 0).';


--
-- Name: COLUMN my_services.is_active; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.is_active IS 'Whether the service is listed and quotable.';


--
-- Name: COLUMN my_services.created_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.created_at IS 'Creation time (read-only).';


--
-- Name: COLUMN my_services.updated_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_services.updated_at IS 'Last update time (read-only).';


--
-- Name: time_off; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.time_off (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    provider_id uuid NOT NULL,
    during tstzrange NOT NULL,
    reason text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT time_off_during_check CHECK (((NOT isempty(during)) AND (NOT lower_inf(during)) AND (NOT upper_inf(during)))),
    CONSTRAINT time_off_reason_check CHECK ((length(reason) <= 500))
);

ALTER TABLE ONLY app.time_off FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE time_off; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.time_off IS 'Periods when a provider is unavailable (absolute time ranges), never overlapping.';


--
-- Name: my_time_off; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.my_time_off WITH (security_invoker='true') AS
 SELECT t.id,
    t.provider_id,
    t.during,
    lower(t.during) AS starts_at,
    upper(t.during) AS ends_at,
    t.reason,
    t.created_at
   FROM app.time_off t
  WHERE (t.provider_id IN ( SELECT p.id
           FROM app.providers p
          WHERE (p.owner_id = ( SELECT auth.uid() AS uid))))
  WITH LOCAL CHECK OPTION;


--
-- Name: VIEW my_time_off; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.my_time_off IS 'The caller''s time off (role provider): read, create, edit, delete.

during is a finite tstzrange such as ["2026-12-24 00:00-05","2026-12-27 00:00-05");
overlapping periods are refused (400).';


--
-- Name: COLUMN my_time_off.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_time_off.id IS 'Time-off id (read-only).';


--
-- Name: COLUMN my_time_off.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_time_off.provider_id IS 'The caller''s provider id (set on creation).';


--
-- Name: COLUMN my_time_off.during; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_time_off.during IS 'The period, a finite tstzrange.';


--
-- Name: COLUMN my_time_off.starts_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_time_off.starts_at IS 'Start of the period (read-only).';


--
-- Name: COLUMN my_time_off.ends_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_time_off.ends_at IS 'End of the period (read-only).';


--
-- Name: COLUMN my_time_off.reason; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_time_off.reason IS 'Free-text reason (private).';


--
-- Name: COLUMN my_time_off.created_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_time_off.created_at IS 'Creation time (read-only).';


--
-- Name: weekly_hours; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.weekly_hours (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    provider_id uuid NOT NULL,
    day_of_week smallint NOT NULL,
    start_time time without time zone NOT NULL,
    end_time time without time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT weekly_hours_day_of_week_check CHECK (((day_of_week >= 0) AND (day_of_week <= 6))),
    CONSTRAINT weekly_hours_end_time_check CHECK ((end_time > start_time))
);

ALTER TABLE ONLY app.weekly_hours FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE weekly_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.weekly_hours IS 'Recurring working hours: day of week (0 = Sunday) and local start/end time in the provider''s time zone.';


--
-- Name: my_weekly_hours; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.my_weekly_hours WITH (security_invoker='true') AS
 SELECT h.id,
    h.provider_id,
    h.day_of_week,
    h.start_time,
    h.end_time,
    h.created_at
   FROM app.weekly_hours h
  WHERE (h.provider_id IN ( SELECT p.id
           FROM app.providers p
          WHERE (p.owner_id = ( SELECT auth.uid() AS uid))))
  WITH LOCAL CHECK OPTION;


--
-- Name: VIEW my_weekly_hours; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.my_weekly_hours IS 'The caller''s weekly working hours (role provider): read, create, edit, delete.

Local wall-clock times in the provider''s time zone; day_of_week 0 = Sunday.
Several intervals per day are fine; overlapping ones and end_time <= start_time
are refused (400).';


--
-- Name: COLUMN my_weekly_hours.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_weekly_hours.id IS 'Interval id (read-only).';


--
-- Name: COLUMN my_weekly_hours.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_weekly_hours.provider_id IS 'The caller''s provider id (set on creation).';


--
-- Name: COLUMN my_weekly_hours.day_of_week; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_weekly_hours.day_of_week IS 'Day of week, 0 = Sunday to 6 = Saturday.';


--
-- Name: COLUMN my_weekly_hours.start_time; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_weekly_hours.start_time IS 'Local start time, e.g. 09:00.';


--
-- Name: COLUMN my_weekly_hours.end_time; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_weekly_hours.end_time IS 'Local end time, after start_time (24:00 allowed).';


--
-- Name: COLUMN my_weekly_hours.created_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.my_weekly_hours.created_at IS 'Creation time (read-only).';


--
-- Name: payment_mismatches; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.payment_mismatches (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    payment_id uuid NOT NULL,
    booking_id uuid NOT NULL,
    refund_id uuid,
    stripe_payment_intent_id text NOT NULL,
    expected_cents integer NOT NULL,
    expected_currency text NOT NULL,
    received_cents bigint,
    received_currency text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.payment_mismatches FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE payment_mismatches; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.payment_mismatches IS 'Succeeded payments whose amount or currency differed from the booking''s: never confirmed, refunded, for ops.';


--
-- Name: payment_mismatches; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.payment_mismatches WITH (security_invoker='true') AS
 SELECT m.id,
    m.booking_id,
    m.payment_id,
    m.refund_id,
    m.stripe_payment_intent_id,
    m.expected_cents,
    m.expected_currency,
    m.received_cents,
    m.received_currency,
    m.created_at
   FROM app.payment_mismatches m;


--
-- Name: VIEW payment_mismatches; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.payment_mismatches IS 'Payments Stripe reported succeeded for another amount or currency than their booking was due (ops only).

Such a payment never confirms its booking: the booking is cancelled (if it was still awaiting payment), everything received is refunded (refund_id, in the refund ledger), and the event is written to the audit log (payment.mismatch). Look into each: a client that altered its PaymentIntent, or a bug.';


--
-- Name: COLUMN payment_mismatches.expected_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.payment_mismatches.expected_cents IS 'What the booking was due, in cents of expected_currency.';


--
-- Name: COLUMN payment_mismatches.received_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.payment_mismatches.received_cents IS 'What Stripe captured (amount_received), in cents of received_currency; null if the event carried none.';


--
-- Name: providers; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.providers WITH (security_invoker='true') AS
 SELECT p.id,
    p.business_name,
    p.description,
    p.lat,
    p.lng,
    p.service_radius_km,
    p.time_zone,
    p.rating_count,
    p.rating_avg,
    p.ended_bookings,
    p.provider_cancellations,
    p.no_shows,
    p.provider_cancellation_rate,
    p.no_show_rate
   FROM app.providers p
  WHERE p.is_active;


--
-- Name: VIEW providers; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.providers IS 'Active providers: the public profile only (no owner, no contact details).

Open to everyone. A provider account sees only its own profile here.';


--
-- Name: COLUMN providers.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.id IS 'Provider id.';


--
-- Name: COLUMN providers.business_name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.business_name IS 'Business name.';


--
-- Name: COLUMN providers.description; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.description IS 'Free-text description.';


--
-- Name: COLUMN providers.lat; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.lat IS 'Latitude of the provider''s location (WGS 84).';


--
-- Name: COLUMN providers.lng; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.lng IS 'Longitude of the provider''s location (WGS 84).';


--
-- Name: COLUMN providers.service_radius_km; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.service_radius_km IS 'How far from its location the provider serves customers (km).';


--
-- Name: COLUMN providers.time_zone; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.time_zone IS 'IANA time zone of the provider''s working hours.';


--
-- Name: COLUMN providers.rating_count; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.rating_count IS 'Number of ratings received (published reviews, see api.reviews).';


--
-- Name: COLUMN providers.rating_avg; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.rating_avg IS 'Average rating (1 to 5), null without ratings; time-decayed: a rating weighs half as much every two years.';


--
-- Name: COLUMN providers.ended_bookings; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.ended_bookings IS 'Bookings with this provider that ended (completed, no_show or cancelled).';


--
-- Name: COLUMN providers.provider_cancellations; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.provider_cancellations IS 'Of those, how many the provider cancelled.';


--
-- Name: COLUMN providers.no_shows; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.no_shows IS 'Of those, how many ended as no_show.';


--
-- Name: COLUMN providers.provider_cancellation_rate; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.provider_cancellation_rate IS 'Share of ended bookings the provider cancelled, shrunk towards 2% (a prior of 20 bookings): "cancels 1% of bookings".';


--
-- Name: COLUMN providers.no_show_rate; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.providers.no_show_rate IS 'Share of ended bookings that ended as no_show, shrunk towards 2% (a prior of 20 bookings).';


--
-- Name: reviews; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.reviews WITH (security_invoker='true') AS
 SELECT r.id,
    r.provider_id,
    r.author_name,
    r.stars,
    r.body,
    r.reply,
    r.replied_at,
    r.created_at,
    r.edited_at
   FROM app.reviews r
  WHERE (r.hidden_at IS NULL);


--
-- Name: VIEW reviews; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.reviews IS 'Published reviews of providers: stars, text, the provider''s reply; the author as first name and last initial.

Open to everyone. Hidden reviews are left out. Filter by provider: ?provider_id=eq.<id>&order=created_at.desc.';


--
-- Name: COLUMN reviews.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.id IS 'Review id.';


--
-- Name: COLUMN reviews.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.provider_id IS 'The reviewed provider.';


--
-- Name: COLUMN reviews.author_name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.author_name IS 'The customer''s first name and last initial ("Marie T.").';


--
-- Name: COLUMN reviews.stars; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.stars IS 'Stars, 1 to 5.';


--
-- Name: COLUMN reviews.body; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.body IS 'The review''s text (null: stars only).';


--
-- Name: COLUMN reviews.reply; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.reply IS 'The provider''s reply (null: none).';


--
-- Name: COLUMN reviews.replied_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.replied_at IS 'When the provider replied.';


--
-- Name: COLUMN reviews.created_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.created_at IS 'When the review was written.';


--
-- Name: COLUMN reviews.edited_at; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.reviews.edited_at IS 'When the review was last edited (null: never).';


--
-- Name: service_categories; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.service_categories (
    id integer NOT NULL,
    slug text NOT NULL,
    name_en text NOT NULL,
    name_fr text NOT NULL,
    sort_order integer DEFAULT 0 NOT NULL,
    CONSTRAINT service_categories_name_en_check CHECK (((length(btrim(name_en)) >= 1) AND (length(btrim(name_en)) <= 80))),
    CONSTRAINT service_categories_name_fr_check CHECK (((length(btrim(name_fr)) >= 1) AND (length(btrim(name_fr)) <= 80))),
    CONSTRAINT service_categories_slug_check CHECK ((slug ~ '^[a-z][a-z0-9-]{1,39}$'::text))
);

ALTER TABLE ONLY app.service_categories FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE service_categories; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.service_categories IS 'The fixed list of service categories (slug, English and French names); seeded by a migration.';


--
-- Name: service_categories; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.service_categories WITH (security_invoker='true') AS
 SELECT c.id,
    c.slug,
    c.name_en,
    c.name_fr
   FROM app.service_categories c
  ORDER BY c.sort_order, c.id;


--
-- Name: VIEW service_categories; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.service_categories IS 'Service categories: the slug a quote asks for, with English and French names.

Open to everyone (anonymous included).';


--
-- Name: COLUMN service_categories.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.service_categories.id IS 'Category id (services refer to it).';


--
-- Name: COLUMN service_categories.slug; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.service_categories.slug IS 'Stable machine name, e.g. haircut; the quote''s category parameter.';


--
-- Name: COLUMN service_categories.name_en; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.service_categories.name_en IS 'Name in English.';


--
-- Name: COLUMN service_categories.name_fr; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.service_categories.name_fr IS 'Name in French.';


--
-- Name: services; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.services WITH (security_invoker='true') AS
 SELECT s.id,
    s.provider_id,
    c.slug AS category,
    s.name,
    s.description,
    s.duration_minutes,
    s.price_cents,
    s.deposit_cents,
    s.currency,
    s.buffer_before_minutes,
    s.buffer_after_minutes,
    s.min_notice_minutes,
    s.max_days_ahead,
    s.cancel_notice_hours,
    s.cancel_fee_cents
   FROM ((app.services s
     JOIN app.providers p ON ((s.provider_id = p.id)))
     JOIN app.service_categories c ON ((s.category_id = c.id)))
  WHERE (s.is_active AND p.is_active);


--
-- Name: VIEW services; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.services IS 'Active services of active providers, with price and cancellation policy.

Open to everyone. A provider account sees only its own services here.';


--
-- Name: COLUMN services.id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.id IS 'Service id (api.available_slots takes it).';


--
-- Name: COLUMN services.provider_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.provider_id IS 'The provider selling it.';


--
-- Name: COLUMN services.category; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.category IS 'Category slug.';


--
-- Name: COLUMN services.name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.name IS 'Service name.';


--
-- Name: COLUMN services.description; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.description IS 'Free-text description.';


--
-- Name: COLUMN services.duration_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.duration_minutes IS 'Length of the appointment in minutes.';


--
-- Name: COLUMN services.price_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.price_cents IS 'Price in cents of currency.';


--
-- Name: COLUMN services.deposit_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.deposit_cents IS 'Deposit taken at booking, in cents (at most the price).';


--
-- Name: COLUMN services.currency; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.currency IS 'ISO 4217 currency (CAD).';


--
-- Name: COLUMN services.buffer_before_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.buffer_before_minutes IS 'Time kept free before each appointment.';


--
-- Name: COLUMN services.buffer_after_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.buffer_after_minutes IS 'Time kept free after each appointment.';


--
-- Name: COLUMN services.min_notice_minutes; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.min_notice_minutes IS 'How long before its start an appointment can still be booked.';


--
-- Name: COLUMN services.max_days_ahead; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.max_days_ahead IS 'How many days ahead an appointment can be booked.';


--
-- Name: COLUMN services.cancel_notice_hours; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.cancel_notice_hours IS 'Cancelling at least this many hours before the start is free.';


--
-- Name: COLUMN services.cancel_fee_cents; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.services.cancel_fee_cents IS 'Fee kept when cancelling later than cancel_notice_hours.';


--
-- Name: analytics_days; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.analytics_days (
    day date NOT NULL,
    category_id integer NOT NULL,
    status text NOT NULL,
    currency text NOT NULL,
    bookings bigint DEFAULT 0 NOT NULL,
    booked_cents bigint DEFAULT 0 NOT NULL,
    lead_minutes bigint DEFAULT 0 NOT NULL,
    cancelled_by_customer bigint DEFAULT 0 NOT NULL,
    cancelled_by_provider bigint DEFAULT 0 NOT NULL,
    cancelled_by_ops bigint DEFAULT 0 NOT NULL,
    cancelled_by_system bigint DEFAULT 0 NOT NULL,
    cancelled_late bigint DEFAULT 0 NOT NULL,
    captured_cents bigint DEFAULT 0 NOT NULL,
    refunded_cents bigint DEFAULT 0 NOT NULL,
    fees_kept_cents bigint DEFAULT 0 NOT NULL,
    outstanding_cents bigint DEFAULT 0 NOT NULL,
    gst_cents bigint DEFAULT 0 NOT NULL,
    qst_cents bigint DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY app.analytics_days FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE analytics_days; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.analytics_days IS 'Rollup across providers per UTC start day, category, status and currency (folded from app.analytics_deltas).';


--
-- Name: analytics_deltas; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.analytics_deltas (
    hour timestamp with time zone NOT NULL,
    category_id integer NOT NULL,
    status text NOT NULL,
    currency text NOT NULL,
    bookings bigint NOT NULL,
    booked_cents bigint NOT NULL,
    lead_minutes bigint NOT NULL,
    cancelled_by_customer bigint NOT NULL,
    cancelled_by_provider bigint NOT NULL,
    cancelled_by_ops bigint NOT NULL,
    cancelled_by_system bigint NOT NULL,
    cancelled_late bigint NOT NULL,
    captured_cents bigint NOT NULL,
    refunded_cents bigint NOT NULL,
    fees_kept_cents bigint NOT NULL,
    outstanding_cents bigint NOT NULL,
    gst_cents bigint NOT NULL,
    qst_cents bigint NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0', autovacuum_vacuum_threshold='5000');

ALTER TABLE ONLY app.analytics_deltas FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE analytics_deltas; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.analytics_deltas IS 'Differences of the analytics figures not yet folded into the rollups across providers (append-only; internal.analytics_compact folds and deletes them).';


--
-- Name: analytics_hours; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.analytics_hours (
    hour timestamp with time zone NOT NULL,
    category_id integer NOT NULL,
    status text NOT NULL,
    currency text NOT NULL,
    bookings bigint DEFAULT 0 NOT NULL,
    booked_cents bigint DEFAULT 0 NOT NULL,
    lead_minutes bigint DEFAULT 0 NOT NULL,
    cancelled_by_customer bigint DEFAULT 0 NOT NULL,
    cancelled_by_provider bigint DEFAULT 0 NOT NULL,
    cancelled_by_ops bigint DEFAULT 0 NOT NULL,
    cancelled_by_system bigint DEFAULT 0 NOT NULL,
    cancelled_late bigint DEFAULT 0 NOT NULL,
    captured_cents bigint DEFAULT 0 NOT NULL,
    refunded_cents bigint DEFAULT 0 NOT NULL,
    fees_kept_cents bigint DEFAULT 0 NOT NULL,
    outstanding_cents bigint DEFAULT 0 NOT NULL,
    gst_cents bigint DEFAULT 0 NOT NULL,
    qst_cents bigint DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY app.analytics_hours FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE analytics_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.analytics_hours IS 'Rollup across providers per UTC start hour, category, status and currency (folded from app.analytics_deltas).';


--
-- Name: analytics_provider_hours; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.analytics_provider_hours (
    provider_id uuid NOT NULL,
    hour timestamp with time zone NOT NULL,
    category_id integer NOT NULL,
    status text NOT NULL,
    currency text NOT NULL,
    bookings bigint DEFAULT 0 NOT NULL,
    booked_cents bigint DEFAULT 0 NOT NULL,
    lead_minutes bigint DEFAULT 0 NOT NULL,
    cancelled_by_customer bigint DEFAULT 0 NOT NULL,
    cancelled_by_provider bigint DEFAULT 0 NOT NULL,
    cancelled_by_ops bigint DEFAULT 0 NOT NULL,
    cancelled_by_system bigint DEFAULT 0 NOT NULL,
    cancelled_late bigint DEFAULT 0 NOT NULL,
    captured_cents bigint DEFAULT 0 NOT NULL,
    refunded_cents bigint DEFAULT 0 NOT NULL,
    fees_kept_cents bigint DEFAULT 0 NOT NULL,
    outstanding_cents bigint DEFAULT 0 NOT NULL,
    gst_cents bigint DEFAULT 0 NOT NULL,
    qst_cents bigint DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY app.analytics_provider_hours FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE analytics_provider_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.analytics_provider_hours IS 'Rollup: the sums of app.analytics_booking_facts per provider, UTC start hour, category, status and currency.';


--
-- Name: balance_payments; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.balance_payments (
    booking_id uuid NOT NULL,
    method text NOT NULL,
    status text NOT NULL,
    base_cents integer NOT NULL,
    gst_cents integer NOT NULL,
    qst_cents integer NOT NULL,
    amount_cents integer NOT NULL,
    stripe_payment_intent_id text,
    marked_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT balance_payments_cents_check CHECK (((base_cents > 0) AND (gst_cents >= 0) AND (qst_cents >= 0) AND (amount_cents = ((base_cents + gst_cents) + qst_cents)))),
    CONSTRAINT balance_payments_method_check CHECK ((method = ANY (ARRAY['venue'::text, 'card'::text]))),
    CONSTRAINT balance_payments_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'due'::text, 'succeeded'::text]))),
    CONSTRAINT balance_payments_venue_check CHECK (((method <> 'venue'::text) OR (status = 'succeeded'::text)))
);

ALTER TABLE ONLY app.balance_payments FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE balance_payments; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.balance_payments IS 'The balance after a deposit: paid at the venue (marked by the provider) or charged to the saved card; its amount and taxes.';


--
-- Name: COLUMN balance_payments.method; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.balance_payments.method IS 'venue: paid at the venue, marked by the provider; card: charged off-session.';


--
-- Name: COLUMN balance_payments.status; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.balance_payments.status IS 'pending: being charged; due: the charge failed, the customer must pay; succeeded: settled.';


--
-- Name: COLUMN balance_payments.marked_by; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.balance_payments.marked_by IS 'The provider''s owner who marked it paid at the venue.';


--
-- Name: booking_fees; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.booking_fees (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    booking_id uuid NOT NULL,
    payment_id uuid NOT NULL,
    kind text DEFAULT 'cancellation'::text NOT NULL,
    amount_cents integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT booking_fees_amount_cents_check CHECK ((amount_cents > 0)),
    CONSTRAINT booking_fees_kind_check CHECK ((kind = 'cancellation'::text))
);

ALTER TABLE ONLY app.booking_fees FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE booking_fees; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.booking_fees IS 'Fees a booking keeps from its charge (the cancellation fee); never more than was captured.';


--
-- Name: commission_rates; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.commission_rates (
    category_id integer NOT NULL,
    rate_bp integer NOT NULL,
    minimum_cents integer DEFAULT 0 NOT NULL,
    updated_by uuid,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT commission_rates_minimum_cents_check CHECK (((minimum_cents >= 0) AND (minimum_cents <= 1000000))),
    CONSTRAINT commission_rates_rate_bp_check CHECK (((rate_bp >= 0) AND (rate_bp <= 10000)))
);

ALTER TABLE ONLY app.commission_rates FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE commission_rates; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.commission_rates IS 'The platform''s commission per category: rate_bp (basis points of the price) with a minimum in cents.';


--
-- Name: disputes; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.disputes (
    id text NOT NULL,
    booking_id uuid NOT NULL,
    payment_id uuid NOT NULL,
    stripe_charge_id text,
    stripe_payment_intent_id text,
    amount_cents integer NOT NULL,
    currency text NOT NULL,
    reason text NOT NULL,
    status text NOT NULL,
    outcome text,
    evidence_due_by timestamp with time zone,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    closed_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT disputes_amount_cents_check CHECK ((amount_cents >= 0)),
    CONSTRAINT disputes_id_check CHECK (((id ~ '^dp_[A-Za-z0-9_]+$'::text) AND (length(id) <= 255))),
    CONSTRAINT disputes_outcome_check CHECK ((((outcome IS NULL) AND (closed_at IS NULL)) OR ((outcome = ANY (ARRAY['won'::text, 'lost'::text, 'warning_closed'::text])) AND (closed_at IS NOT NULL)))),
    CONSTRAINT disputes_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 100))),
    CONSTRAINT disputes_status_check CHECK (((length(status) >= 1) AND (length(status) <= 100)))
);

ALTER TABLE ONLY app.disputes FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE disputes; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.disputes IS 'Card disputes of booking payments (Stripe Dispute objects): amount, reason, status, and the outcome once closed.';


--
-- Name: events_id_seq; Type: SEQUENCE; Schema: app; Owner: -
--

ALTER TABLE app.events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: idempotency_keys; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.idempotency_keys (
    customer_id uuid NOT NULL,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    response jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT idempotency_keys_key_check CHECK (((length(key) >= 1) AND (length(key) <= 255)))
);

ALTER TABLE ONLY app.idempotency_keys FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE idempotency_keys; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.idempotency_keys IS 'Idempotency-Key headers of booking confirmations: the request''s hash and the response given.';


--
-- Name: notification_preferences; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.notification_preferences (
    user_id uuid NOT NULL,
    category text NOT NULL,
    email boolean DEFAULT true NOT NULL,
    sms boolean DEFAULT false NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notification_preferences_category_check CHECK ((category = ANY (ARRAY['reminders'::text, 'booking_updates'::text])))
);

ALTER TABLE ONLY app.notification_preferences FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE notification_preferences; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.notification_preferences IS 'Which channels a person wants per category; no row means the defaults (email on, SMS off).';


--
-- Name: notifications; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.notifications (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    event text NOT NULL,
    event_key text NOT NULL,
    recipient_id uuid NOT NULL,
    channel text NOT NULL,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    provider_message_id text,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    delivery_unknown boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    CONSTRAINT notifications_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT notifications_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text]))),
    CONSTRAINT notifications_data_check CHECK ((jsonb_typeof(data) = 'object'::text)),
    CONSTRAINT notifications_delivery_unknown_check CHECK (((NOT delivery_unknown) OR (status = 'failed'::text))),
    CONSTRAINT notifications_event_key_check CHECK (((length(event_key) >= 1) AND (length(event_key) <= 200))),
    CONSTRAINT notifications_sent_at_check CHECK (((status = 'sent'::text) = (sent_at IS NOT NULL))),
    CONSTRAINT notifications_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'sending'::text, 'sent'::text, 'failed'::text, 'skipped'::text])))
);

ALTER TABLE ONLY app.notifications FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE notifications; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.notifications IS 'Every email and SMS sent or to be sent: event, recipient, channel, rendering data, delivery status and log.';


--
-- Name: COLUMN notifications.event_key; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.notifications.event_key IS 'Identifies the occurrence of the event (for example booking_confirmed:<booking id>); with recipient and channel, unique.';


--
-- Name: COLUMN notifications.data; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.notifications.data IS 'What the message is rendered from (the producer''s data contract); a one-time token is removed once delivered.';


--
-- Name: COLUMN notifications.delivery_unknown; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.notifications.delivery_unknown IS 'True when an attempt was interrupted mid-send: it may have been delivered, so it is never sent again.';


--
-- Name: payments; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.payments (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    booking_id uuid NOT NULL,
    amount_cents integer NOT NULL,
    currency text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    stripe_payment_intent_id text,
    client_secret text,
    captured_cents integer DEFAULT 0 NOT NULL,
    failure_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    transfer_destination text,
    application_fee_cents integer DEFAULT 0 NOT NULL,
    CONSTRAINT payments_amount_cents_check CHECK ((amount_cents > 0)),
    CONSTRAINT payments_application_fee_cents_check CHECK ((((application_fee_cents >= 0) AND (application_fee_cents <= amount_cents)) AND ((transfer_destination IS NOT NULL) OR (application_fee_cents = 0)))),
    CONSTRAINT payments_captured_cents_check CHECK ((captured_cents >= 0)),
    CONSTRAINT payments_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'requires_payment'::text, 'succeeded'::text, 'failed'::text, 'cancelled'::text])))
);

ALTER TABLE ONLY app.payments FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE payments; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.payments IS 'The charge of a booking: its Stripe PaymentIntent, client secret, amount, captured amount and status.';


--
-- Name: COLUMN payments.transfer_destination; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.payments.transfer_destination IS 'The provider''s connected account the charge goes to (transfer_data.destination); null: the platform collects.';


--
-- Name: COLUMN payments.application_fee_cents; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.payments.application_fee_cents IS 'The platform''s commission taken from this charge (application_fee_amount).';


--
-- Name: payout_accounts; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.payout_accounts (
    provider_id uuid NOT NULL,
    stripe_account_id text,
    link_request_id uuid,
    link_requested_at timestamp with time zone,
    onboarding_url text,
    onboarding_url_expires_at timestamp with time zone,
    details_submitted boolean DEFAULT false NOT NULL,
    charges_enabled boolean DEFAULT false NOT NULL,
    payouts_enabled boolean DEFAULT false NOT NULL,
    capabilities jsonb DEFAULT '{}'::jsonb NOT NULL,
    requirements_due text[] DEFAULT '{}'::text[] NOT NULL,
    stripe_event_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT payout_accounts_capabilities_check CHECK ((jsonb_typeof(capabilities) = 'object'::text)),
    CONSTRAINT payout_accounts_stripe_account_id_check CHECK ((stripe_account_id ~ '^acct_[A-Za-z0-9]+$'::text))
);

ALTER TABLE ONLY app.payout_accounts FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE payout_accounts; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.payout_accounts IS 'Providers'' Stripe Express accounts: the onboarding link, and what the account may do (from account.updated).';


--
-- Name: COLUMN payout_accounts.link_request_id; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.payout_accounts.link_request_id IS 'The latest onboarding link asked for: the worker''s idempotency key for its AccountLink.';


--
-- Name: COLUMN payout_accounts.stripe_event_at; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.payout_accounts.stripe_event_at IS 'When Stripe created the latest account.updated applied: an older event changes nothing.';


--
-- Name: provider_tax_registrations; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.provider_tax_registrations (
    provider_id uuid NOT NULL,
    gst_number text,
    qst_number text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT provider_tax_registrations_gst_number_check CHECK ((gst_number ~ '^[0-9]{9}RT[0-9]{4}$'::text)),
    CONSTRAINT provider_tax_registrations_qst_number_check CHECK ((qst_number ~ '^[0-9]{10}TQ[0-9]{4}$'::text))
);

ALTER TABLE ONLY app.provider_tax_registrations FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE provider_tax_registrations; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.provider_tax_registrations IS 'A provider''s sales-tax registrations: GST (123456789RT0001) and QST (1234567890TQ0001); null: not registered.';


--
-- Name: refunds; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.refunds (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    booking_id uuid NOT NULL,
    payment_id uuid NOT NULL,
    amount_cents integer NOT NULL,
    reason text NOT NULL,
    requested_by uuid,
    requested_role text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    stripe_refund_id text,
    failure_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    reverse_transfer boolean DEFAULT false NOT NULL,
    refund_application_fee boolean DEFAULT false NOT NULL,
    transfer_reversal_cents integer DEFAULT 0 NOT NULL,
    fee_refund_cents integer DEFAULT 0 NOT NULL,
    CONSTRAINT refunds_amount_cents_check CHECK ((amount_cents > 0)),
    CONSTRAINT refunds_reason_check CHECK (((length(btrim(reason)) >= 1) AND (length(btrim(reason)) <= 500))),
    CONSTRAINT refunds_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'succeeded'::text, 'failed'::text]))),
    CONSTRAINT refunds_unwind_check CHECK (((transfer_reversal_cents >= 0) AND (fee_refund_cents >= 0) AND (reverse_transfer OR (transfer_reversal_cents = 0)) AND (refund_application_fee OR (fee_refund_cents = 0))))
);

ALTER TABLE ONLY app.refunds FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE refunds; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.refunds IS 'The refund ledger: each row is one refund of a booking''s payment (pending until Stripe settles it).';


--
-- Name: COLUMN refunds.transfer_reversal_cents; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.refunds.transfer_reversal_cents IS 'What this refund takes back from the provider''s transfer (reverse_transfer, proportional).';


--
-- Name: COLUMN refunds.fee_refund_cents; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.refunds.fee_refund_cents IS 'What this refund gives back of the platform''s fee (refund_application_fee, proportional).';


--
-- Name: stripe_events; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.stripe_events (
    id text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    processed_at timestamp with time zone,
    outcome text,
    CONSTRAINT stripe_events_id_check CHECK (((id ~ '^evt_[A-Za-z0-9_]+$'::text) AND (length(id) <= 255)))
);

ALTER TABLE ONLY app.stripe_events FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE stripe_events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.stripe_events IS 'Verified Stripe webhook events, one row per event id; processed_at/outcome record what they did.';


--
-- Name: users; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.users (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    email extensions.citext NOT NULL,
    role text NOT NULL,
    full_name text NOT NULL,
    locale text DEFAULT 'en'::text NOT NULL,
    phone text,
    email_confirmed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT users_email_check CHECK (((length((email)::text) <= 254) AND ((email)::text ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'::text))),
    CONSTRAINT users_full_name_check CHECK (((length(btrim(full_name)) >= 1) AND (length(btrim(full_name)) <= 200))),
    CONSTRAINT users_locale_check CHECK ((locale = ANY (ARRAY['en'::text, 'fr'::text]))),
    CONSTRAINT users_phone_check CHECK ((phone ~ '^\+[1-9][0-9]{6,14}$'::text)),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['customer'::text, 'provider'::text, 'ops'::text])))
);

ALTER TABLE ONLY app.users FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.users IS 'Accounts: one row per person (customer, provider or ops), with the editable profile.';


--
-- Name: COLUMN users.deleted_at; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON COLUMN app.users.deleted_at IS 'When the person deleted the account: email, name and phone were replaced, sign-in ended (null: live).';


--
-- Name: access_log; Type: TABLE; Schema: audit; Owner: -
--

CREATE TABLE audit.access_log (
    id bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    request_id text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    status integer NOT NULL,
    role text,
    sub text,
    client_addr text,
    bytes integer,
    duration_ms numeric(10,3)
);

ALTER TABLE ONLY audit.access_log FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON TABLE audit.access_log IS 'Every API request as nginx saw it: time, role and sub presented, method, path, status, client address, request id.';


--
-- Name: access_log_id_seq; Type: SEQUENCE; Schema: audit; Owner: -
--

ALTER TABLE audit.access_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME audit.access_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: action_log; Type: TABLE; Schema: audit; Owner: -
--

CREATE TABLE audit.action_log (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    actor_id uuid,
    actor_role text NOT NULL,
    action text NOT NULL,
    table_name text NOT NULL,
    row_id text,
    reason text,
    before jsonb,
    after jsonb,
    request_id text
);

ALTER TABLE ONLY audit.action_log FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE action_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON TABLE audit.action_log IS 'Append-only log of every state-changing action: actor, action, row, before/after, reason, request id.';


--
-- Name: action_log_id_seq; Type: SEQUENCE; Schema: audit; Owner: -
--

ALTER TABLE audit.action_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME audit.action_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: credentials; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.credentials (
    user_id uuid NOT NULL,
    password_hash text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY auth.credentials FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE credentials; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.credentials IS 'bcrypt password hashes (pgcrypto crypt/gen_salt(bf)).';


--
-- Name: login_attempts; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.login_attempts (
    id bigint NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    email extensions.citext NOT NULL,
    client_addr text,
    succeeded boolean NOT NULL
);

ALTER TABLE ONLY auth.login_attempts FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE login_attempts; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.login_attempts IS 'Every login attempt, for throttling by email and by client address.';


--
-- Name: login_attempts_id_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

ALTER TABLE auth.login_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME auth.login_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: one_time_tokens; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.one_time_tokens (
    id bigint NOT NULL,
    user_id uuid NOT NULL,
    purpose text NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT one_time_tokens_purpose_check CHECK ((purpose = ANY (ARRAY['confirm_email'::text, 'reset_password'::text])))
);

ALTER TABLE ONLY auth.one_time_tokens FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE one_time_tokens; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.one_time_tokens IS 'Single-use email confirmation and password reset tokens (hashes).';


--
-- Name: one_time_tokens_id_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

ALTER TABLE auth.one_time_tokens ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME auth.one_time_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: rate_events; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.rate_events (
    bucket text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0.0', autovacuum_vacuum_threshold='5000');

ALTER TABLE ONLY auth.rate_events FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE rate_events; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.rate_events IS 'One row per counted write request (bucket = sub:<uuid> or addr:<ip>); old rows are swept.';


--
-- Name: rate_limits; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.rate_limits (
    bucket text NOT NULL,
    tat timestamp with time zone NOT NULL
)
WITH (fillfactor='70', autovacuum_vacuum_scale_factor='0.0', autovacuum_vacuum_threshold='5000');

ALTER TABLE ONLY auth.rate_limits FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE rate_limits; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.rate_limits IS 'GCRA state per identity (bucket = sub:<uuid>): the theoretical arrival time of its next write; rows in the past are swept.';


--
-- Name: refresh_tokens; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.refresh_tokens (
    id bigint NOT NULL,
    user_id uuid NOT NULL,
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    revoked_at timestamp with time zone
);

ALTER TABLE ONLY auth.refresh_tokens FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE refresh_tokens; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.refresh_tokens IS 'Opaque refresh tokens, stored as SHA-256 hashes; a family (session) is one login''s chain of rotations.';


--
-- Name: refresh_tokens_id_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

ALTER TABLE auth.refresh_tokens ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME auth.refresh_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: sessions; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.sessions (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_refreshed_at timestamp with time zone,
    revoked_at timestamp with time zone,
    revoked_reason text
);

ALTER TABLE ONLY auth.sessions FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE sessions; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.sessions IS 'One row per login; access tokens carry its id (sid), so revoking it ends every token at once.';


--
-- Name: analytics_live_facts; Type: VIEW; Schema: internal; Owner: -
--

CREATE VIEW internal.analytics_live_facts WITH (security_barrier='true') AS
 SELECT b.id AS booking_id,
    b.provider_id,
    s.category_id,
    date_trunc('hour'::text, lower(b.during), 'UTC'::text) AS hour,
    b.status,
    b.currency,
    1 AS bookings,
    (b.price_cents)::bigint AS booked_cents,
    (floor((EXTRACT(epoch FROM (lower(b.during) - b.created_at)) / (60)::numeric)))::bigint AS lead_minutes,
    (COALESCE(((b.status = 'cancelled'::text) AND (b.cancelled_by_role = 'customer'::text)), false))::integer AS cancelled_by_customer,
    (COALESCE(((b.status = 'cancelled'::text) AND (b.cancelled_by_role = 'provider'::text)), false))::integer AS cancelled_by_provider,
    (COALESCE(((b.status = 'cancelled'::text) AND (b.cancelled_by_role = 'ops'::text)), false))::integer AS cancelled_by_ops,
    (COALESCE(((b.status = 'cancelled'::text) AND (b.cancelled_by_role = 'system'::text)), false))::integer AS cancelled_by_system,
    (COALESCE(((b.status = 'cancelled'::text) AND (b.cancelled_at >= (lower(b.during) - make_interval(hours => b.cancel_notice_hours)))), false))::integer AS cancelled_late,
    COALESCE(( SELECT sum(p.captured_cents) AS sum
           FROM app.payments p
          WHERE (p.booking_id = b.id)), (0)::bigint) AS captured_cents,
    COALESCE(( SELECT sum(r.amount_cents) AS sum
           FROM app.refunds r
          WHERE ((r.booking_id = b.id) AND (r.status = 'succeeded'::text))), (0)::bigint) AS refunded_cents,
    COALESCE(( SELECT sum(f.amount_cents) AS sum
           FROM app.booking_fees f
          WHERE (f.booking_id = b.id)), (0)::bigint) AS fees_kept_cents,
    COALESCE(( SELECT sum(p.amount_cents) AS sum
           FROM app.payments p
          WHERE ((p.booking_id = b.id) AND (p.status = ANY (ARRAY['pending'::text, 'requires_payment'::text])))), (0)::bigint) AS outstanding_cents,
    (fc.gst_cents * ( SELECT count(*) AS count
           FROM app.payments p
          WHERE ((p.booking_id = b.id) AND (p.status = 'succeeded'::text)))) AS gst_cents,
    (fc.qst_cents * ( SELECT count(*) AS count
           FROM app.payments p
          WHERE ((p.booking_id = b.id) AND (p.status = 'succeeded'::text)))) AS qst_cents
   FROM ((app.bookings b
     JOIN app.services s ON ((b.service_id = s.id)))
     CROSS JOIN LATERAL internal.booking_first_charge(b.*) fc(base_cents, gst_cents, qst_cents, total_cents));


--
-- Name: VIEW analytics_live_facts; Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON VIEW internal.analytics_live_facts IS 'Every booking''s contribution to the analytics figures, recounted from the base tables: the definition the rollups follow.';


--
-- Name: settings; Type: TABLE; Schema: internal; Owner: -
--

CREATE TABLE internal.settings (
    key text NOT NULL,
    value text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY internal.settings FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE settings; Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON TABLE internal.settings IS 'Deploy-time configuration (secrets, versions); written by deploy, read by definer helpers only.';


--
-- Name: a_notifications; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_notifications (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: a_notifications_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_notifications_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: a_payments; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_payments (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: a_payments_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_payments_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: meta; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.meta (
    queue_name character varying NOT NULL,
    is_partitioned boolean NOT NULL,
    is_unlogged boolean NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: notify_insert_throttle; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE UNLOGGED TABLE pgmq.notify_insert_throttle (
    queue_name character varying NOT NULL,
    throttle_interval_ms integer DEFAULT 0 NOT NULL,
    last_notified_at timestamp with time zone DEFAULT to_timestamp((0)::double precision) NOT NULL
);


--
-- Name: q_notifications; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_notifications (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
)
WITH (autovacuum_vacuum_scale_factor='0.0', autovacuum_vacuum_threshold='1000', autovacuum_vacuum_cost_limit='2000', autovacuum_vacuum_cost_delay='0');


--
-- Name: q_notifications_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_notifications_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: q_notifications_dlq_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_notifications_dlq ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_notifications_dlq_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: q_notifications_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_notifications ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_notifications_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: q_payments; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_payments (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
)
WITH (autovacuum_vacuum_scale_factor='0.0', autovacuum_vacuum_threshold='1000', autovacuum_vacuum_cost_limit='2000', autovacuum_vacuum_cost_delay='0');


--
-- Name: q_payments_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_payments_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: q_payments_dlq_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_payments_dlq ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_payments_dlq_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: q_payments_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_payments ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_payments_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: topic_bindings; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.topic_bindings (
    pattern text NOT NULL,
    queue_name text NOT NULL,
    bound_at timestamp with time zone DEFAULT now() NOT NULL,
    compiled_regex text GENERATED ALWAYS AS ((('^'::text || replace(replace(regexp_replace(pattern, '([.+?{}()|\[\]\\^$])'::text, '\\\1'::text, 'g'::text), '*'::text, '[^.]+'::text), '#'::text, '.*'::text)) || '$'::text)) STORED
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: analytics_booking_facts analytics_booking_facts_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.analytics_booking_facts
    ADD CONSTRAINT analytics_booking_facts_pkey PRIMARY KEY (booking_id);


--
-- Name: analytics_days analytics_days_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.analytics_days
    ADD CONSTRAINT analytics_days_pkey PRIMARY KEY (day, category_id, status, currency);


--
-- Name: analytics_hours analytics_hours_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.analytics_hours
    ADD CONSTRAINT analytics_hours_pkey PRIMARY KEY (hour, category_id, status, currency);


--
-- Name: analytics_provider_hours analytics_provider_hours_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.analytics_provider_hours
    ADD CONSTRAINT analytics_provider_hours_pkey PRIMARY KEY (provider_id, hour, category_id, status, currency);


--
-- Name: balance_payments balance_payments_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.balance_payments
    ADD CONSTRAINT balance_payments_pkey PRIMARY KEY (booking_id);


--
-- Name: balance_payments balance_payments_stripe_payment_intent_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.balance_payments
    ADD CONSTRAINT balance_payments_stripe_payment_intent_id_key UNIQUE (stripe_payment_intent_id);


--
-- Name: booking_fees booking_fees_booking_id_kind_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.booking_fees
    ADD CONSTRAINT booking_fees_booking_id_kind_key UNIQUE (booking_id, kind);


--
-- Name: booking_fees booking_fees_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.booking_fees
    ADD CONSTRAINT booking_fees_pkey PRIMARY KEY (id);


--
-- Name: bookings bookings_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.bookings
    ADD CONSTRAINT bookings_pkey PRIMARY KEY (id);


--
-- Name: bookings bookings_provider_id_blocked_excl; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.bookings
    ADD CONSTRAINT bookings_provider_id_blocked_excl EXCLUDE USING gist (provider_id WITH =, blocked WITH &&) WHERE ((status = ANY (ARRAY['pending_payment'::text, 'confirmed'::text])));


--
-- Name: commission_rates commission_rates_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.commission_rates
    ADD CONSTRAINT commission_rates_pkey PRIMARY KEY (category_id);


--
-- Name: disputes disputes_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.disputes
    ADD CONSTRAINT disputes_pkey PRIMARY KEY (id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (customer_id, key);


--
-- Name: notification_preferences notification_preferences_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.notification_preferences
    ADD CONSTRAINT notification_preferences_pkey PRIMARY KEY (user_id, category);


--
-- Name: notifications notifications_event_key_recipient_id_channel_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.notifications
    ADD CONSTRAINT notifications_event_key_recipient_id_channel_key UNIQUE (event_key, recipient_id, channel);


--
-- Name: notifications notifications_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);


--
-- Name: payment_mismatches payment_mismatches_payment_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payment_mismatches
    ADD CONSTRAINT payment_mismatches_payment_id_key UNIQUE (payment_id);


--
-- Name: payment_mismatches payment_mismatches_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payment_mismatches
    ADD CONSTRAINT payment_mismatches_pkey PRIMARY KEY (id);


--
-- Name: payments payments_booking_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payments
    ADD CONSTRAINT payments_booking_id_key UNIQUE (booking_id);


--
-- Name: payments payments_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);


--
-- Name: payments payments_stripe_payment_intent_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payments
    ADD CONSTRAINT payments_stripe_payment_intent_id_key UNIQUE (stripe_payment_intent_id);


--
-- Name: payout_accounts payout_accounts_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payout_accounts
    ADD CONSTRAINT payout_accounts_pkey PRIMARY KEY (provider_id);


--
-- Name: payout_accounts payout_accounts_stripe_account_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payout_accounts
    ADD CONSTRAINT payout_accounts_stripe_account_id_key UNIQUE (stripe_account_id);


--
-- Name: provider_tax_registrations provider_tax_registrations_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.provider_tax_registrations
    ADD CONSTRAINT provider_tax_registrations_pkey PRIMARY KEY (provider_id);


--
-- Name: providers providers_owner_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.providers
    ADD CONSTRAINT providers_owner_id_key UNIQUE (owner_id);


--
-- Name: providers providers_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.providers
    ADD CONSTRAINT providers_pkey PRIMARY KEY (id);


--
-- Name: quote_items quote_items_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quote_items
    ADD CONSTRAINT quote_items_pkey PRIMARY KEY (quote_id, provider_id);


--
-- Name: quote_items quote_items_quote_id_rank_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quote_items
    ADD CONSTRAINT quote_items_quote_id_rank_key UNIQUE (quote_id, rank);


--
-- Name: quotes quotes_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quotes
    ADD CONSTRAINT quotes_pkey PRIMARY KEY (id);


--
-- Name: ranking_versions ranking_versions_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.ranking_versions
    ADD CONSTRAINT ranking_versions_pkey PRIMARY KEY (version);


--
-- Name: refunds refunds_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.refunds
    ADD CONSTRAINT refunds_pkey PRIMARY KEY (id);


--
-- Name: refunds refunds_stripe_refund_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.refunds
    ADD CONSTRAINT refunds_stripe_refund_id_key UNIQUE (stripe_refund_id);


--
-- Name: reviews reviews_booking_id_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.reviews
    ADD CONSTRAINT reviews_booking_id_key UNIQUE (booking_id);


--
-- Name: reviews reviews_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.reviews
    ADD CONSTRAINT reviews_pkey PRIMARY KEY (id);


--
-- Name: service_categories service_categories_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.service_categories
    ADD CONSTRAINT service_categories_pkey PRIMARY KEY (id);


--
-- Name: service_categories service_categories_slug_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.service_categories
    ADD CONSTRAINT service_categories_slug_key UNIQUE (slug);


--
-- Name: services services_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.services
    ADD CONSTRAINT services_pkey PRIMARY KEY (id);


--
-- Name: stripe_events stripe_events_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.stripe_events
    ADD CONSTRAINT stripe_events_pkey PRIMARY KEY (id);


--
-- Name: time_off time_off_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.time_off
    ADD CONSTRAINT time_off_pkey PRIMARY KEY (id);


--
-- Name: time_off time_off_provider_id_during_excl; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.time_off
    ADD CONSTRAINT time_off_provider_id_during_excl EXCLUDE USING gist (provider_id WITH =, during WITH &&);


--
-- Name: users users_email_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_email_key UNIQUE (email);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: waitlist_entries waitlist_entries_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.waitlist_entries
    ADD CONSTRAINT waitlist_entries_pkey PRIMARY KEY (id);


--
-- Name: weekly_hours weekly_hours_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.weekly_hours
    ADD CONSTRAINT weekly_hours_pkey PRIMARY KEY (id);


--
-- Name: weekly_hours weekly_hours_provider_id_day_of_week_excl; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.weekly_hours
    ADD CONSTRAINT weekly_hours_provider_id_day_of_week_excl EXCLUDE USING gist (provider_id WITH =, day_of_week WITH =, tsrange(('2000-01-01'::date + start_time), ('2000-01-01'::date + end_time)) WITH &&);


--
-- Name: access_log access_log_pkey; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.access_log
    ADD CONSTRAINT access_log_pkey PRIMARY KEY (id);


--
-- Name: access_log access_log_request_id_key; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.access_log
    ADD CONSTRAINT access_log_request_id_key UNIQUE (request_id);


--
-- Name: action_log action_log_pkey; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.action_log
    ADD CONSTRAINT action_log_pkey PRIMARY KEY (id);


--
-- Name: credentials credentials_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.credentials
    ADD CONSTRAINT credentials_pkey PRIMARY KEY (user_id);


--
-- Name: login_attempts login_attempts_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.login_attempts
    ADD CONSTRAINT login_attempts_pkey PRIMARY KEY (id);


--
-- Name: one_time_tokens one_time_tokens_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.one_time_tokens
    ADD CONSTRAINT one_time_tokens_pkey PRIMARY KEY (id);


--
-- Name: one_time_tokens one_time_tokens_token_hash_key; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.one_time_tokens
    ADD CONSTRAINT one_time_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: rate_limits rate_limits_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.rate_limits
    ADD CONSTRAINT rate_limits_pkey PRIMARY KEY (bucket);


--
-- Name: refresh_tokens refresh_tokens_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id);


--
-- Name: refresh_tokens refresh_tokens_token_hash_key; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: internal; Owner: -
--

ALTER TABLE ONLY internal.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);


--
-- Name: a_notifications_dlq a_notifications_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_notifications_dlq
    ADD CONSTRAINT a_notifications_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: a_notifications a_notifications_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_notifications
    ADD CONSTRAINT a_notifications_pkey PRIMARY KEY (msg_id);


--
-- Name: a_payments_dlq a_payments_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_payments_dlq
    ADD CONSTRAINT a_payments_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: a_payments a_payments_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_payments
    ADD CONSTRAINT a_payments_pkey PRIMARY KEY (msg_id);


--
-- Name: meta meta_queue_name_key; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.meta
    ADD CONSTRAINT meta_queue_name_key UNIQUE (queue_name);


--
-- Name: notify_insert_throttle notify_insert_throttle_queue_name_key; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.notify_insert_throttle
    ADD CONSTRAINT notify_insert_throttle_queue_name_key UNIQUE (queue_name);


--
-- Name: q_notifications_dlq q_notifications_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_notifications_dlq
    ADD CONSTRAINT q_notifications_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: q_notifications q_notifications_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_notifications
    ADD CONSTRAINT q_notifications_pkey PRIMARY KEY (msg_id);


--
-- Name: q_payments_dlq q_payments_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_payments_dlq
    ADD CONSTRAINT q_payments_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: q_payments q_payments_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_payments
    ADD CONSTRAINT q_payments_pkey PRIMARY KEY (msg_id);


--
-- Name: topic_bindings topic_bindings_unique_pattern_queue; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.topic_bindings
    ADD CONSTRAINT topic_bindings_unique_pattern_queue UNIQUE (pattern, queue_name);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: analytics_booking_facts_hour_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX analytics_booking_facts_hour_idx ON app.analytics_booking_facts USING btree (hour);


--
-- Name: analytics_booking_facts_provider_id_hour_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX analytics_booking_facts_provider_id_hour_idx ON app.analytics_booking_facts USING btree (provider_id, hour);


--
-- Name: analytics_provider_hours_hour_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX analytics_provider_hours_hour_idx ON app.analytics_provider_hours USING btree (hour);


--
-- Name: balance_payments_marked_by_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX balance_payments_marked_by_idx ON app.balance_payments USING btree (marked_by);


--
-- Name: booking_fees_booking_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX booking_fees_booking_id_idx ON app.booking_fees USING btree (booking_id);


--
-- Name: booking_fees_payment_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX booking_fees_payment_id_idx ON app.booking_fees USING btree (payment_id);


--
-- Name: bookings_cancelled_by_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_cancelled_by_idx ON app.bookings USING btree (cancelled_by);


--
-- Name: bookings_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_created_at_idx ON app.bookings USING btree (created_at);


--
-- Name: bookings_customer_id_hold_expires_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_customer_id_hold_expires_at_idx ON app.bookings USING btree (customer_id, hold_expires_at) WHERE (status = 'pending_payment'::text);


--
-- Name: bookings_customer_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_customer_id_idx ON app.bookings USING btree (customer_id);


--
-- Name: bookings_held_from_hold_expires_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_held_from_hold_expires_at_idx ON app.bookings USING btree (held_from, hold_expires_at) WHERE ((status = 'pending_payment'::text) AND (held_from IS NOT NULL));


--
-- Name: bookings_provider_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_provider_id_idx ON app.bookings USING btree (provider_id);


--
-- Name: bookings_provider_id_starts_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_provider_id_starts_at_idx ON app.bookings USING btree (provider_id, lower(during), id);


--
-- Name: bookings_quote_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_quote_id_idx ON app.bookings USING btree (quote_id);


--
-- Name: bookings_service_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_service_id_idx ON app.bookings USING btree (service_id);


--
-- Name: bookings_starts_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_starts_at_idx ON app.bookings USING btree (lower(during), id);


--
-- Name: bookings_status_during_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_status_during_idx ON app.bookings USING btree (upper(during)) WHERE (status = 'confirmed'::text);


--
-- Name: bookings_status_hold_expires_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX bookings_status_hold_expires_at_idx ON app.bookings USING btree (hold_expires_at) WHERE (status = 'pending_payment'::text);


--
-- Name: commission_rates_updated_by_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX commission_rates_updated_by_idx ON app.commission_rates USING btree (updated_by);


--
-- Name: disputes_booking_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX disputes_booking_id_idx ON app.disputes USING btree (booking_id);


--
-- Name: disputes_opened_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX disputes_opened_at_idx ON app.disputes USING btree (opened_at);


--
-- Name: disputes_payment_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX disputes_payment_id_idx ON app.disputes USING btree (payment_id);


--
-- Name: events_availability_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX events_availability_idx ON app.events USING btree (id) WHERE (kind = 'availability_changed'::text);


--
-- Name: events_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX events_created_at_idx ON app.events USING btree (created_at);


--
-- Name: events_customer_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX events_customer_id_idx ON app.events USING btree (customer_id) WHERE (customer_id IS NOT NULL);


--
-- Name: events_provider_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX events_provider_id_idx ON app.events USING btree (provider_id) WHERE (provider_id IS NOT NULL);


--
-- Name: events_recipient_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX events_recipient_id_idx ON app.events USING btree (recipient_id) WHERE (recipient_id IS NOT NULL);


--
-- Name: idempotency_keys_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX idempotency_keys_created_at_idx ON app.idempotency_keys USING btree (created_at);


--
-- Name: notifications_recipient_id_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX notifications_recipient_id_created_at_idx ON app.notifications USING btree (recipient_id, created_at);


--
-- Name: payment_mismatches_booking_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX payment_mismatches_booking_id_idx ON app.payment_mismatches USING btree (booking_id);


--
-- Name: payment_mismatches_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX payment_mismatches_created_at_idx ON app.payment_mismatches USING btree (created_at);


--
-- Name: payment_mismatches_refund_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX payment_mismatches_refund_id_idx ON app.payment_mismatches USING btree (refund_id);


--
-- Name: providers_is_active_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX providers_is_active_idx ON app.providers USING btree (is_active);


--
-- Name: providers_location_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX providers_location_idx ON app.providers USING gist (location);


--
-- Name: providers_suspended_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX providers_suspended_at_idx ON app.providers USING btree (suspended_at) WHERE (suspended_at IS NOT NULL);


--
-- Name: providers_suspended_by_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX providers_suspended_by_idx ON app.providers USING btree (suspended_by);


--
-- Name: quote_items_provider_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX quote_items_provider_id_idx ON app.quote_items USING btree (provider_id);


--
-- Name: quote_items_service_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX quote_items_service_id_idx ON app.quote_items USING btree (service_id);


--
-- Name: quotes_category_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX quotes_category_id_idx ON app.quotes USING btree (category_id);


--
-- Name: quotes_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX quotes_created_at_idx ON app.quotes USING btree (created_at);


--
-- Name: quotes_customer_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX quotes_customer_id_idx ON app.quotes USING btree (customer_id);


--
-- Name: quotes_ranking_version_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX quotes_ranking_version_idx ON app.quotes USING btree (ranking_version);


--
-- Name: ranking_versions_is_active_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE UNIQUE INDEX ranking_versions_is_active_idx ON app.ranking_versions USING btree (is_active) WHERE is_active;


--
-- Name: refunds_booking_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX refunds_booking_id_idx ON app.refunds USING btree (booking_id);


--
-- Name: refunds_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX refunds_created_at_idx ON app.refunds USING btree (created_at);


--
-- Name: refunds_payment_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX refunds_payment_id_idx ON app.refunds USING btree (payment_id);


--
-- Name: refunds_requested_by_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX refunds_requested_by_idx ON app.refunds USING btree (requested_by);


--
-- Name: reviews_customer_id_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX reviews_customer_id_created_at_idx ON app.reviews USING btree (customer_id, created_at);


--
-- Name: reviews_hidden_by_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX reviews_hidden_by_idx ON app.reviews USING btree (hidden_by);


--
-- Name: reviews_provider_id_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX reviews_provider_id_created_at_idx ON app.reviews USING btree (provider_id, created_at DESC);


--
-- Name: services_category_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX services_category_id_idx ON app.services USING btree (category_id);


--
-- Name: services_category_id_price_cents_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX services_category_id_price_cents_idx ON app.services USING btree (category_id, price_cents) WHERE is_active;


--
-- Name: services_category_id_search_key_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX services_category_id_search_key_idx ON app.services USING gist (category_id, search_key extensions.gist_geometry_ops_nd) WHERE (search_key IS NOT NULL);


--
-- Name: services_is_active_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX services_is_active_idx ON app.services USING btree (is_active);


--
-- Name: services_provider_id_category_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX services_provider_id_category_id_idx ON app.services USING btree (provider_id, category_id);


--
-- Name: stripe_events_payment_intent_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX stripe_events_payment_intent_idx ON app.stripe_events USING btree (COALESCE((payload #>> '{data,object,payment_intent}'::text[]), (payload #>> '{data,object,id}'::text[])));


--
-- Name: stripe_events_type_received_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX stripe_events_type_received_at_idx ON app.stripe_events USING btree (type, received_at);


--
-- Name: users_created_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX users_created_at_idx ON app.users USING btree (created_at) WHERE (role = 'customer'::text);


--
-- Name: waitlist_entries_category_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX waitlist_entries_category_id_idx ON app.waitlist_entries USING btree (category_id) WHERE (status = 'active'::text);


--
-- Name: waitlist_entries_customer_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX waitlist_entries_customer_id_idx ON app.waitlist_entries USING btree (customer_id, created_at DESC);


--
-- Name: waitlist_entries_notified_booking_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX waitlist_entries_notified_booking_id_idx ON app.waitlist_entries USING btree (notified_booking_id);


--
-- Name: waitlist_entries_provider_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX waitlist_entries_provider_id_idx ON app.waitlist_entries USING btree (provider_id) WHERE (status = 'active'::text);


--
-- Name: waitlist_entries_service_id_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX waitlist_entries_service_id_idx ON app.waitlist_entries USING btree (service_id) WHERE (status = 'active'::text);


--
-- Name: access_log_occurred_at_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX access_log_occurred_at_idx ON audit.access_log USING btree (occurred_at);


--
-- Name: access_log_sub_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX access_log_sub_idx ON audit.access_log USING btree (sub);


--
-- Name: action_log_actor_id_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX action_log_actor_id_idx ON audit.action_log USING btree (actor_id);


--
-- Name: action_log_table_name_row_id_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX action_log_table_name_row_id_idx ON audit.action_log USING btree (table_name, row_id);


--
-- Name: login_attempts_client_addr_attempted_at_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX login_attempts_client_addr_attempted_at_idx ON auth.login_attempts USING btree (client_addr, attempted_at);


--
-- Name: login_attempts_email_attempted_at_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX login_attempts_email_attempted_at_idx ON auth.login_attempts USING btree (email, attempted_at);


--
-- Name: one_time_tokens_user_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX one_time_tokens_user_id_idx ON auth.one_time_tokens USING btree (user_id);


--
-- Name: rate_events_bucket_at_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX rate_events_bucket_at_idx ON auth.rate_events USING btree (bucket, at);


--
-- Name: refresh_tokens_family_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX refresh_tokens_family_id_idx ON auth.refresh_tokens USING btree (family_id);


--
-- Name: refresh_tokens_user_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX refresh_tokens_user_id_idx ON auth.refresh_tokens USING btree (user_id);


--
-- Name: sessions_user_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX sessions_user_id_idx ON auth.sessions USING btree (user_id);


--
-- Name: archived_at_idx_notifications; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_notifications ON pgmq.a_notifications USING btree (archived_at);


--
-- Name: archived_at_idx_notifications_dlq; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_notifications_dlq ON pgmq.a_notifications_dlq USING btree (archived_at);


--
-- Name: archived_at_idx_payments; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_payments ON pgmq.a_payments USING btree (archived_at);


--
-- Name: archived_at_idx_payments_dlq; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_payments_dlq ON pgmq.a_payments_dlq USING btree (archived_at);


--
-- Name: idx_notify_throttle_active; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX idx_notify_throttle_active ON pgmq.notify_insert_throttle USING btree (queue_name, last_notified_at) WHERE (throttle_interval_ms > 0);


--
-- Name: idx_topic_bindings_covering; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX idx_topic_bindings_covering ON pgmq.topic_bindings USING btree (pattern) INCLUDE (queue_name, compiled_regex);


--
-- Name: q_notifications_dlq_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_notifications_dlq_vt_idx ON pgmq.q_notifications_dlq USING btree (vt);


--
-- Name: q_notifications_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_notifications_vt_idx ON pgmq.q_notifications USING btree (vt);


--
-- Name: q_payments_dlq_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_payments_dlq_vt_idx ON pgmq.q_payments_dlq USING btree (vt);


--
-- Name: q_payments_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_payments_vt_idx ON pgmq.q_payments USING btree (vt);


--
-- Name: my_quote_offers _010_read_only; Type: TRIGGER; Schema: api; Owner: -
--

CREATE TRIGGER _010_read_only INSTEAD OF INSERT OR DELETE OR UPDATE ON api.my_quote_offers FOR EACH ROW EXECUTE FUNCTION internal.refuse_view_write();


--
-- Name: services _010_read_only; Type: TRIGGER; Schema: api; Owner: -
--

CREATE TRIGGER _010_read_only INSTEAD OF INSERT OR DELETE OR UPDATE ON api.services FOR EACH ROW EXECUTE FUNCTION internal.refuse_view_write();


--
-- Name: providers _010_refuse_while_suspended; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _010_refuse_while_suspended BEFORE UPDATE OF is_active ON app.providers FOR EACH ROW EXECUTE FUNCTION internal.providers_refuse_while_suspended();


--
-- Name: providers _050_default_owner; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _050_default_owner BEFORE INSERT ON app.providers FOR EACH ROW EXECUTE FUNCTION internal.default_owner();


--
-- Name: providers _050_initial_rating; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _050_initial_rating BEFORE INSERT ON app.providers FOR EACH ROW EXECUTE FUNCTION internal.providers_initial_rating();


--
-- Name: services _050_search_key; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _050_search_key BEFORE INSERT OR UPDATE OF provider_id, is_active, price_cents, search_key ON app.services FOR EACH ROW EXECUTE FUNCTION internal.service_search_key();


--
-- Name: reviews _050_weight; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _050_weight BEFORE INSERT OR UPDATE OF created_at ON app.reviews FOR EACH ROW EXECUTE FUNCTION internal.reviews_set_weight();


--
-- Name: events _100_append_only; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_append_only BEFORE UPDATE ON app.events FOR EACH STATEMENT EXECUTE FUNCTION internal.events_refuse_update();


--
-- Name: bookings _100_check_update; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_check_update BEFORE UPDATE ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.bookings_check_update();


--
-- Name: booking_fees _100_fee_total; Type: TRIGGER; Schema: app; Owner: -
--

CREATE CONSTRAINT TRIGGER _100_fee_total AFTER INSERT OR UPDATE OF amount_cents ON app.booking_fees DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION internal.booking_fees_check_total();


--
-- Name: refunds _100_refund_total; Type: TRIGGER; Schema: app; Owner: -
--

CREATE CONSTRAINT TRIGGER _100_refund_total AFTER INSERT OR UPDATE OF amount_cents, status ON app.refunds DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION internal.payments_check_refund_total();


--
-- Name: bookings _100_snapshot_taxes; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_snapshot_taxes BEFORE INSERT ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.bookings_snapshot_taxes();


--
-- Name: bookings _100_taxes_fixed; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_taxes_fixed BEFORE UPDATE ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.bookings_check_taxes();


--
-- Name: bookings _100_touch_updated_at; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_touch_updated_at BEFORE UPDATE ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.touch_updated_at();


--
-- Name: providers _100_touch_updated_at; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_touch_updated_at BEFORE UPDATE ON app.providers FOR EACH ROW EXECUTE FUNCTION internal.touch_updated_at();


--
-- Name: reviews _100_touch_updated_at; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_touch_updated_at BEFORE UPDATE ON app.reviews FOR EACH ROW EXECUTE FUNCTION internal.touch_updated_at();


--
-- Name: services _100_touch_updated_at; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _100_touch_updated_at BEFORE UPDATE ON app.services FOR EACH ROW EXECUTE FUNCTION internal.touch_updated_at();


--
-- Name: bookings _110_commission; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _110_commission BEFORE INSERT OR UPDATE ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.bookings_commission_snapshot();


--
-- Name: payments _110_destination; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _110_destination BEFORE INSERT ON app.payments FOR EACH ROW EXECUTE FUNCTION internal.payments_destination_snapshot();


--
-- Name: refunds _110_unwind; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _110_unwind BEFORE INSERT ON app.refunds FOR EACH ROW EXECUTE FUNCTION internal.refunds_unwind();


--
-- Name: providers _200_check_time_zones_inserted; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _200_check_time_zones_inserted AFTER INSERT ON app.providers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION internal.check_time_zones_inserted();


--
-- Name: providers _200_check_time_zones_updated; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _200_check_time_zones_updated AFTER UPDATE ON app.providers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION internal.check_time_zones_updated();


--
-- Name: providers _300_search_keys; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _300_search_keys AFTER UPDATE OF lat, lng, rating_count, rating_avg, provider_cancellation_rate, no_show_rate, is_active ON app.providers FOR EACH ROW WHEN ((((((((old.lat IS DISTINCT FROM new.lat) OR (old.lng IS DISTINCT FROM new.lng)) OR (old.rating_count IS DISTINCT FROM new.rating_count)) OR (old.rating_avg IS DISTINCT FROM new.rating_avg)) OR (old.provider_cancellation_rate IS DISTINCT FROM new.provider_cancellation_rate)) OR (old.no_show_rate IS DISTINCT FROM new.no_show_rate)) OR (old.is_active IS DISTINCT FROM new.is_active))) EXECUTE FUNCTION internal.provider_search_keys();


--
-- Name: providers _500_event_availability; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_availability AFTER UPDATE OF time_zone, is_active ON app.providers FOR EACH ROW WHEN (((old.time_zone IS DISTINCT FROM new.time_zone) OR (old.is_active IS DISTINCT FROM new.is_active))) EXECUTE FUNCTION internal.providers_append_events();


--
-- Name: services _500_event_availability; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_availability AFTER INSERT OR DELETE ON app.services FOR EACH ROW EXECUTE FUNCTION internal.services_append_events();


--
-- Name: time_off _500_event_availability; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_availability AFTER INSERT OR DELETE OR UPDATE ON app.time_off FOR EACH ROW EXECUTE FUNCTION internal.time_off_append_events();


--
-- Name: services _500_event_availability_changed; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_availability_changed AFTER UPDATE ON app.services FOR EACH ROW WHEN (((old.duration_minutes IS DISTINCT FROM new.duration_minutes) OR (old.buffer_before_minutes IS DISTINCT FROM new.buffer_before_minutes) OR (old.buffer_after_minutes IS DISTINCT FROM new.buffer_after_minutes) OR (old.min_notice_minutes IS DISTINCT FROM new.min_notice_minutes) OR (old.max_days_ahead IS DISTINCT FROM new.max_days_ahead) OR (old.is_active IS DISTINCT FROM new.is_active) OR (old.provider_id IS DISTINCT FROM new.provider_id))) EXECUTE FUNCTION internal.services_append_events();


--
-- Name: weekly_hours _500_event_availability_delete; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_availability_delete AFTER DELETE ON app.weekly_hours REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION internal.weekly_hours_delete_events();


--
-- Name: weekly_hours _500_event_availability_insert; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_availability_insert AFTER INSERT ON app.weekly_hours REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION internal.weekly_hours_insert_events();


--
-- Name: weekly_hours _500_event_availability_update; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_availability_update AFTER UPDATE ON app.weekly_hours REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION internal.weekly_hours_update_events();


--
-- Name: bookings _500_event_changed; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_changed AFTER UPDATE ON app.bookings FOR EACH ROW WHEN (((old.status IS DISTINCT FROM new.status) OR (old.during IS DISTINCT FROM new.during) OR (old.blocked IS DISTINCT FROM new.blocked))) EXECUTE FUNCTION internal.bookings_append_events();


--
-- Name: bookings _500_event_created; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_created AFTER INSERT ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.bookings_append_events();


--
-- Name: notifications _500_event_created; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_created AFTER INSERT ON app.notifications FOR EACH ROW EXECUTE FUNCTION internal.notifications_append_event();


--
-- Name: refunds _500_event_refunded; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_event_refunded AFTER UPDATE OF status ON app.refunds FOR EACH ROW WHEN (((old.status IS DISTINCT FROM 'succeeded'::text) AND (new.status = 'succeeded'::text))) EXECUTE FUNCTION internal.refunds_append_event();


--
-- Name: bookings _500_notify_cache; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_notify_cache AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON app.bookings FOR EACH STATEMENT EXECUTE FUNCTION internal.notify_cache_change('slots');


--
-- Name: providers _500_notify_cache; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_notify_cache AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON app.providers FOR EACH STATEMENT EXECUTE FUNCTION internal.notify_cache_change('catalog');


--
-- Name: service_categories _500_notify_cache; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_notify_cache AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON app.service_categories FOR EACH STATEMENT EXECUTE FUNCTION internal.notify_cache_change('catalog');


--
-- Name: services _500_notify_cache; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_notify_cache AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON app.services FOR EACH STATEMENT EXECUTE FUNCTION internal.notify_cache_change('catalog');


--
-- Name: time_off _500_notify_cache; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_notify_cache AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON app.time_off FOR EACH STATEMENT EXECUTE FUNCTION internal.notify_cache_change('slots');


--
-- Name: weekly_hours _500_notify_cache; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_notify_cache AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON app.weekly_hours FOR EACH STATEMENT EXECUTE FUNCTION internal.notify_cache_change('slots');


--
-- Name: reviews _500_rating; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_rating AFTER INSERT OR DELETE OR UPDATE OF stars, weight, created_at, hidden_at, provider_id ON app.reviews FOR EACH ROW EXECUTE FUNCTION internal.reviews_apply_rating();


--
-- Name: bookings _500_receipt; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_receipt AFTER UPDATE OF status ON app.bookings FOR EACH ROW WHEN (((old.status = 'pending_payment'::text) AND (new.status = 'confirmed'::text))) EXECUTE FUNCTION internal.bookings_receipt();


--
-- Name: bookings _500_reliability; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _500_reliability AFTER INSERT OR DELETE OR UPDATE OF status, provider_id ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.bookings_reliability();


--
-- Name: services _510_analytics_category; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_category AFTER UPDATE ON app.services FOR EACH ROW WHEN ((old.category_id IS DISTINCT FROM new.category_id)) EXECUTE FUNCTION internal.analytics_service_category_changed();


--
-- Name: booking_fees _510_analytics_insert; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_insert AFTER INSERT OR DELETE ON app.booking_fees FOR EACH ROW EXECUTE FUNCTION internal.analytics_booking_row_changed();


--
-- Name: bookings _510_analytics_insert; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_insert AFTER INSERT OR DELETE ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.analytics_booking_changed();


--
-- Name: payments _510_analytics_insert; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_insert AFTER INSERT OR DELETE ON app.payments FOR EACH ROW EXECUTE FUNCTION internal.analytics_booking_row_changed();


--
-- Name: refunds _510_analytics_insert; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_insert AFTER INSERT OR DELETE ON app.refunds FOR EACH ROW EXECUTE FUNCTION internal.analytics_booking_row_changed();


--
-- Name: booking_fees _510_analytics_update; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_update AFTER UPDATE ON app.booking_fees FOR EACH ROW WHEN (((old.amount_cents IS DISTINCT FROM new.amount_cents) OR (old.booking_id IS DISTINCT FROM new.booking_id))) EXECUTE FUNCTION internal.analytics_booking_row_changed();


--
-- Name: bookings _510_analytics_update; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_update AFTER UPDATE ON app.bookings FOR EACH ROW WHEN (((old.status IS DISTINCT FROM new.status) OR (old.during IS DISTINCT FROM new.during) OR (old.service_id IS DISTINCT FROM new.service_id) OR (old.provider_id IS DISTINCT FROM new.provider_id) OR (old.price_cents IS DISTINCT FROM new.price_cents) OR (old.currency IS DISTINCT FROM new.currency) OR (old.created_at IS DISTINCT FROM new.created_at) OR (old.cancelled_at IS DISTINCT FROM new.cancelled_at) OR (old.cancelled_by_role IS DISTINCT FROM new.cancelled_by_role) OR (old.cancel_notice_hours IS DISTINCT FROM new.cancel_notice_hours))) EXECUTE FUNCTION internal.analytics_booking_changed();


--
-- Name: payments _510_analytics_update; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_update AFTER UPDATE ON app.payments FOR EACH ROW WHEN (((old.captured_cents IS DISTINCT FROM new.captured_cents) OR (old.amount_cents IS DISTINCT FROM new.amount_cents) OR (old.status IS DISTINCT FROM new.status) OR (old.booking_id IS DISTINCT FROM new.booking_id))) EXECUTE FUNCTION internal.analytics_booking_row_changed();


--
-- Name: refunds _510_analytics_update; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _510_analytics_update AFTER UPDATE ON app.refunds FOR EACH ROW WHEN (((old.amount_cents IS DISTINCT FROM new.amount_cents) OR (old.status IS DISTINCT FROM new.status) OR (old.booking_id IS DISTINCT FROM new.booking_id))) EXECUTE FUNCTION internal.analytics_booking_row_changed();


--
-- Name: bookings _600_waitlist_freed; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _600_waitlist_freed AFTER UPDATE OF status ON app.bookings FOR EACH ROW WHEN (((old.status = ANY (ARRAY['pending_payment'::text, 'confirmed'::text])) AND (new.status = ANY (ARRAY['cancelled'::text, 'expired'::text])))) EXECUTE FUNCTION internal.waitlist_on_booking_freed();


--
-- Name: bookings _900_audit; Type: TRIGGER; Schema: app; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT OR UPDATE ON app.bookings FOR EACH ROW EXECUTE FUNCTION internal.bookings_audit();


--
-- Name: balance_payments balance_payments_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.balance_payments
    ADD CONSTRAINT balance_payments_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES app.bookings(id) ON DELETE CASCADE;


--
-- Name: balance_payments balance_payments_marked_by_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.balance_payments
    ADD CONSTRAINT balance_payments_marked_by_fkey FOREIGN KEY (marked_by) REFERENCES app.users(id) ON DELETE SET NULL;


--
-- Name: booking_fees booking_fees_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.booking_fees
    ADD CONSTRAINT booking_fees_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES app.bookings(id) ON DELETE CASCADE;


--
-- Name: booking_fees booking_fees_payment_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.booking_fees
    ADD CONSTRAINT booking_fees_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES app.payments(id) ON DELETE CASCADE;


--
-- Name: bookings bookings_cancelled_by_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.bookings
    ADD CONSTRAINT bookings_cancelled_by_fkey FOREIGN KEY (cancelled_by) REFERENCES app.users(id) ON DELETE SET NULL;


--
-- Name: bookings bookings_customer_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.bookings
    ADD CONSTRAINT bookings_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES app.users(id) ON DELETE RESTRICT;


--
-- Name: bookings bookings_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.bookings
    ADD CONSTRAINT bookings_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE RESTRICT;


--
-- Name: bookings bookings_quote_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.bookings
    ADD CONSTRAINT bookings_quote_id_fkey FOREIGN KEY (quote_id) REFERENCES app.quotes(id) ON DELETE SET NULL;


--
-- Name: bookings bookings_service_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.bookings
    ADD CONSTRAINT bookings_service_id_fkey FOREIGN KEY (service_id) REFERENCES app.services(id) ON DELETE RESTRICT;


--
-- Name: commission_rates commission_rates_category_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.commission_rates
    ADD CONSTRAINT commission_rates_category_id_fkey FOREIGN KEY (category_id) REFERENCES app.service_categories(id) ON DELETE CASCADE;


--
-- Name: commission_rates commission_rates_updated_by_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.commission_rates
    ADD CONSTRAINT commission_rates_updated_by_fkey FOREIGN KEY (updated_by) REFERENCES app.users(id) ON DELETE SET NULL;


--
-- Name: disputes disputes_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.disputes
    ADD CONSTRAINT disputes_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES app.bookings(id) ON DELETE CASCADE;


--
-- Name: disputes disputes_payment_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.disputes
    ADD CONSTRAINT disputes_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES app.payments(id) ON DELETE CASCADE;


--
-- Name: idempotency_keys idempotency_keys_customer_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.idempotency_keys
    ADD CONSTRAINT idempotency_keys_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: notification_preferences notification_preferences_user_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.notification_preferences
    ADD CONSTRAINT notification_preferences_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: notifications notifications_recipient_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.notifications
    ADD CONSTRAINT notifications_recipient_id_fkey FOREIGN KEY (recipient_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: payment_mismatches payment_mismatches_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payment_mismatches
    ADD CONSTRAINT payment_mismatches_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES app.bookings(id) ON DELETE CASCADE;


--
-- Name: payment_mismatches payment_mismatches_payment_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payment_mismatches
    ADD CONSTRAINT payment_mismatches_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES app.payments(id) ON DELETE CASCADE;


--
-- Name: payment_mismatches payment_mismatches_refund_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payment_mismatches
    ADD CONSTRAINT payment_mismatches_refund_id_fkey FOREIGN KEY (refund_id) REFERENCES app.refunds(id) ON DELETE SET NULL;


--
-- Name: payments payments_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payments
    ADD CONSTRAINT payments_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES app.bookings(id) ON DELETE CASCADE;


--
-- Name: payout_accounts payout_accounts_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.payout_accounts
    ADD CONSTRAINT payout_accounts_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: provider_tax_registrations provider_tax_registrations_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.provider_tax_registrations
    ADD CONSTRAINT provider_tax_registrations_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: providers providers_owner_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.providers
    ADD CONSTRAINT providers_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: providers providers_suspended_by_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.providers
    ADD CONSTRAINT providers_suspended_by_fkey FOREIGN KEY (suspended_by) REFERENCES app.users(id) ON DELETE SET NULL;


--
-- Name: quote_items quote_items_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quote_items
    ADD CONSTRAINT quote_items_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: quote_items quote_items_quote_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quote_items
    ADD CONSTRAINT quote_items_quote_id_fkey FOREIGN KEY (quote_id) REFERENCES app.quotes(id) ON DELETE CASCADE;


--
-- Name: quote_items quote_items_service_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quote_items
    ADD CONSTRAINT quote_items_service_id_fkey FOREIGN KEY (service_id) REFERENCES app.services(id) ON DELETE CASCADE;


--
-- Name: quotes quotes_category_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quotes
    ADD CONSTRAINT quotes_category_id_fkey FOREIGN KEY (category_id) REFERENCES app.service_categories(id) ON DELETE RESTRICT;


--
-- Name: quotes quotes_customer_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quotes
    ADD CONSTRAINT quotes_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: quotes quotes_ranking_version_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.quotes
    ADD CONSTRAINT quotes_ranking_version_fkey FOREIGN KEY (ranking_version) REFERENCES app.ranking_versions(version) ON DELETE RESTRICT;


--
-- Name: refunds refunds_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.refunds
    ADD CONSTRAINT refunds_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES app.bookings(id) ON DELETE CASCADE;


--
-- Name: refunds refunds_payment_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.refunds
    ADD CONSTRAINT refunds_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES app.payments(id) ON DELETE CASCADE;


--
-- Name: refunds refunds_requested_by_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.refunds
    ADD CONSTRAINT refunds_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES app.users(id) ON DELETE SET NULL;


--
-- Name: reviews reviews_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.reviews
    ADD CONSTRAINT reviews_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES app.bookings(id) ON DELETE CASCADE;


--
-- Name: reviews reviews_customer_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.reviews
    ADD CONSTRAINT reviews_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: reviews reviews_hidden_by_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.reviews
    ADD CONSTRAINT reviews_hidden_by_fkey FOREIGN KEY (hidden_by) REFERENCES app.users(id) ON DELETE SET NULL;


--
-- Name: reviews reviews_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.reviews
    ADD CONSTRAINT reviews_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: services services_category_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.services
    ADD CONSTRAINT services_category_id_fkey FOREIGN KEY (category_id) REFERENCES app.service_categories(id) ON DELETE RESTRICT;


--
-- Name: services services_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.services
    ADD CONSTRAINT services_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: time_off time_off_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.time_off
    ADD CONSTRAINT time_off_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: waitlist_entries waitlist_entries_category_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.waitlist_entries
    ADD CONSTRAINT waitlist_entries_category_id_fkey FOREIGN KEY (category_id) REFERENCES app.service_categories(id) ON DELETE CASCADE;


--
-- Name: waitlist_entries waitlist_entries_customer_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.waitlist_entries
    ADD CONSTRAINT waitlist_entries_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: waitlist_entries waitlist_entries_notified_booking_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.waitlist_entries
    ADD CONSTRAINT waitlist_entries_notified_booking_id_fkey FOREIGN KEY (notified_booking_id) REFERENCES app.bookings(id) ON DELETE SET NULL;


--
-- Name: waitlist_entries waitlist_entries_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.waitlist_entries
    ADD CONSTRAINT waitlist_entries_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: waitlist_entries waitlist_entries_service_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.waitlist_entries
    ADD CONSTRAINT waitlist_entries_service_id_fkey FOREIGN KEY (service_id) REFERENCES app.services(id) ON DELETE CASCADE;


--
-- Name: weekly_hours weekly_hours_provider_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.weekly_hours
    ADD CONSTRAINT weekly_hours_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES app.providers(id) ON DELETE CASCADE;


--
-- Name: credentials credentials_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.credentials
    ADD CONSTRAINT credentials_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: one_time_tokens one_time_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.one_time_tokens
    ADD CONSTRAINT one_time_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: refresh_tokens refresh_tokens_family_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_family_id_fkey FOREIGN KEY (family_id) REFERENCES auth.sessions(id) ON DELETE CASCADE;


--
-- Name: refresh_tokens refresh_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: notify_insert_throttle notify_insert_throttle_meta_queue_name_fk; Type: FK CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.notify_insert_throttle
    ADD CONSTRAINT notify_insert_throttle_meta_queue_name_fk FOREIGN KEY (queue_name) REFERENCES pgmq.meta(queue_name) ON DELETE CASCADE;


--
-- Name: topic_bindings topic_bindings_meta_queue_name_fk; Type: FK CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.topic_bindings
    ADD CONSTRAINT topic_bindings_meta_queue_name_fk FOREIGN KEY (queue_name) REFERENCES pgmq.meta(queue_name) ON DELETE CASCADE;


--
-- Name: analytics_booking_facts; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.analytics_booking_facts ENABLE ROW LEVEL SECURITY;

--
-- Name: analytics_days; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.analytics_days ENABLE ROW LEVEL SECURITY;

--
-- Name: analytics_deltas; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.analytics_deltas ENABLE ROW LEVEL SECURITY;

--
-- Name: analytics_hours; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.analytics_hours ENABLE ROW LEVEL SECURITY;

--
-- Name: analytics_provider_hours; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.analytics_provider_hours ENABLE ROW LEVEL SECURITY;

--
-- Name: balance_payments; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.balance_payments ENABLE ROW LEVEL SECURITY;

--
-- Name: booking_fees; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.booking_fees ENABLE ROW LEVEL SECURITY;

--
-- Name: bookings; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.bookings ENABLE ROW LEVEL SECURITY;

--
-- Name: commission_rates; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.commission_rates ENABLE ROW LEVEL SECURITY;

--
-- Name: services delete_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY delete_provider_own ON app.services FOR DELETE TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY delete_provider_own ON services; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY delete_provider_own ON app.services IS 'A provider account deletes only the services of the provider it owns.';


--
-- Name: time_off delete_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY delete_provider_own ON app.time_off FOR DELETE TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY delete_provider_own ON time_off; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY delete_provider_own ON app.time_off IS 'A provider account deletes only the time off of the provider it owns.';


--
-- Name: weekly_hours delete_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY delete_provider_own ON app.weekly_hours FOR DELETE TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY delete_provider_own ON weekly_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY delete_provider_own ON app.weekly_hours IS 'A provider account deletes only the weekly hours of the provider it owns.';


--
-- Name: disputes; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.disputes ENABLE ROW LEVEL SECURITY;

--
-- Name: events; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;

--
-- Name: idempotency_keys; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.idempotency_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: notification_preferences insert_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY insert_own ON app.notification_preferences FOR INSERT TO customer, provider, ops WITH CHECK ((user_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY insert_own ON notification_preferences; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY insert_own ON app.notification_preferences IS 'A signed-in person records preferences for themselves only.';


--
-- Name: providers insert_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY insert_provider_own ON app.providers FOR INSERT TO provider WITH CHECK ((owner_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY insert_provider_own ON providers; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY insert_provider_own ON app.providers IS 'A provider account creates a profile only for itself.';


--
-- Name: services insert_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY insert_provider_own ON app.services FOR INSERT TO provider WITH CHECK ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY insert_provider_own ON services; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY insert_provider_own ON app.services IS 'A provider account creates services only for the provider it owns.';


--
-- Name: time_off insert_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY insert_provider_own ON app.time_off FOR INSERT TO provider WITH CHECK ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY insert_provider_own ON time_off; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY insert_provider_own ON app.time_off IS 'A provider account adds time off only to the provider it owns.';


--
-- Name: weekly_hours insert_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY insert_provider_own ON app.weekly_hours FOR INSERT TO provider WITH CHECK ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY insert_provider_own ON weekly_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY insert_provider_own ON app.weekly_hours IS 'A provider account adds weekly hours only to the provider it owns.';


--
-- Name: notification_preferences; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.notification_preferences ENABLE ROW LEVEL SECURITY;

--
-- Name: notifications; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.notifications ENABLE ROW LEVEL SECURITY;

--
-- Name: payment_mismatches; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.payment_mismatches ENABLE ROW LEVEL SECURITY;

--
-- Name: payments; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.payments ENABLE ROW LEVEL SECURITY;

--
-- Name: payout_accounts; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.payout_accounts ENABLE ROW LEVEL SECURITY;

--
-- Name: provider_tax_registrations; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.provider_tax_registrations ENABLE ROW LEVEL SECURITY;

--
-- Name: providers; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.providers ENABLE ROW LEVEL SECURITY;

--
-- Name: quote_items; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.quote_items ENABLE ROW LEVEL SECURITY;

--
-- Name: quotes; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.quotes ENABLE ROW LEVEL SECURITY;

--
-- Name: ranking_versions; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.ranking_versions ENABLE ROW LEVEL SECURITY;

--
-- Name: refunds; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.refunds ENABLE ROW LEVEL SECURITY;

--
-- Name: reviews; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.reviews ENABLE ROW LEVEL SECURITY;

--
-- Name: events select_anon; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_anon ON app.events FOR SELECT TO anon USING ((kind = 'availability_changed'::text));


--
-- Name: POLICY select_anon ON events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_anon ON app.events IS 'Anonymous callers read public availability events only.';


--
-- Name: events select_customer; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_customer ON app.events FOR SELECT TO customer USING (((kind = 'availability_changed'::text) OR (customer_id = ( SELECT auth.uid() AS uid)) OR (recipient_id = ( SELECT auth.uid() AS uid))));


--
-- Name: POLICY select_customer ON events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_customer ON app.events IS 'A customer reads availability, the events of its own bookings and of its own notifications.';


--
-- Name: reviews select_customer; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_customer ON app.reviews FOR SELECT TO customer USING (((hidden_at IS NULL) OR (customer_id = ( SELECT auth.uid() AS uid))));


--
-- Name: POLICY select_customer ON reviews; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_customer ON app.reviews IS 'A customer reads the published reviews, and its own reviews even when hidden.';


--
-- Name: service_categories select_everyone; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_everyone ON app.service_categories FOR SELECT TO anon, customer, provider, ops USING (true);


--
-- Name: POLICY select_everyone ON service_categories; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_everyone ON app.service_categories IS 'Everyone, anonymous callers included, reads every category.';


--
-- Name: analytics_days select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.analytics_days FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON analytics_days; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.analytics_days IS 'Ops staff read the daily rollup across providers (the overview).';


--
-- Name: analytics_deltas select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.analytics_deltas FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON analytics_deltas; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.analytics_deltas IS 'Ops staff read the deltas across providers (the overview).';


--
-- Name: analytics_hours select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.analytics_hours FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON analytics_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.analytics_hours IS 'Ops staff read the hourly rollup across providers (the overview).';


--
-- Name: analytics_provider_hours select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.analytics_provider_hours FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON analytics_provider_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.analytics_provider_hours IS 'Ops staff read every provider''s rollup rows.';


--
-- Name: balance_payments select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.balance_payments FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON balance_payments; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.balance_payments IS 'Ops staff read every booking''s balance payment.';


--
-- Name: booking_fees select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.booking_fees FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON booking_fees; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.booking_fees IS 'Ops staff read every fee.';


--
-- Name: bookings select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.bookings FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON bookings; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.bookings IS 'Ops staff read every booking.';


--
-- Name: disputes select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.disputes FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON disputes; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.disputes IS 'Ops staff read every card dispute.';


--
-- Name: events select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.events FOR SELECT TO ops USING (((kind <> 'notification_created'::text) OR (recipient_id = ( SELECT auth.uid() AS uid))));


--
-- Name: POLICY select_ops ON events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.events IS 'Ops staff read every booking and availability event, and the events of their own notifications.';


--
-- Name: payment_mismatches select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.payment_mismatches FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON payment_mismatches; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.payment_mismatches IS 'Ops staff read every payment that did not match its booking.';


--
-- Name: payments select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.payments FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON payments; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.payments IS 'Ops staff read every payment.';


--
-- Name: provider_tax_registrations select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.provider_tax_registrations FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON provider_tax_registrations; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.provider_tax_registrations IS 'Ops staff read every provider''s sales-tax registration.';


--
-- Name: providers select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.providers FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON providers; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.providers IS 'Ops staff read every provider.';


--
-- Name: quote_items select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.quote_items FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON quote_items; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.quote_items IS 'Ops staff read every offer.';


--
-- Name: quotes select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.quotes FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON quotes; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.quotes IS 'Ops staff read every quote.';


--
-- Name: refunds select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.refunds FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON refunds; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.refunds IS 'Ops staff read every refund.';


--
-- Name: reviews select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.reviews FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON reviews; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.reviews IS 'Ops staff read every review, hidden ones included.';


--
-- Name: services select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.services FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON services; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.services IS 'Ops staff read every service.';


--
-- Name: stripe_events select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.stripe_events FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON stripe_events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.stripe_events IS 'Ops staff read received Stripe events.';


--
-- Name: time_off select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.time_off FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON time_off; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.time_off IS 'Ops staff read the time off of every provider.';


--
-- Name: users select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.users FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.users IS 'Ops staff read every account.';


--
-- Name: weekly_hours select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.weekly_hours FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON weekly_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.weekly_hours IS 'Ops staff read the weekly hours of every provider.';


--
-- Name: booking_fees select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.booking_fees FOR SELECT TO customer USING ((booking_id IN ( SELECT b.id
   FROM app.bookings b
  WHERE (b.customer_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_own ON booking_fees; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.booking_fees IS 'A customer reads the fees of its own bookings.';


--
-- Name: bookings select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.bookings FOR SELECT TO customer USING ((customer_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_own ON bookings; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.bookings IS 'A customer reads only its own bookings.';


--
-- Name: notification_preferences select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.notification_preferences FOR SELECT TO customer, provider, ops USING ((user_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_own ON notification_preferences; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.notification_preferences IS 'A signed-in person reads their own preferences.';


--
-- Name: notifications select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.notifications FOR SELECT TO customer, provider, ops USING ((recipient_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_own ON notifications; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.notifications IS 'A signed-in person reads the notifications sent to them.';


--
-- Name: payments select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.payments FOR SELECT TO customer USING ((booking_id IN ( SELECT b.id
   FROM app.bookings b
  WHERE (b.customer_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_own ON payments; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.payments IS 'A customer reads the payments of its own bookings.';


--
-- Name: quote_items select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.quote_items FOR SELECT TO customer USING ((quote_id IN ( SELECT q.id
   FROM app.quotes q
  WHERE (q.customer_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_own ON quote_items; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.quote_items IS 'A customer reads only the offers of its own quotes.';


--
-- Name: quotes select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.quotes FOR SELECT TO customer USING ((customer_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_own ON quotes; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.quotes IS 'A customer reads only the quotes it asked for.';


--
-- Name: refunds select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.refunds FOR SELECT TO customer USING ((booking_id IN ( SELECT b.id
   FROM app.bookings b
  WHERE (b.customer_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_own ON refunds; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.refunds IS 'A customer reads the refunds of its own bookings.';


--
-- Name: users select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.users FOR SELECT TO customer, provider, ops USING ((id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_own ON users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.users IS 'A signed-in user reads their own account.';


--
-- Name: waitlist_entries select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.waitlist_entries FOR SELECT TO customer USING ((customer_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_own ON waitlist_entries; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.waitlist_entries IS 'A customer reads its own waitlist entries, no one else''s.';


--
-- Name: events select_provider; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider ON app.events FOR SELECT TO provider USING (((kind = 'availability_changed'::text) OR (recipient_id = ( SELECT auth.uid() AS uid)) OR (provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid))))));


--
-- Name: POLICY select_provider ON events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider ON app.events IS 'A provider account reads availability, the events of its own provider''s bookings and of its own notifications.';


--
-- Name: reviews select_provider; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider ON app.reviews FOR SELECT TO provider USING ((hidden_at IS NULL));


--
-- Name: POLICY select_provider ON reviews; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider ON app.reviews IS 'A provider account reads the published reviews.';


--
-- Name: analytics_provider_hours select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.analytics_provider_hours FOR SELECT TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON analytics_provider_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.analytics_provider_hours IS 'A provider account reads the rollup rows of its own provider only.';


--
-- Name: booking_fees select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.booking_fees FOR SELECT TO provider USING ((booking_id IN ( SELECT b.id
   FROM (app.bookings b
     JOIN app.providers p ON ((b.provider_id = p.id)))
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON booking_fees; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.booking_fees IS 'A provider reads the fees of its own bookings.';


--
-- Name: bookings select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.bookings FOR SELECT TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON bookings; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.bookings IS 'A provider account reads only the bookings of the provider it owns.';


--
-- Name: payments select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.payments FOR SELECT TO provider USING ((booking_id IN ( SELECT b.id
   FROM (app.bookings b
     JOIN app.providers p ON ((b.provider_id = p.id)))
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON payments; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.payments IS 'A provider reads the payments of its own bookings.';


--
-- Name: providers select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.providers FOR SELECT TO provider USING ((owner_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_provider_own ON providers; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.providers IS 'A provider account reads only the provider profile it owns.';


--
-- Name: refunds select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.refunds FOR SELECT TO provider USING ((booking_id IN ( SELECT b.id
   FROM (app.bookings b
     JOIN app.providers p ON ((b.provider_id = p.id)))
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON refunds; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.refunds IS 'A provider reads the refunds of its own bookings.';


--
-- Name: services select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.services FOR SELECT TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON services; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.services IS 'A provider account reads only the services of the provider it owns.';


--
-- Name: time_off select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.time_off FOR SELECT TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON time_off; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.time_off IS 'A provider account reads only the time off of the provider it owns.';


--
-- Name: weekly_hours select_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_provider_own ON app.weekly_hours FOR SELECT TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY select_provider_own ON weekly_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_provider_own ON app.weekly_hours IS 'A provider account reads only the weekly hours of the provider it owns.';


--
-- Name: providers select_public; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_public ON app.providers FOR SELECT TO anon, customer USING (is_active);


--
-- Name: POLICY select_public ON providers; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_public ON app.providers IS 'Anonymous callers and customers read active providers (and only their public columns, by grant).';


--
-- Name: reviews select_public; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_public ON app.reviews FOR SELECT TO anon USING ((hidden_at IS NULL));


--
-- Name: POLICY select_public ON reviews; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_public ON app.reviews IS 'Anonymous callers read the reviews moderation has not hidden.';


--
-- Name: services select_public; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_public ON app.services FOR SELECT TO anon, customer USING ((is_active AND (provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE p.is_active))));


--
-- Name: POLICY select_public ON services; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_public ON app.services IS 'Anonymous callers and customers read active services of active providers.';


--
-- Name: service_categories; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.service_categories ENABLE ROW LEVEL SECURITY;

--
-- Name: services; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.services ENABLE ROW LEVEL SECURITY;

--
-- Name: stripe_events; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.stripe_events ENABLE ROW LEVEL SECURITY;

--
-- Name: time_off; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.time_off ENABLE ROW LEVEL SECURITY;

--
-- Name: notification_preferences update_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY update_own ON app.notification_preferences FOR UPDATE TO customer, provider, ops USING ((user_id = ( SELECT auth.uid() AS uid))) WITH CHECK ((user_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY update_own ON notification_preferences; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY update_own ON app.notification_preferences IS 'A signed-in person changes their own preferences only.';


--
-- Name: users update_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY update_own ON app.users FOR UPDATE TO customer, provider, ops USING ((id = ( SELECT auth.uid() AS uid))) WITH CHECK ((id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY update_own ON users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY update_own ON app.users IS 'A signed-in user edits their own profile fields.';


--
-- Name: providers update_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY update_provider_own ON app.providers FOR UPDATE TO provider USING ((owner_id = ( SELECT auth.uid() AS uid))) WITH CHECK ((owner_id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY update_provider_own ON providers; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY update_provider_own ON app.providers IS 'A provider account edits only the profile it owns.';


--
-- Name: services update_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY update_provider_own ON app.services FOR UPDATE TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid))))) WITH CHECK ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY update_provider_own ON services; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY update_provider_own ON app.services IS 'A provider account edits only the services of the provider it owns.';


--
-- Name: time_off update_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY update_provider_own ON app.time_off FOR UPDATE TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid))))) WITH CHECK ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY update_provider_own ON time_off; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY update_provider_own ON app.time_off IS 'A provider account edits only the time off of the provider it owns.';


--
-- Name: weekly_hours update_provider_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY update_provider_own ON app.weekly_hours FOR UPDATE TO provider USING ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid))))) WITH CHECK ((provider_id IN ( SELECT p.id
   FROM app.providers p
  WHERE (p.owner_id = ( SELECT auth.uid() AS uid)))));


--
-- Name: POLICY update_provider_own ON weekly_hours; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY update_provider_own ON app.weekly_hours IS 'A provider account edits only the weekly hours of the provider it owns.';


--
-- Name: users; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;

--
-- Name: waitlist_entries; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.waitlist_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: weekly_hours; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.weekly_hours ENABLE ROW LEVEL SECURITY;

--
-- Name: access_log; Type: ROW SECURITY; Schema: audit; Owner: -
--

ALTER TABLE audit.access_log ENABLE ROW LEVEL SECURITY;

--
-- Name: action_log; Type: ROW SECURITY; Schema: audit; Owner: -
--

ALTER TABLE audit.action_log ENABLE ROW LEVEL SECURITY;

--
-- Name: access_log insert_worker; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY insert_worker ON audit.access_log FOR INSERT TO bookiji_worker WITH CHECK (true);


--
-- Name: POLICY insert_worker ON access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY insert_worker ON audit.access_log IS 'The log shipper appends rows; nobody updates or deletes them.';


--
-- Name: access_log select_ops; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY select_ops ON audit.access_log FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY select_ops ON audit.access_log IS 'Ops staff read the access log.';


--
-- Name: action_log select_ops; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY select_ops ON audit.action_log FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON action_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY select_ops ON audit.action_log IS 'Ops staff read the whole audit trail.';


--
-- Name: access_log select_worker; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY select_worker ON audit.access_log FOR SELECT TO bookiji_worker USING (true);


--
-- Name: POLICY select_worker ON access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY select_worker ON audit.access_log IS 'The shipper''s on-conflict check sees existing rows (only the request_id column is granted).';


--
-- Name: credentials; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.credentials ENABLE ROW LEVEL SECURITY;

--
-- Name: login_attempts; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.login_attempts ENABLE ROW LEVEL SECURITY;

--
-- Name: one_time_tokens; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.one_time_tokens ENABLE ROW LEVEL SECURITY;

--
-- Name: rate_events; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.rate_events ENABLE ROW LEVEL SECURITY;

--
-- Name: rate_limits; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.rate_limits ENABLE ROW LEVEL SECURITY;

--
-- Name: refresh_tokens; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.refresh_tokens ENABLE ROW LEVEL SECURITY;

--
-- Name: sessions; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.sessions ENABLE ROW LEVEL SECURITY;

--
-- Name: settings; Type: ROW SECURITY; Schema: internal; Owner: -
--

ALTER TABLE internal.settings ENABLE ROW LEVEL SECURITY;

--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261124000001'),
    ('20261124000002'),
    ('20261124000003'),
    ('20261124010000'),
    ('20261124010100'),
    ('20261124011000'),
    ('20261124020000'),
    ('20261124020100'),
    ('20261124020200'),
    ('20261124020300'),
    ('20261124020400'),
    ('20261124020500'),
    ('20261124020600'),
    ('20261124029000'),
    ('20261124030000'),
    ('20261124030100'),
    ('20261124049800'),
    ('20261124049900'),
    ('20261124080000'),
    ('20261124090000'),
    ('20261125000000'),
    ('20261126000000'),
    ('20261202030001'),
    ('20261202030002'),
    ('20261202030003'),
    ('20261202050001'),
    ('20261202070000'),
    ('20261202070100'),
    ('20261202070200'),
    ('20261202070300'),
    ('20261202072000'),
    ('20261202072100'),
    ('20261202072200'),
    ('20261202080000'),
    ('20261203020000'),
    ('20261203030000'),
    ('20261203030100'),
    ('20261203030200'),
    ('20261203040000'),
    ('20261203040100'),
    ('20261203070000'),
    ('20261203080000'),
    ('20261203080100'),
    ('20261203100000'),
    ('20261203110000'),
    ('20261204010000');
