-- The geographic quote: which providers near a point can do this, then?
--
-- Candidates: active providers with an active service in the category, whose
-- location is within radius_km of the customer (GiST index on
-- app.providers.location, through st_dwithin on geography) and whose own
-- service radius covers the customer, and for whom starts_at respects the
-- service's minimum notice and maximum days ahead.
--
-- Score (higher is better, rounded to 4 decimals; ties go to the nearer), with
-- the weights of the active ranking version (app.ranking_versions, 36_ranking.sql):
--   score = wD * D + wR * R + wP * P + wQ * Q + wU * U - wK * K
--   (version 1: 0.5 * D + 0.3 * R + 0.2 * P, the formula before versions)
--   D = 1 - distance_m / (radius_km * 1000)         1 at the point, 0 at the edge
--   R = (B - 1) / 4,  B = (5 * 4.0 + n * avg) / (5 + n)
--       the Bayesian average rating: a prior of 5 ratings at 4.0 stars, so a
--       new provider starts at 4.0 and a few 5-star ratings do not outrank
--       hundreds of 4.8s
--   P = cheapest price / this price                  1 for the cheapest (or free);
--       the cheapest among the category's active offers within radius_km
--   Q = 1 - provider cancellation rate - no-show rate (73_reliability.sql)
--   U = the signed-in customer's own history with the provider, in [-1, 1]
--       (internal.personal_terms), 0 for everyone else
--   K = P(the provider cancels or does not show) at this start, under the
--       active quality version (internal.quality_risk, 37_quality.sql); only
--       computed when wK (w_quality) > 0. Never positive, not in the search
--       key: every bound read from the key stays an upper bound.
-- wR * R + wQ * Q is the offer's quality term, the search key's third
-- coordinate (internal.quality_term); wD + wR + wP + wQ = 1.
--
-- Candidates are then taken in score order, each checked for being free for
-- the whole slot (service duration plus buffers, see 35_availability.sql),
-- one offer per provider, until max_results are found.

drop function if exists internal.offer_score(double precision, double precision, double precision, integer, integer);
drop function if exists internal.quote_candidates(integer, extensions.geography, timestamptz, double precision, timestamptz);
drop function if exists internal.quote_candidates_near(
    integer, extensions.geography, timestamptz, double precision, double precision, integer, timestamptz
);
drop function if exists internal.quote_candidates_in(
    integer, extensions.geography, timestamptz, double precision, integer, double precision,
    double precision[], double precision[], double precision[], double precision[], timestamptz
);
drop function if exists internal.quote_slabs(double precision, double precision, integer);
drop function if exists internal.offer_score(
    double precision, double precision, double precision, integer, integer, double precision, double precision,
    double precision
);
drop function if exists internal.quote_candidates_near(
    integer, extensions.geography, timestamptz, double precision, double precision, integer, timestamptz,
    double precision, double precision, double precision, double precision, uuid[], double precision[]
);
drop function if exists internal.quote_candidates_in(
    integer, extensions.geography, timestamptz, double precision, integer, double precision,
    double precision[], double precision[], double precision[], double precision[], timestamptz,
    double precision, double precision, double precision, double precision, uuid[], double precision[]
);
drop function if exists internal.find_offers(
    integer, extensions.geography, timestamptz, double precision, integer, timestamptz
);

create or replace function internal.offer_score(
    p_distance_m double precision,
    p_radius_km double precision,
    p_quality double precision,
    p_price_cents integer,
    p_min_price_cents integer,
    p_w_distance double precision,
    p_w_price double precision,
    p_personal double precision,
    p_quality_penalty double precision
)
returns double precision
language sql
immutable
-- No `set search_path`: a set clause would stop the planner from inlining it
-- into the candidate queries below.
as $$
    select pg_catalog.round((
        p_w_distance * greatest(0, 1 - p_distance_m / (p_radius_km * 1000))
        + p_quality
        + p_w_price * (case when p_price_cents = 0 then 1 else p_min_price_cents::numeric / p_price_cents end)
        + p_personal
        - p_quality_penalty
    )::numeric, 4)::double precision
$$;
comment on function internal.offer_score(
    double precision, double precision, double precision, integer, integer, double precision, double precision,
    double precision, double precision
) is
$$The score of an offer (formula above), rounded to 4 decimals: p_quality is
internal.quality_term, p_min_price_cents the cheapest offer within the radius,
p_personal the customer's weighted personal term (wU * U), p_quality_penalty
the weighted quality prediction (wK * K, at least 0).$$;

