-- app.owed_transfers: what the platform owes providers, as Stripe Transfers. Read and
-- written only by definer functions (db/functions/65_owed_payouts.sql, the payout and the
-- statement in 55 and 87).
alter table app.owed_transfers enable row level security;
alter table app.owed_transfers force row level security;
revoke all on app.owed_transfers from public, anon, customer, provider, ops, bookiji_worker;
