-- A person's own data: export it (api.export_my_data) and delete the account
-- (api.delete_my_account). What deletion erases and what it keeps, and for how
-- long, is docs/security.md ("Deleting an account"); in short:
--
--   erased     email, name and phone (replaced), the password, sessions and
--              refresh tokens (revoked), one-time tokens, notification
--              preferences, the notifications sent to the person (their delivery
--              log), quotes (the places searched), Idempotency-Key records, login
--              attempts under the email; for a provider, its business name,
--              description, contact, weekly hours and time off, and the location is
--              rounded to about a kilometre; the person's name in the other party's
--              notification data; email, name and phone in the audit log's entries
--              about the account
--   kept       bookings, payments, refunds, fees, payment mismatches and Stripe
--              events (financial records), services a provider sold (inactive), the
--              audit log (ids, actions, reasons), all pointing at the anonymised
--              account row (app.users.deleted_at)

create or replace function internal.export_my_data()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_user app.users;
    v_provider_id uuid;
begin
    if auth.uid() is null or auth.role() not in ('customer', 'provider', 'ops') then
        perform internal.fail('not_authenticated', 'sign in to export your data');
    end if;
    select * into v_user from app.users as u where u.id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'no account for this token');
    end if;
    select p.id into v_provider_id from app.providers as p where p.owner_id = v_user.id;
    return pg_catalog.jsonb_build_object(
        'format', 'bookiji-export-1',
        'exported_at', pg_catalog.now(),
        'account', pg_catalog.jsonb_build_object(
            'id', v_user.id, 'email', v_user.email, 'role', v_user.role, 'full_name', v_user.full_name,
            'locale', v_user.locale, 'phone', v_user.phone, 'email_confirmed_at', v_user.email_confirmed_at,
            'created_at', v_user.created_at, 'updated_at', v_user.updated_at
        ),
        'notification_preferences', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'category', np.category, 'email', np.email, 'sms', np.sms, 'updated_at', np.updated_at
            ) order by np.category)
            from app.notification_preferences as np where np.user_id = v_user.id
        ), '[]'::jsonb),
        'sessions', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', s.id, 'created_at', s.created_at, 'last_refreshed_at', s.last_refreshed_at,
                'revoked_at', s.revoked_at, 'revoked_reason', s.revoked_reason
            ) order by s.created_at, s.id)
            from auth.sessions as s where s.user_id = v_user.id
        ), '[]'::jsonb),
        -- the notifications sent to the person (a one-time token is never part of an export)
        'notifications', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', n.id, 'event', n.event, 'channel', n.channel, 'status', n.status,
                'data', n.data - 'token', 'created_at', n.created_at, 'sent_at', n.sent_at
            ) order by n.created_at, n.id)
            from app.notifications as n where n.recipient_id = v_user.id
        ), '[]'::jsonb),
        -- as a customer: the quotes asked for (where and when), the bookings and their money
        'quotes', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', q.id, 'category', c.slug,
                'lat', extensions.st_y(q.location::extensions.geometry),
                'lng', extensions.st_x(q.location::extensions.geometry),
                'starts_at', q.starts_at, 'radius_km', q.radius_km, 'created_at', q.created_at
            ) order by q.created_at, q.id)
            from app.quotes as q
            inner join app.service_categories as c on q.category_id = c.id
            where q.customer_id = v_user.id
        ), '[]'::jsonb),
        'bookings', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', b.id, 'status', b.status, 'starts_at', pg_catalog.lower(b.during),
                'ends_at', pg_catalog.upper(b.during), 'provider_id', b.provider_id,
                'provider_name', pr.business_name, 'service_id', b.service_id, 'service_name', s.name,
                'price_cents', b.price_cents, 'deposit_cents', b.deposit_cents, 'currency', b.currency,
                'cancel_notice_hours', b.cancel_notice_hours, 'cancel_fee_cents', b.cancel_fee_cents,
                'cancelled_at', b.cancelled_at, 'cancelled_by_role', b.cancelled_by_role,
                'cancel_reason', b.cancel_reason, 'created_at', b.created_at
            ) order by pg_catalog.lower(b.during), b.id)
            from app.bookings as b
            inner join app.providers as pr on b.provider_id = pr.id
            inner join app.services as s on b.service_id = s.id
            where b.customer_id = v_user.id
        ), '[]'::jsonb),
        'payments', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', p.id, 'booking_id', p.booking_id, 'status', p.status, 'amount_cents', p.amount_cents,
                'captured_cents', p.captured_cents, 'currency', p.currency,
                'stripe_payment_intent_id', p.stripe_payment_intent_id, 'created_at', p.created_at,
                'refunds', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'id', r.id, 'amount_cents', r.amount_cents, 'status', r.status, 'reason', r.reason,
                        'requested_role', r.requested_role, 'created_at', r.created_at
                    ) order by r.created_at, r.id)
                    from app.refunds as r where r.payment_id = p.id
                ), '[]'::jsonb),
                'fees', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'kind', f.kind, 'amount_cents', f.amount_cents, 'created_at', f.created_at
                    ) order by f.created_at)
                    from app.booking_fees as f where f.payment_id = p.id
                ), '[]'::jsonb)
            ) order by p.created_at, p.id)
            from app.payments as p
            inner join app.bookings as b on p.booking_id = b.id
            where b.customer_id = v_user.id
        ), '[]'::jsonb),
        -- as a provider: the profile, what it sells, when it works, and its bookings (the
        -- customers' own data is theirs: only their name is part of the provider's records)
        'provider', case when v_provider_id is not null then (
            select pg_catalog.jsonb_build_object(
                'id', p.id, 'business_name', p.business_name, 'description', p.description,
                'lat', p.lat, 'lng', p.lng, 'service_radius_km', p.service_radius_km, 'time_zone', p.time_zone,
                'contact_email', p.contact_email, 'contact_phone', p.contact_phone, 'is_active', p.is_active,
                'suspended_at', p.suspended_at, 'suspension_reason', p.suspension_reason,
                'rating_count', p.rating_count, 'rating_avg', p.rating_avg, 'created_at', p.created_at,
                'services', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) - 'search_key' order by s.created_at, s.id)
                    from app.services as s where s.provider_id = p.id
                ), '[]'::jsonb),
                'weekly_hours', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'day_of_week', h.day_of_week, 'start_time', h.start_time, 'end_time', h.end_time
                    ) order by h.day_of_week, h.start_time)
                    from app.weekly_hours as h where h.provider_id = p.id
                ), '[]'::jsonb),
                'time_off', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'starts_at', pg_catalog.lower(t.during), 'ends_at', pg_catalog.upper(t.during),
                        'reason', t.reason
                    ) order by pg_catalog.lower(t.during))
                    from app.time_off as t where t.provider_id = p.id
                ), '[]'::jsonb),
                'bookings', coalesce((
                    select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                        'id', b.id, 'status', b.status, 'starts_at', pg_catalog.lower(b.during),
                        'ends_at', pg_catalog.upper(b.during), 'service_id', b.service_id,
                        'customer_id', b.customer_id, 'customer_name', u.full_name,
                        'price_cents', b.price_cents, 'deposit_cents', b.deposit_cents, 'currency', b.currency,
                        'cancelled_at', b.cancelled_at, 'cancelled_by_role', b.cancelled_by_role,
                        'cancel_reason', b.cancel_reason, 'balance', internal.balance_json(b.id)
                    ) order by pg_catalog.lower(b.during), b.id)
                    from app.bookings as b
                    inner join app.users as u on b.customer_id = u.id
                    where b.provider_id = p.id
                ), '[]'::jsonb)
            )
            from app.providers as p where p.id = v_provider_id
        ) end,
        -- what the person did, from the audit log (the entries' before and after are
        -- about the rows acted on, which may be other people's: left out)
        'activity', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'occurred_at', a.occurred_at, 'action', a.action, 'table_name', a.table_name,
                'row_id', a.row_id, 'reason', a.reason, 'request_id', a.request_id
            ) order by a.id)
            from audit.action_log as a where a.actor_id = v_user.id
        ), '[]'::jsonb)
    );
