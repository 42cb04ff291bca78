select msg_id, read_ct, enqueued_at, vt, message
from pgmq.read(%(queue)s, %(vt)s, %(qty)s)
