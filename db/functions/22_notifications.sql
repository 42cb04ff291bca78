-- Notifications: events become messages in SQL, the worker delivers them.
--
--   internal.notification_events   the events, their category and the data keys each needs
--   internal.check_notification_data   the producer's data contract, checked at the source
--   internal.notify                THE way every feature notifies someone: one row per channel
--                                  the recipient's preferences allow, each queued once
--                                  (unique event_key, recipient, channel), in the caller's transaction
--   internal.notification_context  what the worker renders a message from
--   internal.notification_begin    the worker's "about to send" transition (committed before sending)
--   internal.notification_record   the worker's outcome: sent, retry, failed, skipped
--   api.my_notifications, api.notification_preferences, api.set_notification_preference
--
-- Status: queued -> sending -> sent | failed | queued (a retryable failure) ;
-- queued -> skipped. A row found in `sending` by a later attempt was
-- interrupted mid-send (the worker died): it may have been delivered, so it
-- becomes `failed` with delivery_unknown and is never sent again (at most once
-- in that window). A `failed` row without delivery_unknown was never delivered:
-- replaying its dead letter sends it.

-- notification_events: every event, its preference category ('security' mail
-- cannot be turned off and only goes by email) and the data keys it needs.
create or replace function internal.notification_events()
returns table (event text, category text, required_keys text[])
language sql
immutable
parallel safe
set search_path = ''
as $$
    with b (keys) as (
        select array[
            'booking_id', 'service_name', 'provider_name', 'provider_time_zone',
            'starts_at', 'ends_at', 'price_cents', 'currency'
        ]::text []
    )

    select v.event, v.category, v.required_keys
    from b
    cross join lateral (
        values
        ('email_confirmation', 'security', array['token']::text []),
        ('password_reset', 'security', array['token']::text []),
        ('booking_confirmed', 'booking_updates', b.keys || array['ics_sequence']),
        ('booking_new', 'booking_updates', b.keys || array['ics_sequence']),
        ('booking_cancelled', 'booking_updates', b.keys || array['refund_cents', 'cancelled_by', 'ics_sequence']),
        ('booking_refunded', 'booking_updates', b.keys || array['refund_cents']),
        ('payment_failed', 'booking_updates', b.keys),
        ('hold_expired', 'booking_updates', b.keys),
        ('booking_reminder', 'reminders', b.keys),
        ('review_received', 'booking_updates', b.keys || array['stars']),
        ('payment_receipt', 'booking_updates', b.keys || array['receipt']),
        ('balance_due', 'booking_updates', b.keys || array['balance_cents', 'failure_code']),
        ('dispute_opened', 'booking_updates', b.keys || array['dispute']),
        ('dispute_closed', 'booking_updates', b.keys || array['dispute']),
        -- a waitlist opening: not the recipient's booking, so no booking_id
        (
            'waitlist_opening', 'booking_updates',
            array[
                'entry_id', 'service_id', 'service_name', 'provider_name', 'provider_time_zone',
                'starts_at', 'ends_at', 'price_cents', 'currency'
            ]::text []
        )
    ) as v (event, category, required_keys)
$$;
comment on function internal.notification_events() is
'The notification events: each one''s preference category and the keys its data must carry.';

-- check_notification_data: refuse an unknown event, a missing key or a
-- malformed value, naming it (data.<key>), in the producer's transaction.
create or replace function internal.check_notification_data(p_event text, p_data jsonb)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
    v_required text [];
    v_key text;
    v_starts timestamptz;
    v_ends timestamptz;
