-- The balance after a deposit (57_balance.sql) charged to the customer's saved card
-- after completion (docs/money.md#charged-to-the-saved-card).
--
--   internal.record_stripe_customer   the worker stores the user's Stripe Customer (once)
--   internal.start_balance_charge     on completion (68_completion.sql): the card row
--                                     (pending) and the worker's payment.charge_balance
--   internal.balance_charge_action    what the worker charges: amount, card, destination, fee
--   internal.record_balance_intent    the charge's outcome (worker or webhook): succeeded
--                                     settles it, a card error makes it due (the customer
--                                     is emailed a link to pay on session)
--   internal.pay_balance              the customer's pay-now: the intent to confirm on session
--   internal.refunds_unwind_balance   a refund of the card balance unwinds its own destination charge
--   api.pay_balance                   its API

create or replace function internal.record_stripe_customer(p_user_id uuid, p_stripe_customer_id text)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_customer text;
begin
    insert into app.stripe_customers (user_id, stripe_customer_id)
    values (p_user_id, p_stripe_customer_id)
    on conflict (user_id) do nothing;
    -- the first one stays (the worker creates it under a key derived from the user)
    select c.stripe_customer_id into strict v_customer from app.stripe_customers as c where c.user_id = p_user_id;
    return v_customer;
end
$$;
comment on function internal.record_stripe_customer(uuid, text) is
$$Worker entry point: the user's Stripe Customer (created once under the key customer:<user id>); returns
the one kept. Definer: the worker role writes no app table.$$;

create or replace function internal.start_balance_charge(p_booking_id uuid)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
-- Called when a booking completes. With the customer's consent and a saved card, the
-- balance is charged off-session: the row (card, pending) and the worker's message
-- commit together. Without consent, or with the balance already settled (paid at the
-- venue), nothing happens: the provider collects it at the venue.
declare
    v_booking app.bookings;
    v_payment app.payments;
    v_rem record;
begin
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id;
    if not found or not v_payment.save_card or v_payment.status <> 'succeeded'
        or v_payment.stripe_customer_id is null or v_payment.stripe_payment_method_id is null then
        return false;
    end if;
    select * into v_rem from internal.booking_remainder(v_booking);
    if not found then
        return false;
    end if;
    -- the deposit's destination, and what is left of the commission after its fee
    insert into app.balance_payments (
        booking_id, method, status, base_cents, gst_cents, qst_cents, amount_cents,
        transfer_destination, application_fee_cents
    )
    values (
        p_booking_id, 'card', 'pending', v_rem.base_cents, v_rem.gst_cents, v_rem.qst_cents, v_rem.total_cents,
        v_payment.transfer_destination,
        case when v_payment.transfer_destination is null then 0 else least(
            greatest(v_booking.commission_cents - v_payment.application_fee_cents, 0), v_rem.total_cents
        ) end
    )
    on conflict (booking_id) do nothing;
    if not found then
        return false;
    end if;
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'payment.charge_balance', 'booking_id', p_booking_id
    ));
    return true;
end
$$;
comment on function internal.start_balance_charge(uuid) is
$$On completion: with the customer's consent and a saved card, record the balance as being charged to the
card and ask the worker to charge it off-session (once per booking). Returns whether it did.$$;

create or replace function internal.balance_charge_action(p_booking_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'customer_id', b.customer_id,
        'amount_cents', bp.amount_cents,
        'currency', pg_catalog.lower(p.currency),
        'stripe_customer_id', p.stripe_customer_id,
        'stripe_payment_method_id', p.stripe_payment_method_id,
        'stripe_payment_intent_id', bp.stripe_payment_intent_id,
        -- snapshotted by internal.start_balance_charge
        'transfer_destination', bp.transfer_destination,
        'application_fee_cents', bp.application_fee_cents,
        'action', case when bp.method = 'card' and bp.status = 'pending' then 'charge' else 'skip' end,
        'reason', case
            when bp.method = 'card' and bp.status = 'pending' then 'the balance is due on the saved card'
            else pg_catalog.format('the balance is %s (%s): nothing to charge', bp.status, bp.method)
        end
    )
    from app.balance_payments as bp
    inner join app.bookings as b on bp.booking_id = b.id
    inner join app.payments as p on b.id = p.booking_id
    where bp.booking_id = p_booking_id
