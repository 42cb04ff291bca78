-- At most %(qty)s messages (the free handler slots), as read.sql; then, for each
-- batched type among them, more of that type: a batch (%(batch)s) in all per slot
-- it may take. The slots left after the other messages go to the one batched type
-- when there is one, else one slot (one group) to each. `first` is materialised
-- before the second reads run.
with first as materialized (
    select msg_id, read_ct, enqueued_at, vt, message
    from pgmq.read(%(queue)s, %(vt)s, %(qty)s)
),
kinds as (
    select
        f.message ->> 'type' as kind,
        count(*)::integer as n,
        count(*) over ()::integer as types
    from first as f
    where f.message ->> 'type' = any(%(batched)s::text[])
    group by f.message ->> 'type'
),
others as (
    select count(*)::integer as n
    from first as f
    where (f.message ->> 'type' = any(%(batched)s::text[])) is not true
)
select msg_id, read_ct, enqueued_at, vt, message from first
union all
select r.msg_id, r.read_ct, r.enqueued_at, r.vt, r.message
from kinds as k
cross join others as o
cross join lateral pgmq.read(
    %(queue)s,
    %(vt)s,
    greatest(
        case when k.types = 1 then %(qty)s::integer - o.n else 1 end * %(batch)s::integer - k.n, 0
    ),
    jsonb_build_object('type', k.kind)
) as r
