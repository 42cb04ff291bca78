-- Booking: confirm a quoted offer into a hold that awaits payment, never a
-- double booking; the state machine; holds that expire.
--
-- The state machine. Every booking is born pending_payment (a hold; a free
-- service's is confirmed at once, in the same transaction), and every status
-- change after that goes through internal.transition_booking, the one path:
--
--   pending_payment -> confirmed    paid (the webhook), or nothing to pay (confirm)
--   pending_payment -> expired      the hold lapsed (the sweep, or a confirm that needs the slot)
--   pending_payment -> cancelled    a party or ops cancelled, the payment could not be
--                                   set up, or it did not match the booking
--   confirmed -> completed | no_show   the provider marks it, or the sweep completes it
--   confirmed -> cancelled          a party or ops cancelled
--
-- transition_booking refuses any other change (invalid_transition), writes the
-- row, and with it (in the same transaction) the audit row (_900_audit), the
-- event log (_500_event_changed, db/functions/44_events.sql), the
-- notifications (internal.emit_booking_event) and the payment effects (an
-- unpaid booking that ends cancels its PaymentIntent). The _100_check_update
-- trigger refuses a status change made any other way, whoever makes it (the
-- owner and the definers included): no status change without its event.

create or replace function internal.booking_transition_allowed(p_from text, p_to text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select (p_from, p_to) in (
        ('pending_payment', 'confirmed'),
        ('pending_payment', 'expired'),
        ('pending_payment', 'cancelled'),
        ('confirmed', 'completed'),
        ('confirmed', 'no_show'),
        ('confirmed', 'cancelled')
    )
$$;
comment on function internal.booking_transition_allowed(text, text) is
'The booking state machine: whether a booking may move from one status to another.';

create or replace function internal.bookings_check_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if new.status is distinct from old.status then
        if not internal.booking_transition_allowed(old.status, new.status) then
            perform internal.fail(
                'invalid_transition',
                pg_catalog.format('a %s booking cannot become %s', old.status, new.status)
            );
        end if;
        -- set by internal.transition_booking around its own update of this row, and nowhere else
        if pg_catalog.current_setting('bookiji.booking_transition', true) is distinct from old.id::text then
            perform internal.fail(
                'invalid_transition',
                'a booking''s status changes only through internal.transition_booking, with its event and notifications'
            );
        end if;
    end if;
    if new.customer_id is distinct from old.customer_id
        or new.provider_id is distinct from old.provider_id
        or new.service_id is distinct from old.service_id
        or new.price_cents is distinct from old.price_cents
        or new.deposit_cents is distinct from old.deposit_cents
        or new.currency is distinct from old.currency
        or new.cancel_notice_hours is distinct from old.cancel_notice_hours
        or new.cancel_fee_cents is distinct from old.cancel_fee_cents then
        perform internal.fail('invalid_input', 'a booking''s parties, price and policy never change');
    end if;
    new.updated_at := pg_catalog.now();
    return new;
end
$$;
comment on function internal.bookings_check_update() is
$$Trigger: refuse illegal status transitions, any status change not made by internal.transition_booking,
and changes to a booking's parties, price and policy.$$;

create or replace function internal.bookings_audit()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' then
        perform internal.audit('booking.created', 'app.bookings', new.id::text, null, pg_catalog.to_jsonb(new));
    elsif new.status is distinct from old.status or new.during is distinct from old.during then
        perform internal.audit(
            'booking.' || case when new.status is distinct from old.status then new.status else 'moved' end,
            'app.bookings', new.id::text, pg_catalog.to_jsonb(old), pg_catalog.to_jsonb(new), new.cancel_reason
        );
    end if;
    return null;
end
$$;
comment on function internal.bookings_audit() is
'Trigger: every booking creation, status change and move is written to audit.action_log with its actor.';

drop trigger if exists _100_check_update on app.bookings;
create trigger _100_check_update before update on app.bookings
for each row execute function internal.bookings_check_update();

drop trigger if exists _900_audit on app.bookings;
create trigger _900_audit after insert or update on app.bookings
for each row execute function internal.bookings_audit();

create or replace function internal.transition_booking(
    p_booking_id uuid,
    p_to text,
    p_by text,
    p_reason text default null,
    p_extra jsonb default '{}'::jsonb
)
returns app.bookings
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_old app.bookings;
    v_new app.bookings;
    v_payment app.payments;
begin
    if p_by is null or p_by not in ('customer', 'provider', 'ops', 'system') then
        raise exception 'internal.transition_booking: p_by must be customer, provider, ops or system, not %', p_by;
    end if;
    select * into v_old from app.bookings as b where b.id = p_booking_id for no key update;
    if not found then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if not internal.booking_transition_allowed(v_old.status, p_to) then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot become %s', v_old.status, p_to)
        );
    end if;

    -- the row (its triggers write the audit row and the event log)
    perform pg_catalog.set_config('bookiji.booking_transition', p_booking_id::text, true);
    update app.bookings as b
    set
        status = p_to,
        hold_expires_at = case when p_to = 'confirmed' then null else b.hold_expires_at end,
        cancelled_at = case when p_to = 'cancelled' then pg_catalog.now() else b.cancelled_at end,
        cancelled_by = case when p_to = 'cancelled' then (p_extra ->> 'cancelled_by_user')::uuid else b.cancelled_by end,
        cancelled_by_role = case when p_to = 'cancelled' then p_by else b.cancelled_by_role end,
        cancel_reason = case when p_to = 'cancelled' then p_reason else b.cancel_reason end
    where b.id = p_booking_id
    returning * into v_new;
    perform pg_catalog.set_config('bookiji.booking_transition', '', true);

    -- the notifications (docs/notifications.md); completed and no_show notify nobody
    if p_to = 'confirmed' then
        perform internal.emit_booking_event(p_booking_id, 'booking_confirmed');
    elsif p_to = 'expired' then
        perform internal.emit_booking_event(p_booking_id, 'hold_expired');
    elsif p_to = 'cancelled' then
        perform internal.emit_booking_event(
            p_booking_id, 'booking_cancelled',
            pg_catalog.jsonb_build_object(
                'refund_cents', coalesce((p_extra ->> 'refund_cents')::integer, 0),
                'cancelled_by', p_by,
                'ics_sequence', 1
            )
        );
    end if;

    -- the payment effects: an unpaid booking that ends cancels its PaymentIntent
    -- (a payment that still arrives is refunded by the webhook). Refunds and fees
    -- follow the cancelling party's policy: internal.cancel_booking_as.
    if p_to in ('expired', 'cancelled') then
        select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
        if found and v_payment.status in ('pending', 'requires_payment') then
            perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
                'type', 'payment.cancel_intent', 'booking_id', p_booking_id, 'payment_id', v_payment.id
            ));
        end if;
    end if;
    return v_new;
