select internal.dlq_discard(%(queue)s, %(msg_id)s, %(reason)s, null, %(actor)s, null) as entry
