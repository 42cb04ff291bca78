-- Ops: search bookings, and one booking's full story. Ops read every booking,
-- payment, refund and the audit log under RLS already; these definers join what
-- the console shows in one call (the customer's and the provider's accounts,
-- the notifications, the Stripe events), and refuse every other role first.

create or replace function internal.ops_bookings(
    p_customer_email text,
    p_provider_id uuid,
    p_status text,
    p_from timestamptz,
    p_to timestamptz,
    p_customer_id uuid,
    p_limit integer,
    p_before_id uuid
)
returns table (
    id uuid,
    status text,
    starts_at timestamptz,
    ends_at timestamptz,
    created_at timestamptz,
    customer_id uuid,
    customer_email text,
    customer_name text,
    provider_id uuid,
    provider_name text,
    service_id uuid,
    service_name text,
    price_cents integer,
    deposit_cents integer,
    currency text,
    payment_status text,
    stripe_payment_intent_id text,
    charged_cents integer,
    refunded_cents integer
)
language plpgsql
stable
security definer
set search_path = ''
-- planned with this call's filters: a generic plan of "p is null or column = p" cannot choose
-- the index of the filter given (a customer's, a provider's), and walked every booking by start
-- time for a customer with few of them
set plan_cache_mode = force_custom_plan
as $$
declare
    v_email text := auth.normalize_email(p_customer_email);
    v_customer_id uuid := p_customer_id;
    v_before_start timestamptz;
begin
    perform internal.require_role('ops', 'only ops staff may search bookings');
    if p_limit is null or p_limit not between 1 and 500 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 500');
    end if;
    if p_from in ('infinity', '-infinity') or p_to in ('infinity', '-infinity') then
        perform internal.fail('invalid_input', 'from and to must be finite timestamps');
    end if;
    if p_to <= p_from then
        perform internal.fail('invalid_input', 'to must be after from');
    end if;
    if p_status is not null and p_status not in (
        'pending_payment', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired'
    ) then
        perform internal.fail(
            'invalid_input',
            'status must be pending_payment, confirmed, completed, no_show, cancelled or expired'
        );
    end if;
    if v_email = '' then
        v_email := null;
    end if;
    if pg_catalog.char_length(v_email) > 254 then
        perform internal.fail('invalid_input', 'customer_email must be at most 254 characters');
    end if;
    if v_email is not null then
        select u.id into v_customer_id
        from app.users as u
        where u.email operator(extensions.=) v_email::extensions.citext
            and (p_customer_id is null or u.id = p_customer_id);
        if v_customer_id is null then
            return;  -- nobody with that email: no bookings
        end if;
    end if;
    if p_before_id is not null then
        select pg_catalog.lower(b.during) into v_before_start from app.bookings as b where b.id = p_before_id;
        if v_before_start is null then
            perform internal.fail('not_found', 'before_id is not a booking');
        end if;
    end if;
    return query
    select
        b.id, b.status, pg_catalog.lower(b.during), pg_catalog.upper(b.during), b.created_at,
        b.customer_id, u.email::text, u.full_name, b.provider_id, pr.business_name, b.service_id, s.name,
        b.price_cents, b.deposit_cents, b.currency, pay.status, pay.stripe_payment_intent_id,
        m.captured_cents, m.refund_pending_cents + m.refund_succeeded_cents
    from app.bookings as b
    inner join app.users as u on b.customer_id = u.id
    inner join app.providers as pr on b.provider_id = pr.id
    inner join app.services as s on b.service_id = s.id
    left join app.payments as pay on b.id = pay.booking_id
    cross join lateral internal.booking_money(b.id) as m
    where
        (v_customer_id is null or b.customer_id = v_customer_id)
        and (p_provider_id is null or b.provider_id = p_provider_id)
        and (p_status is null or b.status = p_status)
        and (p_from is null or pg_catalog.lower(b.during) >= p_from)
        and (p_to is null or pg_catalog.lower(b.during) < p_to)
        and (
            v_before_start is null
            or (pg_catalog.lower(b.during), b.id) < (v_before_start, p_before_id)
        )
    order by pg_catalog.lower(b.during) desc, b.id desc
    limit p_limit;
