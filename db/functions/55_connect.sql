-- Stripe Connect (issue 22): providers' Express accounts, the platform's commission,
-- destination charges and refunds that unwind them. docs/payments.md tells the story.
--
-- - Commission: app.commission_rates per category (ops: api.ops_set_commission_rate,
--   audited); a booking keeps the commission of its confirmation (_110_commission on
--   insert), as it keeps its cancellation policy, and nobody changes it after.
-- - Where the charge goes: a payment is created (confirm) with the provider's connected
--   account as transfer_destination when its transfers capability is active, and the
--   commission (at most the amount charged) as its application fee
--   (_110_destination). Otherwise the platform collects the charge (no transfer) and
--   owes the provider its share, shown by internal.payout_json: a provider who has not
--   finished Stripe's onboarding stays bookable (see docs/payments.md, "A provider
--   who cannot receive payouts").
-- - Refunds of a destination charge reverse the transfer and refund the application fee
--   in proportion (_110_unwind), computed here the way Stripe does (half up, the refund
--   that completes the charge takes what is left), so the ledger and Stripe agree to the
--   cent. A late customer cancellation keeps the whole fee: the provider bears the refund,
--   reversed from its transfer (up to what is left) by a TransferReversal of its own
--   (connect.reverse_transfer, key refund_reversal:<refund id>), since Stripe's
--   reverse_transfer is always proportional.
-- - Onboarding: api.start_payout_onboarding queues connect.onboard; the worker creates
--   the account and its AccountLink (keys derived from the effect) and records them
--   (internal.record_payout_account, internal.record_payout_link); account.updated
--   (internal.apply_account_event, from 70_stripe_webhook.sql) records what the
--   account can do.

-- --- commission --------------------------------------------------------------------------

