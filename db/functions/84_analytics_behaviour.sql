-- Customer behaviour (docs/analytics.md), for ops: the funnel from quote to
-- completed booking, and retention by sign-up week, over a bounded range (92 and
-- 183 days). The funnel's quotes come from their rollup by UTC hour and category
-- (app.analytics_quote_hours and the deltas not folded yet), its later steps from each
-- quote's first booking (app.analytics_quote_bookings) and that booking's payment; the
-- cohorts' sizes from the customers' users.created_at index, their activity from the
-- customers' cohort weeks (app.analytics_customer_weeks, 81_analytics_audience.sql), not
-- from their bookings.
--
--   (internal.analytics_live_quote_bookings, 80_analytics_rollups.sql: each quote's first
--   booking from the base tables, the one definition the refresh, rebuild and drift read)
--   internal.analytics_quote_booking_refresh(quote)
--                                     recompute one quote's first booking into the rollup
--   triggers (_520_analytics_funnel_*)
--                                     quotes (a delta of quotes, the first booking's copy of
--                                     the quote) and bookings (the quote's first booking)
--   api.analytics_funnel              quote -> confirm -> paid -> completed: counts,
--                                     drop-off, median minutes between steps
--   internal.analytics_cohort_activity
--                                     per cohort week and week after it, the customers
--                                     who booked (definer: ops, through the next)
--   api.analytics_cohorts             customers by sign-up week, and the share who booked
--                                     in each later week
--   api.analytics_customers           new and returning customers per bucket (each
--                                     customer's first booking, 81_analytics_audience.sql)

-- The key of the lock under which a quote's first booking changes (the recount below, and a new
-- payment's status written into the quote's row).
create or replace function internal.analytics_quote_lock_key(p_quote_id uuid)
returns bigint
language sql
immutable
parallel safe
-- no SET clause: inlined where it is called
as $$
    select pg_catalog.hashtextextended('bookiji.analytics:quote:' || p_quote_id::text, 0)
$$;
comment on function internal.analytics_quote_lock_key(uuid) is
'The advisory lock key of a quote''s first booking in the funnel''s rollup.';

-- Under a transaction-scoped advisory lock on the quote, so two bookings of one quote made at
-- once queue and the second reads the first (READ COMMITTED: each statement sees what is
-- committed when it starts).
create or replace function internal.analytics_quote_booking_refresh(p_quote_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_first internal.analytics_live_quote_bookings;  -- the view's row (the table's adds the minutes)
begin
    perform pg_catalog.pg_advisory_xact_lock(internal.analytics_quote_lock_key(p_quote_id));
    -- one index probe: bookings_quote_id_created_at_id_idx is in the view's order
    select l.* into v_first from internal.analytics_live_quote_bookings as l where l.quote_id = p_quote_id limit 1;
    if v_first.quote_id is null then
        delete from app.analytics_quote_bookings as f where f.quote_id = p_quote_id;
    else
        insert into app.analytics_quote_bookings as f (
            quote_id, quoted_at, category_id, booking_id, booked_at, status, updated_at, payment_status,
            payment_updated_at
        )
        values (
            v_first.quote_id, v_first.quoted_at, v_first.category_id, v_first.booking_id, v_first.booked_at,
            v_first.status, v_first.updated_at, v_first.payment_status, v_first.payment_updated_at
        )
        on conflict (quote_id) do update set
            quoted_at = excluded.quoted_at,
            category_id = excluded.category_id,
            booking_id = excluded.booking_id,
            booked_at = excluded.booked_at,
            status = excluded.status,
            updated_at = excluded.updated_at,
            payment_status = excluded.payment_status,
            payment_updated_at = excluded.payment_updated_at
        where f is distinct from excluded;
    end if;
end
$$;
comment on function internal.analytics_quote_booking_refresh(uuid) is
'Recompute one quote''s first booking (internal.analytics_live_quote_bookings) into app.analytics_quote_bookings. '
'Definer: called by the triggers on quotes, bookings and payments only.';

-- A booking made from a quote, removed, or changed (its quote, when it was made, its status or
-- anything else: its last change is part of the row).
create or replace function internal.analytics_funnel_booking_changed()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' then
        -- a new booking (the confirm's hold) of a quote with no other booking: the quote's first,
        -- and no payment can name it yet, so its row is its own columns with the quote's time and
        -- category (the view's, without the view's join); with another (made before, or loaded
        -- while the triggers were off), the recount
        perform pg_catalog.pg_advisory_xact_lock(internal.analytics_quote_lock_key(new.quote_id));
        if exists (select from app.bookings as b where b.quote_id = new.quote_id and b.id <> new.id) then
            perform internal.analytics_quote_booking_refresh(new.quote_id);
            return null;
        end if;
        insert into app.analytics_quote_bookings as f (
            quote_id, quoted_at, category_id, booking_id, booked_at, status, updated_at, payment_status,
            payment_updated_at
        )
        select new.quote_id, q.created_at, q.category_id, new.id, new.created_at, new.status, new.updated_at, null, null
        from app.quotes as q
        where q.id = new.quote_id
        on conflict (quote_id) do update set
            quoted_at = excluded.quoted_at,
            category_id = excluded.category_id,
            booking_id = excluded.booking_id,
            booked_at = excluded.booked_at,
            status = excluded.status,
            updated_at = excluded.updated_at,
            payment_status = excluded.payment_status,
            payment_updated_at = excluded.payment_updated_at;
        return null;
    end if;
    if old.quote_id is not null then
        perform internal.analytics_quote_booking_refresh(old.quote_id);
    end if;
    if tg_op = 'UPDATE' and new.quote_id is not null and new.quote_id is distinct from old.quote_id then
        perform internal.analytics_quote_booking_refresh(new.quote_id);
    end if;
    return null;
end
$$;
comment on function internal.analytics_funnel_booking_changed() is
'Trigger on app.bookings: a booking made from a quote, removed or changed recomputes that quote''s first '
'booking (the funnel). Definer: no API role writes the rollup.';

-- A payment of a booking made from a quote: its status and last change are the funnel's
-- "paid" step.
create or replace function internal.analytics_funnel_payment_changed()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_quote_id uuid;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        select b.quote_id into v_quote_id from app.bookings as b where b.id = old.booking_id;
        if v_quote_id is not null then
            perform internal.analytics_quote_booking_refresh(v_quote_id);
        end if;
    end if;
    if tg_op = 'INSERT' then
        -- a new payment (the confirm's): its booking has no other (payments_booking_id_key), so
        -- the quote's row takes its status and time when that booking is the quote's first, and
        -- is unchanged when the row names another booking (an earlier one); the full recount
        -- only when the quote has no row (its bookings loaded without the triggers)
        select b.quote_id into v_quote_id from app.bookings as b where b.id = new.booking_id;
        if v_quote_id is not null then
            perform pg_catalog.pg_advisory_xact_lock(internal.analytics_quote_lock_key(v_quote_id));
            update app.analytics_quote_bookings as f set
                payment_status = new.status,
                payment_updated_at = new.updated_at
            where f.quote_id = v_quote_id and f.booking_id = new.booking_id;
            if not found and not exists (
                select from app.analytics_quote_bookings as f where f.quote_id = v_quote_id
            ) then
                perform internal.analytics_quote_booking_refresh(v_quote_id);
            end if;
        end if;
    elsif tg_op = 'UPDATE' and new.booking_id is distinct from old.booking_id then
        select b.quote_id into v_quote_id from app.bookings as b where b.id = new.booking_id;
        if v_quote_id is not null then
            perform internal.analytics_quote_booking_refresh(v_quote_id);
        end if;
    end if;
    return null;
end
$$;
comment on function internal.analytics_funnel_payment_changed() is
'Trigger on app.payments: a payment of a booking made from a quote, added, removed or changed, recomputes that '
'quote''s first booking (the funnel''s paid step). Definer: no API role writes the rollup.';

drop trigger if exists _520_analytics_funnel_insert on app.bookings;
create trigger _520_analytics_funnel_insert after insert on app.bookings
for each row when (new.quote_id is not null)
execute function internal.analytics_funnel_booking_changed();
drop trigger if exists _520_analytics_funnel_delete on app.bookings;
create trigger _520_analytics_funnel_delete after delete on app.bookings
for each row when (old.quote_id is not null)
execute function internal.analytics_funnel_booking_changed();
drop trigger if exists _520_analytics_funnel_update on app.bookings;
create trigger _520_analytics_funnel_update after update on app.bookings
for each row when (old.quote_id is not null or new.quote_id is not null)
execute function internal.analytics_funnel_booking_changed();

drop trigger if exists _520_analytics_funnel_insert on app.payments;
create trigger _520_analytics_funnel_insert after insert on app.payments
for each row execute function internal.analytics_funnel_payment_changed();
drop trigger if exists _520_analytics_funnel_delete on app.payments;
create trigger _520_analytics_funnel_delete after delete on app.payments
for each row execute function internal.analytics_funnel_payment_changed();
drop trigger if exists _520_analytics_funnel_update on app.payments;
create trigger _520_analytics_funnel_update after update on app.payments
for each row when (
    old.status is distinct from new.status or old.updated_at is distinct from new.updated_at
    or old.booking_id is distinct from new.booking_id
)
execute function internal.analytics_funnel_payment_changed();

-- A quote asked (one more in its hour and category), removed (one fewer, and its first booking
-- goes), or moved to another hour or category (one from the old key to the new, and the first
-- booking's copy of the quote follows). Appended, never an update of a shared counter row:
-- a quote takes no lock another quote waits for.
create or replace function internal.analytics_funnel_quote_changed()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        insert into app.analytics_quote_deltas (hour, category_id, quotes)
        values (pg_catalog.date_trunc('hour', old.created_at, 'UTC'), old.category_id, -1);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into app.analytics_quote_deltas (hour, category_id, quotes)
        values (pg_catalog.date_trunc('hour', new.created_at, 'UTC'), new.category_id, 1);
    end if;
    if tg_op = 'DELETE' then
        delete from app.analytics_quote_bookings as f where f.quote_id = old.id;
    elsif tg_op = 'UPDATE' then
        perform internal.analytics_quote_booking_refresh(new.id);
    end if;
    return null;
end
$$;
comment on function internal.analytics_funnel_quote_changed() is
'Trigger on app.quotes: a quote asked, removed, or moved to another hour or category appends its difference to '
'app.analytics_quote_deltas and keeps its first booking''s copy (the funnel). Definer: no API role writes them.';

drop trigger if exists _520_analytics_funnel_insert on app.quotes;
create trigger _520_analytics_funnel_insert after insert on app.quotes
for each row execute function internal.analytics_funnel_quote_changed();
drop trigger if exists _520_analytics_funnel_delete on app.quotes;
create trigger _520_analytics_funnel_delete after delete on app.quotes
for each row execute function internal.analytics_funnel_quote_changed();
drop trigger if exists _520_analytics_funnel_update on app.quotes;
create trigger _520_analytics_funnel_update after update of created_at, category_id on app.quotes
for each row when (old.created_at is distinct from new.created_at or old.category_id is distinct from new.category_id)
execute function internal.analytics_funnel_quote_changed();

create or replace function api.analytics_funnel(
    "from" date default null,
    "to" date default null,
    tz text default 'UTC',
    category text default null
)
returns table (
    step integer,
    name text,
    quotes bigint,
    share_of_quotes numeric,
    share_of_previous numeric,
    drop_off bigint,
    median_minutes_from_previous numeric
)
language sql
stable
set search_path = ''
as $$
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
    k as (
        select k.id from app.service_categories as k where k.slug = analytics_funnel.category
    ),
    -- the quotes of the range: whole UTC hours (the zone's offsets are whole hours,
    -- internal.analytics_window), from the rollup and the deltas not folded yet
    quoted as (
        select coalesce(pg_catalog.sum(x.quotes), 0)::bigint as n
        from (
            select h.quotes, h.category_id
            from app.analytics_quote_hours as h, w
            where h.hour >= w.from_ts and h.hour < w.to_ts
            union all
            select d.quotes, d.category_id
            from app.analytics_quote_deltas as d, w
            where d.hour >= w.from_ts and d.hour < w.to_ts
        ) as x
        where analytics_funnel.category is null or x.category_id = (select k.id from k)
    ),
    -- the three steps in one pass over the range's first bookings, by an index-only scan of
    -- their minutes (kept in each row: migration 20261219100000). paid: the booking's payment
    -- succeeded (when it last changed), or nothing was due and it was confirmed at once (no
    -- payment; a booking has at most one, payments_booking_id_key); completed: paid, then
    -- completed. A step's minutes are null for a row that did not reach it, and count() and
    -- percentile_cont skip nulls
    a as (
        select
            pg_catalog.count(*) as confirmed,
            pg_catalog.percentile_cont(0.5) within group (order by f.confirm_minutes) as confirmed_median,
            pg_catalog.count(f.paid_minutes) as paid,
            pg_catalog.percentile_cont(0.5) within group (order by f.paid_minutes) as paid_median,
            pg_catalog.count(f.completed_minutes) as completed,
            pg_catalog.percentile_cont(0.5) within group (order by f.completed_minutes) as completed_median
        from app.analytics_quote_bookings as f
        inner join w on f.quoted_at >= w.from_ts and f.quoted_at < w.to_ts
        where analytics_funnel.category is null or f.category_id = (select k.id from k)
    ),
    steps as (
        select s.*
        from quoted, a, lateral (
            values
            (1, 'quote', quoted.n, null::double precision),
            (2, 'confirm', a.confirmed, a.confirmed_median),
            (3, 'paid', a.paid, a.paid_median),
            (4, 'completed', a.completed, a.completed_median)
        ) as s (step, name, n, median)
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
comment on function api.analytics_funnel(date, date, text, text) is
$$The booking funnel (ops only): quotes asked in the range, and how many went on to each step.

Inputs: from and to (local dates in tz, both included, at most 92 days), tz (default UTC; offsets in
whole hours), category (a category slug; default all).
Steps: quote (quotes created in the range), confirm (of those, quotes that became a booking), paid
(that booking's payment succeeded, or it was free and confirmed at once), completed (it was then
completed). Each row: quotes (how many reached the step), share_of_quotes, share_of_previous,
drop_off (lost since the previous step), median_minutes_from_previous (quote to booking; booking to
payment, its last change; payment to completion, the booking's last change). The quotes from their
rollup by hour, each quote's first booking (its status and its payment's kept with it) from its
rollup: equal to a recount of the base tables. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or category; 403 forbidden for any role but ops.$$;

-- Per cohort week (the local week of the sign-up, for customers who signed up in
-- [p_from, p_to)) and week after it (0 = the sign-up week, up to p_weeks), how many of its
-- customers made a booking that did not lapse unpaid. From the cohort weeks: per customer and
-- UTC week it booked in, the first and last UTC hour it booked in, each row carrying the sign-up
-- hour, so the read walks one index range by sign-up hour and visits neither accounts nor
-- bookings, one row per customer and week however often it booked. Exact in the zone: its
-- offsets are whole hours (internal.analytics_window), so local weeks start on whole UTC hours,
-- a UTC week meets at most two of them, and the first hour is in the earlier one the customer
-- booked in, the last hour in the later (migration 20261217100000).
-- The local weeks are converted once, into the instants their Mondays start; each hour finds its
-- week in that sorted array (width_bucket: a binary search) rather than being converted into the
-- zone. Each customer's weeks become one bit mask of the weeks after its sign-up it was active
-- in (grouped by customer, not the distinct customer x week pairs hashed), the customers of a
-- cohort counted per mask, and each cohort's counts are those masks' bits (17,069 weeks of a
-- month's sign-ups at 10,000 providers with a year of bookings, 78,042 hours before: 33 -> 5 ms).
create or replace function internal.analytics_cohort_activity(
    p_from timestamptz, p_to timestamptz, p_tz text, p_weeks integer
)
returns table (cohort_week date, week_offset integer, active_customers bigint)
language sql
stable
security definer
set search_path = ''
as $$
    with weeks as (
        -- from the first sign-up week to one past the last one's last counted week: an hour
        -- past the last start is in the array's last bucket, more than p_weeks after any cohort
        select
            pg_catalog.array_agg(d.d at time zone p_tz order by d.d) as starts,
            pg_catalog.min(d.d)::date as first_week
        from pg_catalog.generate_series(
            pg_catalog.date_trunc('week', p_from at time zone p_tz),
            pg_catalog.date_trunc('week', p_to at time zone p_tz) + pg_catalog.make_interval(weeks => p_weeks + 1),
            interval '1 week'
        ) as d (d)
    ),
    -- each row's three weeks computed once (offset 0: not pulled up into the masks' expressions,
    -- where each would be called again for every use, 3 to 6 times a row)
    h as (
        select
            h.signup_hour,
            h.customer_id,
            pg_catalog.width_bucket(h.signup_hour, w.starts) as c,
            pg_catalog.width_bucket(h.first_hour, w.starts) as f,
            pg_catalog.width_bucket(h.last_hour, w.starts) as l
        from app.analytics_customer_weeks as h, weeks as w
        where h.signup_hour >= p_from and h.signup_hour < p_to
        offset 0
    ),
    -- bit k: active k weeks after the sign-up week (p_weeks is at most 26); a week outside them
    -- (before the sign-up week: the 8 days kept before a sign-up) is left out before the hash
    masks as (
        select
            h.c,
            pg_catalog.bit_or(
                case when h.f - h.c between 0 and p_weeks then 1 << (h.f - h.c) else 0 end
                | case when h.l - h.c between 0 and p_weeks then 1 << (h.l - h.c) else 0 end
            ) as active
        from h
        where h.f - h.c between 0 and p_weeks or h.l - h.c between 0 and p_weeks
        group by h.signup_hour, h.customer_id, h.c
    ),
    -- the customers of a cohort with the same weeks: a few masks to take apart, not a customer each
    alike as (
        select m.c, m.active, pg_catalog.count(*) as customers
        from masks as m
        group by m.c, m.active
    )
    select w.first_week + 7 * (a.c - 1), k.k, pg_catalog.sum(a.customers)::bigint
    from alike as a
    cross join weeks as w
    cross join pg_catalog.generate_series(0, p_weeks) as k (k)
    where a.active & (1 << k.k) <> 0
    group by a.c, k.k, w.first_week
$$;
comment on function internal.analytics_cohort_activity(timestamptz, timestamptz, text, integer) is
'Per cohort week (customers who signed up in [p_from, p_to), by local week in p_tz) and week after it (0 to '
'p_weeks), the customers who made a booking that did not lapse unpaid, from app.analytics_customer_weeks. '
'Definer: no API role reads the cohort weeks; granted to ops, for api.analytics_cohorts, which checks the role.';

create or replace function api.analytics_cohorts(
    "from" date default null,
    "to" date default null,
    tz text default 'UTC',
    weeks integer default 8
)
returns table (
    cohort_week date,
    customers bigint,
    week_offset integer,
    active_customers bigint,
    retention numeric
)
language sql
stable
set search_path = ''
as $$
    select internal.require_role('ops', 'only ops staff may read customer cohorts');
    select internal.fail('invalid_input', 'weeks must be between 1 and 26')
    where analytics_cohorts.weeks is null or analytics_cohorts.weeks not between 1 and 26;
    with w as (
        select w.*
        from internal.analytics_window(analytics_cohorts."from", analytics_cohorts."to", analytics_cohorts.tz,
            'week', 183) as w
    ),
    -- each local week's sign-ups: one range of the customers' index on created_at per week, not
    -- each customer's week computed in tz (20,000 sign-ups: 13 -> 4 ms)
    sizes as materialized (
        select k.d::date as cohort_week, c.n
        from w
        cross join lateral pg_catalog.generate_series(
            pg_catalog.date_trunc('week', w.from_ts at time zone w.tz), w.to_ts at time zone w.tz, interval '1 week'
        ) as k (d)
        cross join lateral (
            select pg_catalog.count(*) as n
            from app.users as u
            where
                u.role = 'customer'
                and u.created_at >= greatest(k.d at time zone w.tz, w.from_ts)
                and u.created_at < least((k.d + interval '1 week') at time zone w.tz, w.to_ts)
        ) as c
        where c.n > 0
    ),
    active as (
        select x.cohort_week, x.week_offset as k, x.active_customers as a
        from w, internal.analytics_cohort_activity(w.from_ts, w.to_ts, w.tz, analytics_cohorts.weeks) as x
    )
    select
        s.cohort_week, s.n, k.k, coalesce(a.a, 0), pg_catalog.round(coalesce(a.a, 0)::numeric / s.n, 4)
    from sizes as s
    cross join pg_catalog.generate_series(0, analytics_cohorts.weeks) as k (k)
    left join active as a on s.cohort_week = a.cohort_week and k.k = a.k
    order by s.cohort_week, k.k
$$;
comment on function api.analytics_cohorts(date, date, text, integer) is
$$Customer retention by sign-up week (ops only).

Inputs: from and to (local dates in tz, both included, at most 183 days: customers who signed up then),
tz (default UTC; offsets in whole hours), weeks (how many weeks after sign-up, 1-26, default 8).
Each row: cohort_week (the Monday of the local sign-up week), customers (signed up that week, within
from..to), week_offset (0 = the sign-up week), active_customers (of them, those who made a booking that
did not lapse unpaid in that week), retention (active_customers / customers). Sizes counted from the
accounts, activity from the customers' cohort weeks kept on write (equal to a recount of the bookings).
Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or weeks; 403 forbidden for any role but ops.$$;

-- New and returning customers per bucket: the bookings that count (confirmed, completed,
-- no-show) by start, from the rollups (internal.analytics_series), and those that are their
-- customer's first (app.analytics_first_hours and its deltas: each customer's first booking,
-- app.analytics_customer_firsts of 81_analytics_audience.sql, counted per UTC start hour and
-- category). Every other counted booking is a returning customer's. Both are sums:
-- exact for any range and bucket, where a count of distinct customers would need every
-- booking of the range. With a category: its counted bookings, and the first bookings made in
-- it (the categories that bring customers in); every other counted booking of the category is a
-- customer's who had booked before, in it or in another.
drop function if exists api.analytics_customers(date, date, text, text);
create or replace function api.analytics_customers(
    "from" date default null,
    "to" date default null,
    tz text default 'UTC',
    group_by text default 'day',
    category text default null
)
returns table (
    bucket_start timestamptz,
    bucket_end timestamptz,
    bucket_local timestamp,
    bookings bigint,
    new_customers bigint,
    returning_bookings bigint,
    returning_share numeric
)
language sql
stable
set search_path = ''
as $$
    select internal.require_role('ops', 'only ops staff may read the customers'' analytics');
    select internal.fail('invalid_input', 'category: no such category')
    where
        analytics_customers.category is not null
        and not exists (select from app.service_categories as k where k.slug = analytics_customers.category);
    with w as (
        select
            x.from_ts,
            x.to_ts,
            x.tz,
            x.grain
        from internal.analytics_window(analytics_customers."from", analytics_customers."to",
            analytics_customers.tz, analytics_customers.group_by) as x
    ),

    counted as (
        select s.bucket_start, s.bucket_end, s.bucket_local, pg_catalog.sum(
            coalesce(s.confirmed, 0) + coalesce(s.completed, 0) + coalesce(s.no_show, 0)
        )::bigint as n
        from w, lateral internal.analytics_series(null, w.from_ts, w.to_ts, w.tz, w.grain) as s
        where analytics_customers.category is null or s.category = analytics_customers.category
        group by s.bucket_start, s.bucket_end, s.bucket_local
    ),

    -- counted by UTC hour (the rollup's rows), then each hour into its local bucket, the zone's
    -- offset being whole hours (internal.analytics_window): the zone converted a few hundred
    -- times, not once a first booking
    firsts as (
        select
            case
                when w.grain = 'hour' then h.hour
                else pg_catalog.date_trunc(w.grain, h.hour at time zone w.tz) at time zone w.tz
            end as bucket_start,
            pg_catalog.sum(h.n)::bigint as n
        from w
        cross join lateral (
            -- the first bookings per UTC start hour and category, with the deltas not folded
            -- yet: O(hours x categories) rows, however many customers start in the range
            select f.hour, pg_catalog.sum(f.customers) as n
            from (
                select h.hour, h.category_id, h.customers
                from app.analytics_first_hours as h
                where h.hour >= w.from_ts and h.hour < w.to_ts
                union all
                select d.hour, d.category_id, d.customers
                from app.analytics_first_deltas as d
                where d.hour >= w.from_ts and d.hour < w.to_ts
            ) as f
            where
                -- the booking's service's category, kept beside it (as the rollups count it)
                analytics_customers.category is null or f.category_id = (
                    select k.id from app.service_categories as k where k.slug = analytics_customers.category
                )
            group by f.hour
        ) as h
        group by 1
    )

    select
        c.bucket_start,
        c.bucket_end,
        c.bucket_local,
        c.n,
        coalesce(f.n, 0),
        c.n - coalesce(f.n, 0),
        case when c.n > 0 then pg_catalog.round((c.n - coalesce(f.n, 0))::numeric / c.n, 3) end
    from counted as c
    left join firsts as f on c.bucket_start = f.bucket_start
    order by c.bucket_start
$$;
comment on function api.analytics_customers(date, date, text, text, text) is
$$New and returning customers across every provider (ops only), per bucket, from the rollups.

Inputs: from and to (local dates in tz, both included; at most 366 days, 31 with group_by hour), tz
(an IANA zone whose offset is a whole number of hours, default UTC), group_by (hour, day, week or month;
default day), category (optional, a slug: its counted bookings, and as new customers those whose first
booking was in it). A booking counts (confirmed, completed or no-show) in the bucket where its appointment
starts. Each row: bucket_start and bucket_end (instants), bucket_local (the bucket's local start),
bookings (the counted bookings), new_customers (those that are their customer's first counted booking,
the earliest start: a customer is new in the bucket of its first booking), returning_bookings (the
others: a customer who had booked before), returning_share (returning_bookings / bookings, 3
decimals; null without bookings). Buckets with a booking of any status are listed.
Definitions: docs/analytics.md. Accept: text/csv gives CSV.
Errors: 400 invalid_input naming from, to, tz, group_by or category; 403 forbidden for any role but ops.$$;
