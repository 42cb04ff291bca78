-- After booking: cancel under the booking's own policy, reschedule, ops refunds
-- and force-cancel, completion (by the provider, or the sweep), and a booking's
-- money balance.
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
language sql
stable
set search_path = ''
as $$
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
    where b.id = p_booking_id
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
        'charged_cents', m.captured_cents,
        'refunded_cents', m.refund_pending_cents + m.refund_succeeded_cents,
        'refund_pending_cents', m.refund_pending_cents,
        'refund_succeeded_cents', m.refund_succeeded_cents,
        'fee_cents', m.fee_cents,
        'net_cents', m.captured_cents - m.refund_pending_cents - m.refund_succeeded_cents,
        'refundable_cents', m.captured_cents - m.refund_pending_cents - m.refund_succeeded_cents
    )
    from app.bookings as b
    cross join internal.booking_money(b.id) as m
    where b.id = p_booking_id
$$;
comment on function internal.balance_json(uuid) is
'A booking''s balance as the API returns it: charged, refunded (pending and succeeded), fee, net.';

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
    if p_booking_id is null then
        perform internal.fail('invalid_input', 'booking_id is required');
    end if;
    if p_reason is null or pg_catalog.btrim(p_reason) = '' then
        perform internal.fail('invalid_input', 'reason is required');
    end if;
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
    if p_booking_id is null then
        perform internal.fail('invalid_input', 'booking_id is required');
    end if;
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

-- --- reschedule -----------------------------------------------------------------------

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
    if p_booking_id is null then
        perform internal.fail('invalid_input', 'booking_id is required');
    end if;
    if p_new_starts_at is null or p_new_starts_at in ('infinity', '-infinity') then
        perform internal.fail('invalid_input', 'new_starts_at is required (a timestamp with time zone)');
    end if;
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

-- --- ops -----------------------------------------------------------------------------

create or replace function internal.ops_check(p_booking_id uuid, p_reason text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if auth.role() <> 'ops' then
        perform internal.fail('forbidden', 'only ops staff can do this');
    end if;
    if p_booking_id is null then
        perform internal.fail('invalid_input', 'booking_id is required');
    end if;
    if p_reason is null or pg_catalog.btrim(p_reason) = '' then
        perform internal.fail('invalid_input', 'reason is required');
    end if;
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

-- --- completion ----------------------------------------------------------------------

create or replace function internal.mark_booking(p_booking_id uuid, p_outcome text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_party text;
    v_booking app.bookings;
begin
    if p_booking_id is null then
        perform internal.fail('invalid_input', 'booking_id is required');
    end if;
    if p_outcome is null or p_outcome not in ('completed', 'no_show') then
        perform internal.fail('invalid_input', 'outcome must be completed or no_show');
    end if;
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party <> 'provider' then
        perform internal.fail('forbidden', 'only the provider marks a booking completed or no_show');
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    if v_booking.status <> 'confirmed' then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot become %s', v_booking.status, p_outcome)
        );
    end if;
    if pg_catalog.now() < pg_catalog.lower(v_booking.during) then
        perform internal.fail('invalid_transition', 'a booking can be marked only once it has started');
    end if;
    perform internal.transition_booking(p_booking_id, p_outcome, 'provider');
    return internal.booking_json(p_booking_id);
end
$$;
comment on function internal.mark_booking(uuid, text) is
'Mark a started, confirmed booking completed or no_show (its provider''s owner). Definer: writes bookings.';

create or replace function api.mark_booking(booking_id uuid default null, outcome text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.mark_booking(booking_id, outcome)
$$;
comment on function api.mark_booking(uuid, text) is
$$Mark a confirmed booking completed or no_show once it has started (the provider's owner).

Bookings nobody marks complete automatically complete_after_minutes (default 120) after their end.
Errors: 400 invalid_input (outcome not completed or no_show); 403 forbidden (not the provider); 404 not_found; 409 invalid_transition (not confirmed, or not started yet).$$;

create or replace function internal.complete_due_bookings(p_limit integer)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_id uuid;
    v_count integer := 0;
begin
    -- skip locked: a booking another transaction is changing is left for the next sweep
    for v_id in
        select b.id from app.bookings as b
        where
            b.status = 'confirmed'
            and pg_catalog.upper(b.during) <= pg_catalog.now() - pg_catalog.make_interval(
                mins => coalesce(internal.setting('complete_after_minutes')::integer, 120)
            )
        order by pg_catalog.upper(b.during)
        limit p_limit
        for no key update skip locked
    loop
        perform internal.transition_booking(v_id, 'completed', 'system');
        v_count := v_count + 1;
    end loop;
    return v_count;
end
$$;
comment on function internal.complete_due_bookings(integer) is
'Complete confirmed bookings that ended more than complete_after_minutes ago (for internal.sweep).';

-- --- balance -------------------------------------------------------------------------

create or replace function internal.booking_balance(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    if p_booking_id is null then
        perform internal.fail('invalid_input', 'booking_id is required');
    end if;
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

charged_cents (captured), refunded_cents (pending and succeeded), fee_cents (kept on cancellation), net_cents (charged minus refunded).

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
