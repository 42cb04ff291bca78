\restrict dbmate

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA api;


--
-- Name: app; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app;


--
-- Name: audit; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA audit;


--
-- Name: auth; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA auth;


--
-- Name: extensions; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA extensions;


--
-- Name: internal; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA internal;


--
-- Name: pgmq; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA pgmq;


--
-- Name: btree_gist; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA extensions;


--
-- Name: EXTENSION btree_gist; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';


--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA extensions;


--
-- Name: EXTENSION citext; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';


--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;


--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';


--
-- Name: postgis; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA extensions;


--
-- Name: EXTENSION postgis; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION postgis IS 'PostGIS geometry and geography spatial types and functions';


--
-- Name: message_record; Type: TYPE; Schema: pgmq; Owner: -
--

CREATE TYPE pgmq.message_record AS (
	msg_id bigint,
	read_ct integer,
	enqueued_at timestamp with time zone,
	last_read_at timestamp with time zone,
	vt timestamp with time zone,
	message jsonb,
	headers jsonb
);


--
-- Name: metrics_result; Type: TYPE; Schema: pgmq; Owner: -
--

CREATE TYPE pgmq.metrics_result AS (
	queue_name text,
	queue_length bigint,
	newest_msg_age_sec integer,
	oldest_msg_age_sec integer,
	total_messages bigint,
	scrape_time timestamp with time zone,
	queue_visible_length bigint,
	default_partition_length bigint
);


--
-- Name: queue_record; Type: TYPE; Schema: pgmq; Owner: -
--

CREATE TYPE pgmq.queue_record AS (
	queue_name character varying,
	is_partitioned boolean,
	is_unlogged boolean,
	created_at timestamp with time zone
);


