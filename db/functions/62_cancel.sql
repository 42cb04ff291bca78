-- Cancelling a booking under its own policy (customer, provider; ops through
-- 66_ops.sql), and the preview of what cancelling now would refund. The policy
-- and the lock order are described at the top of 60_after_booking.sql.

create or replace function internal.cancellation_terms(p_booking_id uuid, p_party text, p_now timestamptz)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
    v_booking app.bookings;
    v_money record;
    v_left integer;
    v_late integer;
    v_deadline timestamptz;
    v_in_time boolean;
    v_refusal text;
    v_refund integer;
begin
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    select * into strict v_money from internal.booking_money(p_booking_id);
    v_left := greatest(0, v_money.captured_cents - v_money.refund_pending_cents - v_money.refund_succeeded_cents);
    -- late: the captured amount minus the fee, never below 0, never more than is left
    v_late := greatest(0, least(v_left, v_money.captured_cents - v_booking.cancel_fee_cents));
    v_deadline := pg_catalog.lower(v_booking.during) - pg_catalog.make_interval(hours => v_booking.cancel_notice_hours);
    v_in_time := p_now <= v_deadline;
    -- what cancel_booking_as would refuse, with the same code (null: it would cancel)
    v_refusal := case
        when v_booking.status not in ('pending_payment', 'confirmed') then 'invalid_transition'
        when p_party <> 'ops' and p_now >= pg_catalog.lower(v_booking.during) then 'booking_started'
    end;
    v_refund := case
        when v_refusal is not null then 0
        when p_party = 'customer' and not v_in_time then v_late
        else v_left
    end;
    return pg_catalog.jsonb_build_object(
        'booking_id', v_booking.id,
        'status', v_booking.status,
        'can_cancel', v_refusal is null,
        'refusal', v_refusal,
        -- customers and providers cancel only before the start; ops at any time
        'cancellable_until', case when p_party <> 'ops' then pg_catalog.lower(v_booking.during) end,
        'cancelled_by', p_party,
        'currency', v_booking.currency,
        'captured_cents', v_money.captured_cents,
        'already_refunded_cents', v_money.refund_pending_cents + v_money.refund_succeeded_cents,
        'refund_cents', v_refund,
        'fee_cents', case when v_refusal is null then v_left - v_refund else 0 end,
        'cancel_notice_hours', v_booking.cancel_notice_hours,
        'cancel_fee_cents', v_booking.cancel_fee_cents,
        'deadline', v_deadline,
        'within_notice', p_party = 'customer' and v_in_time,
        -- when the answer changes for this caller, and to what (null: it will not)
        'changes_at', case when p_party = 'customer' and v_in_time and v_late <> v_left then v_deadline end,
        'refund_after_change_cents', case when p_party = 'customer' and v_in_time and v_late <> v_left then v_late end
    );
end
$$;
comment on function internal.cancellation_terms(uuid, text, timestamptz) is
'What cancelling a booking at p_now by p_party would refund and keep, and the deadline where that changes.';

