-- internal.settings: secrets and versions; no API role reads it directly.
alter table internal.settings enable row level security;
alter table internal.settings force row level security;
revoke all on internal.settings from public, anon, customer, provider, ops, bookiji_worker;