end
$$;
comment on function internal.export_my_data() is
$$The caller's own data as one JSON document.
Definer: reads the caller's sessions, notifications and audit entries, which no API role reads directly.$$;

create or replace function api.export_my_data()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.export_my_data()
$$;
comment on function api.export_my_data() is
$$Everything Bookiji holds about the caller, as one JSON document (a download for the account page).

Keys: format ("bookiji-export-1"), exported_at, account (profile), notification_preferences, sessions (when signed in, refreshed, revoked), notifications (each message sent, its data without one-time tokens), quotes (where and when you searched), bookings, payments (with their refunds and fees, Stripe PaymentIntent ids), provider (for a provider account: the profile, services, weekly hours, time off, and its bookings with each customer's name and balance; null otherwise), activity (what you did, from the audit log: action, row, reason, request id).
Errors: 401 not_authenticated.$$;

-- ---------------------------------------------------------------------------
-- Deletion

create or replace function internal.account_open_business(p_user_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    -- as a customer or as the provider's owner: bookings still to happen (confirmed,
    -- not ended), awaiting payment, and refunds Stripe has not settled
    select pg_catalog.jsonb_build_object(
        'bookings', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', b.id, 'status', b.status, 'starts_at', pg_catalog.lower(b.during)
            ) order by pg_catalog.lower(b.during), b.id)
            from app.bookings as b
            where
                (
                    b.customer_id = p_user_id
                    or b.provider_id in (select p.id from app.providers as p where p.owner_id = p_user_id)
                )
                and (
                    b.status = 'pending_payment'
                    or (b.status = 'confirmed' and pg_catalog.upper(b.during) > pg_catalog.now())
                )
        ), '[]'::jsonb),
        'refunds', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'id', r.id, 'booking_id', r.booking_id, 'amount_cents', r.amount_cents
            ) order by r.created_at, r.id)
            from app.refunds as r
            inner join app.bookings as b on r.booking_id = b.id
            where
                r.status = 'pending'
                and (
                    b.customer_id = p_user_id
                    or b.provider_id in (select p.id from app.providers as p where p.owner_id = p_user_id)
                )
        ), '[]'::jsonb)
    )
