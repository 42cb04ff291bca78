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

create or replace function internal.reconcile(
    p_intents jsonb,
    p_refunds jsonb,
    p_since timestamptz,
    p_grace interval,
    p_repair boolean default true
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_snap jsonb := internal.reconcile_snapshot(p_since);
    v_since bigint := pg_catalog.floor(extract(epoch from p_since))::bigint;
    v_cutoff timestamptz := pg_catalog.now() - p_grace;
    v_diffs jsonb := '[]'::jsonb;
    v_intents jsonb;
    v_refunds jsonb;
    v_row jsonb;
    v_found jsonb;
    v_obj jsonb;
    v_subject text;
    v_recorded text;
    v_status text;
    v_here text;
    v_old boolean;
    v_kind text;
    v_detail text;
    v_event text;
    v_outcome text;
begin
    -- Stripe's objects created in the window, in Stripe's order (newest first), with their key
    select coalesce(pg_catalog.jsonb_agg(o.obj || pg_catalog.jsonb_build_object(
        '_key', coalesce(o.obj -> 'metadata' ->> 'booking_id', '')
    ) order by o.n), '[]'::jsonb)
    into v_intents
    from pg_catalog.jsonb_array_elements(coalesce(p_intents, '[]'::jsonb)) with ordinality as o (obj, n)
    where coalesce((o.obj ->> 'created')::bigint, v_since) >= v_since;
    select coalesce(pg_catalog.jsonb_agg(o.obj || pg_catalog.jsonb_build_object(
        '_key', coalesce(o.obj -> 'metadata' ->> 'refund_ledger_id', '')
    ) order by o.n), '[]'::jsonb)
    into v_refunds
    from pg_catalog.jsonb_array_elements(coalesce(p_refunds, '[]'::jsonb)) with ordinality as o (obj, n)
    where coalesce((o.obj ->> 'created')::bigint, v_since) >= v_since;

    for v_row in select * from pg_catalog.jsonb_array_elements(v_snap -> 'payments') loop
        v_subject := v_row ->> 'booking_id';
        v_recorded := v_row ->> 'stripe_payment_intent_id';
        v_here := v_row ->> 'status';
        v_old := (v_row ->> 'created_at')::timestamptz < v_cutoff;
        select coalesce(pg_catalog.jsonb_agg(i.obj order by i.n), '[]'::jsonb) into v_found
        from pg_catalog.jsonb_array_elements(v_intents) with ordinality as i (obj, n)
        where i.obj ->> '_key' = v_subject;
        v_kind := null;
        if pg_catalog.jsonb_array_length(v_found) > 1 then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                'kind', 'duplicate_intents', 'subject', v_subject,
                'detail', pg_catalog.format('%s intents: %s', pg_catalog.jsonb_array_length(v_found), (
                    select pg_catalog.string_agg(f.obj ->> 'id', ', ' order by f.obj ->> 'id')
                    from pg_catalog.jsonb_array_elements(v_found) as f (obj)
                ))
            );
        end if;
        if v_recorded is not null and not v_found @> pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('id', v_recorded)
        ) then
            v_kind := 'intent_missing_in_stripe';
            v_detail := v_recorded || ' is not in Stripe';
        elsif pg_catalog.jsonb_array_length(v_found) = 0 then
            if v_here = 'pending' and v_row ->> 'booking_status' = 'pending_payment' and v_old then
                v_kind := 'intent_never_created';
                v_detail := 'no PaymentIntent in Stripe';
            end if;
        else
            select f.obj into v_obj
            from pg_catalog.jsonb_array_elements(v_found) with ordinality as f (obj, n)
            order by (f.obj ->> 'id') is not distinct from v_recorded desc, f.n
            limit 1;
            v_status := v_obj ->> 'status';
            v_event := null;
            if v_status = 'succeeded' and v_here <> 'succeeded' then
                v_kind := 'missed_payment_succeeded';
                v_event := 'payment_intent.succeeded';
                v_detail := pg_catalog.format('%s succeeded in Stripe, payment %s here', v_obj ->> 'id', v_here);
            elsif v_status = 'canceled' and v_here in ('pending', 'requires_payment') then
                v_kind := 'missed_payment_canceled';
                v_event := 'payment_intent.canceled';
                v_detail := pg_catalog.format('%s canceled in Stripe, payment %s here', v_obj ->> 'id', v_here);
            elsif v_here = 'succeeded' and v_status is distinct from 'succeeded' then
                v_kind := 'paid_here_not_in_stripe';
                v_detail := pg_catalog.format('%s is %s in Stripe', v_obj ->> 'id', v_status);
            elsif v_recorded is null and v_old then
                v_kind := 'intent_not_recorded';
                v_detail := pg_catalog.format('%s (%s) is not recorded', v_obj ->> 'id', v_status);
            end if;
            if v_event is not null then
                v_outcome := case when p_repair then internal.reconcile_repair(v_event, v_obj - '_key') end;
                v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                    'kind', v_kind, 'subject', v_subject, 'detail', v_detail, 'repaired', v_outcome
                );
                v_kind := null;
            end if;
        end if;
        if v_kind is not null then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object('kind', v_kind, 'subject', v_subject, 'detail', v_detail);
        end if;
    end loop;
    v_diffs := v_diffs || coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'kind', 'unknown_intent', 'subject', u.key, 'detail', 'no payment for ' || u.ids
        ) order by u.first)
        from (
            select i.obj ->> '_key' as key, pg_catalog.string_agg(i.obj ->> 'id', ', ' order by i.n) as ids, min(i.n) as first
            from pg_catalog.jsonb_array_elements(v_intents) with ordinality as i (obj, n)
            where i.obj ->> '_key' <> ''
                and not (v_snap -> 'payments') @> pg_catalog.jsonb_build_array(
                    pg_catalog.jsonb_build_object('booking_id', i.obj ->> '_key')
                )
            group by i.obj ->> '_key'
        ) as u
    ), '[]'::jsonb);

    for v_row in select * from pg_catalog.jsonb_array_elements(v_snap -> 'refunds') loop
        v_subject := v_row ->> 'refund_id';
        v_recorded := v_row ->> 'stripe_refund_id';
        v_here := v_row ->> 'status';
        select coalesce(pg_catalog.jsonb_agg(i.obj order by i.n), '[]'::jsonb) into v_found
        from pg_catalog.jsonb_array_elements(v_refunds) with ordinality as i (obj, n)
        where i.obj ->> '_key' = v_subject;
        v_kind := null;
        if pg_catalog.jsonb_array_length(v_found) > 1 then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                'kind', 'duplicate_refunds', 'subject', v_subject,
                'detail', pg_catalog.format('%s refunds: %s', pg_catalog.jsonb_array_length(v_found), (
                    select pg_catalog.string_agg(f.obj ->> 'id', ', ' order by f.obj ->> 'id')
                    from pg_catalog.jsonb_array_elements(v_found) as f (obj)
                ))
            );
        end if;
        if pg_catalog.jsonb_array_length(v_found) = 0 then
            if v_recorded is not null then
                v_kind := 'refund_missing_in_stripe';
                v_detail := v_recorded || ' is not in Stripe';
            elsif v_here = 'pending' and (v_row ->> 'created_at')::timestamptz < v_cutoff then
                v_kind := 'refund_never_performed';
                v_detail := 'no refund in Stripe';
            end if;
        else
            select f.obj into v_obj
            from pg_catalog.jsonb_array_elements(v_found) with ordinality as f (obj, n)
            order by (f.obj ->> 'id') is not distinct from v_recorded desc, f.n
            limit 1;
            v_status := internal.stripe_refund_status(v_obj ->> 'status');
            if v_here = 'pending' and (v_status <> 'pending' or v_recorded is null) then
                v_outcome := case when p_repair then internal.reconcile_repair('refund.updated', v_obj - '_key') end;
                v_diffs := v_diffs || pg_catalog.jsonb_build_object(
                    'kind', 'missed_refund_update', 'subject', v_subject,
                    'detail', pg_catalog.format('%s %s in Stripe, refund pending here', v_obj ->> 'id', v_obj ->> 'status'),
                    'repaired', v_outcome
                );
            elsif v_here <> v_status and v_status <> 'pending' then
                v_kind := 'refund_status_differs';
                v_detail := pg_catalog.format('%s here, %s in Stripe', v_here, v_obj ->> 'status');
            end if;
        end if;
        if v_kind is not null then
            v_diffs := v_diffs || pg_catalog.jsonb_build_object('kind', v_kind, 'subject', v_subject, 'detail', v_detail);
        end if;
    end loop;
    v_diffs := v_diffs || coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'kind', 'unknown_refund', 'subject', u.key, 'detail', 'no ledger entry for ' || u.ids
        ) order by u.first)
        from (
            select i.obj ->> '_key' as key, pg_catalog.string_agg(i.obj ->> 'id', ', ' order by i.n) as ids, min(i.n) as first
            from pg_catalog.jsonb_array_elements(v_refunds) with ordinality as i (obj, n)
            where i.obj ->> '_key' <> ''
                and not (v_snap -> 'refunds') @> pg_catalog.jsonb_build_array(
                    pg_catalog.jsonb_build_object('refund_id', i.obj ->> '_key')
                )
            group by i.obj ->> '_key'
        ) as u
    ), '[]'::jsonb);

    return pg_catalog.jsonb_build_object(
        'payments', pg_catalog.jsonb_array_length(v_snap -> 'payments'),
        'refunds', pg_catalog.jsonb_array_length(v_snap -> 'refunds'),
        'intents', pg_catalog.jsonb_array_length(v_intents),
        'stripe_refunds', pg_catalog.jsonb_array_length(v_refunds),
        'differences', v_diffs
    );
