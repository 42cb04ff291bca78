-- The waitlist (app.waitlist_entries): a customer asks to be told when a slot
-- frees up, for one service, any service of one provider, or any provider of a
-- category near a point, starting within a window.
--
--   api.join_waitlist      add an entry (at most waitlist_max_active live ones, default 10)
--   api.my_waitlist        the caller's entries, newest first (expired shown as such)
--   api.leave_waitlist     cancel one of the caller's entries
--   internal.waitlist_on_booking_freed   trigger: a live booking that is cancelled or
--                          expires notifies each matching active entry once
--                          (waitlist_opening, with a link to a fresh quote)
--   internal.sweep_waitlist  for internal.sweep: active entries whose window has
--                          ended become expired; finished entries whose window
--                          ended more than 30 days ago are deleted

create or replace function internal.waitlist_entry_json(p_entry app.waitlist_entries)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'id', p_entry.id,
        'service_id', p_entry.service_id,
        'provider_id', p_entry.provider_id,
        'category', (select c.slug from app.service_categories as c where c.id = p_entry.category_id),
        'lat', p_entry.lat,
        'lng', p_entry.lng,
        'radius_km', p_entry.radius_km,
        'starts_at', pg_catalog.lower(p_entry.wanted),
        'ends_at', pg_catalog.upper(p_entry.wanted),
        'status', case
            when p_entry.status = 'active' and pg_catalog.upper(p_entry.wanted) <= pg_catalog.now() then 'expired'
            else p_entry.status
        end,
        'notified_at', p_entry.notified_at,
        'created_at', p_entry.created_at
    )
$$;
comment on function internal.waitlist_entry_json(app.waitlist_entries) is
'A waitlist entry as the API shows it: its target, window and status (active, notified, cancelled, expired).';

