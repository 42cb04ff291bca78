-- Payments: the worker's entry points (it performs the Stripe calls the
-- database asks for) and the effects of Stripe's webhook events. Each entry
-- point is idempotent: a redelivered message or event changes nothing twice.

create or replace function internal.payment_intent_request(p_payment_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'payment_id', p.id,
        'booking_id', b.id,
        'customer_id', b.customer_id,
        'amount_cents', p.amount_cents,
        'currency', pg_catalog.lower(p.currency),
        'payment_status', p.status,
        'booking_status', b.status,
        'stripe_payment_intent_id', p.stripe_payment_intent_id,
        -- a destination charge (55_connect.sql): the provider's account and the commission
        'transfer_destination', p.transfer_destination,
        'application_fee_cents', p.application_fee_cents,
        -- the customer's consent to save the card for the balance (63_balance_card.sql),
        -- and its Stripe Customer if one was made already
        'save_card', p.save_card,
        'stripe_customer_id', (
            select c.stripe_customer_id from app.stripe_customers as c where c.user_id = b.customer_id
        ),
        -- create an intent only for a booking still awaiting payment
        'wanted', b.status = 'pending_payment' and p.status = 'pending'
    )
    from app.payments as p
    inner join app.bookings as b on p.booking_id = b.id
    where p.id = p_payment_id
$$;
comment on function internal.payment_intent_request(uuid) is
'What the worker needs to create (or cancel) a payment''s PaymentIntent. Definer: the worker role reads no app table.';

create or replace function internal.record_payment_intent(
    p_payment_id uuid,
    p_intent_id text,
    p_client_secret text
)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payment app.payments;
    v_booking_status text;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_intent_id is null or p_intent_id !~ '^pi_[A-Za-z0-9_]+$' then
        perform internal.fail('invalid_input', 'p_intent_id must be a PaymentIntent id (pi_...)');
    end if;
    select * into v_payment from app.payments as p where p.id = p_payment_id for update;
    if not found then
        perform internal.fail('not_found', 'no such payment');
    end if;
    if v_payment.stripe_payment_intent_id = p_intent_id then
        return 'already recorded';
    end if;
    if v_payment.stripe_payment_intent_id is not null then
        perform internal.fail('conflict', 'this payment already has another PaymentIntent');
    end if;
    update app.payments as p
    set
        stripe_payment_intent_id = p_intent_id,
        client_secret = p_client_secret,
        status = case when p.status = 'pending' then 'requires_payment' else p.status end,
        updated_at = pg_catalog.now()
    where p.id = p_payment_id;
    perform internal.audit('payment.intent_created', 'app.payments', p_payment_id::text,
        null, pg_catalog.jsonb_build_object('stripe_payment_intent_id', p_intent_id));
    select b.status into v_booking_status from app.bookings as b where b.id = v_payment.booking_id;
    if v_booking_status in ('expired', 'cancelled') then
        -- the hold ended while the intent was being created: cancel it too
        perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
            'type', 'payment.cancel_intent', 'booking_id', v_payment.booking_id, 'payment_id', p_payment_id
        ));
        return 'recorded; booking already ended, cancel requested';
    end if;
    return 'recorded';
end
$$;
comment on function internal.record_payment_intent(uuid, text, text) is
'Worker entry point: store a created PaymentIntent (idempotent). Definer: the worker role writes no app table.';

create or replace function internal.record_payment_intent_cancelled(p_payment_id uuid)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    update app.payments as p
    set status = 'cancelled', client_secret = null, updated_at = pg_catalog.now()
    where p.id = p_payment_id and p.status in ('pending', 'requires_payment');
    return case when found then 'cancelled' else 'unchanged' end;
end
$$;
comment on function internal.record_payment_intent_cancelled(uuid) is
'Worker entry point: a PaymentIntent was cancelled in Stripe (idempotent). Definer: as above.';

create or replace function internal.record_payment_failure(p_payment_id uuid, p_reason text)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payment app.payments;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    select * into v_payment from app.payments as p where p.id = p_payment_id for update;
    if not found then
        return 'unknown payment';
    end if;
    if v_payment.status in ('succeeded', 'failed') then
        return 'unchanged';
    end if;
    update app.payments as p
    set status = 'failed', failure_reason = pg_catalog.left(p_reason, 500), updated_at = pg_catalog.now()
    where p.id = p_payment_id;
    -- a booking that cannot be paid cannot be kept: free the slot, and say so
    perform from app.bookings as b
    where b.id = v_payment.booking_id and b.status = 'pending_payment'
    for no key update;
    if found then
        perform internal.transition_booking(
            v_payment.booking_id, 'cancelled', 'system',
            'the payment could not be set up: ' || pg_catalog.left(p_reason, 200)
        );
    end if;
    return 'failed';
