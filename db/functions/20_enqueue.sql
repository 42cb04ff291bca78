-- The outbox: a state change and its message commit together.

create or replace function internal.enqueue(
    p_queue text,
    p_message jsonb,
    p_delay_seconds integer default 0
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_id bigint;
begin
    if p_queue not in ('payments', 'notifications') then
        raise exception 'unknown queue %', p_queue;
    end if;
    if p_message ->> 'type' is null then
        raise exception 'a queued message needs a type';
    end if;
    select pgmq.send(p_queue, p_message, greatest(p_delay_seconds, 0)) into v_id;
    -- wakes the worker at commit (NOTIFY is transactional and de-duplicated)
    perform pg_catalog.pg_notify('bookiji_queue', p_queue);
    return v_id;
end
$$;
comment on function internal.enqueue(text, jsonb, integer) is
'Send a message to a pgmq queue in the caller''s transaction and wake the worker. Definer: API roles cannot touch pgmq.';
