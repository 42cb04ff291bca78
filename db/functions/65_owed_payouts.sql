-- Paying what the platform owes (issue 22; docs/connect.md, "Paying what the platform owes").
--
-- A booking paid while its provider had no account able to take transfers is a plain
-- charge into the platform's account (55_connect.sql): the platform owes the provider its
-- share (internal.payout_json: owed_share_cents, payout_owed_cents). When the account can
-- take transfers (account.updated: the _510_pay_owed trigger on app.payout_accounts), when
-- such a charge succeeds for an account that is ready (_510_pay_owed on app.payments), and
-- on the worker's sweep (internal.request_owed_transfers), one app.owed_transfers row per
-- booking fixes the amount owed then and queues connect.pay_owed; the worker makes the
-- Stripe Transfer (source_transaction = the charge, key owed:<booking id>) and records it.
-- A balance the platform charged to the saved card (63_balance_card.sql) is owed the same
-- way, by a second owed transfer (balance_charge; _510_pay_owed on app.balance_payments, the
-- sweep): sourced from the balance's charge, key owed_balance:<booking id>; the balance's
-- refunds take their shares back from it.
--
-- - A refund of such a charge takes its share from the provider's side as a destination
--   charge's reversal would (_115_owed_share: the charge less the commission, times the
--   refund over the charge, half up, the completing refund takes the rest; a late customer
--   cancellation takes the whole refund, up to what is left, so the platform keeps its
--   commission). Asked for
--   after the owed transfer exists, its share is reversed from that transfer
--   (connect.reverse_owed, a TransferReversal keyed owed_reversal:<refund id>) once the
--   refund succeeded and the transfer is made; a refund that fails reverses nothing.
-- - The row lock on the booking's payment (the one request_refund takes) serialises a
--   transfer's amount with refunds: a refund is either in the amount or reversed from it.
-- - Stripe refusing a transfer records it failed; the sweep asks again (a new attempt, a
--   new key) an hour later at the earliest, with what is owed then.
-- - A disputed payment (open or lost) is not paid out: the money may be gone.

create or replace function internal.owed_transfer_amount(p_booking_id uuid)
returns integer
language sql
stable
set search_path = ''
as $$
    select (j.payout ->> 'payout_owed_cents')::integer - (j.payout ->> 'balance_payout_owed_cents')::integer
    from (select internal.payout_json(p_booking_id) as payout) as j
$$;
comment on function internal.owed_transfer_amount(uuid) is
$$What the platform still owes a booking's provider for the deposit's charge and has not asked Stripe to transfer
(0 for a destination charge).$$;

create or replace function internal.owed_balance_transfer_amount(p_booking_id uuid)
returns integer
language sql
stable
set search_path = ''
as $$
    select (internal.payout_json(p_booking_id) ->> 'balance_payout_owed_cents')::integer
$$;
comment on function internal.owed_balance_transfer_amount(uuid) is
'What the platform still owes a booking''s provider for a balance it charged to the card and has not asked Stripe to transfer.';

create or replace function internal.request_owed_transfer(p_booking_id uuid)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payment app.payments;
    v_booking app.bookings;
    v_destination text;
    v_amount integer;
    v_attempt integer;
    v_id uuid;
begin
    -- the lock request_refund takes: a refund is either in this amount or reversed from it
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
    if not found or v_payment.status <> 'succeeded' or v_payment.transfer_destination is not null then
        return 'nothing owed: not a charge the platform collected';
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    v_destination := internal.payout_destination(v_booking.provider_id);
    if v_destination is null then
        return 'the provider''s account cannot take transfers yet';
    end if;
    if exists (
        select from app.owed_transfers as t
        where t.booking_id = p_booking_id and not t.balance_charge and t.status <> 'failed'
    ) then
        return 'already asked for';
    end if;
    if exists (
        select from app.disputes as d where d.payment_id = v_payment.id and coalesce(d.outcome, 'lost') = 'lost'
    ) then
        return 'held: the payment is disputed';
    end if;
    v_amount := internal.owed_transfer_amount(p_booking_id);
    if v_amount <= 0 then
        return 'nothing owed';
    end if;
    select coalesce(max(t.attempt), 0) + 1 into v_attempt
    from app.owed_transfers as t where t.booking_id = p_booking_id and not t.balance_charge;
    insert into app.owed_transfers (booking_id, payment_id, attempt, destination, amount_cents, currency)
    values (p_booking_id, v_payment.id, v_attempt, v_destination, v_amount, v_payment.currency)
    returning id into v_id;
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'connect.pay_owed', 'owed_transfer_id', v_id, 'booking_id', p_booking_id
    ));
    perform internal.audit(
        'payout.owed_transfer_requested', 'app.owed_transfers', v_id::text, null,
        pg_catalog.jsonb_build_object(
            'booking_id', p_booking_id, 'amount_cents', v_amount, 'destination', v_destination, 'attempt', v_attempt
        )
    );
    return 'requested';
