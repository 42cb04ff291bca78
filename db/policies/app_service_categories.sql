-- app.service_categories: the fixed list, readable by everyone, written only by migrations.
alter table app.service_categories enable row level security;
alter table app.service_categories force row level security;
drop policy if exists select_everyone on app.service_categories;

revoke all on app.service_categories from public, anon, customer, provider, ops, bookiji_worker;

create policy select_everyone on app.service_categories for select
to anon, customer, provider, ops
using (true);
comment on policy select_everyone on app.service_categories is
'Everyone, anonymous callers included, reads every category.';

grant select (id, slug, name_en, name_fr, sort_order) on app.service_categories
to anon, customer, provider, ops;
