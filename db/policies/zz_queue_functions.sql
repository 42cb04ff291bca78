-- Execute grants for the queue functions (db/functions/20_queue.sql).
-- Grants start from revoke; each role gets what it calls by name.
revoke all on function
internal.queue_names(),
internal.checked_queue(text, text),
internal.request_id(),
internal.enqueue(text, jsonb, integer),
internal.purge_archives(interval),
internal.dlq_list(text, text, integer),
internal.dlq_show(text, bigint),
internal.dlq_replay(text, bigint, uuid, text, text),
internal.dlq_discard(text, bigint, text, uuid, text, text),
internal.queue_stats(),
api.queue_stats(),
api.dlq_list(text, text, integer),
api.dlq_show(text, bigint),
api.dlq_replay(text, bigint),
api.dlq_discard(text, bigint, text)
from public, anon, customer, provider, ops, bookiji_worker;

-- The worker enqueues follow-up messages, purges old archives and reads the
-- statistics for its gauges. API roles never enqueue directly: the api
-- functions that change state call internal.enqueue from definer functions.
grant execute on function internal.enqueue(text, jsonb, integer) to bookiji_worker;
grant execute on function internal.purge_archives(interval) to bookiji_worker;
grant execute on function internal.queue_stats() to bookiji_worker, ops;

-- The ops tools: ops only. Every other role gets 401/403 from PostgREST (the
-- gateway gives them the registered code) and sees none of them in its OpenAPI;
-- the wrappers still check internal.require_role('ops', ...) themselves.
grant execute on function internal.request_id() to anon, customer, provider, ops;
grant execute on function
api.queue_stats(),
api.dlq_list(text, text, integer),
api.dlq_show(text, bigint),
api.dlq_replay(text, bigint),
api.dlq_discard(text, bigint, text)
to ops;
grant execute on function
internal.dlq_list(text, text, integer),
internal.dlq_show(text, bigint),
internal.dlq_replay(text, bigint, uuid, text, text),
internal.dlq_discard(text, bigint, text, uuid, text, text)
to ops;