end
$$;
comment on function internal.transition_booking(uuid, text, text, text, jsonb) is
$$The one path of every booking status change: refuse an illegal one (invalid_transition), write it (with its
audit row and event), queue its notifications and cancel the PaymentIntent of an unpaid booking that ends.
p_by: customer, provider, ops or system (cancelled_by_role, and cancelled_by in the notification);
p_reason: the cancel reason; p_extra: refund_cents (for the notification) and cancelled_by_user (a user id).$$;

-- The small helpers of the confirm below are PL/pgSQL, not SQL: a SQL function with its
-- own search_path is never inlined and its body is planned again by every statement
-- that calls it (each confirm, a dozen plans); PL/pgSQL keeps its plans for the session.

create or replace function internal.provider_lock(p_provider_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    -- Concurrent inserts under the exclusion constraint can deadlock each other;
    -- taking this lock first turns every loser of a race into a clean conflict.
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('bookiji.provider:' || p_provider_id::text, 0)
    );
end
$$;
comment on function internal.provider_lock(uuid) is
'Serialise the changes that claim a provider''s time (confirm, reschedule) for this transaction.';

create or replace function internal.customer_lock(p_customer_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('bookiji.customer:' || p_customer_id::text, 0)
    );
end
$$;
comment on function internal.customer_lock(uuid) is
'Serialise one customer''s confirmations for this transaction, so the live-hold limit cannot be raced past.';

