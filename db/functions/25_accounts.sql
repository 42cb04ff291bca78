-- Accounts: sign-up, login (throttled), refresh (rotated, reuse detection),
-- logout, email confirmation, password reset, profile. The definer bodies live
-- in auth; api holds thin invoker wrappers that PostgREST exposes.

create or replace function auth.normalize_email(p_email text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.lower(pg_catalog.btrim(p_email))
$$;
comment on function auth.normalize_email(text) is 'Emails are compared trimmed and lower-cased.';

create or replace function auth.check_email(p_email text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
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
$$;
comment on function auth.check_email(text) is 'Refuse a missing, oversized or malformed email (400, names the field).';

create or replace function auth.check_password(p_password text, p_email text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
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
comment on function auth.check_password(text, text) is
'Password rules: 10 characters or more, at most 72 bytes (bcrypt), not the email.';

create or replace function auth.check_profile(p_full_name text, p_locale text, p_phone text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    perform internal.require_text(p_full_name, 'full_name');
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
$$;
comment on function auth.check_profile(text, text, text) is 'Profile field rules (400 naming the field).';

create or replace function auth.issue_one_time_token(p_user_id uuid, p_purpose text, p_ttl interval)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function auth.issue_one_time_token(uuid, text, interval) is
'Create a single-use token (only its hash is stored). Definer: writes auth.one_time_tokens.';

create or replace function auth.consume_one_time_token(p_token text, p_purpose text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function auth.consume_one_time_token(text, text) is
'Use a single-use token once; refuse unknown, used or expired ones. Definer: reads auth.one_time_tokens.';

create or replace function auth.signup(
    p_email text,
    p_password text,
    p_full_name text,
    p_role text,
    p_locale text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_email text := auth.normalize_email(p_email);
    v_user_id uuid;
    v_token text;
    -- 409 email_taken tells whether an address has an account: at most this
    -- many a minute per client address, then every sign-up from it waits
    v_max_taken integer := coalesce(internal.setting('signup_taken_per_minute_per_address')::integer, 5);
    v_bucket text := 'signup_taken:' || auth.client_addr();
    v_retry_after integer;
begin
    perform auth.check_email(v_email);
    perform auth.check_password(p_password, v_email);
    perform auth.check_profile(p_full_name, coalesce(p_locale, 'en'), null);
    if coalesce(p_role, 'customer') not in ('customer', 'provider') then
        perform internal.fail('invalid_input', 'role must be ''customer'' or ''provider''');
    end if;
    -- before bcrypt, and for a new email too, so that the 429 itself tells nothing
    select ceil(extract(epoch from (min(e.at) + interval '1 minute' - pg_catalog.now())))::integer
    into v_retry_after
    from auth.rate_events as e
    where e.bucket = v_bucket and e.at > pg_catalog.now() - interval '1 minute'
    having count(*) >= v_max_taken;
    if v_retry_after is not null then
        perform pg_catalog.set_config('response.status', '429', true);
        perform pg_catalog.set_config(
            'response.headers',
            pg_catalog.jsonb_build_array(
                pg_catalog.jsonb_build_object('Retry-After', greatest(v_retry_after, 1)::text)
            )::text,
            true
        );
        return pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many sign-ups; retry in %s seconds', greatest(v_retry_after, 1))
        );
    end if;
    begin
        insert into app.users (email, role, full_name, locale)
        values (v_email, coalesce(p_role, 'customer'), pg_catalog.btrim(p_full_name), coalesce(p_locale, 'en'))
        returning id into v_user_id;
    exception when unique_violation then
        -- counted, so returned rather than raised (a raise would roll the count
        -- back); never echo the constraint's detail (it would repeat the address)
        insert into auth.rate_events (bucket) values (v_bucket);
        perform pg_catalog.set_config('response.status', '409', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT409', 'hint', 'email_taken', 'details', null,
            'message', 'an account with this email already exists'
        );
    end;
    insert into auth.credentials (user_id, password_hash)
    values (v_user_id, extensions.crypt(p_password, extensions.gen_salt('bf', 10)));
    v_token := auth.issue_one_time_token(v_user_id, 'confirm_email', interval '48 hours');
    -- the token's hash identifies this request (the token itself is a secret)
    perform internal.notify(
        'email_confirmation', v_user_id,
        'email_confirmation:' || pg_catalog.encode(auth.token_hash(v_token), 'hex'),
        pg_catalog.jsonb_build_object('token', v_token)
    );
    perform internal.audit('signup', 'app.users', v_user_id::text, null, auth.user_json(v_user_id),
        null, v_user_id, coalesce(p_role, 'customer'));
    return auth.issue_session(v_user_id);
end
$$;
comment on function auth.signup(text, text, text, text, text) is
$$Create a customer or provider account and its first session; at most 5 email_taken answers a minute per
client address. Definer: writes app.users and auth tables for anon.$$;

create or replace function auth.login(p_email text, p_password text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_email text := auth.normalize_email(coalesce(p_email, ''));
    v_addr text := auth.client_addr();
    v_window interval := pg_catalog.make_interval(
        secs => coalesce(internal.setting('login_window_seconds')::integer, 900)
    );
    -- failures one address may make for one email before the delays start
    v_free integer := coalesce(internal.setting('login_free_failures_per_email_and_address')::integer, 5);
    -- the first delay; it doubles with each further failure, up to the window
    v_delay integer := coalesce(internal.setting('login_delay_seconds')::integer, 30);
    -- across every address: far above v_free, so that a stranger cannot lock the owner out
    v_max_email integer := coalesce(internal.setting('login_max_failures_per_email')::integer, 50);
    v_max_addr integer := coalesce(internal.setting('login_max_failures_per_address')::integer, 30);
    v_pair_failures integer;
    v_pair_last timestamptz;
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

    -- 1. this address and this email: failures since the pair's last success;
    -- past v_free, each further attempt waits v_delay * 2^(failures - v_free)
    -- after the last failure (30 s, 1, 2, 4, 8 min, then the window)
    -- (citext's own operator, named: with search_path '' a plain = compares
    -- as text and cannot use the email indexes)
    select count(*), max(la.attempted_at) into v_pair_failures, v_pair_last
    from auth.login_attempts as la
    where la.email operator(extensions.=) v_email::extensions.citext
        and la.client_addr = v_addr and not la.succeeded
        and la.attempted_at > pg_catalog.now() - v_window
        and la.attempted_at > coalesce((
            select max(ok.attempted_at) from auth.login_attempts as ok
            where ok.email operator(extensions.=) v_email::extensions.citext
                and ok.client_addr = v_addr and ok.succeeded
                and ok.attempted_at > pg_catalog.now() - v_window
        ), '-infinity');
    if v_pair_failures >= v_free then
        v_retry_after := ceil(extract(epoch from (
            v_pair_last
            + pg_catalog.make_interval(secs => least(
                v_delay * power(2, least(v_pair_failures - v_free, 30)),
                extract(epoch from v_window)
            ))
            - pg_catalog.now()
        )))::integer;
        if v_retry_after <= 0 then
            v_retry_after := null;
        end if;
    end if;
    -- 2. this email from every address: a cap far above v_free
    if v_retry_after is null then
        select ceil(extract(epoch from (min(a.attempted_at) + v_window - pg_catalog.now())))::integer
        into v_retry_after
        from (
            select la.attempted_at from auth.login_attempts as la
            where la.email operator(extensions.=) v_email::extensions.citext and not la.succeeded
                and la.attempted_at > pg_catalog.now() - v_window
            order by la.attempted_at desc
            limit v_max_email
        ) as a
        having count(*) >= v_max_email;
    end if;
    -- 3. this address, whatever the email
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

    select * into v_user from app.users as u
    where u.email operator(extensions.=) v_email::extensions.citext;  -- users_email_key
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
$$;
comment on function auth.login(text, text) is
$$Check a password and start a session. Throttled per (email, client address) with doubling delays after 5
failures, per email across all addresses (50 failures in 15 minutes) and per address (30). Definer: reads credentials.$$;

create or replace function auth.refresh(p_refresh_token text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function auth.refresh(text) is
'Rotate a refresh token; a reused one revokes its whole session. Definer: reads auth.refresh_tokens.';

create or replace function auth.logout()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function auth.logout() is
'End the caller''s session (every session when the token has no sid). Definer: writes auth.sessions.';

create or replace function auth.revoke_sessions(p_user_id uuid, p_reason text)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function auth.revoke_sessions(uuid, text) is
'Revoke every session of a user (ops tooling, password reset). Definer: writes auth.sessions.';

create or replace function auth.confirm_email(p_token text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function auth.confirm_email(text) is
'Confirm an email with its single-use token. Definer: anon completes it.';

create or replace function auth.request_password_reset(p_email text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_user_id uuid;
    v_token text;
    v_max integer := coalesce(internal.setting('password_reset_emails_per_hour')::integer, 3);
    v_recent integer;
begin
    perform auth.check_email(auth.normalize_email(p_email));
    -- a deleted account (api.delete_my_account) has no password to reset
    select u.id into v_user_id from app.users as u
    where u.email operator(extensions.=) auth.normalize_email(p_email)::extensions.citext
        and u.deleted_at is null;
    if v_user_id is not null then
        -- at most v_max reset emails an hour per recipient; past that the
        -- answer is the same but nothing is sent (one request at a time per
        -- account, so concurrent requests cannot slip past the count)
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('password_reset:' || v_user_id::text));
        select count(*) into v_recent from auth.one_time_tokens as t
        where t.user_id = v_user_id and t.purpose = 'reset_password'
            and t.created_at > pg_catalog.now() - interval '1 hour';
        if v_recent >= v_max then
            v_user_id := null;
        end if;
    end if;
    if v_user_id is not null then
        v_token := auth.issue_one_time_token(v_user_id, 'reset_password', interval '1 hour');
        perform internal.notify(
            'password_reset', v_user_id,
            'password_reset:' || pg_catalog.encode(auth.token_hash(v_token), 'hex'),
            pg_catalog.jsonb_build_object('token', v_token)
        );
    end if;
    -- the same answer whether or not the account exists
    return pg_catalog.jsonb_build_object('requested', true);
end
$$;
comment on function auth.request_password_reset(text) is
'Email a single-use password reset token if the account exists, at most 3 an hour per account. Definer: anon requests it.';

create or replace function auth.reset_password(p_token text, p_new_password text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function auth.reset_password(text, text) is
'Set a new password with a reset token and sign out every session. Definer: anon completes it.';

create or replace function internal.create_ops_user(p_email text, p_password text, p_full_name text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function internal.create_ops_user(text, text, text) is
'Create an ops account (command line only; never exposed over HTTP).';

-- api: the HTTP surface (invoker wrappers)

create or replace function api.signup(
    email text default null,
    password text default null,
    full_name text default null,
    role text default 'customer',
    locale text default 'en'
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select auth.signup(email, password, full_name, role, locale)
$$;
comment on function api.signup(text, text, text, text, text) is
$$Create an account and sign in.

Inputs: email (unique, normalised), password (10+ characters, at most 72 bytes, not the email), full_name, role ('customer' or 'provider'; ops accounts are made with the command line), locale ('en' or 'fr').
Returns the user and a session (access_token, refresh_token). A confirmation email is queued.
Errors: 400 invalid_input naming the field; 409 email_taken; 405 method_not_allowed for GET/HEAD;
429 rate_limited with Retry-After for a minute after 5 email_taken answers to one client address (whatever the email).$$;

create or replace function api.login(email text default null, password text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select auth.login(email, password)
$$;
comment on function api.login(text, text) is
$$Sign in with email and password.

Returns access_token (15 minutes), refresh_token and the user.
Errors: 401 invalid_credentials (the same for an unknown email and a wrong password); 405 method_not_allowed for GET/HEAD.
429 rate_limited with Retry-After: after 5 failures for one email from one client address each further attempt from that address waits 30 s, then 1, 2, 4, 8 minutes (a success resets it);
after 50 failures for one email from all addresses in 15 minutes; after 30 failures from one address in 15 minutes.$$;

create or replace function api.refresh(refresh_token text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select auth.refresh(refresh_token)
$$;
comment on function api.refresh(text) is
$$Exchange a refresh token for a new access token and a new refresh token.

The old refresh token stops working. Presenting an already-used one revokes the whole session (theft detection).
Errors: 401 invalid_token.$$;

create or replace function api.logout()
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select auth.logout()
$$;
comment on function api.logout() is
$$Sign out: revoke the caller's session; its access and refresh tokens stop working at once.$$;

create or replace function api.confirm_email(token text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select auth.confirm_email(token)
$$;
comment on function api.confirm_email(text) is
$$Confirm an email address with the single-use token from the confirmation email.

Errors: 400 invalid_one_time_token (unknown, used or expired).$$;

create or replace function api.request_password_reset(email text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select auth.request_password_reset(email)
$$;
comment on function api.request_password_reset(text) is
$$Ask for a password reset email. The answer is the same whether or not the account exists.

At most 3 reset emails an hour go to one account; further requests get the same answer and send nothing.
Errors: 400 invalid_input for a malformed email; 405 method_not_allowed for GET/HEAD.$$;

create or replace function api.reset_password(token text default null, new_password text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select auth.reset_password(token, new_password)
$$;
comment on function api.reset_password(text, text) is
$$Set a new password with the single-use token from the reset email; every session is signed out.

Errors: 400 invalid_one_time_token; 400 invalid_input for a weak password.$$;

create or replace function api.me()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'id', u.id, 'email', u.email, 'role', u.role, 'full_name', u.full_name,
        'locale', u.locale, 'phone', u.phone, 'email_confirmed', u.email_confirmed_at is not null,
        'created_at', u.created_at
    )
    from app.users as u
    where u.id = auth.uid()
$$;
comment on function api.me() is $$The caller's own profile (null without a token).$$;

create or replace function api.update_me(
    full_name text default null,
    locale text default null,
    phone text default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
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
comment on function api.update_me(text, text, text) is
$$Edit the caller's profile: full_name, locale ('en' or 'fr'), phone (E.164; '' clears it). Omitted fields stay.

Errors: 400 invalid_input naming the field.$$;