end
$$;
comment on function internal.request_owed_transfer(uuid) is
$$Ask the worker to transfer what the platform owes for one booking, if its provider's account can take it now
(idempotent: one live transfer per booking). Definer: writes owed_transfers and the queue.$$;

create or replace function internal.request_owed_balance_transfer(p_booking_id uuid)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payment app.payments;
    v_balance app.balance_payments;
    v_booking app.bookings;
    v_destination text;
    v_amount integer;
    v_attempt integer;
    v_id uuid;
begin
    -- the lock request_refund takes: a refund of the balance is either in this amount or
    -- reversed from it
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id for update;
    select * into v_balance from app.balance_payments as bp
    where bp.booking_id = p_booking_id and bp.method = 'card' and bp.status = 'succeeded';
    if v_payment.id is null or v_balance.booking_id is null or v_balance.transfer_destination is not null then
        return 'nothing owed: not a balance the platform charged to the card';
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id;
    v_destination := internal.payout_destination(v_booking.provider_id);
    if v_destination is null then
        return 'the provider''s account cannot take transfers yet';
    end if;
    if exists (
        select from app.owed_transfers as t
        where t.booking_id = p_booking_id and t.balance_charge and t.status <> 'failed'
    ) then
        return 'already asked for';
    end if;
    v_amount := internal.owed_balance_transfer_amount(p_booking_id);
    if v_amount <= 0 then
        return 'nothing owed';
    end if;
    select coalesce(max(t.attempt), 0) + 1 into v_attempt
    from app.owed_transfers as t where t.booking_id = p_booking_id and t.balance_charge;
    insert into app.owed_transfers (
        booking_id, payment_id, attempt, destination, amount_cents, currency, balance_charge
    )
    values (p_booking_id, v_payment.id, v_attempt, v_destination, v_amount, v_payment.currency, true)
    returning id into v_id;
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'connect.pay_owed', 'owed_transfer_id', v_id, 'booking_id', p_booking_id
    ));
    perform internal.audit(
        'payout.owed_transfer_requested', 'app.owed_transfers', v_id::text, null,
        pg_catalog.jsonb_build_object(
            'booking_id', p_booking_id, 'amount_cents', v_amount, 'destination', v_destination,
            'attempt', v_attempt, 'balance_charge', true
        )
    );
    return 'requested';
end
$$;
comment on function internal.request_owed_balance_transfer(uuid) is
$$Ask the worker to transfer the provider's share of a balance the platform charged to the card (sourced from the
balance's charge), if its account can take it now (idempotent: one live per booking). Definer: as above.$$;

create or replace function internal.request_owed_transfers(p_provider_id uuid default null, p_limit integer default 100)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_booking_id uuid;
    v_requested integer := 0;
begin
    -- the platform's succeeded charges of providers whose account is ready, with no live
    -- owed transfer (a failed one is tried again an hour after it failed)
    for v_booking_id in
        select p.booking_id
        from app.payments as p
        inner join app.bookings as b on p.booking_id = b.id
        inner join app.payout_accounts as a on b.provider_id = a.provider_id
        where
            p.status = 'succeeded'
            and p.transfer_destination is null
            and (p_provider_id is null or b.provider_id = p_provider_id)
            and a.charges_enabled
            and a.capabilities ->> 'transfers' = 'active'
            and not exists (
                select from app.owed_transfers as t
                where
                    t.booking_id = p.booking_id and not t.balance_charge
                    and (t.status <> 'failed' or t.updated_at > pg_catalog.now() - interval '1 hour')
            )
            and internal.owed_transfer_amount(p.booking_id) > 0
        order by p.created_at
        limit p_limit
    loop
        if internal.request_owed_transfer(v_booking_id) = 'requested' then
            v_requested := v_requested + 1;
        end if;
    end loop;
    -- the balances the platform charged to the card, the same way
    for v_booking_id in
        select bp.booking_id
        from app.balance_payments as bp
        inner join app.bookings as b on bp.booking_id = b.id
        inner join app.payout_accounts as a on b.provider_id = a.provider_id
        where
            bp.method = 'card' and bp.status = 'succeeded'
            and bp.transfer_destination is null
            and (p_provider_id is null or b.provider_id = p_provider_id)
            and a.charges_enabled
            and a.capabilities ->> 'transfers' = 'active'
            and not exists (
                select from app.owed_transfers as t
                where
                    t.booking_id = bp.booking_id and t.balance_charge
                    and (t.status <> 'failed' or t.updated_at > pg_catalog.now() - interval '1 hour')
            )
            and internal.owed_balance_transfer_amount(bp.booking_id) > 0
        order by bp.updated_at
        limit p_limit
    loop
        if internal.request_owed_balance_transfer(v_booking_id) = 'requested' then
            v_requested := v_requested + 1;
        end if;
    end loop;
    return v_requested;
