-- The error registry: every refusal the database makes goes through
-- internal.fail(code, message), which raises SQLSTATE PTxyz so that PostgREST
-- answers with HTTP status xyz, and puts the stable machine code in `hint`.
-- docs/errors.md lists the same codes; a test keeps the two in step.

create or replace function internal.error_codes()
returns table (code text, http_status integer, description text)
language sql
immutable
parallel safe
set search_path = ''
as $$
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
        ('method_not_allowed', 405, 'GET or HEAD on a function that changes data; call it with POST.'),
        ('conflict', 409, 'The request conflicts with the current state.'),
        ('slot_unavailable', 409, 'The slot (with its buffers) is taken, or outside the provider''s hours.'),
        ('invalid_transition', 409, 'The booking''s current state does not allow this change.'),
        ('too_late', 409, 'The booking''s notice period for this change has passed.'),
        ('quote_expired', 410, 'The quote has expired; ask for a new one.'),
        ('idempotency_key_reused', 422, 'The Idempotency-Key was already used with a different request.'),
        ('too_many_holds', 429, 'Too many bookings awaiting payment at once; pay or let one expire.'),
        ('email_taken', 409, 'An account with this email already exists.'),
        ('payload_too_large', 413, 'The request body is over the size limit (nginx).'),
        ('rate_limited', 429, 'Too many requests; retry after the number of seconds in Retry-After.'),
        ('internal_error', 500, 'An unexpected failure; nothing was written.'),
        ('unavailable', 503, 'The API or its database is restarting; retry after Retry-After seconds.'),
        (
            'statement_timeout', 503,
            'The request ran past the API roles'' statement timeout and was cancelled; nothing was written.'
        )
    ) as v (code, http_status, description)
$$;
comment on function internal.error_codes() is
'The registry of machine error codes and the HTTP status each maps to.';

create or replace function internal.fail(
    p_code text,
    p_message text,
    p_detail text default null
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
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
comment on function internal.fail(text, text, text) is
'Raise a registered error: SQLSTATE PT<status> (PostgREST answers with that status), code in hint.';