$$;
comment on function internal.account_open_business(uuid) is
$$What keeps an account from being deleted: its upcoming confirmed bookings and its bookings awaiting
payment (as the customer or the provider), and its refunds in progress.$$;

create or replace function internal.delete_my_account(p_password text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_user app.users;
    v_hash text;
    v_open jsonb;
    v_window interval := pg_catalog.make_interval(
        secs => coalesce(internal.setting('login_window_seconds')::integer, 900)
    );
    v_free integer := coalesce(internal.setting('login_free_failures_per_email_and_address')::integer, 5);
    v_failures integer;
    v_first timestamptz;
    v_retry_after integer;
    v_provider_id uuid;
    v_bookings uuid[];
    v_deleted_name constant text := 'Deleted user';
begin
    perform internal.require_role(
        case when auth.role() = 'provider' then 'provider' else 'customer' end,
        'only customer and provider accounts can be deleted here (ops accounts: the command line)',
        'sign in to delete your account'
    );
    perform internal.require_text(p_password, 'password');
    if pg_catalog.length(p_password) > 1000 then
        perform internal.fail('invalid_input', 'password is too long');
    end if;
    select * into v_user from app.users as u where u.id = auth.uid() for update;
    if not found or v_user.deleted_at is not null then
        perform internal.fail('not_authenticated', 'this account no longer exists');
    end if;

    -- the password, throttled with the login's own record of failures for this email:
    -- a stolen access token cannot be turned into a deletion by guessing
    select count(*), min(la.attempted_at) into v_failures, v_first
    from auth.login_attempts as la
    where la.email operator(extensions.=) v_user.email and not la.succeeded
        and la.attempted_at > pg_catalog.now() - v_window;
    if v_failures >= v_free then
        v_retry_after := greatest(1, ceil(extract(epoch from (v_first + v_window - pg_catalog.now())))::integer);
        perform pg_catalog.set_config('response.status', '429', true);
        perform pg_catalog.set_config(
            'response.headers',
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('Retry-After', v_retry_after::text))::text,
            true
        );
        return pg_catalog.jsonb_build_object(
            'code', 'PT429', 'hint', 'rate_limited', 'details', null,
            'message', pg_catalog.format('too many wrong passwords; retry in %s seconds', v_retry_after)
        );
    end if;
    select c.password_hash into v_hash from auth.credentials as c where c.user_id = v_user.id;
    if v_hash is null or extensions.crypt(p_password, v_hash) <> v_hash then
        insert into auth.login_attempts (email, client_addr, succeeded)
        values (v_user.email, auth.client_addr(), false);
        -- returned, not raised: a raise would roll back the failure just counted
        perform pg_catalog.set_config('response.status', '403', true);
        return pg_catalog.jsonb_build_object(
            'code', 'PT403', 'hint', 'wrong_password', 'details', null,
            'message', 'password is not this account''s password'
        );
    end if;

    -- nothing may be left half-done: bookings to happen or to be paid, money moving
    v_open := internal.account_open_business(v_user.id);
    if pg_catalog.jsonb_array_length(v_open -> 'bookings') > 0
        or pg_catalog.jsonb_array_length(v_open -> 'refunds') > 0 then
        perform internal.fail(
            'account_not_deletable',
            pg_catalog.format(
                'the account cannot be deleted yet: %s%s; cancel them or wait until they end, then try again',
                -- the first ten of each named (the message is also the HTTP reason
                -- phrase); details lists them all
                coalesce((
                    select 'bookings ' || pg_catalog.string_agg(
                        pg_catalog.format('%s (%s, starts %s)', e ->> 'id', e ->> 'status', e ->> 'starts_at'),
                        ', ' order by n
                    ) || case when max(t.total) > 10 then pg_catalog.format(' and %s more', max(t.total) - 10) else '' end
                    from pg_catalog.jsonb_array_elements(v_open -> 'bookings') with ordinality as x (e, n)
                    cross join (select pg_catalog.jsonb_array_length(v_open -> 'bookings') as total) as t
                    where x.n <= 10
                ), ''),
                coalesce((
                    select case when pg_catalog.jsonb_array_length(v_open -> 'bookings') > 0 then '; ' else '' end
                        || 'refunds in progress ' || pg_catalog.string_agg(e ->> 'id', ', ' order by n)
                        || case when max(t.total) > 10 then pg_catalog.format(' and %s more', max(t.total) - 10) else '' end
                    from pg_catalog.jsonb_array_elements(v_open -> 'refunds') with ordinality as x (e, n)
                    cross join (select pg_catalog.jsonb_array_length(v_open -> 'refunds') as total) as t
                    where x.n <= 10
                ), '')
            ),
            v_open::text
        );
    end if;

    select pg_catalog.array_agg(b.id) into v_bookings from app.bookings as b where b.customer_id = v_user.id;
    select p.id into v_provider_id from app.providers as p where p.owner_id = v_user.id;

    -- sign-in ends: every session (so every access and refresh token), the password, one-time tokens
    update auth.sessions as s
    set revoked_at = pg_catalog.now(), revoked_reason = 'account deleted'
    where s.user_id = v_user.id and s.revoked_at is null;
    update auth.refresh_tokens as r
    set revoked_at = pg_catalog.now()
    where r.user_id = v_user.id and r.revoked_at is null;
    delete from auth.credentials as c where c.user_id = v_user.id;
    delete from auth.one_time_tokens as t where t.user_id = v_user.id;
    delete from auth.login_attempts as la where la.email operator(extensions.=) v_user.email;

    -- what was only about the person
    delete from app.notification_preferences as np where np.user_id = v_user.id;
    delete from app.notifications as n where n.recipient_id = v_user.id;
    delete from app.quotes as q where q.customer_id = v_user.id;
    delete from app.idempotency_keys as k where k.customer_id = v_user.id;
    -- their name in what the providers of their bookings were sent
    update app.notifications as n
    set data = pg_catalog.jsonb_set(n.data, '{customer_name}', pg_catalog.to_jsonb(v_deleted_name))
    where
        n.recipient_id in (
            select pr.owner_id from app.bookings as b
            inner join app.providers as pr on b.provider_id = pr.id
            where b.customer_id = v_user.id
        )
        and n.data ? 'customer_name'
        and (n.data ->> 'booking_id')::uuid = any(v_bookings);

    -- a provider: out of the catalogue for good, its private and identifying data gone
    if v_provider_id is not null then
        delete from app.weekly_hours as h where h.provider_id = v_provider_id;
        delete from app.time_off as t where t.provider_id = v_provider_id;
        update app.services as s set is_active = false where s.provider_id = v_provider_id;
        update app.providers as p
        set
            business_name = 'Deleted provider',
            description = '',
            contact_email = null,
            contact_phone = null,
            is_active = false,
            -- about a kilometre: where the business was, not where someone lives
            lat = pg_catalog.round(p.lat::numeric, 2)::double precision,
            lng = pg_catalog.round(p.lng::numeric, 2)::double precision
        where p.id = v_provider_id;
    end if;

    -- the account row stays (the financial records point at it), anonymised
    update app.users as u
    set
        email = 'deleted-' || u.id::text || '@deleted.invalid',
        full_name = v_deleted_name,
        phone = null,
        email_confirmed_at = null,
        deleted_at = pg_catalog.now(),
        updated_at = pg_catalog.now()
    where u.id = v_user.id;
    -- the audit log keeps what was done, not who the person was
    update audit.action_log as a
    set
        before = a.before - array['email', 'full_name', 'phone'],
        after = a.after - array['email', 'full_name', 'phone']
    where a.table_name = 'app.users' and a.row_id = v_user.id::text;

    perform internal.audit(
        'account.deleted', 'app.users', v_user.id::text, null,
        pg_catalog.jsonb_build_object('role', v_user.role, 'provider_id', v_provider_id),
        null, v_user.id, v_user.role
    );
    return pg_catalog.jsonb_build_object(
        'deleted', true,
        'kept', pg_catalog.jsonb_build_array(
            'bookings', 'payments', 'refunds', 'fees', 'stripe_events', 'audit_log'
        )
    );
