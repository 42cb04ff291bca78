-- Quality predictions (docs/quality.md): the probability that a booking with a
-- provider at a time ends with the provider cancelling or as a no-show.
--
--   p = 1 / (1 + exp(-(c0 + c1 * x1 + ... + c8 * x8)))
--
-- a logistic regression over features the database stores
-- (internal.quality_features): the provider's shrunk provider-cancellation and
-- no-show rates (as logits) and its volume, over the bookings it was put to
-- the test on (ended, minus those the customer, ops or the system cancelled:
-- app.providers, 73_reliability.sql), the start's local part of the day and
-- weekday, the lead time and the duration. The coefficients are one row of
-- app.quality_versions, the active one; `bookiji quality train` and the
-- worker's schedule (worker/learn/) fit them on internal.quality_training_rows,
-- record a version with internal.add_quality_version and activate it only when
-- it beat the active one on the same held-out bookings.

create or replace function internal.quality_feature_names()
returns text[]
language sql
immutable
set search_path = ''
as $$
    select array[
        'provider_cancel_logit', 'no_show_logit', 'log_volume', 'morning', 'evening', 'weekend',
        'log_lead_hours', 'duration_hours'
    ]
$$;
comment on function internal.quality_feature_names() is
'The quality model''s features, in the order of internal.quality_features (a version''s coefficients follow it).';

create or replace function internal.quality_features(
    p_provider_cancellations integer,
    p_no_shows integer,
    p_tested integer,
    p_starts_at timestamptz,
    p_time_zone text,
    p_lead_hours double precision,
    p_duration_hours double precision
)
returns double precision[]
language sql
stable
set search_path = ''
as $$
    -- the rates shrunk like the reliability's (a prior of 20 bookings at 2%),
    -- as logits; the volume as log(1 + n); the local hour in three parts of the
    -- day (before 12:00, 12:00-17:00 the reference, from 17:00); Saturday or
    -- Sunday; log(1 + lead hours); hours booked
    select array[
        pg_catalog.ln(r.c / (1 - r.c)),
        pg_catalog.ln(r.n / (1 - r.n)),
        pg_catalog.ln(1 + greatest(p_tested, 0)),
        (l.h < 12)::integer,
        (l.h >= 17)::integer,
        (l.d in (0, 6))::integer,
        pg_catalog.ln(1 + greatest(p_lead_hours, 0)),
        greatest(p_duration_hours, 0)
    ]::double precision[]
    from
        (
            select
                (greatest(p_provider_cancellations, 0) + 0.4) / (greatest(p_tested, 0) + 20.0) as c,
                (greatest(p_no_shows, 0) + 0.4) / (greatest(p_tested, 0) + 20.0) as n
        ) as r,
        (
            select
                extract(hour from p_starts_at at time zone p_time_zone) as h,
                extract(dow from p_starts_at at time zone p_time_zone) as d
        ) as l
$$;
comment on function internal.quality_features(
    integer, integer, integer, timestamptz, text, double precision, double precision
) is
$$The quality model's features of a booking (names: internal.quality_feature_names): from the provider's
provider-cancellation and no-show counts over p_tested bookings, the start in its time zone, the
lead time and the duration in hours.$$;

create or replace function internal.quality_probability(p_coefficients double precision[], p_features double precision[])
returns double precision
language sql
immutable
set search_path = ''
as $$
    -- the linear predictor clamped to [-30, 30] (exp stays finite)
    select 1 / (1 + pg_catalog.exp(-least(greatest(
        p_coefficients[1] + coalesce((
            select pg_catalog.sum(p_coefficients[f.i + 1] * f.x)
            from pg_catalog.unnest(p_features) with ordinality as f (x, i)
        ), 0),
        -30), 30)))
$$;
comment on function internal.quality_probability(double precision[], double precision[]) is
'The logistic model: 1 / (1 + exp(-(c[1] + sum c[i + 1] * x[i]))), the predictor clamped to [-30, 30].';