begin
    select e.required_keys into v_required
    from internal.notification_events() as e
    where e.event = p_event;
    if v_required is null then
        perform internal.fail('invalid_input', pg_catalog.format(
            'event must be one of: %s',
            (select pg_catalog.string_agg(e.event, ', ') from internal.notification_events() as e)
        ));
    end if;
    if p_data is null or pg_catalog.jsonb_typeof(p_data) <> 'object' then
        perform internal.fail('invalid_input', 'data must be a JSON object');
    end if;
    foreach v_key in array v_required loop
        if coalesce(pg_catalog.jsonb_typeof(p_data -> v_key), 'null') = 'null' then
            perform internal.fail(
                'invalid_input', pg_catalog.format('data.%s is required for %s', v_key, p_event)
            );
        end if;
    end loop;

    foreach v_key in array array['token', 'service_name', 'provider_name', 'customer_name'] loop
        if p_data ? v_key and (
            pg_catalog.jsonb_typeof(p_data -> v_key) <> 'string'
            or pg_catalog.char_length(p_data ->> v_key) not between 1 and 200
        ) then
            perform internal.fail(
                'invalid_input', pg_catalog.format('data.%s must be a string of 1 to 200 characters', v_key)
            );
        end if;
    end loop;
    foreach v_key in array array['booking_id', 'entry_id', 'service_id'] loop
        if p_data ? v_key and coalesce(p_data ->> v_key, '')
            !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
            perform internal.fail('invalid_input', pg_catalog.format('data.%s must be a uuid', v_key));
        end if;
    end loop;
    if p_data ? 'provider_time_zone' then
        if coalesce(p_data ->> 'provider_time_zone', '') !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$' then
            perform internal.fail('invalid_input', 'data.provider_time_zone must be an IANA time zone name');
        end if;
        begin
            perform pg_catalog.now() at time zone (p_data ->> 'provider_time_zone');
        exception when invalid_parameter_value then
            perform internal.fail('invalid_input', 'data.provider_time_zone must be an IANA time zone name');
        end;
    end if;
    foreach v_key in array array['starts_at', 'ends_at'] loop
        if p_data ? v_key then
            begin
                -- an explicit offset (Z or +hh:mm): never the session's time zone
                if pg_catalog.jsonb_typeof(p_data -> v_key) <> 'string'
                    or (p_data ->> v_key) !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' then
                    raise invalid_datetime_format;
                end if;
                v_ends := (p_data ->> v_key)::timestamptz;
                if v_key = 'starts_at' then
                    v_starts := v_ends;
                end if;
            exception when invalid_datetime_format or datetime_field_overflow then
                perform internal.fail(
                    'invalid_input', pg_catalog.format('data.%s must be an ISO 8601 timestamp with an offset (UTC: Z)', v_key)
                );
            end;
        end if;
    end loop;
    if p_data ? 'starts_at' and p_data ? 'ends_at' and v_ends <= v_starts then
        perform internal.fail('invalid_input', 'data.ends_at must be after data.starts_at');
    end if;
    foreach v_key in array array['price_cents', 'refund_cents', 'ics_sequence'] loop
        if p_data ? v_key and (
            pg_catalog.jsonb_typeof(p_data -> v_key) <> 'number'
            or (p_data ->> v_key)::numeric < 0
            or (p_data ->> v_key)::numeric <> pg_catalog.trunc((p_data ->> v_key)::numeric)
            or (p_data ->> v_key)::numeric > 2147483647
        ) then
            perform internal.fail(
                'invalid_input', pg_catalog.format('data.%s must be a whole number, zero or more', v_key)
            );
        end if;
    end loop;
    if p_data ? 'stars' and (
        pg_catalog.jsonb_typeof(p_data -> 'stars') <> 'number'
        or (p_data ->> 'stars') not in ('1', '2', '3', '4', '5')
    ) then
        perform internal.fail('invalid_input', 'data.stars must be a whole number from 1 to 5');
    end if;
    foreach v_key in array array['receipt', 'dispute'] loop
        if p_data ? v_key and pg_catalog.jsonb_typeof(p_data -> v_key) <> 'object' then
            perform internal.fail('invalid_input', pg_catalog.format('data.%s must be a JSON object', v_key));
        end if;
    end loop;
    if p_data ? 'currency' and coalesce(p_data ->> 'currency', '') !~ '^[A-Za-z]{3}$' then
        perform internal.fail('invalid_input', 'data.currency must be a three-letter ISO 4217 code');
    end if;
    if p_data ? 'cancelled_by'
        and coalesce(p_data ->> 'cancelled_by', '') not in ('customer', 'provider', 'ops', 'system') then
        perform internal.fail(
            'invalid_input', 'data.cancelled_by must be ''customer'', ''provider'', ''ops'' or ''system'''
        );
    end if;
end
$$;
comment on function internal.check_notification_data(text, jsonb) is
'Refuse an unknown notification event or data that breaks its contract (400 invalid_input naming data.<key>).';