end
$$;
comment on function internal.record_payment_failure(uuid, text) is
'Worker entry point: Stripe refused to set up the payment for good; the booking is cancelled and both parties told (idempotent).';

create or replace function internal.refund_request(p_refund_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'refund_id', r.id,
        'booking_id', r.booking_id,
        'amount_cents', r.amount_cents,
        'status', r.status,
        'stripe_refund_id', r.stripe_refund_id,
        -- the deposit's intent, or the balance's when the refund gives the balance back
        'stripe_payment_intent_id', case when r.balance_charge then bp.stripe_payment_intent_id
            else p.stripe_payment_intent_id end,
        'balance_charge', r.balance_charge,
        -- how a destination charge's refund unwinds (55_connect.sql): Stripe's proportional
        -- reverse_transfer, unless the transfer is reversed apart (a late cancellation)
        'reverse_transfer', r.reverse_transfer and not r.reversal_apart,
        'refund_application_fee', r.refund_application_fee,
        'wanted', r.status = 'pending' and r.stripe_refund_id is null
    )
    from app.refunds as r
    left join app.balance_payments as bp on r.balance_charge and r.booking_id = bp.booking_id
    inner join app.payments as p on r.payment_id = p.id
    where r.id = p_refund_id
$$;
comment on function internal.refund_request(uuid) is 'What the worker needs to perform a ledger refund. Definer: as above.';

create or replace function internal.record_refund(
    p_refund_id uuid,
    p_stripe_refund_id text,
    p_status text,
    p_failure text default null
)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_refund app.refunds;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_status not in ('pending', 'succeeded', 'failed') then
        perform internal.fail('invalid_input', 'p_status must be pending, succeeded or failed');
    end if;
    select * into v_refund from app.refunds as r where r.id = p_refund_id for update;
    if not found then
        perform internal.fail('not_found', 'no such refund');
    end if;
    if v_refund.stripe_refund_id is not null and v_refund.stripe_refund_id <> p_stripe_refund_id then
        perform internal.fail('conflict', 'this refund already has another Stripe refund');
    end if;
    if v_refund.status = 'pending' and p_status = 'succeeded' then
        perform internal.emit_booking_event(
            v_refund.booking_id, 'booking_refunded',
            pg_catalog.jsonb_build_object('refund_cents', v_refund.amount_cents), v_refund.id::text
        );
    end if;
    -- a settled refund never moves back to pending
    update app.refunds as r
    set
        stripe_refund_id = coalesce(p_stripe_refund_id, r.stripe_refund_id),
        status = case when r.status = 'pending' then p_status else r.status end,
        failure_reason = coalesce(p_failure, r.failure_reason),
        updated_at = pg_catalog.now()
    where r.id = p_refund_id;
    return 'recorded';
end
$$;
comment on function internal.record_refund(uuid, text, text, text) is
'Worker entry point: store a Stripe refund''s id and status (idempotent). Definer: as above.';

create or replace function internal.payments_check_refund_total()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_captured integer;
    v_refunded bigint;
begin
    select p.captured_cents into v_captured from app.payments as p where p.id = new.payment_id for update;
    if new.balance_charge then
        -- the balance charged to the card is a charge of its own (63_balance_card.sql)
        select coalesce(max(bp.amount_cents), 0) into v_captured from app.balance_payments as bp
        where bp.booking_id = new.booking_id and bp.method = 'card' and bp.status = 'succeeded';
    end if;
    select coalesce(sum(r.amount_cents), 0) into v_refunded
    from app.refunds as r
    where r.payment_id = new.payment_id and r.balance_charge = new.balance_charge and r.status <> 'failed';
    if v_refunded > v_captured then
        perform internal.fail(
            'conflict',
            pg_catalog.format('refunds would total %s cents, more than the %s captured', v_refunded, v_captured)
        );
    end if;
    return null;
end
$$;
comment on function internal.payments_check_refund_total() is
'Constraint trigger: the refunds of a charge (the deposit''s payment, or the balance charged to the card; '
'but failed ones) never add up to more than it captured.';

