-- Analytics rollups, kept exact on write (docs/analytics.md, docs/decisions.md).
--
--   internal.analytics_live_facts   view: every booking's contribution, recounted from
--                                    the base tables (bookings, services, payments,
--                                    refunds, booking_fees); the one definition of
--                                    every figure
--   internal.analytics_live_quote_bookings
--                                    view: each quote's first booking (the funnel's, 84)
--   internal.analytics_refresh_booking(id)
--                                    recompute one booking's contribution and move the
--                                    difference into both rollups
--   triggers (_510_analytics_*)      bookings, payments, refunds, booking_fees, and a
--                                    service whose category changes
--   internal.analytics_compact()     fold the deltas into the rollups across providers
--                                    (app.analytics_hours, app.analytics_days)
--   internal.analytics_offered_*     the offered time per provider and local day
--                                    (app.analytics_offered_days, the utilisation's
--                                    denominator): its definition (_live), the recount of
--                                    a provider (_refresh) by the triggers on weekly
--                                    hours, time off and the provider's zone, the window
--                                    moved by the worker (_advance), the read (kept days
--                                    inside the window, live outside)
--   internal.analytics_rebuild_facts()
--                                    recompute these rollups from the base tables
--                                    (internal.analytics_rebuild, 81_analytics_audience.sql,
--                                    adds the customers' and places': `bookiji analytics rebuild`)
--   internal.analytics_rebuild_bookings()  the same but the offered days (the seed's
--                                    activity, the benchmark's confirm without triggers)
--   internal.analytics_drift_facts() where these rollups and a live recount differ (in
--                                    internal.analytics_drift, 81)
--
-- The triggers are not deferred to the commit (which would recompute a confirm's
-- booking once instead of twice): a deferred trigger leaves "pending trigger
-- events" that make a later ALTER TABLE in the same transaction fail (the seed's
-- bulk load disables the audit trigger that way). The confirm names its hold instead
-- (the setting bookiji.analytics_new_hold, 50_booking.sql): the hold's insert writes no
-- vector, and its payment's insert, next in the same function, writes it once.
-- One booking's contribution changes under a transaction-scoped advisory lock on
-- that booking, and each change recomputes it from what is committed when the lock
-- is granted: two transactions that touch the same booking (a refund settling while
-- the booking is rescheduled) queue, and the second sees the first's rows. The rows
-- of a rollup are written in key order, so two moves never wait on each other in a
-- cycle.

create or replace view internal.analytics_live_facts
with (security_barrier = true)
as
select
    b.id as booking_id,
    b.provider_id,
    s.category_id,
    pg_catalog.date_trunc('hour', pg_catalog.lower(b.during), 'UTC') as hour,
    b.status,
    b.currency,
    1 as bookings,
    b.price_cents::bigint as booked_cents,
    pg_catalog.floor(
        extract(epoch from pg_catalog.lower(b.during) - b.created_at) / 60
    )::bigint as lead_minutes,
    coalesce(b.status = 'cancelled' and b.cancelled_by_role = 'customer', false)::integer as cancelled_by_customer,
    coalesce(b.status = 'cancelled' and b.cancelled_by_role = 'provider', false)::integer as cancelled_by_provider,
    coalesce(b.status = 'cancelled' and b.cancelled_by_role = 'ops', false)::integer as cancelled_by_ops,
    coalesce(b.status = 'cancelled' and b.cancelled_by_role = 'system', false)::integer as cancelled_by_system,
    coalesce(
        b.status = 'cancelled'
        and b.cancelled_at >= pg_catalog.lower(b.during) - pg_catalog.make_interval(hours => b.cancel_notice_hours),
        false
    )::integer as cancelled_late,
    coalesce((
        select pg_catalog.sum(p.captured_cents) from app.payments as p where p.booking_id = b.id
    ), 0)::bigint as captured_cents,
    coalesce((
        select pg_catalog.sum(r.amount_cents) from app.refunds as r
        where r.booking_id = b.id and r.status = 'succeeded'
    ), 0)::bigint as refunded_cents,
    coalesce((
        select pg_catalog.sum(f.amount_cents) from app.booking_fees as f where f.booking_id = b.id
    ), 0)::bigint as fees_kept_cents,
    coalesce((
        select pg_catalog.sum(p.amount_cents) from app.payments as p
        where p.booking_id = b.id and p.status in ('pending', 'requires_payment')
    ), 0)::bigint as outstanding_cents,
    -- the taxes inside captured_cents: the first charge's (db/functions/39_taxes.sql), once per
    -- payment that succeeded
    (fc.gst_cents * (
        select pg_catalog.count(*) from app.payments as p where p.booking_id = b.id and p.status = 'succeeded'
    ))::bigint as gst_cents,
    (fc.qst_cents * (
        select pg_catalog.count(*) from app.payments as p where p.booking_id = b.id and p.status = 'succeeded'
    ))::bigint as qst_cents,
    pg_catalog.date_trunc('hour', b.created_at, 'UTC') as created_hour,
    pg_catalog.lower(b.during) as starts_at
from app.bookings as b
inner join app.services as s on b.service_id = s.id
cross join lateral internal.booking_first_charge(b) as fc;
comment on view internal.analytics_live_facts is
'Every booking''s contribution to the analytics figures, recounted from the base tables: the definition the rollups follow.';

-- The funnel's confirm step (84_analytics_behaviour.sql keeps it in app.analytics_quote_bookings).
create or replace view internal.analytics_live_quote_bookings
with (security_barrier = false)
as
select distinct on (b.quote_id)
    b.quote_id,
    q.created_at as quoted_at,
    q.category_id,
    b.id as booking_id,
    b.created_at as booked_at,
    b.status,
    b.updated_at,
    p.status as payment_status,
    p.updated_at as payment_updated_at
from app.bookings as b
inner join app.quotes as q on b.quote_id = q.id
left join app.payments as p on b.id = p.booking_id
order by b.quote_id asc, b.created_at asc, b.id asc;
comment on view internal.analytics_live_quote_bookings is
'Each quote''s first booking (earliest created_at, then id) with the quote''s time and category, the booking''s '
'status and last change, and its payment''s (a booking has at most one), recounted from app.bookings, app.quotes '
'and app.payments: what app.analytics_quote_bookings keeps.';

-- The advisory lock that orders a provider's place against the differences placed with it:
-- shared by every write of the provider's figures (internal.analytics_add), exclusive for a move.
create or replace function internal.analytics_place_lock(p_provider_id uuid)
returns bigint
language sql
immutable
parallel safe
-- no SET clause: inlined where it is called
as $$
    select pg_catalog.hashtextextended('bookiji.analytics.place:' || p_provider_id::text, 0)
$$;
comment on function internal.analytics_place_lock(uuid) is
'The advisory lock key of a provider''s place in the analytics rollups per area.';

-- The area a place (or a difference carrying its place) counts under, for one kind of area:
-- its grid cell, or its neighbourhood ('other' outside every neighbourhood). The fold, the
-- rebuild, the drift check, the areas' read and the drill-down's area total all name it so.
create or replace function internal.analytics_area_key(p_kind text, p_grid_cell text, p_area_slug text)
returns text
language sql
immutable
parallel safe
-- no SET clause: inlined where it is called
as $$
    select case p_kind when 'grid' then p_grid_cell else coalesce(p_area_slug, 'other') end
$$;
comment on function internal.analytics_area_key(text, text, text) is
'The key of a place in the rollups per area of one kind (grid or neighbourhood): its grid cell, '
'or its neighbourhood''s slug (''other'' outside every neighbourhood).';

