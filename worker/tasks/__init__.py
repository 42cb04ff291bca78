"""The task modules: importing this package registers every handler the worker runs."""

from worker.tasks import connect, notifications, payments

__all__ = ["connect", "notifications", "payments"]
