-- Pricing suggestions (db/functions/42_pricing.sql): providers only.
revoke all on function
internal.price_suggestions(integer),
api.my_price_suggestions(integer)
from public;

grant execute on function internal.price_suggestions(integer) to customer, provider, ops;
grant execute on function api.my_price_suggestions(integer) to provider;
