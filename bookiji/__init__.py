"""Bookiji's tooling: the ``bookiji`` command line, the embedded cluster, deploy, the
supervised development stack and the ops tools. It runs on a developer's machine and
in the deploy job; the production consumer is the ``worker`` package, which imports
nothing from here."""
