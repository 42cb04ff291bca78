-- Held (session level) while one worker handles a notification, so that a second
-- worker never takes a live send for an interrupted one; released at once by
-- notification_unlock, or by the server when the session dies.
select pg_catalog.pg_try_advisory_lock(
    pg_catalog.hashtext('bookiji.notification'), pg_catalog.hashtext(%(id)s::text)
) as locked