--
-- Name: confirm_email(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.confirm_email(token text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.confirm_email(token)
$$;


--
-- Name: FUNCTION confirm_email(token text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.confirm_email(token text) IS 'Confirm an email address with the single-use token from the confirmation email.

Errors: 400 invalid_one_time_token (unknown, used or expired).';


--
-- Name: health(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.health() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select internal.health()
$$;


--
-- Name: FUNCTION health(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.health() IS 'Health check: versions of PostgreSQL, PostGIS, pgmq and PostgREST, the schema cache state and the latest migration.

Open to anonymous callers. GET /rpc/health.';


--
-- Name: login(text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.login(email text DEFAULT NULL::text, password text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.login(email, password)
$$;


--
-- Name: FUNCTION login(email text, password text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.login(email text, password text) IS 'Sign in with email and password.

Returns access_token (15 minutes), refresh_token and the user.
Errors: 401 invalid_credentials (the same for an unknown email and a wrong password); 429 rate_limited with Retry-After after repeated failures for one email or one client address.';


--
-- Name: logout(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.logout() RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.logout()
$$;


--
-- Name: FUNCTION logout(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.logout() IS 'Sign out: revoke the caller''s session; its access and refresh tokens stop working at once.';


--
-- Name: me(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.me() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select pg_catalog.jsonb_build_object(
        'id', u.id, 'email', u.email, 'role', u.role, 'full_name', u.full_name,
        'locale', u.locale, 'phone', u.phone, 'email_confirmed', u.email_confirmed_at is not null,
        'created_at', u.created_at
    )
    from app.users as u
    where u.id = auth.uid()
$$;


--
-- Name: FUNCTION me(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.me() IS 'The caller''s own profile (null without a token).';


--
-- Name: ping(); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.ping() RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    select 1
$$;


--
-- Name: FUNCTION ping(); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.ping() IS 'Liveness probe: always 1, reads nothing.

The cheapest possible call through the whole HTTP path (nginx, PostgREST, the
pre-request hook, one SQL statement): `make bench` measures the request overhead
with it. Open to anonymous callers. GET /rpc/ping.';


--
-- Name: refresh(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.refresh(refresh_token text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.refresh(refresh_token)
$$;


--
-- Name: FUNCTION refresh(refresh_token text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.refresh(refresh_token text) IS 'Exchange a refresh token for a new access token and a new refresh token.

The old refresh token stops working. Presenting an already-used one revokes the whole session (theft detection).
Errors: 401 invalid_token.';


--
-- Name: request_password_reset(text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.request_password_reset(email text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.request_password_reset(email)
$$;


--
-- Name: FUNCTION request_password_reset(email text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.request_password_reset(email text) IS 'Ask for a password reset email. The answer is the same whether or not the account exists.';


--
-- Name: reset_password(text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.reset_password(token text DEFAULT NULL::text, new_password text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.reset_password(token, new_password)
$$;


--
-- Name: FUNCTION reset_password(token text, new_password text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.reset_password(token text, new_password text) IS 'Set a new password with the single-use token from the reset email; every session is signed out.

Errors: 400 invalid_one_time_token; 400 invalid_input for a weak password.';


--
-- Name: signup(text, text, text, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.signup(email text DEFAULT NULL::text, password text DEFAULT NULL::text, full_name text DEFAULT NULL::text, role text DEFAULT 'customer'::text, locale text DEFAULT 'en'::text) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.signup(email, password, full_name, role, locale)
$$;


--
-- Name: FUNCTION signup(email text, password text, full_name text, role text, locale text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.signup(email text, password text, full_name text, role text, locale text) IS 'Create an account and sign in.

Inputs: email (unique, normalised), password (10+ characters, at most 72 bytes, not the email), full_name, role (''customer'' or ''provider''; ops accounts are made with the command line), locale (''en'' or ''fr'').
Returns the user and a session (access_token, refresh_token). A confirmation email is queued.
Errors: 400 invalid_input naming the field; 409 email_taken.';


--
-- Name: stripe_webhook(json); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.stripe_webhook(json) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO ''
    AS $_$
    select internal.receive_stripe_webhook($1)
$_$;


--
-- Name: FUNCTION stripe_webhook(json); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.stripe_webhook(json) IS 'Stripe''s webhook endpoint (POST the event as Stripe sends it, with its Stripe-Signature header).

The signature is checked over the exact body. Each event is stored once: a repeated delivery answers 200 and changes nothing.
Errors: 400 invalid_signature (unsigned, badly signed or older than 5 minutes; nothing is stored).';


--
-- Name: update_me(text, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.update_me(full_name text DEFAULT NULL::text, locale text DEFAULT NULL::text, phone text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_before app.users;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'sign in first');
    end if;
    select * into v_before from app.users as u where u.id = auth.uid();
    perform auth.check_profile(
        coalesce(full_name, v_before.full_name), coalesce(locale, v_before.locale), nullif(phone, '')
    );
    update app.users as u
    set
        full_name = coalesce(update_me.full_name, u.full_name),
        locale = coalesce(update_me.locale, u.locale),
        phone = case when update_me.phone = '' then null else coalesce(update_me.phone, u.phone) end,
        updated_at = pg_catalog.now()
    where u.id = auth.uid();
    return api.me();
end
$$;


--
-- Name: FUNCTION update_me(full_name text, locale text, phone text); Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON FUNCTION api.update_me(full_name text, locale text, phone text) IS 'Edit the caller''s profile: full_name, locale (''en'' or ''fr''), phone (E.164; '''' clears it). Omitted fields stay.

Errors: 400 invalid_input naming the field.';


--
-- Name: base64url(bytea); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.base64url(p_data bytea) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select pg_catalog.translate(
        pg_catalog.rtrim(pg_catalog.replace(pg_catalog.encode(p_data, 'base64'), e'\n', ''), '='),
        '+/', '-_'
    )
$$;


--
-- Name: FUNCTION base64url(p_data bytea); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.base64url(p_data bytea) IS 'base64url without padding (RFC 7515), as JWTs use.';


--
-- Name: check_email(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_email(p_email text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$
begin
    if p_email is null or p_email = '' then
        perform internal.fail('invalid_input', 'email is required');
    end if;
    if pg_catalog.length(p_email) > 254 then
        perform internal.fail('invalid_input', 'email must be at most 254 characters');
    end if;
    if p_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
        perform internal.fail('invalid_input', 'email is not a valid address');
    end if;
end
$_$;


--
-- Name: FUNCTION check_email(p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_email(p_email text) IS 'Refuse a missing, oversized or malformed email (400, names the field).';


--
-- Name: check_password(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_password(p_password text, p_email text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
    if p_password is null or p_password = '' then
        perform internal.fail('invalid_input', 'password is required');
    end if;
    if pg_catalog.char_length(p_password) < 10 then
        perform internal.fail('invalid_input', 'password must be at least 10 characters');
    end if;
    -- bcrypt reads at most 72 bytes: a longer password would be silently truncated
    if pg_catalog.octet_length(p_password) > 72 then
        perform internal.fail('invalid_input', 'password must be at most 72 bytes');
    end if;
    if pg_catalog.lower(p_password) = pg_catalog.lower(p_email)
        or pg_catalog.lower(p_password) = pg_catalog.split_part(pg_catalog.lower(p_email), '@', 1) then
        perform internal.fail('invalid_input', 'password must not be the email address');
    end if;
end
$$;


--
-- Name: FUNCTION check_password(p_password text, p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_password(p_password text, p_email text) IS 'Password rules: 10 characters or more, at most 72 bytes (bcrypt), not the email.';


--
-- Name: check_profile(text, text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_profile(p_full_name text, p_locale text, p_phone text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$
begin
    if p_full_name is null or pg_catalog.btrim(p_full_name) = '' then
        perform internal.fail('invalid_input', 'full_name is required');
    end if;
    if pg_catalog.char_length(p_full_name) > 200 then
        perform internal.fail('invalid_input', 'full_name must be at most 200 characters');
    end if;
    if p_locale is null or p_locale not in ('en', 'fr') then
        perform internal.fail('invalid_input', 'locale must be ''en'' or ''fr''');
    end if;
    if p_phone is not null and p_phone !~ '^\+[1-9][0-9]{6,14}$' then
        perform internal.fail('invalid_input', 'phone must be in E.164 form, for example +15145550123');
    end if;
end
$_$;


--
-- Name: FUNCTION check_profile(p_full_name text, p_locale text, p_phone text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_profile(p_full_name text, p_locale text, p_phone text) IS 'Profile field rules (400 naming the field).';


--
-- Name: check_request(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.check_request() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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


--
-- Name: FUNCTION check_request(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.check_request() IS 'PostgREST db-pre-request hook: refuse tokens without exp/iat, with the wrong aud or a revoked session;
limit writes per identity (per address for anon). Definer: reads settings and sessions, writes counters.';


--
-- Name: client_addr(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.client_addr() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    -- nginx overwrites X-Real-IP with the connection's address; without nginx
    -- there is no trustworthy address and every client shares one bucket.
    select coalesce(
        nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-real-ip',
        'unknown'
    )
$$;


--
-- Name: FUNCTION client_addr(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.client_addr() IS 'The client''s address as nginx reports it (X-Real-IP), or ''unknown''.';


--
-- Name: confirm_email(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.confirm_email(p_token text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user_id uuid := auth.consume_one_time_token(p_token, 'confirm_email');
begin
    update app.users as u
    set email_confirmed_at = coalesce(u.email_confirmed_at, pg_catalog.now()), updated_at = pg_catalog.now()
    where u.id = v_user_id;
    perform internal.audit('confirm_email', 'app.users', v_user_id::text, null, null, null, v_user_id, 'anon');
    return pg_catalog.jsonb_build_object('email_confirmed', true);
end
$$;


--
-- Name: FUNCTION confirm_email(p_token text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.confirm_email(p_token text) IS 'Confirm an email with its single-use token. Definer: anon completes it.';


--
-- Name: consume_one_time_token(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.consume_one_time_token(p_token text, p_purpose text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_row auth.one_time_tokens;
begin
    if p_token is null or p_token = '' or pg_catalog.length(p_token) > 200 then
        perform internal.fail('invalid_input', 'token is required');
    end if;
    select * into v_row
    from auth.one_time_tokens as t
    where t.token_hash = auth.token_hash(p_token) and t.purpose = p_purpose
    for update;
    if not found or v_row.used_at is not null or v_row.expires_at <= pg_catalog.now() then
        perform internal.fail('invalid_one_time_token', 'the token is invalid, already used or expired');
    end if;
    update auth.one_time_tokens as t set used_at = pg_catalog.now() where t.id = v_row.id;
    return v_row.user_id;
end
$$;


--
-- Name: FUNCTION consume_one_time_token(p_token text, p_purpose text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.consume_one_time_token(p_token text, p_purpose text) IS 'Use a single-use token once; refuse unknown, used or expired ones. Definer: reads auth.one_time_tokens.';


--
-- Name: issue_one_time_token(uuid, text, interval); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.issue_one_time_token(p_user_id uuid, p_purpose text, p_ttl interval) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_token text := auth.new_opaque_token();
begin
    -- a new token supersedes any earlier unused one for the same purpose
    update auth.one_time_tokens as t
    set used_at = pg_catalog.now()
    where t.user_id = p_user_id and t.purpose = p_purpose and t.used_at is null;
    insert into auth.one_time_tokens (user_id, purpose, token_hash, expires_at)
    values (p_user_id, p_purpose, auth.token_hash(v_token), pg_catalog.now() + p_ttl);
    return v_token;
end
$$;


--
-- Name: FUNCTION issue_one_time_token(p_user_id uuid, p_purpose text, p_ttl interval); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.issue_one_time_token(p_user_id uuid, p_purpose text, p_ttl interval) IS 'Create a single-use token (only its hash is stored). Definer: writes auth.one_time_tokens.';


--
-- Name: issue_session(uuid, uuid); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.issue_session(p_user_id uuid, p_session_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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


--
-- Name: FUNCTION issue_session(p_user_id uuid, p_session_id uuid); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.issue_session(p_user_id uuid, p_session_id uuid) IS 'Start (or continue, on refresh) a session: a signed access token and a new refresh token. Definer: writes auth tables.';


--
-- Name: jwt(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.jwt() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;


--
-- Name: FUNCTION jwt(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.jwt() IS 'The verified JWT claims of the current request ({} for anon).';


--
-- Name: login(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.login(p_email text, p_password text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_email text := auth.normalize_email(coalesce(p_email, ''));
    v_addr text := auth.client_addr();
    v_window interval := pg_catalog.make_interval(
        secs => coalesce(internal.setting('login_window_seconds')::integer, 900)
    );
    v_max_email integer := coalesce(internal.setting('login_max_failures_per_email')::integer, 5);
    v_max_addr integer := coalesce(internal.setting('login_max_failures_per_address')::integer, 30);
    v_user app.users;
    v_hash text;
    v_ok boolean;
    v_retry_after integer;
begin
    if p_email is null or p_password is null then
        perform internal.fail('invalid_input', 'email and password are required');
    end if;
    if pg_catalog.length(p_email) > 254 or pg_catalog.length(p_password) > 1000 then
        perform internal.fail('invalid_input', 'email or password is too long');
    end if;
    -- one login at a time per email, so concurrent guesses cannot slip past the count
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('login:' || v_email));

    select ceil(extract(epoch from (min(a.attempted_at) + v_window - pg_catalog.now())))::integer
    into v_retry_after
    from (
        select la.attempted_at from auth.login_attempts as la
        where la.email = v_email and not la.succeeded and la.attempted_at > pg_catalog.now() - v_window
        order by la.attempted_at desc
        limit v_max_email
    ) as a
    having count(*) >= v_max_email;
    if v_retry_after is null then
        select ceil(extract(epoch from (min(a.attempted_at) + v_window - pg_catalog.now())))::integer
        into v_retry_after
        from (
            select la.attempted_at from auth.login_attempts as la
            where la.client_addr = v_addr and not la.succeeded
                and la.attempted_at > pg_catalog.now() - v_window
            order by la.attempted_at desc
            limit v_max_addr
        ) as a
        having count(*) >= v_max_addr;
    end if;
    if v_retry_after is not null then
        -- returned, not raised, so that the response can carry Retry-After
        perform pg_catalog.set_config('response.status', '429', true);
        perform pg_catalog.set_config(
            'response.headers',
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('Retry-After', greatest(v_retry_after, 1)::text))::text,
            true
        );
        return pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many failed logins; retry in %s seconds', greatest(v_retry_after, 1))
        );
    end if;

    select * into v_user from app.users as u where u.email = v_email::extensions.citext;
    select c.password_hash into v_hash from auth.credentials as c where c.user_id = v_user.id;
    -- the same bcrypt work whether or not the account exists
    v_ok := extensions.crypt(p_password, coalesce(v_hash, '$2a$10$0000000000000000000000uSyvAtVHnQiXKdtuxqvlOmfi.fGbhwO'))
        = coalesce(v_hash, '-');
    insert into auth.login_attempts (email, client_addr, succeeded) values (v_email, v_addr, v_ok);
    if not v_ok then
        -- returned, not raised: a raise would roll back the failed attempt we just recorded
        perform pg_catalog.set_config('response.status', '401', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT401', 'hint', 'invalid_credentials', 'details', null,
            'message', 'wrong email or password'
        );
    end if;
    return auth.issue_session(v_user.id);
end
$_$;


--
-- Name: FUNCTION login(p_email text, p_password text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.login(p_email text, p_password text) IS 'Check a password and start a session; throttled per email and per client address. Definer: reads credentials.';


--
-- Name: logout(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.logout() RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_sid uuid := nullif(auth.jwt() ->> 'sid', '')::uuid;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'sign in first');
    end if;
    update auth.sessions as s
    set revoked_at = pg_catalog.now(), revoked_reason = 'logout'
    where s.user_id = auth.uid() and s.revoked_at is null and (v_sid is null or s.id = v_sid);
    return pg_catalog.jsonb_build_object('signed_out', true);
end
$$;


--
-- Name: FUNCTION logout(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.logout() IS 'End the caller''s session (every session when the token has no sid). Definer: writes auth.sessions.';


--
-- Name: new_opaque_token(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.new_opaque_token() RETURNS text
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    select auth.base64url(extensions.gen_random_bytes(32))
$$;


--
-- Name: FUNCTION new_opaque_token(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.new_opaque_token() IS '256 random bits, base64url: refresh and one-time tokens.';


--
-- Name: normalize_email(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.normalize_email(p_email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select pg_catalog.lower(pg_catalog.btrim(p_email))
$$;


--
-- Name: FUNCTION normalize_email(p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.normalize_email(p_email text) IS 'Emails are compared trimmed and lower-cased.';


--
-- Name: rate_limited(text, integer); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.rate_limited(p_bucket text, p_limit integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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


--
-- Name: FUNCTION rate_limited(p_bucket text, p_limit integer); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.rate_limited(p_bucket text, p_limit integer) IS 'Count one write in a fixed one-minute window; refuse with 429 and Retry-After past the limit. Definer: writes auth.rate_counters.';


--
-- Name: refresh(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.refresh(p_refresh_token text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_row auth.refresh_tokens;
    v_session auth.sessions;
begin
    if p_refresh_token is null or p_refresh_token = '' or pg_catalog.length(p_refresh_token) > 200 then
        perform internal.fail('invalid_input', 'refresh_token is required');
    end if;
    select * into v_row from auth.refresh_tokens as r
    where r.token_hash = auth.token_hash(p_refresh_token)
    for update;
    if not found then
        perform internal.fail('invalid_token', 'the refresh token is not valid');
    end if;
    select * into v_session from auth.sessions as s where s.id = v_row.family_id for update;
    if v_row.used_at is not null and v_session.revoked_at is null then
        -- a rotated token came back: someone holds a copy. End the whole session.
        update auth.sessions as s
        set revoked_at = pg_catalog.now(), revoked_reason = 'refresh token reuse'
        where s.id = v_row.family_id;
        perform internal.audit('revoke_session', 'auth.sessions', v_row.family_id::text, null, null,
            'refresh token reuse detected', v_row.user_id, 'system');
        -- returned, not raised, so that the revocation is kept
        perform pg_catalog.set_config('response.status', '401', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT401', 'hint', 'invalid_token', 'details', null,
            'message', 'the refresh token was already used; the session has been revoked'
        );
    end if;
    if v_row.used_at is not null or v_session.revoked_at is not null or v_row.expires_at <= pg_catalog.now() then
        perform internal.fail('invalid_token', 'the refresh token is expired or revoked');
    end if;
    update auth.refresh_tokens as r set used_at = pg_catalog.now() where r.id = v_row.id;
    return auth.issue_session(v_row.user_id, v_row.family_id);
end
$$;


--
-- Name: FUNCTION refresh(p_refresh_token text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.refresh(p_refresh_token text) IS 'Rotate a refresh token; a reused one revokes its whole session. Definer: reads auth.refresh_tokens.';


--
-- Name: request_password_reset(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.request_password_reset(p_email text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user_id uuid;
    v_token text;
begin
    perform auth.check_email(auth.normalize_email(p_email));
    select u.id into v_user_id from app.users as u
    where u.email = auth.normalize_email(p_email)::extensions.citext;
    if v_user_id is not null then
        v_token := auth.issue_one_time_token(v_user_id, 'reset_password', interval '1 hour');
        perform internal.enqueue('notifications', pg_catalog.jsonb_build_object(
            'type', 'password_reset', 'user_id', v_user_id, 'token', v_token
        ));
    end if;
    -- the same answer whether or not the account exists
    return pg_catalog.jsonb_build_object('requested', true);
end
$$;


--
-- Name: FUNCTION request_password_reset(p_email text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.request_password_reset(p_email text) IS 'Email a single-use password reset token if the account exists. Definer: anon requests it.';


--
-- Name: reset_password(text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.reset_password(p_token text, p_new_password text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_user_id uuid := auth.consume_one_time_token(p_token, 'reset_password');
    v_email text;
begin
    select u.email into v_email from app.users as u where u.id = v_user_id;
    perform auth.check_password(p_new_password, v_email);
    update auth.credentials as c
    set password_hash = extensions.crypt(p_new_password, extensions.gen_salt('bf', 10)), updated_at = pg_catalog.now()
    where c.user_id = v_user_id;
    perform auth.revoke_sessions(v_user_id, 'password reset');
    return pg_catalog.jsonb_build_object('password_reset', true);
end
$$;


--
-- Name: FUNCTION reset_password(p_token text, p_new_password text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.reset_password(p_token text, p_new_password text) IS 'Set a new password with a reset token and sign out every session. Definer: anon completes it.';


--
-- Name: revoke_sessions(uuid, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.revoke_sessions(p_user_id uuid, p_reason text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_count integer;
begin
    update auth.sessions as s
    set revoked_at = pg_catalog.now(), revoked_reason = p_reason
    where s.user_id = p_user_id and s.revoked_at is null;
    get diagnostics v_count = row_count;
    perform internal.audit('revoke_sessions', 'auth.sessions', p_user_id::text, null,
        pg_catalog.jsonb_build_object('revoked', v_count), p_reason);
    return v_count;
end
$$;


--
-- Name: FUNCTION revoke_sessions(p_user_id uuid, p_reason text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.revoke_sessions(p_user_id uuid, p_reason text) IS 'Revoke every session of a user (ops tooling, password reset). Definer: writes auth.sessions.';


--
-- Name: role(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.role() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select coalesce(auth.jwt() ->> 'role', 'anon')
$$;


--
-- Name: FUNCTION role(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.role() IS 'The caller''s role claim (anon without a token).';


--
-- Name: sign_jwt(jsonb); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.sign_jwt(p_claims jsonb) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
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


--
-- Name: FUNCTION sign_jwt(p_claims jsonb); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.sign_jwt(p_claims jsonb) IS 'Sign claims as an HS256 JWT. Definer: reads the JWT secret, which no API role may see.';


--
-- Name: signup(text, text, text, text, text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.signup(p_email text, p_password text, p_full_name text, p_role text, p_locale text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_email text := auth.normalize_email(p_email);
    v_user_id uuid;
    v_token text;
begin
    perform auth.check_email(v_email);
    perform auth.check_password(p_password, v_email);
    perform auth.check_profile(p_full_name, coalesce(p_locale, 'en'), null);
    if coalesce(p_role, 'customer') not in ('customer', 'provider') then
        perform internal.fail('invalid_input', 'role must be ''customer'' or ''provider''');
    end if;
    begin
        insert into app.users (email, role, full_name, locale)
        values (v_email, coalesce(p_role, 'customer'), pg_catalog.btrim(p_full_name), coalesce(p_locale, 'en'))
        returning id into v_user_id;
    exception when unique_violation then
        -- never echo the constraint's detail (it would repeat the address)
        perform internal.fail('email_taken', 'an account with this email already exists');
    end;
    insert into auth.credentials (user_id, password_hash)
    values (v_user_id, extensions.crypt(p_password, extensions.gen_salt('bf', 10)));
    v_token := auth.issue_one_time_token(v_user_id, 'confirm_email', interval '48 hours');
    perform internal.enqueue('notifications', pg_catalog.jsonb_build_object(
        'type', 'email_confirmation', 'user_id', v_user_id, 'token', v_token
    ));
    perform internal.audit('signup', 'app.users', v_user_id::text, null, auth.user_json(v_user_id),
        null, v_user_id, coalesce(p_role, 'customer'));
    return auth.issue_session(v_user_id);
end
$$;


--
-- Name: FUNCTION signup(p_email text, p_password text, p_full_name text, p_role text, p_locale text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.signup(p_email text, p_password text, p_full_name text, p_role text, p_locale text) IS 'Create a customer or provider account and its first session. Definer: writes app.users and auth tables for anon.';


--
-- Name: token_hash(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.token_hash(p_token text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select extensions.digest(pg_catalog.convert_to(p_token, 'utf8'), 'sha256')
$$;


--
-- Name: FUNCTION token_hash(p_token text); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.token_hash(p_token text) IS 'SHA-256 of an opaque token: only this is ever stored.';


--
-- Name: uid(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.uid() RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;


--
-- Name: FUNCTION uid(); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.uid() IS 'The caller''s user id (JWT sub), or null for anon.';


--
-- Name: user_json(uuid); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.user_json(p_user_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
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


--
-- Name: FUNCTION user_json(p_user_id uuid); Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON FUNCTION auth.user_json(p_user_id uuid) IS 'The public shape of an account, for session responses. Definer: called before the caller has a token.';


--
-- Name: audit(text, text, text, jsonb, jsonb, text, uuid, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.audit(p_action text, p_table text, p_row_id text, p_before jsonb DEFAULT NULL::jsonb, p_after jsonb DEFAULT NULL::jsonb, p_reason text DEFAULT NULL::text, p_actor_id uuid DEFAULT NULL::uuid, p_actor_role text DEFAULT NULL::text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
    insert into audit.action_log (
        actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
    )
    values (
        coalesce(p_actor_id, auth.uid()),
        coalesce(p_actor_role, auth.role(), current_user::text),
        p_action, p_table, p_row_id, p_reason, p_before, p_after, internal.request_id()
    )
$$;


--
-- Name: FUNCTION audit(p_action text, p_table text, p_row_id text, p_before jsonb, p_after jsonb, p_reason text, p_actor_id uuid, p_actor_role text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.audit(p_action text, p_table text, p_row_id text, p_before jsonb, p_after jsonb, p_reason text, p_actor_id uuid, p_actor_role text) IS 'Append one row to audit.action_log (actor from the JWT unless given). Definer: audit is append-only for everyone else.';


--
-- Name: create_ops_user(text, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.create_ops_user(p_email text, p_password text, p_full_name text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_email text := auth.normalize_email(p_email);
    v_user_id uuid;
begin
    perform auth.check_email(v_email);
    perform auth.check_password(p_password, v_email);
    perform auth.check_profile(p_full_name, 'en', null);
    insert into app.users (email, role, full_name, email_confirmed_at)
    values (v_email, 'ops', p_full_name, pg_catalog.now())
    returning id into v_user_id;
    insert into auth.credentials (user_id, password_hash)
    values (v_user_id, extensions.crypt(p_password, extensions.gen_salt('bf', 10)));
    perform internal.audit('create_ops_user', 'app.users', v_user_id::text, null, auth.user_json(v_user_id),
        null, null, 'cli');
    return v_user_id;
end
$$;


--
-- Name: FUNCTION create_ops_user(p_email text, p_password text, p_full_name text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.create_ops_user(p_email text, p_password text, p_full_name text) IS 'Create an ops account (command line only; never exposed over HTTP).';


--
-- Name: enqueue(text, jsonb, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.enqueue(p_queue text, p_message jsonb, p_delay_seconds integer DEFAULT 0) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    v_id bigint;
begin
    if p_queue not in ('payments', 'notifications') then
        raise exception 'unknown queue %', p_queue;
    end if;
    if p_message ->> 'type' is null then
        raise exception 'a queued message needs a type';
    end if;
    select pgmq.send(p_queue, p_message, greatest(p_delay_seconds, 0)) into v_id;
    -- wakes the worker at commit (NOTIFY is transactional and de-duplicated)
    perform pg_catalog.pg_notify('bookiji_queue', p_queue);
    return v_id;
end
$$;


--
-- Name: FUNCTION enqueue(p_queue text, p_message jsonb, p_delay_seconds integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.enqueue(p_queue text, p_message jsonb, p_delay_seconds integer) IS 'Send a message to a pgmq queue in the caller''s transaction and wake the worker. Definer: API roles cannot touch pgmq.';


--
-- Name: error_codes(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.error_codes() RETURNS TABLE(code text, http_status integer, description text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
    select v.code, v.http_status, v.description
    from (
        values
        ('invalid_input', 400, 'A parameter is missing, malformed or out of range; the message names it.'),
        ('invalid_signature', 400, 'A webhook''s signature is missing, wrong or stale; nothing was stored.'),
        ('invalid_one_time_token', 400, 'The email confirmation or password reset token is unknown, used or expired.'),
        ('not_authenticated', 401, 'The request needs a valid access token.'),
        ('invalid_token', 401, 'The token is expired, lacks exp/iat/aud, or has the wrong audience.'),
        ('invalid_credentials', 401, 'Wrong email or password.'),
        ('forbidden', 403, 'The caller''s role may not do this.'),
        ('not_found', 404, 'No such object visible to the caller.'),
        ('conflict', 409, 'The request conflicts with the current state.'),
        ('email_taken', 409, 'An account with this email already exists.'),
        ('payload_too_large', 413, 'The request body is over the size limit (nginx).'),
        ('rate_limited', 429, 'Too many requests; retry after the number of seconds in Retry-After.'),
        ('internal_error', 500, 'An unexpected failure; nothing was written.'),
        ('unavailable', 503, 'The API or its database is restarting; retry after Retry-After seconds.')
    ) as v (code, http_status, description)
$$;


--
-- Name: FUNCTION error_codes(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.error_codes() IS 'The registry of machine error codes and the HTTP status each maps to.';


--
-- Name: fail(text, text, text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.fail(p_code text, p_message text, p_detail text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    v_status integer;
begin
    select e.http_status into v_status
    from internal.error_codes() as e
    where e.code = p_code;
    if v_status is null then
        raise exception 'unknown error code %', p_code;
    end if;
    raise exception using
        errcode = 'PT' || v_status::text,
        message = p_message,
        detail = coalesce(p_detail, ''),
        hint = p_code;
end
$$;


--
-- Name: FUNCTION fail(p_code text, p_message text, p_detail text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.fail(p_code text, p_message text, p_detail text) IS 'Raise a registered error: SQLSTATE PT<status> (PostgREST answers with that status), code in hint.';


--
-- Name: health(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.health() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select jsonb_build_object(
        'status', 'ok',
        'postgres', pg_catalog.current_setting('server_version'),
        'postgis', extensions.postgis_lib_version(),
        'pgmq', internal.setting('pgmq_version'),
        'postgrest', jsonb_build_object(
            'version', internal.setting('postgrest_version'),
            -- this function is reached through PostgREST's schema cache, so an
            -- answer means the cache is loaded and holds the deployed api
            'schema_cache', 'loaded',
            'deployed_at', internal.setting('deployed_at')
        ),
        'migration', (select max(m.version) from public.schema_migrations as m),
        'time', pg_catalog.now()
    )
$$;


--
-- Name: FUNCTION health(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.health() IS 'Versions and migration state. Definer: reads schema_migrations and settings that anon cannot.';


--
-- Name: process_stripe_event(jsonb); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.process_stripe_event(p_event jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    -- Event effects are registered here as booking and payment features land;
    -- anything else is stored and acknowledged.
    return 'ignored';
end
$$;


--
-- Name: FUNCTION process_stripe_event(p_event jsonb); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.process_stripe_event(p_event jsonb) IS 'Apply a verified Stripe event to bookings, payments and refunds; returns the outcome. Definer: called for anon.';


--
-- Name: receive_stripe_webhook(json); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.receive_stripe_webhook(p_body json) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    v_headers jsonb := coalesce(nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb, '{}');
    v_event jsonb;
    v_id text;
    v_outcome text;
begin
    if not internal.stripe_signature_valid(
        v_headers ->> 'stripe-signature', p_body::text, internal.setting('stripe_webhook_secret')
    ) then
        perform internal.fail('invalid_signature', 'the Stripe-Signature header is missing, wrong or stale');
    end if;
    v_event := p_body::jsonb;
    v_id := v_event ->> 'id';
    if v_id is null or v_event ->> 'type' is null or v_id !~ '^evt_[A-Za-z0-9_]+$' then
        perform internal.fail('invalid_input', 'the event has no valid id or type');
    end if;
    insert into app.stripe_events (id, type, payload)
    values (v_id, v_event ->> 'type', v_event)
    on conflict (id) do nothing;
    if not found then
        return pg_catalog.jsonb_build_object('received', true, 'duplicate', true);
    end if;
    v_outcome := internal.process_stripe_event(v_event);
    update app.stripe_events as e set processed_at = pg_catalog.now(), outcome = v_outcome where e.id = v_id;
    return pg_catalog.jsonb_build_object('received', true, 'duplicate', false, 'outcome', v_outcome);
end
$_$;


--
-- Name: FUNCTION receive_stripe_webhook(p_body json); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.receive_stripe_webhook(p_body json) IS 'Verify, store once and apply a Stripe webhook delivery. Definer: Stripe calls as anon.';


--
-- Name: request_id(); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.request_id() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    select nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-request-id'
$$;


--
-- Name: FUNCTION request_id(); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.request_id() IS 'The request id nginx put in X-Request-Id (null outside HTTP).';


--
-- Name: setting(text); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.setting(p_key text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
    select s.value from internal.settings as s where s.key = p_key
$$;


--
-- Name: FUNCTION setting(p_key text); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.setting(p_key text) IS 'Read one deploy-time setting. Definer: internal.settings holds secrets no API role may read.';


--
-- Name: stripe_signature_valid(text, text, text, integer); Type: FUNCTION; Schema: internal; Owner: -
--

CREATE FUNCTION internal.stripe_signature_valid(p_header text, p_body text, p_secret text, p_tolerance_seconds integer DEFAULT 300) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
declare
    v_timestamp bigint;
    v_expected text;
    v_part text;
    v_found boolean := false;
begin
    if p_header is null or p_secret is null or p_body is null then
        return false;
    end if;
    -- Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...][,v0=...]
    foreach v_part in array pg_catalog.string_to_array(p_header, ',') loop
        if pg_catalog.btrim(v_part) ~ '^t=[0-9]{1,12}$' then
            v_timestamp := pg_catalog.substr(pg_catalog.btrim(v_part), 3)::bigint;
        end if;
    end loop;
    if v_timestamp is null
        or pg_catalog.abs(extract(epoch from pg_catalog.now()) - v_timestamp) > p_tolerance_seconds then
        return false;
    end if;
    v_expected := pg_catalog.encode(
        extensions.hmac(
            pg_catalog.convert_to(v_timestamp::text || '.' || p_body, 'utf8'),
            pg_catalog.convert_to(p_secret, 'utf8'),
            'sha256'
        ),
        'hex'
    );
    foreach v_part in array pg_catalog.string_to_array(p_header, ',') loop
        -- compare every candidate; no early exit on the first mismatch
        if pg_catalog.btrim(v_part) = 'v1=' || v_expected then
            v_found := true;
        end if;
    end loop;
    return v_found;
end
$_$;


--
-- Name: FUNCTION stripe_signature_valid(p_header text, p_body text, p_secret text, p_tolerance_seconds integer); Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON FUNCTION internal.stripe_signature_valid(p_header text, p_body text, p_secret text, p_tolerance_seconds integer) IS 'Verify a Stripe-Signature header (HMAC-SHA256 of "<t>.<raw body>", any v1, within the tolerance).';


--
-- Name: _belongs_to_pgmq(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._belongs_to_pgmq(table_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    sql TEXT;
    result BOOLEAN;
BEGIN
  SELECT EXISTS (
    SELECT 1
    FROM pg_depend
    WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgmq')
    AND objid = (
        SELECT oid
        FROM pg_class
        WHERE relname = table_name
    )
  ) INTO result;
  RETURN result;
END;
$$;


--
-- Name: _create_fifo_index_if_not_exists(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._create_fifo_index_if_not_exists(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    index_name TEXT := qtable || '_fifo_idx';
BEGIN
    -- Create GIN index on headers for efficient FIFO key lookups
    EXECUTE FORMAT(
        $QUERY$
        CREATE INDEX IF NOT EXISTS %I ON pgmq.%I USING GIN (headers);
        $QUERY$,
        index_name, qtable
    );
END;
$_$;


--
-- Name: _ensure_pg_partman_installed(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._ensure_pg_partman_installed() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF NOT pgmq._extension_exists('pg_partman') THEN
    RAISE EXCEPTION 'pg_partman is required for partitioned queues';
  END IF;
END;
$$;


--
-- Name: _extension_exists(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._extension_exists(extension_name text) RETURNS boolean
    LANGUAGE sql
    AS $$
SELECT EXISTS (
    SELECT 1
    FROM pg_extension
    WHERE extname = extension_name
)
$$;


--
-- Name: _get_partition_col(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._get_partition_col(partition_interval text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
  num INTEGER;
BEGIN
    BEGIN
        num := partition_interval::INTEGER;
        RETURN 'msg_id';
    EXCEPTION
        WHEN others THEN
            RETURN 'enqueued_at';
    END;
END;
$$;


--
-- Name: _get_pg_partman_major_version(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._get_pg_partman_major_version() RETURNS integer
    LANGUAGE sql
    AS $$
  SELECT split_part(extversion, '.', 1)::INT
  FROM pg_extension
  WHERE extname = 'pg_partman'
$$;


--
-- Name: _get_pg_partman_schema(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._get_pg_partman_schema() RETURNS text
    LANGUAGE sql
    AS $$
  SELECT
    extnamespace::regnamespace::text
  FROM
    pg_extension
  WHERE
    extname = 'pg_partman';
$$;


--
-- Name: _send_batch(text, jsonb[], jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
            $QUERY$
        INSERT INTO pgmq.%I (vt, message, headers)
        SELECT $2, unnest($1), unnest(coalesce($3, ARRAY[]::jsonb[]))
        RETURNING msg_id;
        $QUERY$,
            qtable
           );
    RETURN QUERY EXECUTE sql USING msgs, delay, headers;
END;
$_$;


--
-- Name: _validate_batch_params(jsonb[], jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq._validate_batch_params(msgs jsonb[], headers jsonb[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Validate that msgs is not NULL or empty
    IF msgs IS NULL OR array_length(msgs, 1) IS NULL THEN
        RAISE EXCEPTION 'msgs cannot be NULL or empty';
    END IF;

    -- Validate that headers array length matches msgs array length if headers is provided
    -- Note: array_length returns NULL for empty arrays, so we use COALESCE to treat empty arrays as length 0
    IF headers IS NOT NULL AND COALESCE(array_length(headers, 1), 0) != COALESCE(array_length(msgs, 1), 0) THEN
        RAISE EXCEPTION 'headers array length (%) must match msgs array length (%)',
            COALESCE(array_length(headers, 1), 0), COALESCE(array_length(msgs, 1), 0);
    END IF;
END;
$$;


--
-- Name: acquire_queue_lock(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.acquire_queue_lock(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('pgmq.queue_' || queue_name));
END;
$$;


--
-- Name: archive(text, bigint[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH archived AS (
            DELETE FROM pgmq.%I
            WHERE msg_id = ANY($1)
            RETURNING msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        )
        INSERT INTO pgmq.%I (msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers)
        SELECT msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        FROM archived
        RETURNING msg_id;
        $QUERY$,
        qtable, atable
    );
    RETURN QUERY EXECUTE sql USING msg_ids;
END;
$_$;


--
-- Name: archive(text, bigint); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.archive(queue_name text, msg_id bigint) RETURNS boolean
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result BIGINT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH archived AS (
            DELETE FROM pgmq.%I
            WHERE msg_id = $1
            RETURNING msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        )
        INSERT INTO pgmq.%I (msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers)
        SELECT msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
        FROM archived
        RETURNING msg_id;
        $QUERY$,
        qtable, atable
    );
    EXECUTE sql USING msg_id INTO result;
    RETURN NOT (result IS NULL);
END;
$_$;


--
-- Name: bind_topic(text, text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.bind_topic(pattern text, queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq.validate_topic_pattern(pattern);
    IF queue_name IS NULL OR queue_name = '' THEN
        RAISE EXCEPTION 'queue_name cannot be NULL or empty';
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pgmq.meta WHERE meta.queue_name = bind_topic.queue_name) THEN
        RAISE EXCEPTION 'Queue "%" does not exist. Create the queue first using pgmq.create()', queue_name;
    END IF;

    INSERT INTO pgmq.topic_bindings (pattern, queue_name)
    VALUES (pattern, queue_name)
    ON CONFLICT ON CONSTRAINT topic_bindings_unique_pattern_queue DO NOTHING;
END;
$$;


--
-- Name: convert_archive_partitioned(text, text, text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.convert_archive_partitioned(table_name text, partition_interval text DEFAULT '10000'::text, retention_interval text DEFAULT '100000'::text, leading_partition integer DEFAULT 10) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  a_table_name TEXT := pgmq.format_table_name(table_name, 'a');
  a_table_name_old TEXT := pgmq.format_table_name(table_name, 'a') || '_old';
  qualified_a_table_name TEXT := format('pgmq.%I', a_table_name);
  partition_col TEXT;
  a_partition_col TEXT;
BEGIN

  PERFORM c.relkind
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = a_table_name
    AND c.relkind = 'p';

  IF FOUND THEN
    RAISE NOTICE 'Table %s is already partitioned', a_table_name;
    RETURN;
  END IF;

  PERFORM c.relkind
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = a_table_name
    AND c.relkind = 'r';

  IF NOT FOUND THEN
    RAISE NOTICE 'Table %s does not exists', a_table_name;
    RETURN;
  END IF;

  SELECT pgmq._get_partition_col(partition_interval) INTO partition_col;

  -- For archive tables, use archived_at for time-based partitioning
  IF partition_col = 'enqueued_at' THEN
    a_partition_col := 'archived_at';
  ELSE
    a_partition_col := partition_col;
  END IF;

  EXECUTE 'ALTER TABLE ' || qualified_a_table_name || ' RENAME TO ' || a_table_name_old;

  -- When partitioning by time (archived_at), we need to exclude constraints and indexes
  -- because the existing PRIMARY KEY on msg_id alone is incompatible with partitioning by archived_at.
  -- When partitioning by msg_id, we can keep all constraints including PRIMARY KEY.
  IF a_partition_col = 'archived_at' THEN
    EXECUTE format( 'CREATE TABLE pgmq.%I (LIKE pgmq.%I including defaults including generated including storage including comments) PARTITION BY RANGE (%I)', a_table_name, a_table_name_old, a_partition_col );
  ELSE
    EXECUTE format( 'CREATE TABLE pgmq.%I (LIKE pgmq.%I including all) PARTITION BY RANGE (%I)', a_table_name, a_table_name_old, a_partition_col );
  END IF;

  EXECUTE 'ALTER INDEX pgmq.archived_at_idx_' || table_name || ' RENAME TO archived_at_idx_' || table_name || '_old';
  EXECUTE 'CREATE INDEX archived_at_idx_'|| table_name || ' ON ' || qualified_a_table_name ||'(archived_at)';

  -- https://github.com/pgpartman/pg_partman/blob/master/doc/pg_partman.md
  -- p_parent_table - the existing parent table. MUST be schema qualified, even if in public schema.
  EXECUTE FORMAT(
    $QUERY$
    SELECT %I.create_parent(
      p_parent_table := %L,
      p_control := %L,
      p_interval := %L,
      p_type := case
        when pgmq._get_pg_partman_major_version() = 5 then 'range'
        else 'native'
      end
    )
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    qualified_a_table_name,
    a_partition_col,
    partition_interval
  );

  EXECUTE FORMAT(
    $QUERY$
    UPDATE %I.part_config
    SET
      retention = %L,
      retention_keep_table = false,
      retention_keep_index = false,
      infinite_time_partitions = true
    WHERE
      parent_table = %L;
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    retention_interval,
    qualified_a_table_name
  );
END;
$_$;


--
-- Name: create(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq."create"(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq.create_non_partitioned(queue_name);
END;
$$;


--
-- Name: create_fifo_index(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_fifo_index(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq._create_fifo_index_if_not_exists(queue_name);
END;
$$;


--
-- Name: create_fifo_indexes_all(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_fifo_indexes_all() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    queue_record RECORD;
BEGIN
    FOR queue_record IN SELECT queue_name FROM pgmq.meta LOOP
        PERFORM pgmq.create_fifo_index(queue_record.queue_name);
    END LOOP;
END;
$$;


--
-- Name: create_non_partitioned(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_non_partitioned(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  qtable_seq TEXT := qtable || '_msg_id_seq';
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
  PERFORM pgmq.validate_queue_name(queue_name);
  PERFORM pgmq.acquire_queue_lock(queue_name);

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
        msg_id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
        read_ct INT DEFAULT 0 NOT NULL,
        enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        last_read_at TIMESTAMP WITH TIME ZONE,
        vt TIMESTAMP WITH TIME ZONE NOT NULL,
        message JSONB,
        headers JSONB
    )
    $QUERY$,
    qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id BIGINT PRIMARY KEY,
      read_ct INT DEFAULT 0 NOT NULL,
      enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      last_read_at TIMESTAMP WITH TIME ZONE,
      archived_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      vt TIMESTAMP WITH TIME ZONE NOT NULL,
      message JSONB,
      headers JSONB
    );
    $QUERY$,
    atable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt ASC);
    $QUERY$,
    qtable || '_vt_idx', qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at);
    $QUERY$,
    'archived_at_idx_' || queue_name, atable
  );

  EXECUTE FORMAT(
    $QUERY$
    INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged)
    VALUES (%L, false, false)
    ON CONFLICT
    DO NOTHING;
    $QUERY$,
    queue_name
  );

END;
$_$;


--
-- Name: create_partitioned(text, text, text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_partitioned(queue_name text, partition_interval text DEFAULT '10000'::text, retention_interval text DEFAULT '100000'::text, premake integer DEFAULT 4) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  partition_col TEXT;
  a_partition_col TEXT;
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  qtable_seq TEXT := qtable || '_msg_id_seq';
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
  fq_qtable TEXT := 'pgmq.' || qtable;
  fq_atable TEXT := 'pgmq.' || atable;
BEGIN
  PERFORM pgmq.validate_queue_name(queue_name);
  PERFORM pgmq.acquire_queue_lock(queue_name);
  PERFORM pgmq._ensure_pg_partman_installed();
  IF premake < 1 THEN
    RAISE EXCEPTION 'premake must be at least 1, got %', premake;
  END IF;
  SELECT pgmq._get_partition_col(partition_interval) INTO partition_col;

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
        msg_id BIGINT GENERATED BY DEFAULT AS IDENTITY,
        read_ct INT DEFAULT 0 NOT NULL,
        enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        last_read_at TIMESTAMP WITH TIME ZONE,
        vt TIMESTAMP WITH TIME ZONE NOT NULL,
        message JSONB,
        headers JSONB
    ) PARTITION BY RANGE (%I)
    $QUERY$,
    qtable, partition_col
  );

  -- https://github.com/pgpartman/pg_partman/blob/master/doc/pg_partman.md
  -- p_parent_table - the existing parent table. MUST be schema qualified, even if in public schema.
  EXECUTE FORMAT(
    $QUERY$
    SELECT %I.create_parent(
      p_parent_table := %L,
      p_control := %L,
      p_interval := %L,
      p_premake := %s,
      p_type := case
        when pgmq._get_pg_partman_major_version() = 5 then 'range'
        else 'native'
      end
    )
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    fq_qtable,
    partition_col,
    partition_interval,
    premake
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (%I);
    $QUERY$,
    qtable || '_part_idx', qtable, partition_col
  );

  EXECUTE FORMAT(
    $QUERY$
    UPDATE %I.part_config
    SET
        retention = %L,
        retention_keep_table = false,
        retention_keep_index = true,
        automatic_maintenance = 'on'
    WHERE parent_table = %L;
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    retention_interval,
    'pgmq.' || qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged)
    VALUES (%L, true, false)
    ON CONFLICT
    DO NOTHING;
    $QUERY$,
    queue_name
  );

  IF partition_col = 'enqueued_at' THEN
    a_partition_col := 'archived_at';
  ELSE
    a_partition_col := partition_col;
  END IF;

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id BIGINT NOT NULL,
      read_ct INT DEFAULT 0 NOT NULL,
      enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      last_read_at TIMESTAMP WITH TIME ZONE,
      archived_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      vt TIMESTAMP WITH TIME ZONE NOT NULL,
      message JSONB,
      headers JSONB
    ) PARTITION BY RANGE (%I);
    $QUERY$,
    atable, a_partition_col
  );

  -- https://github.com/pgpartman/pg_partman/blob/master/doc/pg_partman.md
  -- p_parent_table - the existing parent table. MUST be schema qualified, even if in public schema.
  EXECUTE FORMAT(
    $QUERY$
    SELECT %I.create_parent(
      p_parent_table := %L,
      p_control := %L,
      p_interval := %L,
      p_premake := %s,
      p_type := case
        when pgmq._get_pg_partman_major_version() = 5 then 'range'
        else 'native'
      end
    )
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    fq_atable,
    a_partition_col,
    partition_interval,
    premake
  );

  EXECUTE FORMAT(
    $QUERY$
    UPDATE %I.part_config
    SET
        retention = %L,
        retention_keep_table = false,
        retention_keep_index = true,
        automatic_maintenance = 'on'
    WHERE parent_table = %L;
    $QUERY$,
    pgmq._get_pg_partman_schema(),
    retention_interval,
    'pgmq.' || atable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at);
    $QUERY$,
    'archived_at_idx_' || queue_name, atable
  );

END;
$_$;


--
-- Name: create_unlogged(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.create_unlogged(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  qtable_seq TEXT := qtable || '_msg_id_seq';
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
  PERFORM pgmq.validate_queue_name(queue_name);
  PERFORM pgmq.acquire_queue_lock(queue_name);

  EXECUTE FORMAT(
    $QUERY$
    CREATE UNLOGGED TABLE IF NOT EXISTS pgmq.%I (
        msg_id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
        read_ct INT DEFAULT 0 NOT NULL,
        enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        last_read_at TIMESTAMP WITH TIME ZONE,
        vt TIMESTAMP WITH TIME ZONE NOT NULL,
        message JSONB,
        headers JSONB
    )
    $QUERY$,
    qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE TABLE IF NOT EXISTS pgmq.%I (
      msg_id BIGINT PRIMARY KEY,
      read_ct INT DEFAULT 0 NOT NULL,
      enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      last_read_at TIMESTAMP WITH TIME ZONE,
      archived_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      vt TIMESTAMP WITH TIME ZONE NOT NULL,
      message JSONB,
      headers JSONB
    );
    $QUERY$,
    atable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt ASC);
    $QUERY$,
    qtable || '_vt_idx', qtable
  );

  EXECUTE FORMAT(
    $QUERY$
    CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at);
    $QUERY$,
    'archived_at_idx_' || queue_name, atable
  );

  EXECUTE FORMAT(
    $QUERY$
    INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged)
    VALUES (%L, false, true)
    ON CONFLICT
    DO NOTHING;
    $QUERY$,
    queue_name
  );
END;
$_$;


--
-- Name: delete(text, bigint[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        DELETE FROM pgmq.%I
        WHERE msg_id = ANY($1)
        RETURNING msg_id
        $QUERY$,
        qtable
    );
    RETURN QUERY EXECUTE sql USING msg_ids;
END;
$_$;


--
-- Name: delete(text, bigint); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.delete(queue_name text, msg_id bigint) RETURNS boolean
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result BIGINT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        DELETE FROM pgmq.%I
        WHERE msg_id = $1
        RETURNING msg_id
        $QUERY$,
        qtable
    );
    EXECUTE sql USING msg_id INTO result;
    RETURN NOT (result IS NULL);
END;
$_$;


--
-- Name: detach_archive(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.detach_archive(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  atable TEXT := pgmq.format_table_name(queue_name, 'a');
BEGIN
  RAISE WARNING 'detach_archive(queue_name) is deprecated and is a no-op. It will be removed in PGMQ v2.0. Archive tables are no longer member objects.';
END
$$;


--
-- Name: disable_notify_insert(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.disable_notify_insert(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  v_queue_name TEXT := queue_name;
BEGIN
  EXECUTE FORMAT(
    $QUERY$
    DROP TRIGGER IF EXISTS trigger_notify_queue_insert_listeners ON pgmq.%I;
    $QUERY$,
    qtable
  );

  DELETE FROM pgmq.notify_insert_throttle nit WHERE nit.queue_name = v_queue_name;
END;
$_$;


--
-- Name: drop_queue(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.drop_queue(queue_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $_$
DECLARE
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    qtable_seq TEXT := qtable || '_msg_id_seq';
    fq_qtable TEXT := 'pgmq.' || qtable;
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
    fq_atable TEXT := 'pgmq.' || atable;
    partitioned BOOLEAN;
BEGIN
    PERFORM pgmq.acquire_queue_lock(queue_name);
    EXECUTE FORMAT(
        $QUERY$
        SELECT is_partitioned FROM pgmq.meta WHERE queue_name = %L
        $QUERY$,
        queue_name
    ) INTO partitioned;

    -- check if the queue exists
    IF NOT EXISTS (
        SELECT 1
        FROM information_schema.tables
        WHERE table_name = qtable and table_schema = 'pgmq'
    ) THEN
        RAISE NOTICE 'pgmq queue `%` does not exist', queue_name;
        RETURN FALSE;
    END IF;

    EXECUTE FORMAT(
        $QUERY$
        DROP TABLE IF EXISTS pgmq.%I
        $QUERY$,
        qtable
    );

    EXECUTE FORMAT(
        $QUERY$
        DROP TABLE IF EXISTS pgmq.%I
        $QUERY$,
        atable
    );

     IF EXISTS (
          SELECT 1
          FROM information_schema.tables
          WHERE table_name = 'meta' and table_schema = 'pgmq'
     ) THEN
        EXECUTE FORMAT(
            $QUERY$
            DELETE FROM pgmq.meta WHERE queue_name = %L
            $QUERY$,
            queue_name
        );
     END IF;

     IF partitioned THEN
        EXECUTE FORMAT(
          $QUERY$
          DELETE FROM %I.part_config where parent_table in (%L, %L)
          $QUERY$,
          pgmq._get_pg_partman_schema(), fq_qtable, fq_atable
        );
     END IF;

    RETURN TRUE;
END;
$_$;


--
-- Name: drop_queue(text, boolean); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.drop_queue(queue_name text, partitioned boolean) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    fq_qtable TEXT := 'pgmq.' || qtable;
    atable TEXT := pgmq.format_table_name(queue_name, 'a');
    fq_atable TEXT := 'pgmq.' || atable;
BEGIN
    RAISE WARNING 'drop_queue(queue_name, partitioned) is deprecated and will be removed in PGMQ v2.0. Use drop_queue(queue_name) instead';

    PERFORM pgmq.drop_queue(queue_name);

    RETURN TRUE;
END;
$$;


--
-- Name: enable_notify_insert(text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.enable_notify_insert(queue_name text, throttle_interval_ms integer DEFAULT 250) RETURNS void
    LANGUAGE plpgsql
    AS $_$
DECLARE
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
  v_queue_name TEXT := queue_name;
  v_throttle_interval_ms INTEGER := throttle_interval_ms;
BEGIN
  -- Validate that throttle_interval_ms is non-negative
  IF v_throttle_interval_ms < 0 THEN
    RAISE EXCEPTION 'throttle_interval_ms must be non-negative';
  END IF;

  -- Validate that the queue table exists
  IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'pgmq' AND table_name = qtable) THEN
    RAISE EXCEPTION 'Queue "%" does not exist. Create it first using pgmq.create()', v_queue_name;
  END IF;

  PERFORM pgmq.disable_notify_insert(v_queue_name);

  INSERT INTO pgmq.notify_insert_throttle (queue_name, throttle_interval_ms)
  VALUES (v_queue_name, v_throttle_interval_ms)
  ON CONFLICT ON CONSTRAINT notify_insert_throttle_queue_name_key DO UPDATE
      SET throttle_interval_ms = EXCLUDED.throttle_interval_ms,
          last_notified_at = to_timestamp(0);

  EXECUTE FORMAT(
    $QUERY$
    CREATE CONSTRAINT TRIGGER trigger_notify_queue_insert_listeners
    AFTER INSERT ON pgmq.%I
    DEFERRABLE FOR EACH ROW
    EXECUTE PROCEDURE pgmq.notify_queue_listeners()
    $QUERY$,
    qtable
  );
END;
$_$;


--
-- Name: format_table_name(text, text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.format_table_name(queue_name text, prefix text) RETURNS text
    LANGUAGE plpgsql
    AS $_$
BEGIN
    IF queue_name ~ '\$|;|--|'''
    THEN
        RAISE EXCEPTION 'queue name contains invalid characters: $, ;, --, or \''';
    END IF;
    RETURN lower(prefix || '_' || queue_name);
END;
$_$;


--
-- Name: list_notify_insert_throttles(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_notify_insert_throttles() RETURNS TABLE(queue_name text, throttle_interval_ms integer, last_notified_at timestamp with time zone)
    LANGUAGE sql STABLE
    AS $$
    SELECT queue_name, throttle_interval_ms, last_notified_at
    FROM pgmq.notify_insert_throttle
    ORDER BY queue_name;
$$;


--
-- Name: list_queues(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_queues() RETURNS SETOF pgmq.queue_record
    LANGUAGE plpgsql
    AS $$
BEGIN
  RETURN QUERY SELECT * FROM pgmq.meta;
END
$$;


--
-- Name: list_topic_bindings(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_topic_bindings() RETURNS TABLE(pattern text, queue_name text, bound_at timestamp with time zone, compiled_regex text)
    LANGUAGE sql STABLE
    AS $$
    SELECT pattern, queue_name, bound_at, compiled_regex
    FROM pgmq.topic_bindings
    ORDER BY bound_at DESC, pattern, queue_name;
$$;


--
-- Name: list_topic_bindings(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.list_topic_bindings(queue_name text) RETURNS TABLE(pattern text, queue_name text, bound_at timestamp with time zone, compiled_regex text)
    LANGUAGE sql STABLE
    AS $$
    SELECT pattern, tb.queue_name, bound_at, compiled_regex
    FROM pgmq.topic_bindings tb
    WHERE tb.queue_name = list_topic_bindings.queue_name
    ORDER BY bound_at DESC, pattern;
$$;


--
-- Name: metrics(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.metrics(queue_name text) RETURNS pgmq.metrics_result
    LANGUAGE plpgsql
    AS $_$
DECLARE
    result_row pgmq.metrics_result;
    query TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
    q_default_partition TEXT := qtable || '_default';
    a_default_partition TEXT := pgmq.format_table_name(queue_name, 'a') || '_default';
    default_partition_length BIGINT;
BEGIN
    -- Only partitioned queues have default partitions. Messages in them have no
    -- partition of their own, which means pg_partman maintenance is failing for
    -- this queue; a non-zero value here is the signal to act on. The planner's
    -- estimate is used so that a large spill does not slow down every scrape.
    IF to_regclass(FORMAT('pgmq.%I', q_default_partition)) IS NOT NULL THEN
        SELECT COALESCE(SUM(GREATEST(c.reltuples, 0))::bigint, 0)
        INTO default_partition_length
        FROM pg_class c
        WHERE c.oid IN (
            to_regclass(FORMAT('pgmq.%I', q_default_partition)),
            to_regclass(FORMAT('pgmq.%I', a_default_partition))
        );
    END IF;

    query := FORMAT(
        $QUERY$
        WITH q_summary AS (
            SELECT
                count(*) as queue_length,
                count(CASE WHEN vt <= NOW() THEN 1 END) as queue_visible_length,
                EXTRACT(epoch FROM (NOW() - max(enqueued_at)))::int as newest_msg_age_sec,
                EXTRACT(epoch FROM (NOW() - min(enqueued_at)))::int as oldest_msg_age_sec,
                NOW() as scrape_time
            FROM pgmq.%I
        ),
        all_metrics AS (
            SELECT CASE
                WHEN is_called THEN last_value ELSE 0
                END as total_messages
            FROM pgmq.%I
        )
        SELECT
            %L as queue_name,
            q_summary.queue_length,
            q_summary.newest_msg_age_sec,
            q_summary.oldest_msg_age_sec,
            all_metrics.total_messages,
            q_summary.scrape_time,
            q_summary.queue_visible_length,
            %L::bigint as default_partition_length
        FROM q_summary, all_metrics
        $QUERY$,
        qtable, qtable || '_msg_id_seq', queue_name, default_partition_length
    );
    EXECUTE query INTO result_row;
    RETURN result_row;
END;
$_$;


--
-- Name: metrics_all(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.metrics_all() RETURNS SETOF pgmq.metrics_result
    LANGUAGE plpgsql
    AS $$
DECLARE
    row_name RECORD;
    result_row pgmq.metrics_result;
BEGIN
    FOR row_name IN SELECT queue_name FROM pgmq.meta LOOP
        result_row := pgmq.metrics(row_name.queue_name);
        RETURN NEXT result_row;
    END LOOP;
END;
$$;


--
-- Name: notify_queue_listeners(); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.notify_queue_listeners() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  queue_name_extracted TEXT; -- Queue name extracted from trigger table name
  updated_count        INTEGER; -- Number of rows updated (0 or 1)
BEGIN
  queue_name_extracted := substring(TG_TABLE_NAME from 3);

  UPDATE pgmq.notify_insert_throttle
  SET last_notified_at = clock_timestamp()
  WHERE queue_name = queue_name_extracted
    AND (
      throttle_interval_ms = 0 -- No throttling configured
          OR clock_timestamp() - last_notified_at >=
             (throttle_interval_ms * INTERVAL '1 millisecond') -- Throttle interval has elapsed
    );

  -- Check how many rows were updated (will be 0 or 1)
  GET DIAGNOSTICS updated_count = ROW_COUNT;

  IF updated_count > 0 THEN
    PERFORM PG_NOTIFY('pgmq.' || TG_TABLE_NAME || '.' || TG_OP, NULL);
  END IF;

RETURN NEW;
END;
$$;


--
-- Name: pop(text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.pop(queue_name text, qty integer DEFAULT 1) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result pgmq.message_record;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH cte AS
            (
                SELECT msg_id
                FROM pgmq.%I
                WHERE vt <= clock_timestamp()
                ORDER BY msg_id ASC
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
        DELETE from pgmq.%I
        WHERE msg_id IN (select msg_id from cte)
        RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers;
        $QUERY$,
        qtable, qtable
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: purge_queue(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.purge_queue(queue_name text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  deleted_count INTEGER;
  qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
  -- Get the row count before truncating
  EXECUTE format('SELECT count(*) FROM pgmq.%I', qtable) INTO deleted_count;

  -- Use TRUNCATE for better performance on large tables
  EXECUTE format('TRUNCATE TABLE pgmq.%I', qtable);

  -- Return the number of purged rows
  RETURN deleted_count;
END
$$;


--
-- Name: read(text, integer, integer, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}'::jsonb) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH cte AS
        (
            SELECT msg_id
            FROM pgmq.%I
            WHERE vt <= clock_timestamp() AND CASE
                WHEN %L != '{}'::jsonb THEN (message @> %2$L)::integer
                ELSE 1
            END = 1
            ORDER BY msg_id ASC
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE pgmq.%I m
        SET
            last_read_at = clock_timestamp(),
            vt = clock_timestamp() + %L,
            read_ct = read_ct + 1
        FROM cte
        WHERE m.msg_id = cte.msg_id
        RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
        $QUERY$,
        qtable, conditional, qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped(text, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH fifo_groups AS (
            -- Find the minimum msg_id for each FIFO group that's ready to be processed
            SELECT
                COALESCE(headers->>'x-pgmq-group', '_default_fifo_group') as fifo_key,
                MIN(msg_id) as min_msg_id
            FROM pgmq.%I
            WHERE vt <= clock_timestamp()
            GROUP BY COALESCE(headers->>'x-pgmq-group', '_default_fifo_group')
        ),
        locked_groups AS (
            -- Lock the first available message in each FIFO group
            SELECT
                m.msg_id,
                fg.fifo_key
            FROM pgmq.%I m
            INNER JOIN fifo_groups fg ON
                COALESCE(m.headers->>'x-pgmq-group', '_default_fifo_group') = fg.fifo_key
                AND m.msg_id = fg.min_msg_id
            WHERE m.vt <= clock_timestamp()
            ORDER BY m.msg_id ASC
            FOR UPDATE SKIP LOCKED
        ),
        group_priorities AS (
            -- Assign priority to groups based on their oldest message
            SELECT
                fifo_key,
                msg_id as min_msg_id,
                ROW_NUMBER() OVER (ORDER BY msg_id) as group_priority
            FROM locked_groups
        ),
        filtered_groups as (
            SELECT * FROM group_priorities gp
            WHERE NOT EXISTS (
                -- Ensure no earlier message in this group is currently being processed
                SELECT 1
                FROM pgmq.%I m2
                WHERE COALESCE(m2.headers->>'x-pgmq-group', '_default_fifo_group') = gp.fifo_key
                AND m2.vt > clock_timestamp()
                AND m2.msg_id < gp.min_msg_id
            )
        ),
        available_messages as (
            SELECT gp.fifo_key, t.msg_id,gp.group_priority,
                ROW_NUMBER() OVER (PARTITION BY gp.fifo_key ORDER BY t.msg_id) as msg_rank_in_group
            FROM filtered_groups gp
            CROSS JOIN LATERAL (
                SELECT *
                FROM pgmq.%I t
                WHERE COALESCE(t.headers->>'x-pgmq-group', '_default_fifo_group') = gp.fifo_key
                AND t.vt <= clock_timestamp()
                ORDER BY msg_id
                LIMIT $1  -- tip to limit query impact, we know we need at most qty in each group
            ) t
            ORDER BY gp.group_priority
        ),
        batch_selection AS (
            -- Select messages to fill batch, prioritizing earliest group
            SELECT
                msg_id,
                ROW_NUMBER() OVER (ORDER BY group_priority, msg_rank_in_group) as overall_rank
            FROM available_messages
        ),
        selected_messages AS (
            -- Limit to requested quantity
            SELECT msg_id
            FROM batch_selection
            WHERE overall_rank <= $1
            ORDER BY msg_id
            FOR UPDATE SKIP LOCKED
        )
        UPDATE pgmq.%I m
        SET
            vt = clock_timestamp() + %L,
            read_ct = read_ct + 1,
            last_read_at = clock_timestamp()
        FROM selected_messages sm
        WHERE m.msg_id = sm.msg_id
        RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
        $QUERY$,
        qtable, qtable, qtable, qtable, qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped_head(text, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_head(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH fifo_groups AS (
            -- Determine the absolute head (oldest) message id per FIFO group, regardless of visibility
            SELECT
                COALESCE(headers->>'x-pgmq-group', '_default_fifo_group') AS fifo_key,
                MIN(msg_id) AS head_msg_id
            FROM pgmq.%1$I
            GROUP BY COALESCE(headers->>'x-pgmq-group', '_default_fifo_group')
        ),
        selected_messages AS (
            -- Take at most 1 message per group
            SELECT g.head_msg_id msg_id
            FROM fifo_groups g
            JOIN pgmq.%1$I q ON q.msg_id = g.head_msg_id
	        WHERE q.vt <= clock_timestamp()
            ORDER BY q.msg_id
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE pgmq.%1$I m
        SET
            vt = clock_timestamp() + %2$L,
            read_ct = read_ct + 1,
            last_read_at = clock_timestamp()
        FROM selected_messages sm
        WHERE m.msg_id = sm.msg_id
        RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
        $QUERY$,
        qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped_head_with_poll(text, integer, integer, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_head_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMPTZ;
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF clock_timestamp() >= stop_at THEN
        RETURN;
      END IF;

      FOR r IN
        SELECT * FROM pgmq.read_grouped_head(queue_name, vt, qty)
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$$;


--
-- Name: read_grouped_rr(text, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_rr(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        WITH fifo_groups AS (
            -- Determine the absolute head (oldest) message id per FIFO group, regardless of visibility
            SELECT
                COALESCE(headers->>'x-pgmq-group', '_default_fifo_group') AS fifo_key,
                MIN(msg_id) AS head_msg_id
            FROM pgmq.%1$I
            GROUP BY COALESCE(headers->>'x-pgmq-group', '_default_fifo_group')
        ),
        eligible_groups AS (
            -- Only groups whose head message is currently visible
            -- Acquire a transaction-level advisory lock per group to prevent concurrent selection
            SELECT
                g.fifo_key,
                g.head_msg_id,
                ROW_NUMBER() OVER (ORDER BY g.head_msg_id) AS group_priority
            FROM fifo_groups g
            JOIN pgmq.%2$I h ON h.msg_id = g.head_msg_id
            WHERE h.vt <= clock_timestamp()
              AND pg_try_advisory_xact_lock(pg_catalog.hashtextextended(g.fifo_key, 0))
        ),
        available_messages AS (
            -- All currently visible messages starting at the head for each eligible group
            SELECT
                m.msg_id,
                eg.group_priority,
                ROW_NUMBER() OVER (
                    PARTITION BY eg.fifo_key
                    ORDER BY m.msg_id
                ) AS msg_rank_in_group
            FROM pgmq.%3$I m
            JOIN eligible_groups eg
              ON COALESCE(m.headers->>'x-pgmq-group', '_default_fifo_group') = eg.fifo_key
            WHERE m.vt <= clock_timestamp()
              AND m.msg_id >= eg.head_msg_id
        ),
        ordered_messages AS (
            -- Layered round-robin: take rank 1 of all groups by group_priority, then rank 2, etc.
            -- Assign selection order before locking
            SELECT msg_id, ROW_NUMBER() OVER (ORDER BY msg_rank_in_group, group_priority) as selection_order
            FROM available_messages
        ),
        selected_messages AS (
            -- Lock the messages in the correct order, preserving selection_order
            SELECT om.msg_id, om.selection_order
            FROM ordered_messages om
            JOIN pgmq.%4$I m ON m.msg_id = om.msg_id
            WHERE om.selection_order <= $1
            ORDER BY om.selection_order
            FOR UPDATE OF m SKIP LOCKED
        ),
        updated_messages AS (
            UPDATE pgmq.%5$I m
            SET
                vt = clock_timestamp() + %6$L,
                read_ct = read_ct + 1,
                last_read_at = clock_timestamp()
            FROM selected_messages sm
            WHERE m.msg_id = sm.msg_id
              AND m.vt <= clock_timestamp() -- final guard to avoid duplicate reads under races
            RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers, sm.selection_order
        )
        SELECT msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers
        FROM updated_messages
        ORDER BY selection_order;
        $QUERY$,
        qtable, qtable, qtable, qtable, qtable, make_interval(secs => vt)
    );
    RETURN QUERY EXECUTE sql USING qty;
END;
$_$;


--
-- Name: read_grouped_rr_with_poll(text, integer, integer, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_rr_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMP;
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF (SELECT clock_timestamp() >= stop_at) THEN
        RETURN;
      END IF;

      FOR r IN
        SELECT * FROM pgmq.read_grouped_rr(queue_name, vt, qty)
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$$;


--
-- Name: read_grouped_with_poll(text, integer, integer, integer, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_grouped_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMP;
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF (SELECT clock_timestamp() >= stop_at) THEN
        RETURN;
      END IF;

      FOR r IN
        SELECT * FROM pgmq.read_grouped(queue_name, vt, qty)
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$$;


--
-- Name: read_with_poll(text, integer, integer, integer, integer, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.read_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100, conditional jsonb DEFAULT '{}'::jsonb) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    r pgmq.message_record;
    stop_at TIMESTAMP;
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    stop_at := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
      IF (SELECT clock_timestamp() >= stop_at) THEN
        RETURN;
      END IF;

      sql := FORMAT(
          $QUERY$
          WITH cte AS
          (
              SELECT msg_id
              FROM pgmq.%I
              WHERE vt <= clock_timestamp() AND CASE
                  WHEN %L != '{}'::jsonb THEN (message @> %2$L)::integer
                  ELSE 1
              END = 1
              ORDER BY msg_id ASC
              LIMIT $1
              FOR UPDATE SKIP LOCKED
          )
          UPDATE pgmq.%I m
          SET
              last_read_at = clock_timestamp(),
              vt = clock_timestamp() + %L,
              read_ct = read_ct + 1
          FROM cte
          WHERE m.msg_id = cte.msg_id
          RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers;
          $QUERY$,
          qtable, conditional, qtable, make_interval(secs => vt)
      );

      FOR r IN
        EXECUTE sql USING qty
      LOOP
        RETURN NEXT r;
      END LOOP;
      IF FOUND THEN
        RETURN;
      ELSE
        PERFORM pg_sleep(poll_interval_ms::numeric / 1000);
      END IF;
    END LOOP;
END;
$_$;


--
-- Name: send(text, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, NULL, clock_timestamp());
$$;


--
-- Name: send(text, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, NULL, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send(text, jsonb, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp());
$$;


--
-- Name: send(text, jsonb, timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, NULL, delay);
$$;


--
-- Name: send(text, jsonb, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send(text, jsonb, jsonb, timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
            $QUERY$
        INSERT INTO pgmq.%I (vt, message, headers)
        VALUES ($2, $1, $3)
        RETURNING msg_id;
        $QUERY$,
            qtable
           );
    RETURN QUERY EXECUTE sql USING msg, delay, headers;
END;
$_$;


--
-- Name: send_batch(text, jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[]) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL, clock_timestamp());
$$;


--
-- Name: send_batch(text, jsonb[], jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[]) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp());
$$;


--
-- Name: send_batch(text, jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch(text, jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL, delay);
$$;


--
-- Name: send_batch(text, jsonb[], jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer) RETURNS SETOF bigint
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch(text, jsonb[], jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pgmq._validate_batch_params(msgs, headers);
    RETURN QUERY SELECT * FROM pgmq._send_batch(queue_name, msgs, headers, delay);
END;
$$;


--
-- Name: send_batch_topic(text, jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[]) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, NULL, clock_timestamp());
$$;


--
-- Name: send_batch_topic(text, jsonb[], jsonb[]); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], headers jsonb[]) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, headers, clock_timestamp());
$$;


--
-- Name: send_batch_topic(text, jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], delay integer) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, NULL, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch_topic(text, jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], delay timestamp with time zone) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, NULL, delay);
$$;


--
-- Name: send_batch_topic(text, jsonb[], jsonb[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], headers jsonb[], delay integer) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.send_batch_topic(routing_key, msgs, headers, clock_timestamp() + make_interval(secs => delay));
$$;


--
-- Name: send_batch_topic(text, jsonb[], jsonb[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_batch_topic(routing_key text, msgs jsonb[], headers jsonb[], delay timestamp with time zone) RETURNS TABLE(queue_name text, msg_id bigint)
    LANGUAGE plpgsql
    AS $$
DECLARE
    b RECORD;
BEGIN
    PERFORM pgmq.validate_routing_key(routing_key);

    -- Validate batch parameters once (not per queue)
    PERFORM pgmq._validate_batch_params(msgs, headers);

    -- Filter matching patterns in SQL for better performance (uses index)
    -- Any failure will rollback the entire transaction
    FOR b IN
        SELECT DISTINCT tb.queue_name
        FROM pgmq.topic_bindings tb
        WHERE routing_key ~ tb.compiled_regex
        ORDER BY tb.queue_name -- Deterministic ordering, deduplicated by queue_name
        LOOP
            -- Use private _send_batch to avoid redundant validation
            RETURN QUERY
            SELECT b.queue_name, batch_result.msg_id
            FROM pgmq._send_batch(b.queue_name, msgs, headers, delay) AS batch_result(msg_id);
        END LOOP;

    RETURN;
END;
$$;


--
-- Name: send_topic(text, jsonb); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_topic(routing_key text, msg jsonb) RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pgmq.send_topic(routing_key, msg, NULL, 0);
END;
$$;


--
-- Name: send_topic(text, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_topic(routing_key text, msg jsonb, delay integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN pgmq.send_topic(routing_key, msg, NULL, delay);
END;
$$;


--
-- Name: send_topic(text, jsonb, jsonb, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.send_topic(routing_key text, msg jsonb, headers jsonb, delay integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    b             RECORD;
    matched_count integer := 0;
BEGIN
    PERFORM pgmq.validate_routing_key(routing_key);

    IF msg IS NULL THEN
        RAISE EXCEPTION 'msg cannot be NULL';
    END IF;

    IF delay < 0 THEN
        RAISE EXCEPTION 'delay cannot be negative, got: %', delay;
    END IF;

    -- Filter matching patterns in SQL for better performance (uses index)
    -- Any failure will rollback the entire transaction
    FOR b IN
        SELECT DISTINCT tb.queue_name
        FROM pgmq.topic_bindings tb
        WHERE routing_key ~ tb.compiled_regex
        ORDER BY tb.queue_name -- Deterministic ordering, deduplicated by queue_name
        LOOP
            PERFORM pgmq.send(b.queue_name, msg, headers, delay);
            matched_count := matched_count + 1;
        END LOOP;

    RETURN matched_count;
END;
$$;


--
-- Name: set_vt(text, bigint[], integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt integer) RETURNS SETOF pgmq.message_record
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.set_vt(queue_name, msg_ids, clock_timestamp() + make_interval(secs => vt));
$$;


--
-- Name: set_vt(text, bigint[], timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt timestamp with time zone) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        UPDATE pgmq.%I
        SET vt = $1
        WHERE msg_id = ANY($2)
        RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers;
        $QUERY$,
        qtable
    );
    RETURN QUERY EXECUTE sql USING vt, msg_ids;
END;
$_$;


--
-- Name: set_vt(text, bigint, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer) RETURNS SETOF pgmq.message_record
    LANGUAGE sql
    AS $$
    SELECT * FROM pgmq.set_vt(queue_name, msg_id, clock_timestamp() + make_interval(secs => vt));
$$;


--
-- Name: set_vt(text, bigint, timestamp with time zone); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt timestamp with time zone) RETURNS SETOF pgmq.message_record
    LANGUAGE plpgsql
    AS $_$
DECLARE
    sql TEXT;
    result pgmq.message_record;
    qtable TEXT := pgmq.format_table_name(queue_name, 'q');
BEGIN
    sql := FORMAT(
        $QUERY$
        UPDATE pgmq.%I
        SET vt = $1
        WHERE msg_id = $2
        RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers;
        $QUERY$,
        qtable
    );
    RETURN QUERY EXECUTE sql USING vt, msg_id;
END;
$_$;


--
-- Name: test_routing(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.test_routing(routing_key text) RETURNS TABLE(pattern text, queue_name text, compiled_regex text)
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
    PERFORM pgmq.validate_routing_key(routing_key);
    RETURN QUERY
        SELECT b.pattern,
               b.queue_name,
               b.compiled_regex
        FROM pgmq.topic_bindings b
        WHERE routing_key ~ b.compiled_regex
        ORDER BY b.pattern;
END;
$$;


--
-- Name: unbind_topic(text, text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.unbind_topic(pattern text, queue_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    rows_deleted integer;
BEGIN
    IF pattern IS NULL OR pattern = '' THEN
        RAISE EXCEPTION 'pattern cannot be NULL or empty';
    END IF;

    IF queue_name IS NULL OR queue_name = '' THEN
        RAISE EXCEPTION 'queue_name cannot be NULL or empty';
    END IF;

    DELETE
    FROM pgmq.topic_bindings
    WHERE topic_bindings.pattern = unbind_topic.pattern
      AND topic_bindings.queue_name = unbind_topic.queue_name;

    GET DIAGNOSTICS rows_deleted = ROW_COUNT;

    IF rows_deleted > 0 THEN
        RETURN true;
    ELSE
        RETURN false;
    END IF;
END;
$$;


--
-- Name: update_notify_insert(text, integer); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.update_notify_insert(queue_name text, throttle_interval_ms integer) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF throttle_interval_ms < 0 THEN
        RAISE EXCEPTION 'throttle_interval_ms must be non-negative, got: %', throttle_interval_ms;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pgmq.meta WHERE meta.queue_name = update_notify_insert.queue_name) THEN
        RAISE EXCEPTION 'Queue "%" does not exist. Create the queue first using pgmq.create()', queue_name;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pgmq.notify_insert_throttle WHERE notify_insert_throttle.queue_name = update_notify_insert.queue_name) THEN
        RAISE EXCEPTION 'Queue "%" does not have notify_insert enabled. Enable it first using pgmq.enable_notify_insert()', queue_name;
    END IF;

    UPDATE pgmq.notify_insert_throttle
    SET throttle_interval_ms = update_notify_insert.throttle_interval_ms,
        last_notified_at = to_timestamp(0)
    WHERE notify_insert_throttle.queue_name = update_notify_insert.queue_name;
END;
$$;


--
-- Name: validate_queue_name(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.validate_queue_name(queue_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF length(queue_name) > 47 THEN
    -- complete table identifier must be <= 63
    -- https://www.postgresql.org/docs/17/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    -- e.g. template_pgmq_q_my_queue is an identifier for my_queue when partitioned
    -- template_pgmq_q_ (16) + <a max length queue name> (47) = 63
    RAISE EXCEPTION 'queue name is too long, maximum length is 47 characters';
  END IF;
END;
$$;


--
-- Name: validate_routing_key(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.validate_routing_key(routing_key text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
BEGIN
    -- Valid routing key examples:
    --   "logs.error"
    --   "app.user-service.auth"
    --   "system_events.db.connection_failed"
    --
    -- Invalid routing key examples:
    --   ""                     - empty
    --   ".logs.error"          - starts with dot
    --   "logs.error."          - ends with dot
    --   "logs..error"          - consecutive dots
    --   "logs.error!"          - invalid character
    --   "logs error"           - space not allowed
    --   "logs.*"               - wildcards not allowed in routing keys

    IF routing_key IS NULL OR routing_key = '' THEN
        RAISE EXCEPTION 'routing_key cannot be NULL or empty';
    END IF;

    IF length(routing_key) > 255 THEN
        RAISE EXCEPTION 'routing_key length cannot exceed 255 characters, got % characters', length(routing_key);
    END IF;

    IF routing_key !~ '^[a-zA-Z0-9._-]+$' THEN
        RAISE EXCEPTION 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: %', routing_key;
    END IF;

    IF routing_key ~ '^\.' THEN
        RAISE EXCEPTION 'routing_key cannot start with a dot. Got: %', routing_key;
    END IF;

    IF routing_key ~ '\.$' THEN
        RAISE EXCEPTION 'routing_key cannot end with a dot. Got: %', routing_key;
    END IF;

    IF routing_key ~ '\.\.' THEN
        RAISE EXCEPTION 'routing_key cannot contain consecutive dots. Got: %', routing_key;
    END IF;

    RETURN true;
END;
$_$;


--
-- Name: validate_topic_pattern(text); Type: FUNCTION; Schema: pgmq; Owner: -
--

CREATE FUNCTION pgmq.validate_topic_pattern(pattern text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
BEGIN
    -- Valid pattern examples:
    --   "logs.*"           - matches one segment after logs. (e.g., logs.error, logs.info)
    --   "logs.#"           - matches one or more segments after logs. (e.g., logs.error, logs.api.error)
    --   "*.error"          - matches one segment before .error (e.g., app.error, db.error)
    --   "#.error"          - matches one or more segments before .error (e.g., app.error, x.y.error)
    --   "app.*.#"          - mixed wildcards (one segment then one or more)
    --   "#"                - catch-all pattern, matches any routing key
    --
    -- Invalid pattern examples:
    --   ".logs.*"          - starts with dot
    --   "logs.*."          - ends with dot
    --   "logs..error"      - consecutive dots
    --   "logs.**"          - consecutive stars
    --   "logs.##"          - consecutive hashes
    --   "logs.*#"          - adjacent wildcards
    --   "logs.error!"      - invalid character

    IF pattern IS NULL OR pattern = '' THEN
        RAISE EXCEPTION 'pattern cannot be NULL or empty';
    END IF;

    IF length(pattern) > 255 THEN
        RAISE EXCEPTION 'pattern length cannot exceed 255 characters, got % characters', length(pattern);
    END IF;

    IF pattern !~ '^[a-zA-Z0-9._\-*#]+$' THEN
        RAISE EXCEPTION 'pattern contains invalid characters. Only alphanumeric, dots, hyphens, underscores, *, and # are allowed. Got: %', pattern;
    END IF;

    IF pattern ~ '^\.' THEN
        RAISE EXCEPTION 'pattern cannot start with a dot. Got: %', pattern;
    END IF;

    IF pattern ~ '\.$' THEN
        RAISE EXCEPTION 'pattern cannot end with a dot. Got: %', pattern;
    END IF;

    IF pattern ~ '\.\.' THEN
        RAISE EXCEPTION 'pattern cannot contain consecutive dots. Got: %', pattern;
    END IF;

    IF pattern ~ '\*\*' THEN
        RAISE EXCEPTION 'pattern cannot contain consecutive stars (**). Use # for multi-segment matching. Got: %', pattern;
    END IF;

    IF pattern ~ '##' THEN
        RAISE EXCEPTION 'pattern cannot contain consecutive hashes (##). A single # already matches zero or more segments. Got: %', pattern;
    END IF;

    IF pattern ~ '\*#' OR pattern ~ '#\*' THEN
        RAISE EXCEPTION 'pattern cannot contain adjacent wildcards (*# or #*). Separate wildcards with dots. Got: %', pattern;
    END IF;

    RETURN true;
END;
$_$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: stripe_events; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.stripe_events (
    id text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    processed_at timestamp with time zone,
    outcome text,
    CONSTRAINT stripe_events_id_check CHECK (((id ~ '^evt_[A-Za-z0-9_]+$'::text) AND (length(id) <= 255)))
);

ALTER TABLE ONLY app.stripe_events FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE stripe_events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.stripe_events IS 'Verified Stripe webhook events, one row per event id; processed_at/outcome record what they did.';


--
-- Name: users; Type: TABLE; Schema: app; Owner: -
--

CREATE TABLE app.users (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    email extensions.citext NOT NULL,
    role text NOT NULL,
    full_name text NOT NULL,
    locale text DEFAULT 'en'::text NOT NULL,
    phone text,
    email_confirmed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_check CHECK (((length((email)::text) <= 254) AND ((email)::text ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'::text))),
    CONSTRAINT users_full_name_check CHECK (((length(btrim(full_name)) >= 1) AND (length(btrim(full_name)) <= 200))),
    CONSTRAINT users_locale_check CHECK ((locale = ANY (ARRAY['en'::text, 'fr'::text]))),
    CONSTRAINT users_phone_check CHECK ((phone ~ '^\+[1-9][0-9]{6,14}$'::text)),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['customer'::text, 'provider'::text, 'ops'::text])))
);

ALTER TABLE ONLY app.users FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON TABLE app.users IS 'Accounts: one row per person (customer, provider or ops), with the editable profile.';


--
-- Name: access_log; Type: TABLE; Schema: audit; Owner: -
--

CREATE TABLE audit.access_log (
    id bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    request_id text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    status integer NOT NULL,
    role text,
    sub text,
    client_addr text,
    bytes integer,
    duration_ms numeric(10,3)
);

ALTER TABLE ONLY audit.access_log FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON TABLE audit.access_log IS 'Every API request as nginx saw it: time, role and sub presented, method, path, status, client address, request id.';


--
-- Name: access_log_id_seq; Type: SEQUENCE; Schema: audit; Owner: -
--

ALTER TABLE audit.access_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME audit.access_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: action_log; Type: TABLE; Schema: audit; Owner: -
--

CREATE TABLE audit.action_log (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    actor_id uuid,
    actor_role text NOT NULL,
    action text NOT NULL,
    table_name text NOT NULL,
    row_id text,
    reason text,
    before jsonb,
    after jsonb,
    request_id text
);

ALTER TABLE ONLY audit.action_log FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE action_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON TABLE audit.action_log IS 'Append-only log of every state-changing action: actor, action, row, before/after, reason, request id.';


--
-- Name: action_log_id_seq; Type: SEQUENCE; Schema: audit; Owner: -
--

ALTER TABLE audit.action_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME audit.action_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: credentials; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.credentials (
    user_id uuid NOT NULL,
    password_hash text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY auth.credentials FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE credentials; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.credentials IS 'bcrypt password hashes (pgcrypto crypt/gen_salt(bf)).';


--
-- Name: login_attempts; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.login_attempts (
    id bigint NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    email extensions.citext NOT NULL,
    client_addr text,
    succeeded boolean NOT NULL
);

ALTER TABLE ONLY auth.login_attempts FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE login_attempts; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.login_attempts IS 'Every login attempt, for throttling by email and by client address.';


--
-- Name: login_attempts_id_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

ALTER TABLE auth.login_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME auth.login_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: one_time_tokens; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.one_time_tokens (
    id bigint NOT NULL,
    user_id uuid NOT NULL,
    purpose text NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT one_time_tokens_purpose_check CHECK ((purpose = ANY (ARRAY['confirm_email'::text, 'reset_password'::text])))
);

ALTER TABLE ONLY auth.one_time_tokens FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE one_time_tokens; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.one_time_tokens IS 'Single-use email confirmation and password reset tokens (hashes).';


--
-- Name: one_time_tokens_id_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

ALTER TABLE auth.one_time_tokens ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME auth.one_time_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: rate_counters; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.rate_counters (
    bucket text NOT NULL,
    window_start timestamp with time zone NOT NULL,
    hits integer DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY auth.rate_counters FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE rate_counters; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.rate_counters IS 'Fixed-window request counters per identity (pre-request hook, writes).';


--
-- Name: refresh_tokens; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.refresh_tokens (
    id bigint NOT NULL,
    user_id uuid NOT NULL,
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    revoked_at timestamp with time zone
);

ALTER TABLE ONLY auth.refresh_tokens FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE refresh_tokens; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.refresh_tokens IS 'Opaque refresh tokens, stored as SHA-256 hashes; a family (session) is one login''s chain of rotations.';


--
-- Name: refresh_tokens_id_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

ALTER TABLE auth.refresh_tokens ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME auth.refresh_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: sessions; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.sessions (
    id uuid DEFAULT extensions.gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_refreshed_at timestamp with time zone,
    revoked_at timestamp with time zone,
    revoked_reason text
);

ALTER TABLE ONLY auth.sessions FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE sessions; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.sessions IS 'One row per login; access tokens carry its id (sid), so revoking it ends every token at once.';


--
-- Name: settings; Type: TABLE; Schema: internal; Owner: -
--

CREATE TABLE internal.settings (
    key text NOT NULL,
    value text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY internal.settings FORCE ROW LEVEL SECURITY;


--
-- Name: TABLE settings; Type: COMMENT; Schema: internal; Owner: -
--

COMMENT ON TABLE internal.settings IS 'Deploy-time configuration (secrets, versions); written by deploy, read by definer helpers only.';


--
-- Name: a_notifications; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_notifications (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: a_notifications_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_notifications_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: a_payments; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_payments (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: a_payments_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.a_payments_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: meta; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.meta (
    queue_name character varying NOT NULL,
    is_partitioned boolean NOT NULL,
    is_unlogged boolean NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: notify_insert_throttle; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE UNLOGGED TABLE pgmq.notify_insert_throttle (
    queue_name character varying NOT NULL,
    throttle_interval_ms integer DEFAULT 0 NOT NULL,
    last_notified_at timestamp with time zone DEFAULT to_timestamp((0)::double precision) NOT NULL
);


--
-- Name: q_notifications; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_notifications (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
)
WITH (autovacuum_vacuum_scale_factor='0.0', autovacuum_vacuum_threshold='1000', autovacuum_vacuum_cost_limit='2000', autovacuum_vacuum_cost_delay='1');


--
-- Name: q_notifications_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_notifications_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: q_notifications_dlq_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_notifications_dlq ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_notifications_dlq_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: q_notifications_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_notifications ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_notifications_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: q_payments; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_payments (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
)
WITH (autovacuum_vacuum_scale_factor='0.0', autovacuum_vacuum_threshold='1000', autovacuum_vacuum_cost_limit='2000', autovacuum_vacuum_cost_delay='1');


--
-- Name: q_payments_dlq; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.q_payments_dlq (
    msg_id bigint NOT NULL,
    read_ct integer DEFAULT 0 NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone,
    vt timestamp with time zone NOT NULL,
    message jsonb,
    headers jsonb
);


--
-- Name: q_payments_dlq_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_payments_dlq ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_payments_dlq_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: q_payments_msg_id_seq; Type: SEQUENCE; Schema: pgmq; Owner: -
--

ALTER TABLE pgmq.q_payments ALTER COLUMN msg_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgmq.q_payments_msg_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: topic_bindings; Type: TABLE; Schema: pgmq; Owner: -
--

CREATE TABLE pgmq.topic_bindings (
    pattern text NOT NULL,
    queue_name text NOT NULL,
    bound_at timestamp with time zone DEFAULT now() NOT NULL,
    compiled_regex text GENERATED ALWAYS AS ((('^'::text || replace(replace(regexp_replace(pattern, '([.+?{}()|\[\]\\^$])'::text, '\\\1'::text, 'g'::text), '*'::text, '[^.]+'::text), '#'::text, '.*'::text)) || '$'::text)) STORED
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: stripe_events stripe_events_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.stripe_events
    ADD CONSTRAINT stripe_events_pkey PRIMARY KEY (id);


--
-- Name: users users_email_key; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_email_key UNIQUE (email);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: app; Owner: -
--

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: access_log access_log_pkey; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.access_log
    ADD CONSTRAINT access_log_pkey PRIMARY KEY (id);


--
-- Name: access_log access_log_request_id_key; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.access_log
    ADD CONSTRAINT access_log_request_id_key UNIQUE (request_id);


--
-- Name: action_log action_log_pkey; Type: CONSTRAINT; Schema: audit; Owner: -
--

ALTER TABLE ONLY audit.action_log
    ADD CONSTRAINT action_log_pkey PRIMARY KEY (id);


--
-- Name: credentials credentials_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.credentials
    ADD CONSTRAINT credentials_pkey PRIMARY KEY (user_id);


--
-- Name: login_attempts login_attempts_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.login_attempts
    ADD CONSTRAINT login_attempts_pkey PRIMARY KEY (id);


--
-- Name: one_time_tokens one_time_tokens_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.one_time_tokens
    ADD CONSTRAINT one_time_tokens_pkey PRIMARY KEY (id);


--
-- Name: one_time_tokens one_time_tokens_token_hash_key; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.one_time_tokens
    ADD CONSTRAINT one_time_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: rate_counters rate_counters_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.rate_counters
    ADD CONSTRAINT rate_counters_pkey PRIMARY KEY (bucket, window_start);


--
-- Name: refresh_tokens refresh_tokens_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id);


--
-- Name: refresh_tokens refresh_tokens_token_hash_key; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: internal; Owner: -
--

ALTER TABLE ONLY internal.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);


--
-- Name: a_notifications_dlq a_notifications_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_notifications_dlq
    ADD CONSTRAINT a_notifications_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: a_notifications a_notifications_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_notifications
    ADD CONSTRAINT a_notifications_pkey PRIMARY KEY (msg_id);


--
-- Name: a_payments_dlq a_payments_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_payments_dlq
    ADD CONSTRAINT a_payments_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: a_payments a_payments_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.a_payments
    ADD CONSTRAINT a_payments_pkey PRIMARY KEY (msg_id);


--
-- Name: meta meta_queue_name_key; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.meta
    ADD CONSTRAINT meta_queue_name_key UNIQUE (queue_name);


--
-- Name: notify_insert_throttle notify_insert_throttle_queue_name_key; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.notify_insert_throttle
    ADD CONSTRAINT notify_insert_throttle_queue_name_key UNIQUE (queue_name);


--
-- Name: q_notifications_dlq q_notifications_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_notifications_dlq
    ADD CONSTRAINT q_notifications_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: q_notifications q_notifications_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_notifications
    ADD CONSTRAINT q_notifications_pkey PRIMARY KEY (msg_id);


--
-- Name: q_payments_dlq q_payments_dlq_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_payments_dlq
    ADD CONSTRAINT q_payments_dlq_pkey PRIMARY KEY (msg_id);


--
-- Name: q_payments q_payments_pkey; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.q_payments
    ADD CONSTRAINT q_payments_pkey PRIMARY KEY (msg_id);


--
-- Name: topic_bindings topic_bindings_unique_pattern_queue; Type: CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.topic_bindings
    ADD CONSTRAINT topic_bindings_unique_pattern_queue UNIQUE (pattern, queue_name);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: stripe_events_type_received_at_idx; Type: INDEX; Schema: app; Owner: -
--

CREATE INDEX stripe_events_type_received_at_idx ON app.stripe_events USING btree (type, received_at);


--
-- Name: access_log_occurred_at_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX access_log_occurred_at_idx ON audit.access_log USING btree (occurred_at);


--
-- Name: access_log_sub_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX access_log_sub_idx ON audit.access_log USING btree (sub);


--
-- Name: action_log_actor_id_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX action_log_actor_id_idx ON audit.action_log USING btree (actor_id);


--
-- Name: action_log_table_name_row_id_idx; Type: INDEX; Schema: audit; Owner: -
--

CREATE INDEX action_log_table_name_row_id_idx ON audit.action_log USING btree (table_name, row_id);


--
-- Name: login_attempts_client_addr_attempted_at_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX login_attempts_client_addr_attempted_at_idx ON auth.login_attempts USING btree (client_addr, attempted_at);


--
-- Name: login_attempts_email_attempted_at_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX login_attempts_email_attempted_at_idx ON auth.login_attempts USING btree (email, attempted_at);


--
-- Name: one_time_tokens_user_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX one_time_tokens_user_id_idx ON auth.one_time_tokens USING btree (user_id);


--
-- Name: refresh_tokens_family_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX refresh_tokens_family_id_idx ON auth.refresh_tokens USING btree (family_id);


--
-- Name: refresh_tokens_user_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX refresh_tokens_user_id_idx ON auth.refresh_tokens USING btree (user_id);


--
-- Name: sessions_user_id_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX sessions_user_id_idx ON auth.sessions USING btree (user_id);


--
-- Name: archived_at_idx_notifications; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_notifications ON pgmq.a_notifications USING btree (archived_at);


--
-- Name: archived_at_idx_notifications_dlq; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_notifications_dlq ON pgmq.a_notifications_dlq USING btree (archived_at);


--
-- Name: archived_at_idx_payments; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_payments ON pgmq.a_payments USING btree (archived_at);


--
-- Name: archived_at_idx_payments_dlq; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX archived_at_idx_payments_dlq ON pgmq.a_payments_dlq USING btree (archived_at);


--
-- Name: idx_notify_throttle_active; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX idx_notify_throttle_active ON pgmq.notify_insert_throttle USING btree (queue_name, last_notified_at) WHERE (throttle_interval_ms > 0);


--
-- Name: idx_topic_bindings_covering; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX idx_topic_bindings_covering ON pgmq.topic_bindings USING btree (pattern) INCLUDE (queue_name, compiled_regex);


--
-- Name: q_notifications_dlq_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_notifications_dlq_vt_idx ON pgmq.q_notifications_dlq USING btree (vt);


--
-- Name: q_notifications_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_notifications_vt_idx ON pgmq.q_notifications USING btree (vt);


--
-- Name: q_payments_dlq_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_payments_dlq_vt_idx ON pgmq.q_payments_dlq USING btree (vt);


--
-- Name: q_payments_vt_idx; Type: INDEX; Schema: pgmq; Owner: -
--

CREATE INDEX q_payments_vt_idx ON pgmq.q_payments USING btree (vt);


--
-- Name: credentials credentials_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.credentials
    ADD CONSTRAINT credentials_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: one_time_tokens one_time_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.one_time_tokens
    ADD CONSTRAINT one_time_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: refresh_tokens refresh_tokens_family_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_family_id_fkey FOREIGN KEY (family_id) REFERENCES auth.sessions(id) ON DELETE CASCADE;


--
-- Name: refresh_tokens refresh_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.refresh_tokens
    ADD CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;


--
-- Name: notify_insert_throttle notify_insert_throttle_meta_queue_name_fk; Type: FK CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.notify_insert_throttle
    ADD CONSTRAINT notify_insert_throttle_meta_queue_name_fk FOREIGN KEY (queue_name) REFERENCES pgmq.meta(queue_name) ON DELETE CASCADE;


--
-- Name: topic_bindings topic_bindings_meta_queue_name_fk; Type: FK CONSTRAINT; Schema: pgmq; Owner: -
--

ALTER TABLE ONLY pgmq.topic_bindings
    ADD CONSTRAINT topic_bindings_meta_queue_name_fk FOREIGN KEY (queue_name) REFERENCES pgmq.meta(queue_name) ON DELETE CASCADE;


--
-- Name: stripe_events select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.stripe_events FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON stripe_events; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.stripe_events IS 'Ops staff read received Stripe events.';


--
-- Name: users select_ops; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_ops ON app.users FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_ops ON app.users IS 'Ops staff read every account.';


--
-- Name: users select_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY select_own ON app.users FOR SELECT TO customer, provider, ops USING ((id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY select_own ON users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY select_own ON app.users IS 'A signed-in user reads their own account.';


--
-- Name: stripe_events; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.stripe_events ENABLE ROW LEVEL SECURITY;

--
-- Name: users update_own; Type: POLICY; Schema: app; Owner: -
--

CREATE POLICY update_own ON app.users FOR UPDATE TO customer, provider, ops USING ((id = ( SELECT auth.uid() AS uid))) WITH CHECK ((id = ( SELECT auth.uid() AS uid)));


--
-- Name: POLICY update_own ON users; Type: COMMENT; Schema: app; Owner: -
--

COMMENT ON POLICY update_own ON app.users IS 'A signed-in user edits their own profile fields.';


--
-- Name: users; Type: ROW SECURITY; Schema: app; Owner: -
--

ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;

--
-- Name: access_log; Type: ROW SECURITY; Schema: audit; Owner: -
--

ALTER TABLE audit.access_log ENABLE ROW LEVEL SECURITY;

--
-- Name: action_log; Type: ROW SECURITY; Schema: audit; Owner: -
--

ALTER TABLE audit.action_log ENABLE ROW LEVEL SECURITY;

--
-- Name: access_log insert_worker; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY insert_worker ON audit.access_log FOR INSERT TO bookiji_worker WITH CHECK (true);


--
-- Name: POLICY insert_worker ON access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY insert_worker ON audit.access_log IS 'The log shipper appends rows; nobody updates or deletes them.';


--
-- Name: access_log select_ops; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY select_ops ON audit.access_log FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY select_ops ON audit.access_log IS 'Ops staff read the access log.';


--
-- Name: action_log select_ops; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY select_ops ON audit.action_log FOR SELECT TO ops USING (true);


--
-- Name: POLICY select_ops ON action_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY select_ops ON audit.action_log IS 'Ops staff read the whole audit trail.';


--
-- Name: access_log select_worker; Type: POLICY; Schema: audit; Owner: -
--

CREATE POLICY select_worker ON audit.access_log FOR SELECT TO bookiji_worker USING (true);


--
-- Name: POLICY select_worker ON access_log; Type: COMMENT; Schema: audit; Owner: -
--

COMMENT ON POLICY select_worker ON audit.access_log IS 'The shipper''s on-conflict check sees existing rows (only the request_id column is granted).';


--
-- Name: credentials; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.credentials ENABLE ROW LEVEL SECURITY;

--
-- Name: login_attempts; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.login_attempts ENABLE ROW LEVEL SECURITY;

--
-- Name: one_time_tokens; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.one_time_tokens ENABLE ROW LEVEL SECURITY;

--
-- Name: rate_counters; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.rate_counters ENABLE ROW LEVEL SECURITY;

--
-- Name: refresh_tokens; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.refresh_tokens ENABLE ROW LEVEL SECURITY;

--
-- Name: sessions; Type: ROW SECURITY; Schema: auth; Owner: -
--

ALTER TABLE auth.sessions ENABLE ROW LEVEL SECURITY;

--
-- Name: settings; Type: ROW SECURITY; Schema: internal; Owner: -
--

ALTER TABLE internal.settings ENABLE ROW LEVEL SECURITY;

--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261124000001'),
    ('20261124000002'),
    ('20261124000003'),
    ('20261124010000'),
    ('20261124010100'),
    ('20261124030100');