end
$$;
comment on function internal.reconcile(jsonb, jsonb, timestamptz, interval, boolean) is
'Reconciliation with Stripe in one call: p_intents and p_refunds are Stripe''s PaymentIntents and Refunds as it '
'lists them; compares them with the payments and refunds created since p_since (matched by metadata.booking_id '
'and metadata.refund_ledger_id), repairs what Stripe settled (with p_repair; internal.reconcile_repair) and '
'returns the counts and every difference (kind, subject, detail, repaired). Work not done after p_grace is '
'reported. Definer: the worker role.';

create or replace function internal.reconcile_repair(p_type text, p_object jsonb)
returns text
language sql
volatile
set search_path = ''
as $$
    -- the event Stripe would have sent about the object as it is now
    select internal.reconcile_apply(pg_catalog.jsonb_build_object(
        'id', pg_catalog.format('evt_reconcile_%s_%s', p_object ->> 'id', coalesce(p_object ->> 'status', '')),
        'object', 'event',
        'type', p_type,
        'data', pg_catalog.jsonb_build_object('object', p_object)
    ))
$$;
comment on function internal.reconcile_repair(text, jsonb) is
'Reconciliation''s repair of one object: synthesize the event Stripe would have sent (evt_reconcile_<id>_<status>) '
'and apply it (internal.reconcile_apply).';
