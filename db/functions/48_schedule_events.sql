-- Availability events for changes that are not bookings or time off: a
-- provider's weekly hours, its time zone and active flag, and the services' shape (duration,
-- buffers, notice, horizon, active). Bookings and time off write theirs in
-- 44_events.sql.
--
-- Weekly hours recur, so the range an edit touches has no end of its own. The
-- event names what anyone can still book: from now to the provider's booking
-- horizon (internal.availability_horizon: now + the largest max_days_ahead of
-- its services, old values included, + 1 day for buffers and zones; 60 days
-- when it has none), the same window api.quote and api.available_slots search.
-- A subscriber re-reads that window; nothing else (no interval, no service,
-- no customer) goes into the event.
--
-- The triggers are definers: providers write their hours and services through
-- the API views and may not write the log. Hours are statement triggers, so a
-- provider replacing its week in one request is one event per provider.

create or replace function internal.availability_horizon(p_provider_id uuid, p_days integer default null)
returns tstzrange
language sql
stable
set search_path = ''
as $$
    select pg_catalog.tstzrange(
        pg_catalog.now(),
        pg_catalog.now() + pg_catalog.make_interval(days => 1 + greatest(
            coalesce(p_days, 0),
            coalesce((select max(s.max_days_ahead) from app.services as s where s.provider_id = p_provider_id), 60)
        ))
    )
$$;
comment on function internal.availability_horizon(uuid, integer) is
$$The window a provider's recurring availability can be booked in: now to now + its
largest max_days_ahead (or p_days, if larger; 60 with no service) + 1 day.$$;

create or replace function internal.append_horizon_events(p_provider_ids uuid[])
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_provider_id uuid;
begin
    for v_provider_id in
        select distinct i.id
        from pg_catalog.unnest(p_provider_ids) as i (id)
        -- a provider deleted with its hours (on delete cascade) has nothing left to book
        where exists (select from app.providers as p where p.id = i.id)
        order by 1
    loop
        perform internal.append_availability_event(v_provider_id, internal.availability_horizon(v_provider_id));
    end loop;
end
$$;
comment on function internal.append_horizon_events(uuid[]) is
'Append availability_changed over its booking horizon for each distinct provider (still existing) of the list.';

create or replace function internal.weekly_hours_insert_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.append_horizon_events(array(select n.provider_id from new_rows as n));
    return null;
end
$$;
comment on function internal.weekly_hours_insert_events() is
$$Trigger: weekly hours added change the provider's availability over its booking horizon (one event per provider and statement).
Definer: providers write their hours, and may not write the log.$$;

create or replace function internal.weekly_hours_update_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.append_horizon_events(array(
        select n.provider_id
        from new_rows as n
        inner join old_rows as o on o.id = n.id
        where (o.day_of_week, o.start_time, o.end_time, o.provider_id) is distinct from (n.day_of_week, n.start_time, n.end_time, n.provider_id)
        union all
        select o.provider_id
        from new_rows as n
        inner join old_rows as o on o.id = n.id
        where o.provider_id is distinct from n.provider_id
    ));
    return null;
end
$$;
comment on function internal.weekly_hours_update_events() is
$$Trigger: weekly hours changed change the provider's availability over its booking horizon
(one event per provider and statement; a no-op update writes none).
Definer: providers write their hours, and may not write the log.$$;

create or replace function internal.weekly_hours_delete_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform internal.append_horizon_events(array(select o.provider_id from old_rows as o));
    return null;
end
$$;
comment on function internal.weekly_hours_delete_events() is
$$Trigger: weekly hours removed change the provider's availability over its booking horizon (one event per provider and statement).
Definer: providers write their hours, and may not write the log.$$;

-- transition tables allow one event kind per trigger, hence three
drop trigger if exists _500_event_availability_insert on app.weekly_hours;
create trigger _500_event_availability_insert after insert on app.weekly_hours
referencing new table as new_rows
for each statement execute function internal.weekly_hours_insert_events();

drop trigger if exists _500_event_availability_update on app.weekly_hours;
create trigger _500_event_availability_update after update on app.weekly_hours
referencing old table as old_rows new table as new_rows
for each statement execute function internal.weekly_hours_update_events();

drop trigger if exists _500_event_availability_delete on app.weekly_hours;
create trigger _500_event_availability_delete after delete on app.weekly_hours
referencing old table as old_rows
for each statement execute function internal.weekly_hours_delete_events();

create or replace function internal.services_append_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- the horizon covers the old reach too: a shorter max_days_ahead frees the days beyond it
    if tg_op = 'DELETE' then
        -- a provider deleted with its services (on delete cascade) has nothing left to book
        if old.is_active and exists (select from app.providers as p where p.id = old.provider_id) then
            perform internal.append_availability_event(
                old.provider_id, internal.availability_horizon(old.provider_id, old.max_days_ahead)
            );
        end if;
        return null;
    end if;
    if tg_op = 'INSERT' then
        if new.is_active then
            perform internal.append_availability_event(new.provider_id, internal.availability_horizon(new.provider_id));
        end if;
        return null;
    end if;
    perform internal.append_availability_event(
        new.provider_id, internal.availability_horizon(new.provider_id, old.max_days_ahead)
    );
    return null;
end
$$;
comment on function internal.services_append_events() is
$$Trigger: a service added, removed, or changed in what it takes (duration, buffers, notice,
horizon, active) changes when it can be booked: availability_changed over the provider's horizon.
Definer: providers write their services, and may not write the log.$$;

drop trigger if exists _500_event_availability on app.services;
create trigger _500_event_availability after insert or delete on app.services
for each row execute function internal.services_append_events();

drop trigger if exists _500_event_availability_changed on app.services;
create trigger _500_event_availability_changed after update on app.services
for each row
when (
    old.duration_minutes is distinct from new.duration_minutes
    or old.buffer_before_minutes is distinct from new.buffer_before_minutes
    or old.buffer_after_minutes is distinct from new.buffer_after_minutes
    or old.min_notice_minutes is distinct from new.min_notice_minutes
    or old.max_days_ahead is distinct from new.max_days_ahead
    or old.is_active is distinct from new.is_active
    or old.provider_id is distinct from new.provider_id
)
execute function internal.services_append_events();

create or replace function internal.providers_append_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- the weekly hours are wall-clock times in the provider's zone: a new zone moves
    -- them all; a provider switched off (or on) offers nothing (or everything again)
    perform internal.append_availability_event(new.id, internal.availability_horizon(new.id));
    return null;
end
$$;
comment on function internal.providers_append_events() is
$$Trigger: a provider's time zone or active flag changed moves or hides its weekly hours: availability_changed over its horizon.
Definer: providers write their own row, and may not write the log.$$;

drop trigger if exists _500_event_availability on app.providers;
create trigger _500_event_availability after update of time_zone, is_active on app.providers
for each row
when ((old.time_zone, old.is_active) is distinct from (new.time_zone, new.is_active))
execute function internal.providers_append_events();
