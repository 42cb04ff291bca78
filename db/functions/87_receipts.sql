-- Receipts and statements (docs/money.md).
--
--   internal.booking_receipt_json   a booking's receipt: price, each tax with the provider's
--                                   registration number, the total, the deposit, what was paid,
--                                   refunded and lost to a dispute
--   api.booking_receipt             the receipt, for the booking's own customer only
--   _500_receipt on app.bookings    the receipt email (event payment_receipt) when a payment
--                                   confirms a booking, through internal.notify
--   _100_refund_receipt on app.notifications   a refund's email (booking_refunded) carries
--                                   the receipt with the refund in it
--   api.provider_statement          a provider's bookings, gross, taxes collected and refunds
--                                   over a period

create or replace function internal.booking_receipt_json(p_booking_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'booking_id', b.id,
        'status', b.status,
        'service_name', s.name,
        'provider_name', p.business_name,
        'starts_at', pg_catalog.lower(b.during),
        'ends_at', pg_catalog.upper(b.during),
        'currency', b.currency,
        'price_cents', b.price_cents,
        'gst_cents', b.gst_cents,
        'qst_cents', b.qst_cents,
        'gst_rate', b.gst_rate,
        'qst_rate', b.qst_rate,
        'gst_number', b.gst_number,
        'qst_number', b.qst_number,
        'total_cents', b.price_cents + b.gst_cents + b.qst_cents,
        'deposit_cents', b.deposit_cents,
        'charge', pg_catalog.jsonb_build_object(
            'base_cents', c.base_cents, 'gst_cents', c.gst_cents, 'qst_cents', c.qst_cents,
            'total_cents', c.total_cents
        ),
        'paid_cents', coalesce(case when pay.status = 'succeeded' then pay.captured_cents end, 0),
        'paid_at', case when pay.status = 'succeeded' then pay.updated_at end,
        'refunded_cents', coalesce((
            select sum(r.amount_cents) from app.refunds as r where r.booking_id = b.id and r.status <> 'failed'
        ), 0),
        'fee_cents', coalesce((select sum(f.amount_cents) from app.booking_fees as f where f.booking_id = b.id), 0),
        'disputed_lost_cents', coalesce((
            select sum(d.amount_cents) from app.disputes as d where d.booking_id = b.id and d.outcome = 'lost'
        ), 0),
        'dispute_status', b.dispute_status
    ) || internal.balance_due_json(b.id)
    from app.bookings as b
    inner join app.services as s on b.service_id = s.id
    inner join app.providers as p on b.provider_id = p.id
    cross join internal.booking_first_charge(b) as c
    left join app.payments as pay on b.id = pay.booking_id
    where b.id = p_booking_id
$$;
comment on function internal.booking_receipt_json(uuid) is
$$A booking's receipt: price, GST and QST (with the provider's numbers), total, the deposit, the charge
(base and its taxes), what was paid, refunded (pending or done), kept as a fee and lost to a dispute; the
balance after a deposit and how it was paid (internal.balance_due_json).$$;