drop trigger if exists _100_refund_total on app.refunds;
create constraint trigger _100_refund_total after insert or update of amount_cents, status on app.refunds
deferrable initially immediate
for each row execute function internal.payments_check_refund_total();

create or replace function internal.request_refund(
    p_booking_id uuid,
    p_amount_cents integer,
    p_reason text,
    p_requested_by uuid,
    p_requested_role text
)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payment app.payments;
    v_refund_id uuid;
    v_first uuid;
    v_left bigint;
    v_balance_left bigint;
    v_part integer;
begin
    -- the payment row lock serialises refunds of one booking: concurrent
    -- requests cannot both pass the check below
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
    if not found or v_payment.status <> 'succeeded' then
        perform internal.fail('conflict', 'nothing was captured for this booking, so nothing can be refunded');
    end if;
    select v_payment.captured_cents - coalesce(sum(r.amount_cents), 0) into v_left
    from app.refunds as r where r.payment_id = v_payment.id and not r.balance_charge and r.status <> 'failed';
    -- a balance charged to the saved card (63_balance_card.sql) is refundable too
    select coalesce(max(bp.amount_cents), 0) - coalesce((
        select sum(r.amount_cents) from app.refunds as r
        where r.payment_id = v_payment.id and r.balance_charge and r.status <> 'failed'
    ), 0)
    into v_balance_left
    from app.balance_payments as bp
    where bp.booking_id = p_booking_id and bp.method = 'card' and bp.status = 'succeeded';
    if p_amount_cents is null or p_amount_cents <= 0 then
        perform internal.fail('invalid_input', 'amount_cents must be a positive number of cents');
    end if;
    if exists (
        select from app.disputes as d where d.payment_id = v_payment.id and coalesce(d.outcome, 'lost') = 'lost'
    ) then
        perform internal.fail(
            'conflict', 'the payment is disputed by the cardholder: it cannot be refunded while the dispute is open or once lost'
        );
    end if;
    if p_amount_cents > v_left + v_balance_left then
        perform internal.fail(
            'conflict',
            pg_catalog.format('at most %s cents can still be refunded for this booking', v_left + v_balance_left)
        );
    end if;
    -- the balance's charge first (the later one), then the deposit's: one ledger row and
    -- one Stripe refund per charge; the first row's id is returned
    foreach v_part in array array[least(p_amount_cents, v_balance_left), p_amount_cents - least(p_amount_cents, v_balance_left)]::integer [] loop
        continue when v_part <= 0;
        insert into app.refunds (
            booking_id, payment_id, amount_cents, reason, requested_by, requested_role, balance_charge
        )
        values (
            p_booking_id, v_payment.id, v_part, p_reason, p_requested_by, p_requested_role,
            v_first is null and v_balance_left > 0
        )
        returning id into v_refund_id;
        v_first := coalesce(v_first, v_refund_id);
        perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
            'type', 'payment.refund', 'refund_id', v_refund_id, 'booking_id', p_booking_id
        ));
    end loop;
    return v_first;
end
$$;
comment on function internal.request_refund(uuid, integer, text, uuid, text) is
'Add a refund to the ledger (never past what was captured) and ask the worker to perform it.';

create or replace function internal.apply_payment_intent_event(p_type text, p_intent jsonb)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_payment app.payments;
    v_booking app.bookings;
    v_captured integer;
    v_received bigint;
    v_currency text;
    v_refund_id uuid;
