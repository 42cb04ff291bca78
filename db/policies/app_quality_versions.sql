-- app.quality_versions (db/functions/37_quality.sql): the quality model's
-- coefficients. Read and written only by definers (the prediction, ops'
-- activation, the training's entry points). No API role holds a privilege,
-- so no policy.
alter table app.quality_versions enable row level security;
alter table app.quality_versions force row level security;

revoke all on app.quality_versions from public, anon, customer, provider, ops, bookiji_worker;