create or replace function internal.booking_receipt(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform internal.require_role('customer', 'only the booking''s customer has its receipt', 'sign in first');
    perform internal.require(p_booking_id, 'booking_id');
    if not exists (select from app.bookings as b where b.id = p_booking_id and b.customer_id = auth.uid()) then
        perform internal.fail('not_found', 'no such booking');
    end if;
    return internal.booking_receipt_json(p_booking_id);
end
$$;
comment on function internal.booking_receipt(uuid) is
'A booking''s receipt for its own customer (anyone else: not_found). Definer: it reads payments, refunds and disputes.';

create or replace function api.booking_receipt(booking_id uuid default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.booking_receipt(booking_receipt.booking_id)
$$;
comment on function api.booking_receipt(uuid) is
$$Your booking's receipt (role customer): price, taxes and the provider's registration numbers, what you paid and what was refunded.

GET /rpc/booking_receipt?booking_id=... Amounts in cents of currency: price_cents, gst_cents and
qst_cents (5% and 9.975% of the price, each rounded half up to the cent; 0 with a null number when
the provider is not registered), total_cents; deposit_cents and charge (what the first payment asked
for: the deposit or the price, with its own taxes); paid_cents, refunded_cents (pending or done),
fee_cents (kept on a late cancellation), disputed_lost_cents; dispute_status; after a deposit,
balance_cents (with balance_base_cents, balance_gst_cents, balance_qst_cents), balance_status (none, open,
charging, due, paid, void), balance_method (venue or card), balance_paid_cents, balance_paid_at.
Errors: 400 invalid_input (booking_id missing); 401 not_authenticated; 403 forbidden (not a customer);
404 not_found (not your booking).$$;

create or replace function internal.bookings_receipt()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if exists (select from app.payments as p where p.booking_id = new.id and p.status = 'succeeded') then
        perform internal.notify(
            'payment_receipt', new.customer_id, 'payment_receipt:' || new.id::text,
            internal.booking_event_data(new.id)
            || pg_catalog.jsonb_build_object('receipt', internal.booking_receipt_json(new.id))
        );
    end if;
    return null;
end
$$;
comment on function internal.bookings_receipt() is
$$Trigger: a booking confirmed by its payment emails its customer the receipt (once per booking).
Definer: it reads the payment and queues the notification for whoever confirmed it.$$;

drop trigger if exists _500_receipt on app.bookings;
create trigger _500_receipt after update of status on app.bookings
for each row when (old.status = 'pending_payment' and new.status = 'confirmed')
execute function internal.bookings_receipt();

create or replace function internal.notifications_refund_receipt()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if new.data ? 'booking_id' then
        new.data := new.data || pg_catalog.jsonb_build_object(
            'receipt', internal.booking_receipt_json((new.data ->> 'booking_id')::uuid)
        );
    end if;
    return new;
end
$$;
comment on function internal.notifications_refund_receipt() is
$$Trigger: a refund's notification (booking_refunded, to the customer) carries the receipt as it
stands with that refund in it (refunded_cents counts it while it is pending), so its email
attaches the receipt's PDF. Definer: it reads payments and refunds for whoever refunded.$$;

drop trigger if exists _100_refund_receipt on app.notifications;
create trigger _100_refund_receipt before insert on app.notifications
for each row when (new.event = 'booking_refunded')
execute function internal.notifications_refund_receipt();

-- internal.refund_tax_cents (a refund's tax share) lives in 39_taxes.sql: analytics_revenue uses it too

create or replace function internal.provider_statement(p_from date, p_to date)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
-- Decides a provider's statement: its bookings starting in [from, to) (dates in
-- the provider's time zone) that took money, and the totals. Gross is what was
-- charged (taxes included; the balance charged to the card too); refunds are the refunds asked for (pending or done),
-- with their GST and QST share (internal.refund_tax_cents); the taxes to remit are
-- those collected less those refunded; collected_net = gross - refunds - lost
-- disputes, split into Bookiji's commission and the provider's payout (paid out
-- to its Stripe account, or still owed by Bookiji).
declare
    v_provider app.providers;
    v_lines jsonb;
    v_totals jsonb;
begin
    perform internal.require_role('provider', 'only providers have statements', 'sign in first');
    perform internal.require(p_from, 'period_from');
    perform internal.require(p_to, 'period_to');
    if p_to <= p_from or p_to - p_from > 366 then
        perform internal.fail('invalid_input', 'period_to must be after period_from, at most 366 days later');
    end if;
    select * into v_provider from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'create your provider profile first (POST /my_provider)');
    end if;
    select coalesce(pg_catalog.jsonb_agg(l.line order by l.starts_at, l.id), '[]'::jsonb) into v_lines
    from (
        select
            b.id,
            pg_catalog.lower(b.during) as starts_at,
            pg_catalog.jsonb_build_object(
                'booking_id', b.id,
                'starts_at', pg_catalog.lower(b.during),
                'status', b.status,
                'price_cents', b.price_cents,
                -- the charges through Stripe: the deposit's (or the price's) and the balance's
                -- once charged to the card
                'charged_cents', pay.captured_cents + coalesce(bal.card_cents, 0),
                -- the taxes of what was paid: the charge's and, once settled, the balance's
                'gst_cents', c.gst_cents + coalesce(bal.gst_cents, 0),
                'qst_cents', c.qst_cents + coalesce(bal.qst_cents, 0),
                'balance_cents', coalesce(bal.amount_cents, 0),
                'balance_method', bal.method,
                'refunded_cents', rf.refunded,
                -- refunds give back each charge's taxes in proportion: the deposit's refunds
                -- its taxes, the card balance's refunds (balance_charge) the balance's
                'refunded_gst_cents', internal.refund_tax_cents(c.gst_cents, rf.refunded - rf.balance_refunded, pay.captured_cents)
                + internal.refund_tax_cents(coalesce(bal.gst_cents, 0), rf.balance_refunded, coalesce(bal.card_cents, 0)),
                'refunded_qst_cents', internal.refund_tax_cents(c.qst_cents, rf.refunded - rf.balance_refunded, pay.captured_cents)
                + internal.refund_tax_cents(coalesce(bal.qst_cents, 0), rf.balance_refunded, coalesce(bal.card_cents, 0)),
                'disputed_lost_cents', coalesce((
                    select sum(d.amount_cents) from app.disputes as d where d.booking_id = b.id and d.outcome = 'lost'
                ), 0),
                'dispute_status', b.dispute_status,
                -- Stripe Connect's split (55_connect.sql): Bookiji's commission (its
                -- application fee net of fee refunds, or, on a charge it collected itself,
                -- the charge less refunds and the provider's share) and the provider's payout
                'commission_cents', (x.po ->> 'platform_net_cents')::integer,
                'payout_cents', (x.po ->> 'provider_net_cents')::integer,
                'paid_out_cents', (x.po ->> 'paid_out_cents')::integer,
                'owed_cents', (x.po ->> 'provider_net_cents')::integer - (x.po ->> 'paid_out_cents')::integer,
                'collected_by', x.po ->> 'collected_by',
                'owed_transfer_id', x.po ->> 'owed_transfer_id'
            ) as line
        from app.bookings as b
        inner join app.payments as pay on b.id = pay.booking_id and pay.status = 'succeeded'
        cross join internal.booking_first_charge(b) as c
        -- offset 0: computed once a line (pulled up, each of x.po's reads would call it again)
        cross join lateral (select internal.payout_json(b.id) as po offset 0) as x
        cross join lateral (
            select
                coalesce(sum(r.amount_cents), 0)::bigint as refunded,
                coalesce(sum(r.amount_cents) filter (where r.balance_charge), 0)::bigint as balance_refunded
            from app.refunds as r where r.booking_id = b.id and r.status <> 'failed'
        ) as rf
        left join lateral (
            select
                bp.*,
                case when bp.method = 'card' then bp.amount_cents end as card_cents
            from app.balance_payments as bp
            where bp.booking_id = b.id and bp.status = 'succeeded'
        ) as bal on true
        where
            b.provider_id = v_provider.id
            and pg_catalog.lower(b.during) >= (p_from::timestamp at time zone v_provider.time_zone)
            and pg_catalog.lower(b.during) < (p_to::timestamp at time zone v_provider.time_zone)
    ) as l;
    select pg_catalog.jsonb_build_object(
        'gross_cents', coalesce(sum((e ->> 'charged_cents')::bigint), 0),
        'gst_collected_cents', coalesce(sum((e ->> 'gst_cents')::bigint), 0),
        'qst_collected_cents', coalesce(sum((e ->> 'qst_cents')::bigint), 0),
        'refunded_cents', coalesce(sum((e ->> 'refunded_cents')::bigint), 0),
        'gst_refunded_cents', coalesce(sum((e ->> 'refunded_gst_cents')::bigint), 0),
        'qst_refunded_cents', coalesce(sum((e ->> 'refunded_qst_cents')::bigint), 0),
        'gst_net_cents', coalesce(sum((e ->> 'gst_cents')::bigint - (e ->> 'refunded_gst_cents')::bigint), 0),
        'qst_net_cents', coalesce(sum((e ->> 'qst_cents')::bigint - (e ->> 'refunded_qst_cents')::bigint), 0),
        'disputed_lost_cents', coalesce(sum((e ->> 'disputed_lost_cents')::bigint), 0),
        'collected_net_cents', coalesce(sum(
            (e ->> 'charged_cents')::bigint - (e ->> 'refunded_cents')::bigint - (e ->> 'disputed_lost_cents')::bigint
        ), 0),
        'commission_cents', coalesce(sum((e ->> 'commission_cents')::bigint), 0),
        'payout_cents', coalesce(sum((e ->> 'payout_cents')::bigint), 0),
        'paid_out_cents', coalesce(sum((e ->> 'paid_out_cents')::bigint), 0),
        'owed_cents', coalesce(sum((e ->> 'owed_cents')::bigint), 0),
        'balance_venue_cents', coalesce(sum((e ->> 'balance_cents')::bigint) filter (where e ->> 'balance_method' = 'venue'), 0),
        'balance_card_cents', coalesce(sum((e ->> 'balance_cents')::bigint) filter (where e ->> 'balance_method' = 'card'), 0)
    ) into v_totals
    from pg_catalog.jsonb_array_elements(v_lines) as e;
    return pg_catalog.jsonb_build_object(
        'provider_id', v_provider.id,
        'period_from', p_from,
        'period_to', p_to,
        'time_zone', v_provider.time_zone,
        'currency', 'CAD',
        'gst_number', (select t.gst_number from app.provider_tax_registrations as t where t.provider_id = v_provider.id),
        'qst_number', (select t.qst_number from app.provider_tax_registrations as t where t.provider_id = v_provider.id),
        'bookings', pg_catalog.jsonb_array_length(v_lines),
        'lines', v_lines
    ) || v_totals;
end
$$;
comment on function internal.provider_statement(date, date) is
'The caller''s provider''s statement for [p_from, p_to). Definer: it reads payments, refunds and disputes.';

create or replace function api.provider_statement(period_from date default null, period_to date default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.provider_statement(provider_statement.period_from, provider_statement.period_to)
$$;
comment on function api.provider_statement(date, date) is
$$Your statement for a period (role provider): what customers paid, taxes to remit, refunds, Bookiji's commission, your payout.

GET /rpc/provider_statement?period_from=2026-12-01&period_to=2027-01-01: bookings starting in
[period_from, period_to), dates in your time zone, at most 366 days. Each line: booking_id, starts_at,
status, price_cents, charged_cents (through Stripe, taxes included: the deposit or the price, and the
balance once charged to your card), gst_cents and qst_cents (the taxes of that
charge and of the balance once paid), balance_cents and balance_method (the balance after a deposit,
paid at the venue or by card, taxes included), refunded_cents (pending or done) with
refunded_gst_cents and refunded_qst_cents (their tax share: each charge's tax x its refunds / the
charge, half up),
disputed_lost_cents, dispute_status, commission_cents (what Bookiji keeps: the charges less
refunds and your share), payout_cents (what is yours: the transfer to your Stripe account net of reversals, or your
share of a charge Bookiji collected), paid_out_cents (of it, what reached your Stripe account),
owed_cents (what Bookiji still owes you), collected_by, owed_transfer_id. Totals: bookings,
gross_cents (what customers paid through Stripe, taxes included), gst_collected_cents,
qst_collected_cents, refunded_cents, gst_refunded_cents, qst_refunded_cents, gst_net_cents and
qst_net_cents (collected less refunded: what you remit), disputed_lost_cents, collected_net_cents
(gross - refunded - lost disputes, before Bookiji's commission), commission_cents, payout_cents,
paid_out_cents, owed_cents, balance_venue_cents (balances you collected at the venue: not in
gross), balance_card_cents (in gross); your gst_number and qst_number.
Errors: 400 invalid_input (a date missing, period_to not after period_from, longer than 366 days);
401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile).$$;
