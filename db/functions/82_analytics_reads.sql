-- Analytics reads over the rollups (docs/analytics.md): bookings by status and
-- money, per hour, local day, week or month in a chosen time zone.
--
--   internal.analytics_window     checks from, to, tz and group_by; the range as instants
--   internal.analytics_subject    whose figures a provider-level read may show
--   internal.analytics_rows       the rollup rows of a range (one provider's, or all)
--   internal.analytics_bucket_rows those rows, or the ops rows below, placed in buckets
--   internal.analytics_series     those rows grouped into buckets
--   internal.analytics_peer_ranks a provider's percentiles among its category's nearest
--                                 providers (definer: reads the peers' rows, returns only
--                                 ranks)
--   api.analytics_overview        ops: every provider, per category
--   api.analytics_revenue         ops (all or one provider) and providers (their own)
--   internal.analytics_refund_taxes  the GST/QST share of succeeded refunds, per bucket (read time)
--   api.analytics_provider        a provider's own figures and anonymised percentiles
--
--   internal.analytics_ops_rows   across providers: a bucket's figures from whole UTC days
--                                 (app.analytics_days) and its edge hours (app.analytics_hours),
--                                 with the deltas not folded yet
--
-- The rollups hold whole UTC hours, so a local day is a set of whole hours only in
-- a zone whose offset is a whole number of hours: another zone (Asia/Kolkata,
-- America/St_Johns) is refused with 400 naming tz rather than answered wrongly.

-- gst_cents and qst_cents joined the figures (their return types changed)
drop function if exists api.analytics_overview(date, date, text, text);
drop function if exists api.analytics_revenue(date, date, text, text, uuid);
drop function if exists api.analytics_provider(date, date, text, text, uuid);
drop function if exists internal.analytics_series(uuid, timestamptz, timestamptz, text, text);
drop function if exists internal.analytics_bucket_rows(uuid, timestamptz, timestamptz, text, text);
drop function if exists internal.analytics_ops_rows(timestamptz, timestamptz, text, text);
drop function if exists internal.analytics_rows(uuid, timestamptz, timestamptz);

create or replace function internal.analytics_window(
    p_from date, p_to date, p_tz text, p_group_by text, p_max_days integer default 366
)
returns table (from_ts timestamptz, to_ts timestamptz, tz text, grain text)
language plpgsql
stable
-- one row: the planner's default of 1,000 multiplied every estimate it joins (the funnel's
-- quotes of the range by 1,000, and then a merge join over every booking with a quote)
rows 1
set search_path = ''
as $$
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
$$;
comment on function internal.analytics_window(date, date, text, text, integer) is
'Check an analytics range (from and to: local dates, both included; tz; group_by) and return it as instants [from_ts, to_ts).';

-- Whose figures a provider-level read shows: a provider's own (another id is
-- refused), or for ops the provider named.
create or replace function internal.analytics_subject(p_provider_id uuid, p_required boolean)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
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
comment on function internal.analytics_subject(uuid, boolean) is
'The provider whose analytics a caller may read: its own for a provider (another provider_id is 403), the one named for ops.';

-- The rollup rows of a range: one provider's (read under its row-level security),
-- or with a null provider the sums across providers (ops only), added up here at
-- read time: a rollup across providers kept on write was one row that every
-- booking of a category and hour updated, so concurrent confirms queued on it
-- and a transaction writing several providers' bookings (the sweep) could
-- deadlock with them.
create or replace function internal.analytics_rows(
    p_provider_id uuid, p_from_ts timestamptz, p_to_ts timestamptz
)
returns table (
    hour timestamptz,
    category_id integer,
    status text,
    currency text,
    bookings bigint,
    booked_cents bigint,
    lead_minutes bigint,
    cancelled_by_customer bigint,
    cancelled_by_provider bigint,
    cancelled_by_ops bigint,
    cancelled_by_system bigint,
    cancelled_late bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    outstanding_cents bigint,
    gst_cents bigint,
    qst_cents bigint
)
language plpgsql
stable
set search_path = ''
as $$
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
comment on function internal.analytics_rows(uuid, timestamptz, timestamptz) is
'The rollup rows of [from_ts, to_ts): one provider''s (under row-level security), or across providers for a null provider.';