create or replace function internal.quality_risk(
    p_coefficients double precision[],
    p_provider_cancellations integer,
    p_no_shows integer,
    p_tested integer,
    p_starts_at timestamptz,
    p_time_zone text,
    p_lead_hours double precision,
    p_duration_hours double precision
)
returns double precision
language sql
stable
-- No `set search_path` (every name is qualified) and no FROM: the planner
-- inlines it into the quote's candidate query (a term of the score, computed
-- per candidate from the provider's row: no table is read).
as $$
    -- internal.quality_probability(p_coefficients, internal.quality_features(...))
    -- as one expression, in double precision (the same to ~1e-15)
    select 1 / (1 + pg_catalog.exp(-least(greatest(
        p_coefficients[1]
        + p_coefficients[2] * pg_catalog.ln(
            (greatest(p_provider_cancellations, 0) + 0.4::double precision)
            / (greatest(p_tested, 0) + 19.6::double precision - greatest(p_provider_cancellations, 0))
        )
        + p_coefficients[3] * pg_catalog.ln(
            (greatest(p_no_shows, 0) + 0.4::double precision)
            / (greatest(p_tested, 0) + 19.6::double precision - greatest(p_no_shows, 0))
        )
        + p_coefficients[4] * pg_catalog.ln(1 + greatest(p_tested, 0)::double precision)
        + p_coefficients[5] * (pg_catalog.date_part('hour', p_starts_at at time zone p_time_zone) < 12)::integer
        + p_coefficients[6] * (pg_catalog.date_part('hour', p_starts_at at time zone p_time_zone) >= 17)::integer
        + p_coefficients[7] * (pg_catalog.date_part('dow', p_starts_at at time zone p_time_zone) in (0, 6))::integer
        + p_coefficients[8] * pg_catalog.ln(1 + greatest(p_lead_hours, 0))
        + p_coefficients[9] * greatest(p_duration_hours, 0),
        -30), 30)))
$$;
comment on function internal.quality_risk(
    double precision[], integer, integer, integer, timestamptz, text, double precision, double precision
) is
$$The quality model's probability from the coefficients and the raw facts (the provider's provider-cancellation
and no-show counts over p_tested bookings, the start in its time zone, lead and duration in hours): what
internal.quality_probability of internal.quality_features gives, as one inlinable expression (the quote's
score term, docs/quality.md).$$;

create or replace function internal.offer_quality_risk(
    p_coefficients double precision[],
    p_service_id uuid,
    p_starts_at timestamptz,
    p_now timestamptz
)
returns double precision
language sql
stable
security definer
set search_path = ''
as $$
    -- one offer's prediction (its provider and service by key), for the
    -- explanation of a shown offer
    select internal.quality_risk(
        p_coefficients, p.provider_cancellations, p.no_shows, p.ended_bookings - p.other_cancellations,
        p_starts_at, p.time_zone,
        extract(epoch from p_starts_at - p_now)::double precision / 3600, s.duration_minutes / 60.0::double precision
    )
    from app.services as s
    inner join app.providers as p on s.provider_id = p.id
    where s.id = p_service_id and p_coefficients is not null
$$;
comment on function internal.offer_quality_risk(double precision[], uuid, timestamptz, timestamptz) is
$$The quality prediction of an offer (a service at p_starts_at, asked at p_now) under the given coefficients:
what the quote's explanation logs for each shown offer. Definer: app.providers' counts have no grant to
any API role.$$;

create or replace function internal.quality_prediction(
    p_provider_id uuid,
    p_starts_at timestamptz,
    p_duration_hours double precision,
    p_booked_at timestamptz
)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    -- with the active version, the provider's counts as they are now
    select pg_catalog.jsonb_build_object(
        'probability', pg_catalog.round(internal.quality_probability(v.coefficients, x.f)::numeric, 4),
        'version', v.version,
        'features', (
            select pg_catalog.jsonb_object_agg(n.name, pg_catalog.round(n.x::numeric, 4))
            from rows from (pg_catalog.unnest(v.features), pg_catalog.unnest(x.f)) as n (name, x)
        )
    )
    from app.providers as p
    cross join lateral (
        select internal.quality_features(
            p.provider_cancellations, p.no_shows, p.ended_bookings - p.other_cancellations,
            p_starts_at, p.time_zone,
            extract(epoch from p_starts_at - p_booked_at) / 3600, p_duration_hours
        ) as f
    ) as x
    cross join app.quality_versions as v
    where p.id = p_provider_id and v.is_active
$$;
comment on function internal.quality_prediction(uuid, timestamptz, double precision, timestamptz) is
$$The active quality model's prediction for a booking with the provider starting at p_starts_at, lasting
p_duration_hours, booked at p_booked_at: {probability, version, features}; null for no such provider.
Definer: app.providers' counts and app.quality_versions have no grant to any API role.$$;

