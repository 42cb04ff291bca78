-- pgmq: only the worker touches the queues directly (API roles enqueue through
-- definer functions). The worker gets the message verbs, not the admin ones
-- (create, drop, purge).
revoke all on schema pgmq from public;
revoke all on all functions in schema pgmq from public;
revoke all on all tables in schema pgmq from public;

grant usage on schema pgmq to bookiji_worker;
grant select, insert, update, delete on all tables in schema pgmq to bookiji_worker;
grant usage, select on all sequences in schema pgmq to bookiji_worker;

do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid::regprocedure
        from pg_catalog.pg_proc as p
        where
            p.pronamespace = 'pgmq'::regnamespace
            and p.proname in (
                'read', 'read_with_poll', 'send', 'send_batch', 'archive', 'delete',
                'set_vt', 'pop', 'metrics', 'metrics_all', 'list_queues', 'format_table_name',
                'validate_queue_name', 'acquire_queue_lock'
            )
    loop
        execute format('grant execute on function %s to bookiji_worker', v_fn);
    end loop;
end
$$;
