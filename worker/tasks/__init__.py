"""The task modules: importing this package registers every handler the worker runs."""

from worker.tasks import notifications, payments

__all__ = ["notifications", "payments"]
