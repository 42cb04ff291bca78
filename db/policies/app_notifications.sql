-- app.notifications: written only by the definer functions of
-- db/functions/22_notifications.sql (internal.notify and the worker's
-- transitions). A signed-in person reads their own rows, through
-- api.my_notifications; the data column (it may hold a one-time token until
-- delivery) is granted to nobody.
alter table app.notifications enable row level security;
alter table app.notifications force row level security;
drop policy if exists select_own on app.notifications;

revoke all on app.notifications from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.notifications for select to customer, provider, ops
using (recipient_id = (select auth.uid()));
comment on policy select_own on app.notifications is 'A signed-in person reads the notifications sent to them.';

grant select (id, event, channel, status, recipient_id, created_at, sent_at)
on app.notifications to customer, provider, ops;
