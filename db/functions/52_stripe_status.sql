-- Stripe's statuses, mapped once to the ledger's: used by the webhook's
-- functions (54_payments.sql), the worker's callbacks (worker/sql) and
-- reconciliation (58_reconcile.sql). No other copy of these maps exists.

create or replace function internal.stripe_refund_status(p_status text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case p_status
        when 'succeeded' then 'succeeded'
        when 'failed' then 'failed'
        when 'canceled' then 'failed'
        else 'pending'  -- pending, requires_action, or a status Stripe adds later
    end
$$;
comment on function internal.stripe_refund_status(text) is
'A Stripe refund''s status as the refund ledger''s: succeeded, failed (failed or canceled) or pending.';

create or replace function internal.stripe_intent_settled(p_status text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select p_status in ('succeeded', 'canceled')
$$;
comment on function internal.stripe_intent_settled(text) is
'Whether a PaymentIntent''s Stripe status is final (succeeded or canceled): nothing is left to cancel.';
