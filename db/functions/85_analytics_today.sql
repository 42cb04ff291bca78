-- Today's counters (docs/analytics.md): a snapshot the dashboard reads again on each
-- booking event of the real-time stream (docs/realtime.md), so the figures move as
-- bookings are made, paid, cancelled and refunded, with no job counting them.
--
--   internal.analytics_today_made
--                         the bookings made in a range and their money: across providers from
--                         the rollup by hour made (80_analytics_rollups.sql), else counted
--   api.analytics_today   bookings made since local midnight, their money, refunds asked
--                         today, live holds; for ops also the queues' depth

create or replace function internal.analytics_today_zone(p_tz text)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    if p_tz is null or p_tz !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$' or pg_catalog.length(p_tz) > 64 then
        perform internal.fail('invalid_input', 'tz must be a time zone name such as America/Toronto');
    end if;
    perform pg_catalog.now() at time zone p_tz;
    return p_tz;
exception when invalid_parameter_value then
    perform internal.fail('invalid_input', 'tz must be a time zone name such as America/Toronto');
end
$$;
comment on function internal.analytics_today_zone(text) is
'Check a time zone name for today''s counters (any IANA zone: one whose midnight is not a whole UTC hour counts '
'the bookings instead of reading the rollup by hour made).';

-- The work queues' depth and the dead letters, for ops; nulls for anyone else. Each queue is
-- counted up to 10,000 messages (an index-only range of its msg_id key, stopped there): a
-- backlog is when ops look at this, and pgmq.metrics counted every message of it on every load
-- of the counters (a 100,000-message backlog: ~50 ms of CPU each time). depth_exact (dead_exact)
-- is false when a work queue (a dead-letter queue) held more: that sum is then a floor.
-- api.queue_stats keeps the full metrics.
drop function if exists internal.analytics_queue_depth();
create or replace function internal.analytics_queue_depth()
returns table (depth bigint, dead bigint, depth_exact boolean, dead_exact boolean)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_cap constant bigint := 10000;
    v_name text;
    v_n bigint;
begin
    if auth.role() is distinct from 'ops' then
        return query select null::bigint, null::bigint, null::boolean, null::boolean;
        return;
    end if;
    depth := 0;
    dead := 0;
    depth_exact := true;
    dead_exact := true;
    foreach v_name in array internal.queue_names() loop
        execute pg_catalog.format(
            'select pg_catalog.count(*) from (select from pgmq.%I limit $1) as m', 'q_' || v_name
        ) into v_n using v_cap + 1;
        depth := depth + least(v_n, v_cap);
        depth_exact := depth_exact and v_n <= v_cap;
        execute pg_catalog.format(
            'select pg_catalog.count(*) from (select from pgmq.%I limit $1) as m', 'q_' || v_name || '_dlq'
        ) into v_n using v_cap + 1;
        dead := dead + least(v_n, v_cap);
        dead_exact := dead_exact and v_n <= v_cap;
    end loop;
    return next;
end
$$;
comment on function internal.analytics_queue_depth() is
'Messages waiting in the work queues and in their dead-letter queues, each queue counted up to 10,000 '
'(depth_exact, dead_exact false past that: that sum is a floor), for ops (nulls for another role). '
'Definer: reads pgmq''s queue tables, which only ops'' own wrappers may, for today''s counters that providers call too.';

