-- Pricing suggestions: for each of the calling provider's active services, a
-- suggested price range (raise, lower or keep) from demand against supply in its
-- category and area over the last `days` days, with the reasons in words and
-- figures. Read only; the quote and its ranking are untouched.
--
--   demand   the quotes the service appeared in, and how many of them it won (a
--            booking of that quote with this service), against the win rate of
--            every appearance in the category's quotes within the provider's radius
--   supply   peers' prices (other active providers of the category within the
--            radius), scaled to this service's duration: quartiles
--   fill     booked minutes over open minutes (weekly hours) in the period

create or replace function internal.price_suggestions(p_days integer)
returns setof jsonb
language plpgsql
stable
security definer
set search_path = ''
-- planned with this call's provider, radius and days: after five calls in one connection (one of
-- PostgREST's pooled ones) PL/pgSQL kept generic plans that took 36 ms a call where these take
-- 11 (10,000 providers, the busiest provider)
set plan_cache_mode = force_custom_plan
as $$
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

    -- what services of one category share is read once per category (a provider's services are
    -- often of one): the peers' prices per minute (quartiles, scaled to each service's duration)
    -- and the market's appearances and wins
    for r in
        with mine as (
            select
                s.id, s.name, s.price_cents, s.currency, s.duration_minutes, s.category_id,
                c.slug as category
            from app.services as s
            inner join app.service_categories as c on s.category_id = c.id
            where s.provider_id = v_provider.id and s.is_active
        ),

        -- materialized: referenced once, it would be inlined and computed for every service
        per_category as materialized (
            select k.category_id, peers.n, peers.per_minute, market.appearances, market.wins
            from (select distinct mine.category_id from mine) as k
            cross join lateral (
                select
                    pg_catalog.count(*) as n,
                    pg_catalog.percentile_cont(array[0.25, 0.5, 0.75]) within group (
                        order by ps.price_cents::numeric / ps.duration_minutes
                    ) as per_minute
                from app.services as ps
                inner join app.providers as pp on ps.provider_id = pp.id
                where ps.category_id = k.category_id and ps.is_active and pp.is_active
                    and pp.id <> v_provider.id
                    and extensions.st_dwithin(pp.location, v_provider.location, v_provider.service_radius_km * 1000)
            ) as peers
            -- the market: every appearance in the category's quotes asked within the radius, and
            -- the wins (the appearances whose provider has a booking of that quote: the quote's
            -- booked providers are read once a quote, not probed once an appearance)
            cross join lateral (
                select
                    pg_catalog.count(*) as appearances,
                    pg_catalog.count(*) filter (where qi.provider_id = any(booked.providers)) as wins
                from app.quotes as q
                cross join lateral (
                    select pg_catalog.array_agg(b.provider_id) as providers
                    from app.bookings as b where b.quote_id = q.id
                ) as booked
                inner join app.quote_items as qi on q.id = qi.quote_id
                where q.category_id = k.category_id and q.created_at >= v_since
                    and extensions.st_dwithin(q.location, v_provider.location, v_provider.service_radius_km * 1000)
            ) as market
        )

        select
            mine.id, mine.name, mine.price_cents, mine.currency, mine.duration_minutes, mine.category,
            (
                select pg_catalog.count(*) from app.quote_items as qi
                inner join app.quotes as q on qi.quote_id = q.id
                where qi.service_id = mine.id and q.created_at >= v_since
            ) as appeared,
            (
                select pg_catalog.count(distinct b.quote_id) from app.bookings as b
                inner join app.quotes as q on b.quote_id = q.id
                where b.service_id = mine.id and q.created_at >= v_since
            ) as won,
            pc.n as peer_count,
            pg_catalog.round(pc.per_minute[1] * mine.duration_minutes)::integer as p25,
            pg_catalog.round(pc.per_minute[2] * mine.duration_minutes)::integer as p50,
            pg_catalog.round(pc.per_minute[3] * mine.duration_minutes)::integer as p75,
            pc.appearances as market_appearances,
            pc.wins as market_wins
        from mine
        inner join per_category as pc on mine.category_id = pc.category_id
        order by mine.name, mine.id
    loop
        v_market_appearances := r.market_appearances;
        v_market_wins := r.market_wins;
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
comment on function internal.price_suggestions(integer) is
'The calling provider''s pricing suggestions per active service. Definer: reads quotes, bookings and peers'' prices.';

create or replace function api.my_price_suggestions(days integer default 30)
returns setof jsonb
language sql
stable
set search_path = ''
as $$
    select internal.price_suggestions(my_price_suggestions.days)
$$;
comment on function api.my_price_suggestions(integer) is
$$Pricing suggestions for your own active services, from the last `days` days (7 to 365, default 30).

Role provider; only your own services. Each row: service_id, service_name, category, price_cents, currency,
suggestion (raise, lower or keep), suggested_low_cents, suggested_high_cents, and reasons: a list of
{kind, text, figures}, kind demand (quotes it appeared in and won, against the win rate of every offer of
the category in quotes asked within your radius), supply (other providers' prices of the category within
your radius, scaled to the service's duration: quartiles), fill (booked minutes over your weekly hours'
open minutes), or no_data.
Raise: won at least 1.5 times the market's rate over 5 or more appearances, or hours 80% booked or more.
Lower: priced above the peers' median and passed over (half the market's rate or less, or never chosen,
over 5 or more appearances) or hours under 20% booked. Otherwise keep (within 5%).
Errors: 400 invalid_input (days); 401; 403 forbidden (not a provider); 404 not_found (no provider profile).$$;
