-- migrate:up
-- The write limit per identity (sub:<uuid>) as a GCRA counter: one row per
-- identity holding its theoretical arrival time, read and moved by one upsert,
-- O(1) a write. Counting auth.rate_events instead read every write of the last
-- minute (O(limit), thousands of index entries where the limit is raised).
-- The row stays locked until the request commits, which serialises only one
-- identity's concurrent writes (a confirm takes its customer's lock anyway);
-- anonymous writes (login, sign-up: bcrypt inside the transaction) keep the
-- lock-free rows of auth.rate_events, per address.
create table auth.rate_limits (
    bucket text not null,
    tat timestamptz not null,
    constraint rate_limits_pkey primary key (bucket)
) with (fillfactor = 70);
comment on table auth.rate_limits is
'GCRA state per identity (bucket = sub:<uuid>): the theoretical arrival time of its next write; rows in the past are swept.';
alter table auth.rate_limits set (
    autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_vacuum_threshold = 5000
);

-- migrate:down
drop table auth.rate_limits;
