select internal.notification_record(%(id)s, %(outcome)s, %(detail)s)
