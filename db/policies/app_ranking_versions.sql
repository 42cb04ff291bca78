-- app.ranking_versions (db/functions/36_ranking.sql): the quote's weights.
-- Read and written only by definers (the quote, the search-key trigger, ops'
-- activation) and the `bookiji rank` command; ops see them through
-- api.ops_ranking_versions. No API role holds a privilege, so no policy.
alter table app.ranking_versions enable row level security;
alter table app.ranking_versions force row level security;

revoke all on app.ranking_versions from public, anon, customer, provider, ops, bookiji_worker;
