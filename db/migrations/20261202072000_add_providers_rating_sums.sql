-- migrate:up
-- Ratings from verified reviews (db/functions/72_reviews.sql). The quote reads
-- rating_count and rating_avg and shrinks them towards its prior (5 ratings at
-- 4.0, db/functions/40_quote.sql); reviews keep both up to date incrementally.
-- rating_avg is time-decayed: each rating weighs 2^((t - 2026-01-01) / 730 days)
-- (a half-life of two years, measured from a fixed reference, so the weighted
-- average never needs a refresh: the common factor cancels). These two sums
-- are what it is kept from: rating_weight = sum of the weights, and
-- rating_weighted_stars = sum of weight * stars, over the provider's ratings
-- (the visible reviews, and the ratings a provider was created with, dated at
-- its creation). Written by triggers only (no column grant).
alter table app.providers add column rating_weight numeric not null default 0;
alter table app.providers add column rating_weighted_stars numeric not null default 0;
alter table app.providers add constraint providers_rating_weight_check check (rating_weight >= 0);
alter table app.providers add constraint providers_rating_weighted_stars_check check (rating_weighted_stars >= 0);
comment on column app.providers.rating_weight is
'Sum of the decay weights of the provider''s ratings (2^((rated_at - 2026-01-01) / 730 days)); kept by triggers.';
comment on column app.providers.rating_weighted_stars is
'Sum of weight * stars over the provider''s ratings; rating_avg = this / rating_weight. Kept by triggers.';

-- the ratings providers already have count as given today
update app.providers as p
set
    rating_weight = p.rating_count * w.weight,
    rating_weighted_stars = p.rating_count * coalesce(p.rating_avg, 0) * w.weight
from (
    select round(
        power(2::numeric, extract(epoch from now() - timestamptz '2026-01-01 00:00:00+00')::numeric / (730 * 86400)),
        12
    ) as weight
) as w
where p.rating_count > 0;

-- migrate:down
alter table app.providers drop column rating_weighted_stars;
alter table app.providers drop column rating_weight;
