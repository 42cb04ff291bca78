-- the heartbeat: keep messages in hand invisible for another vt seconds
select msg_id from pgmq.set_vt(%(queue)s, %(ids)s::bigint[], %(vt)s::integer)
