-- The quote's ranking: its versioned weights, the customer's personal term, the
-- explanation each offer carries, the log a ranking is learnt from, and the
-- activation of a version (docs/ranking.md).
--
--   score = w_distance * D + w_rating * R + w_price * P + w_reliability * Q + w_personal * U
--           - w_quality * K
--
-- D, R, P as before (40_quote.sql); Q = 1 - provider cancellation rate - no-show
-- rate (73_reliability.sql, both shrunk); U in [-1, 1] the signed-in customer's
-- own history with the provider (internal.personal_terms; 0 without one). The
-- K = the active quality version's P(provider cancels or no-show) for the offer's
-- provider at the quoted start (internal.quality_risk, 37_quality.sql). The
-- weights are one row of app.ranking_versions, the active one; w_rating * R +
-- w_reliability * Q is the search key's third coordinate (30_catalog.sql), so
-- activating another version rewrites every key. The quality term is never
-- positive and not in the key: the quote's bounds stay upper bounds.
--
-- The log: app.quote_items (the offers as shown, rank = position) with their
-- terms in explanation, app.quotes.ranking_version, and the choice as the
-- booking confirmed from the quote (app.bookings.quote_id, provider_id).
-- `bookiji rank train` reads internal.ranking_choice_sets and records a version
-- with internal.add_ranking_version.

drop function if exists internal.offer_explanation(
    app.ranking_versions, double precision, double precision, integer, numeric, numeric, numeric,
    integer, integer, double precision, integer, integer, double precision
);

create or replace function internal.personal_terms(p_customer_id uuid, p_category_id integer)
returns table (
    provider_id uuid,
    term double precision,
    completed integer,
    stars integer,
    same_category boolean
)
language plpgsql
stable
set search_path = ''
-- PL/pgSQL, not SQL: a SQL function with a `set` clause is never inlined and
-- its body was planned again on every quote (1.56 ms of planning for 0.02 ms
-- of running, issue 24); PL/pgSQL keeps the plan for the session.
as $$
begin
    -- U from the customer's completed bookings with a provider (any category) and
    -- its latest review of it: (stars - 3) / 2 when reviewed (5 stars 1, 1 star
    -- -1), else min(completed, 3) / 3; halved when none of those bookings was
    -- in this category. The 50 providers booked most recently; U = 0 left out.
    return query
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
    limit 50;
end
$$;
comment on function internal.personal_terms(uuid, integer) is
$$The personal term U of each provider the customer has completed bookings with (docs/ranking.md):
what the quote adds, times w_personal, for this customer only.$$;

create or replace function internal.offer_explanation(
    p_version app.ranking_versions,
    p_distance_m double precision,
    p_radius_km double precision,
    p_rating_count integer,
    p_rating_avg numeric,
    p_cancellation_rate numeric,
    p_no_show_rate numeric,
    p_price_cents integer,
    p_min_price_cents integer,
    p_personal double precision,
    p_completed integer,
    p_stars integer,
    p_score double precision,
    p_risk double precision default null,
    p_quality_version integer default null
)
returns jsonb
language plpgsql
immutable
set search_path = ''
-- PL/pgSQL, not SQL: a SQL function with a `set` clause is never inlined and
-- was planned again on every quote (issue 24). Each feature is a variable
-- computed by a simple expression (no query), so a call runs no plan at all.
as $$
declare
    -- Each term: its feature (in [0, 1], U in [-1, 1]), the version's weight,
    -- their product rounded to 4 decimals (the contributions add up to the
    -- score within rounding), and the plain facts behind it.
    v_d numeric := pg_catalog.round(greatest(0, 1 - p_distance_m / (p_radius_km * 1000))::numeric, 6);
    v_r numeric := pg_catalog.round(
        (((5 * 4.0 + p_rating_count * coalesce(p_rating_avg, 0)) / (5 + p_rating_count) - 1) / 4)::numeric, 6
    );
    v_q numeric := pg_catalog.round(greatest(0, 1 - p_cancellation_rate - p_no_show_rate), 6);
    v_p numeric := pg_catalog.round(
        (case when p_price_cents = 0 then 1 else p_min_price_cents::numeric / p_price_cents end), 6
    );
    v_u numeric := pg_catalog.round(coalesce(p_personal, 0)::numeric, 6);
    v_k numeric := pg_catalog.round(p_risk::numeric, 6);
    v_pct text := pg_catalog.round((p_risk * 100)::numeric, case when p_risk < 0.1 then 1 else 0 end)::text;
