select msg_id, dead_lettered_at, original_msg_id, type, error_class, error, attempts
from internal.dlq_list(%(queue)s, %(error_class)s, %(limit)s)
