select msg_id from pgmq.set_vt(%(queue)s, %(id)s, %(seconds)s)