create or replace function internal.cancel_booking_as(
    p_booking_id uuid,
    p_party text,
    p_reason text,
    p_refund boolean
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_booking app.bookings;
    v_payment app.payments;
    v_terms jsonb;
    v_refund integer;
    v_fee integer;
    v_actor uuid := internal.current_user_id();
begin
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    if v_booking.status not in ('pending_payment', 'confirmed') then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot be cancelled', v_booking.status)
        );
    end if;
    -- After the start the customer has had (or missed) the service: never a refund by
    -- default. The provider marks it completed or no_show (mark_booking); ops can still
    -- force-cancel. cancellation_terms says the same to the preview.
    if p_party <> 'ops' and pg_catalog.now() >= pg_catalog.lower(v_booking.during) then
        perform internal.fail(
            'booking_started',
            'the booking has started, so it can no longer be cancelled; '
            || case when p_party = 'provider' then 'mark it completed or no_show instead'
                else 'ask the provider or support' end
        );
    end if;
    v_terms := internal.cancellation_terms(p_booking_id, p_party, pg_catalog.now());
    v_refund := case when p_refund then (v_terms ->> 'refund_cents')::integer else 0 end;
    v_fee := case when p_party = 'customer' then (v_terms ->> 'fee_cents')::integer else 0 end;

    -- the state machine writes it, tells both parties and cancels an unpaid PaymentIntent
    perform internal.transition_booking(
        p_booking_id, 'cancelled', p_party, p_reason,
        pg_catalog.jsonb_build_object('refund_cents', v_refund, 'cancelled_by_user', v_actor)
    );
    if v_refund > 0 then
        perform internal.request_refund(
            p_booking_id, v_refund, pg_catalog.left('cancelled by ' || p_party || ': ' || p_reason, 500),
            v_actor, p_party
        );
    end if;
    if v_fee > 0 then
        insert into app.booking_fees (booking_id, payment_id, kind, amount_cents)
        values (p_booking_id, v_payment.id, 'cancellation', v_fee);
    end if;
    return internal.booking_json(p_booking_id)
        || pg_catalog.jsonb_build_object('refund_cents', v_refund, 'fee_cents', v_fee, 'cancelled_by', p_party);
end
$$;
comment on function internal.cancel_booking_as(uuid, text, text, boolean) is
'Cancel a live booking for a party already checked: refund per policy, cancel an unpaid intent, notify.';

-- --- cancel ---------------------------------------------------------------------------

create or replace function internal.cancel_booking(p_booking_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_party text;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'cancelling a booking needs a signed-in user');
    end if;
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party = 'ops' then
        perform internal.fail('forbidden', 'ops cancel through ops_force_cancel');
    end if;
    return internal.cancel_booking_as(p_booking_id, v_party, pg_catalog.btrim(p_reason), true);
end
$$;
comment on function internal.cancel_booking(uuid, text) is
$$Cancel a booking as its customer or its provider's owner, under the booking's policy.
Definer: writes bookings, refunds, fees and the queue, which no API role may write directly.$$;

create or replace function api.cancel_booking(booking_id uuid default null, reason text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.cancel_booking(booking_id, reason)
$$;
comment on function api.cancel_booking(uuid, text) is
$$Cancel a booking (its customer, or the owner of its provider), with a reason.

A customer cancelling at least cancel_notice_hours before the start gets back everything paid; later, what was paid minus cancel_fee_cents (never below 0). A provider cancelling refunds in full. Neither may cancel once the booking has started: the provider then marks it completed or no_show (POST /rpc/mark_booking); only ops can still cancel it. An unpaid booking's payment is cancelled. Both parties are notified.
Returns the booking with refund_cents, fee_cents and cancelled_by. See GET /rpc/cancellation_preview first.
Errors: 400 invalid_input (missing booking_id or reason); 404 not_found (not your booking); 409 invalid_transition (already cancelled, expired, completed or no_show), booking_started (the start time has passed). Not idempotent: a second call is a 409.$$;

create or replace function internal.cancellation_preview(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_party text;
begin
    perform internal.require(p_booking_id, 'booking_id');
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.cancellation_terms(p_booking_id, v_party, pg_catalog.now());
end
$$;
comment on function internal.cancellation_preview(uuid) is
'What cancelling now would refund the caller''s party, and when that changes. Definer: reads the ledger.';

create or replace function api.cancellation_preview(booking_id uuid default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.cancellation_preview(booking_id)
$$;
comment on function api.cancellation_preview(uuid) is
$$What you would get back if you cancelled this booking now, and when that changes.

Returns refund_cents and fee_cents now, captured_cents, already_refunded_cents, deadline (start minus cancel_notice_hours), and changes_at / refund_after_change_cents when waiting past the deadline would lower the refund (customers only).
can_cancel is false, refund_cents and fee_cents 0, and refusal names the error cancel_booking would give (invalid_transition: the booking has ended; booking_started: its start has passed, for the customer and the provider) when cancelling now would be refused; cancellable_until is the start for them (null for ops, who may cancel at any time).
Errors: 400 invalid_input; 404 not_found (not your booking).$$;
