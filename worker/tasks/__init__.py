from worker.tasks import payments  # noqa: F401 - registers the payment handlers
