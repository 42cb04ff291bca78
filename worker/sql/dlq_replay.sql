select dlq_msg_id, new_msg_id
from internal.dlq_replay(%(queue)s, %(msg_id)s, null, %(actor)s, null)
