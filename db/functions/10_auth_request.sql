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

create or replace function auth.check_request()
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_claims jsonb := auth.jwt();
    v_now numeric := extract(epoch from pg_catalog.now());
    v_aud text := internal.setting('jwt_aud');
begin
    if (nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb
        ->> 'authorization') is null then
        return;  -- anonymous: no token at all
    end if;
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
end
$$;
comment on function auth.check_request() is
$$PostgREST db-pre-request hook: refuse tokens without exp/iat or with the wrong aud.
Definer: reads the audience from internal settings.$$;
