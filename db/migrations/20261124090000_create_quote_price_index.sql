-- migrate:up
-- The quote's cheapest-offer lookup (internal.find_offers): the active services
-- of a category in price order, so the first one within the radius ends the
-- scan instead of a pass over every candidate (see README, Performance).
create index services_category_id_price_cents_idx on app.services (category_id, price_cents)
where is_active;

-- migrate:down
drop index app.services_category_id_price_cents_idx;
