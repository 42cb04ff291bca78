-- internal.reminder_still_due comes with the booking tables; until it exists,
-- reminders are sent without the check.
select pg_catalog.to_regprocedure('internal.reminder_still_due(uuid,timestamptz)') is not null as defined
