-- migrate:up
-- The quality prediction as a term of the quote's score (docs/quality.md,
-- docs/ranking.md): score = ... - w_quality * P(bad), P(bad) the active
-- quality version's probability that the provider cancels or does not show
-- at the quoted start (db/functions/37_quality.sql). The term is never
-- positive, so every bound the quote reads from the search key stays an upper
-- bound, and it is not in the weights that sum to 1 (like w_personal).
-- Every existing version gets 0: the active version ranks exactly as before
-- until ops ship a version with a positive weight.
alter table app.ranking_versions add column w_quality double precision not null default 0;
alter table app.ranking_versions add constraint ranking_versions_w_quality_check check (w_quality between 0 and 1);
comment on column app.ranking_versions.w_quality is
'Weight of the quality prediction''s penalty: the score loses w_quality * P(provider cancels or no-show) (0: no effect).';

-- migrate:down
alter table app.ranking_versions drop column w_quality;
