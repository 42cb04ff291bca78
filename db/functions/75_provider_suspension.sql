-- Provider suspension by ops, and the ops list of providers.
--
-- A suspended provider is inactive (app.providers.is_active = false), which is
-- what the quote (internal.find_offers and the services' search keys), the free
-- slots and the public catalogue views already skip: suspension needs no change
-- to them. What it adds: who suspended, when, why, and what is_active was
-- before (reinstatement restores it); the provider cannot make itself active
-- while suspended (_010_refuse_while_suspended answers 409 provider_suspended,
-- and the check providers_suspended_inactive_check holds for definers too).
--
-- Bookings the provider already has are kept: a suspension stops new business,
-- it does not break the appointments customers paid for. Holds may still be paid
-- and confirmed bookings still happen; ops force-cancel (api.ops_force_cancel,
-- refunding in full) those that must not, one by one. The suspension's answer
-- counts them (live_bookings) so that ops see what remains.

create or replace function internal.providers_refuse_while_suspended()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if new.is_active and new.suspended_at is not null then
        -- the reason is not echoed: ops wrote it freely, and a message is also the
        -- HTTP reason phrase (the provider reads it in my_provider.suspension_reason)
        perform internal.fail(
            'provider_suspended',
            'is_active cannot be set: Bookiji suspended this provider (see suspension_reason); '
            || 'only Bookiji staff can reinstate it'
        );
    end if;
    return new;
end
$$;
comment on function internal.providers_refuse_while_suspended() is
'Trigger: refuse making a suspended provider active (409 provider_suspended).';

create or replace trigger _010_refuse_while_suspended
before update of is_active on app.providers
for each row execute function internal.providers_refuse_while_suspended();

create or replace function internal.provider_suspension_json(p_provider_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p.id,
        'is_active', p.is_active,
        'suspended', p.suspended_at is not null,
        'suspended_at', p.suspended_at,
        'suspended_by', p.suspended_by,
        'suspension_reason', p.suspension_reason,
        -- bookings still to happen or to be paid: kept by a suspension
        'live_bookings', (
            select count(*) from app.bookings as b
            where
                b.provider_id = p.id and b.status in ('pending_payment', 'confirmed')
                and pg_catalog.upper(b.during) > pg_catalog.now()
        )
    )
    from app.providers as p
    where p.id = p_provider_id
$$;
comment on function internal.provider_suspension_json(uuid) is
'A provider''s activity and suspension, with the count of its live bookings (pending_payment or confirmed, not ended).';

create or replace function internal.ops_provider_check(p_provider_id uuid, p_reason text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff can suspend or reinstate a provider');
    perform internal.require(p_provider_id, 'provider_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.char_length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
end
$$;
comment on function internal.ops_provider_check(uuid, text) is
'Refuse a provider action by a non-ops caller, without a provider_id or a reason (400 naming it).';

create or replace function internal.ops_suspend_provider(p_provider_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_old app.providers;
begin
    perform internal.ops_provider_check(p_provider_id, p_reason);
    select * into v_old from app.providers as p where p.id = p_provider_id for no key update;
    if not found then
        perform internal.fail('not_found', 'no such provider');
    end if;
    if v_old.suspended_at is not null then
        perform internal.fail(
            'conflict', pg_catalog.format('the provider is already suspended (since %s)', v_old.suspended_at)
        );
    end if;
    -- the providers' trigger (_300_search_keys) takes its services out of the quote
    update app.providers as p
    set
        active_before_suspension = p.is_active,
        is_active = false,
        suspended_at = pg_catalog.now(),
        suspended_by = internal.current_user_id(),
        suspension_reason = pg_catalog.btrim(p_reason)
    where p.id = p_provider_id;
    perform internal.audit(
        'provider.suspended', 'app.providers', p_provider_id::text,
        pg_catalog.jsonb_build_object('is_active', v_old.is_active, 'suspended_at', null),
        internal.provider_suspension_json(p_provider_id), pg_catalog.btrim(p_reason)
    );
    return internal.provider_suspension_json(p_provider_id);
end
$$;
comment on function internal.ops_suspend_provider(uuid, text) is
$$Suspend a provider (ops only): inactive, with who, when and why; audited with the reason and request id.
Definer: writes the providers' private columns and the audit log.$$;

create or replace function internal.ops_reinstate_provider(p_provider_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_before jsonb;
    v_old app.providers;
begin
    perform internal.ops_provider_check(p_provider_id, p_reason);
    select * into v_old from app.providers as p where p.id = p_provider_id for no key update;
    if not found then
        perform internal.fail('not_found', 'no such provider');
    end if;
    if v_old.suspended_at is null then
        perform internal.fail('conflict', 'the provider is not suspended');
    end if;
    v_before := internal.provider_suspension_json(p_provider_id);
    update app.providers as p
    set
        is_active = p.active_before_suspension,
        active_before_suspension = null,
        suspended_at = null,
        suspended_by = null,
        suspension_reason = null
    where p.id = p_provider_id;
    perform internal.audit(
        'provider.reinstated', 'app.providers', p_provider_id::text,
        v_before, internal.provider_suspension_json(p_provider_id), pg_catalog.btrim(p_reason)
    );
    return internal.provider_suspension_json(p_provider_id);
end
$$;
comment on function internal.ops_reinstate_provider(uuid, text) is
$$Lift a provider's suspension (ops only): is_active as it was before; audited with the reason and request id.
Definer: writes the providers' private columns and the audit log.$$;

create or replace function api.ops_suspend_provider(provider_id uuid default null, reason text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.ops_suspend_provider(provider_id, reason)
$$;
comment on function api.ops_suspend_provider(uuid, text) is
$$Suspend a provider (ops only), with a reason: it stops being offered at once.

The provider becomes inactive: it leaves the quote, available_slots and the public catalogue (providers, services), and cannot make itself active again (409 provider_suspended) until ops reinstate it; it still signs in and sees the reason in my_provider.
Its existing bookings are kept (holds may still be paid, confirmed appointments still happen): ops force-cancel those that must not (ops_force_cancel, refunding in full). The answer counts them (live_bookings).
Written to the audit log with the reason and the request id.
Errors: 400 invalid_input (missing provider_id or reason, reason over 500 characters); 403 forbidden (not ops); 404 not_found; 409 conflict (already suspended).$$;

create or replace function api.ops_reinstate_provider(provider_id uuid default null, reason text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.ops_reinstate_provider(provider_id, reason)
$$;
comment on function api.ops_reinstate_provider(uuid, text) is
$$Lift a provider's suspension (ops only), with a reason: is_active is restored to what it was before.

Written to the audit log with the reason and the request id.
Errors: 400 invalid_input (missing provider_id or reason); 403 forbidden (not ops); 404 not_found; 409 conflict (not suspended).$$;

-- ---------------------------------------------------------------------------
-- The ops list of providers (api.providers shows active ones only, and no
-- private field)

create or replace function internal.ops_providers(
    p_search text,
    p_suspended boolean,
    p_limit integer,
    p_after_id uuid
)
returns table (
    id uuid,
    business_name text,
    owner_id uuid,
    owner_email text,
    owner_name text,
    contact_email text,
    contact_phone text,
    time_zone text,
    is_active boolean,
    suspended_at timestamptz,
    suspended_by uuid,
    suspension_reason text,
    rating_count integer,
    rating_avg numeric,
    created_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
-- planned with this call's search: the generic plan of "search is null or ..." can use neither
-- the name's order nor the search's indexes
set plan_cache_mode = force_custom_plan
as $$
declare
    v_after_name text;
    v_search text := nullif(pg_catalog.btrim(p_search), '');
    -- a search that is an id, as one (its key's index); null for any other text
    v_search_id uuid := case
        when v_search ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then v_search::uuid
    end;
    v_ids uuid[];
begin
    perform internal.require_role('ops', 'only ops staff may list providers');
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    if pg_catalog.char_length(v_search) > 200 then
        perform internal.fail('invalid_input', 'search must be at most 200 characters');
    end if;
    if p_after_id is not null then
        select p.business_name into v_after_name from app.providers as p where p.id = p_after_id;
        if v_after_name is null then
            perform internal.fail('not_found', 'after_id is not a provider');
        end if;
    end if;
    -- the providers the search names, each way through its own index: a name part
    -- (case-insensitive; %, _ and \ match themselves: escaped for LIKE, whose '%part%' the
    -- name's trigram index answers), an owner's or contact email, or an id. Gathered first: in
    -- the page's query, as "search is null or id in (...)", it became a filter on a walk of
    -- every provider in name order (a search that matched nobody: ~45 ms at 100,000)
    if v_search is not null then
        v_ids := array(
            select n.id from app.providers as n
            where pg_catalog.lower(n.business_name) like '%' || pg_catalog.replace(pg_catalog.replace(
                pg_catalog.replace(pg_catalog.lower(v_search), '\', '\\'), '%', '\%'
            ), '_', '\_') || '%'
            union
            select o.id from app.users as w
            inner join app.providers as o on w.id = o.owner_id
            where w.email operator(extensions.=) pg_catalog.lower(v_search)::extensions.citext
            union
            select c.id from app.providers as c where c.contact_email::text = pg_catalog.lower(v_search)
            union
            select i.id from app.providers as i where i.id = v_search_id
        );
    end if;
    return query
    select
        p.id, p.business_name, p.owner_id, u.email::text, u.full_name, p.contact_email::text,
        p.contact_phone, p.time_zone, p.is_active, p.suspended_at, p.suspended_by,
        p.suspension_reason, p.rating_count, p.rating_avg, p.created_at
    from app.providers as p
    inner join app.users as u on p.owner_id = u.id
    where
        (p_suspended is null or (p.suspended_at is not null) = p_suspended)
        and (
            v_search is null
            or p.id = any(v_ids)
        )
        and (v_after_name is null or (p.business_name, p.id) > (v_after_name, p_after_id))
    order by p.business_name, p.id
    limit p_limit;
end
$$;
comment on function internal.ops_providers(text, boolean, integer, uuid) is
$$Providers with their owner and suspension, by name (ops only).
Definer: joins the owners' accounts.$$;

create or replace function api.ops_providers(
    search text default null,
    suspended boolean default null,
    "limit" integer default 50,
    after_id uuid default null
)
returns table (
    id uuid,
    business_name text,
    owner_id uuid,
    owner_email text,
    owner_name text,
    contact_email text,
    contact_phone text,
    time_zone text,
    is_active boolean,
    suspended_at timestamptz,
    suspended_by uuid,
    suspension_reason text,
    rating_count integer,
    rating_avg numeric,
    created_at timestamptz
)
language sql
stable
set search_path = ''
as $$
    select * from internal.ops_providers(
        ops_providers.search, ops_providers.suspended, ops_providers."limit", ops_providers.after_id
    )
$$;
comment on function api.ops_providers(text, boolean, integer, uuid) is
$$Every provider, active, inactive or suspended, with its owner's account and private contact (ops only), by business name.

Inputs (each optional): search (a part of the business name, case-insensitive, or an exact owner email, contact email or provider id), suspended (true: only suspended ones; false: only the others), limit (1-500, default 50), after_id (keyset pagination: the id of the last row of the previous page).
Over HTTP GET, a limit in the query string is PostgREST's own row limit (the same effect); POST the arguments as JSON to pass it as the argument.
Errors: 400 invalid_input naming limit or search; 403 forbidden (not ops); 404 not_found (after_id is no provider).$$;