create or replace function internal.commission_cents(p_price_cents integer, p_rate_bp integer, p_minimum_cents integer)
returns integer
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    -- price x rate, rounded half up to the cent; never below the minimum, never above the price
    -- (PL/pgSQL: a SQL function with its own search_path is planned again by every
    -- statement that calls it, each confirm's booking insert among them)
    return least(
        p_price_cents,
        greatest(p_minimum_cents, ((p_price_cents::bigint * p_rate_bp * 2 + 10000) / 20000)::integer)
    );
end
$$;
comment on function internal.commission_cents(integer, integer, integer) is
'The commission on a price: price x rate_bp / 10000 rounded half up, at least the minimum, at most the price.';

create or replace function internal.bookings_commission_snapshot()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_rate app.commission_rates;
begin
    if tg_op = 'INSERT' then
        select r.* into v_rate
        from app.services as s
        inner join app.commission_rates as r on s.category_id = r.category_id
        where s.id = new.service_id;
        new.commission_rate_bp := coalesce(v_rate.rate_bp, 0);
        new.commission_minimum_cents := coalesce(v_rate.minimum_cents, 0);
        new.commission_cents := internal.commission_cents(
            new.price_cents, new.commission_rate_bp, new.commission_minimum_cents
        );
    elsif new.commission_rate_bp is distinct from old.commission_rate_bp
        or new.commission_minimum_cents is distinct from old.commission_minimum_cents
        or new.commission_cents is distinct from old.commission_cents then
        perform internal.fail('invalid_input', 'a booking''s commission never changes');
    end if;
    return new;
end
$$;
comment on function internal.bookings_commission_snapshot() is
'Trigger: a new booking keeps its category''s commission (rate, minimum, cents); it never changes after.';

drop trigger if exists _110_commission on app.bookings;
create trigger _110_commission before insert or update on app.bookings
for each row execute function internal.bookings_commission_snapshot();

create or replace function internal.ops_set_commission_rate(
    p_category text,
    p_rate_bp integer,
    p_minimum_cents integer,
    p_reason text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_category_id integer;
    v_before jsonb;
    v_after jsonb;
begin
    perform internal.require_role('ops', 'only ops staff can change the commission');
    perform internal.require_text(p_category, 'category');
    perform internal.require(p_rate_bp, 'rate_bp');
    perform internal.require(p_minimum_cents, 'minimum_cents');
    perform internal.require_text(p_reason, 'reason');
    if p_rate_bp not between 0 and 10000 then
        perform internal.fail('invalid_input', 'rate_bp must be between 0 and 10000 (basis points: 1000 is 10 %)');
    end if;
    if p_minimum_cents not between 0 and 1000000 then
        perform internal.fail('invalid_input', 'minimum_cents must be between 0 and 1000000');
    end if;
    if pg_catalog.length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    select c.id into v_category_id from app.service_categories as c where c.slug = p_category;
    if not found then
        perform internal.fail('not_found', 'no such category');
    end if;
    select pg_catalog.to_jsonb(r) into v_before
    from app.commission_rates as r where r.category_id = v_category_id for update;
    insert into app.commission_rates as r (category_id, rate_bp, minimum_cents, updated_by, updated_at)
    values (v_category_id, p_rate_bp, p_minimum_cents, (select u.id from app.users as u where u.id = auth.uid()), pg_catalog.now())
    on conflict (category_id) do update
    set rate_bp = excluded.rate_bp, minimum_cents = excluded.minimum_cents,
        updated_by = excluded.updated_by, updated_at = excluded.updated_at;
    select pg_catalog.to_jsonb(r) into v_after from app.commission_rates as r where r.category_id = v_category_id;
    perform internal.audit(
        'commission.set', 'app.commission_rates', v_category_id::text, v_before, v_after, pg_catalog.btrim(p_reason)
    );
    return pg_catalog.jsonb_build_object(
        'category', p_category, 'rate_bp', p_rate_bp, 'minimum_cents', p_minimum_cents
    );
end
$$;
comment on function internal.ops_set_commission_rate(text, integer, integer, text) is
'Set a category''s commission (ops only), audited with before and after. Definer: writes app.commission_rates and the audit log.';

create or replace function api.ops_set_commission_rate(
    category text default null,
    rate_bp integer default null,
    minimum_cents integer default null,
    reason text default null
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.ops_set_commission_rate(category, rate_bp, minimum_cents, reason)
$$;
comment on function api.ops_set_commission_rate(text, integer, integer, text) is
$$Set the platform's commission for a service category (ops only), with a reason.

rate_bp: basis points of the service's price (1000 is 10 %); minimum_cents: the least commission per booking. The commission of a booking is max(price x rate, minimum), at most the price, fixed when the booking is confirmed: a change applies to later bookings only. Every change is written to the audit log with the rate before and after.
Errors: 400 invalid_input (missing or out-of-range argument, missing reason); 403 forbidden (not ops); 404 not_found (no such category).$$;

create or replace function internal.commission_rates()
returns table (category text, rate_bp integer, minimum_cents integer, updated_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff can read the commission rates');
    return query
    select c.slug, r.rate_bp, r.minimum_cents, r.updated_at
    from app.service_categories as c
    inner join app.commission_rates as r on c.id = r.category_id
    order by c.sort_order, c.slug;
end
$$;
comment on function internal.commission_rates() is
'Every category''s commission (ops only). Definer: app.commission_rates is read by nobody else.';

create or replace function api.commission_rates()
returns table (category text, rate_bp integer, minimum_cents integer, updated_at timestamptz)
language sql
stable
set search_path = ''
as $$
    select * from internal.commission_rates()
$$;
comment on function api.commission_rates() is
$$The platform's commission per service category (ops only): rate_bp (basis points of the price) and minimum_cents.

Errors: 403 forbidden (not ops).$$;

-- --- where a charge goes -------------------------------------------------------------------

create or replace function internal.payout_destination(p_provider_id uuid)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    -- a destination charge needs the account's transfers capability active (Stripe refuses it otherwise)
    -- (PL/pgSQL: planned once a session, not on each payment's insert)
    return (
        select a.stripe_account_id
        from app.payout_accounts as a
        where
            a.provider_id = p_provider_id
            and a.charges_enabled
            and a.capabilities ->> 'transfers' = 'active'
    );
end
$$;
comment on function internal.payout_destination(uuid) is
'The provider''s connected account if a destination charge can go to it now, else null (the platform collects).';

create or replace function internal.payments_destination_snapshot()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_booking app.bookings;
begin
    select * into strict v_booking from app.bookings as b where b.id = new.booking_id;
    new.transfer_destination := internal.payout_destination(v_booking.provider_id);
    new.application_fee_cents := case
        when new.transfer_destination is null then 0
        else least(v_booking.commission_cents, new.amount_cents)
    end;
    return new;
end
$$;
comment on function internal.payments_destination_snapshot() is
'Trigger: a new payment goes to the provider''s connected account (if it can take transfers) with the commission as its fee.';

drop trigger if exists _110_destination on app.payments;
create trigger _110_destination before insert on app.payments
for each row execute function internal.payments_destination_snapshot();

-- --- refunds that unwind ------------------------------------------------------------------

create or replace function internal.proportional_cents(
    p_part bigint,
    p_whole bigint,
    p_base bigint,
    p_already bigint,
    p_completes boolean
)
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- base x part / whole rounded half up, never past what is left of base; the part that
    -- completes the whole takes what is left, so the shares add up to base exactly
    select case
        when p_whole <= 0 then 0
        when p_completes then greatest(p_base - p_already, 0)
        else least(greatest(p_base - p_already, 0), (2 * p_part * p_base + p_whole) / (2 * p_whole))
    end::integer
$$;
comment on function internal.proportional_cents(bigint, bigint, bigint, bigint, boolean) is
'A refund''s share of a transfer or fee: base x part / whole half up; the completing refund takes the rest.';

create or replace function internal.refund_keeps_fee(p_booking app.bookings, p_requested_role text)
returns boolean
language sql
stable
set search_path = ''
as $$
    -- the customer cancelled late (after start - cancel_notice_hours) and this is that refund
    select
        p_requested_role = 'customer'
        and p_booking.cancelled_by_role = 'customer'
        and p_booking.cancelled_at > pg_catalog.lower(p_booking.during)
        - pg_catalog.make_interval(hours => p_booking.cancel_notice_hours)
$$;
comment on function internal.refund_keeps_fee(app.bookings, text) is
$$Whether a refund is the customer's late cancellation: the platform keeps its whole fee and the provider bears
the refund (docs/connect.md, "Refunds that unwind").$$;

create or replace function internal.refunds_unwind()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_payment app.payments;
    v_booking app.bookings;
    v_refunded bigint;
    v_reversed bigint;
    v_fee_refunded bigint;
    v_completes boolean;
    v_transfer integer;
begin
    if new.balance_charge then
        -- the balance charged to the card unwinds its own charge (_120_unwind_balance,
        -- 63_balance_card.sql); checked here, not in a WHEN clause, so that the column's
        -- migration can still roll back
        return new;
    end if;
    select * into strict v_payment from app.payments as p where p.id = new.payment_id;
    if v_payment.transfer_destination is null then
        return new;  -- the platform's own charge: nothing to unwind
    end if;
    select * into strict v_booking from app.bookings as b where b.id = new.booking_id;
    select
        coalesce(sum(r.amount_cents), 0),
        coalesce(sum(r.transfer_reversal_cents), 0),
        coalesce(sum(r.fee_refund_cents), 0)
    into v_refunded, v_reversed, v_fee_refunded
    from app.refunds as r
    -- the deposit's (or the price's) charge only: the balance charged to the card is a
    -- charge of its own, unwound by _120_unwind_balance (63_balance_card.sql)
    where r.payment_id = new.payment_id and not r.balance_charge and r.status <> 'failed';
    v_completes := v_refunded + new.amount_cents >= v_payment.captured_cents;
    v_transfer := v_payment.captured_cents - v_payment.application_fee_cents;
    new.reverse_transfer := true;
    if v_payment.application_fee_cents > 0 and internal.refund_keeps_fee(v_booking, new.requested_role) then
        -- the customer cancelled late: the platform keeps its whole fee and the provider
        -- bears the refund, reversed from its transfer up to what is left of it. Stripe's
        -- reverse_transfer is proportional, so the worker refunds without it and reverses
        -- this amount apart (connect.reverse_transfer, after the refund succeeded)
        new.refund_application_fee := false;
        new.fee_refund_cents := 0;
        new.transfer_reversal_cents := least(new.amount_cents, greatest(v_transfer - v_reversed, 0));
        new.reversal_apart := new.transfer_reversal_cents > 0;
        new.reverse_transfer := new.reversal_apart;  -- nothing left of the transfer: nothing to reverse
        return new;
    end if;
    -- a provider's or ops' cancellation, an in-time cancellation or an ops refund gives
    -- the fee back with the rest, and reverses the transfer, in proportion (Stripe's flags)
    new.refund_application_fee := v_payment.application_fee_cents > 0;
    new.transfer_reversal_cents := internal.proportional_cents(
        new.amount_cents, v_payment.captured_cents, v_transfer, v_reversed, v_completes
    );
    new.fee_refund_cents := case when new.refund_application_fee then internal.proportional_cents(
        new.amount_cents, v_payment.captured_cents, v_payment.application_fee_cents, v_fee_refunded, v_completes
    ) else 0 end;
    return new;
end
$$;
comment on function internal.refunds_unwind() is
$$Trigger: a refund of a destination charge reverses the transfer and refunds the fee in proportion, as Stripe
computes them; on a late customer cancellation the fee is kept and the whole refund (at most what is left of the
transfer) is reversed apart.$$;

drop trigger if exists _110_unwind on app.refunds;
create trigger _110_unwind before insert on app.refunds
for each row execute function internal.refunds_unwind();

-- --- a late cancellation's reversal, apart from its refund ------------------------------------

create or replace function internal.refunds_reverse_apart()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'connect.reverse_transfer', 'refund_id', new.id, 'booking_id', new.booking_id
    ));
    return null;
end
$$;
comment on function internal.refunds_reverse_apart() is
'Trigger: a late cancellation''s refund that succeeded asks the worker to reverse its amount from the provider''s transfer.';

drop trigger if exists _510_reverse_apart on app.refunds;
create trigger _510_reverse_apart after update of status on app.refunds
for each row when (
    new.status = 'succeeded' and old.status <> 'succeeded' and new.reversal_apart
    and new.stripe_transfer_reversal_id is null
)
execute function internal.refunds_reverse_apart();

create or replace function internal.transfer_reversal_action(p_refund_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'refund_id', r.id,
        'booking_id', r.booking_id,
        'amount_cents', r.transfer_reversal_cents,
        -- the destination charge's intent: its charge names the transfer to reverse
        'stripe_payment_intent_id', p.stripe_payment_intent_id,
        'stripe_transfer_reversal_id', r.stripe_transfer_reversal_id
    ) || case
        when r.stripe_transfer_reversal_id is not null then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the reversal is already recorded')
        when not r.reversal_apart or r.transfer_reversal_cents <= 0 then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'nothing to reverse apart')
        when r.status <> 'succeeded' then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the refund has not succeeded')
        else pg_catalog.jsonb_build_object('action', 'reverse', 'reason', 'the provider bears the refund')
    end
    from app.refunds as r
    inner join app.payments as p on r.payment_id = p.id
    where r.id = p_refund_id
$$;
comment on function internal.transfer_reversal_action(uuid) is
$$connect.reverse_transfer: reverse or skip (with the reason), the cents and the intent whose charge names the
transfer. Definer: the worker reads no app table.$$;

-- What both TransferReversal recorders (this one and internal.record_owed_reversal,
-- 65_owed_payouts.sql) start with: the worker as actor, the Stripe id checked, the refund
-- locked (void, not the row: a function returning app.refunds would keep the table's
-- migration from dropping it). Invoker: called by those definer entry points.
create or replace function internal.refund_for_reversal(p_refund_id uuid, p_reversal_id text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_reversal_id is null or p_reversal_id !~ '^trr_[A-Za-z0-9]+$' then
        perform internal.fail('invalid_input', 'p_reversal_id must be a Stripe transfer reversal id (trr_...)');
    end if;
    perform from app.refunds as r where r.id = p_refund_id for update;
    if not found then
        perform internal.fail('not_found', 'no such refund');
    end if;
end
$$;
comment on function internal.refund_for_reversal(uuid, text) is
'Lock the refund a worker records a TransferReversal for (the reversal id checked: trr_...; 404 without the refund).';

create or replace function internal.record_transfer_reversal(p_refund_id uuid, p_reversal_id text)
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
    if v_refund.stripe_transfer_reversal_id = p_reversal_id then
        return 'already recorded';
    end if;
    if v_refund.stripe_transfer_reversal_id is not null then
        perform internal.fail('conflict', 'this refund already has another reversal');
    end if;
    if not v_refund.reversal_apart then
        perform internal.fail('conflict', 'this refund''s transfer is not reversed apart');
    end if;
    update app.refunds as r
    set stripe_transfer_reversal_id = p_reversal_id, updated_at = pg_catalog.now()
    where r.id = p_refund_id;
    perform internal.audit(
        'payout.transfer_reversed', 'app.refunds', p_refund_id::text, null,
        pg_catalog.jsonb_build_object(
            'booking_id', v_refund.booking_id, 'amount_cents', v_refund.transfer_reversal_cents,
            'stripe_reversal_id', p_reversal_id
        )
    );
    return 'recorded';
end
$$;
comment on function internal.record_transfer_reversal(uuid, text) is
'Worker entry point: store the TransferReversal a late cancellation''s refund took from the transfer (idempotent). Definer: as above.';

-- --- a booking's payout ---------------------------------------------------------------------

create or replace function internal.balance_owed_base(
    p_balance_cents integer,
    p_commission_cents integer,
    p_captured_cents integer
)
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- what the deposit's charge left of the commission comes off the balance first
    select p_balance_cents - least(
        greatest(p_commission_cents - least(p_commission_cents, p_captured_cents), 0), p_balance_cents
    )
$$;
comment on function internal.balance_owed_base(integer, integer, integer) is
'The provider''s share of a balance the platform charged to the card: the balance less what the deposit left of the commission.';

create or replace function internal.payout_json(p_booking_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    -- refunds still pending count: the ledger counts a refund when it is asked for. The
    -- balance charged to the saved card (63_balance_card.sql) is a charge of its own, to the
    -- deposit's destination with the rest of the commission as its fee: its figures add to
    -- the deposit's; its refunds (balance_charge) unwind its own transfer and fee
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'currency', b.currency,
        'commission_rate_bp', b.commission_rate_bp,
        'commission_minimum_cents', b.commission_minimum_cents,
        'commission_cents', b.commission_cents,
        'transfer_destination', p.transfer_destination,
        'collected_by', case when p.transfer_destination is null then 'platform' else 'provider_account' end,
        'charged_cents', m.captured + m.balance,
        'balance_charged_cents', m.balance,
        'refunded_cents', u.refunded,
        'balance_refunded_cents', u.balance_refunded,
        'application_fee_cents', m.fee,
        'transfer_cents', m.transfer,
        'transfer_reversed_cents', u.reversed,
        'fee_refunded_cents', u.fee_refunded,
        'fee_kept_cents', m.fee - u.fee_refunded,
        'transfer_kept_cents', m.transfer - u.reversed,
        -- a charge the platform collected: the provider's share is what a destination charge
        -- would have sent it (the charge less the commission, less each refund's share, as
        -- reversals are); the platform owes it until an owed transfer (65_owed_payouts.sql)
        -- pays it, and a refund after that transfer reverses its share from it
        'owed_share_cents', m.owed_share - u.payout_shares,
        'owed_transfer_id', t.stripe_transfer_id,
        'owed_transfer_status', t.status,
        'owed_transfer_cents', coalesce(t.amount_cents, 0),
        'owed_transfer_reversed_cents', u.owed_reversed,
        -- still owed with no transfer asked for yet: the deposit's and the balance's
        'payout_owed_cents', o.deposit + o.balance,
        'balance_payout_owed_cents', o.balance,
        -- the provider's share of a balance the platform charged to the card (the balance
        -- less what is left of the commission, less its refunds' shares), paid by an owed
        -- transfer of its own, sourced from the balance's charge
        'balance_owed_cents', m.balance_share - u.balance_payout_shares,
        'balance_owed_transfer_id', tb.stripe_transfer_id,
        'balance_owed_transfer_status', tb.status,
        'balance_owed_transfer_cents', coalesce(tb.amount_cents, 0),
        'balance_owed_transfer_reversed_cents', u.balance_owed_reversed,
        -- what each side ends up with: the provider (in its account, or owed to it) and Bookiji
        -- (what the charges leave once refunded and the provider's share sent: its fee less
        -- the fee refunds, since a late cancellation's refund is reversed whole from the
        -- provider's side; less only when that side had less left than the refund)
        'provider_net_cents', m.transfer - u.reversed + m.owed_share - u.payout_shares
        + m.balance_share - u.balance_payout_shares,
        'platform_net_cents', case
            when p.transfer_destination is not null
                then m.captured + m.balance - u.refunded - (m.transfer - u.reversed)
            else m.captured + m.balance - u.refunded - (m.owed_share - u.payout_shares)
                - (m.balance_share - u.balance_payout_shares)
        end,
        -- what reached the provider's Stripe account: the destination charges' transfers or
        -- the owed transfers made, net of the reversals made
        'paid_out_cents', m.transfer - u.reversed + case
            when t.status = 'succeeded' then t.amount_cents - u.owed_reversed_done else 0
        end + case
            when tb.status = 'succeeded' then tb.amount_cents - u.balance_owed_reversed_done else 0
        end
    )
    from app.bookings as b
    left join app.payments as p on b.id = p.booking_id
    left join app.balance_payments as bp on b.id = bp.booking_id and bp.method = 'card' and bp.status = 'succeeded'
    cross join lateral (
        select
            coalesce(case when p.status = 'succeeded' then p.captured_cents end, 0) as captured,
            coalesce(bp.amount_cents, 0) as balance,
            coalesce(bp.application_fee_cents, 0) as balance_fee
    ) as c
    cross join lateral (
        select
            c.captured,
            c.balance,
            case when c.captured > 0 then p.application_fee_cents else 0 end + c.balance_fee as fee,
            case when c.captured > 0 and p.transfer_destination is not null
                then c.captured - p.application_fee_cents else 0 end
            + case when bp.transfer_destination is not null then c.balance - c.balance_fee else 0 end as transfer,
            case when c.captured > 0 and p.transfer_destination is null
                then c.captured - least(b.commission_cents, c.captured) else 0 end as owed_share,
            -- a balance the platform collected: its base is what the deposit left of the commission
            case when c.balance > 0 and bp.transfer_destination is null
                then internal.balance_owed_base(c.balance, b.commission_cents, c.captured)
                else 0 end as balance_share
    ) as m
    left join app.owed_transfers as t on b.id = t.booking_id and not t.balance_charge and t.status <> 'failed'
    left join app.owed_transfers as tb on b.id = tb.booking_id and tb.balance_charge and tb.status <> 'failed'
    cross join lateral (
        select
            coalesce(sum(r.amount_cents), 0)::integer as refunded,
            coalesce(sum(r.amount_cents) filter (where r.balance_charge), 0)::integer as balance_refunded,
            coalesce(sum(r.transfer_reversal_cents), 0)::integer as reversed,
            coalesce(sum(r.fee_refund_cents), 0)::integer as fee_refunded,
            coalesce(sum(r.payout_share_cents) filter (where not r.balance_charge), 0)::integer as payout_shares,
            coalesce(sum(r.payout_share_cents) filter (where r.balance_charge), 0)::integer
            as balance_payout_shares,
            coalesce(sum(r.owed_reversal_cents) filter (where r.owed_transfer_id = t.id), 0)::integer
            as owed_reversed,
            coalesce(sum(r.owed_reversal_cents) filter (
                where r.owed_transfer_id = t.id and r.stripe_owed_reversal_id is not null
            ), 0)::integer as owed_reversed_done,
            coalesce(sum(r.owed_reversal_cents) filter (where r.owed_transfer_id = tb.id), 0)::integer
            as balance_owed_reversed,
            coalesce(sum(r.owed_reversal_cents) filter (
                where r.owed_transfer_id = tb.id and r.stripe_owed_reversal_id is not null
            ), 0)::integer as balance_owed_reversed_done
        from app.refunds as r
        where r.booking_id = b.id and r.status <> 'failed'
    ) as u
    cross join lateral (
        -- what no owed transfer covers yet: each share less its refunds' shares, less the
        -- transfer asked for net of what refunds take back from it
        select
            greatest(
                m.owed_share - u.payout_shares - (coalesce(t.amount_cents, 0) - u.owed_reversed), 0
            ) as deposit,
            greatest(
                m.balance_share - u.balance_payout_shares
                - (coalesce(tb.amount_cents, 0) - u.balance_owed_reversed), 0
            ) as balance
    ) as o
    where b.id = p_booking_id
$$;
comment on function internal.payout_json(uuid) is
$$A booking's split: commission, the transfer to the provider (or what the platform owes it and the owed transfers
of the deposit and of the balance), reversals and fee refunds, what each side nets; the balance charged to the card
counts with the deposit.$$;

create or replace function internal.booking_payout(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform internal.require(p_booking_id, 'booking_id');
    if not exists (
        select from app.bookings as b
        inner join app.providers as pr on b.provider_id = pr.id
        where
            b.id = p_booking_id
            and (auth.role() = 'ops' or (auth.role() = 'provider' and pr.owner_id = auth.uid()))
    ) then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.payout_json(p_booking_id);
end
$$;
comment on function internal.booking_payout(uuid) is
'A booking''s split between provider and platform, for its provider''s owner and ops. Definer: reads the ledger.';

create or replace function api.booking_payout(booking_id uuid default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.booking_payout(booking_id)
$$;
comment on function api.booking_payout(uuid) is
$$A booking's split between the provider and the platform (its provider's owner and ops).

commission_cents (fixed at confirmation from rate_bp and minimum), collected_by (provider_account: a destination charge to transfer_destination; platform: the provider had no account able to take transfers, and payout_owed_cents is what the platform owes it), charged_cents and refunded_cents (the balance charged to the card included: balance_charged_cents, balance_refunded_cents), application_fee_cents, transfer_cents, transfer_reversed_cents and fee_refunded_cents (refunds so far, pending ones included: each reverses its share of the transfer and refunds its share of the fee, but a customer's late cancellation keeps the whole fee and reverses the whole refund from the transfer, up to what is left of it), fee_kept_cents (the platform's fee less its refunds), transfer_kept_cents (the transfer less its reversals); for a charge the platform collected: owed_share_cents (the provider's share: the charge less the commission, less each refund's share), owed_transfer_id, owed_transfer_status and owed_transfer_cents (the Stripe Transfer paying it once the account can take transfers), owed_transfer_reversed_cents (the shares of later refunds taken back from it), payout_owed_cents (still owed, no transfer asked for yet: the deposit's share and the balance's), balance_payout_owed_cents (the balance's part of it), balance_owed_cents (the provider's share of a balance the platform charged to the card, less its refunds' shares), balance_owed_transfer_id, balance_owed_transfer_status, balance_owed_transfer_cents and balance_owed_transfer_reversed_cents (the Stripe Transfer paying that share, sourced from the balance's charge, and what later refunds of the balance took back from it); provider_net_cents and platform_net_cents (what each side ends up with), paid_out_cents (what reached the provider's Stripe account, net of reversals made).
Errors: 400 invalid_input; 404 not_found (not your provider's booking).$$;

-- --- onboarding -----------------------------------------------------------------------------

create or replace function internal.payout_account_json(p_provider_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p.id,
        'stripe_account_id', a.stripe_account_id,
        'onboarding_url', case when a.onboarding_url_expires_at > pg_catalog.now() then a.onboarding_url end,
        'onboarding_url_expires_at',
        case when a.onboarding_url_expires_at > pg_catalog.now() then a.onboarding_url_expires_at end,
        'link_requested_at', a.link_requested_at,
        'details_submitted', coalesce(a.details_submitted, false),
        'charges_enabled', coalesce(a.charges_enabled, false),
        'payouts_enabled', coalesce(a.payouts_enabled, false),
        'capabilities', coalesce(a.capabilities, '{}'::jsonb),
        'requirements_due', pg_catalog.to_jsonb(coalesce(a.requirements_due, '{}'::text [])),
        'destination_charges', internal.payout_destination(p.id) is not null
    )
    from app.providers as p
    left join app.payout_accounts as a on p.id = a.provider_id
    where p.id = p_provider_id
$$;
comment on function internal.payout_account_json(uuid) is
'A provider''s payout account as the API returns it.';

create or replace function internal.my_provider_id()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
    v_provider_id uuid;
begin
    perform internal.require_role(
        'provider', 'only providers have payout accounts', 'a payout account needs a signed-in provider'
    );
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'you have no provider profile yet: create it first (POST /my_provider)');
    end if;
    return v_provider_id;
end
$$;
comment on function internal.my_provider_id() is
'The signed-in provider''s own provider id (403 for other roles, 404 without a profile).';

create or replace function internal.start_payout_onboarding()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_provider_id uuid := internal.my_provider_id();
    v_link_request uuid := extensions.gen_random_uuid();
begin
    insert into app.payout_accounts as a (provider_id, link_request_id, link_requested_at)
    values (v_provider_id, v_link_request, pg_catalog.now())
    on conflict (provider_id) do update
    set
        link_request_id = excluded.link_request_id,
        link_requested_at = excluded.link_requested_at,
        onboarding_url = null,
        onboarding_url_expires_at = null,
        updated_at = pg_catalog.now();
    perform internal.enqueue('payments', pg_catalog.jsonb_build_object(
        'type', 'connect.onboard', 'provider_id', v_provider_id, 'link_request_id', v_link_request
    ));
    perform internal.audit(
        'payout.onboarding_requested', 'app.payout_accounts', v_provider_id::text, null,
        pg_catalog.jsonb_build_object('link_request_id', v_link_request)
    );
    return internal.payout_account_json(v_provider_id);
end
$$;
comment on function internal.start_payout_onboarding() is
'Ask for a Stripe onboarding link (creating the Express account first if needed). Definer: writes payout_accounts and the queue.';

create or replace function api.start_payout_onboarding()
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.start_payout_onboarding()
$$;
comment on function api.start_payout_onboarding() is
$$Start (or resume) getting paid through Stripe: a fresh onboarding link to your Stripe Express account (providers only).

The worker creates your Express account (once) and a Stripe onboarding link: poll GET /rpc/my_payout_account until onboarding_url appears, and open it. Stripe sends you back to the app when you are done (or to ask for a new link when it has expired: call this again). charges_enabled, payouts_enabled and capabilities follow Stripe's account.updated. Until your account can take transfers (destination_charges true), customers still book and pay you, and the platform collects and owes you your share.
Errors: 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile yet). Each call asks for a new link.$$;

create or replace function internal.my_payout_account()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return internal.payout_account_json(internal.my_provider_id());
end
$$;
comment on function internal.my_payout_account() is
'The signed-in provider''s payout account. Definer: app.payout_accounts is read by nobody else.';

create or replace function api.my_payout_account()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.my_payout_account()
$$;
comment on function api.my_payout_account() is
$$Your Stripe payout account (providers only): the onboarding link while it is valid, and what Stripe lets the account do.

stripe_account_id (null until created), onboarding_url and onboarding_url_expires_at (null once used or expired), details_submitted, charges_enabled, payouts_enabled, capabilities, requirements_due, destination_charges (true: your bookings' payments go to your account, less the commission).
Errors: 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile yet).$$;

-- --- the worker's side of onboarding ----------------------------------------------------------

create or replace function internal.payout_onboarding_action(p_provider_id uuid, p_link_request_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p.id,
        'link_request_id', p_link_request_id,
        'email', coalesce(p.contact_email::text, u.email::text),
        'business_name', p.business_name,
        'stripe_account_id', a.stripe_account_id
    ) || case
        when a.link_request_id is distinct from p_link_request_id then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'a newer onboarding link was asked for')
        when a.onboarding_url is not null then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'this link is already recorded')
        when a.stripe_account_id is null then
            pg_catalog.jsonb_build_object('action', 'create_account', 'reason', 'the provider has no account yet')
        else
            pg_catalog.jsonb_build_object('action', 'create_link', 'reason', 'the account exists: make its link')
    end
    from app.providers as p
    inner join app.users as u on p.owner_id = u.id
    left join app.payout_accounts as a on p.id = a.provider_id
    where p.id = p_provider_id
$$;
comment on function internal.payout_onboarding_action(uuid, uuid) is
$$connect.onboard: create_account, create_link or skip (with the reason), and what the account is made of.
Definer: the worker reads no app table.$$;

create or replace function internal.record_payout_account(p_provider_id uuid, p_account_id text)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_current text;
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_account_id is null or p_account_id !~ '^acct_[A-Za-z0-9]+$' then
        perform internal.fail('invalid_input', 'p_account_id must be a Stripe account id (acct_...)');
    end if;
    select a.stripe_account_id into v_current from app.payout_accounts as a where a.provider_id = p_provider_id for update;
    if not found then
        perform internal.fail('not_found', 'no payout account was asked for this provider');
    end if;
    if v_current = p_account_id then
        return 'already recorded';
    end if;
    if v_current is not null then
        perform internal.fail('conflict', 'this provider already has another Stripe account');
    end if;
    update app.payout_accounts as a
    set stripe_account_id = p_account_id, updated_at = pg_catalog.now()
    where a.provider_id = p_provider_id;
    perform internal.audit('payout.account_created', 'app.payout_accounts', p_provider_id::text,
        null, pg_catalog.jsonb_build_object('stripe_account_id', p_account_id));
    return 'recorded';
end
$$;
comment on function internal.record_payout_account(uuid, text) is
'Worker entry point: store a provider''s created Express account (idempotent). Definer: the worker writes no app table.';

create or replace function internal.record_payout_link(
    p_provider_id uuid,
    p_link_request_id uuid,
    p_url text,
    p_expires_at timestamptz
)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    perform pg_catalog.set_config('bookiji.actor', 'worker', true);
    if p_url is null or p_url !~ '^https?://' then
        perform internal.fail('invalid_input', 'p_url must be an http(s) URL');
    end if;
    update app.payout_accounts as a
    set onboarding_url = p_url, onboarding_url_expires_at = p_expires_at, updated_at = pg_catalog.now()
    where a.provider_id = p_provider_id and a.link_request_id = p_link_request_id;
    return case when found then 'recorded' else 'superseded: a newer link was asked for' end;
end
$$;
comment on function internal.record_payout_link(uuid, uuid, text, timestamptz) is
'Worker entry point: store the onboarding link made for a link request (a superseded one is ignored). Definer: as above.';

create or replace function internal.apply_account_event(p_event jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_account jsonb := p_event -> 'data' -> 'object';
    v_at timestamptz := pg_catalog.to_timestamp(coalesce((p_event ->> 'created')::double precision, 0));
    v_provider_id uuid;
begin
    perform pg_catalog.set_config('bookiji.actor', 'stripe', true);
    if p_event ->> 'type' <> 'account.updated' then
        return 'ignored';
    end if;
    select a.provider_id into v_provider_id
    from app.payout_accounts as a
    where a.stripe_account_id = v_account ->> 'id'
    for update;
    if not found then
        -- the webhook can outrun the worker's record of the account: match by metadata
        select a.provider_id into v_provider_id
        from app.payout_accounts as a
        where a.provider_id::text = v_account -> 'metadata' ->> 'provider_id' and a.stripe_account_id is null
        for update;
        if not found then
            return 'unknown account';
        end if;
        update app.payout_accounts as a set stripe_account_id = v_account ->> 'id' where a.provider_id = v_provider_id;
    end if;
    -- events can arrive out of order: an older snapshot never overwrites a newer one
    update app.payout_accounts as a
    set
        details_submitted = coalesce((v_account ->> 'details_submitted')::boolean, false),
        charges_enabled = coalesce((v_account ->> 'charges_enabled')::boolean, false),
        payouts_enabled = coalesce((v_account ->> 'payouts_enabled')::boolean, false),
        capabilities = case
            when pg_catalog.jsonb_typeof(v_account -> 'capabilities') = 'object' then v_account -> 'capabilities'
            else '{}'::jsonb
        end,
        requirements_due = coalesce(
            (select pg_catalog.array_agg(d.value) from pg_catalog.jsonb_array_elements_text(
                case when pg_catalog.jsonb_typeof(v_account -> 'requirements' -> 'currently_due') = 'array'
                    then v_account -> 'requirements' -> 'currently_due' else '[]'::jsonb end
            ) as d (value)),
            '{}'::text []
        ),
        -- a completed onboarding uses up the link
        onboarding_url = case when (v_account ->> 'details_submitted')::boolean then null else a.onboarding_url end,
        onboarding_url_expires_at = case
            when (v_account ->> 'details_submitted')::boolean then null else a.onboarding_url_expires_at
        end,
        stripe_event_at = v_at,
        updated_at = pg_catalog.now()
    where a.provider_id = v_provider_id and (a.stripe_event_at is null or a.stripe_event_at <= v_at);
    if not found then
        return 'older than the account''s last update: ignored';
    end if;
    perform internal.audit('payout.account_updated', 'app.payout_accounts', v_provider_id::text, null,
        pg_catalog.jsonb_build_object(
            'charges_enabled', v_account -> 'charges_enabled', 'payouts_enabled', v_account -> 'payouts_enabled',
            'capabilities', v_account -> 'capabilities'
        ));
    return 'account updated';
end
$$;
comment on function internal.apply_account_event(jsonb) is
'Apply an account.updated event to the provider''s payout account (never an older one over a newer). Definer: Stripe calls as anon.';
