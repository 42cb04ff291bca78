-- migrate:up
-- The outbox queues (pgmq is installed by deploy from the SQL the pgmq PyPI
-- package ships): payments and notifications, each with a dead-letter twin.
-- Consumed messages leave dead rows, which were measured to slow reads several
-- times over: autovacuum runs on these tables far more eagerly than the default.
select pgmq.create('payments');
select pgmq.create('payments_dlq');
select pgmq.create('notifications');
select pgmq.create('notifications_dlq');

alter table pgmq.q_payments set (
    autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_limit = 2000,
    autovacuum_vacuum_cost_delay = 1
);
alter table pgmq.q_notifications set (
    autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_limit = 2000,
    autovacuum_vacuum_cost_delay = 1
);

-- migrate:down
select pgmq.drop_queue('notifications_dlq');
select pgmq.drop_queue('notifications');
select pgmq.drop_queue('payments_dlq');
select pgmq.drop_queue('payments');
