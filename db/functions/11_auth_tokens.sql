-- Access tokens (HS256 JWTs signed in SQL with the secret PostgREST verifies)
-- and sessions (opaque, rotated refresh tokens stored as SHA-256 hashes).

create or replace function auth.base64url(p_data bytea)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
    select pg_catalog.translate(
        pg_catalog.rtrim(pg_catalog.replace(pg_catalog.encode(p_data, 'base64'), e'\n', ''), '='),
        '+/', '-_'
    )
$$;
comment on function auth.base64url(bytea) is 'base64url without padding (RFC 7515), as JWTs use.';

create or replace function auth.token_hash(p_token text)
returns bytea
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
    select extensions.digest(pg_catalog.convert_to(p_token, 'utf8'), 'sha256')
$$;
comment on function auth.token_hash(text) is 'SHA-256 of an opaque token: only this is ever stored.';

create or replace function auth.new_opaque_token()
returns text
language sql
volatile
set search_path = ''
as $$
    select auth.base64url(extensions.gen_random_bytes(32))
$$;
comment on function auth.new_opaque_token() is '256 random bits, base64url: refresh and one-time tokens.';

create or replace function auth.sign_jwt(p_claims jsonb)
returns text
language sql
stable
security definer
set search_path = ''
as $$
    with parts as (
        select
            auth.base64url(pg_catalog.convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'))
            || '.'
            || auth.base64url(pg_catalog.convert_to(p_claims::text, 'utf8')) as signing_input
    )
    select
        parts.signing_input || '.' || auth.base64url(
            extensions.hmac(
                pg_catalog.convert_to(parts.signing_input, 'utf8'),
                pg_catalog.convert_to(internal.setting('jwt_secret'), 'utf8'),
                'sha256'
            )
        )
    from parts
$$;
comment on function auth.sign_jwt(jsonb) is
'Sign claims as an HS256 JWT. Definer: reads the JWT secret, which no API role may see.';

create or replace function auth.user_json(p_user_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'id', u.id,
        'email', u.email,
        'role', u.role,
        'full_name', u.full_name,
        'locale', u.locale,
        'phone', u.phone,
        'email_confirmed', u.email_confirmed_at is not null,
        'created_at', u.created_at
    )
    from app.users as u
    where u.id = p_user_id
$$;
comment on function auth.user_json(uuid) is
'The public shape of an account, for session responses. Definer: called before the caller has a token.';

create or replace function auth.issue_session(p_user_id uuid, p_session_id uuid default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_user app.users;
    v_session uuid := p_session_id;
    v_refresh text := auth.new_opaque_token();
    v_now bigint := pg_catalog.floor(extract(epoch from pg_catalog.now()))::bigint;
    v_ttl integer := coalesce(internal.setting('jwt_ttl_seconds')::integer, 900);
    v_refresh_days integer := coalesce(internal.setting('refresh_ttl_days')::integer, 30);
begin
    select * into strict v_user from app.users as u where u.id = p_user_id;
    if v_session is null then
        insert into auth.sessions (user_id) values (p_user_id) returning id into v_session;
    else
        update auth.sessions as s set last_refreshed_at = pg_catalog.now() where s.id = v_session;
    end if;
    insert into auth.refresh_tokens (user_id, family_id, token_hash, expires_at)
    values (
        p_user_id, v_session, auth.token_hash(v_refresh),
        pg_catalog.now() + pg_catalog.make_interval(days => v_refresh_days)
    );
    return pg_catalog.jsonb_build_object(
        'access_token', auth.sign_jwt(pg_catalog.jsonb_build_object(
            'sub', v_user.id,
            'role', v_user.role,
            'email', v_user.email,
            'aud', internal.setting('jwt_aud'),
            'iat', v_now,
            'exp', v_now + v_ttl,
            'sid', v_session
        )),
        'token_type', 'bearer',
        'expires_in', v_ttl,
        'refresh_token', v_refresh,
        'user', auth.user_json(v_user.id)
    );
end
$$;
comment on function auth.issue_session(uuid, uuid) is
'Start (or continue, on refresh) a session: a signed access token and a new refresh token. Definer: writes auth tables.';