-- notification_channels: the channels a person's preferences allow now for a
-- category (security: email only); null when there is no such person.
create or replace function internal.notification_channels(p_recipient uuid, p_category text)
returns text[]
language sql
stable
set search_path = ''
as $$
    select
        case
            when p_category = 'security' then array['email']::text []
            else pg_catalog.array_remove(
                array[
                    case when coalesce(p.email, true) then 'email' end,
                    case when coalesce(p.sms, false) and u.phone is not null then 'sms' end
                ]::text [],
                null
            )
        end
    from app.users as u
    left join app.notification_preferences as p
        on p.user_id = u.id and p.category = p_category
    where u.id = p_recipient
$$;
comment on function internal.notification_channels(uuid, text) is
'The channels a person''s preferences allow for a category now (email on and SMS off unless chosen; SMS needs a phone).';

-- notify: queue a notification of an event to one person, once per channel.
create or replace function internal.notify(
    event text,
    recipient uuid,
    event_key text,
    data jsonb,
    delay_seconds integer default 0
)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_category text;
    v_channels text [];
    v_channel text;
    v_id uuid;
    v_queued integer := 0;
begin
    perform internal.check_notification_data(notify.event, notify.data);
    perform internal.require(notify.recipient, 'recipient');
    if notify.event_key is null or pg_catalog.btrim(notify.event_key) = ''
        or pg_catalog.char_length(notify.event_key) > 200 then
        perform internal.fail('invalid_input', 'event_key is required (at most 200 characters)');
    end if;
    if notify.delay_seconds is null or notify.delay_seconds < 0 then
        perform internal.fail('invalid_input', 'delay_seconds must be zero or more');
    end if;
    select e.category into v_category from internal.notification_events() as e where e.event = notify.event;
    v_channels := internal.notification_channels(notify.recipient, v_category);
    if v_channels is null then
        perform internal.fail('invalid_input', 'recipient must be an existing user');
    end if;
    foreach v_channel in array v_channels loop
        v_id := null;
        insert into app.notifications (event, event_key, recipient_id, channel, data)
        values (notify.event, notify.event_key, notify.recipient, v_channel, notify.data)
        on conflict on constraint notifications_event_key_recipient_id_channel_key do nothing
        returning id into v_id;
        if v_id is not null then
            perform internal.enqueue(
                'notifications',
                pg_catalog.jsonb_build_object('type', 'notify', 'notification_id', v_id),
                notify.delay_seconds
            );
            v_queued := v_queued + 1;
        end if;
    end loop;
    return v_queued;
end
$$;
comment on function internal.notify(text, uuid, text, jsonb, integer) is
$$Notify a person of an event, in the caller's transaction: for each channel their preferences allow
(security mail: email only, always; SMS only with a phone), insert a notification row unless one
exists for (event_key, recipient, channel), and queue {"type":"notify","notification_id":...} for
each row inserted, visible after delay_seconds. Returns how many were queued (0: a repeat, or every
channel turned off). Refuses an unknown event or data that breaks its contract (400 naming data.<key>).
Definer: producers (sign-up, booking transitions) hold no rights on app.notifications or the queues.$$;

-- notification_context: the recipient, the data and (for booking events) the
-- booking's details, for the worker to render. Booking details come from the
-- producer's data until the booking tables exist; then this is where a join
-- to app.bookings goes.
create or replace function internal.notification_context(p_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'id', n.id,
        'event', n.event,
        'event_key', n.event_key,
        'category', e.category,
        'channel', n.channel,
        'status', n.status,
        'attempts', n.attempts,
        'delivery_unknown', n.delivery_unknown,
        'created_at', n.created_at,
        'data', n.data,
        'recipient', pg_catalog.jsonb_build_object(
            'id', u.id, 'email', u.email, 'full_name', u.full_name, 'locale', u.locale,
            'phone', u.phone, 'role', u.role
        ),
        -- the producer's booking data, its times normalised to UTC ('Z')
        'booking', case when n.data ? 'booking_id' then n.data || pg_catalog.jsonb_build_object(
            'starts_at', pg_catalog.to_char(
                (n.data ->> 'starts_at')::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
            ),
            'ends_at', pg_catalog.to_char(
                (n.data ->> 'ends_at')::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
            )
        ) end
    )
    from app.notifications as n
    inner join app.users as u on n.recipient_id = u.id
    inner join internal.notification_events() as e on n.event = e.event
    where n.id = p_id
