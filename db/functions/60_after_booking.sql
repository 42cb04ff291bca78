-- After booking, what the next files share: who the caller is to a booking
-- (booking_party), its money (booking_money, balance_json, the API's
-- booking_balance) and the fee ledger's invariant. The actions themselves, by
-- concern: 62_cancel.sql, 64_reschedule.sql, 66_ops.sql (refunds and
-- force-cancel), 68_completion.sql (the provider's mark and the sweep).
--
-- Policy (copied from the quote onto the booking, so later changes to the
-- service never alter it): a customer cancelling at least cancel_notice_hours
-- before the start gets back everything still refundable; later, the captured
-- amount minus cancel_fee_cents (never below 0). A provider or ops cancelling
-- refunds in full. A customer may reschedule only before that same deadline.
-- Once the booking has started neither the customer nor the provider may cancel
-- or move it (booking_started): the provider marks it completed or no_show, the
-- sweep completes it, and only ops can still force-cancel it.
--
-- Locks, in the order the Stripe webhook takes them (internal.apply_payment_intent_event),
-- so that a cancellation racing a payment event waits instead of deadlocking: the
-- provider's advisory lock (reschedule), the payment row, then the booking row (for no
-- key update: it does not block the key-share locks that foreign keys take).

create or replace function internal.booking_party(p_booking_id uuid)
returns text
language sql
stable
set search_path = ''
as $$
    select case
        when auth.role() = 'customer' and b.customer_id = auth.uid() then 'customer'
        when auth.role() = 'provider' and pr.owner_id = auth.uid() then 'provider'
        when auth.role() = 'ops' then 'ops'
    end
    from app.bookings as b
    inner join app.providers as pr on b.provider_id = pr.id
    where b.id = p_booking_id
$$;
comment on function internal.booking_party(uuid) is
'The caller''s part in a booking: customer, provider (its owner), ops, or null (a stranger or no booking).';

create or replace function internal.current_user_id()
returns uuid
language sql
stable
set search_path = ''
as $$
    -- an ops token's subject need not be a user row; foreign keys want one
    select u.id from app.users as u where u.id = auth.uid()
$$;
comment on function internal.current_user_id() is
'The caller''s user id if it names a user row, else null (for foreign keys such as cancelled_by).';

create or replace function internal.booking_money(p_booking_id uuid)
returns table (
    payment_id uuid,
    captured_cents integer,
    refund_pending_cents integer,
    refund_succeeded_cents integer,
    fee_cents integer
)
language plpgsql
stable
set search_path = ''
-- PL/pgSQL: its plan kept for the session. As a language sql function called from another
-- function's statement it was planned afresh on each call (a customer's history of 50 balances
-- spent 7 of its 31 ms planning it); inlined instead, it made the lists that join it per row
-- (ops' and a provider's bookings) plan a join of seven tables, 8-12 ms a call.
-- One generic plan (a booking by its key), whatever its caller sets: under ops_bookings'
-- force_custom_plan it was planned again for each of the page's bookings
set plan_cache_mode = force_generic_plan
as $$
begin
    return query
    select
        p.id,
        coalesce(case when p.status = 'succeeded' then p.captured_cents end, 0),
        coalesce((
            select sum(r.amount_cents) from app.refunds as r
            where r.booking_id = b.id and r.status = 'pending'
        ), 0)::integer,
        coalesce((
            select sum(r.amount_cents) from app.refunds as r
            where r.booking_id = b.id and r.status = 'succeeded'
        ), 0)::integer,
        coalesce((select sum(f.amount_cents) from app.booking_fees as f where f.booking_id = b.id), 0)::integer
    from app.bookings as b
    left join app.payments as p on b.id = p.booking_id
    where b.id = p_booking_id;
end
$$;
comment on function internal.booking_money(uuid) is
'A booking''s money: its payment, what was captured, refunds pending and succeeded, fees kept.';

