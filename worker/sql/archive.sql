select pgmq.archive(%(queue)s, %(ids)s::bigint[])