create or replace function internal.client_network()
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
    -- nginx overwrites X-Real-IP with the connection's address (auth.client_addr);
    -- outside HTTP (the worker, the CLI, tests in SQL) there is none: null
    v_addr text := nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-real-ip';
    v_inet inet;
begin
    if v_addr is null then
        return null;
    end if;
    begin
        v_inet := v_addr::inet;
    exception when invalid_text_representation then
        return pg_catalog.left(v_addr, 100);
    end;
    -- one IPv6 subscriber gets a whole /64: count it as one address
    if pg_catalog.family(v_inet) = 6 then
        return pg_catalog.network(pg_catalog.set_masklen(v_inet, 64))::text;
    end if;
    return pg_catalog.host(v_inet);
end
$$;
comment on function internal.client_network() is
'The client''s network for per-address limits: its IPv4 address or IPv6 /64 (from X-Real-IP), null outside HTTP.';

create or replace function internal.network_lock(p_network text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.network:' || p_network, 0));
end
$$;
comment on function internal.network_lock(text) is
'Serialise the confirmations from one client network for this transaction, so the per-address hold limit cannot be raced past.';

create or replace function internal.booking_json(p_booking_id uuid, p_with_secret boolean default false)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return (select pg_catalog.jsonb_build_object(
        'id', b.id,
        'status', b.status,
        'customer_id', b.customer_id,
        'provider_id', b.provider_id,
        'service_id', b.service_id,
        'quote_id', b.quote_id,
        'starts_at', pg_catalog.lower(b.during),
        'ends_at', pg_catalog.upper(b.during),
        'hold_expires_at', case when b.status = 'pending_payment' then b.hold_expires_at end,
        'price_cents', b.price_cents,
        'deposit_cents', b.deposit_cents,
        'currency', b.currency,
        'cancel_notice_hours', b.cancel_notice_hours,
        'cancel_fee_cents', b.cancel_fee_cents,
        'payment', (
            select pg_catalog.jsonb_build_object(
                'id', p.id,
                'status', p.status,
                'amount_cents', p.amount_cents,
                'currency', p.currency,
                'client_secret', case when p_with_secret then p.client_secret end,
                'failure_reason', p.failure_reason
            )
            from app.payments as p
            where p.booking_id = b.id
        )
    )
    from app.bookings as b
    where b.id = p_booking_id);
end
$$;
comment on function internal.booking_json(uuid, boolean) is
'A booking as the API returns it (with its payment). Definer: callers are checked before.';

create or replace function internal.expire_hold(p_booking_id uuid)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    -- locked first, then checked again: a hold paid meanwhile is left alone
    perform from app.bookings as b
    where b.id = p_booking_id and b.status = 'pending_payment' and b.hold_expires_at <= pg_catalog.now()
    for no key update;
    if not found then
        return false;
    end if;
    perform internal.transition_booking(p_booking_id, 'expired', 'system');
    return true;
end
$$;
comment on function internal.expire_hold(uuid) is
'Expire one pending hold whose time is up and ask the worker to cancel its PaymentIntent.';

-- confirm_booking, in named steps (each helper runs with confirm_booking's
-- definer rights; none is granted to anyone):
--   1. internal.idempotency_claim          claim the Idempotency-Key, or replay its answer
--   2. (in confirm_booking)                the quoted offer, its slot and blocked range
--   3. internal.confirm_lock               the advisory locks, in their one order
--   4. internal.live_hold_of               the caller's own live hold of this slot, if any
--   5. internal.confirm_check_hold_limits  the per-account and per-network hold limits
--   6. internal.confirm_check_slot         the offer still stands and the slot is free
--   7. internal.confirm_insert_hold        the hold itself (a lost race is slot_unavailable)
--   8. internal.confirm_start_payment      confirm a free booking, or ask for its payment
--   9. internal.idempotency_store          the answer kept under the Idempotency-Key

create or replace function internal.idempotency_claim(p_customer_id uuid, p_key text, p_request text)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
-- Decides whether a request under an Idempotency-Key is new (null: go on, the
-- key is now claimed and row-locked until this transaction ends), a replay
-- (the first answer) or a misuse (the same key with another body:
-- idempotency_key_reused). A concurrent twin waits here for the first to
-- commit (the primary key), then reads its answer.
declare
    v_hash bytea;
    v_idem app.idempotency_keys;
begin
    if pg_catalog.length(p_key) > 255 then
        perform internal.fail('invalid_input', 'the Idempotency-Key header must be at most 255 characters');
    end if;
    v_hash := extensions.digest(p_request, 'sha256');
    insert into app.idempotency_keys (customer_id, key, request_hash)
    values (p_customer_id, p_key, v_hash)
    on conflict (customer_id, key) do nothing;
    select * into strict v_idem from app.idempotency_keys as k
    where k.customer_id = p_customer_id and k.key = p_key
    for update;
    if v_idem.request_hash <> v_hash then
        perform internal.fail(
            'idempotency_key_reused', 'this Idempotency-Key was already used for a different request'
        );
    end if;
    return v_idem.response;
end
$$;
comment on function internal.idempotency_claim(uuid, text, text) is
'Step 1 of internal.confirm_booking: claim an Idempotency-Key for this request (null) or return its first answer.';

create or replace function internal.idempotency_store(p_customer_id uuid, p_key text, p_response jsonb)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    -- Decides nothing: keeps the answer for the key claimed by internal.idempotency_claim.
    update app.idempotency_keys as k set response = p_response
    where k.customer_id = p_customer_id and k.key = p_key;
end
$$;
comment on function internal.idempotency_store(uuid, text, jsonb) is
'Step 9 of internal.confirm_booking: the answer a retry under the same Idempotency-Key gets.';

create or replace function internal.confirm_lock(p_provider_id uuid, p_customer_id uuid, p_network text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
-- Decides the order of confirm's advisory locks, the only one there is:
-- provider, then customer, then network.
begin
    perform internal.provider_lock(p_provider_id);
    -- The hold limit counts across providers, so the provider lock does not
    -- serialise it: one customer's confirmations take turns here (always after
    -- the provider lock, never before one, so no two orders can deadlock).
    perform internal.customer_lock(p_customer_id);
    -- and one network's confirmations, for the per-address limit (always last)
    if p_network is not null then
        perform internal.network_lock(p_network);
    end if;
end
$$;
comment on function internal.confirm_lock(uuid, uuid, text) is
'Step 3 of internal.confirm_booking: take the provider, customer and network locks, in that order.';

create or replace function internal.live_hold_of(p_customer_id uuid, p_provider_id uuid, p_during tstzrange)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
begin
    -- Decides whether a confirm repeats one that still holds this very slot:
    -- that hold's booking is the answer again.
    return (
        select b.id from app.bookings as b
        where
            b.customer_id = p_customer_id and b.provider_id = p_provider_id and b.during = p_during
            and b.status = 'pending_payment' and b.hold_expires_at > pg_catalog.now()
        limit 1
    );
end
$$;
comment on function internal.live_hold_of(uuid, uuid, tstzrange) is
'Step 4 of internal.confirm_booking: the customer''s unexpired hold of this provider at exactly p_during, or null.';

create or replace function internal.confirm_check_hold_limits(p_customer_id uuid, p_network text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
-- Decides whether one more hold is allowed (too_many_holds if not), and
-- answers whether the customer's email is confirmed (it sets the hold's
-- length). Slot hoarding (docs/security.md): holds are free and so are
-- accounts. An account whose email is not confirmed holds fewer slots, for
-- less time; and one client network holds at most so many, whichever accounts
-- it uses. Each count stops at its limit: the answer is the same, the cost
-- bounded.
declare
    v_email_confirmed boolean;
    v_max_holds integer;
    v_max_network_holds integer;
begin
    select u.email_confirmed_at is not null into v_email_confirmed from app.users as u where u.id = p_customer_id;
    v_email_confirmed := coalesce(v_email_confirmed, false);
    v_max_holds := greatest(coalesce(
        case when v_email_confirmed
            then internal.setting('max_live_holds_per_customer')::integer
            else internal.setting('max_live_holds_unconfirmed')::integer
        end,
        case when v_email_confirmed then 5 else 1 end
    ), 0);
    if (
        select count(*) from (
            select from app.bookings as b
            where
                b.customer_id = p_customer_id and b.status = 'pending_payment'
                and b.hold_expires_at > pg_catalog.now()
            limit v_max_holds
        ) as live
    ) >= v_max_holds then
        perform internal.fail(
            'too_many_holds',
            case when v_email_confirmed
                then 'you have too many bookings awaiting payment; pay for one or let it expire'
                else pg_catalog.format(
                    'until your email address is confirmed you can hold %s booking(s) awaiting payment at once; '
                    || 'pay for it or let it expire, and confirm your email', v_max_holds
                )
            end
        );
    end if;
    if p_network is not null then
        v_max_network_holds := greatest(
            coalesce(internal.setting('max_live_holds_per_address')::integer, 10), 0
        );
        if (
            select count(*) from (
                select from app.bookings as b
                where
                    b.held_from = p_network and b.status = 'pending_payment'
                    and b.hold_expires_at > pg_catalog.now()
                limit v_max_network_holds
            ) as live
        ) >= v_max_network_holds then
            perform internal.fail(
                'too_many_holds',
                'too many bookings are awaiting payment from your network; pay for one or let it expire'
            );
        end if;
    end if;
    return v_email_confirmed;
end
$$;
comment on function internal.confirm_check_hold_limits(uuid, text) is
'Step 5 of internal.confirm_booking: refuse a hold past the account''s or the network''s limit; true if the email is confirmed.';

create or replace function internal.confirm_check_slot(
    p_provider_id uuid,
    p_service_id uuid,
    p_starts_at timestamptz,
    p_blocked tstzrange
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
-- Decides whether the quoted offer can still be held (slot_unavailable if
-- not): provider and service still active, the minimum notice still met, the
-- blocked range free. Holds whose time is up no longer block, even before the
-- sweep has run: those overlapping the range are expired first.
declare
    v_provider app.providers;
    v_service app.services;
begin
    perform internal.expire_hold(b.id)
    from app.bookings as b
    where
        b.provider_id = p_provider_id and b.status = 'pending_payment'
        and b.hold_expires_at <= pg_catalog.now() and b.blocked && p_blocked;

    select * into v_provider from app.providers as p where p.id = p_provider_id;
    select * into v_service from app.services as s where s.id = p_service_id;
    if not v_provider.is_active or not v_service.is_active then
        perform internal.fail('slot_unavailable', 'this provider no longer offers the service');
    end if;
    if p_starts_at < pg_catalog.now() + pg_catalog.make_interval(mins => v_service.min_notice_minutes) then
        perform internal.fail('slot_unavailable', 'it is now too late to book this slot');
    end if;
    if not internal.slot_is_free(p_provider_id, v_provider.time_zone, p_blocked, pg_catalog.now()) then
        perform internal.fail('slot_unavailable', 'this slot is no longer available');
    end if;
end
$$;
comment on function internal.confirm_check_slot(uuid, uuid, timestamptz, tstzrange) is
'Step 6 of internal.confirm_booking: refuse (slot_unavailable) an offer withdrawn, too late, or no longer free.';

create or replace function internal.confirm_insert_hold(
    p_customer_id uuid,
    p_item app.quote_items,
    p_during tstzrange,
    p_blocked tstzrange,
    p_email_confirmed boolean,
    p_network text
)
returns uuid
language plpgsql
volatile
set search_path = ''
as $$
-- Decides the hold: a booking awaiting payment at the quoted price and policy,
-- held for hold_seconds (hold_seconds_unconfirmed until the email is
-- confirmed), or with no time limit when there is nothing to pay. A race lost
-- to another booking under the exclusion constraint is slot_unavailable.
declare
    v_amount integer := case when p_item.deposit_cents > 0 then p_item.deposit_cents else p_item.price_cents end;
    -- time-ordered: the bookings' and their rollups' indexes keyed by it grow on their right
    -- edge (01_ids.sql)
    v_booking_id uuid := internal.uuid_v7();
begin
    -- the hold's analytics vector is written once, with its payment's row (step 8), not once
    -- for the hold and again for the payment's difference (80_analytics_rollups.sql)
    perform pg_catalog.set_config('bookiji.analytics_new_hold', v_booking_id::text, true);
    insert into app.bookings (
        id, customer_id, provider_id, service_id, quote_id, during, blocked, status, hold_expires_at,
        price_cents, deposit_cents, currency, cancel_notice_hours, cancel_fee_cents, held_from
    )
    values (
        v_booking_id, p_customer_id, p_item.provider_id, p_item.service_id, p_item.quote_id, p_during, p_blocked,
        'pending_payment',
        case when v_amount > 0 then
            pg_catalog.now()
            + pg_catalog.make_interval(secs => case when p_email_confirmed
                then coalesce(internal.setting('hold_seconds')::integer, 900)
                else coalesce(internal.setting('hold_seconds_unconfirmed')::integer, 300)
            end)
        end,
        p_item.price_cents, p_item.deposit_cents, p_item.currency,
        p_item.cancel_notice_hours, p_item.cancel_fee_cents, p_network
    )
    -- a race lost under the exclusion constraint (its only arbiter: the id is new): no row, and
    -- no subtransaction, which an EXCEPTION block would open on every confirm to catch it
    on conflict do nothing;
    if not found then
        perform internal.fail('slot_unavailable', 'this slot was just taken');
    end if;
    return v_booking_id;
end
$$;
comment on function internal.confirm_insert_hold(uuid, app.quote_items, tstzrange, tstzrange, boolean, text) is
'Step 7 of internal.confirm_booking: insert the hold for the quoted offer; a lost race is slot_unavailable.';

create or replace function internal.confirm_start_payment(p_booking_id uuid, p_item app.quote_items)
returns void
language plpgsql
volatile
set search_path = ''
as $$
-- Decides what follows the hold: nothing to pay (no deposit, free service)
-- confirms it at once, through the state machine (its event and
-- notifications with it); otherwise a payment of the deposit (or the price),
-- taxes included (39_taxes.sql), and a request to the worker to create its PaymentIntent.
declare
    v_amount integer := internal.booking_first_charge_cents(p_booking_id);
    v_payment_id uuid;
begin
    if v_amount = 0 then
        perform internal.transition_booking(p_booking_id, 'confirmed', 'customer');
        return;
    end if;
    insert into app.payments (id, booking_id, amount_cents, currency)
    values (internal.uuid_v7(), p_booking_id, v_amount, p_item.currency)
    returning id into v_payment_id;
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'payment.create_intent', 'booking_id', p_booking_id, 'payment_id', v_payment_id
    ));
