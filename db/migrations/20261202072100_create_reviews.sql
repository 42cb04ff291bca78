-- migrate:up
-- Verified reviews: a customer reviews one of its own completed bookings, once
-- (1 to 5 stars, optional text), may edit it for 14 days; the provider may
-- reply once; ops hide abusive ones with a reason (audited). Written only by
-- the definer functions of db/functions/72_reviews.sql. author_name is the
-- public form of the customer's name taken when the review is written (first
-- name and the last name's initial): the public view never reads the account.
-- weight is the review's decay weight (see the providers' rating sums), set by
-- a trigger from created_at.
create table app.reviews (
    id uuid primary key default extensions.gen_random_uuid(),
    booking_id uuid not null references app.bookings (id) on delete cascade,
    provider_id uuid not null references app.providers (id) on delete cascade,
    customer_id uuid not null references app.users (id) on delete cascade,
    author_name text not null,
    stars smallint not null,
    body text,
    weight numeric not null,
    reply text,
    replied_at timestamptz,
    hidden_at timestamptz,
    hidden_by uuid references app.users (id) on delete set null,
    hidden_reason text,
    created_at timestamptz not null default now(),
    edited_at timestamptz,
    updated_at timestamptz not null default now(),
    constraint reviews_booking_id_key unique (booking_id),
    constraint reviews_stars_check check (stars between 1 and 5),
    constraint reviews_body_check check (char_length(body) between 1 and 2000),
    constraint reviews_author_name_check check (char_length(author_name) between 1 and 60),
    constraint reviews_weight_check check (weight > 0),
    constraint reviews_reply_check check (char_length(reply) between 1 and 2000),
    constraint reviews_replied_at_check check ((reply is null) = (replied_at is null)),
    constraint reviews_hidden_reason_check check (
        (hidden_at is null and hidden_reason is null)
        or (hidden_at is not null and char_length(hidden_reason) between 1 and 500)
    )
);
comment on table app.reviews is
'Verified reviews of completed bookings: stars, text, the provider''s reply, moderation. Written by definers only.';
comment on column app.reviews.author_name is 'The customer''s first name and last initial, as shown publicly.';
comment on column app.reviews.weight is 'Decay weight, 2^((created_at - 2026-01-01) / 730 days); set by a trigger.';

-- the public list of a provider's reviews, newest first
create index reviews_provider_id_created_at_idx on app.reviews (provider_id, created_at desc);
-- the customer's own, and the daily limit
create index reviews_customer_id_created_at_idx on app.reviews (customer_id, created_at);
create index reviews_hidden_by_idx on app.reviews (hidden_by);

-- migrate:down
drop table app.reviews cascade;
