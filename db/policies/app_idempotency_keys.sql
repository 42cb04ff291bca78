-- app.idempotency_keys: only internal.confirm_booking reads and writes them.
alter table app.idempotency_keys enable row level security;
alter table app.idempotency_keys force row level security;
revoke all on app.idempotency_keys from public, anon, customer, provider, ops, bookiji_worker;
