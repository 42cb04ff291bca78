select internal.notification_begin(%(id)s) as action
