-- Ops actions on a booking: refunds and force-cancel, each with a reason
-- written to the audit log.

create or replace function internal.ops_check(p_booking_id uuid, p_reason text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff can do this');
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    if not exists (select from app.bookings as b where b.id = p_booking_id) then
        perform internal.fail('not_found', 'no such booking');
    end if;
end
$$;
comment on function internal.ops_check(uuid, text) is
'Refuse an ops action by a non-ops caller, without a reason, or on no booking.';

create or replace function internal.ops_refund(p_booking_id uuid, p_amount_cents integer, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_before jsonb;
    v_after jsonb;
    v_refund_id uuid;
begin
    perform internal.ops_check(p_booking_id, p_reason);
    if p_amount_cents is null or p_amount_cents <= 0 then
        perform internal.fail('invalid_input', 'amount_cents must be a positive number of cents');
    end if;
    -- the payment row lock (request_refund takes it too) makes "before" exact
    perform from app.payments as p where p.booking_id = p_booking_id for update;
    v_before := internal.balance_json(p_booking_id);
    -- request_refund locks the payment row: concurrent refunds of one booking
    -- are checked one after the other, never past what was captured
    v_refund_id := internal.request_refund(
        p_booking_id, p_amount_cents, pg_catalog.btrim(p_reason), internal.current_user_id(), 'ops'
    );
    v_after := internal.balance_json(p_booking_id) || pg_catalog.jsonb_build_object('refund_id', v_refund_id);
    perform internal.audit(
        'booking.ops_refund', 'app.bookings', p_booking_id::text, v_before, v_after, pg_catalog.btrim(p_reason)
    );
    return v_after;
end
$$;
comment on function internal.ops_refund(uuid, integer, text) is
$$Refund part or all of a booking's charge (ops only), never past what was captured; audited.
Definer: writes the refund ledger, the queue and the audit log.$$;

create or replace function api.ops_refund(
    booking_id uuid default null,
    amount_cents integer default null,
    reason text default null
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.ops_refund(booking_id, amount_cents, reason)
$$;
comment on function api.ops_refund(uuid, integer, text) is
$$Refund an amount of a booking's charge (ops only), with a reason; partial refunds add up.

The refund is queued for Stripe and counts at once. Returns the booking's balance after it, with refund_id. Every call is written to the audit log with the balance before and after.
Errors: 400 invalid_input (missing reason, amount not positive); 403 forbidden (not ops); 404 not_found; 409 conflict (more than is still refundable, or nothing captured). Not idempotent: each call is a new refund.$$;

create or replace function internal.ops_force_cancel(p_booking_id uuid, p_reason text, p_refund boolean)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    perform internal.ops_check(p_booking_id, p_reason);
    if p_refund is null then
        perform internal.fail('invalid_input', 'refund must be true or false');
    end if;
    -- the status trigger audits the change (actor, before, after, reason, request id)
    return internal.cancel_booking_as(p_booking_id, 'ops', pg_catalog.btrim(p_reason), p_refund);
end
$$;
comment on function internal.ops_force_cancel(uuid, text, boolean) is
$$Cancel any live booking (ops only), refunding everything still refundable if asked; audited.
Definer: writes bookings, refunds and the queue.$$;

create or replace function api.ops_force_cancel(
    booking_id uuid default null,
    reason text default null,
    refund boolean default true
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.ops_force_cancel(booking_id, reason, refund)
$$;
comment on function api.ops_force_cancel(uuid, text, boolean) is
$$Cancel a pending_payment or confirmed booking (ops only), with a reason.

refund (default true) gives back everything still refundable.
Both parties are notified; the cancellation is written to the audit log.
Errors: 400 invalid_input (missing reason); 403 forbidden (not ops); 404 not_found; 409 invalid_transition (already ended).$$;
