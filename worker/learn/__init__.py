"""The models learnt from the database's own log, fitted in numpy: the quote's ranking
(rank.py, docs/ranking.md) and the quality predictions (quality.py, docs/quality.md).
Both the command line (`bookiji rank train`, `bookiji quality train`) and the worker's
training schedule (schedule.py) use them; each run records a new version and activates it
only if it beat the active one offline."""
