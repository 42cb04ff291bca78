-- migrate:up
-- Consumed messages leave dead rows and dead index entries that every read
-- walks (pgmq.read scans the primary key from its start): 500k consumed made
-- a read of 50 touch 1,235 index pages (2 ms) instead of 4 (0.1 ms) until a
-- vacuum. The queue tables already qualify after 1,000 dead rows; a queue
-- table is small once vacuumed, so its vacuum need not be throttled either.
-- (How soon autovacuum looks is the cluster's autovacuum_naptime: 10 s on the
-- embedded cluster, docs/operations.md.)
alter table pgmq.q_payments set (autovacuum_vacuum_cost_delay = 0);
alter table pgmq.q_notifications set (autovacuum_vacuum_cost_delay = 0);

-- migrate:down
alter table pgmq.q_payments set (autovacuum_vacuum_cost_delay = 1);
alter table pgmq.q_notifications set (autovacuum_vacuum_cost_delay = 1);
