-- app.commission_rates: the platform's commission per category. Read and written
-- only by definer functions (api.commission_rates, api.ops_set_commission_rate, the
-- booking trigger that keeps a booking's commission).
alter table app.commission_rates enable row level security;
alter table app.commission_rates force row level security;
revoke all on app.commission_rates from public, anon, customer, provider, ops, bookiji_worker;
