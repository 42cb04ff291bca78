-- Reviews (db/functions/72_reviews.sql): who may call what. The api wrappers
-- are granted to the roles that may call them and no other (a role without the
-- grant gets 401/403 and does not see the endpoint in its OpenAPI); the
-- definers behind them check the role and the party again.
grant execute on function
internal.review_booking(uuid, integer, text),
internal.edit_review(uuid, integer, text),
internal.reply_to_review(uuid, text),
internal.hide_review(uuid, text)
to customer, provider, ops;

-- the customer who had the booking
grant execute on function
api.review_booking(uuid, integer, text),
api.edit_review(uuid, integer, text)
to customer;
-- the reviewed provider's owner
grant execute on function api.reply_to_review(uuid, text) to provider;
-- ops moderate
grant execute on function api.hide_review(uuid, text) to ops;

-- the public list, and a customer's own (read only)
revoke all on api.reviews, api.my_reviews from public, anon, customer, provider, ops, bookiji_worker;
grant select on api.reviews to anon, customer, provider, ops;
grant select on api.my_reviews to customer;