$$;
comment on function internal.notification_context(uuid) is
$$What the worker renders a notification from: the row, the recipient (email, full_name, locale, phone,
role) and, for booking events, the booking's details (times in UTC). Null when the row is gone (its recipient was deleted).
Definer: the worker has no rights on app.users or app.notifications.$$;

-- notification_begin: the transition before a send, committed on its own.
create or replace function internal.notification_begin(p_id uuid)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_row app.notifications;
    v_channels text [];
begin
    select * into v_row from app.notifications as n where n.id = p_id for update;
    if not found then
        return 'missing';
    end if;
    if v_row.status in ('sent', 'skipped') or (v_row.status = 'failed' and v_row.delivery_unknown) then
        return 'done';
    end if;
    if v_row.status = 'sending' then
        update app.notifications as n
        set
            status = 'failed',
            delivery_unknown = true,
            last_error = 'delivery state unknown after an interrupted send',
            data = n.data - 'token'
        where n.id = p_id;
        return 'interrupted';
    end if;
    -- queued, or failed before anything was delivered (its dead letter replayed):
    -- the preferences may have changed since it was queued
    v_channels := internal.notification_channels(
        v_row.recipient_id,
        (select e.category from internal.notification_events() as e where e.event = v_row.event)
    );
    if not (v_row.channel = any(coalesce(v_channels, array[]::text []))) then
        update app.notifications as n
        set
            status = 'skipped',
            last_error = case
                when v_row.channel = 'sms' and not exists (
                    select from app.users as u where u.id = v_row.recipient_id and u.phone is not null
                ) then 'the recipient has no phone number'
                else 'turned off in the recipient''s preferences'
            end,
            data = n.data - 'token'
        where n.id = p_id;
        return 'skipped';
    end if;
    update app.notifications as n
    set status = 'sending', attempts = n.attempts + 1
    where n.id = p_id;
    return 'send';
end
$$;
comment on function internal.notification_begin(uuid) is
$$Before a send: 'send' (now `sending`, attempts + 1), 'done' (sent, skipped, or failed with delivery unknown),
'skipped' (the preferences no longer allow it), 'interrupted' (found `sending`: a previous attempt died
mid-send, so it is now failed with delivery unknown and never sent again) or 'missing'.
The caller commits this before sending. Definer: the worker has no rights on app.notifications.$$;

-- notification_record: the outcome of an attempt.
create or replace function internal.notification_record(p_id uuid, p_outcome text, p_detail text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_row app.notifications;
    v_detail text := pg_catalog.left(p_detail, 2000);
begin
    select * into v_row from app.notifications as n where n.id = p_id for update;
    if not found then
        perform internal.fail('not_found', pg_catalog.format('no notification %s', p_id));
    end if;
    if (p_outcome in ('sent', 'retry', 'failed') and v_row.status <> 'sending')
        or (p_outcome = 'skipped' and not (
            v_row.status = 'queued' or (v_row.status = 'failed' and not v_row.delivery_unknown)
        )) then
        perform internal.fail('conflict', pg_catalog.format(
            'notification %s is %s: cannot record %s', p_id, v_row.status, coalesce(p_outcome, 'null')
        ));
    end if;
    case p_outcome
        when 'sent' then
            update app.notifications as n
            set status = 'sent', provider_message_id = v_detail, sent_at = pg_catalog.now(), data = n.data - 'token'
            where n.id = p_id;
        when 'retry' then
            update app.notifications as n set status = 'queued', last_error = v_detail where n.id = p_id;
        when 'failed' then
            update app.notifications as n set status = 'failed', last_error = v_detail where n.id = p_id;
        when 'skipped' then
            update app.notifications as n
            set status = 'skipped', last_error = v_detail, data = n.data - 'token'
            where n.id = p_id;
        else
            perform internal.fail('invalid_input', 'outcome must be sent, retry, failed or skipped');
    end case;
end
$$;
comment on function internal.notification_record(uuid, text, text) is
$$Record an attempt's outcome: 'sent' (detail: the provider's message id), 'retry' (back to queued;
detail: the error), 'failed' (detail: the error) - each from `sending` only - or 'skipped' (detail: the
reason) from queued. A one-time token in the data is dropped once it can no longer be sent.
Definer: the worker has no rights on app.notifications.$$;