-- Across providers, the rows of each bucket of [from_ts, to_ts) (its local start lb in tz, or
-- its UTC hour h with group_by hour), each with the sign it is added with. A bucket [bs, be)
-- of whole UTC hours is rounded to the nearest UTC midnights ds and de: when ds < de it is
-- the whole UTC days [ds, de) of app.analytics_days, plus the hours [bs, ds) or minus the
-- hours [ds, bs), plus [de, be) or minus [be, de), from app.analytics_hours (at most 12
-- hours at each edge; a local day in America/Toronto reads one day row and the evening hours
-- 00:00-05:00 UTC at its edges); otherwise (a bucket shorter than a day that straddles a
-- midnight, or group_by hour) its hours. The deltas not folded yet count with both.
create or replace function internal.analytics_ops_rows(
    p_from_ts timestamptz, p_to_ts timestamptz, p_tz text, p_grain text
)
returns table (
    h timestamptz,
    lb timestamp,
    category_id integer,
    status text,
    currency text,
    bookings bigint,
    booked_cents bigint,
    lead_minutes bigint,
    cancelled_by_customer bigint,
    cancelled_by_provider bigint,
    cancelled_by_ops bigint,
    cancelled_by_system bigint,
    cancelled_late bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    outstanding_cents bigint,
    gst_cents bigint,
    qst_cents bigint
)
language plpgsql
stable
set search_path = ''
-- one generic plan, kept for the session: left to choose, PL/pgSQL kept planning each call
-- (0.5 ms of a 31-day series' 2.8; the generic plan read the same rows in 2.3, and in 0.3-5 ms
-- from one day to a year of days, weeks and months, 10,000 providers)
set plan_cache_mode = force_generic_plan
as $$
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
    -- each piece as the rollup keys it covers (whole UTC hours, whole UTC days), joined on the
    -- key: a join on a range of keys was planned (the generic plan, with generate_series'
    -- default 1,000 buckets) as every row of the tables tested against every piece, 243,000
    -- tests for 31 days at 10,000 providers (16 of 20 ms), and it grows with the tables
    piece_hours as (
        select p.lb, p.sign, k.hour
        from hour_pieces as p
        cross join lateral pg_catalog.generate_series(p.lo, p.hi - interval '1 hour', interval '1 hour') as k (hour)
    ),
    piece_days as (
        select s.lb, s.dlo + k.i as day
        from spans as s
        cross join lateral pg_catalog.generate_series(0, s.dhi - s.dlo - 1) as k (i)
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
    from piece_hours as p
    inner join (
        -- every piece lies within 12 hours of the range (a bucket's days are its UTC days
        -- nearest): one range of the hour index, whatever the tables hold
        select x.hour, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_hours as x
        where x.hour >= p_from_ts - interval '12 hours' and x.hour < p_to_ts + interval '12 hours'
        union all
        select x.hour, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_deltas as x
    ) as r on r.hour = p.hour
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
    from piece_days as p
    inner join (
        select x.day, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_days as x
        where
            x.day >= (p_from_ts at time zone 'UTC')::date - 1
            and x.day <= (p_to_ts at time zone 'UTC')::date + 1
        union all
        select (x.hour at time zone 'UTC')::date, x.category_id, x.status, x.currency, x.bookings, x.booked_cents, x.lead_minutes, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops, x.cancelled_by_system, x.cancelled_late, x.captured_cents, x.refunded_cents, x.fees_kept_cents, x.outstanding_cents, x.gst_cents, x.qst_cents
        from app.analytics_deltas as x
    ) as r on r.day = p.day;
end
$$;
comment on function internal.analytics_ops_rows(timestamptz, timestamptz, text, text) is
'Across providers: the rows making up each bucket of [from_ts, to_ts) in tz (whole UTC days and edge hours of the '
'rollups across providers, with their unfolded deltas), each signed; summed per bucket they are its figures.';

-- The rows of a series, each placed in its bucket (h: its UTC hour with group_by hour; lb: the
-- local start of its day, week or month): one provider's hourly rows, or across providers the
-- rows of internal.analytics_ops_rows. PL/pgSQL so that only the branch taken is planned and
-- its tables' privileges checked (a provider may not read the rollups across providers).
create or replace function internal.analytics_bucket_rows(
    p_provider_id uuid, p_from_ts timestamptz, p_to_ts timestamptz, p_tz text, p_grain text
)
returns table (
    h timestamptz,
    lb timestamp,
    category_id integer,
    status text,
    currency text,
    bookings bigint,
    booked_cents bigint,
    lead_minutes bigint,
    cancelled_by_customer bigint,
    cancelled_by_provider bigint,
    cancelled_by_ops bigint,
    cancelled_by_system bigint,
    cancelled_late bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    outstanding_cents bigint,
    gst_cents bigint,
    qst_cents bigint
)
language plpgsql
stable
set search_path = ''
as $$
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
comment on function internal.analytics_bucket_rows(uuid, timestamptz, timestamptz, text, text) is
'The rows of an analytics series placed in their buckets: one provider''s hourly rollup rows, or across providers '
'internal.analytics_ops_rows.';

create or replace function internal.analytics_series(
    p_provider_id uuid, p_from_ts timestamptz, p_to_ts timestamptz, p_tz text, p_grain text
)
returns table (
    bucket_start timestamptz,
    bucket_end timestamptz,
    bucket_local timestamp,
    category text,
    currency text,
    bookings bigint,
    pending_payment bigint,
    confirmed bigint,
    completed bigint,
    no_show bigint,
    cancelled bigint,
    expired bigint,
    cancelled_by_customer bigint,
    cancelled_by_provider bigint,
    cancelled_by_ops bigint,
    cancelled_by_system bigint,
    cancelled_late bigint,
    lead_minutes bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint,
    gst_cents bigint,
    qst_cents bigint
)
language plpgsql
stable
set search_path = ''
-- PL/pgSQL with one plan kept for the session: as a language sql function called from the
-- dashboards' statements it was planned afresh on each call
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
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
    order by i.bucket_start, k.slug, i.currency;
end
$$;
comment on function internal.analytics_series(uuid, timestamptz, timestamptz, text, text) is
'The rollup rows of [from_ts, to_ts) grouped by bucket (start hour, or local day, week or month in tz), category and currency; '
'one provider''s (under its row-level security) or, with a null provider, every provider''s (from the rollups across '
'providers, internal.analytics_ops_rows).';

create or replace function internal.analytics_peer_ranks(
    p_provider_id uuid, p_from_ts timestamptz, p_to_ts timestamptz
)
returns table (
    peer_category text,
    peer_area text,
    peer_providers integer,
    bookings_percentile numeric,
    net_percentile numeric,
    completion_rate_percentile numeric
)
language plpgsql
stable
security definer
set search_path = ''
-- no parallel workers: at 100,000 providers the planner gave the peers' sums one, whose start
-- took ~10 of the read's ~17 ms for ~4 ms of work (docs/performance.md, "Session 14")
set max_parallel_workers_per_gather = 0
-- planned with this call's cell, category and range: after five calls in one connection (one of
-- PostgREST's pooled ones) PL/pgSQL kept a generic plan that read every provider's hours of the
-- range by hour and hashed them against the peers (10,000 providers: 13 -> 49 ms a call)
set plan_cache_mode = force_custom_plan
as $$
declare
    v_category integer;
    v_location extensions.geography;
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
    select p.location into v_location from app.providers as p where p.id = p_provider_id;
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
    return query
    -- itself and its category's nearest other providers: one nearest-first scan of the category's
    -- places, at most 200 of them, none farther than 25 km (the work is the same in a crowd)
    with peers as materialized (
        select p_provider_id as id, 0::double precision as distance
        union all
        select n.provider_id, n.distance
        from (
            -- no distance test in the scan: with one the planner took the 25 km box's every
            -- provider and sorted them (4,992 at 100,000 providers: 10 ms), not the 200 nearest
            select x.provider_id, x.location operator(extensions.<->) v_location as distance
            from app.analytics_peer_places as x
            where x.category_id = v_category and x.provider_id <> p_provider_id
            -- (no second key: ordering ties at the 200th by id sorted the whole scan, ~1.7 ms;
            -- providers at the very same distance are the rare ones sharing a building)
            order by x.location operator(extensions.<->) v_location
            limit 200
        ) as n
        where n.distance <= 25000
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
        peer_category,
        -- how far its farthest peer is, rounded up to 100 m, at least 0.1 km (peers in its own
        -- building are "0.1 km" away, not "0"); no peer but itself: null
        (
            select pg_catalog.format(
                '%s km', greatest(pg_catalog.ceil(pg_catalog.max(pe.distance) / 100), 1) / 10
            )
            from peers as pe
            having pg_catalog.count(*) > 1
        ),
        coalesce(max(r.n), 0)::integer,
        -- fewer than 3 peers would give a rank that names the other one
        case when max(r.n) >= 3 then pg_catalog.round(max(r.rb)::numeric * 100, 1) end,
        case when max(r.n) >= 3 then pg_catalog.round(max(r.rn)::numeric * 100, 1) end,
        case when max(r.n) >= 3 then pg_catalog.round(max(r.rc)::numeric * 100, 1) end
    from ranked as r
    where r.id = p_provider_id;
end
$$;
comment on function internal.analytics_peer_ranks(uuid, timestamptz, timestamptz) is
'A provider''s percentiles (bookings, net revenue, completion rate) over [from_ts, to_ts) among its peers: itself and '
'the nearest providers with a service in its category, at most 200 of them within 25 km (peer_area says how far '
'the farthest is). Ranks and a count only, never a peer''s figures or name (none with fewer than 3 peers). '
'Definer: it reads the peers'' rollup rows, which the provider itself may not.';

create or replace function api.analytics_overview(
    "from" date default null,
    "to" date default null,
    tz text default 'UTC',
    group_by text default 'day'
)
returns table (
    bucket_start timestamptz,
    bucket_end timestamptz,
    bucket_local timestamp,
    category text,
    currency text,
    bookings bigint,
    pending_payment bigint,
    confirmed bigint,
    completed bigint,
    no_show bigint,
    cancelled bigint,
    expired bigint,
    cancelled_by_customer bigint,
    cancelled_by_provider bigint,
    cancelled_by_ops bigint,
    cancelled_by_system bigint,
    cancelled_late bigint,
    lead_minutes bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint,
    gst_cents bigint,
    qst_cents bigint
)
language sql
stable
set search_path = ''
as $$
    select internal.require_role('ops', 'only ops staff may read the analytics overview');
    select s.*
    from internal.analytics_window(analytics_overview."from", analytics_overview."to",
        analytics_overview.tz, analytics_overview.group_by) as w,
    lateral internal.analytics_series(null, w.from_ts, w.to_ts, w.tz, w.grain) as s
$$;
comment on function api.analytics_overview(date, date, text, text) is
$$Bookings and money across every provider (ops only), per bucket, category and currency, from the rollups.

Inputs: from and to (local dates in tz, both included; at most 366 days, 31 with group_by hour), tz
(an IANA zone whose offset is a whole number of hours, default UTC), group_by (hour, day, week or month;
default day). A booking counts in the bucket where its appointment starts, in its current status.
Each row: bucket_start and bucket_end (instants; a DST day lasts 23 or 25 hours), bucket_local (the
bucket's local start), category (slug), currency, bookings and the count per status, cancellations by
who cancelled (customer, provider, ops, system) and cancelled_late (within the notice period),
lead_minutes (the sum of minutes from booking to start: divide by bookings for the mean), booked_cents
(list prices), captured_cents, refunded_cents, fees_kept_cents (cancellation fees kept), net_cents
(captured - refunded), outstanding_cents (payments not yet settled), gst_cents and qst_cents (the GST and QST
inside captured_cents). Integer cents, one currency per row. Across providers it reads whole UTC days and the edge
hours of rollups kept across providers (docs/analytics.md).
Definitions: docs/analytics.md. Accept: text/csv gives CSV.
Errors: 400 invalid_input naming from, to, tz or group_by; 403 forbidden for any role but ops.$$;

-- The GST and QST share of the refunds that succeeded, per bucket, category and currency,
-- as the provider's statement computes it (internal.refund_tax_cents): per booking, the tax of
-- its first charge x its refunds / what its payments captured, half up. Not a sum the rollups
-- can hold (the share of a booking's refunds added up is not the sum of each refund's share):
-- read here from the bookings of the range that have a succeeded refund, found by their
-- facts (a partial index on the start hour of the facts with money refunded: the range's
-- refunded bookings, never every refund ever made). Definer: the
-- bookings' tax snapshot is no API role's to read; the caller's subject is checked again
-- here (internal.analytics_subject: a provider its own, ops any or every provider), and
-- only sums per bucket come out.
create or replace function internal.analytics_refund_taxes(
    p_provider_id uuid, p_from_ts timestamptz, p_to_ts timestamptz, p_tz text, p_grain text
)
returns table (bucket_start timestamptz, category text, currency text, gst_refunded_cents bigint, qst_refunded_cents bigint)
language plpgsql
stable
security definer
set search_path = ''
-- one plan kept for the session (as a language sql function with SET, called once a request,
-- it was planned on every call: ~1 of 1.3 ms with no refund in the range); the range's refunded
-- facts are one range of the partial index whatever the dates
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    -- the range's bookings with money refunded, from their facts (the partial index on the start
    -- hour: never every refund ever made); their refunded and captured money is the facts' own
    with subject as materialized (  -- once, not once a row
        select internal.analytics_subject(p_provider_id, false) as id
    ),
    shares as (
        select
            case
                when p_grain = 'hour' then f.hour
                else pg_catalog.date_trunc(p_grain, f.starts_at at time zone p_tz) at time zone p_tz
            end as bucket_start,
            f.category_id, f.currency,
            internal.refund_tax_cents(
                case when b.deposit_cents > 0 then internal.tax_cents(b.deposit_cents, b.gst_rate) else b.gst_cents end,
                f.refunded_cents, f.captured_cents::integer
            ) as gst,
            internal.refund_tax_cents(
                case when b.deposit_cents > 0 then internal.tax_cents(b.deposit_cents, b.qst_rate) else b.qst_cents end,
                f.refunded_cents, f.captured_cents::integer
            ) as qst
        from subject, app.analytics_booking_facts as f
        inner join app.bookings as b on f.booking_id = b.id
        where
            f.refunded_cents <> 0
            and f.hour >= pg_catalog.date_trunc('hour', p_from_ts, 'UTC') and f.hour < p_to_ts
            and f.starts_at >= p_from_ts and f.starts_at < p_to_ts
            and (subject.id is null or f.provider_id = subject.id)
    )
    select x.bucket_start, k.slug, x.currency, pg_catalog.sum(x.gst)::bigint, pg_catalog.sum(x.qst)::bigint
    from shares as x
    inner join app.service_categories as k on x.category_id = k.id
    group by x.bucket_start, k.slug, x.currency;
end
$$;
comment on function internal.analytics_refund_taxes(uuid, timestamptz, timestamptz, text, text) is
'The GST and QST share of the succeeded refunds of the bookings starting in [from_ts, to_ts) (the caller''s subject: '
'a provider''s own, or for ops the one given or every provider), per bucket, category and currency, as on the '
'provider''s statement. Definer: it reads the bookings'' tax snapshot; returns only sums.';

create or replace function api.analytics_revenue(
    "from" date default null,
    "to" date default null,
    tz text default null,
    group_by text default 'day',
    provider_id uuid default null
)
returns table (
    bucket_start timestamptz,
    bucket_end timestamptz,
    bucket_local timestamp,
    category text,
    currency text,
    bookings bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint,
    gst_cents bigint,
    qst_cents bigint,
    service_cents bigint,
    gst_refunded_cents bigint,
    qst_refunded_cents bigint
)
language sql
stable
set search_path = ''
as $$
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
    ),
    w as (
        select w.*, subject.id
        from subject, zone,
        lateral internal.analytics_window(analytics_revenue."from", analytics_revenue."to", zone.tz,
            analytics_revenue.group_by) as w
    ),
    s as (
        select s.* from w, lateral internal.analytics_series(w.id, w.from_ts, w.to_ts, w.tz, w.grain) as s
    ),
    -- once for the range, not once per row
    t as (
        select t.* from w, lateral internal.analytics_refund_taxes(w.id, w.from_ts, w.to_ts, w.tz, w.grain) as t
    )
    select
        s.bucket_start, s.bucket_end, s.bucket_local, s.category, s.currency, s.bookings, s.booked_cents,
        s.captured_cents, s.refunded_cents, s.fees_kept_cents, s.net_cents, s.outstanding_cents,
        s.gst_cents, s.qst_cents, s.captured_cents - s.gst_cents - s.qst_cents,
        coalesce(t.gst_refunded_cents, 0), coalesce(t.qst_refunded_cents, 0)
    from s
    left join t on s.bucket_start = t.bucket_start and s.category = t.category and s.currency = t.currency
    order by s.bucket_start, s.category, s.currency
$$;
comment on function api.analytics_revenue(date, date, text, text, uuid) is
$$Money per bucket, category and currency (ops: every provider or the one given; a provider: its own).

Inputs: from and to (local dates, both included; at most 366 days, 31 with group_by hour), tz (default:
the provider's own zone, or UTC for ops across providers; offsets in whole hours), group_by (hour, day,
week, month; default day), provider_id (ops: optional; a provider: omit it or give its own).
Money is counted in the bucket where the booking's appointment starts: captured_cents (what its payments
captured), refunded_cents (refunds that succeeded), fees_kept_cents (cancellation fees kept),
net_cents = captured - refunded, outstanding_cents (payments still pending), booked_cents (list prices);
the taxes collected inside captured_cents, apart: gst_cents and qst_cents (the taxes of each charge that succeeded,
as on the receipt), and service_cents = captured - gst - qst (the service's own revenue); the taxes given back
by the refunds that succeeded: gst_refunded_cents and qst_refunded_cents (per booking, the tax of its
first charge x refunded / captured, half up: as on the provider's statement, internal.refund_tax_cents).
Integer cents, one currency per row. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or group_by; 403 forbidden (another provider's id, or a
customer); 404 not_found (no such provider, or no provider profile).$$;

create or replace function api.analytics_provider(
    "from" date default null,
    "to" date default null,
    group_by text default 'day',
    tz text default null,
    provider_id uuid default null
)
returns table (
    bucket_start timestamptz,
    bucket_end timestamptz,
    bucket_local timestamp,
    category text,
    currency text,
    bookings bigint,
    pending_payment bigint,
    confirmed bigint,
    completed bigint,
    no_show bigint,
    cancelled bigint,
    expired bigint,
    cancelled_by_customer bigint,
    cancelled_by_provider bigint,
    cancelled_by_ops bigint,
    cancelled_by_system bigint,
    cancelled_late bigint,
    lead_minutes bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint,
    gst_cents bigint,
    qst_cents bigint,
    peer_category text,
    peer_area text,
    peer_providers integer,
    bookings_percentile numeric,
    net_percentile numeric,
    completion_rate_percentile numeric
)
language sql
stable
set search_path = ''
as $$
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
comment on function api.analytics_provider(date, date, text, text, uuid) is
$$A provider's own figures per bucket, category and currency, with its anonymised rank among its peers.

Inputs: from and to (local dates, both included; at most 366 days, 31 with group_by hour), group_by
(hour, day, week, month; default day), tz (default the provider's own zone; offsets in whole hours),
provider_id (a provider: omit it or give its own; ops: required).
Each row has the columns of analytics_overview for this provider only, and the same rank for the whole
range: peer_category (its main category), peer_providers (itself and its peers: the nearest providers with a
service in that category, at most 200 within 25 km), peer_area (how far the farthest peer is, "2.4 km"),
and its percentiles among them for bookings,
net revenue and completion rate (share of peers below it, 0-100; null with fewer than 3 peers). Never
another provider's figures or name. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz, group_by or provider_id; 403 forbidden (another
provider's id, or a customer); 404 not_found (no such provider, or no provider profile).$$;
