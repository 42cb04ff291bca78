-- Execute grants for the notification functions (db/functions/22_notifications.sql).
-- Grants start from revoke; each role gets what it calls by name.
revoke all on function
internal.notification_events(),
internal.check_notification_data(text, jsonb),
internal.notification_channels(uuid, text),
internal.notify(text, uuid, text, jsonb, integer),
internal.notification_context(uuid),
internal.notification_begin(uuid),
internal.notification_record(uuid, text, text),
api.my_notifications(integer),
api.notification_preferences(),
api.set_notification_preference(text, boolean, boolean)
from public, anon, customer, provider, ops, bookiji_worker;

-- internal.notify is called from definer functions (sign-up, password reset,
-- the booking transitions), which run as the owner: no role needs it granted.

-- The worker reads what to render and records each transition.
grant execute on function
internal.notification_context(uuid),
internal.notification_begin(uuid),
internal.notification_record(uuid, text, text)
to bookiji_worker;

-- A signed-in person's log and preferences (invoker functions over RLS).
grant execute on function
api.my_notifications(integer),
api.notification_preferences(),
api.set_notification_preference(text, boolean, boolean)
to customer, provider, ops;