-- The api: a person's own log and preferences (invoker; RLS keeps them to their own rows).

-- language sql: plpgsql warns about a parameter named after a reserved word
-- (limit); the statements run in order, the checks first.
create or replace function api.my_notifications("limit" integer default 50)
returns table (
    id uuid,
    event text,
    channel text,
    status text,
    created_at timestamptz,
    sent_at timestamptz
)
language sql
stable
set search_path = ''
as $$
    select internal.fail('not_authenticated', 'sign in first')
    where auth.uid() is null;
    select internal.fail('invalid_input', 'limit must be between 1 and 500')
    where my_notifications."limit" is null or my_notifications."limit" not between 1 and 500;
    select n.id, n.event, n.channel, n.status, n.created_at, n.sent_at
    from app.notifications as n
    where n.recipient_id = (select auth.uid())
    order by n.created_at desc, n.id
    limit my_notifications."limit";
$$;
comment on function api.my_notifications(integer) is
$$The caller's own notifications, newest first: event, channel (email or sms), status and times.

Status: queued, sending, sent, failed or skipped.
Inputs: limit (1-500, default 50). Over HTTP, GET /rpc/my_notifications?limit=n: in a query string
limit is PostgREST's own row limit, with the same effect.
Errors: 400 invalid_input naming limit; 401 not_authenticated.$$;

create or replace function api.notification_preferences()
returns table (category text, email boolean, sms boolean, editable boolean)
language sql
stable
set search_path = ''
as $$
    select
        c.category,
        coalesce(p.email, true),
        coalesce(p.sms, false),
        c.category <> 'security'
    from (
        values ('security', 1), ('booking_updates', 2), ('reminders', 3)
    ) as c (category, pos)
    left join app.notification_preferences as p
        on p.category = c.category and p.user_id = (select auth.uid())
    order by c.pos
$$;
comment on function api.notification_preferences() is
$$The caller's notification preferences: for each category, whether email and SMS are used.

Categories: security (email confirmation, password reset: always email, not editable),
booking_updates (confirmations, cancellations, refunds, payment failures, expired holds),
reminders (before a booking). Defaults: email on, SMS off. SMS is only sent with a phone number
in the profile (api.update_me).$$;

create or replace function api.set_notification_preference(
    category text default null,
    email boolean default null,
    sms boolean default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_row app.notification_preferences;
begin
    if auth.uid() is null then
        perform internal.fail('not_authenticated', 'sign in first');
    end if;
    if set_notification_preference.category = 'security' then
        perform internal.fail(
            'invalid_input',
            'category ''security'' cannot be changed: email confirmation and password reset always go by email'
        );
    end if;
    if set_notification_preference.category is null
        or set_notification_preference.category not in ('reminders', 'booking_updates') then
        perform internal.fail('invalid_input', 'category must be ''reminders'' or ''booking_updates''');
    end if;
    insert into app.notification_preferences as p (user_id, category, email, sms)
    values (
        auth.uid(),
        set_notification_preference.category,
        coalesce(set_notification_preference.email, true),
        coalesce(set_notification_preference.sms, false)
    )
    on conflict on constraint notification_preferences_pkey do update
        set
            email = coalesce(set_notification_preference.email, p.email),
            sms = coalesce(set_notification_preference.sms, p.sms),
            updated_at = pg_catalog.now()
    returning * into v_row;
    return pg_catalog.jsonb_build_object('category', v_row.category, 'email', v_row.email, 'sms', v_row.sms);
end
$$;
comment on function api.set_notification_preference(text, boolean, boolean) is
$$Choose whether a category of notifications reaches the caller by email and by SMS.

Inputs: category ('booking_updates' or 'reminders'), email, sms (each optional: omitted keeps the current choice).
SMS goes out only while the profile has a phone number. Security mail cannot be turned off.
Returns the category's preferences. Idempotent.
Errors: 400 invalid_input naming category; 401 not_authenticated.$$;