-- The bookings made in [p_from, p_to) (one provider's, or every provider's for null) and their
-- money. Every provider's, over whole UTC hours (a zone whose midnight is one: every zone with
-- whole-hour offsets): the rollup by hour made (app.analytics_created_hours, with the deltas not
-- folded yet), a few rows an hour whatever the bookings; otherwise the bookings themselves.
-- PL/pgSQL: only the branch taken runs (an SQL union would plan and gate both).
create or replace function internal.analytics_today_made(p_subject uuid, p_from timestamptz, p_to timestamptz)
returns table (made bigint, paid bigint, cancelled bigint, booked_cents bigint, captured_cents bigint)
language plpgsql
stable
set search_path = ''
as $$
begin
    if p_subject is null
        and pg_catalog.date_trunc('hour', p_from, 'UTC') = p_from
        and pg_catalog.date_trunc('hour', p_to, 'UTC') = p_to then
        return query
        select
            coalesce(pg_catalog.sum(r.bookings), 0)::bigint,
            coalesce(pg_catalog.sum(r.bookings) filter (where r.status in ('confirmed', 'completed', 'no_show')), 0)::bigint,
            coalesce(pg_catalog.sum(r.bookings) filter (where r.status = 'cancelled'), 0)::bigint,
            coalesce(pg_catalog.sum(r.booked_cents) filter (
                where r.status in ('confirmed', 'completed', 'no_show')
            ), 0)::bigint,
            coalesce(pg_catalog.sum(r.captured_cents), 0)::bigint
        from (
            select x.status, x.bookings, x.booked_cents, x.captured_cents
            from app.analytics_created_hours as x
            where x.hour >= p_from and x.hour < p_to
            union all
            select x.status, x.bookings, x.booked_cents, x.captured_cents
            from app.analytics_deltas as x
            where x.created_hour >= p_from and x.created_hour < p_to
        ) as r;
        return;
    end if;
    -- one provider's: its bookings (the provider's index), in a statement of its own. Written
    -- as one statement with "p_subject is null or", the generic plan PL/pgSQL settles on after
    -- five calls of a backend (PostgREST's pooled connections) could not use the provider's
    -- index and read every booking made today across providers (10,000 providers: 3 -> 40 ms)
    if p_subject is not null then
        return query
        select
            pg_catalog.count(*),
            pg_catalog.count(*) filter (where b.status in ('confirmed', 'completed', 'no_show')),
            pg_catalog.count(*) filter (where b.status = 'cancelled'),
            coalesce(pg_catalog.sum(b.price_cents) filter (
                where b.status in ('confirmed', 'completed', 'no_show')
            ), 0)::bigint,
            coalesce(pg_catalog.sum((
                select pg_catalog.sum(y.captured_cents) from app.payments as y where y.booking_id = b.id
            )), 0)::bigint
        from app.bookings as b
        where b.provider_id = p_subject and b.created_at >= p_from and b.created_at < p_to;
        return;
    end if;
    return query
    select
        pg_catalog.count(*),
        pg_catalog.count(*) filter (where b.status in ('confirmed', 'completed', 'no_show')),
        pg_catalog.count(*) filter (where b.status = 'cancelled'),
        coalesce(pg_catalog.sum(b.price_cents) filter (
            where b.status in ('confirmed', 'completed', 'no_show')
        ), 0)::bigint,
        coalesce(pg_catalog.sum((
            select pg_catalog.sum(y.captured_cents) from app.payments as y where y.booking_id = b.id
        )), 0)::bigint
    from app.bookings as b
    where b.created_at >= p_from and b.created_at < p_to;
end
$$;
comment on function internal.analytics_today_made(uuid, timestamptz, timestamptz) is
'The bookings made in [p_from, p_to), one provider''s or (null) every provider''s: how many, how many now paid or '
'cancelled, the list prices of the paid ones, what their payments captured; across providers over whole UTC hours '
'from the rollup by hour made.';

drop function if exists api.analytics_today(text, uuid);
-- The counters, read by api.analytics_today (an invoker: the caller's row-level security applies).
-- PL/pgSQL with one kept generic plan: as the body of a language sql function (with SET, never
-- inlined) the whole query was planned on every call, 1.4-2.1 ms of planning against 1.4-4 ms of
-- execution (10,000 providers, in one connection). Its values cannot shape the plan anyway: the
-- caller's subject and the day are computed inside the query.
create or replace function internal.analytics_today_counters(p_tz text, p_provider_id uuid)
returns table (
    day_start timestamptz,
    day_end timestamptz,
    tz_name text,
    as_of timestamptz,
    bookings_made bigint,
    bookings_paid bigint,
    bookings_cancelled bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunds_requested bigint,
    refunded_cents bigint,
    live_holds bigint,
    queue_depth bigint,
    dead_letters bigint,
    queue_depth_exact boolean,
    dead_letters_exact boolean
)
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    with subject as (
        select internal.analytics_subject(p_provider_id, false) as id
    ),
    zone as (
        select internal.analytics_today_zone(coalesce(
            p_tz,
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
        select m.*
        from subject, d, lateral internal.analytics_today_made(subject.id, d.day_start, d.day_end) as m
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
        select q.depth, q.dead, q.depth_exact, q.dead_exact from internal.analytics_queue_depth() as q
    )
    select
        d.day_start, d.day_end, d.tz, pg_catalog.now(), made.made, made.paid, made.cancelled,
        made.booked_cents, made.captured_cents, refunds.requested, refunds.refunded, holds.live,
        queues.depth, queues.dead, queues.depth_exact, queues.dead_exact
    from d, made, refunds, holds, queues;
end
$$;
comment on function internal.analytics_today_counters(text, uuid) is
'Today''s counters for api.analytics_today (its inputs and columns; tz_name is its tz), under the caller''s row-level '
'security.';

create or replace function api.analytics_today(tz text default null, provider_id uuid default null)
returns table (
    day_start timestamptz,
    day_end timestamptz,
    tz text,
    as_of timestamptz,
    bookings_made bigint,
    bookings_paid bigint,
    bookings_cancelled bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunds_requested bigint,
    refunded_cents bigint,
    live_holds bigint,
    queue_depth bigint,
    dead_letters bigint,
    queue_depth_exact boolean,
    dead_letters_exact boolean
)
language sql
stable
set search_path = ''
as $$
    select * from internal.analytics_today_counters(analytics_today.tz, analytics_today.provider_id)
$$;
comment on function api.analytics_today(text, uuid) is
$$Today's counters: bookings made since local midnight and their money, refunds asked today, live holds, queues.

Inputs: tz (any IANA zone; default the provider's own zone, or UTC for ops across providers),
provider_id (ops: optional, one provider's counters; a provider: omit it or give its own).
One row: day_start and day_end (today in tz, as instants), as_of (the snapshot's time), bookings_made
(created today, every status), bookings_paid (of those, now confirmed, completed or no-show),
bookings_cancelled, booked_cents (list prices of the paid ones), captured_cents (what their payments
captured), refunds_requested (refunds asked today, every status) and refunded_cents (of those, the
succeeded amounts), live_holds (holds awaiting payment that have not lapsed, whatever their day),
queue_depth and dead_letters (messages waiting in the work queues and in the dead-letter queues; ops
only, null for a provider), queue_depth_exact and dead_letters_exact (false when one of those queues
held more than 10,000 messages: each queue is counted up to 10,000, so that figure is then a floor;
GET /rpc/queue_stats has the full counts). The web app reads it again on every booking event of /realtime.
Errors: 400 invalid_input naming tz; 403 forbidden (another provider's id, or a customer); 404
not_found (no such provider, or no provider profile).$$;
