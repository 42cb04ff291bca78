-- The real-time service (realtime/, docs/realtime.md) logs in as authenticator,
-- exactly as PostgREST does, and switches to each subscriber's role with its
-- claims to read api.events: row-level security decides every delivery. These
-- three definers are all it needs beyond that; execute is granted to
-- authenticator alone (db/policies/zz_realtime_functions.sql).
--
--   auth.verify_token     a token checked as PostgREST and its pre-request hook
--                         check it: HS256 signature with the JWT secret (or,
--                         during a rotation, the previous one), then
--                         auth.check_request (exp, iat, aud, role, revoked session)
--   auth.event_log_bounds the oldest event still kept and the last id allocated,
--                         whoever may read them: resume decides with them
--   auth.event_ids_after  the ids (and kinds) of the events committed after an id,
--                         and of the listed earlier ones: the real-time service and
--                         the read router poll the log with it (no NOTIFY: a
--                         transaction that notifies commits alone, docs/events.md)

create or replace function auth.verify_token(p_token text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_parts text[] := pg_catalog.string_to_array(coalesce(p_token, ''), '.');
    v_header jsonb;
    v_claims jsonb;
    v_secret text;
    v_valid boolean := false;
begin
    if pg_catalog.array_length(v_parts, 1) is distinct from 3
        or pg_catalog.length(p_token) > 8192 then
        perform internal.fail('invalid_token', 'the access token is not a JWT');
    end if;
    begin
        v_header := pg_catalog.convert_from(auth.base64url_decode(v_parts[1]), 'utf8')::jsonb;
        v_claims := pg_catalog.convert_from(auth.base64url_decode(v_parts[2]), 'utf8')::jsonb;
    exception when others then
        perform internal.fail('invalid_token', 'the access token is not a JWT');
    end;
    if pg_catalog.jsonb_typeof(v_header) is distinct from 'object'
        or pg_catalog.jsonb_typeof(v_claims) is distinct from 'object'
        or v_header ->> 'alg' is distinct from 'HS256' then
        perform internal.fail('invalid_token', 'the access token is not an HS256 JWT');
    end if;
    -- the current key, then the previous one while a rotation lasts (deploy writes
    -- jwt_secret_previous from JWT_SECRET_PREVIOUS, empty otherwise): PostgREST is
    -- given both as a JWKS meanwhile (bookiji/postgrest.py)
    foreach v_secret in array array[
        internal.setting('jwt_secret'), internal.setting('jwt_secret_previous')
    ] loop
        if coalesce(v_secret, '') <> ''
            and auth.base64url(extensions.hmac(
                pg_catalog.convert_to(v_parts[1] || '.' || v_parts[2], 'utf8'),
                pg_catalog.convert_to(v_secret, 'utf8'),
                'sha256'
            )) = v_parts[3] then
            v_valid := true;
        end if;
    end loop;
    if not v_valid then
        perform internal.fail('invalid_token', 'the access token''s signature is not valid');
    end if;
    -- the very hook PostgREST runs before every request, as for a read (no write limit)
    perform pg_catalog.set_config('request.jwt.claims', v_claims::text, true);
    perform pg_catalog.set_config('request.method', 'GET', true);
    perform auth.check_request();
    return v_claims;
end
$$;
comment on function auth.verify_token(text) is
$$The claims of a valid access token, checked as PostgREST checks it: the HS256 signature with the JWT secret
(or the previous one while a rotation lasts), then auth.check_request (exp, iat, aud, role, revoked session); invalid_token otherwise.
Definer: reads the JWT secret and the sessions. For the real-time service (authenticator) only.$$;

create or replace function auth.base64url_decode(p_text text)
returns bytea
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
    select pg_catalog.decode(
        pg_catalog.rpad(
            pg_catalog.translate(p_text, '-_', '+/'),
            (pg_catalog.length(p_text) + 3) / 4 * 4,
            '='
        ),
        'base64'
    )
$$;
comment on function auth.base64url_decode(text) is 'Decode base64url without padding (RFC 7515), as JWTs use.';

create or replace function auth.event_log_bounds()
returns table (oldest_id bigint, last_id bigint)
language sql
stable
security definer
set search_path = ''
as $$
    select
        (select e.id from app.events as e order by e.id limit 1),
        coalesce(pg_catalog.pg_sequence_last_value(
            pg_catalog.pg_get_serial_sequence('app.events', 'id')::regclass
        ), 0)
$$;
comment on function auth.event_log_bounds() is
$$The oldest event id still in the log (null when empty) and the newest id, whoever may read them:
the real-time service tells a resume that is too old (resume_window_passed). Definer: reads past row-level security.$$;

create or replace function auth.event_ids_after(p_after bigint, p_holes bigint[], p_limit integer)
returns table (id bigint, kind text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    -- two index scans of the primary key: what is new, in id order up to the limit,
    -- then the holes below it that have committed since (plpgsql: planned once a session)
    return query
    select e.id, e.kind from app.events as e
    where e.id > p_after
    order by e.id
    limit least(greatest(coalesce(p_limit, 1000), 1), 10000);
    if coalesce(pg_catalog.cardinality(p_holes), 0) > 0 then
        return query
        select e.id, e.kind from app.events as e
        where e.id = any(p_holes[1:10000]) and e.id <= p_after;
    end if;
end
$$;
comment on function auth.event_ids_after(bigint, bigint[], integer) is
$$The id and kind of the events after p_after (id order, at most p_limit, 1 to 10,000), and of those
listed in p_holes (ids at or below p_after skipped over before their transaction committed),
whoever may read them: the real-time service and the read router poll the event log with it
(realtime/cursor.py). Kinds only, never a row's data. Definer: reads past row-level security.$$;
