-- Request identity: helpers that read PostgREST's request.jwt.claims, and the
-- pre-request hook that refuses tokens PostgREST 12 would accept but should not.

-- The three helpers below are invoker functions with fully qualified names and
-- deliberately no `set search_path`: a SET clause would stop PostgreSQL from
-- inlining them into the policies and functions that call them on every row
-- and every request.
create or replace function auth.jwt()
returns jsonb
language sql
stable
as $$
    select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
comment on function auth.jwt() is 'The verified JWT claims of the current request ({} for anon).';

create or replace function auth.uid()
returns uuid
language sql
stable
as $$
    select nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')::uuid
$$;
comment on function auth.uid() is 'The caller''s user id (JWT sub), or null for anon.';

create or replace function auth.role()
returns text
language sql
stable
as $$
    select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', 'anon')
$$;
comment on function auth.role() is 'The caller''s role claim (anon without a token).';

create or replace function auth.client_addr()
returns text
language sql
stable
set search_path = ''
as $$
    -- nginx overwrites X-Real-IP with the connection's address; without nginx
    -- there is no trustworthy address and every client shares one bucket.
    select coalesce(
        nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-real-ip',
        'unknown'
    )
$$;
comment on function auth.client_addr() is 'The client''s address as nginx reports it (X-Real-IP), or ''unknown''.';

create or replace function auth.too_many_requests(p_limit integer, p_retry integer)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    -- SQLSTATE PGRST lets the error carry its status and a Retry-After header
    raise sqlstate 'PGRST' using
        message = pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many requests: at most %s writes a minute; retry in %s seconds',
                p_limit, p_retry)
        )::text,
        detail = pg_catalog.jsonb_build_object(
            'status', 429, 'headers', pg_catalog.jsonb_build_object('Retry-After', p_retry::text)
        )::text;
end
$$;
comment on function auth.too_many_requests(integer, integer) is
'Raise the write limiters'' 429 (PT429 rate_limited) with its Retry-After, in seconds.';

create or replace function auth.rate_limited(p_bucket text, p_limit integer)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    -- GCRA: a write is due every v_step; a burst of p_limit is let through at once,
    -- then one every v_step, so that no more than p_limit pass in any minute from idle
    -- and p_limit a minute at most in the long run
    v_step interval := interval '1 minute' / greatest(p_limit, 1);
    v_tat timestamptz;
begin
    insert into auth.rate_limits as r (bucket, tat)
    values (p_bucket, pg_catalog.now() + v_step)
    on conflict (bucket) do update
        set tat = greatest(r.tat, pg_catalog.now()) + v_step
        where greatest(r.tat, pg_catalog.now()) + v_step <= pg_catalog.now() + interval '1 minute'
    returning r.tat into v_tat;
    if v_tat is null then
        -- refused (the row is unchanged, and locked by the upsert until the rollback)
        select r.tat into v_tat from auth.rate_limits as r where r.bucket = p_bucket;
        perform auth.too_many_requests(p_limit, greatest(1, ceil(extract(epoch from (
            v_tat + v_step - interval '1 minute' - pg_catalog.now()
        )))::integer));
    end if;
end
$$;
comment on function auth.rate_limited(text, integer) is
$$Count one write of an identity (GCRA: p_limit at once, then p_limit a minute; one row per bucket, O(1));
refuse with 429 and Retry-After past the limit. Definer: writes auth.rate_limits.$$;

create or replace function auth.rate_limited_address(p_bucket text, p_limit integer)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_hits integer;
    v_oldest timestamptz;
begin
    -- a sliding one-minute window of inserted rows, which never wait on each other:
    -- an anonymous write (login, sign-up) runs bcrypt inside its transaction, and a
    -- counter row locked until commit would serialise every login from one address.
    -- The request is counted only if it is let through (a refused one rolls back).
    select count(*), min(e.at) into v_hits, v_oldest
    from auth.rate_events as e
    where e.bucket = p_bucket and e.at > pg_catalog.now() - interval '1 minute';
    if v_hits >= p_limit then
        perform auth.too_many_requests(p_limit, greatest(1, ceil(extract(epoch from (
            v_oldest + interval '1 minute' - pg_catalog.now()
        )))::integer));
    end if;
    insert into auth.rate_events (bucket) values (p_bucket);
end
$$;
comment on function auth.rate_limited_address(text, integer) is
$$Count one anonymous write in a sliding minute (lock-free rows);
refuse with 429 and Retry-After past the limit. Definer: writes auth.rate_events.$$;

create or replace function auth.percent_decode(p_text text)
returns text
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
declare
    v_decoded text;
begin
    select pg_catalog.convert_from(pg_catalog.string_agg(
        case when m.part[1] is not null
            then pg_catalog.decode(pg_catalog.substr(m.part[1], 2), 'hex')
            else pg_catalog.convert_to(m.part[2], 'UTF8')
        end, ''::bytea order by m.ord
    ), 'UTF8') into v_decoded
    from pg_catalog.regexp_matches(p_text, '(%[0-9A-Fa-f]{2})|([^%]+|%)', 'g') with ordinality as m (part, ord);
    return v_decoded;
