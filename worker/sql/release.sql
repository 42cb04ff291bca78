-- messages read but not started (shutdown): visible again at once
select msg_id from pgmq.set_vt(%(queue)s, %(ids)s::bigint[], clock_timestamp())
