"""The task modules: importing this package registers every handler the worker runs."""

from worker.tasks import notifications

__all__ = ["notifications"]
