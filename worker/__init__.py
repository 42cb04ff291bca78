"""Bookiji's pgmq worker: the queue consumer that runs in production (``python -m worker``)."""
