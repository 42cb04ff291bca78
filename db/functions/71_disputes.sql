-- Card disputes, as ops see them. The webhook records them
-- (internal.apply_dispute_event, 54_payments.sql): app.disputes, the
-- booking's dispute_status, the ops emails and the audit rows.

create or replace function api.ops_disputes(open_only boolean default false)
returns table (
    id text,
    booking_id uuid,
    payment_id uuid,
    stripe_charge_id text,
    stripe_payment_intent_id text,
    amount_cents integer,
    currency text,
    reason text,
    status text,
    outcome text,
    evidence_due_by timestamptz,
    opened_at timestamptz,
    closed_at timestamptz
)
language sql
stable
set search_path = ''
as $$
    select internal.fail('forbidden', 'only ops staff see disputes')
    where auth.role() is distinct from 'ops';
    select
        d.id, d.booking_id, d.payment_id, d.stripe_charge_id, d.stripe_payment_intent_id, d.amount_cents,
        d.currency, d.reason, d.status, d.outcome, d.evidence_due_by, d.opened_at, d.closed_at
    from app.disputes as d
    where not coalesce(ops_disputes.open_only, false) or d.outcome is null
    order by d.opened_at desc, d.id;
$$;
comment on function api.ops_disputes(boolean) is
$$Card disputes of booking payments, newest first (ops only): Stripe's dispute id, amount, reason and status, and the outcome once closed.

GET /rpc/ops_disputes?open_only=true lists those still open. outcome: won, lost or warning_closed
(an inquiry that never became a chargeback); null while open. A disputed booking's payment cannot be
refunded (409 conflict). Every ops account is emailed when a dispute opens and when it closes.
Errors: 403 forbidden (not ops).$$;