create or replace function internal.quote_candidates_near(
    p_category_id integer,
    p_point extensions.geography,
    p_starts_at timestamptz,
    p_radius_km double precision,
    p_within_m double precision,
    p_min_price_cents integer,
    p_now timestamptz,
    p_w_distance double precision,
    p_w_rating double precision,
    p_w_price double precision,
    p_w_reliability double precision,
    p_personal_ids uuid[],
    p_personal_terms double precision[],
    p_w_quality double precision,
    p_quality_coefficients double precision[]
)
returns table (
    provider_id uuid,
    service_id uuid,
    time_zone text,
    blocked tstzrange,
    distance_m double precision,
    score double precision
)
language sql
stable
-- No `set search_path` (every name is qualified): a set clause would stop the
-- planner from inlining this function, and the GiST index scan from showing in
-- the caller's plan.
as $$
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
            coalesce(p_personal_terms[pg_catalog.array_position(p_personal_ids, c.provider_id)], 0),
            case when p_w_quality > 0 then p_w_quality * internal.quality_risk(
                p_quality_coefficients, c.provider_cancellations, c.no_shows, c.tested, p_starts_at, c.time_zone,
                extract(epoch from p_starts_at - p_now)::double precision / 3600,
                c.duration_minutes / 60.0::double precision
            ) else 0 end
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
            s.duration_minutes,
            p.provider_cancellations,
            p.no_shows,
            p.ended_bookings - p.other_cancellations as tested,
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
comment on function internal.quote_candidates_near(
    integer, extensions.geography, timestamptz, double precision, double precision, integer, timestamptz,
    double precision, double precision, double precision, double precision, uuid[], double precision[],
    double precision, double precision[]
) is
'Scored (provider, service) offers within p_within_m of the point, before the free-slot check; the score formula is in 40_quote.sql.';

create or replace function internal.quote_candidates(
    p_category_id integer,
    p_point extensions.geography,
    p_starts_at timestamptz,
    p_radius_km double precision,
    p_now timestamptz,
    p_customer_id uuid default null
)
returns table (
    provider_id uuid,
    service_id uuid,
    time_zone text,
    blocked tstzrange,
    distance_m double precision,
    score double precision
)
language sql
stable
-- No `set search_path`: see internal.quote_candidates_near.
as $$
    -- the active version's weights, the customer's personal terms and the
    -- active quality version's coefficients
    select c.provider_id, c.service_id, c.time_zone, c.blocked, c.distance_m, c.score
    from app.ranking_versions as v
    left join app.quality_versions as k on k.is_active
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
        ),
        case when k.coefficients is null then 0 else v.w_quality end, k.coefficients
    ) as c
    where v.is_active
$$;
comment on function internal.quote_candidates(
    integer, extensions.geography, timestamptz, double precision, timestamptz, uuid
) is
$$Every scored (provider, service) offer of a quote before the free-slot check, under the active
ranking version and for p_customer_id's personal terms (the reference ranking internal.find_offers
is tested against); the score formula is in 40_quote.sql.$$;

create or replace function internal.search_box(
    p_lat double precision,
    p_lng double precision,
    p_within_m double precision,
    p_rating_from double precision,
    p_rating_to double precision,
    p_price_to double precision
)
returns extensions.geometry
language plpgsql
immutable
set search_path = ''
as $$
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
comment on function internal.search_box(
    double precision, double precision, double precision, double precision, double precision, double precision
) is
$$The search-key box holding every offer within p_within_m of the point whose
rating term is in [p_rating_from, p_rating_to] and price at most p_price_to.$$;

