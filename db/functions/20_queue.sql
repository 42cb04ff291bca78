-- The outbox and the queue tools.
--
--   internal.enqueue        THE way every feature enqueues: pgmq.send in the
--                           caller's transaction (no NOTIFY: the worker polls)
--   internal.purge_archives the worker's scheduled purge of old archive rows
--   internal.dlq_*          dead-letter tools for ops (through api.dlq_*) and
--                           for the command line (`bookiji dlq`, actor 'cli')
--   internal.queue_stats    pgmq metrics of our queues (api.queue_stats, the
--                           worker's Prometheus gauges)
--
-- The api wrappers refuse every role but ops themselves (internal.require_role,
-- 12_guards.sql), so that anon, customer and provider all get the same
-- registered refusal (a missing execute grant would answer 401 or 403 without a
-- machine code).
--
-- Queue names come from callers: every function validates them against
-- internal.queue_names() first, and dynamic SQL only ever names a validated
-- queue's table through pgmq.format_table_name and format('%I').

-- internal.require_ops() became internal.require_role('ops', ...) (12_guards.sql).
drop function if exists internal.require_ops();

-- queue_names: the work queues. Each has a dead-letter twin <name>_dlq
-- (migration 20261124000002).
create or replace function internal.queue_names()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['payments', 'notifications']::text []
$$;
comment on function internal.queue_names() is
'The work queues the worker consumes; each has a dead-letter twin named <queue>_dlq.';

-- checked_queue: the queue name if it is one of ours, else invalid_input
-- naming the field. Every function below calls it before any dynamic SQL.
create or replace function internal.checked_queue(p_queue text, p_field text default 'queue')
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    if p_queue is null or not (p_queue = any(internal.queue_names())) then
        perform internal.fail(
            'invalid_input',
            pg_catalog.format(
                '%s must be one of: %s',
                p_field,
                pg_catalog.array_to_string(internal.queue_names(), ', ')
            )
        );
    end if;
    return p_queue;
end
$$;
comment on function internal.checked_queue(text, text) is
'Return the queue name when it is a known work queue; refuse anything else (invalid_input naming the field).';

-- enqueue: send a message, in the caller's transaction. It sends no NOTIFY: a
-- transaction that has notified takes a database-wide lock at commit, held through
-- its WAL flush, so notifying transactions commit one at a time (docs/performance.md,
-- "Confirm profiled end to end"). The worker finds the message by polling instead
-- (worker/sql/visible.sql: one index probe per queue, every --poll-ms when idle).
create or replace function internal.enqueue(
    queue text,
    message jsonb,
    delay_seconds integer default 0
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_msg_id bigint;
begin
    perform internal.checked_queue(queue);
    if message is null
        or jsonb_typeof(message) is distinct from 'object'
        or jsonb_typeof(message -> 'type') is distinct from 'string'
        or message ->> 'type' = '' then
        perform internal.fail(
            'invalid_input', 'message must be a JSON object with a non-empty string "type"'
        );
    end if;
    if delay_seconds is null or delay_seconds < 0 then
        perform internal.fail('invalid_input', 'delay_seconds must be zero or more');
    end if;
    -- pgmq.send(queue, message, delay_seconds) is a SQL wrapper of this overload, planned
    -- again on every call (~0.3 ms a confirm under load): the PL/pgSQL overload directly
    v_msg_id := pgmq.send(
        queue, message, null::jsonb, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay_seconds)
    );
    return v_msg_id;
end
$$;
comment on function internal.enqueue(text, jsonb, integer) is
$$Send a message (a JSON object with a "type") to a work queue, in the caller's transaction:
the message exists if and only if the state change commits. No NOTIFY (it would serialise
the callers' commits): the worker polls its queues.
Definer: the callers (api functions, the worker) hold no pgmq privileges of their own.$$;

-- purge_archives: delete archive rows older than the given age from every
-- queue's archive (work queues and dead-letter queues). Returns the count.
create or replace function internal.purge_archives(older_than interval)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_queue text;
    v_name text;
    v_count bigint;
    v_total bigint := 0;
begin
    if older_than is null or older_than <= interval '0' then
        perform internal.fail('invalid_input', 'older_than must be a positive interval');
    end if;
    foreach v_queue in array internal.queue_names() loop
        foreach v_name in array array[v_queue, v_queue || '_dlq'] loop
            execute pg_catalog.format(
                'delete from pgmq.%I where archived_at < pg_catalog.now() - $1',
                pgmq.format_table_name(v_name, 'a')
            ) using older_than;
            get diagnostics v_count = row_count;
            v_total := v_total + v_count;
        end loop;
    end loop;
    return v_total;
end
$$;
comment on function internal.purge_archives(interval) is
$$Delete pgmq archive rows (work and dead-letter queues) archived longer ago than older_than; returns how many.
Definer: an administrative delete on pgmq's archive tables, granted to the worker as this one bounded operation.$$;

-- dlq_list: the dead letters of a queue, oldest first, optionally one error class.
create or replace function internal.dlq_list(
    p_queue text,
    p_error_class text default null,
    p_limit integer default 50
)
returns table (
    msg_id bigint,
    dead_lettered_at timestamptz,
    original_msg_id bigint,
    type text,
    error_class text,
    error text,
    attempts integer
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_table text := pgmq.format_table_name(internal.checked_queue(p_queue) || '_dlq', 'q');
begin
    if p_limit is null or p_limit < 1 or p_limit > 1000 then
        perform internal.fail('invalid_input', 'limit must be between 1 and 1000');
    end if;
    return query execute pg_catalog.format(
        $q$
        select
            d.msg_id,
            d.enqueued_at,
            (d.message ->> 'msg_id')::bigint,
            d.message -> 'original' ->> 'type',
            d.message ->> 'error_class',
            d.message ->> 'error',
            (d.message ->> 'attempts')::integer
        from pgmq.%I as d
        where $1 is null or d.message ->> 'error_class' = $1
        order by d.msg_id
        limit $2
        $q$,
        v_table
    ) using p_error_class, p_limit;
end
$$;
comment on function internal.dlq_list(text, text, integer) is
'List the dead letters of a work queue (oldest first). Definer: ops and the CLI hold no pgmq privileges.';

-- dlq_show: one dead letter in full (original message, error, traceback).
create or replace function internal.dlq_show(p_queue text, p_msg_id bigint)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_dlq text := internal.checked_queue(p_queue) || '_dlq';
    v_result jsonb;
begin
    perform internal.require(p_msg_id, 'msg_id');
    execute pg_catalog.format(
        $q$
        select jsonb_build_object(
            'queue', $2,
            'dlq', $3,
            'msg_id', d.msg_id,
            'dead_lettered_at', d.enqueued_at,
            'message', d.message
        )
        from pgmq.%I as d
        where d.msg_id = $1
        $q$,
        pgmq.format_table_name(v_dlq, 'q')
    ) into v_result using p_msg_id, p_queue, v_dlq;
    if v_result is null then
        perform internal.fail(
            'not_found', pg_catalog.format('no message %s in %s', p_msg_id, v_dlq)
        );
    end if;
    return v_result;
end
$$;
comment on function internal.dlq_show(text, bigint) is
'One dead letter in full. Definer: ops and the CLI hold no pgmq privileges.';

-- dlq_replay: send dead letters back to their queue as their original
-- message (a new message, attempts start again), remove them from the DLQ,
-- and audit each. One message, or all of the queue's when p_msg_id is null.
create or replace function internal.dlq_replay(
    p_queue text,
    p_msg_id bigint,
    p_actor_id uuid,
    p_actor_role text,
    p_request_id text default null
)
returns table (dlq_msg_id bigint, new_msg_id bigint)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_dlq text := internal.checked_queue(p_queue) || '_dlq';
    v_table text := pgmq.format_table_name(v_dlq, 'q');
    v_id bigint;
    v_message jsonb;
begin
    perform internal.require(p_actor_role, 'actor_role');
    for v_id, v_message in execute pg_catalog.format(
        $q$
        select d.msg_id, d.message
        from pgmq.%I as d
        where $1 is null or d.msg_id = $1
        order by d.msg_id
        for update
        $q$,
        v_table
    ) using p_msg_id
    loop
        dlq_msg_id := v_id;
        new_msg_id := internal.enqueue(p_queue, v_message -> 'original');
        perform pgmq.delete(v_dlq, v_id);
        insert into audit.action_log (
            actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
        ) values (
            p_actor_id, p_actor_role, 'dlq_replay', 'pgmq.' || v_table, v_id::text,
            null, v_message, jsonb_build_object('queue', p_queue, 'msg_id', new_msg_id),
            p_request_id
        );
        return next;
    end loop;
    if p_msg_id is not null and dlq_msg_id is null then
        perform internal.fail(
            'not_found', pg_catalog.format('no message %s in %s', p_msg_id, v_dlq)
        );
    end if;
end
$$;
comment on function internal.dlq_replay(text, bigint, uuid, text, text) is
$$Send dead letters back to their queue as their original message and delete them from the DLQ, audited.
Definer: ops and the CLI hold no pgmq privileges, and the audit trail is append-only.$$;

-- dlq_discard: delete one dead letter for good, with a reason, audited (the
-- audit row keeps the whole message).
create or replace function internal.dlq_discard(
    p_queue text,
    p_msg_id bigint,
    p_reason text,
    p_actor_id uuid,
    p_actor_role text,
    p_request_id text default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_dlq text := internal.checked_queue(p_queue) || '_dlq';
    v_table text := pgmq.format_table_name(v_dlq, 'q');
    v_message jsonb;
begin
    perform internal.require(p_msg_id, 'msg_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.length(p_reason) > 1000 then
        perform internal.fail('invalid_input', 'reason must be at most 1000 characters');
    end if;
    perform internal.require(p_actor_role, 'actor_role');
    execute pg_catalog.format(
        'delete from pgmq.%I as d where d.msg_id = $1 returning d.message', v_table
    ) into v_message using p_msg_id;
    if v_message is null then
        perform internal.fail(
            'not_found', pg_catalog.format('no message %s in %s', p_msg_id, v_dlq)
        );
    end if;
    insert into audit.action_log (
        actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
    ) values (
        p_actor_id, p_actor_role, 'dlq_discard', 'pgmq.' || v_table, p_msg_id::text,
        pg_catalog.btrim(p_reason), v_message, null, p_request_id
    );
    return jsonb_build_object('queue', p_queue, 'msg_id', p_msg_id, 'message', v_message);
end
$$;
comment on function internal.dlq_discard(text, bigint, text, uuid, text, text) is
$$Delete one dead letter for good, with a reason, audited with the whole message.
Definer: ops and the CLI hold no pgmq privileges, and the audit trail is append-only.$$;

-- queue_stats: pgmq.metrics of every work queue and its dead-letter twin.
create or replace function internal.queue_stats()
returns table (
    queue_name text,
    queue_length bigint,
    queue_visible_length bigint,
    oldest_msg_age_sec integer,
    newest_msg_age_sec integer,
    total_messages bigint,
    scrape_time timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
    select
        m.queue_name,
        m.queue_length,
        m.queue_visible_length,
        m.oldest_msg_age_sec,
        m.newest_msg_age_sec,
        m.total_messages,
        m.scrape_time
    from unnest(internal.queue_names()) with ordinality as q (name, pos)
    cross join lateral unnest(array[q.name, q.name || '_dlq']) with ordinality as t (name, sub)
    cross join lateral pgmq.metrics(t.name) as m
    order by q.pos, t.sub
$$;
comment on function internal.queue_stats() is
'pgmq metrics of every work queue and dead-letter queue. Definer: ops holds no pgmq privileges.';

-- The api wrappers: invoker functions, ops only.

create or replace function api.queue_stats()
returns table (
    queue_name text,
    queue_length bigint,
    queue_visible_length bigint,
    oldest_msg_age_sec integer,
    newest_msg_age_sec integer,
    total_messages bigint,
    scrape_time timestamptz
)
language plpgsql
stable
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return query select * from internal.queue_stats();
end
$$;
comment on function api.queue_stats() is
$$Queue statistics for every work queue and its dead-letter queue (ops only).

Length, visible length, oldest and newest message age (seconds) and total ever sent.

Errors: 403 forbidden for any role but ops. GET /rpc/queue_stats.$$;

-- language sql: plpgsql refuses an input and an output column that share a
-- name (error_class); the two statements run in order, the check first.
create or replace function api.dlq_list(
    queue text default null,
    error_class text default null,
    "limit" integer default 50
)
returns table (
    msg_id bigint,
    dead_lettered_at timestamptz,
    original_msg_id bigint,
    type text,
    error_class text,
    error text,
    attempts integer
)
language sql
stable
set search_path = ''
as $$
    select internal.require_role('ops', 'only ops staff may use the queue tools');
    select * from internal.dlq_list(dlq_list.queue, dlq_list.error_class, dlq_list."limit");
$$;
comment on function api.dlq_list(text, text, integer) is
$$List dead letters of a queue, oldest first (ops only).

Inputs: queue (payments or notifications), error_class (optional, exact class name such as PermanentError or CardError), limit (1-1000, default 50).
Errors: 400 invalid_input naming queue or limit; 403 forbidden for any role but ops.$$;

create or replace function api.dlq_show(queue text default null, msg_id bigint default null)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return internal.dlq_show(dlq_show.queue, dlq_show.msg_id);
end
$$;
comment on function api.dlq_show(text, bigint) is
$$One dead letter in full (ops only).

The original message, its queue and id, error, error class, attempts and the last traceback.

Errors: 400 invalid_input naming queue or msg_id; 403 forbidden; 404 not_found.$$;

create or replace function api.dlq_replay(queue text default null, msg_id bigint default null)
returns table (dlq_msg_id bigint, new_msg_id bigint)
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return query select * from internal.dlq_replay(
        dlq_replay.queue, dlq_replay.msg_id, auth.uid(), 'ops', internal.request_id()
    );
end
$$;
comment on function api.dlq_replay(text, bigint) is
$$Replay dead letters into their queue (ops only).

Each goes back as its original message, with a fresh attempt count, and leaves the
dead-letter queue: one message, or every one of the queue when msg_id is omitted.
Each replay is audited.

Returns the dead letter's id and the new message's id for each message replayed.
Errors: 400 invalid_input naming queue; 403 forbidden; 404 not_found when msg_id is given and absent.
Idempotency: a replayed message is no longer in the DLQ, so replaying it again answers 404.$$;

create or replace function api.dlq_discard(
    queue text default null, msg_id bigint default null, reason text default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform internal.require_role('ops', 'only ops staff may use the queue tools');
    return internal.dlq_discard(
        dlq_discard.queue, dlq_discard.msg_id, dlq_discard.reason, auth.uid(), 'ops',
        internal.request_id()
    );
end
$$;
comment on function api.dlq_discard(text, bigint, text) is
$$Discard one dead letter for good (ops only); the audit trail keeps the whole message and the reason.

Inputs: queue (payments or notifications), msg_id, reason (required, at most 1000 characters).
Errors: 400 invalid_input naming queue, msg_id or reason; 403 forbidden; 404 not_found.$$;