begin
    return pg_catalog.jsonb_build_object(
        'version', (p_version).version,
        'score', p_score,
        'terms', pg_catalog.jsonb_build_object(
            'distance', pg_catalog.jsonb_build_object(
                'feature', v_d, 'weight', (p_version).w_distance,
                'contribution', pg_catalog.round(((p_version).w_distance * v_d)::numeric, 4),
                'distance_m', pg_catalog.round(p_distance_m::numeric), 'radius_km', p_radius_km
            ),
            'rating', pg_catalog.jsonb_build_object(
                'feature', v_r, 'weight', (p_version).w_rating,
                'contribution', pg_catalog.round(((p_version).w_rating * v_r)::numeric, 4),
                'rating_avg', p_rating_avg, 'rating_count', p_rating_count
            ),
            'reliability', pg_catalog.jsonb_build_object(
                'feature', v_q, 'weight', (p_version).w_reliability,
                'contribution', pg_catalog.round(((p_version).w_reliability * v_q)::numeric, 4),
                'cancellation_rate', p_cancellation_rate, 'no_show_rate', p_no_show_rate
            ),
            'price', pg_catalog.jsonb_build_object(
                'feature', v_p, 'weight', (p_version).w_price,
                'contribution', pg_catalog.round(((p_version).w_price * v_p)::numeric, 4),
                'price_cents', p_price_cents, 'cheapest_cents', p_min_price_cents
            ),
            'personal', pg_catalog.jsonb_build_object(
                'feature', v_u, 'weight', (p_version).w_personal,
                'contribution', pg_catalog.round(((p_version).w_personal * v_u)::numeric, 4),
                'completed', p_completed, 'stars', p_stars
            )
        ) || case when p_risk is null then '{}'::jsonb else pg_catalog.jsonb_build_object(
            -- the feature is -K (in [-1, 0]) so that the weight is positive like the others;
            -- present when the version weighs it (w_quality > 0): the explanation of a version
            -- without it is exactly what it was
            'quality', pg_catalog.jsonb_build_object(
                'feature', -v_k, 'weight', (p_version).w_quality,
                'contribution', pg_catalog.round(((p_version).w_quality * -v_k)::numeric, 4),
                'probability', v_k, 'quality_version', p_quality_version,
                'text', pg_catalog.jsonb_build_object(
                    'en', case
                        when v_k <= 0.05 then pg_catalog.format(
                            'reliable at this time: %s %% risk of a cancellation or no-show', v_pct
                        )
                        else pg_catalog.format('%s %% risk of a cancellation or no-show at this time', v_pct)
                    end,
                    'fr', case
                        when v_k <= 0.05 then pg_catalog.format(
                            'fiable à cette heure : %s %% de risque d''annulation ou d''absence', v_pct
                        )
                        else pg_catalog.format('%s %% de risque d''annulation ou d''absence à cette heure', v_pct)
                    end
                )
            )
        ) end
    );
end
$$;
comment on function internal.offer_explanation(
    app.ranking_versions, double precision, double precision, integer, numeric, numeric, numeric,
    integer, integer, double precision, integer, integer, double precision, double precision, integer
) is
$$Why an offer ranks where it does: each term's feature, weight and contribution to the score, with
the facts behind it (app.quote_items.explanation, api.quote's explanation). p_risk, the offer's quality
prediction under quality version p_quality_version, adds the term quality (feature -p_risk, weight
w_quality) with its words in en and fr; null leaves it out.$$;

create or replace function internal.ranking_choice_sets(p_since timestamptz, p_until timestamptz)
returns table (
    quote_id uuid,
    created_at timestamptz,
    ranking_version integer,
    rank integer,
    terms jsonb,
    chosen boolean
)
language sql
stable
security definer
set search_path = ''
as $$
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
comment on function internal.ranking_choice_sets(timestamptz, timestamptz) is
$$The learning log: each quote made in [p_since, p_until) from which exactly one booking was made,
its offers as shown (rank = position, terms = the features) and which one was chosen.
Definer: read by the worker's training schedule, which has no grant on app tables.$$;

create or replace function internal.add_ranking_version(
    p_weights jsonb,
    p_position_bias double precision[],
    p_metrics jsonb,
    p_note text
)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
-- Records a trained version, inactive: the weights (distance, rating, price,
-- reliability scaled to sum 1; personal; quality, the active version's when
-- not given), the position effects fitted with them and the offline metrics
-- against the version that was active.
declare
    v_version integer;
begin
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('app.ranking_versions'));
    select coalesce(pg_catalog.max(v.version), 0) + 1 into v_version from app.ranking_versions as v;
    insert into app.ranking_versions (
        version, w_distance, w_rating, w_price, w_reliability, w_personal, w_quality, position_bias, source,
        metrics, note
    )
    values (
        v_version,
        (p_weights ->> 'distance')::double precision,
        (p_weights ->> 'rating')::double precision,
        (p_weights ->> 'price')::double precision,
        (p_weights ->> 'reliability')::double precision,
        (p_weights ->> 'personal')::double precision,
        -- not fitted yet (docs/quality.md): given, or the active version's
        coalesce(
            (p_weights ->> 'quality')::double precision,
            (select a.w_quality from app.ranking_versions as a where a.is_active),
            0
        ),
        coalesce(p_position_bias, '{}'),
        'trained',
        coalesce(p_metrics, '{}'),
        p_note
    );
    return v_version;