end
$$;
comment on function internal.request_owed_transfers(uuid, integer) is
'Ask for the owed transfers of one provider (or all, for the sweep) whose account can take them. Definer: as above.';

-- --- what starts them --------------------------------------------------------------------

create or replace function internal.payout_accounts_pay_owed()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if internal.payout_destination(new.provider_id) is not null then
        perform internal.request_owed_transfers(new.provider_id, 1000);
    end if;
    return null;
end
$$;
comment on function internal.payout_accounts_pay_owed() is
'Trigger: an account that can take transfers now gets what the platform owes its provider.';

drop trigger if exists _510_pay_owed on app.payout_accounts;
create trigger _510_pay_owed after update of charges_enabled, capabilities on app.payout_accounts
for each row when (old.charges_enabled is distinct from new.charges_enabled or old.capabilities is distinct from new.capabilities)
execute function internal.payout_accounts_pay_owed();

create or replace function internal.payments_pay_owed()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- (a destination charge pays the provider by itself: request_owed_transfer says so)
    if new.transfer_destination is null then
        perform internal.request_owed_transfer(new.booking_id);
    end if;
    return null;
end
$$;
comment on function internal.payments_pay_owed() is
'Trigger: a charge the platform collected that succeeds while the provider''s account is ready is paid out at once.';

drop trigger if exists _510_pay_owed on app.payments;
create trigger _510_pay_owed after update of status on app.payments
for each row when (new.status = 'succeeded' and old.status <> 'succeeded')
execute function internal.payments_pay_owed();

create or replace function internal.balance_payments_pay_owed()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- (a balance charged to the provider's account pays it by itself)
    if new.method = 'card' and new.transfer_destination is null then
        perform internal.request_owed_balance_transfer(new.booking_id);
    end if;
    return null;
end
$$;
comment on function internal.balance_payments_pay_owed() is
'Trigger: a balance the platform charged to the card that succeeds while the provider''s account is ready is paid out at once.';

drop trigger if exists _510_pay_owed on app.balance_payments;
create trigger _510_pay_owed after update of status on app.balance_payments
for each row when (new.status = 'succeeded' and old.status <> 'succeeded')
execute function internal.balance_payments_pay_owed();

-- --- refunds of a charge the platform collected --------------------------------------------

create or replace function internal.refunds_owed_share()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_payment app.payments;
    v_booking app.bookings;
    v_transfer app.owed_transfers;
    v_charged integer;
    v_base integer;
    v_shares bigint;
    v_refunded bigint;
    v_reversed bigint;
begin
    select * into strict v_payment from app.payments as p where p.id = new.payment_id;
    if v_payment.transfer_destination is not null or v_payment.captured_cents <= 0 then
        -- a destination charge unwinds through its own transfer (_110_unwind, _120_unwind_balance)
        return new;
    end if;
    select * into strict v_booking from app.bookings as b where b.id = new.booking_id;
    if new.balance_charge then
        -- a balance the platform charged to the card: its own share, its own owed transfer
        select bp.amount_cents into v_charged from app.balance_payments as bp
        where bp.booking_id = new.booking_id and bp.method = 'card' and bp.status = 'succeeded';
        if coalesce(v_charged, 0) <= 0 then
            return new;
        end if;
        v_base := internal.balance_owed_base(v_charged, v_booking.commission_cents, v_payment.captured_cents);
    else
        v_charged := v_payment.captured_cents;
        v_base := v_payment.captured_cents - least(v_booking.commission_cents, v_payment.captured_cents);
    end if;
    select coalesce(sum(r.amount_cents), 0), coalesce(sum(r.payout_share_cents), 0)
    into v_refunded, v_shares
    from app.refunds as r
    where r.payment_id = new.payment_id and r.balance_charge = new.balance_charge and r.status <> 'failed';
    if not new.balance_charge and v_booking.commission_cents > 0
        and internal.refund_keeps_fee(v_booking, new.requested_role) then
        -- a late customer cancellation: the platform keeps its whole commission and the
        -- provider bears the refund, up to what is left of its share (as _110_unwind)
        new.payout_share_cents := least(new.amount_cents, greatest(v_base - v_shares, 0));
    else
        new.payout_share_cents := internal.proportional_cents(
            new.amount_cents, v_charged, v_base, v_shares, v_refunded + new.amount_cents >= v_charged
        );
    end if;
    select * into v_transfer from app.owed_transfers as t
    where t.booking_id = new.booking_id and t.balance_charge = new.balance_charge and t.status <> 'failed';
    if found and new.payout_share_cents > 0 then
        select coalesce(sum(r.owed_reversal_cents), 0) into v_reversed
        from app.refunds as r where r.owed_transfer_id = v_transfer.id and r.status <> 'failed';
        new.owed_transfer_id := v_transfer.id;
        new.owed_reversal_cents := least(new.payout_share_cents, greatest(v_transfer.amount_cents - v_reversed, 0));
    end if;
    return new;
end
$$;
comment on function internal.refunds_owed_share() is
$$Trigger: a refund of a charge the platform collected (the deposit's, or the balance charged to the card) takes
its share of what the provider is owed for that charge (proportional, as a reversal; the whole refund on a late
cancellation), to be reversed from that charge's owed transfer if it was already asked for.$$;

drop trigger if exists _115_owed_share on app.refunds;
create trigger _115_owed_share before insert on app.refunds
for each row execute function internal.refunds_owed_share();

create or replace function internal.refunds_reverse_owed()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if exists (
        select from app.owed_transfers as t where t.id = new.owed_transfer_id and t.status = 'succeeded'
    ) then
        perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
            'type', 'connect.reverse_owed', 'refund_id', new.id, 'booking_id', new.booking_id
        ));
    end if;
    return null;