create or replace function internal.quote_candidates_in(
    p_category_id integer,
    p_point extensions.geography,
    p_starts_at timestamptz,
    p_radius_km double precision,
    p_min_price_cents integer,
    p_threshold double precision,
    p_rating_from double precision[],
    p_rating_to double precision[],
    p_price_to double precision[],
    p_within_m double precision[],
    p_now timestamptz,
    p_w_distance double precision,
    p_w_rating double precision,
    p_w_price double precision,
    p_w_reliability double precision,
    p_personal_ids uuid[],
    p_personal_terms double precision[],
    p_w_quality double precision default 0,
    p_quality_coefficients double precision[] default null
)
returns table (
    provider_id uuid,
    service_id uuid,
    time_zone text,
    blocked tstzrange,
    distance_m double precision,
    score double precision,
    rating_count integer,
    rating_avg numeric,
    cancellation_rate numeric,
    no_show_rate numeric,
    price_cents integer,
    personal double precision
)
language sql
stable
-- No `set search_path` (every name is qualified): a set clause would stop the
-- planner from inlining this function into find_offers' query.
as $$
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
            c.price_cents, p_min_price_cents, p_w_distance, p_w_price, c.personal,
            -- the quality prediction (37_quality.sql) from the provider's row, only
            -- when weighted: no table read, inlined
            case when p_w_quality > 0 then p_w_quality * internal.quality_risk(
                p_quality_coefficients, c.provider_cancellations, c.no_shows, c.tested, p_starts_at, c.time_zone,
                extract(epoch from p_starts_at - p_now)::double precision / 3600,
                c.duration_minutes / 60.0::double precision
            ) else 0 end
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
                s.duration_minutes,
                p.provider_cancellations,
                p.no_shows,
                p.ended_bookings - p.other_cancellations as tested,
                extensions.st_distance(p.location, p_point) as distance_m,
                pg_catalog.tstzrange(
                    p_starts_at - pg_catalog.make_interval(mins => s.buffer_before_minutes),
                    p_starts_at + pg_catalog.make_interval(mins => s.duration_minutes + s.buffer_after_minutes)
                ) as blocked
            from (
                -- the point's latitude and longitude once a slab, as columns (offset 0: not
                -- pulled up, which would put the geography's cast back in every row's bound)
                select
                    k.*,
                    extensions.st_y(p_point::extensions.geometry) as lat,
                    extensions.st_x(p_point::extensions.geometry) as lng
                from rows from (
                    pg_catalog.unnest(p_rating_from),
                    pg_catalog.unnest(p_rating_to),
                    pg_catalog.unnest(p_price_to),
                    pg_catalog.unnest(p_within_m)
                ) as k (rating_from, rating_to, price_to, within_m)
                offset 0
            ) as k
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
                        k.lat, k.lng, k.within_m, k.rating_from, k.rating_to, k.price_to
                    )
                    -- The offer's own bound, from its key alone (before the
                    -- provider is read): the distance on a sphere, less 1% (the
                    -- spheroid's geodesic differs by under 0.6%), is a lower bound.
                    and p_w_distance * (1 - 0.99 * 2 * 6371008.8 * pg_catalog.asin(least(1, pg_catalog.sqrt(
                        pg_catalog.sin(pg_catalog.radians(extensions.st_y(s.search_key) - k.lat) / 2) ^ 2
                        + pg_catalog.cosd(extensions.st_y(s.search_key)) * pg_catalog.cosd(k.lat)
                        * pg_catalog.sin(pg_catalog.radians(extensions.st_x(s.search_key) - k.lng) / 2) ^ 2
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
                s.duration_minutes,
                p.provider_cancellations,
                p.no_shows,
                p.ended_bookings - p.other_cancellations,
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
    -- Not pulled up into the caller: the score is computed once per row here
    -- and the caller's filter and sort read it as a column. Pulled up, the
    -- expression was copied into the filter, the sort key and the output, each
    -- compiled again at every round's executor start and evaluated three times
    -- per row (issue 24: executor start was a sixth of the quote's CPU).
    offset 0
$$;
comment on function internal.quote_candidates_in(
    integer, extensions.geography, timestamptz, double precision, integer, double precision,
    double precision[], double precision[], double precision[], double precision[], timestamptz,
    double precision, double precision, double precision, double precision, uuid[], double precision[],
    double precision, double precision[]
) is
$$Scored (provider, service) offers in the search-key slabs (quality term range,
price cap, distance) that may score p_threshold, and every offer of the
customer's personal providers, before the free-slot check; with the facts the
explanation is made of. p_w_quality > 0 subtracts p_w_quality times the quality
prediction under p_quality_coefficients (never raises a score: the slabs'
bounds stay exact).$$;

-- find_offers, in named steps:
--   1. internal.quote_cheapest_price   the cheapest offer within the radius (P's numerator)
--   2. internal.quote_slabs            for one threshold, the search-key slabs that can reach it
--   3. the round in find_offers        read those slabs' candidates in score order, take the free ones
--   4. internal.quote_next_threshold   how far the next round's threshold falls
-- Steps 1, 2 and 4 are PL/pgSQL helpers; step 3 stays in find_offers, whose
-- cursor loop reads the candidates lazily (the free-slot check runs only until
-- max_results offers are found). The candidate query itself is unchanged: the
-- SQL functions it inlines carry no `set` clause.

create or replace function internal.quote_cheapest_price(
    p_category_id integer,
    p_point extensions.geography,
    p_radius_m double precision
)
returns integer
language plpgsql
stable
set search_path = ''
-- Generic plans for the loop's two statements, made once per session: the same
-- index scans as their custom plans (the price index for the next price, the
-- search key's index for the probe), whose planning cost more than running
-- them (issue 24). The last query keeps a custom plan (EXECUTE, planned with
-- its values): a generic plan of it, blind to the radius, starts from the
-- category's services (5x slower at 100k).
set plan_cache_mode = force_generic_plan
as $$
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
-- category (7x slower at 1M, measured). The provider's location is read by its
-- primary key, one offer at a time (a scalar subquery, not a join): joined,
-- the planner took the key scan's estimate of one row at its word and probed
-- the providers' location index for the whole circle instead, 8,558 providers
-- read for one offer on the 10k dataset (issue 24).
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
            where
                s.category_id = p_category_id
                and s.search_key is not null
                and s.search_key operator(extensions.&&&) internal.search_box(
                    extensions.st_y(p_point::extensions.geometry),
                    extensions.st_x(p_point::extensions.geometry),
                    p_radius_m, -1, 2, v_price
                )
                and extensions.st_dwithin(
                    (select p.location from app.providers as p where p.id = s.provider_id), p_point, p_radius_m
                )
        ) then
            return v_price;
        end if;
    end loop;
    if v_price is not null then
        execute $q$
            select min(s.price_cents)
            from app.services as s
            where
                s.category_id = $1
                and s.search_key is not null
                and s.search_key operator(extensions.&&&) internal.search_box(
                    extensions.st_y($2::extensions.geometry),
                    extensions.st_x($2::extensions.geometry),
                    $3, -1, 2, 'infinity'
                )
                and extensions.st_dwithin(
                    (select p.location from app.providers as p where p.id = s.provider_id), $2, $3
                )
        $q$
        into v_min_price
        using p_category_id, p_point, p_radius_m;
    end if;
    return v_min_price;
end
$$;
comment on function internal.quote_cheapest_price(integer, extensions.geography, double precision) is
'Step 1 of internal.find_offers: the cheapest active offer of the category within p_radius_m of the point, null if none.';

create or replace function internal.quote_slabs(
    p_theta double precision,
    p_radius_m double precision,
    p_min_price integer,
    p_w_distance double precision,
    p_w_price double precision,
    p_quality_max double precision,
    out min_score double precision,
    out rating_from double precision[],
    out rating_to double precision[],
    out price_to double precision[],
    out within_m double precision[]
)
language plpgsql
immutable
set search_path = ''
as $$
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
comment on function internal.quote_slabs(
    double precision, double precision, integer, double precision, double precision, double precision
) is
$$Step 2 of internal.find_offers: the search-key slabs (rating term range, price cap,
distance) holding every offer that can score p_theta, and the score below which none can.$$;

create or replace function internal.quote_next_threshold(
    p_theta double precision,
    p_step double precision,
    p_next double precision,
    p_top double precision,
    p_checked integer,
    p_found integer,
    p_max_results integer,
    out theta double precision,
    out step double precision
)
language plpgsql
immutable
set search_path = ''
as $$
-- Decides the next round's threshold. It aims at the offers still needed at
-- the rate of free offers seen so far (p_checked offers checked, p_found of
-- them free): the score of the offer that many rows down the look-ahead
-- (p_next, the rows below the threshold that the round read anyway) or, if
-- higher, the score above which the count so far predicts twice that many, the
-- number of offers scoring above s growing as (top - s)^4 below the best score
-- seen (the distance counts twice, the rating and the price once). The count
-- aimed at is at least twice the offers checked so far: with few offers still
-- missing the model alone asked for a few percent more rows each time, and a
-- quote at 10k providers spent its last rounds (each an executor start, a
-- probe per slab and a sort) finding its last offer or two (issue 24). The
-- floor is a count, not a score: on denser data it is the same number of rows,
-- so a round reads at most about twice what the previous ones checked. While
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
                (
                    p_checked
                    + greatest(2.0 * (p_max_results - p_found) * p_checked / greatest(p_found, 1), p_checked)
                ) / p_checked,
                0.25
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
comment on function internal.quote_next_threshold(
    double precision, double precision, double precision, double precision, integer, integer, integer
) is
'Step 4 of internal.find_offers: the next round''s threshold (and step) from what the last round saw.';

create or replace function internal.find_offers(
    p_category_id integer,
    p_point extensions.geography,
    p_starts_at timestamptz,
    p_radius_km double precision,
    p_max_results integer,
    p_now timestamptz,
    p_customer_id uuid default null
)
returns table (
    provider_id uuid,
    service_id uuid,
    rank integer,
    distance_m double precision,
    score double precision,
    explanation jsonb
)
language plpgsql
stable
-- About max_results rows (at most 50), not the default estimate of 1,000: with
-- 1,000, internal.quote's generic plan joined the offers to app.services and
-- app.providers by hashing both tables whole (28k rows read a quote at 10k
-- providers, more than find_offers itself; issue 24).
rows 10
set search_path = ''
-- Generic plans, made once per session: the candidate query is the same nested
-- loop whatever the slabs and the point (the slabs as a function scan, each
-- probing the search key's index, the provider by its key), and planning it
-- afresh each round cost more than running it: a quote makes ~7 rounds at 10k
-- providers, and custom plans were half of its CPU (issue 24, measured with
-- identical offers). Step 1 keeps its own custom plans.
set plan_cache_mode = force_generic_plan
as $$
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
    v_quality_version integer;
    v_quality_coefficients double precision[];
    v_w_quality double precision;
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
    -- The first threshold is 0.96 (1 - 0.04), then 0.92, 0.84... while nothing is
    -- seen: the sequence that started at 0.99 (0.99, 0.98, 0.96, 0.92...) without its
    -- first two rounds. Those were empty for most quotes at 10k providers and in a
    -- synthetic cell 1.5x and 24x as dense as 1M providers in Montreal, and a round
    -- re-reads every offer above its threshold: starting at 0.96 made 2.9 rounds a
    -- quote instead of 6.0 in the densest cell and read fewer buffers at every density
    -- (0.92 first read more there). Issue 24, docs/performance.md.
    v_step double precision := 0.04;
    v_above double precision := 'infinity'::double precision;
    v_next double precision;
    v_top double precision;
    v_checked integer := 0;
    v_min_score double precision;
    v_froms double precision[];
    v_tos double precision[];
    v_prices double precision[];
    v_withins double precision[];
    -- steps 2 and 4's answers: assigned from a plain call (a simple expression,
    -- evaluated without a query; `select ... into` ran one, with its executor
    -- start, twice a round)
    v_slabs record;
    v_aim record;
    v_cur refcursor;
begin
    rank := 0;
    -- step 1: the cheapest offer within the radius (none: no offers)
    v_min_price := internal.quote_cheapest_price(p_category_id, p_point, p_radius_km * 1000);
    if v_min_price is null then
        return;
    end if;
    -- the weights, and the customer's personal terms (wU * U)
    select * into v_version from app.ranking_versions as v where v.is_active;
    -- the active quality version, read once: with w_quality > 0, K is in the
    -- score and in each shown offer's explanation (0: both exactly as before)
    select k.version, k.coefficients into v_quality_version, v_quality_coefficients
    from app.quality_versions as k
    where k.is_active;
    v_w_quality := case when v_quality_coefficients is null then 0 else v_version.w_quality end;
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
        v_slabs := internal.quote_slabs(
            v_theta, p_radius_km * 1000, v_min_price, v_version.w_distance, v_version.w_price,
            v_version.w_rating + v_version.w_reliability
        );
        v_min_score := v_slabs.min_score;
        v_froms := v_slabs.rating_from;
        v_tos := v_slabs.rating_to;
        v_prices := v_slabs.price_to;
        v_withins := v_slabs.within_m;

        -- step 3: the round. The loop fetches the sorted candidates one at a
        -- time: the free-slot check runs only until max_results offers are found.
        -- Offers below the threshold are the look-ahead that step 4 aims with.
        -- The check is internal.slot_is_free's query (35_availability.sql; a
        -- change there is a change here, and test_quote_search.py holds both to
        -- the first definition), written into the cursor's select list: an
        -- OPENed cursor is planned for its first rows, so the planner evaluates
        -- that column above the sort, row by fetched row, and only for an offer
        -- at or above the threshold whose provider was not taken when the round
        -- began (the loop skips the others, taken since, before reading it).
        -- Called as a function it cost a call and an executor start per check,
        -- ~19 a quote at 10k providers (issue 24).
        v_next := null;
        v_ahead := '{}'::uuid[];
        open v_cur for
            select c.*,
                case when c.score >= v_theta and c.provider_id <> all(v_taken) then
                    case
                        when exists (
                            select
                            from app.weekly_hours as h
                            cross join lateral (
                                select (pg_catalog.lower(c.blocked) at time zone c.time_zone)::date - g.i as day
                                from pg_catalog.generate_series(0, 1) as g (i)
                            ) as d
                            where
                                h.provider_id = c.provider_id
                                and h.day_of_week = extract(dow from d.day)
                                and (d.day + h.start_time) at time zone c.time_zone <= pg_catalog.lower(c.blocked)
                                and (d.day + h.end_time) at time zone c.time_zone >= pg_catalog.upper(c.blocked)
                        ) then true
                        when not exists (
                            select
                            from app.weekly_hours as h
                            cross join lateral (
                                select (pg_catalog.lower(c.blocked) at time zone c.time_zone)::date - g.i as day
                                from pg_catalog.generate_series(0, 1) as g (i)
                            ) as d
                            where
                                h.provider_id = c.provider_id
                                and h.day_of_week = extract(dow from d.day)
                                and (d.day + h.start_time) at time zone c.time_zone <= pg_catalog.lower(c.blocked)
                                and (d.day + h.end_time) at time zone c.time_zone > pg_catalog.lower(c.blocked)
                        ) then false
                        else internal.working_ranges(c.provider_id, c.time_zone, c.blocked) @> c.blocked
                    end
                    and not exists (
                        select
                        from app.time_off as t
                        where t.provider_id = c.provider_id and t.during && c.blocked
                    )
                    and not exists (
                        select
                        from app.bookings as k
                        where
                            k.provider_id = c.provider_id
                            and k.blocked && c.blocked
                            and k.status in ('pending_payment', 'confirmed')
                            and (k.status = 'confirmed' or k.hold_expires_at is null or k.hold_expires_at >= p_now)
                    )
                end as free
            from internal.quote_candidates_in(
                p_category_id, p_point, p_starts_at, p_radius_km, v_min_price,
                v_min_score, v_froms, v_tos, v_prices, v_withins, p_now,
                v_version.w_distance, v_version.w_rating, v_version.w_price, v_version.w_reliability,
                v_personal_ids, v_personal_terms, v_w_quality, v_quality_coefficients
            ) as c
            where c.score < v_above
            order by c.score desc, c.distance_m asc, c.provider_id asc, c.service_id asc;
        loop
            fetch v_cur into v_offer;
            exit when not found;
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
            continue when not v_offer.free;
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
                v_personal_u[v_i], v_completed[v_i], v_stars[v_i], v_offer.score,
                case when v_w_quality > 0 then
                    internal.offer_quality_risk(v_quality_coefficients, v_offer.service_id, p_starts_at, p_now)
                end,
                v_quality_version
            );
            return next;
            if rank >= p_max_results then
                close v_cur;
                return;
            end if;
        end loop;
        close v_cur;
        exit when v_theta = '-infinity';
        v_above := v_theta;

        -- step 4: the next threshold
        v_aim := internal.quote_next_threshold(v_theta, v_step, v_next, v_top, v_checked, rank, p_max_results);
        v_theta := v_aim.theta;
        v_step := v_aim.step;
    end loop;
end
$$;
comment on function internal.find_offers(
    integer, extensions.geography, timestamptz, double precision, integer, timestamptz, uuid
) is
$$The ranked, genuinely free offers of a quote (one per provider), as seen at p_now, for
p_customer_id (personal terms; null: none), each with its explanation.$$;

create or replace view api.my_quote_offers
with (security_invoker = true) as
select
    q.id as quote_id,
    i.provider_id,
    p.business_name as provider_name,
    i.service_id,
    s.name as service_name,
    i.price_cents,
    i.deposit_cents,
    i.currency,
    i.distance_m,
    p.rating_avg as rating,
    i.score,
    q.starts_at,
    q.starts_at + pg_catalog.make_interval(mins => i.duration_minutes) as ends_at,
    q.expires_at,
    i.rank,
    i.cancel_notice_hours,
    i.cancel_fee_cents,
    q.ranking_version,
    i.explanation,
    t.gst_cents,
    t.qst_cents,
    i.price_cents + t.gst_cents + t.qst_cents as total_cents,
    t.gst_number,
    t.qst_number,
    pp.balance_total_cents as balance_cents
from app.quote_items as i
inner join app.quotes as q on i.quote_id = q.id
inner join app.providers as p on i.provider_id = p.id
inner join app.services as s on i.service_id = s.id
cross join lateral internal.provider_taxes(i.provider_id, i.price_cents) as t
cross join lateral internal.price_parts(i.price_cents, i.deposit_cents, t.gst_rate, t.qst_rate, t.gst_cents, t.qst_cents) as pp
where q.customer_id = (select auth.uid());
comment on view api.my_quote_offers is
$$The offers of the caller's own quotes (role customer), with the locked-in price and cancellation policy.

api.quote returns rows of this shape. Offers of a provider or service that has
since been deactivated are not listed.$$;
comment on column api.my_quote_offers.quote_id is 'The quote (confirm a booking with it and provider_id).';
comment on column api.my_quote_offers.provider_id is 'The offering provider.';
comment on column api.my_quote_offers.provider_name is 'The provider''s business name.';
comment on column api.my_quote_offers.service_id is 'The service offered.';
comment on column api.my_quote_offers.service_name is 'The service''s name.';
comment on column api.my_quote_offers.price_cents is 'Locked-in price, in cents.';
comment on column api.my_quote_offers.deposit_cents is 'Locked-in deposit, in cents.';
comment on column api.my_quote_offers.currency is 'Currency (CAD).';
comment on column api.my_quote_offers.distance_m is 'Distance from the quote''s point to the provider, in metres.';
comment on column api.my_quote_offers.rating is 'The provider''s average rating (null without ratings).';
comment on column api.my_quote_offers.score is 'Ranking score (see api.quote), higher is better.';
comment on column api.my_quote_offers.starts_at is 'Start of the appointment.';
comment on column api.my_quote_offers.ends_at is 'End of the appointment (start plus the service duration).';
comment on column api.my_quote_offers.expires_at is 'When the quote expires.';
comment on column api.my_quote_offers.rank is 'Position in the quote, 1 = best.';
comment on column api.my_quote_offers.cancel_notice_hours is
'Locked-in policy: free cancellation up to this many hours before.';
comment on column api.my_quote_offers.cancel_fee_cents is 'Locked-in policy: fee for a later cancellation, in cents.';
comment on column api.my_quote_offers.ranking_version is 'The ranking version that ordered the quote (see api.quote).';
comment on column api.my_quote_offers.explanation is
$$Why the offer ranks where it does: {version, score, terms: {distance, rating, reliability, price,
personal[, quality]}}, each term with its feature, weight, contribution (they add up to the score) and
facts; quality (when the version weighs it) also has its words in en and fr.$$;
comment on column api.my_quote_offers.gst_cents is
'GST on the price (5%, half up to the cent; 0 if the provider is not GST-registered), see api.set_tax_registration.';
comment on column api.my_quote_offers.qst_cents is
'QST on the price (9.975%, half up to the cent; 0 if the provider is not QST-registered).';
comment on column api.my_quote_offers.total_cents is 'price_cents + gst_cents + qst_cents: what the service costs, taxes included.';
comment on column api.my_quote_offers.gst_number is 'The provider''s GST registration number (null: charges no GST).';
comment on column api.my_quote_offers.qst_number is 'The provider''s QST registration number (null: charges no QST).';
comment on column api.my_quote_offers.balance_cents is
$$What is left to pay after the deposit, taxes included: price - deposit plus the price's GST and QST minus
the deposit's (each rounded half up), as the booking charges it after the appointment; 0 without a deposit.$$;

create or replace trigger _010_read_only
instead of insert or update or delete on api.my_quote_offers
for each row execute function internal.refuse_view_write();

create or replace function internal.quote(
    p_category text,
    p_lat double precision,
    p_lng double precision,
    p_starts_at timestamptz,
    p_radius_km double precision,
    p_max_results integer
)
returns setof api.my_quote_offers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_customer_id uuid := auth.uid();
    v_category_id integer;
    v_point extensions.geography;
    v_quote_id uuid;
    v_version integer;
    v_starts_at timestamptz;
    v_expires_at timestamptz;
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
    insert into app.quotes as q (id, customer_id, category_id, location, starts_at, radius_km, ranking_version)
    values (internal.uuid_v7(), v_customer_id, v_category_id, v_point, p_starts_at, p_radius_km, v_version)
    returning q.id, q.starts_at, q.expires_at into v_quote_id, v_starts_at, v_expires_at;

    -- The price and the cancellation policy in force now are copied into the
    -- quote: confirming it later honours them. The offers are returned from
    -- the rows written (the shape of api.my_quote_offers, which reads them
    -- back the same way), not read back through the view: that second read
    -- of the quote, its items, providers and services was about 5% of the quote.
    return query
    with written as (
        insert into app.quote_items as i (
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
        inner join app.services as s on o.service_id = s.id
        returning i.*
    )
    select
        v_quote_id, i.provider_id, p.business_name, i.service_id, s.name,
        i.price_cents, i.deposit_cents, i.currency, i.distance_m, p.rating_avg, i.score,
        v_starts_at, v_starts_at + pg_catalog.make_interval(mins => i.duration_minutes), v_expires_at,
        i.rank, i.cancel_notice_hours, i.cancel_fee_cents, v_version, i.explanation,
        t.gst_cents, t.qst_cents, i.price_cents + t.gst_cents + t.qst_cents, t.gst_number, t.qst_number,
        pp.balance_total_cents
    from written as i
    inner join app.providers as p on i.provider_id = p.id
    inner join app.services as s on i.service_id = s.id
    cross join lateral internal.provider_taxes(i.provider_id, i.price_cents) as t
    cross join lateral internal.price_parts(
        i.price_cents, i.deposit_cents, t.gst_rate, t.qst_rate, t.gst_cents, t.qst_cents
    ) as pp
    order by i.rank;
end
$$;
comment on function internal.quote(text, double precision, double precision, timestamptz, double precision, integer) is
$$Validate a quote request, store the quote and its ranked offers, return them.
Definer: the search reads every provider's bookings and time off, and the
quote is written for the caller (auth.uid()), who has no insert rights.$$;

create or replace function api.quote(
    category text default null,
    lat double precision default null,
    lng double precision default null,
    starts_at timestamptz default null,
    radius_km double precision default 10,
    max_results integer default 10
)
returns setof api.my_quote_offers
language sql
volatile
set search_path = ''
as $$
    select q.*
    from internal.quote(
        quote.category, quote.lat, quote.lng, quote.starts_at, quote.radius_km, quote.max_results
    ) as q
$$;
comment on function api.quote(text, double precision, double precision, timestamptz, double precision, integer) is
$$Ranked providers free to do a service of a category near a point at a time, with the price locked in.

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

Score = wD * D + wR * R + wP * P + wQ * Q + wU * U - wK * K, rounded to 4 decimals,
ties to the nearer, with the weights of the active ranking version
(ranking_version; version 2: 0.5, 0.2, 0.2, 0.1, 0.15, wK 0; version 1 was 0.5 * D +
0.3 * R + 0.2 * P): D = 1 - distance_m / (radius_km * 1000); R = (B - 1) / 4
with the Bayesian rating B = (5 * 4.0 + n * avg) / (5 + n) (a prior of 5
ratings at 4.0); P = the cheapest price among the category's active offers
within radius_km / this price; Q = 1 - the provider's cancellation rate - its
no-show rate (both shrunk towards 2%); U = the caller's own history with the
provider, in [-1, 1] (completed bookings, its own latest review; 0 for a
provider it never booked, and never seen by another customer); K = the quality
model's probability that the provider cancels or does not show at this start
(docs/quality.md). Each offer's explanation gives every term's contribution
(docs/ranking.md).

Errors (400 invalid_input, nothing stored): unknown category, lat outside
[-90, 90], lng outside [-180, 180], starts_at missing or not in the future,
radius_km <= 0 or > 100, max_results outside 1..50.$$;
