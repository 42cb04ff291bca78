-- Request identity: helpers that read PostgREST's request.jwt.claims, and the
-- pre-request hook that refuses tokens PostgREST 12 would accept but should not.

create or replace function auth.jwt()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
comment on function auth.jwt() is 'The verified JWT claims of the current request ({} for anon).';

create or replace function auth.uid()
returns uuid
language sql
stable
set search_path = ''
as $$
    select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;
comment on function auth.uid() is 'The caller''s user id (JWT sub), or null for anon.';

create or replace function auth.role()
returns text
language sql
stable
set search_path = ''
as $$
    select coalesce(auth.jwt() ->> 'role', 'anon')
$$;
comment on function auth.role() is 'The caller''s role claim (anon without a token).';

create or replace function auth.rate_limited(p_bucket text, p_limit integer)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_window timestamptz := pg_catalog.date_trunc('minute', pg_catalog.now());
    v_hits integer;
    v_retry integer;
begin
    insert into auth.rate_counters as c (bucket, window_start, hits)
    values (p_bucket, v_window, 1)
    on conflict (bucket, window_start) do update set hits = c.hits + 1
    returning c.hits into v_hits;
    if v_hits > p_limit then
        v_retry := greatest(1, ceil(extract(epoch from (v_window + interval '1 minute' - pg_catalog.now())))::integer);
        -- SQLSTATE PGRST lets the error carry its status and a Retry-After header
        raise sqlstate 'PGRST' using
            message = pg_catalog.jsonb_build_object(
                'code', 'PT429', 'hint', 'rate_limited', 'details', null,
                'message', pg_catalog.format('too many requests: at most %s writes a minute; retry in %s seconds',
                    p_limit, v_retry)
            )::text,
            detail = pg_catalog.jsonb_build_object(
                'status', 429, 'headers', pg_catalog.jsonb_build_object('Retry-After', v_retry::text)
            )::text;
    end if;
end
$$;
comment on function auth.rate_limited(text, integer) is
'Count one write in a fixed one-minute window; refuse with 429 and Retry-After past the limit. Definer: writes auth.rate_counters.';

create or replace function auth.check_request()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_claims jsonb := auth.jwt();
    v_now numeric := extract(epoch from pg_catalog.now());
    v_aud text := internal.setting('jwt_aud');
    v_method text := pg_catalog.current_setting('request.method', true);
    v_anonymous boolean := (
        nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'authorization'
    ) is null;
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
        if not coalesce(
            v_claims -> 'aud' = pg_catalog.to_jsonb(v_aud)
            or (jsonb_typeof(v_claims -> 'aud') = 'array' and v_claims -> 'aud' ? v_aud),
            false
        ) then
            perform internal.fail('invalid_token', 'the access token is not meant for this API (aud)');
        end if;
        if v_claims ->> 'role' not in ('customer', 'provider', 'ops') then
            perform internal.fail('invalid_token', 'the access token has an unknown role');
        end if;
        if v_claims ? 'sid' and exists (
            select from auth.sessions as s
            where s.id = (v_claims ->> 'sid')::uuid and s.revoked_at is not null
        ) then
            perform internal.fail('invalid_token', 'the session has ended; sign in again');
        end if;
    end if;
    -- Per-identity write limits. GET and HEAD run read-only and cannot count:
    -- nginx limits reads (per address and per token) in front of PostgREST.
    if v_method is not null and v_method not in ('GET', 'HEAD', 'OPTIONS') then
        if pg_catalog.current_setting('request.path', true) = '/rpc/stripe_webhook' then
            return;  -- Stripe's deliveries: authenticated by signature, limited by nginx per address
        elsif v_anonymous then
            perform auth.rate_limited(
                'addr:' || auth.client_addr(),
                coalesce(internal.setting('rate_limit_anon_writes_per_minute')::integer, 60)
            );
        else
            perform auth.rate_limited(
                'sub:' || (v_claims ->> 'sub'),
                coalesce(internal.setting('rate_limit_writes_per_minute')::integer, 120)
            );
        end if;
    end if;
end
$$;
comment on function auth.check_request() is
$$PostgREST db-pre-request hook: refuse tokens without exp/iat, with the wrong aud or a revoked session;
limit writes per identity (per address for anon). Definer: reads settings and sessions, writes counters.$$;
