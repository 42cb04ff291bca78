-- Reconciliation with Stripe (worker/reconcile.py): what the database holds,
-- for comparison with Stripe's objects, and the repair entry point. A repair
-- applies a synthesized Stripe event through internal.process_stripe_event,
-- the webhook's own logic, so it is idempotent and never moves a booking,
-- payment or refund backwards.

create or replace function internal.reconcile_snapshot(p_since timestamptz)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'payments', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'payment_id', p.id,
                'booking_id', p.booking_id,
                'booking_status', b.status,
                'status', p.status,
                'amount_cents', p.amount_cents,
                'captured_cents', p.captured_cents,
                'stripe_payment_intent_id', p.stripe_payment_intent_id,
                'created_at', p.created_at
            ) order by p.created_at)
            from app.payments as p
            inner join app.bookings as b on p.booking_id = b.id
            where p.created_at >= p_since
        ), '[]'::jsonb),
        'refunds', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'refund_id', r.id,
                'booking_id', r.booking_id,
                'status', r.status,
                'amount_cents', r.amount_cents,
                'stripe_refund_id', r.stripe_refund_id,
                'stripe_payment_intent_id', p.stripe_payment_intent_id,
                'created_at', r.created_at
            ) order by r.created_at)
            from app.refunds as r
            inner join app.payments as p on r.payment_id = p.id
            where r.created_at >= p_since
        ), '[]'::jsonb)
    )
$$;
comment on function internal.reconcile_snapshot(timestamptz) is
'Payments (with their booking''s status) and refunds created since p_since, for reconciliation with Stripe. '
'Definer: the worker role reads no app table.';

create or replace function internal.reconcile_apply(p_event jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_outcome text;
begin
    if p_event ->> 'type' not in ('payment_intent.succeeded', 'payment_intent.canceled', 'refund.updated')
        or pg_catalog.left(p_event ->> 'id', 14) <> 'evt_reconcile_' then
        perform internal.fail('invalid_input', 'not a reconciliation event');
    end if;
    v_outcome := internal.process_stripe_event(p_event);
    perform pg_catalog.set_config('bookiji.actor', 'reconcile', true);
    perform internal.audit(
        'stripe.reconciled', 'stripe', p_event -> 'data' -> 'object' ->> 'id',
        null, pg_catalog.jsonb_build_object('event', p_event ->> 'type', 'outcome', v_outcome)
    );
    return v_outcome;
end
$$;
comment on function internal.reconcile_apply(jsonb) is
'Reconciliation repair: apply a synthesized Stripe event (evt_reconcile_..., payment_intent.succeeded/canceled '
'or refund.updated) with the webhook''s logic, and audit it. Definer: the worker role.';
