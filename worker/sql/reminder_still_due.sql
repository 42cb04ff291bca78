select internal.reminder_still_due(%(booking_id)s, %(starts_at)s) as due
