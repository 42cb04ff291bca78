-- The balance after a deposit (docs/money.md#the-balance): what is left of the
-- price and its taxes once the deposit is paid, and its settlement.
--
--   internal.booking_remainder          the balance: price - deposit, with the booking's taxes
--                                       minus the deposit's (the parts add up to the cent)
--   internal.balance_due_json           the balance and how it stands (none, open, due, paid)
--   api.mark_balance_paid_at_venue      the provider marks the balance paid at the venue

create or replace function internal.booking_remainder(p_booking app.bookings)
returns table (base_cents integer, gst_cents integer, qst_cents integer, total_cents integer)
language sql
immutable
set search_path = ''
as $$
    -- no row without a deposit (the first charge was the whole price and its taxes)
    select r.base, r.gst, r.qst, r.base + r.gst + r.qst
    from internal.booking_first_charge(p_booking) as f
    cross join lateral (
        select
            p_booking.price_cents - f.base_cents,
            p_booking.gst_cents - f.gst_cents,
            p_booking.qst_cents - f.qst_cents
    ) as r (base, gst, qst)
    where p_booking.deposit_cents > 0 and r.base > 0
$$;
comment on function internal.booking_remainder(app.bookings) is
$$A booking's balance after its deposit: price - deposit, and the booking's GST and QST minus the
deposit's (so deposit and balance add up to the booking's taxes to the cent). No row without a deposit.$$;

create or replace function internal.balance_due_json(p_booking_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'balance_cents', coalesce(r.total_cents, 0),
        'balance_base_cents', coalesce(r.base_cents, 0),
        'balance_gst_cents', coalesce(r.gst_cents, 0),
        'balance_qst_cents', coalesce(r.qst_cents, 0),
        'balance_status', case
            when r.total_cents is null then 'none'
            when bp.status = 'succeeded' then 'paid'
            when bp.status = 'due' then 'due'
            when bp.status = 'pending' then 'charging'
            when b.status in ('cancelled', 'expired', 'no_show') then 'void'
            else 'open'
        end,
        'balance_method', bp.method,
        'balance_paid_cents', coalesce(case when bp.status = 'succeeded' then bp.amount_cents end, 0),
        'balance_paid_at', case when bp.status = 'succeeded' then bp.updated_at end
    )
    from app.bookings as b
    left join internal.booking_remainder(b) as r on true
    left join app.balance_payments as bp on b.id = bp.booking_id
    where b.id = p_booking_id
$$;
comment on function internal.balance_due_json(uuid) is
$$A booking's balance after its deposit and how it stands: balance_cents (base, gst, qst), balance_status
(none: no deposit; open: not settled yet; charging; due: the card charge failed, the customer must pay;
paid; void: cancelled, expired or no-show), balance_method (venue or card), balance_paid_cents and _at.$$;

create or replace function internal.mark_balance_paid_at_venue(p_booking_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_party text;
    v_booking app.bookings;
    v_rem record;
    v_existing app.balance_payments;
    v_before jsonb;
    v_after jsonb;
begin
    perform internal.require(p_booking_id, 'booking_id');
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party <> 'provider' then
        perform internal.fail('forbidden', 'only the booking''s provider marks its balance paid at the venue');
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    select * into v_existing from app.balance_payments as bp where bp.booking_id = p_booking_id for update;
    if found and v_existing.method = 'venue' then
        -- idempotent: marked already; nothing changes, nothing is audited again
        return pg_catalog.jsonb_build_object('booking_id', p_booking_id) || internal.balance_due_json(p_booking_id);
    end if;
    if found and v_existing.status = 'succeeded' then
        perform internal.fail('conflict', 'the balance was already charged to the customer''s card');
    end if;
    if found and v_existing.status = 'pending' then
        perform internal.fail('conflict', 'the balance is being charged to the customer''s card; look again in a minute');
    end if;
    select * into v_rem from internal.booking_remainder(v_booking);
    if not found then
        perform internal.fail('invalid_transition', 'this booking has no balance: it was paid in full');
    end if;
    if v_booking.status not in ('confirmed', 'completed') then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking has no balance to collect', v_booking.status)
        );
    end if;
    if pg_catalog.now() < pg_catalog.lower(v_booking.during) then
        perform internal.fail(
            'invalid_transition', 'the balance can be marked paid at the venue only once the appointment has started'
        );
    end if;
    if not exists (select from app.payments as p where p.booking_id = p_booking_id and p.status = 'succeeded') then
        perform internal.fail('invalid_transition', 'the deposit of this booking was not paid');
    end if;
    v_before := internal.balance_due_json(p_booking_id);
    -- a card charge that failed (due) may still be settled at the venue
    insert into app.balance_payments as bp (
        booking_id, method, status, base_cents, gst_cents, qst_cents, amount_cents, marked_by
    )
    values (
        p_booking_id, 'venue', 'succeeded', v_rem.base_cents, v_rem.gst_cents, v_rem.qst_cents, v_rem.total_cents,
        internal.current_user_id()
    )
    on conflict (booking_id) do update
        set method = 'venue', status = 'succeeded', marked_by = excluded.marked_by, updated_at = pg_catalog.now()
        where bp.status = 'due';
    v_after := pg_catalog.jsonb_build_object('booking_id', p_booking_id) || internal.balance_due_json(p_booking_id);
    perform internal.audit('payment.balance_paid_at_venue', 'app.bookings', p_booking_id::text, v_before, v_after);
    return v_after;
end
$$;
comment on function internal.mark_balance_paid_at_venue(uuid) is
$$The provider's owner marks a started (confirmed or completed) booking's balance paid at the venue: once,
idempotent, audited. Definer: writes app.balance_payments and the audit log.$$;

create or replace function api.mark_balance_paid_at_venue(booking_id uuid default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.mark_balance_paid_at_venue(mark_balance_paid_at_venue.booking_id)
$$;
comment on function api.mark_balance_paid_at_venue(uuid) is
$$Mark the balance of a booking taken with a deposit paid at the venue (role provider, your own bookings).

POST /rpc/mark_balance_paid_at_venue {"booking_id": ...} once the appointment has started (confirmed or
completed). The balance is price - deposit plus its taxes (the booking's GST and QST minus the deposit's).
Calling it again returns the same answer and changes nothing. Returns booking_id, balance_cents,
balance_base_cents, balance_gst_cents, balance_qst_cents, balance_status (paid), balance_method (venue),
balance_paid_cents, balance_paid_at. Audited (payment.balance_paid_at_venue).
Errors: 400 invalid_input (booking_id missing); 401 not_authenticated; 403 forbidden (not the provider);
404 not_found (not your booking); 409 invalid_transition (no deposit, not started, cancelled, expired or
no-show, deposit unpaid); 409 conflict (already charged to the card, or being charged).$$;
