-- Rescheduling a booking: the same duration, price, policy and payment at a new
-- start, won only if the new slot (with buffers) is free. The policy and the
-- lock order are described at the top of 60_after_booking.sql.

create or replace function internal.slot_is_free_except(
    p_booking_id uuid,
    p_provider_id uuid,
    p_time_zone text,
    p_blocked tstzrange,
    p_now timestamptz
)
returns boolean
language sql
stable
set search_path = ''
as $$
    -- internal.slot_is_free, but the booking being moved does not block itself
    select
        internal.working_ranges(p_provider_id, p_time_zone, p_blocked) @> p_blocked
        and not exists (
            select
            from app.time_off as t
            where t.provider_id = p_provider_id and t.during && p_blocked
        )
        and not exists (
            select
            from app.bookings as k
            where
                k.provider_id = p_provider_id
                and k.id <> p_booking_id
                and k.blocked && p_blocked
                and k.status in ('pending_payment', 'confirmed')
                and (k.status = 'confirmed' or k.hold_expires_at is null or k.hold_expires_at >= p_now)
        )
$$;
comment on function internal.slot_is_free_except(uuid, uuid, text, tstzrange, timestamptz) is
'Whether p_blocked is free for booking p_booking_id: slot_is_free, ignoring that booking itself.';

create or replace function internal.schedule_booking_reminder(p_booking_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_booking app.bookings;
    v_data jsonb := internal.booking_event_data(p_booking_id);
    v_lead interval := pg_catalog.make_interval(
        hours => coalesce(internal.setting('reminder_lead_hours')::integer, 24)
    );
begin
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    if v_booking.status = 'confirmed' and pg_catalog.lower(v_booking.during) > pg_catalog.now() then
        -- keyed by the start, as emit_booking_event does: the old reminder finds
        -- the start changed and drops itself
        perform internal.notify(
            'booking_reminder', v_booking.customer_id,
            'booking_reminder:' || p_booking_id::text || ':' || (v_data ->> 'starts_at'),
            v_data,
            greatest(
                0, extract(epoch from pg_catalog.lower(v_booking.during) - v_lead - pg_catalog.now())::integer
            )
        );
    end if;
end
$$;
comment on function internal.schedule_booking_reminder(uuid) is
'Queue the reminder of a confirmed booking for its current start (after a move).';

create or replace function internal.reschedule_booking(p_booking_id uuid, p_new_starts_at timestamptz)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_booking app.bookings;
    v_service app.services;
    v_provider app.providers;
    v_party text;
    v_during tstzrange;
    v_blocked tstzrange;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'rescheduling a booking needs a signed-in user');
    end if;
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require_time(p_new_starts_at, 'new_starts_at');
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party = 'ops' then
        perform internal.fail('forbidden', 'only the booking''s customer or provider can reschedule it');
    end if;

    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    perform internal.provider_lock(v_booking.provider_id);
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;

    if v_booking.status not in ('pending_payment', 'confirmed')
        or (v_booking.status = 'pending_payment' and v_booking.hold_expires_at <= pg_catalog.now()) then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot be moved', v_booking.status)
        );
    end if;
    -- a started booking stays where it happened, whoever asks (the provider included)
    if pg_catalog.now() >= pg_catalog.lower(v_booking.during) then
        perform internal.fail('booking_started', 'the booking has started, so it can no longer be moved');
    end if;
    if v_party = 'customer'
        and pg_catalog.now() > pg_catalog.lower(v_booking.during)
        - pg_catalog.make_interval(hours => v_booking.cancel_notice_hours) then
        perform internal.fail(
            'too_late',
            pg_catalog.format(
                'a booking can be rescheduled only until %s hours before it starts', v_booking.cancel_notice_hours
            )
        );
    end if;

    select * into strict v_service from app.services as s where s.id = v_booking.service_id;
    select * into strict v_provider from app.providers as p where p.id = v_booking.provider_id;
    v_during := pg_catalog.tstzrange(
        p_new_starts_at, p_new_starts_at + (pg_catalog.upper(v_booking.during) - pg_catalog.lower(v_booking.during)),
        '[)'
    );
    if v_during = v_booking.during then
        return internal.booking_json(p_booking_id);
    end if;
    v_blocked := pg_catalog.tstzrange(
        p_new_starts_at - pg_catalog.make_interval(mins => v_service.buffer_before_minutes),
        pg_catalog.upper(v_during) + pg_catalog.make_interval(mins => v_service.buffer_after_minutes),
        '[)'
    );
    if not v_provider.is_active or not v_service.is_active then
        perform internal.fail('slot_unavailable', 'this provider no longer offers the service');
    end if;
    if p_new_starts_at < pg_catalog.now() + pg_catalog.make_interval(mins => v_service.min_notice_minutes)
        or p_new_starts_at > pg_catalog.now() + pg_catalog.make_interval(days => v_service.max_days_ahead) then
        perform internal.fail('slot_unavailable', 'this time is too soon or too far ahead to book');
    end if;
    -- holds whose time is up no longer block
    perform internal.expire_hold(b.id)
    from app.bookings as b
    where
        b.provider_id = v_booking.provider_id and b.status = 'pending_payment' and b.id <> p_booking_id
        and b.hold_expires_at <= pg_catalog.now() and b.blocked && v_blocked;
    if not internal.slot_is_free_except(
        p_booking_id, v_booking.provider_id, v_provider.time_zone, v_blocked, pg_catalog.now()
    ) then
        perform internal.fail('slot_unavailable', 'the new slot is not available');
    end if;
    begin
        -- the same row moves: the old slot is freed only if the new one is won,
        -- and the payment (keyed by the booking) follows without a new charge
        update app.bookings as b set during = v_during, blocked = v_blocked where b.id = p_booking_id;
    exception when exclusion_violation then
        perform internal.fail('slot_unavailable', 'the new slot was just taken');
    end;
    perform internal.schedule_booking_reminder(p_booking_id);
    return internal.booking_json(p_booking_id);
end
$$;
comment on function internal.reschedule_booking(uuid, timestamptz) is
$$Move a live booking to another start, atomically, serialised per provider (the payment follows).
Definer: writes bookings and notifications, which no API role may write directly.$$;

create or replace function api.reschedule_booking(booking_id uuid default null, new_starts_at timestamptz default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.reschedule_booking(booking_id, new_starts_at)
$$;
comment on function api.reschedule_booking(uuid, timestamptz) is
$$Move a booking to another start time (its customer, or the owner of its provider).

The booking keeps its duration, price, policy and payment: nothing is charged again. The old slot is released only if the new one is won. A customer may reschedule only until cancel_notice_hours before the current start; the provider until the start. Only pending_payment and confirmed bookings move, and none once started.
Errors: 400 invalid_input; 404 not_found (not your booking); 409 slot_unavailable (the new slot, with buffers, is taken or outside hours), invalid_transition (the booking has ended), booking_started (its start has passed), too_late (inside the notice window). Repeating the same move returns the booking unchanged.$$;
