-- migrate:up
-- Write limits count one row per request instead of incrementing a counter:
-- an upserted counter row stays locked until its transaction commits, which
-- serialised every write from one address (sign-ups and logins, bcrypt
-- included) behind the previous one. Inserts never wait on each other.
create table auth.rate_events (
    bucket text not null,
    at timestamptz not null default now()
);
comment on table auth.rate_events is
'One row per counted write request (bucket = sub:<uuid> or addr:<ip>); old rows are swept.';
create index rate_events_bucket_at_idx on auth.rate_events (bucket, at);
alter table auth.rate_events set (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 5000);

drop table auth.rate_counters;

-- migrate:down
create table auth.rate_counters (
    bucket text not null,
    window_start timestamptz not null,
    hits integer not null default 0,
    primary key (bucket, window_start)
);
comment on table auth.rate_counters is 'Fixed-window request counters per identity (pre-request hook, writes).';
drop table auth.rate_events;
