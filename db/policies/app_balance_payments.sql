-- app.balance_payments: written only by the balance's definer functions
-- (57_balance.sql); read through them (receipt, statement, booking_balance).
alter table app.balance_payments enable row level security;
alter table app.balance_payments force row level security;
drop policy if exists select_ops on app.balance_payments;

revoke all on app.balance_payments from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.balance_payments for select to ops using (true);
comment on policy select_ops on app.balance_payments is 'Ops staff read every booking''s balance payment.';
grant select on app.balance_payments to ops;