end
$$;
comment on function internal.refunds_reverse_owed() is
'Trigger: a refund that succeeded after the owed transfer was made takes its share back from it.';

drop trigger if exists _510_reverse_owed on app.refunds;
create trigger _510_reverse_owed after update of status on app.refunds
for each row when (
    new.status = 'succeeded' and old.status <> 'succeeded' and new.owed_reversal_cents > 0
    and new.stripe_owed_reversal_id is null
)
execute function internal.refunds_reverse_owed();

-- --- the worker's side --------------------------------------------------------------------

create or replace function internal.owed_transfer_action(p_owed_transfer_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'owed_transfer_id', t.id,
        'booking_id', t.booking_id,
        'attempt', t.attempt,
        'destination', t.destination,
        'amount_cents', t.amount_cents,
        'currency', t.currency,
        -- the charge it is sourced from: the deposit's, or the balance's
        'balance_charge', t.balance_charge,
        'stripe_payment_intent_id', case
            when t.balance_charge then bp.stripe_payment_intent_id else p.stripe_payment_intent_id
        end,
        'stripe_transfer_id', t.stripe_transfer_id
    ) || case
        when t.status = 'succeeded' then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the transfer is already recorded')
        when t.status = 'failed' then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'Stripe refused this transfer')
        else pg_catalog.jsonb_build_object('action', 'create_transfer', 'reason', 'the platform owes it')
    end
    from app.owed_transfers as t
    inner join app.payments as p on t.payment_id = p.id
    left join app.balance_payments as bp on t.balance_charge and t.booking_id = bp.booking_id
    where t.id = p_owed_transfer_id
$$;
comment on function internal.owed_transfer_action(uuid) is
$$connect.pay_owed: create_transfer or skip (with the reason), and what the transfer is made of.
Definer: the worker reads no app table.$$;

