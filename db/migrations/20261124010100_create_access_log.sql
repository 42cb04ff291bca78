-- migrate:up
-- The access log of API requests, shipped from nginx's JSON log by
-- `bookiji access-log` (GET and HEAD run read-only, so PostgREST's request hook
-- cannot write it; nginx sees every request and its final status).
create table audit.access_log (
    id bigint generated always as identity primary key,
    occurred_at timestamptz not null,
    request_id text not null,
    method text not null,
    path text not null,
    status integer not null,
    role text,
    sub text,
    client_addr text,
    bytes integer,
    duration_ms numeric(10, 3),
    constraint access_log_request_id_key unique (request_id)
);
comment on table audit.access_log is
'Every API request as nginx saw it: time, role and sub presented, method, path, status, client address, request id.';
create index access_log_occurred_at_idx on audit.access_log (occurred_at);
create index access_log_sub_idx on audit.access_log (sub);

-- migrate:down
drop table audit.access_log;
