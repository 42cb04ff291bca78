-- Completion: the provider marks a started booking completed or no_show; the
-- sweep (internal.sweep, run by the worker) expires unpaid holds and completes
-- confirmed bookings past their end.

create or replace function internal.mark_booking(p_booking_id uuid, p_outcome text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_party text;
    v_booking app.bookings;
begin
    perform internal.require(p_booking_id, 'booking_id');
    if p_outcome is null or p_outcome not in ('completed', 'no_show') then
        perform internal.fail('invalid_input', 'outcome must be completed or no_show');
    end if;
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party <> 'provider' then
        perform internal.fail('forbidden', 'only the provider marks a booking completed or no_show');
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    if v_booking.status <> 'confirmed' then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking cannot become %s', v_booking.status, p_outcome)
        );
    end if;
    if pg_catalog.now() < pg_catalog.lower(v_booking.during) then
        perform internal.fail('invalid_transition', 'a booking can be marked only once it has started');
    end if;
    perform internal.transition_booking(p_booking_id, p_outcome, 'provider');
    if p_outcome = 'completed' then
        -- the balance, charged to the saved card if the customer consented (63_balance_card.sql)
        perform internal.start_balance_charge(p_booking_id);
    end if;
    return internal.booking_json(p_booking_id);
end
$$;
comment on function internal.mark_booking(uuid, text) is
'Mark a started, confirmed booking completed or no_show (its provider''s owner). Definer: writes bookings.';

create or replace function api.mark_booking(booking_id uuid default null, outcome text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.mark_booking(booking_id, outcome)
$$;
comment on function api.mark_booking(uuid, text) is
$$Mark a confirmed booking completed or no_show once it has started (the provider's owner).

Bookings nobody marks complete automatically complete_after_minutes (default 120) after their end.
Errors: 400 invalid_input (outcome not completed or no_show); 403 forbidden (not the provider); 404 not_found; 409 invalid_transition (not confirmed, or not started yet).$$;

create or replace function internal.complete_due_bookings(p_limit integer)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_id uuid;
    v_count integer := 0;
begin
    -- skip locked: a booking another transaction is changing is left for the next sweep
    for v_id in
        select b.id from app.bookings as b
        where
            b.status = 'confirmed'
            and pg_catalog.upper(b.during) <= pg_catalog.now() - pg_catalog.make_interval(
                mins => coalesce(internal.setting('complete_after_minutes')::integer, 120)
            )
        order by pg_catalog.upper(b.during)
        limit p_limit
        for no key update skip locked
    loop
        perform internal.transition_booking(v_id, 'completed', 'system');
        perform internal.start_balance_charge(v_id);
        v_count := v_count + 1;
    end loop;
    return v_count;
end
$$;
comment on function internal.complete_due_bookings(integer) is
'Complete confirmed bookings that ended more than complete_after_minutes ago (for internal.sweep).';

create or replace function internal.sweep(p_limit integer default 500)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_id uuid;
    v_expired integer := 0;
    v_completed integer;
    v_purged integer;
    v_waitlist jsonb;
    v_owed integer;
begin
    perform pg_catalog.set_config('bookiji.actor', 'sweep', true);
    -- skip locked: safe to run concurrently and often; a hold another
    -- transaction is handling is left to it
    for v_id in
        select b.id from app.bookings as b
        where b.status = 'pending_payment' and b.hold_expires_at <= pg_catalog.now()
        order by b.hold_expires_at
        limit p_limit
        for update skip locked
    loop
        if internal.expire_hold(v_id) then
            v_expired := v_expired + 1;
        end if;
    end loop;
    -- confirmed bookings past their end (above)
    v_completed := internal.complete_due_bookings(p_limit);
    -- throttle bookkeeping older than any window that reads it
    delete from auth.rate_events as e where e.at < pg_catalog.now() - interval '2 minutes';
    -- a limit row locked by a request in flight is left to the next sweep: waiting
    -- for it while holding the bookings expired above could deadlock with that request
    delete from auth.rate_limits as r
    where r.bucket in (
        select l.bucket from auth.rate_limits as l
        where l.tat < pg_catalog.now()
        for update skip locked
    );
    delete from auth.login_attempts as a where a.attempted_at < pg_catalog.now() - interval '1 day';
    -- the event log keeps event_retention_hours (db/functions/44_events.sql)
    v_purged := internal.purge_events();
    -- waitlist entries whose window ended unmatched (db/functions/41_waitlist.sql)
    v_waitlist := internal.sweep_waitlist(p_limit);
    -- what the platform owes providers whose account can now take it (65_owed_payouts.sql)
    v_owed := internal.request_owed_transfers(null, p_limit);
    return pg_catalog.jsonb_build_object(
        'expired', v_expired, 'completed', v_completed, 'events_purged', v_purged,
        'waitlist_expired', v_waitlist -> 'expired', 'waitlist_purged', v_waitlist -> 'purged',
        'owed_transfers', v_owed
    );
end
$$;
comment on function internal.sweep(integer) is
$$Periodic housekeeping run by the worker: expire unpaid holds, complete ended bookings, purge old events,
expire and purge waitlist entries, ask for owed transfers. Safe to run concurrently.$$;