end
$$;
comment on function internal.add_ranking_version(jsonb, double precision[], jsonb, text) is
$$Record a trained ranking version (inactive) with its offline metrics; returns its number.
Definer: called by `bookiji rank train` and the worker's training schedule.$$;

create or replace function internal.active_ranking_version()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'version', v.version,
        'weights', pg_catalog.jsonb_build_object(
            'distance', v.w_distance, 'rating', v.w_rating, 'price', v.w_price,
            'reliability', v.w_reliability, 'personal', v.w_personal, 'quality', v.w_quality
        )
    )
    from app.ranking_versions as v
    where v.is_active
$$;
comment on function internal.active_ranking_version() is
$$The active ranking version's number and weights (the baseline a training compares with).
Definer: the worker's training schedule has no grant on app tables.$$;

create or replace function internal.ranking_version_json(p_version app.ranking_versions)
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'version', (p_version).version,
        'is_active', (p_version).is_active,
        'source', (p_version).source,
        'weights', pg_catalog.jsonb_build_object(
            'distance', (p_version).w_distance, 'rating', (p_version).w_rating, 'price', (p_version).w_price,
            'reliability', (p_version).w_reliability, 'personal', (p_version).w_personal,
            'quality', (p_version).w_quality
        ),
        'position_bias', pg_catalog.to_jsonb((p_version).position_bias),
        'metrics', (p_version).metrics,
        'note', (p_version).note,
        'created_at', (p_version).created_at,
        'activated_at', (p_version).activated_at
    )
$$;
comment on function internal.ranking_version_json(app.ranking_versions) is
'A ranking version as the ops API shows it.';

create or replace function internal.activate_ranking_version(p_version integer, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function internal.activate_ranking_version(integer, text) is
$$Make a ranking version the active one: a rollback to one active before, or a trained one that beat
the active version offline (409 conflict otherwise); rewrites every search key; audited.
Definer: the keys of every provider's services are rewritten.$$;

create or replace function internal.ranking_versions()
returns setof app.ranking_versions
language sql
stable
security definer
set search_path = ''
as $$
    select v.* from app.ranking_versions as v where auth.role() = 'ops'
$$;
comment on function internal.ranking_versions() is
$$Every ranking version, for ops callers only (none for others).
Definer: app.ranking_versions has no grant to any API role.$$;

create or replace function api.ops_ranking_versions()
returns setof jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may see the ranking versions');
    return query
    select internal.ranking_version_json(v)
    from internal.ranking_versions() as v
    order by v.version desc;
end
$$;

comment on function api.ops_ranking_versions() is
$$The quote's ranking versions, newest first: weights, position effects, offline metrics, which is active.

Role ops only (others: 401/403). GET /rpc/ops_ranking_versions. Each element:
{version, is_active, source ('fixed' or 'trained'), weights {distance, rating,
price, reliability, personal, quality}, position_bias, metrics, note, created_at,
activated_at}; see docs/ranking.md.

Errors: 401 not_authenticated, 403 forbidden.$$;

create or replace function api.ops_activate_ranking_version(
    version integer default null,
    reason text default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may activate a ranking version');
    return internal.activate_ranking_version(ops_activate_ranking_version.version, ops_activate_ranking_version.reason);
end
$$;
comment on function api.ops_activate_ranking_version(integer, text) is
$$Make a ranking version the one the quote ranks with (ops only): roll back to an earlier one, or ship a trained one.

POST /rpc/ops_activate_ranking_version {"version": 1, "reason": "..."}. A
version that was active before may always come back; a trained version that
never was must have beaten the active version offline (held-out
log-likelihood and NDCG@5, recorded by `bookiji rank train`). Every search key
is rewritten in the same transaction; audited (ranking.activated). Activating
the active version changes nothing.

Errors: 400 invalid_input (version missing), 401 not_authenticated, 403
forbidden, 404 not_found (no such version), 409 conflict (not better offline).$$;
