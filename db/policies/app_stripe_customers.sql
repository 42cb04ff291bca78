-- app.stripe_customers: written and read only by the balance's definer functions
-- (63_balance_card.sql); ops read it.
alter table app.stripe_customers enable row level security;
alter table app.stripe_customers force row level security;
drop policy if exists select_ops on app.stripe_customers;

revoke all on app.stripe_customers from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.stripe_customers for select to ops using (true);
comment on policy select_ops on app.stripe_customers is 'Ops staff read every user''s Stripe Customer.';
grant select on app.stripe_customers to ops;