create or replace function internal.quality_training_rows(p_since timestamptz, p_until timestamptz)
returns table (
    booking_id uuid,
    created_at timestamptz,
    features double precision[],
    outcome boolean
)
language sql
stable
security definer
set search_path = ''
as $$
    -- Bookings made in [p_since, p_until) that ended and were put to the test:
    -- completed, no_show, or cancelled by the provider (outcome true for the
    -- last two). The provider's counts leave the booking's own outcome out
    -- (what they would have been without it), oldest first.
    select
        b.id,
        b.created_at,
        internal.quality_features(
            p.provider_cancellations - o.cancelled, p.no_shows - o.no_show,
            p.ended_bookings - p.other_cancellations - 1,
            pg_catalog.lower(b.during), p.time_zone,
            extract(epoch from pg_catalog.lower(b.during) - b.created_at) / 3600,
            extract(epoch from pg_catalog.upper(b.during) - pg_catalog.lower(b.during)) / 3600
        ),
        o.cancelled + o.no_show = 1
    from app.bookings as b
    inner join app.providers as p on b.provider_id = p.id
    cross join lateral (
        select
            (b.status = 'cancelled')::integer as cancelled,
            (b.status = 'no_show')::integer as no_show
    ) as o
    where
        b.created_at >= p_since and b.created_at < p_until
        and (
            b.status in ('completed', 'no_show')
            or (b.status = 'cancelled' and b.cancelled_by_role = 'provider')
        )
    order by b.created_at, b.id
$$;
comment on function internal.quality_training_rows(timestamptz, timestamptz) is
$$The quality model's training rows: each booking made in [p_since, p_until) that ended completed, no_show
or cancelled by the provider, its features (the provider's counts without it) and whether it went wrong.
Definer: read by the worker's training schedule, which has no grant on app tables.$$;

create or replace function internal.quality_version_json(p_version app.quality_versions)
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'version', (p_version).version,
        'is_active', (p_version).is_active,
        'source', (p_version).source,
        'intercept', (p_version).coefficients[1],
        'coefficients', (
            select pg_catalog.jsonb_object_agg(n.name, n.c)
            from rows from (pg_catalog.unnest((p_version).features), pg_catalog.unnest((p_version).coefficients[2:])) as n (name, c)
        ),
        'metrics', (p_version).metrics,
        'note', (p_version).note,
        'created_at', (p_version).created_at,
        'activated_at', (p_version).activated_at
    )
$$;
comment on function internal.quality_version_json(app.quality_versions) is
'A quality model version as the ops API shows it.';

create or replace function internal.active_quality_version()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'version', v.version, 'features', v.features, 'coefficients', v.coefficients
    )
    from app.quality_versions as v
    where v.is_active
$$;
comment on function internal.active_quality_version() is
$$The active quality version's number, features and coefficients (the baseline a training compares with).
Definer: the worker's training schedule has no grant on app tables.$$;

create or replace function internal.add_quality_version(
    p_features text[],
    p_coefficients double precision[],
    p_metrics jsonb,
    p_note text
)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
-- Records a trained version, inactive: its coefficients (intercept first) over
-- the features the database computes now, and its offline metrics against
-- the version that was active.
declare
    v_version integer;
begin
    if p_features is distinct from internal.quality_feature_names() then
        perform internal.fail(
            'invalid_input',
            pg_catalog.format('the features must be %s', internal.quality_feature_names())
        );
    end if;
    if pg_catalog.cardinality(p_coefficients) is distinct from pg_catalog.cardinality(p_features) + 1
        or exists (select from pg_catalog.unnest(p_coefficients) as c (x) where c.x is null or c.x in ('NaN', 'infinity', '-infinity')) then
        perform internal.fail('invalid_input', 'coefficients: one finite number per feature, after the intercept');
    end if;
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('app.quality_versions'));
    select coalesce(pg_catalog.max(v.version), 0) + 1 into v_version from app.quality_versions as v;
    insert into app.quality_versions (version, features, coefficients, source, metrics, note)
    values (v_version, p_features, p_coefficients, 'trained', coalesce(p_metrics, '{}'), p_note);
    return v_version;
end
$$;
comment on function internal.add_quality_version(text[], double precision[], jsonb, text) is
$$Record a trained quality version (inactive) with its offline metrics; returns its number.
Definer: called by `bookiji quality train` and the worker's training schedule.$$;

