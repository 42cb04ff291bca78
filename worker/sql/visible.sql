-- One queue's term of the idle worker's probe (runner.py joins one per queue with
-- `union all` into a single statement): the queue's name when it holds a message
-- visible now. An index scan on pgmq's vt index that stops at the first row; now()
-- rather than clock_timestamp() so that the index can be used (a volatile
-- function cannot be an index condition); in autocommit both are this statement's start.
-- {queue} and {table} are composed by psycopg.sql (a literal and an identifier).
select {queue} as queue where exists (select from {table} where vt <= now())