create or replace function internal.balance_json(p_booking_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'status', b.status,
        'currency', b.currency,
        'payment_id', m.payment_id,
        -- the card charges: the deposit's (or the price's) and the balance charged to the
        -- saved card (63_balance_card.sql), as the refunds and the over-refund guard count them
        'charged_cents', m.captured_cents + c.card_cents,
        'refunded_cents', m.refund_pending_cents + m.refund_succeeded_cents,
        'refund_pending_cents', m.refund_pending_cents,
        'refund_succeeded_cents', m.refund_succeeded_cents,
        'fee_cents', m.fee_cents,
        'net_cents', m.captured_cents + c.card_cents - m.refund_pending_cents - m.refund_succeeded_cents,
        'refundable_cents', m.captured_cents + c.card_cents - m.refund_pending_cents - m.refund_succeeded_cents
    ) || x.bal || pg_catalog.jsonb_build_object(
        -- everything the customer paid: the card charge and the balance after a deposit
        -- (at the venue or by card: 57_balance.sql)
        'settled_cents', m.captured_cents + (x.bal ->> 'balance_paid_cents')::integer
    )
    from app.bookings as b
    -- offset 0: computed once (pulled up, each read of x.bal would call it again)
    cross join lateral (select internal.balance_due_json(b.id) as bal offset 0) as x
    cross join lateral (
        select coalesce(sum(bp.amount_cents), 0)::integer as card_cents
        from app.balance_payments as bp
        where bp.booking_id = b.id and bp.method = 'card' and bp.status = 'succeeded'
    ) as c
    cross join internal.booking_money(b.id) as m
    where b.id = p_booking_id
$$;
comment on function internal.balance_json(uuid) is
$$A booking's balance as the API returns it: charged (the card charges: deposit or price, and the balance
charged to the saved card), refunded (pending and succeeded), fee, net; the
balance after a deposit (internal.balance_due_json) and settled_cents (charged + balance paid).$$;

-- --- balance -------------------------------------------------------------------------

create or replace function internal.booking_balance(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform internal.require(p_booking_id, 'booking_id');
    if internal.booking_party(p_booking_id) is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.balance_json(p_booking_id);
end
$$;
comment on function internal.booking_balance(uuid) is
'A booking''s money for its customer, its provider''s owner or ops. Definer: reads the ledger and fees.';

create or replace function api.booking_balance(booking_id uuid default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.booking_balance(booking_id)
$$;
comment on function api.booking_balance(uuid) is
$$A booking's money: what was charged and refunded, the fee kept, and the net.

charged_cents (captured by card: the deposit or the price, and the balance charged to the saved card),
refunded_cents (pending and succeeded), fee_cents (kept on cancellation), net_cents (charged minus refunded).
After a deposit: balance_cents (price - deposit with its taxes: balance_base_cents, balance_gst_cents,
balance_qst_cents), balance_status (none, open, charging, due, paid, void), balance_method (venue or
card), balance_paid_cents, balance_paid_at; settled_cents (charged + balance paid).

For the booking's customer, its provider's owner and ops.
Errors: 400 invalid_input; 404 not_found (not your booking).$$;

-- --- the ledger's other invariant ------------------------------------------------------

create or replace function internal.booking_fees_check_total()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_captured integer;
    v_fees bigint;
begin
    select p.captured_cents into v_captured from app.payments as p where p.id = new.payment_id;
    select coalesce(sum(f.amount_cents), 0) into v_fees
    from app.booking_fees as f
    where f.payment_id = new.payment_id;
    if v_fees > coalesce(v_captured, 0) then
        perform internal.fail(
            'conflict', pg_catalog.format('fees would total %s cents, more than the %s charged', v_fees, v_captured)
        );
    end if;
    return null;
end
$$;
comment on function internal.booking_fees_check_total() is
'Constraint trigger: the fees a booking keeps never add up to more than its charge.';

drop trigger if exists _100_fee_total on app.booking_fees;
create constraint trigger _100_fee_total after insert or update of amount_cents on app.booking_fees
deferrable initially immediate
for each row execute function internal.booking_fees_check_total();