create or replace function internal.activate_quality_version(p_version integer, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
-- Decides whether a version may make the predictions, and makes it so. A
-- version that was active before may come back (a rollback); a trained one
-- that never was must have been evaluated against the version active now on
-- the same held-out bookings and beaten it on both the log-loss and the Brier
-- score (its metrics).
declare
    v_target app.quality_versions;
    v_active app.quality_versions;
begin
    perform internal.require(p_version, 'version');
    select * into v_target from app.quality_versions as v where v.version = p_version for update;
    if not found then
        perform internal.fail('not_found', pg_catalog.format('quality version %s does not exist', p_version));
    end if;
    select * into v_active from app.quality_versions as v where v.is_active for update;
    if v_target.is_active then
        return internal.quality_version_json(v_target);
    end if;
    if v_target.activated_at is null and v_target.source = 'trained' and not coalesce(
        (v_target.metrics ->> 'baseline_version')::integer is not distinct from v_active.version
        and (v_target.metrics -> 'candidate' ->> 'log_loss')::double precision
        < (v_target.metrics -> 'baseline' ->> 'log_loss')::double precision
        and (v_target.metrics -> 'candidate' ->> 'brier')::double precision
        < (v_target.metrics -> 'baseline' ->> 'brier')::double precision,
        false
    ) then
        perform internal.fail(
            'conflict',
            pg_catalog.format(
                'quality version %s did not beat the active version %s offline (held-out log-loss and Brier score); it cannot be activated',
                p_version, v_active.version
            )
        );
    end if;
    update app.quality_versions as v set is_active = false where v.is_active;
    update app.quality_versions as v
    set is_active = true, activated_at = pg_catalog.now()
    where v.version = p_version
    returning * into v_target;
    perform internal.audit(
        'quality.activated', 'app.quality_versions', p_version::text,
        internal.quality_version_json(v_active), internal.quality_version_json(v_target),
        nullif(pg_catalog.btrim(p_reason), '')
    );
    return internal.quality_version_json(v_target);
end
$$;
comment on function internal.activate_quality_version(integer, text) is
$$Make a quality version the active one: a rollback to one active before, or a trained one that beat the
active version offline (409 conflict otherwise); audited.
Definer: app.quality_versions has no grant to any API role.$$;

create or replace function internal.quality_versions()
returns setof app.quality_versions
language sql
stable
security definer
set search_path = ''
as $$
    select v.* from app.quality_versions as v where auth.role() = 'ops'
$$;
comment on function internal.quality_versions() is
$$Every quality version, for ops callers only (none for others).
Definer: app.quality_versions has no grant to any API role.$$;

create or replace function internal.booking_quality(p_booking_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    -- for ops callers only: the booking's slot, booked when it was, under the
    -- active version and the provider's counts now
    select
        internal.quality_prediction(
            b.provider_id, pg_catalog.lower(b.during),
            extract(epoch from pg_catalog.upper(b.during) - pg_catalog.lower(b.during)) / 3600,
            b.created_at
        )
        || pg_catalog.jsonb_build_object('booking_id', b.id, 'provider_id', b.provider_id, 'status', b.status)
    from app.bookings as b
    where b.id = p_booking_id and auth.role() = 'ops'
$$;
comment on function internal.booking_quality(uuid) is
$$The quality prediction of a booking, for ops callers only (null for others or no such booking).
Definer: app.bookings has no grant to any API role.$$;

create or replace function api.ops_quality_versions()
returns setof jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may see the quality model versions');
    return query
    select internal.quality_version_json(v)
    from internal.quality_versions() as v
    order by v.version desc;
end
$$;
comment on function api.ops_quality_versions() is
$$The quality model's versions, newest first: coefficients, offline metrics, which is active.

Role ops only (others: 401/403). GET /rpc/ops_quality_versions. Each element:
{version, is_active, source ('fixed' or 'trained'), intercept, coefficients
{feature: coefficient}, metrics (candidate and baseline log_loss, brier,
calibration by decile, baseline_version), note, created_at, activated_at};
see docs/quality.md.

Errors: 401 not_authenticated, 403 forbidden.$$;

create or replace function api.ops_activate_quality_version(
    version integer default null,
    reason text default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may activate a quality model version');
    return internal.activate_quality_version(ops_activate_quality_version.version, ops_activate_quality_version.reason);
end
$$;
comment on function api.ops_activate_quality_version(integer, text) is
$$Make a quality model version the one that predicts (ops only): roll back to an earlier one, or ship a trained one.

POST /rpc/ops_activate_quality_version {"version": 1, "reason": "..."}. A
version that was active before may always come back; a trained version that
never was must have beaten the active version on the same held-out bookings
(log-loss and Brier score, recorded by its training). Audited
(quality.activated). Activating the active version changes nothing.

Errors: 400 invalid_input (version missing), 401 not_authenticated, 403
forbidden, 404 not_found (no such version), 409 conflict (not better offline).$$;

create or replace function api.ops_booking_quality(booking_id uuid default null)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
    v_result jsonb;
begin
    perform internal.require_role('ops', 'only ops staff may see a booking''s quality prediction');
    perform internal.require(ops_booking_quality.booking_id, 'booking_id');
    v_result := internal.booking_quality(ops_booking_quality.booking_id);
    if v_result is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return v_result;
end
$$;
comment on function api.ops_booking_quality(uuid) is
$$The probability that a booking ends with the provider cancelling or as a no-show (ops only).

GET /rpc/ops_booking_quality?booking_id=... Under the active quality model
version, from the provider's record now, the booking's start in the
provider's time zone, its lead time and duration: {probability, version,
features {name: value}, booking_id, provider_id, status}; see docs/quality.md.

Errors: 400 invalid_input (booking_id missing), 401 not_authenticated, 403
forbidden, 404 not_found (no such booking).$$;
