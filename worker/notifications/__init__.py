"""Notification delivery: typed records read from SQL, rendering (Jinja2, iCalendar), SMTP and SMS.

The handler that drives them is worker/tasks/notifications.py; the rows and the
state machine are SQL (db/functions/22_notifications.sql).
"""
