-- The promises the database keeps, checked after the fact: what simulate, the
-- nemesis run and ops can ask at any time. Each row names a rule and how many
-- rows break it (0 everywhere is the only good answer).

create or replace function internal.check_invariants()
returns table (rule text, violations bigint, example text)
language sql
stable
security definer
set search_path = ''
as $$
    select 'no two live bookings of a provider overlap', count(*), min(a.id::text)
    from app.bookings as a
    inner join app.bookings as b
        on a.provider_id = b.provider_id and a.id < b.id and a.blocked && b.blocked
    where a.status in ('pending_payment', 'confirmed') and b.status in ('pending_payment', 'confirmed')
    union all
    select 'refunds never exceed what was captured', count(*), min(x.booking_id::text)
    from (
        select p.booking_id
        from app.payments as p
        inner join app.refunds as r on r.payment_id = p.id and r.status <> 'failed'
        left join app.balance_payments as bp on p.booking_id = bp.booking_id and bp.method = 'card' and bp.status = 'succeeded'
        group by p.id, p.booking_id, p.captured_cents, bp.amount_cents
        having
            coalesce(sum(r.amount_cents) filter (where not r.balance_charge), 0) > p.captured_cents
            or coalesce(sum(r.amount_cents) filter (where r.balance_charge), 0) > coalesce(bp.amount_cents, 0)
    ) as x
    union all
    select 'fees never exceed the charge', count(*), min(x.booking_id::text)
    from (
        select f.booking_id
        from app.booking_fees as f
        inner join app.payments as p on f.payment_id = p.id
        group by f.booking_id, p.captured_cents
        having sum(f.amount_cents) > p.captured_cents
    ) as x
    union all
    select 'no booking is confirmed without a payment', count(*), min(b.id::text)
    from app.bookings as b
    inner join app.payments as p on p.booking_id = b.id
    where b.status in ('confirmed', 'completed', 'no_show') and p.status <> 'succeeded'
    union all
    select 'every status a booking reached is audited', count(*), min(b.id::text)
    from app.bookings as b
    where not exists (
        select from audit.action_log as l
        where l.table_name = 'app.bookings' and l.row_id = b.id::text
            and (
                l.action = 'booking.' || b.status
                -- created in that status (a free service is confirmed at once)
                or (l.action = 'booking.created' and l.after ->> 'status' = b.status)
            )
    )
$$;
comment on function internal.check_invariants() is
'The database''s promises checked after the fact: overlaps, over-refunds, fees, unpaid confirmations, unaudited changes.';