create or replace function internal.record_owed_transfer(
    p_owed_transfer_id uuid,
    p_stripe_transfer_id text,
    p_source_transaction text
)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_transfer app.owed_transfers;
    v_refund_id uuid;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_stripe_transfer_id is null or p_stripe_transfer_id !~ '^tr_[A-Za-z0-9]+$' then
        perform internal.fail('invalid_input', 'p_stripe_transfer_id must be a Stripe transfer id (tr_...)');
    end if;
    select * into v_transfer from app.owed_transfers as t where t.id = p_owed_transfer_id for update;
    if not found then
        perform internal.fail('not_found', 'no such owed transfer');
    end if;
    if v_transfer.stripe_transfer_id = p_stripe_transfer_id then
        return 'already recorded';
    end if;
    if v_transfer.status <> 'pending' then
        perform internal.fail('conflict', pg_catalog.format('this owed transfer is %s', v_transfer.status));
    end if;
    update app.owed_transfers as t
    set
        status = 'succeeded', stripe_transfer_id = p_stripe_transfer_id,
        source_transaction = p_source_transaction, updated_at = pg_catalog.now()
    where t.id = p_owed_transfer_id;
    perform internal.audit(
        'payout.owed_transfer_made', 'app.owed_transfers', p_owed_transfer_id::text, null,
        pg_catalog.jsonb_build_object(
            'booking_id', v_transfer.booking_id, 'amount_cents', v_transfer.amount_cents,
            'stripe_transfer_id', p_stripe_transfer_id
        )
    );
    -- refunds that succeeded while the transfer was on its way: take their shares back now
    for v_refund_id in
        select r.id from app.refunds as r
        where
            r.owed_transfer_id = p_owed_transfer_id and r.status = 'succeeded'
            and r.owed_reversal_cents > 0 and r.stripe_owed_reversal_id is null
    loop
        perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
            'type', 'connect.reverse_owed', 'refund_id', v_refund_id, 'booking_id', v_transfer.booking_id
        ));
    end loop;
    return 'recorded';
end
$$;
comment on function internal.record_owed_transfer(uuid, text, text) is
'Worker entry point: store the Stripe Transfer that paid an owed transfer (idempotent). Definer: as above.';

create or replace function internal.record_owed_transfer_failure(p_owed_transfer_id uuid, p_reason text)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_transfer app.owed_transfers;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    select * into v_transfer from app.owed_transfers as t where t.id = p_owed_transfer_id for update;
    if not found then
        perform internal.fail('not_found', 'no such owed transfer');
    end if;
    if v_transfer.status <> 'pending' then
        return pg_catalog.format('already %s', v_transfer.status);
    end if;
    update app.owed_transfers as t
    set status = 'failed', failure_reason = pg_catalog.left(coalesce(p_reason, 'refused'), 500), updated_at = pg_catalog.now()
    where t.id = p_owed_transfer_id;
    perform internal.audit(
        'payout.owed_transfer_failed', 'app.owed_transfers', p_owed_transfer_id::text, null,
        pg_catalog.jsonb_build_object('booking_id', v_transfer.booking_id, 'reason', p_reason)
    );
    return 'recorded failed';
end
$$;
comment on function internal.record_owed_transfer_failure(uuid, text) is
'Worker entry point: Stripe refused an owed transfer (the sweep tries again later). Definer: as above.';

create or replace function internal.owed_reversal_action(p_refund_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'refund_id', r.id,
        'booking_id', r.booking_id,
        'amount_cents', r.owed_reversal_cents,
        'stripe_transfer_id', t.stripe_transfer_id
    ) || case
        when r.stripe_owed_reversal_id is not null then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the reversal is already recorded')
        when r.owed_reversal_cents <= 0 or t.id is null then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'nothing to reverse')
        when t.status <> 'succeeded' then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the owed transfer was not made')
        when r.status <> 'succeeded' then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the refund has not succeeded')
        else pg_catalog.jsonb_build_object('action', 'reverse', 'reason', 'the refund takes its share back')
    end
    from app.refunds as r
    left join app.owed_transfers as t on r.owed_transfer_id = t.id
    where r.id = p_refund_id
$$;
comment on function internal.owed_reversal_action(uuid) is
$$connect.reverse_owed: reverse or skip (with the reason), the transfer and the cents.
Definer: the worker reads no app table.$$;

create or replace function internal.record_owed_reversal(p_refund_id uuid, p_reversal_id text)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_refund app.refunds;
begin
    perform internal.refund_for_reversal(p_refund_id, p_reversal_id);
    select * into v_refund from app.refunds as r where r.id = p_refund_id;
    if v_refund.stripe_owed_reversal_id = p_reversal_id then
        return 'already recorded';
    end if;
    if v_refund.stripe_owed_reversal_id is not null then
        perform internal.fail('conflict', 'this refund already has another reversal');
    end if;
    update app.refunds as r
    set stripe_owed_reversal_id = p_reversal_id, updated_at = pg_catalog.now()
    where r.id = p_refund_id;
    perform internal.audit(
        'payout.owed_transfer_reversed', 'app.refunds', p_refund_id::text, null,
        pg_catalog.jsonb_build_object(
            'booking_id', v_refund.booking_id, 'amount_cents', v_refund.owed_reversal_cents,
            'stripe_reversal_id', p_reversal_id
        )
    );
    return 'recorded';
end
$$;
comment on function internal.record_owed_reversal(uuid, text) is
'Worker entry point: store the TransferReversal that took a refund''s share back (idempotent). Definer: as above.';