$$;
comment on function internal.balance_charge_action(uuid) is
$$payment.charge_balance: charge or skip (with the reason), and what the off-session PaymentIntent is made of:
the amount, the saved card and Customer, the deposit's destination and the rest of the commission as its fee.
Definer: the worker role reads no app table.$$;

create or replace function internal.record_balance_intent(p_booking_id uuid, p_intent jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_row app.balance_payments;
    v_status text := p_intent ->> 'status';
    v_error jsonb := coalesce(p_intent -> 'last_payment_error', '{}'::jsonb);
    v_received bigint := coalesce(p_intent ->> 'amount_received', p_intent ->> 'amount')::bigint;
    v_customer uuid;
begin
    select * into v_row from app.balance_payments as bp where bp.booking_id = p_booking_id for update;
    if not found or v_row.method <> 'card' then
        return 'no card balance for this booking';
    end if;
    if v_row.stripe_payment_intent_id is not null and v_row.stripe_payment_intent_id <> p_intent ->> 'id' then
        return 'another intent: ignored';
    end if;
    if v_row.status = 'succeeded' then
        return 'balance already paid';
    end if;
    update app.balance_payments as bp
    set
        stripe_payment_intent_id = p_intent ->> 'id',
        client_secret = coalesce(p_intent ->> 'client_secret', bp.client_secret),
        updated_at = pg_catalog.now()
    where bp.booking_id = p_booking_id;
    if v_status = 'succeeded' then
        if v_received is distinct from v_row.amount_cents::bigint then
            raise exception 'balance of booking %: Stripe took % cents, % were due', p_booking_id, v_received, v_row.amount_cents;
        end if;
        update app.balance_payments as bp
        set status = 'succeeded', client_secret = null, failure_code = null, failure_reason = null
        where bp.booking_id = p_booking_id;
        perform internal.audit(
            'payment.balance_charged', 'app.bookings', p_booking_id::text, null,
            pg_catalog.jsonb_build_object('stripe_payment_intent_id', p_intent ->> 'id', 'amount_cents', v_row.amount_cents)
        );
        return 'balance charged';
    end if;
    if v_status in ('requires_payment_method', 'requires_action', 'requires_confirmation')
        and (v_row.status = 'pending' or v_error <> '{}'::jsonb) then
        update app.balance_payments as bp
        set
            status = 'due',
            failure_code = coalesce(v_error ->> 'decline_code', v_error ->> 'code', bp.failure_code),
            failure_reason = pg_catalog.left(coalesce(v_error ->> 'message', bp.failure_reason), 500)
        where bp.booking_id = p_booking_id;
        if v_row.status = 'pending' then
            select b.customer_id into strict v_customer from app.bookings as b where b.id = p_booking_id;
            perform internal.notify(
                'balance_due', v_customer, 'balance_due:' || p_booking_id::text,
                internal.booking_event_data(p_booking_id) || pg_catalog.jsonb_build_object(
                    'balance_cents', v_row.amount_cents,
                    'failure_code', coalesce(v_error ->> 'decline_code', v_error ->> 'code', 'card_declined')
                )
            );
            perform internal.audit(
                'payment.balance_due', 'app.bookings', p_booking_id::text, null,
                pg_catalog.jsonb_build_object(
                    'stripe_payment_intent_id', p_intent ->> 'id',
                    'failure_code', coalesce(v_error ->> 'decline_code', v_error ->> 'code')
                )
            );
        end if;
        return 'balance due: the customer was asked to pay';
    end if;
    return pg_catalog.format('balance intent %s: waiting', coalesce(v_status, 'without status'));
end
$$;
comment on function internal.record_balance_intent(uuid, jsonb) is
$$Worker and webhook entry point: the balance PaymentIntent's state. succeeded settles the balance (card);
a failed off-session attempt (requires_payment_method, requires_action) makes it due and emails the customer
a link to pay on session (once). Idempotent; never moves a paid balance back. Definer: as above.$$;

create or replace function internal.apply_balance_intent_event(p_type text, p_intent jsonb)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_booking_id uuid;
begin
    if coalesce(p_intent -> 'metadata' ->> 'balance_of', '')
        !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
        return 'balance intent without a booking';
    end if;
    v_booking_id := (p_intent -> 'metadata' ->> 'balance_of')::uuid;
    if p_type in ('payment_intent.succeeded', 'payment_intent.payment_failed') then
        return internal.record_balance_intent(v_booking_id, p_intent);
    end if;
    return 'ignored';
end
$$;
comment on function internal.apply_balance_intent_event(text, jsonb) is
'A payment_intent.* event of a balance PaymentIntent (metadata balance_of = the booking).';

create or replace function internal.pay_balance(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_row app.balance_payments;
begin
    perform internal.require(p_booking_id, 'booking_id');
    if not exists (
        select from app.bookings as b where b.id = p_booking_id and b.customer_id = auth.uid()
    ) then
        perform internal.fail('not_found', 'no such booking');
    end if;
    select * into v_row from app.balance_payments as bp where bp.booking_id = p_booking_id;
    if not found or v_row.status <> 'due' or v_row.client_secret is null then
        perform internal.fail('balance_not_due', 'this booking has no balance to pay now');
    end if;
    return pg_catalog.jsonb_build_object(
        'booking_id', p_booking_id,
        'stripe_payment_intent_id', v_row.stripe_payment_intent_id,
        'client_secret', v_row.client_secret,
        'failure_code', v_row.failure_code
    ) || internal.balance_due_json(p_booking_id);
end
$$;
comment on function internal.pay_balance(uuid) is
$$The balance PaymentIntent a failed off-session charge left, for its own customer to confirm on session.
Definer: the client secret is not readable otherwise.$$;

create or replace function api.pay_balance(booking_id uuid default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.pay_balance(pay_balance.booking_id)
$$;
comment on function api.pay_balance(uuid) is
$$Pay your booking's balance now, when charging it to your saved card failed (customer only).

GET /rpc/pay_balance?booking_id=... returns the balance (balance_cents, its taxes, balance_status due),
failure_code (authentication_required, card_declined, ...) and the PaymentIntent's client_secret: confirm it
with Stripe.js (confirmCardPayment, with the same card and its authentication, or another card). The booking
shows balance_status paid once Stripe reports the payment.
Errors: 400 invalid_input (booking_id missing); 404 not_found (not your booking); 409 balance_not_due (nothing
to pay now: no card charge failed, or it is paid).$$;

create or replace function internal.refunds_unwind_balance()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Instead of _110_unwind (55_connect.sql, which skips these rows and unwinds the
-- deposit's payment): a refund of the balance charged to the card unwinds the balance's
-- own destination charge instead (its transfer and fee, proportionally; an ops refund
-- after completion gives the fee back with the rest).
declare
    v_row app.balance_payments;
    v_refunded bigint;
    v_reversed bigint;
    v_fee_refunded bigint;
    v_completes boolean;
begin
    select * into strict v_row from app.balance_payments as bp where bp.booking_id = new.booking_id;
    new.reverse_transfer := v_row.transfer_destination is not null;
    new.refund_application_fee := v_row.application_fee_cents > 0;
    if v_row.transfer_destination is null then
        new.transfer_reversal_cents := 0;
        new.fee_refund_cents := 0;
        return new;
    end if;
    select
        coalesce(sum(r.amount_cents), 0),
        coalesce(sum(r.transfer_reversal_cents), 0),
        coalesce(sum(r.fee_refund_cents), 0)
    into v_refunded, v_reversed, v_fee_refunded
    from app.refunds as r
    where r.booking_id = new.booking_id and r.balance_charge and r.status <> 'failed';
    v_completes := v_refunded + new.amount_cents >= v_row.amount_cents;
    new.transfer_reversal_cents := internal.proportional_cents(
        new.amount_cents, v_row.amount_cents, v_row.amount_cents - v_row.application_fee_cents, v_reversed, v_completes
    );
    new.fee_refund_cents := case when new.refund_application_fee then internal.proportional_cents(
        new.amount_cents, v_row.amount_cents, v_row.application_fee_cents, v_fee_refunded, v_completes
    ) else 0 end;
    return new;
end
$$;
comment on function internal.refunds_unwind_balance() is
$$Trigger: a refund of the balance charged to the card reverses the balance's transfer and refunds its fee
proportionally (its own charge, not the deposit's).$$;

drop trigger if exists _120_unwind_balance on app.refunds;
create trigger _120_unwind_balance before insert on app.refunds
for each row when (new.balance_charge) execute function internal.refunds_unwind_balance();
