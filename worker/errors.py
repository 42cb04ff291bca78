"""One exception hierarchy for the command line and the worker."""

from __future__ import annotations


class BookijiError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(BookijiError):
    """The environment or the machine is not as required; the message says what to do."""


class DeployError(BookijiError):
    """A deploy step failed; the message names the file and line."""


class TaskError(BookijiError):
    """A message handler failed."""


class RetryableError(TaskError):
    """A transient failure: the message is retried with backoff."""


class PermanentError(TaskError):
    """A failure that retrying cannot fix: the message goes to the dead-letter queue."""


class StartError(BookijiError):
    """A child process (PostgREST, nginx) did not become ready; the message holds its log."""
