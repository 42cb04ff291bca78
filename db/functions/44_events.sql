-- The event log (app.events): every change a client may care about, appended
-- in the transaction of the change, for the real-time service and analytics.
--
--   internal.append_event        THE way to write an event: one insert, nothing else.
--                                No NOTIFY: a transaction that notifies takes one
--                                database-wide lock at commit, held through its WAL
--                                flush, so notifying writers commit one at a time.
--                                Readers poll the log by id instead
--                                (auth.event_ids_after, realtime/cursor.py)
--   triggers (_500_event_*)      bookings (created, status changed, rescheduled, and
--                                the availability they take or free), refunds (settled),
--                                time off (availability), notifications (created)
--   api.events                   replay and delivery checks, under the caller's claims:
--                                row-level security decides who reads what
--   internal.purge_events        drops what is older than event_retention_hours
--                                (default 24), called by internal.sweep
--
-- Bookings, refunds and notifications are written only by definers, whose
-- rights their triggers share; the time off trigger is a definer itself, since
-- a provider writes its time off (api.my_time_off) and may not write the log.

create or replace function internal.append_event(
    p_kind text,
    p_booking_id uuid,
    p_provider_id uuid,
    p_customer_id uuid,
    p_recipient_id uuid,
    p_during tstzrange,
    p_payload jsonb
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_id bigint;
begin
    insert into app.events (kind, booking_id, provider_id, customer_id, recipient_id, during, payload)
    values (p_kind, p_booking_id, p_provider_id, p_customer_id, p_recipient_id, p_during, coalesce(p_payload, '{}'))
    returning id into v_id;
    return v_id;
end
$$;
comment on function internal.append_event(text, uuid, uuid, uuid, uuid, tstzrange, jsonb) is
'Append one event to app.events in the caller''s transaction; its id (no NOTIFY: readers poll the log by id).';

create or replace function internal.append_availability_event(p_provider_id uuid, p_during tstzrange)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    -- time that has passed can be neither booked nor freed: nobody needs to hear of it
    if p_during is not null and pg_catalog.upper(p_during) > pg_catalog.now() then
        perform internal.append_event('availability_changed', null, p_provider_id, null, null, p_during, '{}');
    end if;
end
$$;
comment on function internal.append_availability_event(uuid, tstzrange) is
'Append availability_changed for a provider and a range (only the provider and the range: no booking, no customer).';

create or replace function internal.bookings_append_events()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    -- live: the statuses that hold the provider's time (bookings_provider_id_blocked_excl);
    -- time that has passed can be neither booked nor freed, so nobody hears of it
    v_now timestamptz := pg_catalog.now();
begin
    -- This is confirm's path: one insert statement, no nested function calls (each call
    -- of a function with a pinned search_path costs a save and restore) and no NOTIFY
    -- (readers poll the log: auth.event_ids_after).
    if tg_op = 'INSERT' then
        insert into app.events (kind, booking_id, provider_id, customer_id, during, payload)
        select e.kind, e.booking_id, new.provider_id, e.customer_id, e.during, e.payload
        from (
            values
            (1, 'booking_created', new.id, new.customer_id, null::tstzrange, pg_catalog.jsonb_build_object(
                'status', new.status,
                'starts_at', pg_catalog.lower(new.during), 'ends_at', pg_catalog.upper(new.during)
            ), true),
            (2, 'availability_changed', null, null, new.blocked, '{}'::jsonb,
                new.status in ('pending_payment', 'confirmed') and pg_catalog.upper(new.blocked) > v_now)
        ) as e (n, kind, booking_id, customer_id, during, payload, wanted)
        where e.wanted
        order by e.n;
        return null;
    end if;
    insert into app.events (kind, booking_id, provider_id, customer_id, during, payload)
    select e.kind, e.booking_id, new.provider_id, e.customer_id, e.during, e.payload
    from (
        values
        (1, 'booking_status_changed', new.id, new.customer_id, null::tstzrange,
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'from', old.status, 'to', new.status, 'cancelled_by', new.cancelled_by_role
            )),
            new.status is distinct from old.status),
        -- a booking that ends frees its time
        (2, 'availability_changed', null, null, old.blocked, '{}'::jsonb,
            new.status is distinct from old.status
            and old.status in ('pending_payment', 'confirmed')
            and new.status not in ('pending_payment', 'confirmed')
            and pg_catalog.upper(old.blocked) > v_now),
        (3, 'booking_rescheduled', new.id, new.customer_id, null, pg_catalog.jsonb_build_object(
            'starts_at', pg_catalog.lower(new.during), 'ends_at', pg_catalog.upper(new.during),
            'previous_starts_at', pg_catalog.lower(old.during), 'previous_ends_at', pg_catalog.upper(old.during)
        ), new.during is distinct from old.during or new.blocked is distinct from old.blocked),
        -- a live booking that moves frees its old time and takes the new
        (4, 'availability_changed', null, null, old.blocked, '{}'::jsonb,
            new.blocked is distinct from old.blocked
            and new.status in ('pending_payment', 'confirmed')
            and pg_catalog.upper(old.blocked) > v_now),
        (5, 'availability_changed', null, null, new.blocked, '{}'::jsonb,
            new.blocked is distinct from old.blocked
            and new.status in ('pending_payment', 'confirmed')
            and pg_catalog.upper(new.blocked) > v_now)
    ) as e (n, kind, booking_id, customer_id, during, payload, wanted)
    where e.wanted
    order by e.n;
    return null;
end
$$;
comment on function internal.bookings_append_events() is
'Trigger: a booking''s creation, status change and move go to the event log, with the time they take or free.';

drop trigger if exists _500_event_created on app.bookings;
create trigger _500_event_created after insert on app.bookings
for each row execute function internal.bookings_append_events();