end
$$;
comment on function internal.confirm_start_payment(uuid, app.quote_items) is
'Step 8 of internal.confirm_booking: confirm a booking with nothing to pay, or record its payment and queue its PaymentIntent.';

-- the consent to charge the balance to the saved card (save_card) is an argument: it
-- must be known before the worker creates the deposit's PaymentIntent
drop function if exists api.confirm_booking(uuid, uuid);
drop function if exists internal.confirm_booking(uuid, uuid);

create or replace function internal.confirm_booking(
    p_quote_id uuid, p_provider_id uuid, p_save_card boolean default false
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_customer uuid := auth.uid();
    v_headers jsonb := coalesce(nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb, '{}');
    v_key text := nullif(pg_catalog.btrim(coalesce(v_headers ->> 'idempotency-key', '')), '');
    v_quote app.quotes;
    v_item app.quote_items;
    v_booking_id uuid;
    v_during tstzrange;
    v_blocked tstzrange;
    v_email_confirmed boolean;
    -- 'off' lifts the per-address limit (benchmarks, whose clients share one address)
    v_network text := case when internal.setting('max_live_holds_per_address') is distinct from 'off'
        then internal.client_network() end;
    v_result jsonb;
begin
    perform internal.require_role(
        'customer', 'only customers can confirm bookings', 'confirming a booking needs a signed-in customer'
    );
    perform internal.require(p_quote_id, 'quote_id');
    perform internal.require(p_provider_id, 'provider_id');

    -- step 1: the same key and body return the first answer
    if v_key is not null then
        v_result := internal.idempotency_claim(
            v_customer, v_key,
            p_quote_id::text || ':' || p_provider_id::text || case when p_save_card then ':save_card' else '' end
        );
        if v_result is not null then
            return v_result;
        end if;
    end if;

    -- step 2: the quoted offer (the caller's own quote) and its slot
    select * into v_quote from app.quotes as q where q.id = p_quote_id and q.customer_id = v_customer;
    if not found then
        perform internal.fail('not_found', 'no such quote');
    end if;
    select * into v_item from app.quote_items as i where i.quote_id = p_quote_id and i.provider_id = p_provider_id;
    if not found then
        perform internal.fail('not_found', 'this provider was not offered in the quote');
    end if;
    v_during := pg_catalog.tstzrange(
        v_quote.starts_at, v_quote.starts_at + pg_catalog.make_interval(mins => v_item.duration_minutes), '[)'
    );
    v_blocked := pg_catalog.tstzrange(
        pg_catalog.lower(v_during) - pg_catalog.make_interval(mins => v_item.buffer_before_minutes),
        pg_catalog.upper(v_during) + pg_catalog.make_interval(mins => v_item.buffer_after_minutes),
        '[)'
    );

    -- step 3: everything below runs under the provider, customer and network locks
    perform internal.confirm_lock(p_provider_id, v_customer, v_network);

    -- step 4: a customer who confirms again while holding this very slot gets that hold back
    v_booking_id := internal.live_hold_of(v_customer, p_provider_id, v_during);
    if v_booking_id is null then
        if v_quote.expires_at <= pg_catalog.now() then
            perform internal.fail('quote_expired', 'the quote has expired; ask for a new quote');
        end if;
        -- steps 5 to 8: the limits, the slot, the hold, its payment
        v_email_confirmed := internal.confirm_check_hold_limits(v_customer, v_network);
        perform internal.confirm_check_slot(p_provider_id, v_item.service_id, v_quote.starts_at, v_blocked);
        v_booking_id := internal.confirm_insert_hold(
            v_customer, v_item, v_during, v_blocked, v_email_confirmed, v_network
        );
        perform internal.confirm_start_payment(v_booking_id, v_item);
        -- the customer's consent to charge the balance to this card after completion
        -- (63_balance_card.sql): only a deposit leaves a balance (no statement at all
        -- without the consent: most confirms)
        if p_save_card and v_item.deposit_cents > 0 then
            update app.payments as p set save_card = true where p.booking_id = v_booking_id;
        end if;
    end if;
    v_result := internal.booking_json(v_booking_id, true);

    -- step 9
    if v_key is not null then
        perform internal.idempotency_store(v_customer, v_key, v_result);
    end if;
    return v_result;
end
$$;
comment on function internal.confirm_booking(uuid, uuid, boolean) is
$$Turn a quoted offer into a hold awaiting payment (and its payment request), serialised per provider.
p_save_card: the customer consents to the balance after a deposit being charged to the card off-session.
Definer: writes bookings, payments and the queue for a customer who may do none of that directly.$$;

create or replace function api.confirm_booking(
    quote_id uuid default null, provider_id uuid default null, save_card boolean default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
    -- PL/pgSQL: PostgREST's call plans nothing here (a SQL function with its own
    -- search_path would have its body planned on every request)
    return internal.confirm_booking(quote_id, provider_id, coalesce(save_card, false));
end
$$;
comment on function api.confirm_booking(uuid, uuid, boolean) is
$$Book one provider from a quote: the slot is held for you (15 minutes) while you pay.

Holds are limited: 5 at once per account (1, held 5 minutes, until the account's email is confirmed), and 10 at once from one client network (an IPv4 address or an IPv6 /64), whichever accounts made them. Paying for a hold, or its lapse, frees its place.

Inputs: quote_id and provider_id (one of the quote's offers); save_card (optional, default false): with a deposit, the customer consents to the card that pays the deposit being saved (Stripe setup_future_usage=off_session) and charged off-session for the balance once the booking is completed (without it, the balance is paid at the venue). Send an Idempotency-Key header to make retries safe: the same key and body return the first answer, the same key with another body is a 422.
Returns the booking (status pending_payment, hold_expires_at) and its payment; the PaymentIntent's client_secret appears in GET /rpc/booking_payment once the worker has created it. Confirming again while you hold the same slot returns that same booking.
Errors: 404 not_found (quote or offer); 409 slot_unavailable (taken, even by a race: never a double booking); 410 quote_expired; 422 idempotency_key_reused; 429 too_many_holds (per account or per network).$$;

create or replace function internal.booking_payment(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform internal.require(p_booking_id, 'booking_id');
    if not exists (
        select from app.bookings as b where b.id = p_booking_id and b.customer_id = auth.uid()
    ) then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.booking_json(p_booking_id, true);
end
$$;
comment on function internal.booking_payment(uuid) is
'The booking with its payment and client secret, for its own customer only. Definer: the secret is column-restricted.';

create or replace function api.booking_payment(booking_id uuid default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.booking_payment(booking_id)
$$;
comment on function api.booking_payment(uuid) is
$$Your booking with its payment: status, amount and the Stripe client_secret to pay with (customer only).

Poll it after confirm_booking: the client_secret appears once the PaymentIntent exists; status becomes confirmed once Stripe reports the payment.
Errors: 404 not_found (not your booking).$$;

create or replace view api.my_bookings
with (security_invoker = true)
as
select
    b.id,
    b.status,
    b.customer_id,
    b.provider_id,
    b.service_id,
    pg_catalog.lower(b.during) as starts_at,
    pg_catalog.upper(b.during) as ends_at,
    case when b.status = 'pending_payment' then b.hold_expires_at end as hold_expires_at,
    b.price_cents,
    b.deposit_cents,
    b.currency,
    b.cancel_notice_hours,
    b.cancel_fee_cents,
    b.cancelled_at,
    b.cancel_reason,
    b.created_at,
    b.updated_at
from app.bookings as b;
comment on view api.my_bookings is
$$Bookings you may see: a customer's own, a provider's bookings, or all for ops (row-level security decides).$$;
comment on column api.my_bookings.status is
'pending_payment (held, awaiting payment), confirmed, completed, no_show, cancelled or expired.';
comment on column api.my_bookings.hold_expires_at is 'While pending_payment: when the hold lapses and the slot is freed.';
