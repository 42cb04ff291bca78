-- app.reviews: published (not hidden) reviews are public; a customer also
-- reads its own hidden ones, ops read all. Nobody writes directly: the
-- definer functions of db/functions/72_reviews.sql do. Column grants keep the
-- customer's id, the booking and the moderation fields from anonymous callers
-- and providers; the public view (api.reviews) shows none of them.
alter table app.reviews enable row level security;
alter table app.reviews force row level security;
drop policy if exists select_public on app.reviews;
drop policy if exists select_customer on app.reviews;
drop policy if exists select_provider on app.reviews;
drop policy if exists select_ops on app.reviews;

revoke all on app.reviews from public, anon, customer, provider, ops, bookiji_worker;

create policy select_public on app.reviews for select
to anon
using (hidden_at is null);
comment on policy select_public on app.reviews is 'Anonymous callers read the reviews moderation has not hidden.';

create policy select_customer on app.reviews for select
to customer
using (hidden_at is null or customer_id = (select auth.uid()));
comment on policy select_customer on app.reviews is
'A customer reads the published reviews, and its own reviews even when hidden.';

create policy select_provider on app.reviews for select
to provider
using (hidden_at is null);
comment on policy select_provider on app.reviews is 'A provider account reads the published reviews.';

create policy select_ops on app.reviews for select
to ops
using (true);
comment on policy select_ops on app.reviews is 'Ops staff read every review, hidden ones included.';

grant select (
    id, provider_id, author_name, stars, body, reply, replied_at, created_at, edited_at, hidden_at
) on app.reviews to anon, provider;
grant select (
    id, booking_id, provider_id, customer_id, author_name, stars, body, reply, replied_at,
    created_at, edited_at, hidden_at, hidden_reason
) on app.reviews to customer;
grant select on app.reviews to ops;
