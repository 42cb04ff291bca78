"""Bookiji: the pgmq worker and the project's command line (``bookiji``)."""