drop trigger if exists _500_event_changed on app.bookings;
create trigger _500_event_changed after update on app.bookings
for each row
when (
    old.status is distinct from new.status
    or old.during is distinct from new.during
    or old.blocked is distinct from new.blocked
)
execute function internal.bookings_append_events();

create or replace function internal.refunds_append_event()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_booking app.bookings;
begin
    select * into strict v_booking from app.bookings as b where b.id = new.booking_id;
    perform internal.append_event(
        'booking_refunded', v_booking.id, v_booking.provider_id, v_booking.customer_id, null, null,
        pg_catalog.jsonb_build_object('refund_id', new.id, 'refund_cents', new.amount_cents, 'currency', v_booking.currency)
    );
    return null;
end
$$;
comment on function internal.refunds_append_event() is
'Trigger: a refund that succeeded goes to the event log (booking_refunded).';

drop trigger if exists _500_event_refunded on app.refunds;
create trigger _500_event_refunded after update of status on app.refunds
for each row
when (old.status is distinct from 'succeeded' and new.status = 'succeeded')
execute function internal.refunds_append_event();

create or replace function internal.time_off_append_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        if tg_op = 'DELETE' or old.during is distinct from new.during or old.provider_id is distinct from new.provider_id then
            perform internal.append_availability_event(old.provider_id, old.during);
        end if;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        if tg_op = 'INSERT' or old.during is distinct from new.during or old.provider_id is distinct from new.provider_id then
            perform internal.append_availability_event(new.provider_id, new.during);
        end if;
    end if;
    return null;
end
$$;
comment on function internal.time_off_append_events() is
$$Trigger: time off added, moved or removed changes the provider's availability (event log).
Definer: providers write their time off, and may not write the log.$$;

drop trigger if exists _500_event_availability on app.time_off;
create trigger _500_event_availability after insert or update or delete on app.time_off
for each row execute function internal.time_off_append_events();

create or replace function internal.notifications_append_event()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform internal.append_event(
        'notification_created', null, null, null, new.recipient_id, null,
        pg_catalog.jsonb_build_object('notification_id', new.id, 'event', new.event, 'channel', new.channel)
    );
    return null;
end
$$;
comment on function internal.notifications_append_event() is
'Trigger: a notification row goes to the event log for its recipient (its id, event, channel; never its data).';

drop trigger if exists _500_event_created on app.notifications;
create trigger _500_event_created after insert on app.notifications
for each row execute function internal.notifications_append_event();

create or replace function internal.events_refuse_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    raise exception 'app.events is append-only: an event is never changed';
end
$$;
comment on function internal.events_refuse_update() is
'Trigger: the event log is append-only, for its owner too (rows leave only by age, internal.purge_events).';

drop trigger if exists _100_append_only on app.events;
create trigger _100_append_only before update on app.events
for each statement execute function internal.events_refuse_update();

create or replace function internal.purge_events(p_older_than interval default null, p_limit integer default 10000)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_cutoff timestamptz := pg_catalog.now() - coalesce(
        p_older_than,
        pg_catalog.make_interval(hours => coalesce(internal.setting('event_retention_hours')::integer, 24))
    );
    v_count integer;
begin
    -- oldest first, a bounded batch: the sweep calls this every few seconds
    delete from app.events as e
    where e.id in (
        select o.id from app.events as o
        where o.created_at < v_cutoff
        order by o.created_at
        limit greatest(coalesce(p_limit, 10000), 0)
    );
    get diagnostics v_count = row_count;
    return v_count;
end
$$;
comment on function internal.purge_events(interval, integer) is
$$Delete events older than p_older_than (default: the event_retention_hours setting, else 24 hours), at most p_limit.
Definer: nobody else may delete from the append-only log; the sweep calls it.$$;

create or replace view api.events
with (security_invoker = true) as
select
    e.id,
    e.created_at,
    e.kind,
    e.booking_id,
    e.provider_id,
    e.customer_id,
    e.recipient_id,
    pg_catalog.lower(e.during) as starts_at,
    pg_catalog.upper(e.during) as ends_at,
    e.payload
from app.events as e;
comment on view api.events is
$$The events you may see, with a monotonic id: replay with ?id=gt.<last id seen>&order=id (row-level security decides).

Kinds: booking_created, booking_status_changed (payload from, to), booking_rescheduled, booking_refunded (for the booking's customer, its provider's owner and ops); availability_changed (a provider and a time range only, for everyone, anonymous callers included); notification_created (for its recipient only).
Events are kept for 24 hours. Nothing is NOTIFYed: poll with ?id=gt.<last id seen>, or subscribe to /realtime.$$;
comment on column api.events.id is 'Event id: grows with every event (replay from the last one you saw).';
comment on column api.events.created_at is 'When the change happened (its transaction''s time).';
comment on column api.events.kind is
'booking_created, booking_status_changed, booking_rescheduled, booking_refunded, availability_changed or notification_created.';
comment on column api.events.booking_id is 'The booking the event is about (booking events only).';
comment on column api.events.provider_id is 'The booking''s provider, or the provider whose availability changed.';
comment on column api.events.customer_id is 'The booking''s customer (booking events only).';
comment on column api.events.recipient_id is 'The notification''s recipient (notification_created only).';
comment on column api.events.starts_at is 'availability_changed: start of the time taken or freed (with buffers).';
comment on column api.events.ends_at is 'availability_changed: end of the time taken or freed (with buffers).';
comment on column api.events.payload is
$$Small details: status from/to and cancelled_by; a booking's starts_at/ends_at (and previous_*);
refund_id, refund_cents, currency; notification_id, event, channel.$$;
