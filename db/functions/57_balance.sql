-- The balance after a deposit (docs/money.md#the-balance): what is left of the
-- price and its taxes once the deposit is paid, and its settlement.
--
--   internal.booking_remainder          the balance: price - deposit, with the booking's taxes
--                                       minus the deposit's (the parts add up to the cent)
--   internal.balance_due_json           the balance and how it stands (none, open, due, paid)
--   (the provider marks it paid at the venue: 61_balance_venue.sql)

create or replace function internal.booking_remainder(p_booking app.bookings)
returns table (base_cents integer, gst_cents integer, qst_cents integer, total_cents integer)
language sql
immutable
-- no SET clause (every name in it is schema-qualified): inlined where it is called, not planned
-- afresh on each call (internal.booking_money says why)
as $$
    -- no row without a deposit (the first charge was the whole price and its taxes)
    select p.balance_base_cents, p.balance_gst_cents, p.balance_qst_cents, p.balance_total_cents
    from internal.price_parts(
        p_booking.price_cents, p_booking.deposit_cents, p_booking.gst_rate, p_booking.qst_rate,
        p_booking.gst_cents, p_booking.qst_cents
    ) as p
    where p_booking.deposit_cents > 0 and p.balance_base_cents > 0
$$;
comment on function internal.booking_remainder(app.bookings) is
$$A booking's balance after its deposit: price - deposit, and the booking's GST and QST minus the
deposit's (so deposit and balance add up to the booking's taxes to the cent; internal.price_parts, as the
quote's offers show it). No row without a deposit.$$;

create or replace function internal.balance_due_json(p_booking_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
-- PL/pgSQL: its plan kept for the session. As a language sql function called from another
-- function's statement it was planned afresh on each call (a customer's history of 50
-- bookings: 5 of its 31 ms). One generic plan (a booking by its key), whatever its caller sets
set plan_cache_mode = force_generic_plan
as $$
begin
    return (select pg_catalog.jsonb_build_object(
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
    where b.id = p_booking_id);
end
$$;
comment on function internal.balance_due_json(uuid) is
$$A booking's balance after its deposit and how it stands: balance_cents (base, gst, qst), balance_status
(none: no deposit; open: not settled yet; charging; due: the card charge failed, the customer must pay;
paid; void: cancelled, expired or no-show), balance_method (venue or card), balance_paid_cents and _at.$$;
