-- Reliability: how often a provider's bookings end with the provider
-- cancelling, or as no_show, as plain facts for customers (api.providers).
--
-- Of a provider's ended bookings (n: completed, no_show or cancelled, whoever
-- cancelled), k_c the provider cancelled (cancelled_by_role = 'provider') and
-- k_n ended as no_show (marked by the provider: the customer did not come).
-- Both rates are shrunk like ratings, towards a prior of 20 bookings at 2%:
-- rate = (k + 20 * 0.02) / (n + 20), so a new provider shows 2%, and one
-- cancellation in its first three bookings shows 6%, not 33%.
--
-- Kept incrementally by a trigger on app.bookings (a booking counts once it
-- reaches an end, and stops counting if it is deleted): app.providers'
-- ended_bookings, provider_cancellations, no_shows and the two rates. The
-- rates depend on the counts only, so nothing needs a periodic refresh. It also
-- keeps other_cancellations (ended bookings the customer, ops or the system
-- cancelled): the quality model's rates are over the bookings the provider was
-- put to the test on, ended minus those (37_quality.sql).
-- The quote's score uses Q = 1 - both rates (internal.quality_term, 36_ranking.sql).

create or replace function internal.shrunk_rate(p_events integer, p_bookings integer)
returns numeric
language sql
immutable
set search_path = ''
as $$
    select pg_catalog.round((p_events + 20 * 0.02) / (p_bookings + 20), 4)
$$;
comment on function internal.shrunk_rate(integer, integer) is
'A reliability rate shrunk towards a prior of 20 bookings at 2%: (events + 0.4) / (bookings + 20), 4 decimals.';

create or replace function internal.bookings_reliability()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    -- what the old row counted for (provider, ended, provider-cancelled, no_show), and the new one
    v_old_provider uuid;
    v_old_ended integer := 0;
    v_old_cancelled integer := 0;
    v_old_no_show integer := 0;
    v_old_other integer := 0;
    v_new_provider uuid;
    v_new_ended integer := 0;
    v_new_cancelled integer := 0;
    v_new_no_show integer := 0;
    v_new_other integer := 0;
begin
    if tg_op in ('UPDATE', 'DELETE') and old.status in ('completed', 'no_show', 'cancelled') then
        v_old_provider := old.provider_id;
        v_old_ended := 1;
        v_old_cancelled := (old.status = 'cancelled' and old.cancelled_by_role is not distinct from 'provider')::integer;
        v_old_no_show := (old.status = 'no_show')::integer;
        v_old_other := (old.status = 'cancelled' and old.cancelled_by_role is distinct from 'provider')::integer;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.status in ('completed', 'no_show', 'cancelled') then
        v_new_provider := new.provider_id;
        v_new_ended := 1;
        v_new_cancelled := (new.status = 'cancelled' and new.cancelled_by_role is not distinct from 'provider')::integer;
        v_new_no_show := (new.status = 'no_show')::integer;
        v_new_other := (new.status = 'cancelled' and new.cancelled_by_role is distinct from 'provider')::integer;
    end if;
    if (v_old_provider, v_old_cancelled, v_old_no_show, v_old_other)
        is not distinct from (v_new_provider, v_new_cancelled, v_new_no_show, v_new_other) then
        return null;
    end if;
    if v_old_ended = 1 then
        update app.providers as p
        set
            ended_bookings = p.ended_bookings - 1,
            provider_cancellations = p.provider_cancellations - v_old_cancelled,
            no_shows = p.no_shows - v_old_no_show,
            other_cancellations = p.other_cancellations - v_old_other,
            provider_cancellation_rate = internal.shrunk_rate(
                p.provider_cancellations - v_old_cancelled, p.ended_bookings - 1
            ),
            no_show_rate = internal.shrunk_rate(p.no_shows - v_old_no_show, p.ended_bookings - 1)
        where p.id = v_old_provider;
    end if;
    if v_new_ended = 1 then
        update app.providers as p
        set
            ended_bookings = p.ended_bookings + 1,
            provider_cancellations = p.provider_cancellations + v_new_cancelled,
            no_shows = p.no_shows + v_new_no_show,
            other_cancellations = p.other_cancellations + v_new_other,
            provider_cancellation_rate = internal.shrunk_rate(
                p.provider_cancellations + v_new_cancelled, p.ended_bookings + 1
            ),
            no_show_rate = internal.shrunk_rate(p.no_shows + v_new_no_show, p.ended_bookings + 1)
        where p.id = v_new_provider;
    end if;
    return null;
end
$$;
comment on function internal.bookings_reliability() is
$$Trigger: keep the provider's reliability counts and rates as its bookings reach an end (or are deleted).
Definer: whoever changes the booking (a customer cancelling) has no rights on the provider's row.$$;

-- cancelled_by_role changes only with the status (internal.transition_booking),
-- and is left out of the column list so that its migration can still roll back
create or replace trigger _500_reliability
after insert or update of status, provider_id or delete on app.bookings
for each row execute function internal.bookings_reliability();