-- Add p_new minus p_old to the provider rollup row of their key (both have the same key, or
-- one of them is null), creating the row if need be, and append it to the deltas.
create or replace function internal.analytics_add(
    p_new app.analytics_booking_facts, p_old app.analytics_booking_facts
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_provider uuid := coalesce((p_new).provider_id, (p_old).provider_id);
begin
    -- where the provider is placed is read under its shared lock: a move takes it exclusively,
    -- so this difference is in the provider's history the move carries, or placed after it
    -- (internal.analytics_place_providers, 81_analytics_audience.sql); taken before the
    -- statement below, whose snapshot then holds the place the lock protects
    perform pg_catalog.pg_advisory_xact_lock_shared(internal.analytics_place_lock(v_provider));
    -- One statement (a confirm makes two of these): the difference computed once, added to the
    -- provider's row and appended, with the provider's place but not the provider, to the
    -- deltas of the rollups across providers and per area (never updated, so concurrent writers
    -- share no row; folded by internal.analytics_compact).
    with d as (
        select
            coalesce((p_new).hour, (p_old).hour) as hour,
            coalesce((p_new).category_id, (p_old).category_id) as category_id,
            coalesce((p_new).status, (p_old).status) as status,
            coalesce((p_new).currency, (p_old).currency) as currency,
            coalesce((p_new).bookings, 0) - coalesce((p_old).bookings, 0) as bookings,
            coalesce((p_new).booked_cents, 0) - coalesce((p_old).booked_cents, 0) as booked_cents,
            coalesce((p_new).lead_minutes, 0) - coalesce((p_old).lead_minutes, 0) as lead_minutes,
            coalesce((p_new).cancelled_by_customer, 0) - coalesce((p_old).cancelled_by_customer, 0) as cancelled_by_customer,
            coalesce((p_new).cancelled_by_provider, 0) - coalesce((p_old).cancelled_by_provider, 0) as cancelled_by_provider,
            coalesce((p_new).cancelled_by_ops, 0) - coalesce((p_old).cancelled_by_ops, 0) as cancelled_by_ops,
            coalesce((p_new).cancelled_by_system, 0) - coalesce((p_old).cancelled_by_system, 0) as cancelled_by_system,
            coalesce((p_new).cancelled_late, 0) - coalesce((p_old).cancelled_late, 0) as cancelled_late,
            coalesce((p_new).captured_cents, 0) - coalesce((p_old).captured_cents, 0) as captured_cents,
            coalesce((p_new).refunded_cents, 0) - coalesce((p_old).refunded_cents, 0) as refunded_cents,
            coalesce((p_new).fees_kept_cents, 0) - coalesce((p_old).fees_kept_cents, 0) as fees_kept_cents,
            coalesce((p_new).outstanding_cents, 0) - coalesce((p_old).outstanding_cents, 0) as outstanding_cents,
            coalesce((p_new).gst_cents, 0) - coalesce((p_old).gst_cents, 0) as gst_cents,
            coalesce((p_new).qst_cents, 0) - coalesce((p_old).qst_cents, 0) as qst_cents,
            -- how many bookings have each figure of money (not zero): the drill-down's totals
            (coalesce((p_new).captured_cents, 0) <> 0)::integer
            - (coalesce((p_old).captured_cents, 0) <> 0)::integer as captured_bookings,
            (coalesce((p_new).refunded_cents, 0) <> 0)::integer
            - (coalesce((p_old).refunded_cents, 0) <> 0)::integer as refunded_bookings,
            (coalesce((p_new).fees_kept_cents, 0) <> 0)::integer
            - (coalesce((p_old).fees_kept_cents, 0) <> 0)::integer as fees_kept_bookings,
            (coalesce((p_new).captured_cents, 0) <> coalesce((p_new).refunded_cents, 0))::integer
            - (coalesce((p_old).captured_cents, 0) <> coalesce((p_old).refunded_cents, 0))::integer
            as net_bookings,
            (coalesce((p_new).outstanding_cents, 0) <> 0)::integer
            - (coalesce((p_old).outstanding_cents, 0) <> 0)::integer as outstanding_bookings,
            coalesce((p_new).created_hour, (p_old).created_hour) as created_hour
    ),

    -- an insert that conflicts rather than an update: the unique index finds the row whatever
    -- the plan (a generic plan of an update on a small, young table read it sequentially)
    provider_row as (
        insert into app.analytics_provider_hours as h (
            provider_id, hour, category_id, status, currency, bookings, booked_cents, lead_minutes,
            cancelled_by_customer, cancelled_by_provider, cancelled_by_ops, cancelled_by_system,
            cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
            gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings,
            net_bookings, outstanding_bookings
        )
        select
            v_provider, d.hour, d.category_id, d.status, d.currency, d.bookings, d.booked_cents,
            d.lead_minutes, d.cancelled_by_customer, d.cancelled_by_provider, d.cancelled_by_ops,
            d.cancelled_by_system, d.cancelled_late, d.captured_cents, d.refunded_cents,
            d.fees_kept_cents, d.outstanding_cents, d.gst_cents, d.qst_cents, d.captured_bookings,
            d.refunded_bookings, d.fees_kept_bookings, d.net_bookings, d.outstanding_bookings
        from d
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
            qst_cents = h.qst_cents + excluded.qst_cents,
            captured_bookings = h.captured_bookings + excluded.captured_bookings,
            refunded_bookings = h.refunded_bookings + excluded.refunded_bookings,
            fees_kept_bookings = h.fees_kept_bookings + excluded.fees_kept_bookings,
            net_bookings = h.net_bookings + excluded.net_bookings,
            outstanding_bookings = h.outstanding_bookings + excluded.outstanding_bookings
    )

    insert into app.analytics_deltas (
        hour, category_id, status, currency, bookings, booked_cents, lead_minutes,
        cancelled_by_customer, cancelled_by_provider, cancelled_by_ops, cancelled_by_system,
        cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings,
        net_bookings, outstanding_bookings, grid_cell, area_slug, created_hour
    )
    select
        d.hour, d.category_id, d.status, d.currency, d.bookings, d.booked_cents, d.lead_minutes,
        d.cancelled_by_customer, d.cancelled_by_provider, d.cancelled_by_ops,
        d.cancelled_by_system, d.cancelled_late, d.captured_cents, d.refunded_cents,
        d.fees_kept_cents, d.outstanding_cents, d.gst_cents, d.qst_cents, d.captured_bookings,
        d.refunded_bookings, d.fees_kept_bookings, d.net_bookings, d.outstanding_bookings,
        pl.grid_cell, pl.area_slug, d.created_hour
    from d
    left join app.analytics_provider_places as pl on v_provider = pl.provider_id;
end
$$;
comment on function internal.analytics_add(app.analytics_booking_facts, app.analytics_booking_facts) is
'Add the difference of two analytics vectors of one key (either may be null) to its provider rollup row, '
'and append it, with the provider''s place, to the deltas of the rollups across providers and per area.';

-- Add p_new and subtract p_old in the provider rollup (either may be null), rows in key order.
-- Most changes keep the key (a payment's capture, a refund, a fee: only amounts move): one
-- row gets the difference. A moved key (a status change, a reschedule) takes the old vector
-- from its row and adds the new one to its own, the two rows in key order (the same provider
-- row twice when only the hour the booking was made moved: the deltas' hour made differs).
-- Plain statements,
-- not the grouped upsert of a union this replaced (docs/performance.md#analytics).
create or replace function internal.analytics_apply(
    p_old app.analytics_booking_facts, p_new app.analytics_booking_facts
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    if (p_old).booking_id is null or (p_new).booking_id is null or (
        (p_new).provider_id, (p_new).hour, (p_new).category_id, (p_new).status, (p_new).currency,
        (p_new).created_hour
    ) = (
        (p_old).provider_id, (p_old).hour, (p_old).category_id, (p_old).status, (p_old).currency,
        (p_old).created_hour
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
comment on function internal.analytics_apply(app.analytics_booking_facts, app.analytics_booking_facts) is
'Move one booking''s contribution in the provider rollup: add the new vector, subtract the old (rows in key order).';

create or replace function internal.analytics_refresh_booking(p_booking_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
        -- the confirm's hold has its vector now: its payment moves it, not writes it again
        -- (internal.analytics_booking_row_changed)
        if p_booking_id::text = pg_catalog.current_setting('bookiji.analytics_new_hold', true) then
            perform pg_catalog.set_config('bookiji.analytics_new_hold', '', true);
        end if;
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
            outstanding_cents = v_new.outstanding_cents, gst_cents = v_new.gst_cents, qst_cents = v_new.qst_cents,
            created_hour = v_new.created_hour, starts_at = v_new.starts_at
        where f.booking_id = p_booking_id;
    end if;
end
$$;
comment on function internal.analytics_refresh_booking(uuid) is
'Recompute one booking''s analytics contribution from the base tables and move the difference into the rollups. '
'Definer: called from triggers of writes by any role, and the rollups are written by nobody else.';

-- A booking with no vector yet and no money row but the one given (a booking being inserted:
-- none; the confirm's hold with its payment: that payment's): no other transaction can see it,
-- so its vector is its own row's (analytics_live_facts' formulas) with that money, added and
-- stored without the lock, the old vector or the recount (a confirm's cost).
drop function if exists internal.analytics_new_booking_facts(app.bookings);
create or replace function internal.analytics_add_new_booking(
    p_booking app.bookings, p_captured bigint, p_outstanding bigint, p_gst bigint, p_qst bigint
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_new app.analytics_booking_facts;
begin
    select
        p_booking.id, p_booking.provider_id, s.category_id,
        pg_catalog.date_trunc('hour', pg_catalog.lower(p_booking.during), 'UTC'),
        p_booking.status, p_booking.currency, 1, p_booking.price_cents::bigint,
        pg_catalog.floor(extract(epoch from pg_catalog.lower(p_booking.during) - p_booking.created_at) / 60)::bigint,
        coalesce(p_booking.status = 'cancelled' and p_booking.cancelled_by_role = 'customer', false)::integer,
        coalesce(p_booking.status = 'cancelled' and p_booking.cancelled_by_role = 'provider', false)::integer,
        coalesce(p_booking.status = 'cancelled' and p_booking.cancelled_by_role = 'ops', false)::integer,
        coalesce(p_booking.status = 'cancelled' and p_booking.cancelled_by_role = 'system', false)::integer,
        coalesce(
            p_booking.status = 'cancelled'
            and p_booking.cancelled_at
            >= pg_catalog.lower(p_booking.during) - pg_catalog.make_interval(hours => p_booking.cancel_notice_hours),
            false
        )::integer,
        p_captured, 0, 0, p_outstanding, p_gst, p_qst,
        pg_catalog.date_trunc('hour', p_booking.created_at, 'UTC'), pg_catalog.lower(p_booking.during)
    into v_new
    from app.services as s
    where s.id = p_booking.service_id;
    perform internal.analytics_add(v_new, null);  -- analytics_apply's case of no old vector
    insert into app.analytics_booking_facts values (v_new.*);
end
$$;
comment on function internal.analytics_add_new_booking(app.bookings, bigint, bigint, bigint, bigint) is
'Add and store the analytics vector of a booking that has none yet and no money row but the one given '
'(captured, outstanding, its taxes): its own row''s with that money.';

-- The triggers: one function per table, each naming the booking it touched.
create or replace function internal.analytics_booking_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if tg_op <> 'INSERT' then
        perform internal.analytics_refresh_booking(case when tg_op = 'DELETE' then old.id else new.id end);
        return null;
    end if;
    -- the confirm's hold: its vector is written with its payment's row, next in the same
    -- transaction (internal.analytics_booking_row_changed), or, with nothing to pay, by the
    -- recount of its confirmation (no vector yet)
    if new.id::text = pg_catalog.current_setting('bookiji.analytics_new_hold', true) then
        return null;
    end if;
    perform internal.analytics_add_new_booking(new, 0, 0, 0, 0);
    return null;
end
$$;
comment on function internal.analytics_booking_changed() is
'Trigger: a booking changed what it contributes to the analytics rollups. '
'Definer: as internal.analytics_refresh_booking.';

-- A payment's own change to its booking's vector: captured_cents and outstanding_cents move by
-- the difference of this row, under the booking's lock, without recounting the booking (the
-- confirm's payment row). False when it cannot (no facts row yet: loaded with the triggers
-- off), and the caller recounts.
drop function if exists internal.analytics_payment_delta(uuid, bigint, bigint);
create or replace function internal.analytics_payment_delta(
    p_booking_id uuid, p_captured bigint, p_outstanding bigint, p_gst bigint, p_qst bigint
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
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
    perform internal.analytics_add(v_new, v_old);  -- analytics_apply's case of one key
    return true;
end
$$;
comment on function internal.analytics_payment_delta(uuid, bigint, bigint, bigint, bigint) is
'Move a payment''s own change (captured and outstanding cents, the taxes of a charge that succeeded) '
'into its booking''s analytics vector and rollup row; '
'false when the booking has no vector yet.';

create or replace function internal.analytics_booking_row_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_succeeded integer := 0;
    v_gst bigint := 0;
    v_qst bigint := 0;
    v_outstanding bigint;
    v_booking app.bookings;
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
            v_outstanding := case when new.status in ('pending', 'requires_payment') then new.amount_cents else 0 end;
            -- the confirm's hold, inserted just before without its vector and still named (a
            -- recount that wrote one since unnamed it: internal.analytics_refresh_booking), seen
            -- by no other transaction: its own row's vector with this payment's, its one money
            -- row, written once as a booking's insert writes its own; asked first, so that the
            -- confirm does not probe for a vector it knows is not there
            if new.booking_id::text = pg_catalog.current_setting('bookiji.analytics_new_hold', true) then
                perform pg_catalog.set_config('bookiji.analytics_new_hold', '', true);
                select * into v_booking from app.bookings as b where b.id = new.booking_id;
                perform internal.analytics_add_new_booking(v_booking, new.captured_cents, v_outstanding, v_gst, v_qst);
                return null;
            end if;
            if internal.analytics_payment_delta(
                new.booking_id, new.captured_cents::bigint, v_outstanding, v_gst, v_qst
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
comment on function internal.analytics_booking_row_changed() is
'Trigger: a payment, refund or fee changed what its booking contributes to the analytics rollups. '
'Definer: as internal.analytics_refresh_booking.';

drop trigger if exists _510_analytics_insert on app.bookings;
create trigger _510_analytics_insert after insert or delete on app.bookings
for each row execute function internal.analytics_booking_changed();
drop trigger if exists _510_analytics_update on app.bookings;
create trigger _510_analytics_update after update on app.bookings
for each row
when (
    old.status is distinct from new.status
    or old.during is distinct from new.during
    or old.service_id is distinct from new.service_id
    or old.provider_id is distinct from new.provider_id
    or old.price_cents is distinct from new.price_cents
    or old.currency is distinct from new.currency
    or old.created_at is distinct from new.created_at
    or old.cancelled_at is distinct from new.cancelled_at
    or old.cancelled_by_role is distinct from new.cancelled_by_role
    or old.cancel_notice_hours is distinct from new.cancel_notice_hours
)
execute function internal.analytics_booking_changed();

drop trigger if exists _510_analytics_insert on app.payments;
create trigger _510_analytics_insert after insert or delete on app.payments
for each row execute function internal.analytics_booking_row_changed();
drop trigger if exists _510_analytics_update on app.payments;
create trigger _510_analytics_update after update on app.payments
for each row
when (
    old.captured_cents is distinct from new.captured_cents
    or old.amount_cents is distinct from new.amount_cents
    or old.status is distinct from new.status
    or old.booking_id is distinct from new.booking_id
)
execute function internal.analytics_booking_row_changed();

drop trigger if exists _510_analytics_insert on app.refunds;
create trigger _510_analytics_insert after insert or delete on app.refunds
for each row execute function internal.analytics_booking_row_changed();
drop trigger if exists _510_analytics_update on app.refunds;
create trigger _510_analytics_update after update on app.refunds
for each row
when (
    old.amount_cents is distinct from new.amount_cents
    or old.status is distinct from new.status
    or old.booking_id is distinct from new.booking_id
)
execute function internal.analytics_booking_row_changed();

drop trigger if exists _510_analytics_insert on app.booking_fees;
create trigger _510_analytics_insert after insert or delete on app.booking_fees
for each row execute function internal.analytics_booking_row_changed();
drop trigger if exists _510_analytics_update on app.booking_fees;
create trigger _510_analytics_update after update on app.booking_fees
for each row
when (old.amount_cents is distinct from new.amount_cents or old.booking_id is distinct from new.booking_id)
execute function internal.analytics_booking_row_changed();

create or replace function internal.analytics_service_category_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_booking_id uuid;
    v_customer_id uuid;
begin
    for v_booking_id in select b.id from app.bookings as b where b.service_id = new.id order by b.id loop
        perform internal.analytics_refresh_booking(v_booking_id);
    end loop;
    -- the customers whose first booking is one of them: its category is kept beside it
    -- (app.analytics_customer_firsts, 81_analytics_audience.sql), recomputed under each one's lock
    for v_customer_id in
        select f.customer_id
        from app.analytics_customer_firsts as f
        inner join app.bookings as b on f.booking_id = b.id
        where b.service_id = new.id
        order by f.customer_id
    loop
        perform internal.analytics_customer_first_refresh(v_customer_id);
    end loop;
    return null;
end
$$;
comment on function internal.analytics_service_category_changed() is
'Trigger: a service moved to another category; its bookings move with it in the rollups, and the customers'' '
'first bookings among them take the new category. '
'Definer: a provider edits its own services and may not write the rollups.';

drop trigger if exists _510_analytics_category on app.services;
create trigger _510_analytics_category after update on app.services
for each row
when (old.category_id is distinct from new.category_id)
execute function internal.analytics_service_category_changed();

-- Fold the committed deltas into the rollups across providers (hourly and daily) and delete
-- them, in one statement: a reader sees the deltas or their fold, never both or neither.
-- One compaction at a time (a second caller returns 0 at once); writers are never waited for
-- (a delta not yet committed is not seen, and waits for the next round).
create or replace function internal.analytics_compact()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
            pg_catalog.sum(m.captured_bookings) as captured_bookings,
            pg_catalog.sum(m.refunded_bookings) as refunded_bookings,
            pg_catalog.sum(m.fees_kept_bookings) as fees_kept_bookings,
            pg_catalog.sum(m.net_bookings) as net_bookings,
            pg_catalog.sum(m.outstanding_bookings) as outstanding_bookings,
            pg_catalog.count(*) as n
        from moved as m
        group by m.hour, m.category_id, m.status, m.currency
    ),
    into_hours as (
        insert into app.analytics_hours as h (
            hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
        )
        select
            x.hour, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes,
            x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system,
            x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents,
            x.gst_cents, x.qst_cents, x.captured_bookings, x.refunded_bookings, x.fees_kept_bookings, x.net_bookings, x.outstanding_bookings
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
            qst_cents = h.qst_cents + excluded.qst_cents,
            captured_bookings = h.captured_bookings + excluded.captured_bookings,
            refunded_bookings = h.refunded_bookings + excluded.refunded_bookings,
            fees_kept_bookings = h.fees_kept_bookings + excluded.fees_kept_bookings,
            net_bookings = h.net_bookings + excluded.net_bookings,
            outstanding_bookings = h.outstanding_bookings + excluded.outstanding_bookings
    ),
    into_days as (
        insert into app.analytics_days as h (
            day, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
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
            pg_catalog.sum(x.qst_cents),
            pg_catalog.sum(x.captured_bookings),
            pg_catalog.sum(x.refunded_bookings),
            pg_catalog.sum(x.fees_kept_bookings),
            pg_catalog.sum(x.net_bookings),
            pg_catalog.sum(x.outstanding_bookings)
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
            qst_cents = h.qst_cents + excluded.qst_cents,
            captured_bookings = h.captured_bookings + excluded.captured_bookings,
            refunded_bookings = h.refunded_bookings + excluded.refunded_bookings,
            fees_kept_bookings = h.fees_kept_bookings + excluded.fees_kept_bookings,
            net_bookings = h.net_bookings + excluded.net_bookings,
            outstanding_bookings = h.outstanding_bookings + excluded.outstanding_bookings
    ),
    -- per area: the deltas with a place (none: written before the areas' rollups, which their
    -- backfill counted), under each kind of area (the grid cell, the neighbourhood), the
    -- statuses the areas show as columns
    area_hourly as (
        select
            g.kind, m.hour,
            internal.analytics_area_key(g.kind, m.grid_cell, m.area_slug) as area,
            m.category_id, m.currency,
            pg_catalog.sum(m.bookings) as bookings,
            coalesce(pg_catalog.sum(m.bookings) filter (where m.status = 'completed'), 0) as completed,
            coalesce(pg_catalog.sum(m.bookings) filter (where m.status = 'no_show'), 0) as no_show,
            coalesce(pg_catalog.sum(m.bookings) filter (where m.status = 'cancelled'), 0) as cancelled,
            pg_catalog.sum(m.booked_cents) as booked_cents,
            pg_catalog.sum(m.captured_cents) as captured_cents,
            pg_catalog.sum(m.refunded_cents) as refunded_cents,
            pg_catalog.sum(m.fees_kept_cents) as fees_kept_cents,
            pg_catalog.sum(m.outstanding_cents) as outstanding_cents
        from moved as m
        cross join (values ('grid'), ('neighbourhood')) as g (kind)
        where m.grid_cell is not null
        group by 1, 2, 3, 4, 5
    ),
    into_area_hours as (
        insert into app.analytics_area_hours as h (
            kind, hour, area, category_id, currency, bookings, completed, no_show, cancelled,
            booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
        )
        select
            x.kind, x.hour, x.area, x.category_id, x.currency, x.bookings, x.completed, x.no_show,
            x.cancelled, x.booked_cents, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents
        from area_hourly as x
        order by x.kind, x.hour, x.area, x.category_id, x.currency
        on conflict (kind, hour, area, category_id, currency) do update set
            bookings = h.bookings + excluded.bookings,
            completed = h.completed + excluded.completed,
            no_show = h.no_show + excluded.no_show,
            cancelled = h.cancelled + excluded.cancelled,
            booked_cents = h.booked_cents + excluded.booked_cents,
            captured_cents = h.captured_cents + excluded.captured_cents,
            refunded_cents = h.refunded_cents + excluded.refunded_cents,
            fees_kept_cents = h.fees_kept_cents + excluded.fees_kept_cents,
            outstanding_cents = h.outstanding_cents + excluded.outstanding_cents
    ),
    into_area_days as (
        insert into app.analytics_area_days as h (
            kind, day, area, category_id, currency, bookings, completed, no_show, cancelled,
            booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
        )
        select
            x.kind, (x.hour at time zone 'UTC')::date, x.area, x.category_id, x.currency,
            pg_catalog.sum(x.bookings), pg_catalog.sum(x.completed), pg_catalog.sum(x.no_show),
            pg_catalog.sum(x.cancelled), pg_catalog.sum(x.booked_cents), pg_catalog.sum(x.captured_cents),
            pg_catalog.sum(x.refunded_cents), pg_catalog.sum(x.fees_kept_cents), pg_catalog.sum(x.outstanding_cents)
        from area_hourly as x
        group by x.kind, (x.hour at time zone 'UTC')::date, x.area, x.category_id, x.currency
        order by 1, 2, 3, 4, 5
        on conflict (kind, day, area, category_id, currency) do update set
            bookings = h.bookings + excluded.bookings,
            completed = h.completed + excluded.completed,
            no_show = h.no_show + excluded.no_show,
            cancelled = h.cancelled + excluded.cancelled,
            booked_cents = h.booked_cents + excluded.booked_cents,
            captured_cents = h.captured_cents + excluded.captured_cents,
            refunded_cents = h.refunded_cents + excluded.refunded_cents,
            fees_kept_cents = h.fees_kept_cents + excluded.fees_kept_cents,
            outstanding_cents = h.outstanding_cents + excluded.outstanding_cents
    ),
    into_area_weeks as (
        insert into app.analytics_area_weeks as h (
            kind, week, area, category_id, currency, bookings, completed, no_show, cancelled,
            booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
        )
        select
            x.kind, pg_catalog.date_trunc('week', x.hour at time zone 'UTC')::date, x.area, x.category_id, x.currency,
            pg_catalog.sum(x.bookings), pg_catalog.sum(x.completed), pg_catalog.sum(x.no_show),
            pg_catalog.sum(x.cancelled), pg_catalog.sum(x.booked_cents), pg_catalog.sum(x.captured_cents),
            pg_catalog.sum(x.refunded_cents), pg_catalog.sum(x.fees_kept_cents), pg_catalog.sum(x.outstanding_cents)
        from area_hourly as x
        group by x.kind, pg_catalog.date_trunc('week', x.hour at time zone 'UTC')::date, x.area, x.category_id, x.currency
        order by 1, 2, 3, 4, 5
        on conflict (kind, week, area, category_id, currency) do update set
            bookings = h.bookings + excluded.bookings,
            completed = h.completed + excluded.completed,
            no_show = h.no_show + excluded.no_show,
            cancelled = h.cancelled + excluded.cancelled,
            booked_cents = h.booked_cents + excluded.booked_cents,
            captured_cents = h.captured_cents + excluded.captured_cents,
            refunded_cents = h.refunded_cents + excluded.refunded_cents,
            fees_kept_cents = h.fees_kept_cents + excluded.fees_kept_cents,
            outstanding_cents = h.outstanding_cents + excluded.outstanding_cents
    ),
    -- by the hour the bookings were made (today's counters): the deltas that carry it
    into_created_hours as (
        insert into app.analytics_created_hours as h (hour, status, bookings, booked_cents, captured_cents)
        select
            m.created_hour, m.status, pg_catalog.sum(m.bookings), pg_catalog.sum(m.booked_cents),
            pg_catalog.sum(m.captured_cents)
        from moved as m
        where m.created_hour is not null
        group by m.created_hour, m.status
        order by 1, 2
        on conflict (hour, status) do update set
            bookings = h.bookings + excluded.bookings,
            booked_cents = h.booked_cents + excluded.booked_cents,
            captured_cents = h.captured_cents + excluded.captured_cents
    ),
    -- the quotes per hour and category (the funnel, 84_analytics_behaviour.sql)
    moved_quotes as (
        delete from app.analytics_quote_deltas as d returning d.*
    ),
    into_quote_hours as (
        insert into app.analytics_quote_hours as h (hour, category_id, quotes)
        select m.hour, m.category_id, pg_catalog.sum(m.quotes)
        from moved_quotes as m
        group by m.hour, m.category_id
        order by 1, 2
        on conflict (hour, category_id) do update set quotes = h.quotes + excluded.quotes
        returning 1
    ),
    -- the customers' first bookings per start hour and category (new customers,
    -- 81_analytics_audience.sql)
    moved_firsts as (
        delete from app.analytics_first_deltas as d returning d.*
    ),
    into_first_hours as (
        insert into app.analytics_first_hours as h (hour, category_id, customers)
        select m.hour, m.category_id, pg_catalog.sum(m.customers)
        from moved_firsts as m
        group by m.hour, m.category_id
        order by 1, 2
        on conflict (hour, category_id) do update set customers = h.customers + excluded.customers
        returning 1
    )
    -- (data-modifying CTEs run to completion whether or not the query reads them)
    select
        coalesce(pg_catalog.sum(x.n), 0)::bigint + (select pg_catalog.count(*) from moved_quotes)
        + (select pg_catalog.count(*) from moved_firsts)
    into v_rows from hourly as x;
    return v_rows;
end
$$;
comment on function internal.analytics_compact() is
'Fold the committed analytics deltas into the rollups across providers (hourly, daily, by hour made), per area '
'(hourly, daily and weekly), of quotes per hour (the funnel) and of first bookings per hour (new customers); returns how '
'many it folded. '
'Definer: the worker calls it after each sweep; nobody writes those rollups otherwise.';

-- Offered time per provider and local day (app.analytics_offered_days): what
-- api.analytics_performance divides the booked minutes by, kept ready instead of built from
-- weekly hours and time off on every call. A provider's day is kept while it is inside the
-- window of app.analytics_offered_window (62 days each side of today, moved by the worker);
-- a day outside it is counted live from the same definition.

-- The definition: each local day of [p_first, p_last] of each provider of p_ids (every
-- provider when null) with something offered: its weekly hours of that day of the week as
-- instants in its zone (a spring-forward night loses its missing hour), minus its time off,
-- and their length in seconds.
-- PL/pgSQL, planned with its arguments each call: as a language sql function it was planned
-- without them, for any number of providers, and one provider's recount (a schedule edit)
-- hashed every provider's weekly hours, spilling to disk (100,000 providers: 112 ms an edit).
create or replace function internal.analytics_offered_live(p_ids uuid[], p_first date, p_last date)
returns table (provider_id uuid, day date, offered tstzmultirange, offered_seconds numeric)
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
begin
    return query
    select x.id, x.day, x.offered, s.seconds
    from (
        select
            p.id,
            d.day::date as day,
            pg_catalog.range_agg(pg_catalog.tstzrange(
                (d.day + h.start_time) at time zone p.time_zone,
                (d.day + h.end_time) at time zone p.time_zone
            )) - coalesce((
                select pg_catalog.range_agg(t.during)
                from app.time_off as t
                where
                    t.provider_id = p.id
                    and t.during && pg_catalog.tstzrange(
                        d.day at time zone p.time_zone, (d.day + interval '1 day') at time zone p.time_zone
                    )
            ), '{}') as offered
        from (
            -- the providers named (by key), or every provider
            select p.id, p.time_zone from app.providers as p where p.id = any(p_ids)
            union all
            select p.id, p.time_zone from app.providers as p where p_ids is null
        ) as p
        cross join pg_catalog.generate_series(p_first::timestamp, p_last::timestamp, interval '1 day') as d (day)
        inner join app.weekly_hours as h on p.id = h.provider_id and h.day_of_week = extract(dow from d.day)
        group by p.id, p.time_zone, d.day
    ) as x
    cross join lateral (
        select coalesce(pg_catalog.sum(extract(epoch from pg_catalog.upper(r) - pg_catalog.lower(r))), 0) as seconds
        from pg_catalog.unnest(x.offered) as r
    ) as s
    where not pg_catalog.isempty(x.offered);
end
$$;
comment on function internal.analytics_offered_live(uuid[], date, date) is
'Each provider''s (of p_ids; every provider when null) offered time on each of its local days [p_first, p_last] '
'with some: weekly hours in its zone minus time off, and its length in seconds. The definition '
'app.analytics_offered_days keeps.';

-- The window the kept days should cover today: 62 days each side of the UTC date.
create or replace function internal.analytics_offered_target()
returns table (first_day date, last_day date)
language sql
stable
set search_path = ''
as $$
    select (pg_catalog.now() at time zone 'UTC')::date - 62, (pg_catalog.now() at time zone 'UTC')::date + 62
$$;
comment on function internal.analytics_offered_target() is
'The local days app.analytics_offered_days should keep today: 62 days before and after the UTC date.';

-- Offered time per provider and local day over [p_from, p_to] for the providers of p_ids:
-- the kept rows for the days inside the window, counted live for the days outside it.
create or replace function internal.analytics_offered(p_ids uuid[], p_from date, p_to date)
returns table (provider_id uuid, day date, offered tstzmultirange, offered_seconds numeric)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_first date;
    v_last date;
begin
    select w.first_day, w.last_day into v_first, v_last from app.analytics_offered_window as w;
    if v_first is null then
        return query select l.* from internal.analytics_offered_live(p_ids, p_from, p_to) as l;
        return;
    end if;
    return query
    select o.provider_id, o.day, o.offered, o.offered_seconds
    from app.analytics_offered_days as o
    where o.provider_id = any(p_ids) and o.day between greatest(p_from, v_first) and least(p_to, v_last);
    if p_from < v_first then
        return query select l.* from internal.analytics_offered_live(p_ids, p_from, least(p_to, v_first - 1)) as l;
    end if;
    if p_to > v_last then
        return query select l.* from internal.analytics_offered_live(p_ids, greatest(p_from, v_last + 1), p_to) as l;
    end if;
end
$$;
comment on function internal.analytics_offered(uuid[], date, date) is
'Offered time per provider of p_ids and local day of [p_from, p_to]: app.analytics_offered_days inside its window, '
'internal.analytics_offered_live outside it; under the caller''s row-level security.';

-- Recount the kept days of some providers (their hours, time off or zone changed). Each
-- provider's recount runs under a transaction lock of its own, so two edits of one provider
-- queue and the second counts what the first committed; a bulk edit of many providers (a
-- load) locks the table instead (one advisory lock each would fill the lock table). The
-- window's row is read with a share lock: the window cannot move under a recount.
create or replace function internal.analytics_offered_refresh(p_ids uuid[])
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_ids uuid[];
    v_id uuid;
    v_first date;
    v_last date;
begin
    select pg_catalog.array_agg(distinct i.id order by i.id) into v_ids
    from pg_catalog.unnest(p_ids) as i (id)
    where i.id is not null;
    if v_ids is null then
        return;
    end if;
    select w.first_day, w.last_day into v_first, v_last from app.analytics_offered_window as w for share;
    if v_first is null then
        return;
    end if;
    if pg_catalog.cardinality(v_ids) > 64 then
        lock table app.analytics_offered_days in share row exclusive mode;
    else
        foreach v_id in array v_ids loop
            perform pg_catalog.pg_advisory_xact_lock(
                pg_catalog.hashtextextended('bookiji.analytics.offered:' || v_id::text, 0)
            );
        end loop;
    end if;
    delete from app.analytics_offered_days as o
    where o.provider_id = any(v_ids) and o.day between v_first and v_last;
    insert into app.analytics_offered_days (provider_id, day, offered, offered_seconds)
    select l.provider_id, l.day, l.offered, l.offered_seconds
    from internal.analytics_offered_live(v_ids, v_first, v_last) as l;
end
$$;
comment on function internal.analytics_offered_refresh(uuid[]) is
'Recount the kept offered days (app.analytics_offered_days, inside its window) of the providers of p_ids.';

-- The triggers: statement triggers on weekly hours and time off (one recount per provider and
-- statement, whatever the number of rows), a row trigger on the provider's zone.
create or replace function internal.analytics_offered_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_offered_refresh(array(select n.provider_id from new_rows as n));
    return null;
end
$$;
comment on function internal.analytics_offered_inserted() is
'Trigger: weekly hours or time off added change the providers'' kept offered days. '
'Definer: providers write their hours and time off, and may not write the analytics tables.';

create or replace function internal.analytics_offered_deleted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_offered_refresh(array(select o.provider_id from old_rows as o));
    return null;
end
$$;
comment on function internal.analytics_offered_deleted() is
'Trigger: weekly hours or time off removed change the providers'' kept offered days. '
'Definer: as internal.analytics_offered_inserted.';

create or replace function internal.analytics_offered_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_offered_refresh(array(
        select n.provider_id from new_rows as n
        union
        select o.provider_id from old_rows as o
    ));
    return null;
end
$$;
comment on function internal.analytics_offered_updated() is
'Trigger: weekly hours or time off changed (or moved to another provider) change the providers'' kept offered days. '
'Definer: as internal.analytics_offered_inserted.';

create or replace function internal.analytics_offered_zone_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.analytics_offered_refresh(array[new.id]);
    return null;
end
$$;
comment on function internal.analytics_offered_zone_changed() is
'Trigger: a provider''s time zone changed, and so the instants of its kept offered days. '
'Definer: as internal.analytics_offered_inserted.';

drop trigger if exists _510_analytics_insert on app.weekly_hours;
create trigger _510_analytics_insert after insert on app.weekly_hours
referencing new table as new_rows
for each statement execute function internal.analytics_offered_inserted();
drop trigger if exists _510_analytics_delete on app.weekly_hours;
create trigger _510_analytics_delete after delete on app.weekly_hours
referencing old table as old_rows
for each statement execute function internal.analytics_offered_deleted();
drop trigger if exists _510_analytics_update on app.weekly_hours;
create trigger _510_analytics_update after update on app.weekly_hours
referencing old table as old_rows new table as new_rows
for each statement execute function internal.analytics_offered_updated();

drop trigger if exists _510_analytics_insert on app.time_off;
create trigger _510_analytics_insert after insert on app.time_off
referencing new table as new_rows
for each statement execute function internal.analytics_offered_inserted();
drop trigger if exists _510_analytics_delete on app.time_off;
create trigger _510_analytics_delete after delete on app.time_off
referencing old table as old_rows
for each statement execute function internal.analytics_offered_deleted();
drop trigger if exists _510_analytics_update on app.time_off;
create trigger _510_analytics_update after update on app.time_off
referencing old table as old_rows new table as new_rows
for each statement execute function internal.analytics_offered_updated();

drop trigger if exists _510_analytics_zone on app.providers;
create trigger _510_analytics_zone after update on app.providers
for each row
when (old.time_zone is distinct from new.time_zone)
execute function internal.analytics_offered_zone_changed();

-- Move the window to today's (internal.analytics_offered_target): forget the days before it,
-- count the days it gains for every provider. Nothing to do on most calls (the worker calls
-- it after each sweep; the window moves once a day); returns the rows written.
create or replace function internal.analytics_offered_advance()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_first date;
    v_last date;
    v_new_first date;
    v_new_last date;
    v_rows bigint := 0;
    v_n bigint;
begin
    select t.first_day, t.last_day into v_new_first, v_new_last from internal.analytics_offered_target() as t;
    if exists (
        select from app.analytics_offered_window as w where (w.first_day, w.last_day) = (v_new_first, v_new_last)
    ) then
        return 0;
    end if;
    -- one mover at a time; recounts of a provider (which hold the row in share mode) finish first
    select w.first_day, w.last_day into v_first, v_last from app.analytics_offered_window as w for update;
    if v_first is null then
        insert into app.analytics_offered_window (first_day, last_day) values (v_new_first, v_new_first - 1)
        on conflict (id) do nothing;
        select w.first_day, w.last_day into v_first, v_last from app.analytics_offered_window as w for update;
    end if;
    if (v_first, v_last) = (v_new_first, v_new_last) then
        return 0;
    end if;
    -- keep only the days both windows hold (anything else is counted again or dropped)
    delete from app.analytics_offered_days as o
    where o.day < greatest(v_first, v_new_first) or o.day > least(v_last, v_new_last);
    -- the days gained: before the old window and after it (all of the new one if they do not meet)
    if v_first > v_last or v_last < v_new_first or v_first > v_new_last then
        insert into app.analytics_offered_days (provider_id, day, offered, offered_seconds)
        select l.* from internal.analytics_offered_live(null, v_new_first, v_new_last) as l;
        get diagnostics v_rows = row_count;
    else
        if v_new_first < v_first then
            insert into app.analytics_offered_days (provider_id, day, offered, offered_seconds)
            select l.* from internal.analytics_offered_live(null, v_new_first, v_first - 1) as l;
            get diagnostics v_n = row_count;
            v_rows := v_rows + v_n;
        end if;
        if v_new_last > v_last then
            insert into app.analytics_offered_days (provider_id, day, offered, offered_seconds)
            select l.* from internal.analytics_offered_live(null, v_last + 1, v_new_last) as l;
            get diagnostics v_n = row_count;
            v_rows := v_rows + v_n;
        end if;
    end if;
    update app.analytics_offered_window as w set first_day = v_new_first, last_day = v_new_last;
    return v_rows;
end
$$;
comment on function internal.analytics_offered_advance() is
'Move the kept offered days to today''s window (62 days each side): drop the days before it, count the days it '
'gains; returns the rows written (0 when it is already there). '
'Definer: the worker calls it after each sweep; nobody else writes the table.';

create or replace function internal.analytics_rebuild_bookings()
returns table (bookings bigint, provider_rows bigint)
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    -- writers that would touch the rollups wait until the rebuild commits
    lock table app.analytics_booking_facts, app.analytics_provider_hours, app.analytics_deltas,
    app.analytics_hours, app.analytics_days, app.analytics_area_hours, app.analytics_area_days, app.analytics_area_weeks,
    app.analytics_created_hours
    in exclusive mode;
    delete from app.analytics_booking_facts;
    delete from app.analytics_provider_hours;
    delete from app.analytics_deltas;
    delete from app.analytics_hours;
    delete from app.analytics_days;
    delete from app.analytics_area_hours;
    delete from app.analytics_area_days;
    delete from app.analytics_area_weeks;
    delete from app.analytics_created_hours;
    -- The rollups read by a range of their key's time (across providers, per area) are
    -- written in key order: a range then reads its rows a page of neighbours at a time, where
    -- the order a hash aggregate gives put each row on a page of its own (a month of areas
    -- at 10,000 providers with a year: 5,049 buffers for 5,129 rows). Rows the compaction adds
    -- later land where there is room, in the order they were first folded.
    insert into app.analytics_booking_facts select l.* from internal.analytics_live_facts as l;
    insert into app.analytics_provider_hours (
        provider_id, hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
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
        pg_catalog.sum(f.qst_cents),
        pg_catalog.sum((f.captured_cents <> 0)::integer),
        pg_catalog.sum((f.refunded_cents <> 0)::integer),
        pg_catalog.sum((f.fees_kept_cents <> 0)::integer),
        pg_catalog.sum((f.captured_cents <> f.refunded_cents)::integer),
        pg_catalog.sum((f.outstanding_cents <> 0)::integer)
    from app.analytics_booking_facts as f
    group by f.provider_id, f.hour, f.category_id, f.status, f.currency;
    insert into app.analytics_hours (
        hour, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
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
        pg_catalog.sum(f.qst_cents),
        pg_catalog.sum(f.captured_bookings),
        pg_catalog.sum(f.refunded_bookings),
        pg_catalog.sum(f.fees_kept_bookings),
        pg_catalog.sum(f.net_bookings),
        pg_catalog.sum(f.outstanding_bookings)
    from app.analytics_provider_hours as f
    group by f.hour, f.category_id, f.status, f.currency
    order by f.hour, f.category_id, f.status, f.currency;
    insert into app.analytics_days (
        day, category_id, status, currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
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
        pg_catalog.sum(f.qst_cents),
        pg_catalog.sum(f.captured_bookings),
        pg_catalog.sum(f.refunded_bookings),
        pg_catalog.sum(f.fees_kept_bookings),
        pg_catalog.sum(f.net_bookings),
        pg_catalog.sum(f.outstanding_bookings)
    from app.analytics_hours as f
    group by (f.hour at time zone 'UTC')::date, f.category_id, f.status, f.currency
    order by (f.hour at time zone 'UTC')::date, f.category_id, f.status, f.currency;
    -- per area: each provider's rows where it is placed now, under each kind of area
    insert into app.analytics_area_hours (
        kind, hour, area, category_id, currency, bookings, completed, no_show, cancelled,
        booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
    )
    select
        g.kind, f.hour, internal.analytics_area_key(g.kind, pl.grid_cell, pl.area_slug),
        f.category_id, f.currency,
        pg_catalog.sum(f.bookings),
        coalesce(pg_catalog.sum(f.bookings) filter (where f.status = 'completed'), 0),
        coalesce(pg_catalog.sum(f.bookings) filter (where f.status = 'no_show'), 0),
        coalesce(pg_catalog.sum(f.bookings) filter (where f.status = 'cancelled'), 0),
        pg_catalog.sum(f.booked_cents), pg_catalog.sum(f.captured_cents), pg_catalog.sum(f.refunded_cents),
        pg_catalog.sum(f.fees_kept_cents), pg_catalog.sum(f.outstanding_cents)
    from app.analytics_provider_hours as f
    inner join app.analytics_provider_places as pl on f.provider_id = pl.provider_id
    cross join (values ('grid'), ('neighbourhood')) as g (kind)
    group by 1, 2, 3, 4, 5
    order by 1, 2, 3, 4, 5;
    insert into app.analytics_area_days (
        kind, day, area, category_id, currency, bookings, completed, no_show, cancelled,
        booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
    )
    select
        f.kind, (f.hour at time zone 'UTC')::date, f.area, f.category_id, f.currency,
        pg_catalog.sum(f.bookings), pg_catalog.sum(f.completed), pg_catalog.sum(f.no_show),
        pg_catalog.sum(f.cancelled), pg_catalog.sum(f.booked_cents), pg_catalog.sum(f.captured_cents),
        pg_catalog.sum(f.refunded_cents), pg_catalog.sum(f.fees_kept_cents), pg_catalog.sum(f.outstanding_cents)
    from app.analytics_area_hours as f
    group by f.kind, (f.hour at time zone 'UTC')::date, f.area, f.category_id, f.currency
    order by f.kind, (f.hour at time zone 'UTC')::date, f.area, f.category_id, f.currency;
    insert into app.analytics_area_weeks (
        kind, week, area, category_id, currency, bookings, completed, no_show, cancelled,
        booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
    )
    select
        f.kind, pg_catalog.date_trunc('week', f.day)::date, f.area, f.category_id, f.currency,
        pg_catalog.sum(f.bookings), pg_catalog.sum(f.completed), pg_catalog.sum(f.no_show),
        pg_catalog.sum(f.cancelled), pg_catalog.sum(f.booked_cents), pg_catalog.sum(f.captured_cents),
        pg_catalog.sum(f.refunded_cents), pg_catalog.sum(f.fees_kept_cents), pg_catalog.sum(f.outstanding_cents)
    from app.analytics_area_days as f
    group by f.kind, pg_catalog.date_trunc('week', f.day)::date, f.area, f.category_id, f.currency
    order by f.kind, pg_catalog.date_trunc('week', f.day)::date, f.area, f.category_id, f.currency;
    insert into app.analytics_created_hours (hour, status, bookings, booked_cents, captured_cents)
    select f.created_hour, f.status, pg_catalog.sum(f.bookings), pg_catalog.sum(f.booked_cents), pg_catalog.sum(f.captured_cents)
    from app.analytics_booking_facts as f
    group by f.created_hour, f.status;
    return query select
        (select pg_catalog.count(*) from app.analytics_booking_facts),
        (select pg_catalog.count(*) from app.analytics_provider_hours);
end
$$;
comment on function internal.analytics_rebuild_bookings() is
'Recompute the bookings'' rollups (facts, per provider, across providers, per area where the providers are '
'placed) from the base tables, '
'leaving the offered days as they are (internal.analytics_rebuild_facts does both): after a bulk write '
'of bookings and payments with their analytics triggers off (the seed''s activity, the benchmark). '
'Definer: run by the owner''s tools and by tests; granted to nobody else.';

create or replace function internal.analytics_rebuild_facts()
returns table (bookings bigint, provider_rows bigint)
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    -- writers that would touch the rollups wait until the rebuild commits
    lock table app.analytics_booking_facts, app.analytics_provider_hours, app.analytics_deltas,
    app.analytics_hours, app.analytics_days, app.analytics_area_hours, app.analytics_area_days, app.analytics_area_weeks,
    app.analytics_created_hours, app.analytics_offered_window, app.analytics_offered_days
    in exclusive mode;
    -- the offered days, over today's window
    delete from app.analytics_offered_days;
    delete from app.analytics_offered_window;
    insert into app.analytics_offered_window (first_day, last_day)
    select t.first_day, t.last_day from internal.analytics_offered_target() as t;
    insert into app.analytics_offered_days (provider_id, day, offered, offered_seconds)
    select l.*
    from internal.analytics_offered_target() as t,
        lateral internal.analytics_offered_live(null, t.first_day, t.last_day) as l;
    return query select * from internal.analytics_rebuild_bookings();
end
$$;
comment on function internal.analytics_rebuild_facts() is
'Recompute the analytics rollups (per provider and across providers) and the offered days (over today''s window) '
'from the base tables '
'(backfill, or after a bulk load with the triggers off). '
'Definer: internal.analytics_rebuild runs it with the rollups of 81_analytics_audience.sql; granted to nobody.';

-- Where the rollups and a live recount differ: no rows means they agree. The rollups across
-- providers count with their deltas not folded yet (what a read adds up).
create or replace function internal.analytics_drift_facts()
returns table (rollup text, key text, stored bigint[], live bigint[])
language sql
stable
security definer
set search_path = ''
as $$
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
                pg_catalog.sum(l.qst_cents),
                pg_catalog.sum((l.captured_cents <> 0)::integer),
                pg_catalog.sum((l.refunded_cents <> 0)::integer),
                pg_catalog.sum((l.fees_kept_cents <> 0)::integer),
                pg_catalog.sum((l.captured_cents <> l.refunded_cents)::integer),
                pg_catalog.sum((l.outstanding_cents <> 0)::integer)
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
                h.qst_cents,
                h.captured_bookings,
                h.refunded_bookings,
                h.fees_kept_bookings,
                h.net_bookings,
                h.outstanding_bookings
            ] as v
        from app.analytics_provider_hours as h
        where h.bookings <> 0 or h.captured_cents <> 0 or h.refunded_cents <> 0
            or h.fees_kept_cents <> 0 or h.outstanding_cents <> 0 or h.booked_cents <> 0
            or h.captured_bookings <> 0 or h.refunded_bookings <> 0 or h.fees_kept_bookings <> 0
            or h.net_bookings <> 0 or h.outstanding_bookings <> 0
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
                pg_catalog.sum(l.qst_cents),
                pg_catalog.sum((l.captured_cents <> 0)::integer),
                pg_catalog.sum((l.refunded_cents <> 0)::integer),
                pg_catalog.sum((l.fees_kept_cents <> 0)::integer),
                pg_catalog.sum((l.captured_cents <> l.refunded_cents)::integer),
                pg_catalog.sum((l.outstanding_cents <> 0)::integer)
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
                pg_catalog.sum(h.qst_cents),
                pg_catalog.sum(h.captured_bookings),
                pg_catalog.sum(h.refunded_bookings),
                pg_catalog.sum(h.fees_kept_bookings),
                pg_catalog.sum(h.net_bookings),
                pg_catalog.sum(h.outstanding_bookings)
            ]::bigint[] as v
        from (
            select
                x.hour, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
            from app.analytics_hours as x
            union all
            select
                x.hour, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
            from app.analytics_deltas as x
        ) as h
        group by h.hour, h.category_id, h.status, h.currency
        having pg_catalog.sum(h.bookings) <> 0 or pg_catalog.sum(h.captured_cents) <> 0
            or pg_catalog.sum(h.refunded_cents) <> 0 or pg_catalog.sum(h.fees_kept_cents) <> 0
            or pg_catalog.sum(h.outstanding_cents) <> 0 or pg_catalog.sum(h.booked_cents) <> 0
            or pg_catalog.sum(h.captured_bookings) <> 0 or pg_catalog.sum(h.refunded_bookings) <> 0
            or pg_catalog.sum(h.fees_kept_bookings) <> 0 or pg_catalog.sum(h.net_bookings) <> 0
            or pg_catalog.sum(h.outstanding_bookings) <> 0
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
                pg_catalog.sum(l.qst_cents),
                pg_catalog.sum((l.captured_cents <> 0)::integer),
                pg_catalog.sum((l.refunded_cents <> 0)::integer),
                pg_catalog.sum((l.fees_kept_cents <> 0)::integer),
                pg_catalog.sum((l.captured_cents <> l.refunded_cents)::integer),
                pg_catalog.sum((l.outstanding_cents <> 0)::integer)
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
                pg_catalog.sum(h.qst_cents),
                pg_catalog.sum(h.captured_bookings),
                pg_catalog.sum(h.refunded_bookings),
                pg_catalog.sum(h.fees_kept_bookings),
                pg_catalog.sum(h.net_bookings),
                pg_catalog.sum(h.outstanding_bookings)
            ]::bigint[] as v
        from (
            select
                x.day, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
            from app.analytics_days as x
            union all
            select
                (x.hour at time zone 'UTC')::date, x.category_id, x.status, x.currency, bookings, booked_cents, lead_minutes, cancelled_by_customer, cancelled_by_provider, cancelled_by_ops,
        cancelled_by_system, cancelled_late, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents,
        gst_cents, qst_cents, captured_bookings, refunded_bookings, fees_kept_bookings, net_bookings, outstanding_bookings
            from app.analytics_deltas as x
        ) as h
        group by h.day, h.category_id, h.status, h.currency
        having pg_catalog.sum(h.bookings) <> 0 or pg_catalog.sum(h.captured_cents) <> 0
            or pg_catalog.sum(h.refunded_cents) <> 0 or pg_catalog.sum(h.fees_kept_cents) <> 0
            or pg_catalog.sum(h.outstanding_cents) <> 0 or pg_catalog.sum(h.booked_cents) <> 0
            or pg_catalog.sum(h.captured_bookings) <> 0 or pg_catalog.sum(h.refunded_bookings) <> 0
            or pg_catalog.sum(h.fees_kept_bookings) <> 0 or pg_catalog.sum(h.net_bookings) <> 0
            or pg_catalog.sum(h.outstanding_bookings) <> 0
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
    union all
    -- by the hour made (with the deltas that carry it): bookings, list prices, captured cents
    select
        'created_hours', pg_catalog.concat_ws(' ', coalesce(s.hour, l.hour), coalesce(s.status, l.status)),
        s.v, l.v
    from (
        select
            h.hour, h.status,
            array[pg_catalog.sum(h.bookings), pg_catalog.sum(h.booked_cents), pg_catalog.sum(h.captured_cents)]::bigint[] as v
        from (
            select x.hour, x.status, x.bookings, x.booked_cents, x.captured_cents
            from app.analytics_created_hours as x
            union all
            select x.created_hour, x.status, x.bookings, x.booked_cents, x.captured_cents
            from app.analytics_deltas as x
            where x.created_hour is not null
        ) as h
        group by h.hour, h.status
        having pg_catalog.sum(h.bookings) <> 0 or pg_catalog.sum(h.booked_cents) <> 0
            or pg_catalog.sum(h.captured_cents) <> 0
    ) as s
    full join (
        select
            l.created_hour as hour, l.status,
            array[pg_catalog.sum(l.bookings), pg_catalog.sum(l.booked_cents), pg_catalog.sum(l.captured_cents)]::bigint[] as v
        from internal.analytics_live_facts as l
        group by l.created_hour, l.status
    ) as l on s.hour = l.hour and s.status = l.status
    where s.v is distinct from l.v
    union all
    -- the offered days of the kept window: the instants and their seconds
    select
        'offered_days', pg_catalog.concat_ws(' ', coalesce(s.provider_id, l.provider_id), coalesce(s.day, l.day)),
        array[pg_catalog.floor(s.offered_seconds)::bigint], array[pg_catalog.floor(l.offered_seconds)::bigint]
    from (
        select o.*
        from app.analytics_offered_days as o, app.analytics_offered_window as w
        where o.day between w.first_day and w.last_day
    ) as s
    full join (
        select l.*
        from app.analytics_offered_window as w,
            lateral internal.analytics_offered_live(null, w.first_day, w.last_day) as l
    ) as l on s.provider_id = l.provider_id and s.day = l.day
    where s.offered is distinct from l.offered or s.offered_seconds is distinct from l.offered_seconds
    union all
    -- a kept day outside the window
    select 'offered_days', pg_catalog.concat_ws(' ', o.provider_id, o.day), array[pg_catalog.floor(o.offered_seconds)::bigint], null::bigint[]
    from app.analytics_offered_days as o
    where not exists (
        select from app.analytics_offered_window as w where o.day between w.first_day and w.last_day
    )
$$;
comment on function internal.analytics_drift_facts() is
'Where the analytics rollups (per provider; across providers, hourly, daily and by hour made, with their unfolded '
'deltas; the '
'offered days of the kept window) differ from '
'a live recount of the base tables (no rows: they agree). '
'Definer: it reads every provider''s rows; granted to nobody (internal.analytics_drift adds the other rollups).';
