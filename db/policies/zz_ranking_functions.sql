-- The ranking (db/functions/36_ranking.sql): who may call what. The helpers
-- run inside the quote's definer, the `bookiji rank` command (the owner) and
-- the worker's training schedule;
-- ops list and activate versions through the api wrappers.
revoke all on function
internal.personal_terms(uuid, integer),
internal.offer_explanation(
    app.ranking_versions, double precision, double precision, integer, numeric, numeric, numeric,
    integer, integer, double precision, integer, integer, double precision, double precision, integer
),
internal.ranking_choice_sets(timestamptz, timestamptz),
internal.add_ranking_version(jsonb, double precision[], jsonb, text),
internal.active_ranking_version(),
internal.ranking_version_json(app.ranking_versions),
internal.activate_ranking_version(integer, text),
internal.ranking_versions(),
api.ops_ranking_versions(),
api.ops_activate_ranking_version(integer, text)
from public, anon, customer, provider, ops, bookiji_worker;

-- the worker's training schedule (worker/learn/)
grant execute on function
internal.ranking_choice_sets(timestamptz, timestamptz),
internal.active_ranking_version(),
internal.add_ranking_version(jsonb, double precision[], jsonb, text),
internal.activate_ranking_version(integer, text)
to bookiji_worker;
grant execute on function
internal.ranking_versions(),
internal.ranking_version_json(app.ranking_versions),
internal.activate_ranking_version(integer, text)
to ops;
grant execute on function
api.ops_ranking_versions(),
api.ops_activate_ranking_version(integer, text)
to ops;
