select internal.enqueue(%(queue)s, %(message)s::jsonb, %(delay)s) as msg_id