end
$$;
comment on function internal.delete_my_account(text) is
$$Delete the caller's account after checking its password: sign-in ends, personal data is erased or
replaced, financial records are kept (see this file's header and docs/security.md).
Definer: writes auth tables, other people's notification data and the audit log.$$;

create or replace function api.delete_my_account(password text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.delete_my_account(password)
$$;
comment on function api.delete_my_account(text) is
$$Delete your account (customer or provider), confirming with your password. It cannot be undone.

Sign-in ends at once: every session, access token and refresh token is revoked and the password is erased, so login fails. Your email, name and phone are replaced ("Deleted user"); your notification preferences, the notifications sent to you, your quotes and other personal data are erased; a provider's business name, contact, hours and time off are erased and it leaves the catalogue.
Kept, because the law requires financial records: bookings, payments, refunds, fees and the audit log, pointing at the anonymised account (which docs/security.md, "Deleting an account", explains, with how long).
Refused while you have upcoming confirmed bookings, bookings awaiting payment or refunds in progress: the message names them, and details lists them as JSON.
Errors: 400 invalid_input (missing password); 401 not_authenticated; 403 wrong_password; 403 forbidden (an ops account); 409 account_not_deletable; 429 rate_limited with Retry-After after 5 wrong passwords (logins included) in 15 minutes; 405 method_not_allowed for GET/HEAD.$$;
