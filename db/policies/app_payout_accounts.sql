-- app.payout_accounts: providers' Stripe Express accounts. Read and written only by
-- definer functions (api.my_payout_account, the worker's entry points, the webhook).
alter table app.payout_accounts enable row level security;
alter table app.payout_accounts force row level security;
revoke all on app.payout_accounts from public, anon, customer, provider, ops, bookiji_worker;
