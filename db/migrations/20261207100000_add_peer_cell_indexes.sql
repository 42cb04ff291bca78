-- migrate:up
-- A provider's peers (internal.analytics_peer_ranks, 82_analytics_reads.sql): the providers of
-- its 0.1-degree cell that offer its category. Without these the cell was a sequential scan of
-- every provider and a probe of the services per provider of the cell: 150 ms at 100,000
-- providers (docs/performance.md, "Session 13"); with them two index-only scans joined, ~10 ms.
-- The cell's index carries id, lat and lng so that the scan needs no heap (an expression
-- index alone cannot answer an index-only scan); the services' (category, provider) index
-- replaces the one on category alone (its prefix).
create index providers_peer_cell_idx on app.providers ((floor(lat * 10)), (floor(lng * 10)))
include (id, lat, lng);
create index services_category_id_provider_id_idx on app.services (category_id, provider_id);
drop index app.services_category_id_idx;
-- the statistics of the cell's expressions: without them the planner took the cell for 2 rows
-- and probed the services once per provider of it (11,603 probes at 100,000 providers)
analyze app.providers, app.services;

-- migrate:down
create index services_category_id_idx on app.services (category_id);
drop index app.services_category_id_provider_id_idx;
drop index app.providers_peer_cell_idx;
