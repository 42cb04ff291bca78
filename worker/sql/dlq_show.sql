select internal.dlq_show(%(queue)s, %(msg_id)s) as entry
