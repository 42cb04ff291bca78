-- app.notification_preferences: a signed-in person reads and sets their own,
-- through api.notification_preferences and api.set_notification_preference.
alter table app.notification_preferences enable row level security;
alter table app.notification_preferences force row level security;
drop policy if exists select_own on app.notification_preferences;
drop policy if exists insert_own on app.notification_preferences;
drop policy if exists update_own on app.notification_preferences;

revoke all on app.notification_preferences from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.notification_preferences for select to customer, provider, ops
using (user_id = (select auth.uid()));
comment on policy select_own on app.notification_preferences is 'A signed-in person reads their own preferences.';

create policy insert_own on app.notification_preferences for insert to customer, provider, ops
with check (user_id = (select auth.uid()));
comment on policy insert_own on app.notification_preferences is 'A signed-in person records preferences for themselves only.';

create policy update_own on app.notification_preferences for update to customer, provider, ops
using (user_id = (select auth.uid()))
with check (user_id = (select auth.uid()));
comment on policy update_own on app.notification_preferences is 'A signed-in person changes their own preferences only.';

grant select (user_id, category, email, sms, updated_at) on app.notification_preferences to customer, provider, ops;
grant insert (user_id, category, email, sms) on app.notification_preferences to customer, provider, ops;
grant update (email, sms, updated_at) on app.notification_preferences to customer, provider, ops;
