-- Guards: the one way to refuse a caller's role, and the one way to refuse a
-- missing argument. Invoker functions that only raise (through internal.fail),
-- executable by every API role and the worker (db/policies/00_schemas.sql), so
-- an invoker api function may call them as well as a definer.
--
-- A call costs about 15 microseconds (a plpgsql call from plpgsql is a
-- statement, and the pinned search_path is about half of it) against 1-2 for
-- the written-out `if`: about 45 µs on a confirmation's 3.5 ms of database CPU.
-- See db/README.md, "Guards".

create or replace function internal.require_role(
    p_role text,
    p_refusal text,
    p_anonymous text default null
)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    -- an anonymous caller (no role claim or no subject) gets 401 when the
    -- caller says what signing in would allow; otherwise the role check's 403
    if p_anonymous is not null and (auth.role() = 'anon' or auth.uid() is null) then
        perform internal.fail('not_authenticated', p_anonymous);
    end if;
    if auth.role() is distinct from p_role then
        perform internal.fail('forbidden', p_refusal);
    end if;
end
$$;
comment on function internal.require_role(text, text, text) is
$$Refuse a caller whose role claim is not p_role: 403 forbidden with p_refusal.
With p_anonymous, an anonymous caller (role anon, or no subject) gets 401 not_authenticated with that message first.$$;

create or replace function internal.require(p_value anyelement, p_name text, p_hint text default null)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if p_value is null then
        perform internal.fail(
            'invalid_input', p_name || ' is required' || coalesce(' (' || p_hint || ')', '')
        );
    end if;
end
$$;
comment on function internal.require(anyelement, text, text) is
'Refuse a null argument with 400 invalid_input "<name> is required" (and "(<hint>)" when given).';

create or replace function internal.require_text(p_value text, p_name text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if p_value is null or pg_catalog.btrim(p_value) = '' then
        perform internal.fail('invalid_input', p_name || ' is required');
    end if;
end
$$;
comment on function internal.require_text(text, text) is
'Refuse a null or blank text argument with 400 invalid_input "<name> is required".';

create or replace function internal.require_time(p_value timestamptz, p_name text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if p_value is null or p_value in ('infinity', '-infinity') then
        perform internal.fail('invalid_input', p_name || ' is required (a timestamp with time zone)');
    end if;
end
$$;
comment on function internal.require_time(timestamptz, text) is
'Refuse a null or infinite timestamp argument with 400 invalid_input "<name> is required (a timestamp with time zone)".';
