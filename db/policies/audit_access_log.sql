-- audit.access_log: written by the shipper (worker role), read by ops.
alter table audit.access_log enable row level security;
alter table audit.access_log force row level security;
drop policy if exists select_ops on audit.access_log;
drop policy if exists insert_worker on audit.access_log;
drop policy if exists select_worker on audit.access_log;

revoke all on audit.access_log from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on audit.access_log for select to ops using (true);
comment on policy select_ops on audit.access_log is 'Ops staff read the access log.';
create policy insert_worker on audit.access_log for insert to bookiji_worker with check (true);
comment on policy insert_worker on audit.access_log is 'The log shipper appends rows; nobody updates or deletes them.';

create policy select_worker on audit.access_log for select to bookiji_worker using (true);
comment on policy select_worker on audit.access_log is
'The shipper''s on-conflict check sees existing rows (only the request_id column is granted).';

grant usage on schema audit to ops, bookiji_worker;
grant select on audit.access_log to ops;
grant insert on audit.access_log to bookiji_worker;
-- on conflict (request_id) do nothing reads the conflict column
grant select (request_id) on audit.access_log to bookiji_worker;