create or replace function internal.join_waitlist(
    p_service_id uuid,
    p_provider_id uuid,
    p_category text,
    p_lat double precision,
    p_lng double precision,
    p_radius_km numeric,
    p_starts_at timestamptz,
    p_ends_at timestamptz
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_customer uuid := auth.uid();
    v_limit constant integer := coalesce(internal.setting('waitlist_max_active')::integer, 10);
    v_provider uuid := p_provider_id;
    v_category integer;
    v_entry app.waitlist_entries;
begin
    perform internal.require_role(
        'customer', 'only customers can join a waitlist', 'joining a waitlist needs a signed-in customer'
    );
    perform internal.require(p_starts_at, 'starts_at', 'the start of the window');
    perform internal.require(p_ends_at, 'ends_at', 'the end of the window');
    if p_ends_at <= p_starts_at then
        perform internal.fail('invalid_input', 'ends_at must be after starts_at');
    end if;
    if p_ends_at <= pg_catalog.now() then
        perform internal.fail('invalid_input', 'ends_at must be in the future');
    end if;
    if p_ends_at > pg_catalog.now() + '90 days'::interval then
        perform internal.fail('invalid_input', 'ends_at must be within 90 days');
    end if;
    if (p_service_id is not null)::integer + (p_provider_id is not null and p_service_id is null)::integer
        + (p_category is not null)::integer <> 1 then
        perform internal.fail(
            'invalid_input', 'give exactly one of service_id, provider_id, or category with lat and lng'
        );
    end if;
    if p_service_id is not null then
        select s.provider_id into v_provider
        from app.services as s
        inner join app.providers as p on s.provider_id = p.id
        where s.id = p_service_id and s.is_active and p.is_active;
        if not found then
            perform internal.fail('not_found', 'no such service');
        end if;
        if p_provider_id is not null and p_provider_id <> v_provider then
            perform internal.fail('invalid_input', 'provider_id does not offer service_id');
        end if;
    elsif p_provider_id is not null then
        if not exists (select from app.providers as p where p.id = p_provider_id and p.is_active) then
            perform internal.fail('not_found', 'no such provider');
        end if;
    else
        select c.id into v_category from app.service_categories as c where c.slug = p_category;
        if not found then
            perform internal.fail('invalid_input', 'category must be a known category slug');
        end if;
        perform internal.require(p_lat, 'lat', 'with category');
        perform internal.require(p_lng, 'lng', 'with category');
        if p_lat not between -90 and 90 then
            perform internal.fail('invalid_input', 'lat must be between -90 and 90');
        end if;
        if p_lng not between -180 and 180 then
            perform internal.fail('invalid_input', 'lng must be between -180 and 180');
        end if;
        if coalesce(p_radius_km, 10) <= 0 or coalesce(p_radius_km, 10) > 200 then
            perform internal.fail('invalid_input', 'radius_km must be more than 0 and at most 200');
        end if;
    end if;

    -- one customer's joins take turns, so the limit cannot be raced past
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.waitlist:' || v_customer::text, 0));
    if (
        select pg_catalog.count(*) from app.waitlist_entries as w
        where w.customer_id = v_customer and w.status = 'active' and pg_catalog.upper(w.wanted) > pg_catalog.now()
    ) >= v_limit then
        perform internal.fail(
            'too_many_waitlist_entries',
            pg_catalog.format('at most %s active waitlist entries; leave one or wait for one to expire', v_limit)
        );
    end if;

    insert into app.waitlist_entries as w (
        customer_id, service_id, provider_id, category_id, lat, lng, radius_km, wanted
    )
    values (
        v_customer, p_service_id, v_provider, v_category,
        case when v_category is not null then p_lat end,
        case when v_category is not null then p_lng end,
        case when v_category is not null then coalesce(p_radius_km, 10) end,
        pg_catalog.tstzrange(p_starts_at, p_ends_at)
    )
    returning * into v_entry;
    return internal.waitlist_entry_json(v_entry);
end
$$;
comment on function internal.join_waitlist(
    uuid, uuid, text, double precision, double precision, numeric, timestamptz, timestamptz
) is
'Add a waitlist entry for the calling customer, within its limit. Definer: writes app.waitlist_entries.';

create or replace function api.join_waitlist(
    service_id uuid default null,
    provider_id uuid default null,
    category text default null,
    lat double precision default null,
    lng double precision default null,
    radius_km numeric default null,
    starts_at timestamptz default null,
    ends_at timestamptz default null
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.join_waitlist(
        join_waitlist.service_id, join_waitlist.provider_id, join_waitlist.category,
        join_waitlist.lat, join_waitlist.lng, join_waitlist.radius_km,
        join_waitlist.starts_at, join_waitlist.ends_at
    )
$$;
comment on function api.join_waitlist(
    uuid, uuid, text, double precision, double precision, numeric, timestamptz, timestamptz
) is
$$Ask to be told when a slot frees up: for one service (service_id), any service of one provider
(provider_id), or any provider of a category (category slug) within radius_km (default 10) of lat/lng;
the freed appointment must start at or after starts_at and end by ends_at (a window of at most 90 days ahead).

Role customer. When a booking that matches is cancelled or its hold expires, you get one email
(waitlist_opening) with a link to a fresh quote, and the entry becomes notified; the slot is not held
for you. An entry whose window has ended is expired. At most 10 active entries per customer.
Returns the entry: id, service_id, provider_id, category, lat, lng, radius_km, starts_at, ends_at,
status, notified_at, created_at.
Errors: 400 invalid_input (window missing, reversed, past or too far; not exactly one target; unknown
category; lat/lng/radius out of range); 401 not_authenticated; 403 forbidden (not a customer);
404 not_found (no such active service or provider); 429 too_many_waitlist_entries.$$;

create or replace function internal.my_waitlist(p_limit integer)
returns setof jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform internal.require_role(
        'customer', 'only customers have a waitlist', 'reading a waitlist needs a signed-in customer'
    );
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    return query
    select internal.waitlist_entry_json(w)
    from app.waitlist_entries as w
    where w.customer_id = auth.uid()
    order by w.created_at desc, w.id
    limit p_limit;
end
$$;
comment on function internal.my_waitlist(integer) is
'The calling customer''s waitlist entries, newest first. Definer: reads app.waitlist_entries for its owner only.';

create or replace function api.my_waitlist("limit" integer default 100)
returns setof jsonb
language sql
stable
set search_path = ''
as $$
    select internal.my_waitlist(my_waitlist."limit")
$$;
comment on function api.my_waitlist(integer) is
$$Your waitlist entries, newest first (at most limit, 1 to 500, default 100), each as join_waitlist
returns it; status is active, notified, cancelled or expired (the window has ended).
Role customer; only your own entries. Errors: 400 invalid_input (limit); 401; 403.$$;

create or replace function internal.leave_waitlist(p_entry_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_entry app.waitlist_entries;
begin
    perform internal.require_role(
        'customer', 'only customers have a waitlist', 'leaving a waitlist needs a signed-in customer'
    );
    perform internal.require(p_entry_id, 'entry_id');
    update app.waitlist_entries as w
    set status = 'cancelled', updated_at = pg_catalog.now()
    where w.id = p_entry_id and w.customer_id = auth.uid() and w.status = 'active'
    returning * into v_entry;
    if not found then
        select * into v_entry from app.waitlist_entries as w
        where w.id = p_entry_id and w.customer_id = auth.uid();
        if not found then
            perform internal.fail('not_found', 'no such waitlist entry');
        end if;
    end if;
    return internal.waitlist_entry_json(v_entry);
end
$$;
comment on function internal.leave_waitlist(uuid) is
'Cancel one of the calling customer''s active waitlist entries. Definer: writes app.waitlist_entries.';

create or replace function api.leave_waitlist(entry_id uuid default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.leave_waitlist(leave_waitlist.entry_id)
$$;
comment on function api.leave_waitlist(uuid) is
$$Leave a waitlist: the entry becomes cancelled and is never notified (an entry already notified or
cancelled is returned unchanged). Role customer; own entries only.
Errors: 400 invalid_input (entry_id missing); 401; 403; 404 not_found (no such entry of yours).$$;

-- waitlist_on_booking_freed: a live booking (awaiting payment or confirmed) that
-- becomes cancelled or expired before it starts frees its slot; every active
-- entry of another customer that matches (same service, same provider, or same
-- category within its radius of the provider) and whose window holds the
-- appointment is told once, in the transaction that freed the slot.
create or replace function internal.waitlist_on_booking_freed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_service app.services;
    v_provider app.providers;
    v_entry app.waitlist_entries;
    v_data jsonb;
begin
    if pg_catalog.lower(new.during) <= pg_catalog.now() then
        return null;
    end if;
    select * into strict v_service from app.services as s where s.id = new.service_id;
    select * into strict v_provider from app.providers as p where p.id = new.provider_id;
    if not (v_service.is_active and v_provider.is_active) then
        return null;
    end if;
    v_data := pg_catalog.jsonb_build_object(
        'service_id', v_service.id,
        'service_name', v_service.name,
        'provider_name', v_provider.business_name,
        'provider_time_zone', v_provider.time_zone,
        'starts_at', pg_catalog.to_char(pg_catalog.lower(new.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'ends_at', pg_catalog.to_char(pg_catalog.upper(new.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'price_cents', v_service.price_cents,
        'currency', v_service.currency
    );
    for v_entry in
        select w.* from app.waitlist_entries as w
        where w.status = 'active'
            and w.customer_id <> new.customer_id
            and w.wanted @> new.during
            and (
                w.service_id = new.service_id
                or (w.service_id is null and w.provider_id = new.provider_id)
                or (
                    w.category_id = v_service.category_id
                    and extensions.st_dwithin(
                        extensions.st_setsrid(extensions.st_makepoint(w.lng, w.lat), 4326)::extensions.geography,
                        v_provider.location,
                        w.radius_km * 1000
                    )
                )
            )
        order by w.created_at, w.id
        for update of w skip locked
    loop
        update app.waitlist_entries as w
        set status = 'notified', notified_at = pg_catalog.now(), notified_booking_id = new.id,
            updated_at = pg_catalog.now()
        where w.id = v_entry.id;
        perform internal.notify(
            'waitlist_opening', v_entry.customer_id, 'waitlist_opening:' || v_entry.id::text,
            v_data || pg_catalog.jsonb_build_object('entry_id', v_entry.id)
        );
    end loop;
    return null;
end
$$;
comment on function internal.waitlist_on_booking_freed() is
$$Trigger: a live booking cancelled or expired before its start notifies each matching active waitlist
entry of other customers once (waitlist_opening: the opening's service, provider, times, price) and marks
it notified. Definer: reads the waitlist and writes notifications.$$;

drop trigger if exists _600_waitlist_freed on app.bookings;
create trigger _600_waitlist_freed after update of status on app.bookings
for each row
when (
    old.status in ('pending_payment', 'confirmed')
    and new.status in ('cancelled', 'expired')
)
execute function internal.waitlist_on_booking_freed();

-- sweep_waitlist: an active entry whose window has ended can never match (the
-- trigger above only looks at future appointments inside the window), so the
-- sweep marks it expired; entries that are done (notified, cancelled, expired)
-- are deleted 30 days after their window ended. Bounded batches, skip locked:
-- the sweep runs every few seconds and concurrently.
create or replace function internal.sweep_waitlist(p_limit integer default 500)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_expired integer;
    v_purged integer;
begin
    with due as (
        select w.id from app.waitlist_entries as w
        where w.status = 'active' and pg_catalog.upper(w.wanted) <= pg_catalog.now()
        order by pg_catalog.upper(w.wanted)
        limit p_limit
        for update skip locked
    )

    update app.waitlist_entries as w
    set status = 'expired', updated_at = pg_catalog.now()
    from due
    where w.id = due.id;
    get diagnostics v_expired = row_count;

    with old as (
        select w.id from app.waitlist_entries as w
        where w.status in ('notified', 'cancelled', 'expired')
            and pg_catalog.upper(w.wanted) < pg_catalog.now() - interval '30 days'
        limit p_limit
        for update skip locked
    )

    delete from app.waitlist_entries as w
    using old
    where w.id = old.id;
    get diagnostics v_purged = row_count;
    return pg_catalog.jsonb_build_object('expired', v_expired, 'purged', v_purged);
end
$$;
comment on function internal.sweep_waitlist(integer) is
$$For internal.sweep: mark at most p_limit active waitlist entries whose window has ended expired, and delete
at most p_limit finished entries (notified, cancelled, expired) whose window ended more than 30 days ago.
Returns {expired, purged}. Definer: writes app.waitlist_entries, which no API role may.$$;
