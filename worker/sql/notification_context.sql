select internal.notification_context(%(id)s) as context