exception when character_not_in_repertoire or untranslatable_character then
    return null;  -- not UTF-8 once decoded (the gateway refuses such a path before PostgREST)
end
$$;
comment on function auth.percent_decode(text) is
'Decode %XX sequences of a URL path as UTF-8 (null if the bytes are not UTF-8).';

create or replace function auth.check_request()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_claims jsonb := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb;
    v_now numeric := extract(epoch from pg_catalog.now());
    v_aud text;
    v_method text := pg_catalog.current_setting('request.method', true);
    v_path text;
    v_name text;
    -- without a token PostgREST sets only {"role": "anon"}; any token Bookiji
    -- issues carries exp, so a claim set without it and for anon is no token
    v_anonymous boolean := coalesce(v_claims ->> 'role', 'anon') = 'anon' and not v_claims ? 'exp';
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
        select s.value into v_aud from internal.settings as s where s.key = 'jwt_aud';
        if not coalesce(
            v_claims -> 'aud' = pg_catalog.to_jsonb(v_aud)
            or (jsonb_typeof(v_claims -> 'aud') = 'array' and v_claims -> 'aud' ? v_aud),
            false
        ) then
            perform internal.fail('invalid_token', 'the access token is not meant for this API (aud)');
        end if;
        if v_claims ->> 'role' is null or v_claims ->> 'role' not in ('customer', 'provider', 'ops') then
            perform internal.fail('invalid_token', 'the access token has an unknown role');
        end if;
        -- every access token names its session (auth.issue_session): one without
        -- could not be ended by logout or a revocation, so it is no token
        if jsonb_typeof(v_claims -> 'sid') is distinct from 'string' then
            perform internal.fail('invalid_token', 'the access token carries no session (sid claim); sign in (rpc/login) for one');
        end if;
        if v_claims ->> 'sid' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
            perform internal.fail('invalid_token', 'the access token''s session (sid claim) is not a session id');
        end if;
        if exists (
            select from auth.sessions as s
            where s.id = (v_claims ->> 'sid')::uuid and s.revoked_at is not null
        ) then
            perform internal.fail('invalid_token', 'the session has ended; sign in again');
        end if;
    end if;
    -- GET and HEAD on a function that writes: PostgREST would run it in a
    -- read-only transaction, do all its work (bcrypt, for login and sign-up)
    -- and only fail at its first write, outside every write limit. Refuse
    -- before any work: one index probe of pg_proc, for GET/HEAD on /rpc/ only.
    if v_method in ('GET', 'HEAD') then
        v_path := pg_catalog.current_setting('request.path', true);
        if v_path like '/rpc/%' then
            v_name := pg_catalog.substr(v_path, 6);
            if pg_catalog.strpos(v_name, '%') > 0 then
                -- request.path is raw, and PostgREST decodes the name (/rpc/log%69n is login)
                v_name := auth.percent_decode(v_name);
            end if;
            if exists (
                select from pg_catalog.pg_proc as p
                where p.proname = v_name::name
                    and p.pronamespace = 'api'::regnamespace
                    and p.provolatile = 'v'
            ) then
                -- the registry's method_not_allowed, raised as PGRST so that the
                -- 405 carries the Allow header HTTP requires
                raise sqlstate 'PGRST' using
                    message = pg_catalog.jsonb_build_object(
                        'code', 'PT405', 'hint', 'method_not_allowed', 'details', null,
                        'message', pg_catalog.format(
                            '%s %s is not allowed: this function changes data; call it with POST',
                            v_method, v_path
                        )
                    )::text,
                    detail = pg_catalog.jsonb_build_object(
                        'status', 405, 'headers', pg_catalog.jsonb_build_object('Allow', 'POST')
                    )::text;
            end if;
        end if;
    end if;
    -- Per-identity write limits. GET and HEAD, and POST to a stable function,
    -- run in read-only transactions and cannot count: nginx limits those (per
    -- address and per token) in front of PostgREST.
    if v_method is not null and v_method not in ('GET', 'HEAD', 'OPTIONS')
        and pg_catalog.current_setting('transaction_read_only') = 'off' then
        if pg_catalog.current_setting('request.path', true) = '/rpc/stripe_webhook' then
            return;  -- Stripe's deliveries: authenticated by signature, limited by nginx per address
        elsif v_anonymous then
            perform auth.rate_limited_address(
                'addr:' || auth.client_addr(),
                coalesce((select s.value::integer from internal.settings as s
                          where s.key = 'rate_limit_anon_writes_per_minute'), 60)
            );
        else
            perform auth.rate_limited(
                'sub:' || (v_claims ->> 'sub'),
                coalesce((select s.value::integer from internal.settings as s
                          where s.key = 'rate_limit_writes_per_minute'), 120)
            );
        end if;
    end if;
end
$$;
comment on function auth.check_request() is
$$PostgREST db-pre-request hook: refuse tokens without exp/iat, with the wrong aud or a revoked session;
refuse GET/HEAD on a volatile api function (405) before it runs; limit writes per identity (per address for anon). Definer: reads settings and sessions, writes counters.$$;
