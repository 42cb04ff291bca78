-- messages of one type only (a batched one: registry.register(..., batch=True))
select msg_id, read_ct, enqueued_at, vt, message
from pgmq.read(%(queue)s, %(vt)s, %(qty)s, %(condition)s::jsonb)
