-- app.provider_tax_registrations: written only by internal.set_tax_registration
-- (a definer that checks the numbers); a provider reads its own through
-- api.my_tax_registration, customers see the numbers on quotes and receipts
-- (definer functions). Ops read every registration.
alter table app.provider_tax_registrations enable row level security;
alter table app.provider_tax_registrations force row level security;
drop policy if exists select_ops on app.provider_tax_registrations;

revoke all on app.provider_tax_registrations from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.provider_tax_registrations for select to ops using (true);
comment on policy select_ops on app.provider_tax_registrations is
'Ops staff read every provider''s sales-tax registration.';
grant select on app.provider_tax_registrations to ops;
