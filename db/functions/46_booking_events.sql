-- Booking events -> notifications: every state change a person should hear
-- about calls internal.emit_booking_event in the same transaction, which fans
-- out one internal.notify per recipient (each unique per event and recipient,
-- so a repeated event never sends twice).

create or replace function internal.booking_event_data(p_booking_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'service_name', s.name,
        'provider_name', p.business_name,
        'provider_time_zone', p.time_zone,
        'customer_name', u.full_name,
        'starts_at', pg_catalog.to_char(pg_catalog.lower(b.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'ends_at', pg_catalog.to_char(pg_catalog.upper(b.during) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'price_cents', b.price_cents,
        'currency', b.currency
    )
    from app.bookings as b
    inner join app.services as s on b.service_id = s.id
    inner join app.providers as p on b.provider_id = p.id
    inner join app.users as u on b.customer_id = u.id
    where b.id = p_booking_id
$$;
comment on function internal.booking_event_data(uuid) is
'The booking keys every booking notification carries (names, provider''s time zone, UTC times, price).';

create or replace function internal.emit_booking_event(
    p_booking_id uuid,
    p_event text,
    p_extra jsonb default '{}'::jsonb,
    p_key text default null
)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_booking app.bookings;
    v_owner uuid;
    v_data jsonb := internal.booking_event_data(p_booking_id) || coalesce(p_extra, '{}'::jsonb);
    v_key text := p_event || ':' || p_booking_id::text || coalesce(':' || p_key, '');
    v_lead interval := pg_catalog.make_interval(
        hours => coalesce(internal.setting('reminder_lead_hours')::integer, 24)
    );
begin
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    select p.owner_id into v_owner from app.providers as p where p.id = v_booking.provider_id;
    if p_event = 'booking_confirmed' then
        perform internal.notify('booking_confirmed', v_booking.customer_id, v_key, v_data || '{"ics_sequence": 0}');
        perform internal.notify(
            'booking_new', v_owner, 'booking_new:' || p_booking_id::text, v_data || '{"ics_sequence": 0}'
        );
        if pg_catalog.lower(v_booking.during) > pg_catalog.now() then
            -- the reminder is keyed by the start: a moved booking gets a new one,
            -- and the old one finds the start changed and drops itself
            perform internal.notify(
                'booking_reminder', v_booking.customer_id,
                'booking_reminder:' || p_booking_id::text || ':' || (v_data ->> 'starts_at'),
                v_data,
                greatest(0, extract(epoch from pg_catalog.lower(v_booking.during) - v_lead - pg_catalog.now())::integer)
            );
        end if;
    elsif p_event = 'booking_cancelled' then
        perform internal.notify('booking_cancelled', v_booking.customer_id, v_key || ':customer', v_data);
        perform internal.notify('booking_cancelled', v_owner, v_key || ':provider', v_data);
    else
        perform internal.notify(p_event, v_booking.customer_id, v_key, v_data);
    end if;
end
$$;
comment on function internal.emit_booking_event(uuid, text, jsonb, text) is
'Queue the notifications of a booking event for each recipient (customer, provider), in the caller''s transaction.';

create or replace function internal.reminder_still_due(p_booking_id uuid, p_starts_at timestamptz)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select from app.bookings as b
        where b.id = p_booking_id and b.status = 'confirmed' and pg_catalog.lower(b.during) = p_starts_at
    )
$$;
comment on function internal.reminder_still_due(uuid, timestamptz) is
'Whether a reminder is still wanted: the booking is confirmed and starts when the reminder said.';
