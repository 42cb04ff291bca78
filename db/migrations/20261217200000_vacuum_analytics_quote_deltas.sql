-- migrate:up
-- The funnel's quotes are appended to app.analytics_quote_deltas, one row a quote, and folded
-- into app.analytics_quote_hours by the compaction, which deletes them; the funnel reads what is
-- not folded yet with a scan of the table. The other appended deltas (app.analytics_deltas,
-- app.analytics_first_deltas) are vacuumed after every 5,000 dead rows, whatever the table's size
-- when last analysed; this one was left to the default (50 rows plus a fifth of the rows seen at
-- the last analyse), and after a burst of quotes its emptied pages stayed: at 10,000 providers,
-- after the benchmark's quotes, 120 pages of dead rows and no live one took the funnel's scan
-- 5.7 ms of its ~38 (docs/performance.md, "Session 28").
alter table app.analytics_quote_deltas set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);

-- migrate:down
alter table app.analytics_quote_deltas reset (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
