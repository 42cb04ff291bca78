-- The public catalog's cache: tell the read router (bookiji/readpath.py) that what the
-- anonymous catalog reads show has changed, so that nginx stops serving its cached
-- copies (docs/operations.md, "Caching").
--
-- One NOTIFY on channel bookiji_cache per statement that changes a catalog table, with
-- the scope as payload: 'catalog' for what api.providers, api.services and
-- api.service_categories show (and the slots, which depend on them), 'slots' for what
-- only api.available_slots shows (weekly hours, time off). NOTIFY is sent at commit,
-- and not at all on a rollback; identical payloads of one transaction are sent once.
-- The router bumps the scope's version, which is part of nginx's cache key: every
-- cached answer of that scope becomes unreachable at once.
--
-- Bookings and holds send nothing: a transaction that notifies takes one
-- database-wide lock at commit, held through its WAL flush, so notifying confirms
-- would commit one at a time. The router learns that they changed the slots from
-- the event log instead (availability_changed rows, db/functions/44_events.sql),
-- which it polls (bookiji/readpath.py). These catalog writes are rare.
--
-- Statement triggers: a provider replacing its week in one request is one
-- notification.

create or replace function internal.notify_cache_change()
returns trigger
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform pg_catalog.pg_notify('bookiji_cache', tg_argv[0]);
    return null;
end
$$;
comment on function internal.notify_cache_change() is
$$Statement trigger: NOTIFY bookiji_cache with the scope named by the trigger's argument
('catalog' or 'slots'); the read router purges nginx's cached catalog reads of that scope.$$;

drop trigger if exists _500_notify_cache on app.service_categories;
create trigger _500_notify_cache after insert or update or delete or truncate on app.service_categories
for each statement execute function internal.notify_cache_change('catalog');

drop trigger if exists _500_notify_cache on app.providers;
create trigger _500_notify_cache after insert or update or delete or truncate on app.providers
for each statement execute function internal.notify_cache_change('catalog');

drop trigger if exists _500_notify_cache on app.services;
create trigger _500_notify_cache after insert or update or delete or truncate on app.services
for each statement execute function internal.notify_cache_change('catalog');

drop trigger if exists _500_notify_cache on app.weekly_hours;
create trigger _500_notify_cache after insert or update or delete or truncate on app.weekly_hours
for each statement execute function internal.notify_cache_change('slots');

drop trigger if exists _500_notify_cache on app.time_off;
create trigger _500_notify_cache after insert or update or delete or truncate on app.time_off
for each statement execute function internal.notify_cache_change('slots');

-- bookings: no trigger (the event log tells the router; see above)
drop trigger if exists _500_notify_cache on app.bookings;