end
$$;
comment on function internal.ops_bookings(text, uuid, text, timestamptz, timestamptz, uuid, integer, uuid) is
$$Bookings by customer email, provider, status and start, latest start first (ops only).
Definer: joins the customers' and providers' accounts.$$;

create or replace function api.ops_bookings(
    customer_email text default null,
    provider_id uuid default null,
    status text default null,
    "from" timestamptz default null,
    "to" timestamptz default null,
    customer_id uuid default null,
    "limit" integer default 50,
    before_id uuid default null
)
returns table (
    id uuid,
    status text,
    starts_at timestamptz,
    ends_at timestamptz,
    created_at timestamptz,
    customer_id uuid,
    customer_email text,
    customer_name text,
    provider_id uuid,
    provider_name text,
    service_id uuid,
    service_name text,
    price_cents integer,
    deposit_cents integer,
    currency text,
    payment_status text,
    stripe_payment_intent_id text,
    charged_cents integer,
    refunded_cents integer
)
language sql
stable
set search_path = ''
as $$
    select * from internal.ops_bookings(
        ops_bookings.customer_email, ops_bookings.provider_id, ops_bookings.status, ops_bookings."from",
        ops_bookings."to", ops_bookings.customer_id, ops_bookings."limit", ops_bookings.before_id
    )
$$;
comment on function api.ops_bookings(text, uuid, text, timestamptz, timestamptz, uuid, integer, uuid) is
$$Search bookings (ops only): by customer email, provider, status and start time, latest start first.

Inputs (each optional; given ones all apply): customer_email (the whole address, any case), provider_id, status, from and to (starts_at in [from, to)), customer_id, limit (1-500, default 50), before_id (keyset pagination: the id of the last row of the previous page gives the next, earlier one).
Over HTTP GET, a limit in the query string is PostgREST's own row limit (the same effect); POST the arguments as JSON to pass it as the argument.
Each row: the booking, its customer (email, name) and provider (business name), the service, the amounts (charged_cents captured, refunded_cents pending and succeeded), the payment's status and Stripe PaymentIntent id. The whole story of one booking: ops_booking_story.
Errors: 400 invalid_input naming limit, status, customer_email, or to not after from; 403 forbidden (not ops); 404 not_found (before_id is no booking).$$;

-- ---------------------------------------------------------------------------
-- One booking's story

