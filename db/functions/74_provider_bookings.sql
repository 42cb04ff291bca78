-- A provider's own bookings with the customer's name and contact, for the
-- dashboard's calendar. The customer's account (app.users) is not readable by
-- a provider under RLS, so a definer reads it, for the caller's own provider's
-- bookings only, and gives no more of it than the provider needs:
--
--   customer_name                  always (the calendar shows who is coming)
--   customer_email, customer_phone only while the provider may need to reach the
--                                  customer: a confirmed booking, or a completed or
--                                  no_show one that ended less than 30 days ago;
--                                  never for a hold, a cancelled or expired booking,
--                                  nor a deleted account

create or replace function internal.provider_may_contact(p_status text, p_ends_at timestamptz)
returns boolean
language sql
stable
set search_path = ''
as $$
    select p_status = 'confirmed'
        or (p_status in ('completed', 'no_show') and p_ends_at > pg_catalog.now() - interval '30 days')
$$;
comment on function internal.provider_may_contact(text, timestamptz) is
$$Whether a provider is shown a customer's email and phone for a booking: confirmed, or
completed/no_show and ended less than 30 days ago.$$;

create or replace function internal.my_provider_bookings(
    p_from timestamptz,
    p_to timestamptz,
    p_status text,
    p_service_id uuid,
    p_customer_id uuid,
    p_booking_id uuid,
    p_limit integer,
    p_after_id uuid
)
returns table (
    id uuid,
    status text,
    starts_at timestamptz,
    ends_at timestamptz,
    time_zone text,
    service_id uuid,
    service_name text,
    customer_id uuid,
    customer_name text,
    customer_email text,
    customer_phone text,
    price_cents integer,
    deposit_cents integer,
    currency text,
    payment_status text,
    charged_cents integer,
    refunded_cents integer,
    fee_cents integer,
    hold_expires_at timestamptz,
    cancelled_at timestamptz,
    cancel_reason text,
    created_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_provider_id uuid;
    v_after_start timestamptz;
begin
    perform internal.require_role(
        'provider', 'only provider accounts have provider bookings', 'sign in as a provider first'
    );
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    if p_from in ('infinity', '-infinity') or p_to in ('infinity', '-infinity') then
        perform internal.fail('invalid_input', 'from and to must be finite timestamps');
    end if;
    if p_to <= p_from then
        perform internal.fail('invalid_input', 'to must be after from');
    end if;
    if p_status is not null and p_status not in (
        'pending_payment', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired'
    ) then
        perform internal.fail(
            'invalid_input',
            'status must be pending_payment, confirmed, completed, no_show, cancelled or expired'
        );
    end if;
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if v_provider_id is null then
        -- no profile yet: no bookings either
        return;
    end if;
    if p_after_id is not null then
        select pg_catalog.lower(b.during) into v_after_start
        from app.bookings as b
        where b.id = p_after_id and b.provider_id = v_provider_id;
        if v_after_start is null then
            -- the same answer for another provider's booking and for none
            perform internal.fail('not_found', 'after_id is not one of your bookings');
        end if;
    end if;
    return query
    select
        b.id,
        b.status,
        pg_catalog.lower(b.during),
        pg_catalog.upper(b.during),
        pr.time_zone,
        b.service_id,
        s.name,
        b.customer_id,
        u.full_name,
        case
            when u.deleted_at is null and internal.provider_may_contact(b.status, pg_catalog.upper(b.during))
                then u.email::text
        end,
        case
            when u.deleted_at is null and internal.provider_may_contact(b.status, pg_catalog.upper(b.during))
                then u.phone
        end,
        b.price_cents,
        b.deposit_cents,
        b.currency,
        pay.status,
        m.captured_cents,
        m.refund_pending_cents + m.refund_succeeded_cents,
        m.fee_cents,
        case when b.status = 'pending_payment' then b.hold_expires_at end,
        b.cancelled_at,
        b.cancel_reason,
        b.created_at
    from app.bookings as b
    inner join app.providers as pr on b.provider_id = pr.id
    inner join app.services as s on b.service_id = s.id
    inner join app.users as u on b.customer_id = u.id
    left join app.payments as pay on b.id = pay.booking_id
    cross join lateral internal.booking_money(b.id) as m
    where
        b.provider_id = v_provider_id
        and (p_from is null or pg_catalog.lower(b.during) >= p_from)
        and (p_to is null or pg_catalog.lower(b.during) < p_to)
        and (p_status is null or b.status = p_status)
        and (p_service_id is null or b.service_id = p_service_id)
        and (p_customer_id is null or b.customer_id = p_customer_id)
        and (p_booking_id is null or b.id = p_booking_id)
        and (
            v_after_start is null
            or (pg_catalog.lower(b.during), b.id) > (v_after_start, p_after_id)
        )
    order by pg_catalog.lower(b.during), b.id
    limit p_limit;
end
$$;
comment on function internal.my_provider_bookings(
    timestamptz, timestamptz, text, uuid, uuid, uuid, integer, uuid
) is
$$The caller's provider's bookings with the customer's name and, while needed, contact; oldest start first.
Definer: a provider may not read app.users; this reads the customers of its own bookings only.$$;

create or replace function api.my_provider_bookings(
    "from" timestamptz default null,
    "to" timestamptz default null,
    status text default null,
    service_id uuid default null,
    customer_id uuid default null,
    booking_id uuid default null,
    "limit" integer default 100,
    after_id uuid default null
)
returns table (
    id uuid,
    status text,
    starts_at timestamptz,
    ends_at timestamptz,
    time_zone text,
    service_id uuid,
    service_name text,
    customer_id uuid,
    customer_name text,
    customer_email text,
    customer_phone text,
    price_cents integer,
    deposit_cents integer,
    currency text,
    payment_status text,
    charged_cents integer,
    refunded_cents integer,
    fee_cents integer,
    hold_expires_at timestamptz,
    cancelled_at timestamptz,
    cancel_reason text,
    created_at timestamptz
)
language sql
stable
set search_path = ''
as $$
    select * from internal.my_provider_bookings(
        my_provider_bookings."from", my_provider_bookings."to", my_provider_bookings.status,
        my_provider_bookings.service_id, my_provider_bookings.customer_id, my_provider_bookings.booking_id,
        my_provider_bookings."limit", my_provider_bookings.after_id
    )
$$;
comment on function api.my_provider_bookings(timestamptz, timestamptz, text, uuid, uuid, uuid, integer, uuid) is
$$The calling provider's bookings with who booked: the calendar of the provider dashboard, oldest start first.

Only the bookings of the caller's own provider profile, whatever the filters say: another provider's booking, service or customer id simply matches nothing.
Each row: the booking (status, starts_at, ends_at, time_zone: the provider's, for display), the service, the amounts (price, deposit; charged_cents captured, refunded_cents pending and succeeded, fee_cents kept), and the customer: customer_name always; customer_email and customer_phone only for a confirmed booking, or a completed or no_show one that ended less than 30 days ago (null otherwise, and for a deleted account).
Inputs (each optional; given ones all apply): from and to (starts_at in [from, to)), status, service_id, customer_id, booking_id, limit (1-500, default 100), after_id (keyset pagination: the id of the last row of the previous page).
Over HTTP GET, a limit in the query string is PostgREST's own row limit (the same effect); POST the arguments as JSON to pass it as the argument.
Errors: 400 invalid_input naming limit, status, or to not after from; 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (after_id is not one of your bookings).$$;
