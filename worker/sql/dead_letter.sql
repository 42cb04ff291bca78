select pgmq.send(%(dlq)s, %(message)s::jsonb)