create or replace function internal.ops_booking_story(p_booking_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_booking app.bookings;
    v_payment app.payments;
    v_owner_id uuid;
    v_story jsonb;
begin
    perform internal.require_role('ops', 'only ops staff may read a booking''s story');
    perform internal.require(p_booking_id, 'booking_id');
    select * into v_booking from app.bookings as b where b.id = p_booking_id;
    if not found then
        perform internal.fail('not_found', 'no such booking');
    end if;
    select * into v_payment from app.payments as p where p.booking_id = p_booking_id;
    select pr.owner_id into v_owner_id from app.providers as pr where pr.id = v_booking.provider_id;

    v_story := pg_catalog.jsonb_build_object(
        'booking', pg_catalog.jsonb_build_object(
            'id', v_booking.id,
            'status', v_booking.status,
            'starts_at', pg_catalog.lower(v_booking.during),
            'ends_at', pg_catalog.upper(v_booking.during),
            'blocked_from', pg_catalog.lower(v_booking.blocked),
            'blocked_to', pg_catalog.upper(v_booking.blocked),
            'hold_expires_at', v_booking.hold_expires_at,
            'held_from', v_booking.held_from,
            'quote_id', v_booking.quote_id,
            'price_cents', v_booking.price_cents,
            'deposit_cents', v_booking.deposit_cents,
            'currency', v_booking.currency,
            'cancel_notice_hours', v_booking.cancel_notice_hours,
            'cancel_fee_cents', v_booking.cancel_fee_cents,
            'cancelled_at', v_booking.cancelled_at,
            'cancelled_by', v_booking.cancelled_by,
            'cancelled_by_role', v_booking.cancelled_by_role,
            'cancel_reason', v_booking.cancel_reason,
            'created_at', v_booking.created_at,
            'updated_at', v_booking.updated_at
        ),
        'customer', (
            select pg_catalog.jsonb_build_object(
                'id', u.id, 'email', u.email, 'full_name', u.full_name, 'phone', u.phone,
                'locale', u.locale, 'deleted_at', u.deleted_at
            )
            from app.users as u where u.id = v_booking.customer_id
        ),
        'provider', (
            select pg_catalog.jsonb_build_object(
                'id', pr.id, 'business_name', pr.business_name, 'owner_id', pr.owner_id,
                'owner_email', u.email, 'contact_email', pr.contact_email, 'contact_phone', pr.contact_phone,
                'time_zone', pr.time_zone, 'is_active', pr.is_active, 'suspended_at', pr.suspended_at,
                'suspension_reason', pr.suspension_reason
            )
            from app.providers as pr
            inner join app.users as u on pr.owner_id = u.id
            where pr.id = v_booking.provider_id
        ),
        'service', (
            select pg_catalog.jsonb_build_object(
                'id', s.id, 'name', s.name, 'category', c.slug, 'duration_minutes', s.duration_minutes
            )
            from app.services as s
            inner join app.service_categories as c on s.category_id = c.id
            where s.id = v_booking.service_id
        ),
        'balance', internal.balance_json(p_booking_id),
        -- never the client secret: it lets its holder pay
        'payment', case when v_payment.id is not null then pg_catalog.jsonb_build_object(
            'id', v_payment.id,
            'status', v_payment.status,
            'amount_cents', v_payment.amount_cents,
            'captured_cents', v_payment.captured_cents,
            'currency', v_payment.currency,
            'stripe_payment_intent_id', v_payment.stripe_payment_intent_id,
            'failure_reason', v_payment.failure_reason,
            'created_at', v_payment.created_at,
            'updated_at', v_payment.updated_at
        ) end,
        'refunds', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', r.id, 'amount_cents', r.amount_cents, 'status', r.status, 'reason', r.reason,
                'requested_by', r.requested_by, 'requested_role', r.requested_role,
                'stripe_refund_id', r.stripe_refund_id, 'failure_reason', r.failure_reason,
                'created_at', r.created_at, 'updated_at', r.updated_at
            ) order by r.created_at, r.id)
            from app.refunds as r where r.booking_id = p_booking_id
        ), '[]'::jsonb),
        'fees', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', f.id, 'kind', f.kind, 'amount_cents', f.amount_cents, 'created_at', f.created_at
            ) order by f.created_at, f.id)
            from app.booking_fees as f where f.booking_id = p_booking_id
        ), '[]'::jsonb),
        'payment_mismatches', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', pm.id, 'stripe_payment_intent_id', pm.stripe_payment_intent_id,
                'expected_cents', pm.expected_cents, 'expected_currency', pm.expected_currency,
                'received_cents', pm.received_cents, 'received_currency', pm.received_currency,
                'refund_id', pm.refund_id, 'created_at', pm.created_at
            ) order by pm.created_at)
            from app.payment_mismatches as pm where pm.booking_id = p_booking_id
        ), '[]'::jsonb),
        -- the status changes and moves, oldest first, from the audit log (kept for good)
        'status_history', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'at', a.occurred_at, 'action', a.action,
                'from', a.before ->> 'status', 'to', a.after ->> 'status',
                'actor_id', a.actor_id, 'actor_role', a.actor_role, 'reason', a.reason,
                'request_id', a.request_id
            ) order by a.id)
            from audit.action_log as a
            where a.table_name = 'app.bookings' and a.row_id = p_booking_id::text
                and a.action like 'booking.%'
                -- creation, status changes and moves (not the refunds, which keep the status)
                and (
                    a.before is null
                    or a.action = 'booking.moved'
                    or a.before ->> 'status' is distinct from a.after ->> 'status'
                )
        ), '[]'::jsonb),
        -- every audit entry about the booking, its payment and its refunds, oldest first
        'audit_trail', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', a.id, 'occurred_at', a.occurred_at, 'actor_id', a.actor_id, 'actor_role', a.actor_role,
                'action', a.action, 'table_name', a.table_name, 'row_id', a.row_id, 'reason', a.reason,
                'before', a.before, 'after', a.after, 'request_id', a.request_id
            ) order by a.id)
            from audit.action_log as a
            where
                (a.table_name = 'app.bookings' and a.row_id = p_booking_id::text)
                or (a.table_name = 'app.payments' and a.row_id = v_payment.id::text)
                or (
                    a.table_name = 'app.refunds'
                    and a.row_id in (select r.id::text from app.refunds as r where r.booking_id = p_booking_id)
                )
        ), '[]'::jsonb),
        -- the event log keeps event_retention_hours only: older bookings have none left
        'events', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', e.id, 'created_at', e.created_at, 'kind', e.kind, 'payload', e.payload
            ) order by e.id)
            from app.events as e
            where e.customer_id = v_booking.customer_id and e.booking_id = p_booking_id
        ), '[]'::jsonb),
        -- what was sent to whom about it (the data, which may hold a one-time token, is left out)
        'notifications', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', n.id, 'event', n.event, 'event_key', n.event_key, 'recipient_id', n.recipient_id,
                'recipient', case when n.recipient_id = v_booking.customer_id then 'customer' else 'provider' end,
                'channel', n.channel, 'status', n.status, 'attempts', n.attempts, 'last_error', n.last_error,
                'delivery_unknown', n.delivery_unknown, 'provider_message_id', n.provider_message_id,
                'created_at', n.created_at, 'sent_at', n.sent_at
            ) order by n.created_at, n.id)
            from app.notifications as n
            where n.recipient_id in (v_booking.customer_id, v_owner_id)
                and n.data ->> 'booking_id' = p_booking_id::text
        ), '[]'::jsonb),
        'stripe', pg_catalog.jsonb_build_object(
            'payment_intent_id', v_payment.stripe_payment_intent_id,
            'refund_ids', coalesce((
                select pg_catalog.jsonb_agg(r.stripe_refund_id order by r.created_at, r.id)
                from app.refunds as r where r.booking_id = p_booking_id and r.stripe_refund_id is not null
            ), '[]'::jsonb),
            'events', coalesce((
                select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                    'id', se.id, 'type', se.type, 'received_at', se.received_at,
                    'processed_at', se.processed_at, 'outcome', se.outcome
                ) order by se.received_at, se.id)
                from app.stripe_events as se
                where v_payment.stripe_payment_intent_id is not null
                    and coalesce(se.payload #>> '{data,object,payment_intent}', se.payload #>> '{data,object,id}')
                    = v_payment.stripe_payment_intent_id
            ), '[]'::jsonb)
        )
    );
    return v_story;
end
$$;
comment on function internal.ops_booking_story(uuid) is
$$A booking's full story as one JSON document (ops only).
Definer: reads accounts, notifications, Stripe events and the audit log together.$$;

create or replace function api.ops_booking_story(booking_id uuid default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.ops_booking_story(booking_id)
$$;
comment on function api.ops_booking_story(uuid) is
$$A booking's full story as one JSON document (ops only): what happened, who did it, what was paid and sent.

Keys: booking (every field, times, hold, cancellation), customer and provider (accounts and contact; the provider's suspension), service, balance (as booking_balance), payment (status, amounts, Stripe PaymentIntent id; never the client secret), refunds (each with its Stripe refund id), fees, payment_mismatches, status_history (every status change and move from the audit log: from, to, actor, reason, request id), audit_trail (every audit entry about the booking, its payment and refunds), events (the event log's, while it keeps them: event_retention_hours), notifications (recipient, channel, status, attempts, errors), stripe (PaymentIntent id, refund ids, the Stripe events received about the intent). Lists are oldest first.
Errors: 400 invalid_input (missing booking_id); 403 forbidden (not ops); 404 not_found.$$;
