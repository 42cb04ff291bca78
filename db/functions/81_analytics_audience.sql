-- Analytics rollups of the customers and of the providers' places (docs/analytics.md, "What is
-- kept where"), kept exact on write like those of 80_analytics_rollups.sql, and the rebuild and
-- drift check over every rollup.
--
--   internal.analytics_live_customer_weeks   view: per customer and UTC week, the hours it made
--                                            bookings in that did not lapse unpaid, the first
--                                            and the last (the cohorts' activity,
--                                            api.analytics_cohorts), from 8 days before to 190
--                                            days after its sign-up
--   internal.analytics_live_places           view: each provider's location and the
--                                            neighbourhood covering it (api.analytics_areas)
--   internal.analytics_customer_add          move one booking in or out of its customer's week
--   internal.analytics_customer_refresh      recount one customer (its sign-up moved)
--   internal.analytics_place_providers       place some providers again (created, moved)
--   triggers _510_analytics_cohort*          bookings (insert, delete; expired or not, customer,
--                                            made at), users (role, sign-up time)
--   triggers _510_analytics_place*           providers (insert, a move), areas (any change)
--   internal.analytics_live_peer_places      view: each provider's location once per category
--                                            it offers (the peers of a rank, 82)
--   internal.analytics_place_peers           place some providers among their categories again
--   triggers _510_analytics_peers_*          services (insert, delete, update); a provider's
--                                            move (_510_analytics_place_update)
--   internal.analytics_live_customer_firsts  view: each customer's first booking (new and
--                                            returning customers, api.analytics_customers)
--   internal.analytics_customer_first_refresh
--                                            recompute one customer's first booking, and move
--                                            it in the first bookings per start hour and
--                                            category (app.analytics_first_deltas, folded into
--                                            app.analytics_first_hours by
--                                            internal.analytics_compact, 80)
--   internal.analytics_live_provider_customers
--                                            view: each customer's earliest counted start with
--                                            each provider (repeat customers, 83)
--   internal.analytics_provider_customer_refresh
--                                            recompute one (provider, customer)'s
--   triggers _510_analytics_first_*          bookings (counted or not, start): both
--   internal.analytics_rebuild_cohorts()     recompute the cohort weeks and the customers' first
--                                            bookings (the seed's activity)
--   internal.analytics_rebuild()             recompute every rollup (`bookiji analytics rebuild`)
--   internal.analytics_drift()               where any rollup and a live recount differ
--
-- A customer's rows change under a transaction-scoped advisory lock on that customer, and a
-- recount reads what is committed when the lock is granted (as a booking's, in 80): a booking
-- made while its customer's sign-up time changes is counted once. Keys are per customer (a
-- customer's own bookings): no row is shared by concurrent confirms of different customers.

-- app.analytics_customer_weeks' rows: the hours of each UTC week in the order they came, the
-- first and last of them (migration 20261217100000 says why a week answers a cohort in any
-- whole-hour zone).
create or replace view internal.analytics_live_customer_weeks
with (security_barrier = true)
as
select
    h.customer_id,
    h.week,
    h.signup_hour,
    pg_catalog.min(h.hour) as first_hour,
    pg_catalog.max(h.hour) as last_hour,
    pg_catalog.array_agg((extract(epoch from h.hour - h.week) / 3600)::smallint order by h.hour) as hours,
    pg_catalog.array_agg(h.bookings order by h.hour) as bookings
from (
    select
        b.customer_id,
        pg_catalog.date_trunc('week', b.created_at, 'UTC') as week,
        pg_catalog.date_trunc('hour', b.created_at, 'UTC') as hour,
        pg_catalog.date_trunc('hour', u.created_at, 'UTC') as signup_hour,
        pg_catalog.count(*)::integer as bookings
    from app.bookings as b
    inner join app.users as u on b.customer_id = u.id
    where
        u.role = 'customer'
        and b.status <> 'expired'
        and b.created_at >= u.created_at - interval '8 days'
        and b.created_at < u.created_at + interval '190 days'
    group by
        b.customer_id,
        pg_catalog.date_trunc('week', b.created_at, 'UTC'),
        pg_catalog.date_trunc('hour', b.created_at, 'UTC'),
        pg_catalog.date_trunc('hour', u.created_at, 'UTC')
) as h
group by h.customer_id, h.week, h.signup_hour;
comment on view internal.analytics_live_customer_weeks is
'Per customer and UTC week, the hours (from the week''s start) it made bookings in that did not lapse unpaid, '
'with their bookings, the first and the last (from 8 days before to 190 days after its sign-up), recounted from '
'the base tables: the definition app.analytics_customer_weeks follows.';

create or replace view internal.analytics_live_places
with (security_barrier = true)
as
select
    p.id as provider_id,
    p.lat,
    p.lng,
    -- named as internal.analytics_area (83) names a cell: "lat,lng" of its south-west corner
    pg_catalog.format(
        '%s,%s', pg_catalog.floor(p.lat::numeric / 0.02) * 0.02, pg_catalog.floor(p.lng::numeric / 0.02) * 0.02
    ) as grid_cell,
    a.slug as area_slug,
    a.name_en as area_name_en,
    a.name_fr as area_name_fr
from app.providers as p
left join lateral (
    select
        a.slug,
        a.name_en,
        a.name_fr
    from app.areas as a
    where extensions.st_covers(a.boundary, p.location::extensions.geometry)
    order by a.slug
    limit 1
) as a on true;
comment on view internal.analytics_live_places is
'Each provider''s location, its grid cell of the default 0.02 degrees, and the neighbourhood (app.areas) covering '
'it, the first by slug on a shared edge (none: "other"), from the base tables: the definition '
'app.analytics_provider_places follows.';

-- The key of the lock under which one customer's rows change (cohort weeks, first booking).
create or replace function internal.analytics_customer_lock_key(p_customer_id uuid)
returns bigint
language sql
immutable
parallel safe
-- no SET clause: inlined where it is called (a SQL function with SET is planned on every call,
-- a confirm's cost)
as $$
    select pg_catalog.hashtextextended('bookiji.analytics.customer:' || p_customer_id::text, 0)
$$;
comment on function internal.analytics_customer_lock_key(uuid) is
'The advisory lock key of a customer''s rows in the analytics rollups (cohort weeks, first booking).';

create or replace function internal.analytics_customer_lock(p_customer_id uuid)
returns void
language sql
volatile
set search_path = ''
as $$
    select pg_catalog.pg_advisory_xact_lock(internal.analytics_customer_lock_key(p_customer_id))
$$;
comment on function internal.analytics_customer_lock(uuid) is
'Take the transaction-scoped lock under which one customer''s cohort rows change.';

-- Add p_delta (+1 or -1) bookings made at p_created_at to its customer's week, when the
-- customer is one and the hour is within what a cohort can count. A booking in: one upsert (its
-- hour's count, or the hour appended, and the week's first and last hours). A booking out: its
-- hour's count down, the hour out of the week when it was its last booking, and the first and
-- last hours recomputed from the hours left (the week's row, not the bookings).
create or replace function internal.analytics_customer_add(p_customer_id uuid, p_created_at timestamptz, p_delta integer)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_signup timestamptz;
    v_week timestamptz := pg_catalog.date_trunc('week', p_created_at, 'UTC');
    v_hour timestamptz := pg_catalog.date_trunc('hour', p_created_at, 'UTC');
    v_k smallint;
    v_row app.analytics_customer_weeks;
    v_at integer;
    v_hours smallint[];
    v_bookings integer[];
    v_first integer;
    v_last integer;
begin
    -- internal.analytics_customer_lock's lock, taken here: that SQL function with SET is planned
    -- on every call (a confirm's cost)
    perform pg_catalog.pg_advisory_xact_lock(internal.analytics_customer_lock_key(p_customer_id));
    select u.created_at into v_signup from app.users as u where u.id = p_customer_id and u.role = 'customer';
    if v_signup is null
        or p_created_at < v_signup - interval '8 days'
        or p_created_at >= v_signup + interval '190 days' then
        return;
    end if;
    v_k := (pg_catalog.date_part('epoch', v_hour - v_week) / 3600)::smallint;  -- double, not numeric
    if p_delta > 0 then
        -- the hour's place in the arrays, or one past their end (an assignment there appends)
        insert into app.analytics_customer_weeks as w (
            customer_id, week, signup_hour, first_hour, last_hour, hours, bookings
        )
        values (
            p_customer_id, v_week, pg_catalog.date_trunc('hour', v_signup, 'UTC'), v_hour, v_hour,
            array[v_k], array[p_delta]
        )
        on conflict (customer_id, week) do update set
            first_hour = least(w.first_hour, excluded.first_hour),
            last_hour = greatest(w.last_hour, excluded.last_hour),
            hours[coalesce(pg_catalog.array_position(w.hours, v_k), pg_catalog.cardinality(w.hours) + 1)] = v_k,
            bookings[coalesce(pg_catalog.array_position(w.hours, v_k), pg_catalog.cardinality(w.hours) + 1)]
            = coalesce(w.bookings[pg_catalog.array_position(w.hours, v_k)], 0) + p_delta;
        return;
    end if;
    select w.* into v_row
    from app.analytics_customer_weeks as w
    where w.customer_id = p_customer_id and w.week = v_week;
    v_at := pg_catalog.array_position(v_row.hours, v_k);
    if v_at is null then
        return;  -- never counted (loaded with the triggers off): the drift check names it
    end if;
    if v_row.bookings[v_at] + p_delta > 0 then
        update app.analytics_customer_weeks as w set bookings[v_at] = w.bookings[v_at] + p_delta
        where w.customer_id = p_customer_id and w.week = v_week;
    elsif pg_catalog.cardinality(v_row.hours) = 1 then
        delete from app.analytics_customer_weeks as w where w.customer_id = p_customer_id and w.week = v_week;
    else
        v_hours := v_row.hours[:v_at - 1] || v_row.hours[v_at + 1:];
        v_bookings := v_row.bookings[:v_at - 1] || v_row.bookings[v_at + 1:];
        select pg_catalog.min(h), pg_catalog.max(h) into v_first, v_last from pg_catalog.unnest(v_hours) as h;
        update app.analytics_customer_weeks as w set
            hours = v_hours,
            bookings = v_bookings,
            first_hour = v_week + pg_catalog.make_interval(hours => v_first),
            last_hour = v_week + pg_catalog.make_interval(hours => v_last)
        where w.customer_id = p_customer_id and w.week = v_week;
    end if;
end
$$;
comment on function internal.analytics_customer_add(uuid, timestamptz, integer) is
'Add p_delta bookings made at p_created_at to the customer''s cohort week (nothing for an account that is not a '
'customer''s, or an hour no cohort counts).';

-- A cohort week's hours with their bookings as text in the hours' order ("h:n ..."): a week's
-- row keeps its hours as they came, so the drift check compares them through this.
create or replace function internal.analytics_week_hours_text(p_hours smallint[], p_bookings integer[])
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.string_agg(u.h || ':' || u.n, ' ' order by u.h)
    from rows from (pg_catalog.unnest(p_hours), pg_catalog.unnest(p_bookings)) as u (h, n)
$$;
comment on function internal.analytics_week_hours_text(smallint[], integer[]) is
'A cohort week''s hours and their bookings as "h:n" in the hours'' order, whatever order the row keeps them in.';

create or replace function internal.analytics_customer_refresh(p_customer_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_customer_lock(p_customer_id);
    delete from app.analytics_customer_weeks as w where w.customer_id = p_customer_id;
    insert into app.analytics_customer_weeks (customer_id, week, signup_hour, first_hour, last_hour, hours, bookings)
    select l.customer_id, l.week, l.signup_hour, l.first_hour, l.last_hour, l.hours, l.bookings
    from internal.analytics_live_customer_weeks as l
    where l.customer_id = p_customer_id;
end
$$;
comment on function internal.analytics_customer_refresh(uuid) is
'Recount one customer''s cohort weeks from its bookings (its role or sign-up time changed). '
'Definer: called from a trigger on users; the rollup is written by nobody else.';

-- The triggers: a booking counts for its customer while it is not expired, in the hour it was
-- made. A change of what matters takes it out of its old hour and puts it into its new one.
create or replace function internal.analytics_cohort_booking_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if tg_op in ('UPDATE', 'DELETE') and old.status <> 'expired' then
        perform internal.analytics_customer_add(old.customer_id, old.created_at, -1);
    end if;
    if tg_op in ('UPDATE', 'INSERT') and new.status <> 'expired' then
        perform internal.analytics_customer_add(new.customer_id, new.created_at, 1);
    end if;
    return null;
end
$$;
comment on function internal.analytics_cohort_booking_changed() is
'Trigger: a booking made, deleted, lapsed (expired), moved to another customer or to another made-at time moves '
'in its customer''s cohort weeks. Definer: any role''s booking writes keep the rollup.';

drop trigger if exists _510_analytics_cohort on app.bookings;
create trigger _510_analytics_cohort after insert or delete on app.bookings
for each row execute function internal.analytics_cohort_booking_changed();
drop trigger if exists _510_analytics_cohort_update on app.bookings;
create trigger _510_analytics_cohort_update after update on app.bookings
for each row
when (
    (old.status = 'expired') is distinct from (new.status = 'expired')
    or old.customer_id is distinct from new.customer_id
    or old.created_at is distinct from new.created_at
)
execute function internal.analytics_cohort_booking_changed();

create or replace function internal.analytics_cohort_user_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_customer_refresh(new.id);
    return null;
end
$$;
comment on function internal.analytics_cohort_user_changed() is
'Trigger: an account''s role or sign-up time changed; its cohort weeks are recounted. '
'Definer: as internal.analytics_customer_refresh.';

-- a new account has no booking yet, and a deleted one takes its rows with it (on delete cascade)
drop trigger if exists _510_analytics_cohort_user on app.users;
create trigger _510_analytics_cohort_user after update on app.users
for each row
when (old.role is distinct from new.role or old.created_at is distinct from new.created_at)
execute function internal.analytics_cohort_user_changed();

-- Each customer's first booking (app.analytics_customer_firsts: new and returning customers,
-- api.analytics_customers): the earliest start among its confirmed, completed and no-show
-- bookings, then the lowest id. Recomputed for the customer, under its lock, when one of its
-- bookings starts or stops counting, or a counted one moves to another start.
-- A confirm's hold (pending payment) does not count: the confirm itself never fires it.
create or replace view internal.analytics_live_customer_firsts
with (security_barrier = true)
as
select distinct on (b.customer_id)
    b.customer_id,
    b.id as booking_id,
    pg_catalog.lower(b.during) as starts_at,
    s.category_id
from app.bookings as b
inner join app.services as s on b.service_id = s.id
where b.status in ('confirmed', 'completed', 'no_show')
order by b.customer_id asc, pg_catalog.lower(b.during) asc, b.id asc;
comment on view internal.analytics_live_customer_firsts is
'Each customer''s first booking (the earliest start among its confirmed, completed and no-show bookings, then the '
'lowest id) and its service''s category, from the base tables: the definition app.analytics_customer_firsts follows.';

create or replace function internal.analytics_customer_first_refresh(p_customer_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_booking_id uuid;
    v_starts_at timestamptz;
    v_category_id integer;
    v_old_starts_at timestamptz;
    v_old_category_id integer;
begin
    -- the customer's lock (internal.analytics_customer_lock), then a statement that reads what
    -- is committed when it is granted
    perform pg_catalog.pg_advisory_xact_lock(internal.analytics_customer_lock_key(p_customer_id));
    -- in start order within the customer (bookings_customer_id_starts_at_idx)
    select b.id, pg_catalog.lower(b.during), s.category_id into v_booking_id, v_starts_at, v_category_id
    from app.bookings as b
    inner join app.services as s on b.service_id = s.id
    where b.customer_id = p_customer_id and b.status in ('confirmed', 'completed', 'no_show')
    order by pg_catalog.lower(b.during), b.id
    limit 1;
    -- where it was counted per hour and category (no other writer: the customer's lock)
    select f.starts_at, f.category_id into v_old_starts_at, v_old_category_id
    from app.analytics_customer_firsts as f
    where f.customer_id = p_customer_id;
    if (pg_catalog.date_trunc('hour', v_old_starts_at, 'UTC'), v_old_category_id)
        is distinct from (pg_catalog.date_trunc('hour', v_starts_at, 'UTC'), v_category_id) then
        -- appended, never updated: two customers' first bookings in one hour share no row
        insert into app.analytics_first_deltas (hour, category_id, customers)
        select x.hour, x.category_id, x.customers
        from (values
            (pg_catalog.date_trunc('hour', v_old_starts_at, 'UTC'), v_old_category_id, -1),
            (pg_catalog.date_trunc('hour', v_starts_at, 'UTC'), v_category_id, 1)
        ) as x (hour, category_id, customers)
        where x.hour is not null;
    end if;
    if v_booking_id is null then
        delete from app.analytics_customer_firsts as f where f.customer_id = p_customer_id;
        return;
    end if;
    insert into app.analytics_customer_firsts as f (customer_id, booking_id, starts_at, category_id)
    values (p_customer_id, v_booking_id, v_starts_at, v_category_id)
    on conflict (customer_id) do update
    set booking_id = excluded.booking_id, starts_at = excluded.starts_at, category_id = excluded.category_id
    where
        (f.booking_id, f.starts_at, f.category_id)
        is distinct from (excluded.booking_id, excluded.starts_at, excluded.category_id);
end
$$;
comment on function internal.analytics_customer_first_refresh(uuid) is
'Recompute one customer''s first booking into app.analytics_customer_firsts, and move it in the counts per start '
'hour and category (a delta in app.analytics_first_deltas where its hour or category changed).';

-- For each provider and customer, the earliest start of the customer's counted bookings with it
-- (app.analytics_provider_customers: the repeat customers of api.analytics_performance, one key
-- lookup a customer). Recomputed with the customer's first booking, by the same triggers and
-- under the same lock.
create or replace view internal.analytics_live_provider_customers
with (security_barrier = true)
as
select
    b.provider_id,
    b.customer_id,
    pg_catalog.min(pg_catalog.lower(b.during)) as first_starts_at
from app.bookings as b
where b.status in ('confirmed', 'completed', 'no_show')
group by b.provider_id, b.customer_id;
comment on view internal.analytics_live_provider_customers is
'For each provider and customer, the earliest start of the customer''s confirmed, completed and no-show bookings '
'with the provider, from the base tables: the definition app.analytics_provider_customers follows.';

create or replace function internal.analytics_provider_customer_refresh(p_provider_id uuid, p_customer_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_starts_at timestamptz;
begin
    -- the customer's lock (internal.analytics_customer_lock), as its first booking's
    perform pg_catalog.pg_advisory_xact_lock(internal.analytics_customer_lock_key(p_customer_id));
    -- in start order within the customer (bookings_customer_id_starts_at_idx)
    select pg_catalog.lower(b.during) into v_starts_at
    from app.bookings as b
    where
        b.customer_id = p_customer_id and b.provider_id = p_provider_id
        and b.status in ('confirmed', 'completed', 'no_show')
    order by pg_catalog.lower(b.during)
    limit 1;
    if v_starts_at is null then
        delete from app.analytics_provider_customers as c
        where c.provider_id = p_provider_id and c.customer_id = p_customer_id;
        return;
    end if;
    insert into app.analytics_provider_customers as c (provider_id, customer_id, first_starts_at)
    values (p_provider_id, p_customer_id, v_starts_at)
    on conflict (provider_id, customer_id) do update
    set first_starts_at = excluded.first_starts_at
    where c.first_starts_at is distinct from excluded.first_starts_at;
end
$$;
comment on function internal.analytics_provider_customer_refresh(uuid, uuid) is
'Recompute the earliest start of a customer''s counted bookings with a provider into '
'app.analytics_provider_customers.';

create or replace function internal.analytics_first_booking_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- a booking's customer and provider never change (internal.bookings_check_update)
    perform internal.analytics_customer_first_refresh(
        case when tg_op = 'INSERT' then new.customer_id else old.customer_id end
    );
    perform internal.analytics_provider_customer_refresh(
        case when tg_op = 'INSERT' then new.provider_id else old.provider_id end,
        case when tg_op = 'INSERT' then new.customer_id else old.customer_id end
    );
    return null;
end
$$;
comment on function internal.analytics_first_booking_changed() is
'Trigger: a booking started or stopped counting (confirmed, completed, no-show), or a counted one moved to another '
'start: its customer''s first booking, and its earliest start with the provider, are recomputed. '
'Definer: any role''s booking writes keep the rollups.';

drop trigger if exists _510_analytics_first_insert on app.bookings;
create trigger _510_analytics_first_insert after insert on app.bookings
for each row when (new.status in ('confirmed', 'completed', 'no_show'))
execute function internal.analytics_first_booking_changed();
drop trigger if exists _510_analytics_first_delete on app.bookings;
create trigger _510_analytics_first_delete after delete on app.bookings
for each row when (old.status in ('confirmed', 'completed', 'no_show'))
execute function internal.analytics_first_booking_changed();
drop trigger if exists _510_analytics_first_update on app.bookings;
create trigger _510_analytics_first_update after update on app.bookings
for each row
when (
    (old.status in ('confirmed', 'completed', 'no_show')) <> (new.status in ('confirmed', 'completed', 'no_show'))
    or (new.status in ('confirmed', 'completed', 'no_show') and old.during is distinct from new.during)
)
execute function internal.analytics_first_booking_changed();

-- Place some providers (all of them for null) again: their location and neighbourhood. A
-- provider whose grid cell or neighbourhood changes takes its history along in the rollups per
-- area: deltas that subtract each of its hourly rows where it was and add them where it is.
-- The writes of its figures read its place under a shared advisory lock
-- (internal.analytics_add); this takes it exclusively first, so that each difference is either
-- committed before (in the history moved here, read after the lock) or placed after the move
-- commits. Every provider (the areas changed): the table lock instead, which the writes' read of
-- the places waits on in the same way, rather than one advisory lock per provider.
create or replace function internal.analytics_place_providers(p_ids uuid[])
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    if p_ids is null then
        lock table app.analytics_provider_places in access exclusive mode;
    else
        perform pg_catalog.pg_advisory_xact_lock(internal.analytics_place_lock(i.id))
        from pg_catalog.unnest(p_ids) as i (id)
        order by i.id;
    end if;
    -- a statement of its own: its snapshot sees what the writers committed before the lock
    with live as materialized (
        select l.provider_id, l.lat, l.lng, l.grid_cell, l.area_slug, l.area_name_en, l.area_name_fr
        from internal.analytics_live_places as l
        where p_ids is null or l.provider_id = any(p_ids)
    ),
    placed as (
        insert into app.analytics_provider_places as x (
            provider_id, lat, lng, grid_cell, area_slug, area_name_en, area_name_fr
        )
        select l.provider_id, l.lat, l.lng, l.grid_cell, l.area_slug, l.area_name_en, l.area_name_fr
        from live as l
        order by l.provider_id
        on conflict (provider_id) do update set
            lat = excluded.lat, lng = excluded.lng, grid_cell = excluded.grid_cell, area_slug = excluded.area_slug,
            area_name_en = excluded.area_name_en, area_name_fr = excluded.area_name_fr
    ),
    moved as (
        select x.provider_id, x.grid_cell as old_cell, x.area_slug as old_slug, l.grid_cell, l.area_slug
        from app.analytics_provider_places as x
        inner join live as l on x.provider_id = l.provider_id
        where (x.grid_cell, x.area_slug) is distinct from (l.grid_cell, l.area_slug)
    )
    insert into app.analytics_deltas (
        hour, category_id, status, currency, bookings, booked_cents, lead_minutes,
        cancelled_by_customer, cancelled_by_provider, cancelled_by_ops, cancelled_by_system,
        cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents, gst_cents, qst_cents,
        grid_cell, area_slug
    )
    select
        h.hour, h.category_id, h.status, h.currency, w.sign * h.bookings, w.sign * h.booked_cents,
        w.sign * h.lead_minutes, w.sign * h.cancelled_by_customer, w.sign * h.cancelled_by_provider,
        w.sign * h.cancelled_by_ops, w.sign * h.cancelled_by_system, w.sign * h.cancelled_late,
        w.sign * h.captured_cents, w.sign * h.refunded_cents, w.sign * h.fees_kept_cents,
        w.sign * h.outstanding_cents, w.sign * h.gst_cents, w.sign * h.qst_cents,
        w.grid_cell, w.area_slug
    from moved as m
    inner join app.analytics_provider_hours as h on m.provider_id = h.provider_id
    cross join lateral (
        values (-1, m.old_cell, m.old_slug), (1, m.grid_cell, m.area_slug)
    ) as w (sign, grid_cell, area_slug);
end
$$;
comment on function internal.analytics_place_providers(uuid[]) is
'Place the providers of p_ids (every provider for null) again in app.analytics_provider_places; one whose grid '
'cell or neighbourhood changes moves its history in the rollups per area (as deltas: out of the old place, into '
'the new). Definer: called from triggers of writes by providers and migrations; nobody else writes the table.';

create or replace function internal.analytics_place_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into app.analytics_provider_places (provider_id, lat, lng, grid_cell, area_slug, area_name_en, area_name_fr)
    select l.provider_id, l.lat, l.lng, l.grid_cell, l.area_slug, l.area_name_en, l.area_name_fr
    from internal.analytics_live_places as l
    where l.provider_id in (select n.id from inserted as n);
    return null;
end
$$;
comment on function internal.analytics_place_inserted() is
'Statement trigger: place the providers just created (set-based: a bulk load places them in one statement). '
'Definer: as internal.analytics_place_providers.';

create or replace function internal.analytics_place_moved()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_place_providers(array[new.id]);
    perform internal.analytics_place_peers(array[new.id]);
    return null;
end
$$;
comment on function internal.analytics_place_moved() is
'Trigger: a provider moved; it is placed again, in the rollups per area and among its categories'' peers '
'(app.analytics_peer_places). Definer: as internal.analytics_place_providers.';

create or replace function internal.analytics_place_areas_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_place_providers(null);
    return null;
end
$$;
comment on function internal.analytics_place_areas_changed() is
'Statement trigger: the neighbourhoods changed; every provider is placed again. '
'Definer: as internal.analytics_place_providers.';

drop trigger if exists _510_analytics_place_insert on app.providers;
create trigger _510_analytics_place_insert after insert on app.providers
referencing new table as inserted
for each statement execute function internal.analytics_place_inserted();
drop trigger if exists _510_analytics_place_update on app.providers;
create trigger _510_analytics_place_update after update on app.providers
for each row
when (old.lat is distinct from new.lat or old.lng is distinct from new.lng)
execute function internal.analytics_place_moved();
drop trigger if exists _510_analytics_place_areas on app.areas;
create trigger _510_analytics_place_areas after insert or update or delete or truncate on app.areas
for each statement execute function internal.analytics_place_areas_changed();

-- A provider's peers are found nearest first among the providers of its category
-- (internal.analytics_peer_ranks, 82_analytics_reads.sql): app.analytics_peer_places keeps each
-- provider's location once per category it has a service in.
create or replace view internal.analytics_live_peer_places
with (security_barrier = true)
as
select
    s.category_id,
    s.provider_id,
    p.location
from (
    select distinct
        x.category_id,
        x.provider_id
    from app.services as x
) as s
inner join app.providers as p on s.provider_id = p.id;
comment on view internal.analytics_live_peer_places is
'Each provider''s location once per category it has a service in (active or not), from the base tables: the '
'definition app.analytics_peer_places follows.';

-- Place some providers' categories again: their rows follow their services and their location.
-- Under an advisory lock per provider (more than 64: the table's lock), and in statements of
-- their own after it, so that two writes of one provider's services (one adding a category's
-- last service back as the other deletes its last one, or a move) queue, and the second reads
-- what the first committed.
create or replace function internal.analytics_place_peers(p_ids uuid[])
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    if coalesce(pg_catalog.cardinality(p_ids), 0) = 0 then
        return;
    elsif pg_catalog.cardinality(p_ids) > 64 then
        -- a bulk load (the seed copies 100,000 services in one statement): one lock on the table,
        -- which every other placing's writes wait on, not one advisory lock per provider (the
        -- server's lock table holds a few thousand)
        lock table app.analytics_peer_places in share row exclusive mode;
    else
        perform pg_catalog.pg_advisory_xact_lock(
            pg_catalog.hashtextextended('bookiji.analytics.peers:' || i.id::text, 0)
        )
        from (select distinct u.id from pg_catalog.unnest(p_ids) as u (id) where u.id is not null) as i
        order by i.id;
    end if;
    delete from app.analytics_peer_places as x
    where
        x.provider_id = any(p_ids)
        and not exists (
            select from app.services as s where s.provider_id = x.provider_id and s.category_id = x.category_id
        );
    insert into app.analytics_peer_places as x (category_id, provider_id, location)
    select l.category_id, l.provider_id, l.location
    from internal.analytics_live_peer_places as l
    where l.provider_id = any(p_ids)
    order by l.provider_id, l.category_id
    on conflict (provider_id, category_id) do update set location = excluded.location
    -- a new service of a category it had, or a move within its point: no new row version
    where x.location::text is distinct from excluded.location::text;
end
$$;
comment on function internal.analytics_place_peers(uuid[]) is
'Make app.analytics_peer_places follow the services and location of the providers of p_ids, each under an advisory '
'lock on it. Definer: called from triggers of writes by providers; nobody else writes the table.';

create or replace function internal.analytics_peers_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_place_peers(array(select distinct n.provider_id from inserted as n));
    return null;
end
$$;
comment on function internal.analytics_peers_inserted() is
'Statement trigger: services were added; their providers'' categories are placed again (set-based: a bulk load '
'places them in one statement). Definer: as internal.analytics_place_peers.';

create or replace function internal.analytics_peers_deleted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_place_peers(array(select distinct o.provider_id from deleted as o));
    return null;
end
$$;
comment on function internal.analytics_peers_deleted() is
'Statement trigger: services were removed; their providers'' categories are placed again. Definer: as '
'internal.analytics_place_peers.';

create or replace function internal.analytics_peers_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- only the providers of services whose provider or category changed (a price or a search
    -- key does not move a peer)
    perform internal.analytics_place_peers(array(
        select c.provider_id
        from (
            (
                select n.provider_id, n.category_id from inserted as n
                except
                select o.provider_id, o.category_id from deleted as o
            )
            union
            (
                select o.provider_id, o.category_id from deleted as o
                except
                select n.provider_id, n.category_id from inserted as n
            )
        ) as c
    ));
    return null;
end
$$;
comment on function internal.analytics_peers_updated() is
'Statement trigger: services changed; the providers whose categories changed (a service moved to another category '
'or provider) are placed again. Definer: as internal.analytics_place_peers.';

drop trigger if exists _510_analytics_peers_insert on app.services;
create trigger _510_analytics_peers_insert after insert on app.services
referencing new table as inserted
for each statement execute function internal.analytics_peers_inserted();
drop trigger if exists _510_analytics_peers_delete on app.services;
create trigger _510_analytics_peers_delete after delete on app.services
referencing old table as deleted
for each statement execute function internal.analytics_peers_deleted();
drop trigger if exists _510_analytics_peers_update on app.services;
create trigger _510_analytics_peers_update after update on app.services
referencing old table as deleted new table as inserted
for each statement execute function internal.analytics_peers_updated();

create or replace function internal.analytics_rebuild_cohorts()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    written bigint;
begin
    -- writers that would touch the cohort weeks wait until the rebuild commits
    lock table app.analytics_customer_weeks, app.analytics_customer_firsts, app.analytics_first_hours,
    app.analytics_first_deltas, app.analytics_provider_customers in exclusive mode;
    delete from app.analytics_customer_weeks;
    insert into app.analytics_customer_weeks (customer_id, week, signup_hour, first_hour, last_hour, hours, bookings)
    select l.customer_id, l.week, l.signup_hour, l.first_hour, l.last_hour, l.hours, l.bookings
    from internal.analytics_live_customer_weeks as l
    order by l.customer_id, l.week;
    get diagnostics written = row_count;
    delete from app.analytics_customer_firsts;
    insert into app.analytics_customer_firsts (customer_id, booking_id, starts_at, category_id)
    select l.customer_id, l.booking_id, l.starts_at, l.category_id from internal.analytics_live_customer_firsts as l;
    delete from app.analytics_first_deltas;
    delete from app.analytics_first_hours;
    insert into app.analytics_first_hours (hour, category_id, customers)
    select pg_catalog.date_trunc('hour', f.starts_at, 'UTC'), f.category_id, pg_catalog.count(*)
    from app.analytics_customer_firsts as f
    group by 1, 2
    order by 1, 2;
    delete from app.analytics_provider_customers;
    insert into app.analytics_provider_customers (provider_id, customer_id, first_starts_at)
    select l.provider_id, l.customer_id, l.first_starts_at
    from internal.analytics_live_provider_customers as l
    order by l.provider_id, l.customer_id;
    return written;
end
$$;
comment on function internal.analytics_rebuild_cohorts() is
'Recompute the customers'' cohort weeks, first bookings, first bookings per start hour and category and earliest '
'start with each provider from the bookings (internal.analytics_rebuild does it '
'with every other rollup); returns the cohort rows written. Run after a bulk write of bookings with the cohort triggers off (the seed''s '
'activity). Definer: run by the owner''s tools and by tests; granted to nobody else.';

-- The funnel's rollups (84_analytics_behaviour.sql): quotes per hour and category, and each
-- quote's first booking.
create or replace function internal.analytics_rebuild_funnel()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    -- writers that would touch these rollups wait until the rebuild commits
    lock table app.analytics_quote_hours, app.analytics_quote_deltas, app.analytics_quote_bookings
    in exclusive mode;
    delete from app.analytics_quote_deltas;
    delete from app.analytics_quote_hours;
    insert into app.analytics_quote_hours (hour, category_id, quotes)
    select pg_catalog.date_trunc('hour', q.created_at, 'UTC'), q.category_id, pg_catalog.count(*)
    from app.quotes as q
    group by 1, 2;
    delete from app.analytics_quote_bookings;
    insert into app.analytics_quote_bookings (
        quote_id, quoted_at, category_id, booking_id, booked_at, status, updated_at, payment_status, payment_updated_at
    )
    select
        l.quote_id, l.quoted_at, l.category_id, l.booking_id, l.booked_at, l.status, l.updated_at, l.payment_status,
        l.payment_updated_at
    from internal.analytics_live_quote_bookings as l;
    return (select pg_catalog.count(*) from app.analytics_quote_bookings);
end
$$;
comment on function internal.analytics_rebuild_funnel() is
'Recompute the funnel''s rollups (quotes per UTC hour and category, each quote''s first booking) from the base '
'tables; returns how many quotes became bookings. Definer: run by internal.analytics_rebuild, the benchmark and '
'tests; granted to nobody else.';

create or replace function internal.analytics_rebuild()
returns table (bookings bigint, provider_rows bigint)
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    -- writers that would touch these rollups wait until the rebuild commits
    lock table app.analytics_customer_weeks, app.analytics_provider_places, app.analytics_peer_places
    in exclusive mode;
    perform internal.analytics_rebuild_cohorts();
    perform internal.analytics_rebuild_funnel();
    delete from app.analytics_provider_places;
    insert into app.analytics_provider_places (provider_id, lat, lng, grid_cell, area_slug, area_name_en, area_name_fr)
    select l.provider_id, l.lat, l.lng, l.grid_cell, l.area_slug, l.area_name_en, l.area_name_fr
    from internal.analytics_live_places as l;
    delete from app.analytics_peer_places;
    insert into app.analytics_peer_places (category_id, provider_id, location)
    select l.category_id, l.provider_id, l.location
    from internal.analytics_live_peer_places as l;
    return query select * from internal.analytics_rebuild_facts();
end
$$;
comment on function internal.analytics_rebuild() is
'Recompute every analytics rollup from the base tables: the bookings'' (internal.analytics_rebuild_facts), the '
'offered days, the customers'' cohort weeks, the providers'' places (per area and per category) and the funnel''s '
'quotes (backfill, or after a bulk load with the triggers off). Definer: run by the owner''s command line '
'(`bookiji analytics rebuild`) and by tests; granted to nobody else.';

-- The start of the UTC hour, day or week (from Monday) an instant is in: the grains of the
-- rollups per area, as the drift check compares them.
create or replace function internal.analytics_grain_start(p_grain text, p_at timestamptz)
returns timestamptz
language sql
immutable
parallel safe
as $$
    select case p_grain
        when 'hours' then pg_catalog.date_trunc('hour', p_at, 'UTC')
        when 'days' then pg_catalog.date_trunc('day', p_at, 'UTC')
        else pg_catalog.date_trunc('week', p_at, 'UTC')
    end
$$;
comment on function internal.analytics_grain_start(text, timestamptz) is
'The start of the UTC hour, day or week (from Monday) p_at is in, for p_grain hours, days or weeks.';

create or replace function internal.analytics_drift()
returns table (rollup text, key text, stored bigint[], live bigint[])
language sql
stable
security definer
set search_path = ''
as $$
    select d.rollup, d.key, d.stored, d.live from internal.analytics_drift_facts() as d
    union all
    -- the funnel's quotes per hour and category, with their deltas not folded yet
    select
        'quote_hours', pg_catalog.concat_ws(' ', coalesce(s.hour, l.hour), coalesce(s.category_id, l.category_id)),
        array[s.quotes], array[l.quotes]
    from (
        select x.hour, x.category_id, pg_catalog.sum(x.quotes)::bigint as quotes
        from (
            select h.hour, h.category_id, h.quotes from app.analytics_quote_hours as h
            union all
            select d.hour, d.category_id, d.quotes from app.analytics_quote_deltas as d
        ) as x
        group by x.hour, x.category_id
        having pg_catalog.sum(x.quotes) <> 0
    ) as s
    full join (
        select pg_catalog.date_trunc('hour', q.created_at, 'UTC') as hour, q.category_id, pg_catalog.count(*) as quotes
        from app.quotes as q
        group by 1, 2
    ) as l on s.hour = l.hour and s.category_id = l.category_id
    where s.quotes is distinct from l.quotes
    union all
    -- each quote's first booking
    select
        'quote_bookings', coalesce(s.quote_id, l.quote_id)::text,
        case when s.quote_id is not null then array[pg_catalog.hashtext(pg_catalog.concat_ws(' ', s.quoted_at, s.category_id, s.booking_id, s.booked_at, s.status, s.updated_at, s.payment_status, s.payment_updated_at))]::bigint[] end,
        case when l.quote_id is not null then array[pg_catalog.hashtext(pg_catalog.concat_ws(' ', l.quoted_at, l.category_id, l.booking_id, l.booked_at, l.status, l.updated_at, l.payment_status, l.payment_updated_at))]::bigint[] end
    from app.analytics_quote_bookings as s
    full join internal.analytics_live_quote_bookings as l on s.quote_id = l.quote_id
    where
        s.quote_id is null or l.quote_id is null
        or (s.quoted_at, s.category_id, s.booking_id, s.booked_at, s.status, s.updated_at, s.payment_status, s.payment_updated_at)
        is distinct from (l.quoted_at, l.category_id, l.booking_id, l.booked_at, l.status, l.updated_at, l.payment_status, l.payment_updated_at)
    union all
    select
        'customer_weeks', pg_catalog.concat_ws(' ', coalesce(s.customer_id, l.customer_id), coalesce(s.week, l.week)),
        case when s.customer_id is not null then array[
            extract(epoch from s.signup_hour), extract(epoch from s.first_hour), extract(epoch from s.last_hour),
            pg_catalog.hashtext(s.hours_text)
        ]::bigint[] end,
        case when l.customer_id is not null then array[
            extract(epoch from l.signup_hour), extract(epoch from l.first_hour), extract(epoch from l.last_hour),
            pg_catalog.hashtext(l.hours_text)
        ]::bigint[] end
    from (
        select w.*, internal.analytics_week_hours_text(w.hours, w.bookings) as hours_text
        from app.analytics_customer_weeks as w
    ) as s
    full join (
        select w.*, internal.analytics_week_hours_text(w.hours, w.bookings) as hours_text
        from internal.analytics_live_customer_weeks as w
    ) as l on s.customer_id = l.customer_id and s.week = l.week
    where
        s.customer_id is null or l.customer_id is null
        or (s.signup_hour, s.first_hour, s.last_hour, s.hours_text)
        is distinct from (l.signup_hour, l.first_hour, l.last_hour, l.hours_text)
    union all
    select
        'provider_places', coalesce(s.provider_id, l.provider_id)::text,
        case when s.provider_id is not null then array[pg_catalog.hashtext(pg_catalog.concat_ws(' ', s.lat, s.lng, s.grid_cell, s.area_slug, s.area_name_en, s.area_name_fr))]::bigint[] end,
        case when l.provider_id is not null then array[pg_catalog.hashtext(pg_catalog.concat_ws(' ', l.lat, l.lng, l.grid_cell, l.area_slug, l.area_name_en, l.area_name_fr))]::bigint[] end
    from app.analytics_provider_places as s
    full join internal.analytics_live_places as l on s.provider_id = l.provider_id
    where
        s.provider_id is null or l.provider_id is null
        or (s.lat, s.lng, s.grid_cell, s.area_slug, s.area_name_en, s.area_name_fr)
        is distinct from (l.lat, l.lng, l.grid_cell, l.area_slug, l.area_name_en, l.area_name_fr)
    union all
    select
        'peer_places', pg_catalog.concat_ws(' ', coalesce(s.provider_id, l.provider_id), coalesce(s.category_id, l.category_id)),
        case when s.provider_id is not null then array[pg_catalog.hashtext(s.location::text)]::bigint[] end,
        case when l.provider_id is not null then array[pg_catalog.hashtext(l.location::text)]::bigint[] end
    from app.analytics_peer_places as s
    full join internal.analytics_live_peer_places as l on s.provider_id = l.provider_id and s.category_id = l.category_id
    where s.provider_id is null or l.provider_id is null or s.location::text is distinct from l.location::text
    union all
    -- the rollups per area (hourly, daily and weekly, with their deltas not folded yet) against each
    -- booking placed where its provider is now, under each kind of area
    select
        pg_catalog.concat_ws('_', 'area', coalesce(s.grain, l.grain)),
        pg_catalog.concat_ws(' ', coalesce(s.t, l.t), coalesce(s.kind, l.kind), coalesce(s.area, l.area),
            coalesce(s.category_id, l.category_id), coalesce(s.currency, l.currency)),
        s.v, l.v
    from (
        select r.grain, r.t, r.kind, r.area, r.category_id, r.currency, array[
            pg_catalog.sum(r.bookings), pg_catalog.sum(r.completed), pg_catalog.sum(r.no_show),
            pg_catalog.sum(r.cancelled), pg_catalog.sum(r.booked_cents), pg_catalog.sum(r.captured_cents),
            pg_catalog.sum(r.refunded_cents), pg_catalog.sum(r.fees_kept_cents), pg_catalog.sum(r.outstanding_cents)
        ]::bigint[] as v
        from (
            select
                'hours' as grain, h.hour as t, h.kind, h.area, h.category_id, h.currency, h.bookings,
                h.completed, h.no_show, h.cancelled, h.booked_cents, h.captured_cents, h.refunded_cents,
                h.fees_kept_cents, h.outstanding_cents
            from app.analytics_area_hours as h
            union all
            select
                'days', (d.day::timestamp at time zone 'UTC'), d.kind, d.area, d.category_id, d.currency,
                d.bookings, d.completed, d.no_show, d.cancelled, d.booked_cents, d.captured_cents, d.refunded_cents,
                d.fees_kept_cents, d.outstanding_cents
            from app.analytics_area_days as d
            union all
            select
                'weeks', (w.week::timestamp at time zone 'UTC'), w.kind, w.area, w.category_id, w.currency,
                w.bookings, w.completed, w.no_show, w.cancelled, w.booked_cents, w.captured_cents, w.refunded_cents,
                w.fees_kept_cents, w.outstanding_cents
            from app.analytics_area_weeks as w
            union all
            select
                g.grain, internal.analytics_grain_start(g.grain, x.hour),
                k.kind, internal.analytics_area_key(k.kind, x.grid_cell, x.area_slug),
                x.category_id, x.currency, x.bookings,
                (x.status = 'completed')::integer * x.bookings, (x.status = 'no_show')::integer * x.bookings,
                (x.status = 'cancelled')::integer * x.bookings, x.booked_cents, x.captured_cents, x.refunded_cents,
                x.fees_kept_cents, x.outstanding_cents
            from app.analytics_deltas as x
            cross join (values ('hours'), ('days'), ('weeks')) as g (grain)
            cross join (values ('grid'), ('neighbourhood')) as k (kind)
            where x.grid_cell is not null
        ) as r
        group by r.grain, r.t, r.kind, r.area, r.category_id, r.currency
    ) as s
    full join (
        select
            g.grain, internal.analytics_grain_start(g.grain, f.hour) as t,
            k.kind, internal.analytics_area_key(k.kind, pl.grid_cell, pl.area_slug) as area,
            f.category_id, f.currency, array[
                pg_catalog.sum(f.bookings),
                pg_catalog.sum(f.bookings) filter (where f.status = 'completed'),
                pg_catalog.sum(f.bookings) filter (where f.status = 'no_show'),
                pg_catalog.sum(f.bookings) filter (where f.status = 'cancelled'),
                pg_catalog.sum(f.booked_cents), pg_catalog.sum(f.captured_cents), pg_catalog.sum(f.refunded_cents),
                pg_catalog.sum(f.fees_kept_cents), pg_catalog.sum(f.outstanding_cents)
            ]::bigint[] as v
        from internal.analytics_live_facts as f
        inner join internal.analytics_live_places as pl on f.provider_id = pl.provider_id
        cross join (values ('hours'), ('days'), ('weeks')) as g (grain)
        cross join (values ('grid'), ('neighbourhood')) as k (kind)
        group by 1, 2, 3, 4, f.category_id, f.currency
    ) as l
        on (s.grain, s.t, s.kind, s.area, s.category_id, s.currency)
        = (l.grain, l.t, l.kind, l.area, l.category_id, l.currency)
    where
        array(select coalesce(e, 0) from pg_catalog.unnest(s.v) as e)
        is distinct from array(select coalesce(e, 0) from pg_catalog.unnest(l.v) as e)
        and not (l.v is null and s.v = array[0, 0, 0, 0, 0, 0, 0, 0, 0]::bigint[])
    union all
    -- each customer's first booking (its start, as epoch seconds, a hash of its id, its category)
    select
        'customer_firsts', coalesce(s.customer_id, l.customer_id)::text,
        case when s.customer_id is not null then array[
            extract(epoch from s.starts_at)::bigint, pg_catalog.hashtext(s.booking_id::text), s.category_id
        ] end,
        case when l.customer_id is not null then array[
            extract(epoch from l.starts_at)::bigint, pg_catalog.hashtext(l.booking_id::text), l.category_id
        ] end
    from app.analytics_customer_firsts as s
    full join internal.analytics_live_customer_firsts as l on s.customer_id = l.customer_id
    where (s.booking_id, s.starts_at, s.category_id) is distinct from (l.booking_id, l.starts_at, l.category_id)
    union all
    -- the first bookings per start hour and category, with their deltas not folded yet
    select
        'first_hours', pg_catalog.concat_ws(' ', coalesce(s.hour, l.hour), coalesce(s.category_id, l.category_id)),
        array[s.customers], array[l.customers]
    from (
        select x.hour, x.category_id, pg_catalog.sum(x.customers)::bigint as customers
        from (
            select h.hour, h.category_id, h.customers from app.analytics_first_hours as h
            union all
            select d.hour, d.category_id, d.customers from app.analytics_first_deltas as d
        ) as x
        group by x.hour, x.category_id
        having pg_catalog.sum(x.customers) <> 0
    ) as s
    full join (
        select pg_catalog.date_trunc('hour', l.starts_at, 'UTC') as hour, l.category_id, pg_catalog.count(*) as customers
        from internal.analytics_live_customer_firsts as l
        group by 1, 2
    ) as l on s.hour = l.hour and s.category_id = l.category_id
    where s.customers is distinct from l.customers
    union all
    -- each customer's earliest start with each provider (epoch seconds)
    select
        'provider_customers',
        pg_catalog.concat_ws(' ', coalesce(s.provider_id, l.provider_id), coalesce(s.customer_id, l.customer_id)),
        array[extract(epoch from s.first_starts_at)::bigint], array[extract(epoch from l.first_starts_at)::bigint]
    from app.analytics_provider_customers as s
    full join internal.analytics_live_provider_customers as l
        on s.provider_id = l.provider_id and s.customer_id = l.customer_id
    where s.first_starts_at is distinct from l.first_starts_at
$$;
comment on function internal.analytics_drift() is
'Where any analytics rollup differs from a live recount of the base tables (no rows: they agree): the bookings'' '
'rollups and the offered days (internal.analytics_drift_facts), the customers'' cohort weeks (bookings, sign-up '
'hour in epoch seconds), the providers'' places (a hash of the row) and the rollups per area (area_hours, '
'area_days, area_weeks: bookings, completed, no_show, cancelled and the five amounts), the customers'' first bookings '
'(customer_firsts: start in epoch seconds, a hash of the booking''s id, its category) and their counts per '
'start hour and category (first_hours), and their earliest start with each provider (provider_customers). '
'Definer: it reads every provider''s and customer''s rows; granted to nobody (the owner and tests call it).';
