-- What the worker should do for a payments message: the database decides, the
-- worker performs the one Stripe call named by 'action' and reports back
-- through the record_* entry points (54_payments.sql). Each answer is the
-- request row (internal.payment_intent_request, internal.refund_request) plus
-- 'action' and 'reason' (why, for the worker's log line).

create or replace function internal.payment_intent_action(p_payment_id uuid, p_attempt integer)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select r.request || case
        when (r.request ->> 'wanted')::boolean then
            pg_catalog.jsonb_build_object('action', 'create_intent', 'reason', 'the booking awaits payment')
        -- An earlier attempt (a redelivery, no intent recorded, no failure recorded) may have
        -- made the intent in Stripe and died before its transaction committed: ask again with
        -- the same key (Stripe answers with that intent if it exists) and record it, which
        -- requests its cancellation, the booking having ended. Left alone it would stay live
        -- in Stripe, unknown here.
        when p_attempt > 1
            and r.request ->> 'stripe_payment_intent_id' is null
            and r.request ->> 'payment_status' in ('pending', 'cancelled') then
            pg_catalog.jsonb_build_object(
                'action', 'create_intent',
                'reason', pg_catalog.format(
                    'the booking no longer awaits payment; attempt %s: recording (and so cancelling) '
                    'any intent an earlier attempt made', p_attempt
                )
            )
        else
            pg_catalog.jsonb_build_object(
                'action', 'skip', 'reason', 'the booking no longer awaits payment: no intent created'
            )
    end
    from (select internal.payment_intent_request(p_payment_id) as request) as r
    where r.request is not null
$$;
comment on function internal.payment_intent_action(uuid, integer) is
'payment.create_intent: create_intent or skip (with the reason), and what the intent is made of. p_attempt: '
'the message''s read count (a redelivery may have to recover an intent an earlier attempt made). Definer: as above.';

create or replace function internal.payment_cancel_action(
    p_payment_id uuid,
    p_stripe_status text default null,
    p_cancel_refused boolean default false
)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select r.request || case
        when r.request ->> 'stripe_payment_intent_id' is null then
            -- never created (the create handler skips ended bookings)
            pg_catalog.jsonb_build_object(
                'action', 'record_cancelled', 'reason', 'no intent was created: nothing to cancel in Stripe'
            )
        when p_stripe_status is null then
            pg_catalog.jsonb_build_object('action', 'retrieve', 'reason', 'look at the intent in Stripe first')
        when p_stripe_status = 'canceled' then
            pg_catalog.jsonb_build_object('action', 'record_cancelled', 'reason', 'already canceled in Stripe')
        when internal.stripe_intent_settled(p_stripe_status) then
            -- the webhook refunds a payment that arrived after the booking ended
            pg_catalog.jsonb_build_object(
                'action', 'skip', 'reason', pg_catalog.format('the intent is %s: nothing to cancel', p_stripe_status)
            )
        when p_cancel_refused and p_stripe_status = 'processing' then
            pg_catalog.jsonb_build_object('action', 'retry', 'reason', 'the intent is processing: cancel once it settles')
        when p_cancel_refused then
            pg_catalog.jsonb_build_object(
                'action', 'fail', 'reason', pg_catalog.format('Stripe refused to cancel an intent in status %s', p_stripe_status)
            )
        else
            pg_catalog.jsonb_build_object(
                'action', 'cancel_intent', 'reason', pg_catalog.format('the intent is %s in Stripe', p_stripe_status)
            )
    end
    from (select internal.payment_intent_request(p_payment_id) as request) as r
    where r.request is not null
$$;
comment on function internal.payment_cancel_action(uuid, text, boolean) is
'payment.cancel_intent: retrieve (look at the intent first), cancel_intent, record_cancelled, skip, retry or fail, '
'given the intent''s Stripe status (and whether Stripe refused a cancel). Definer: as above.';

create or replace function internal.refund_action(p_refund_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select r.request || case
        when not (r.request ->> 'wanted')::boolean then
            pg_catalog.jsonb_build_object('action', 'skip', 'reason', 'the refund is performed or settled already')
        when coalesce(r.request ->> 'stripe_payment_intent_id', '') = '' then
            pg_catalog.jsonb_build_object('action', 'fail', 'reason', 'the refund has no PaymentIntent to refund')
        else
            pg_catalog.jsonb_build_object('action', 'create_refund', 'reason', 'the ledger asks for it')
    end
    from (select internal.refund_request(p_refund_id) as request) as r
    where r.request is not null
$$;
comment on function internal.refund_action(uuid) is
'payment.refund: create_refund, skip or fail (with the reason), and what the refund is made of. Definer: as above.';