begin
    select * into v_payment from app.payments as p
    where p.stripe_payment_intent_id = p_intent ->> 'id'
    for update;
    if not found then
        -- the webhook can outrun the worker's record of the intent: match by metadata
        select * into v_payment from app.payments as p
        where
            p.booking_id::text = p_intent -> 'metadata' ->> 'booking_id'
            and (p.stripe_payment_intent_id is null or p.stripe_payment_intent_id = p_intent ->> 'id')
        for update;
        if not found then
            return 'unknown payment intent';
        end if;
        update app.payments as p set stripe_payment_intent_id = p_intent ->> 'id' where p.id = v_payment.id;
    end if;
    select * into v_booking from app.bookings as b where b.id = v_payment.booking_id for update;

    if p_type = 'payment_intent.succeeded' then
        if v_payment.status = 'succeeded' then
            return 'already succeeded';
        end if;
        v_received := coalesce(p_intent ->> 'amount_received', p_intent ->> 'amount')::bigint;
        v_currency := pg_catalog.lower(p_intent ->> 'currency');
        if v_received is distinct from v_payment.amount_cents::bigint
            or v_currency is distinct from pg_catalog.lower(v_payment.currency) then
            -- Stripe keeps clients from changing an intent's amount, but this side never
            -- relies on it: a payment that is not exactly what the booking is due (less,
            -- more, another currency) confirms nothing, is refunded in full and is
            -- flagged for ops (api.payment_mismatches)
            v_captured := least(greatest(coalesce(v_received, 0), 0), 2147483647)::integer;
            update app.payments as p
            set
                status = 'succeeded', captured_cents = v_captured, updated_at = pg_catalog.now(),
                failure_reason = pg_catalog.format(
                    'paid %s %s for a booking due %s %s: refunded', coalesce(v_received::text, 'no amount'),
                    coalesce(v_currency, 'no currency'), v_payment.amount_cents, pg_catalog.lower(v_payment.currency)
                )
            where p.id = v_payment.id;
            if v_captured > 0 then
                v_refund_id := internal.request_refund(
                    v_booking.id, v_captured, 'the payment did not match the booking''s amount or currency',
                    null, 'system'
                );
            end if;
            insert into app.payment_mismatches (
                payment_id, booking_id, refund_id, stripe_payment_intent_id,
                expected_cents, expected_currency, received_cents, received_currency
            )
            values (
                v_payment.id, v_booking.id, v_refund_id, p_intent ->> 'id',
                v_payment.amount_cents, pg_catalog.lower(v_payment.currency), v_received, v_currency
            );
            perform internal.audit(
                'payment.mismatch', 'app.payments', v_payment.id::text, null,
                pg_catalog.jsonb_build_object(
                    'stripe_payment_intent_id', p_intent ->> 'id', 'refund_id', v_refund_id,
                    'expected_cents', v_payment.amount_cents, 'expected_currency', pg_catalog.lower(v_payment.currency),
                    'received_cents', v_received, 'received_currency', v_currency
                ),
                'the payment did not match the booking'
            );
            if v_booking.status = 'pending_payment' then
                -- the hold ends now: nothing else can pay it (the booking's one intent is spent)
                perform internal.transition_booking(
                    v_booking.id, 'cancelled', 'system',
                    'the payment did not match the booking''s amount or currency; it was refunded',
                    pg_catalog.jsonb_build_object('refund_cents', v_captured)
                );
            end if;
            return 'mismatched payment refunded';
        end if;
        v_captured := v_received::integer;
        update app.payments as p
        set
            status = 'succeeded', captured_cents = v_captured, failure_reason = null, updated_at = pg_catalog.now(),
            -- the card and Customer it is saved to (setup_future_usage): the balance's (63_balance_card.sql)
            stripe_payment_method_id = p_intent ->> 'payment_method',
            stripe_customer_id = coalesce(p_intent ->> 'customer', p.stripe_customer_id)
        where p.id = v_payment.id;
        if v_booking.status = 'pending_payment' then
            perform internal.transition_booking(v_booking.id, 'confirmed', 'system');
            return 'booking confirmed';
        end if;
        -- paid after the booking ended (expired or cancelled): give the money back
        perform internal.request_refund(
            v_booking.id, v_captured, 'payment arrived after the booking had ended', null, 'system'
        );
        return 'late payment refunded';
    elsif p_type = 'payment_intent.payment_failed' then
        if v_payment.status in ('succeeded', 'cancelled', 'failed') then
            return 'ignored: payment already settled';
        end if;
        -- the customer may try another card until the hold expires
        update app.payments as p
        set
            status = 'requires_payment',
            failure_reason = pg_catalog.left(
                coalesce(p_intent -> 'last_payment_error' ->> 'message', 'the payment was declined'), 500
            ),
            updated_at = pg_catalog.now()
        where p.id = v_payment.id;
        perform internal.emit_booking_event(
            v_booking.id, 'payment_failed', '{}'::jsonb, coalesce(p_intent ->> 'last_payment_error_id', md5(p_intent::text))
        );
        return 'payment failed; hold kept until it expires';
    elsif p_type = 'payment_intent.canceled' then
        update app.payments as p set status = 'cancelled', client_secret = null, updated_at = pg_catalog.now()
        where p.id = v_payment.id and p.status in ('pending', 'requires_payment');
        return 'payment cancelled';
    end if;
    return 'ignored';
end
$$;
comment on function internal.apply_payment_intent_event(text, jsonb) is
'Apply a payment_intent.* event; never moves a booking or payment backwards.';

create or replace function internal.apply_refund_object(p_refund jsonb)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_status text := internal.stripe_refund_status(p_refund ->> 'status');
    v_refund app.refunds;
begin
    select * into v_refund from app.refunds as r
    where
        r.stripe_refund_id = p_refund ->> 'id'
        or (r.stripe_refund_id is null and r.id::text = p_refund -> 'metadata' ->> 'refund_ledger_id')
    for update;
    if found and v_refund.status = 'pending' and v_status = 'succeeded' then
        perform internal.emit_booking_event(
            v_refund.booking_id, 'booking_refunded',
            pg_catalog.jsonb_build_object('refund_cents', v_refund.amount_cents), v_refund.id::text
        );
    end if;
    update app.refunds as r
    set
        stripe_refund_id = coalesce(r.stripe_refund_id, p_refund ->> 'id'),
        status = case when r.status = 'pending' then v_status else r.status end,
        failure_reason = coalesce(p_refund ->> 'failure_reason', r.failure_reason),
        updated_at = pg_catalog.now()
    where
        r.stripe_refund_id = p_refund ->> 'id'
        or (r.stripe_refund_id is null and r.id::text = p_refund -> 'metadata' ->> 'refund_ledger_id');
    return case when found then 'refund ' || v_status else 'unknown refund' end;
end
$$;
comment on function internal.apply_refund_object(jsonb) is 'Settle a ledger refund from a Stripe refund object.';

create or replace function internal.apply_dispute_event(p_type text, p_dispute jsonb)
returns text
language plpgsql
volatile
set search_path = ''
as $$
-- A card dispute (Stripe Dispute object; charge.dispute.created, .updated,
-- .funds_withdrawn, .funds_reinstated, .closed): recorded once per dispute id
-- and kept up to date, the booking flagged (dispute_status), every ops account
-- emailed when it opens and when it closes, and both moments in the audit log.
-- A warning (inquiry) that closes without a chargeback counts as won. A
-- disputed payment cannot be refunded (internal.request_refund).
declare
    v_payment app.payments;
    v_old app.disputes;
    v_new app.disputes;
    v_status text := coalesce(nullif(p_dispute ->> 'status', ''), 'needs_response');
    v_outcome text;
    v_data jsonb;
    v_ops uuid;
begin
    if coalesce(p_dispute ->> 'id', '') !~ '^dp_[A-Za-z0-9_]+$' then
        return 'ignored: the dispute has no valid id';
    end if;
    select * into v_payment from app.payments as p
    where p.stripe_payment_intent_id = p_dispute ->> 'payment_intent'
    for update;
    if not found then
        return 'unknown dispute: no payment has its payment_intent';
    end if;
    v_outcome := case
        when v_status in ('won', 'lost', 'warning_closed') then v_status
        when p_type = 'charge.dispute.closed' then 'won'
    end;
    select * into v_old from app.disputes as d where d.id = p_dispute ->> 'id' for update;
    insert into app.disputes as d (
        id, booking_id, payment_id, stripe_charge_id, stripe_payment_intent_id, amount_cents, currency,
        reason, status, outcome, evidence_due_by, closed_at
    )
    values (
        p_dispute ->> 'id', v_payment.booking_id, v_payment.id, p_dispute ->> 'charge', p_dispute ->> 'payment_intent',
        least(greatest(coalesce((p_dispute ->> 'amount')::bigint, 0), 0), 2147483647)::integer,
        pg_catalog.lower(coalesce(p_dispute ->> 'currency', v_payment.currency)),
        pg_catalog.left(coalesce(nullif(p_dispute ->> 'reason', ''), 'general'), 100),
        pg_catalog.left(v_status, 100),
        v_outcome,
        pg_catalog.to_timestamp((p_dispute -> 'evidence_details' ->> 'due_by')::double precision),
        case when v_outcome is not null then pg_catalog.now() end
    )
    on conflict (id) do update
        set
            amount_cents = excluded.amount_cents,
            reason = excluded.reason,
            -- a closed dispute stays closed (a late .updated changes nothing)
            status = case when d.outcome is null then excluded.status else d.status end,
            outcome = coalesce(d.outcome, excluded.outcome),
            closed_at = coalesce(d.closed_at, excluded.closed_at),
            evidence_due_by = coalesce(excluded.evidence_due_by, d.evidence_due_by),
            updated_at = pg_catalog.now()
    returning * into v_new;

    update app.bookings as b
    set dispute_status = case when v_new.outcome is null then 'open' when v_new.outcome = 'lost' then 'lost' else 'won' end
    where b.id = v_payment.booking_id;

    v_data := internal.booking_event_data(v_payment.booking_id) || pg_catalog.jsonb_build_object(
        'dispute', pg_catalog.jsonb_build_object(
            'id', v_new.id, 'amount_cents', v_new.amount_cents, 'currency', v_new.currency,
            'reason', v_new.reason, 'status', v_new.status, 'outcome', v_new.outcome,
            'evidence_due_by', v_new.evidence_due_by
        )
    );
    if v_old.id is null then
        perform internal.audit(
            'payment.dispute_opened', 'app.disputes', v_new.id, null, pg_catalog.to_jsonb(v_new), v_new.reason
        );
        for v_ops in select u.id from app.users as u where u.role = 'ops' and u.deleted_at is null loop
            perform internal.notify('dispute_opened', v_ops, 'dispute_opened:' || v_new.id, v_data);
        end loop;
    end if;
    if v_old.outcome is null and v_new.outcome is not null then
        perform internal.audit(
            'payment.dispute_closed', 'app.disputes', v_new.id,
            case when v_old.id is not null then pg_catalog.to_jsonb(v_old) end, pg_catalog.to_jsonb(v_new),
            v_new.outcome
        );
        for v_ops in select u.id from app.users as u where u.role = 'ops' and u.deleted_at is null loop
            perform internal.notify('dispute_closed', v_ops, 'dispute_closed:' || v_new.id, v_data);
        end loop;
        return 'dispute ' || v_new.outcome;
    end if;
    return case when v_old.id is null then 'dispute opened' else 'dispute updated' end;
end
$$;
comment on function internal.apply_dispute_event(text, jsonb) is
'Record a charge.dispute.* event: the dispute, the booking''s flag, ops emailed when it opens and closes, the audit log.';

create or replace function internal.process_stripe_event(p_event jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_type text := p_event ->> 'type';
    v_object jsonb := p_event -> 'data' -> 'object';
    v_refund jsonb;
    v_outcomes text[] := '{}'::text[];
begin
    perform pg_catalog.set_config('bookiji.actor', 'stripe', true);
    if v_type like 'payment_intent.%' then
        return internal.apply_payment_intent_event(v_type, v_object);
    elsif v_type like 'charge.dispute.%' then
        return internal.apply_dispute_event(v_type, v_object);
    elsif v_type like 'refund.%' or v_type = 'charge.refund.updated' then
        return internal.apply_refund_object(v_object);
    elsif v_type = 'charge.refunded' then
        for v_refund in select * from pg_catalog.jsonb_array_elements(coalesce(v_object -> 'refunds' -> 'data', '[]'))
        loop
            v_outcomes := v_outcomes || internal.apply_refund_object(v_refund);
        end loop;
        return coalesce(pg_catalog.array_to_string(v_outcomes, '; '), 'no refunds');
    end if;
    return 'ignored';
end
$$;
comment on function internal.process_stripe_event(jsonb) is
'Apply a verified Stripe event to payments, bookings and refunds; returns the outcome. Definer: called for anon.';

create or replace view api.payment_mismatches
with (security_invoker = true)
as
select
    m.id,
    m.booking_id,
    m.payment_id,
    m.refund_id,
    m.stripe_payment_intent_id,
    m.expected_cents,
    m.expected_currency,
    m.received_cents,
    m.received_currency,
    m.created_at
from app.payment_mismatches as m;
comment on view api.payment_mismatches is
$$Payments Stripe reported succeeded for another amount or currency than their booking was due (ops only).

Such a payment never confirms its booking: the booking is cancelled (if it was still awaiting payment), everything received is refunded (refund_id, in the refund ledger), and the event is written to the audit log (payment.mismatch). Look into each: a client that altered its PaymentIntent, or a bug.$$;
comment on column api.payment_mismatches.expected_cents is 'What the booking was due, in cents of expected_currency.';
comment on column api.payment_mismatches.received_cents is
'What Stripe captured (amount_received), in cents of received_currency; null if the event carried none.';
