-- Verified reviews, and the ratings the quote ranks with.
--
--   api.review_booking      a customer reviews one of its own completed bookings, once
--   api.edit_review         ... and may change it for 14 days
--   api.reply_to_review     the reviewed provider replies, once
--   api.hide_review         ops hide an abusive review, with a reason (audited)
--   api.reviews             the public list (no customer identity, hidden ones left out)
--   api.my_reviews          a customer's own reviews, hidden ones included
--
-- Ratings. The quote (40_quote.sql) reads app.providers.rating_count (n) and
-- rating_avg (a) and ranks with the Bayesian average B = (5 * 4.0 + n * a) / (5 + n):
-- the prior is 5 ratings at 4.0 stars. Reviews keep n and a, incrementally, by
-- the trigger below: n = the number of ratings (visible reviews, plus those a
-- provider was created with), a = their time-decayed average, each rating
-- weighing w = 2^((t - 2026-01-01) / 730 days) (a half-life of two years: a
-- review three years old weighs 2^-1.5 = 0.35 of a new one). The weights are
-- measured from a fixed reference, not from now: the average is
-- sum(w * stars) / sum(w), and the factor 2^((reference - now) / 730 days) that
-- turns these weights into ages cancels in it, so the average stays exact as
-- time passes and needs no periodic refresh. The sums live in
-- app.providers.rating_weight and rating_weighted_stars; a review adds its
-- weight (app.reviews.weight, set from created_at) while it is visible.

create or replace function internal.rating_weight(p_at timestamptz)
returns numeric
language sql
immutable
set search_path = ''
as $$
    -- 12 decimals: a rating from 1970 still weighs 3.7e-9, not 0
    select pg_catalog.round(
        pg_catalog.power(
            2::numeric,
            extract(epoch from p_at - '2026-01-01 00:00:00+00'::timestamptz)::numeric / (730 * 86400)
        ),
        12
    )
$$;
comment on function internal.rating_weight(timestamptz) is
'The decay weight of a rating given at p_at: 2^((p_at - 2026-01-01) / 730 days), a half-life of two years.';

create or replace function internal.public_name(p_full_name text)
returns text
language sql
immutable
set search_path = ''
as $$
    -- "Marie-Ève Tremblay" -> "Marie-Ève T."; one word stays as it is; blank -> "A customer"
    select coalesce(
        nullif(
            pg_catalog.left(pg_catalog.split_part(pg_catalog.btrim(p_full_name), ' ', 1), 40)
            || case
                when pg_catalog.btrim(p_full_name) ~ '\s'
                    then ' ' || pg_catalog.upper(pg_catalog.left(
                        pg_catalog.regexp_replace(pg_catalog.btrim(p_full_name), '^.*\s', ''), 1
                    )) || '.'
                else ''
            end,
            ''
        ),
        'A customer'
    )
$$;
comment on function internal.public_name(text) is
'The public form of a customer''s name: the first name and the initial of the last word ("Marie T.").';

-- ---------------------------------------------------------------------------
-- Triggers: the weight, and the provider's rating

create or replace function internal.reviews_set_weight()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.weight := internal.rating_weight(new.created_at);
    return new;
end
$$;
comment on function internal.reviews_set_weight() is
'Trigger: a review''s decay weight follows its created_at.';

create or replace function internal.reviews_apply_rating()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_provider uuid;
    v_count integer := 0;
    v_weight numeric := 0;
    v_stars numeric := 0;
begin
    -- what the old row counted for (if visible) goes, what the new one counts for comes
    if tg_op in ('UPDATE', 'DELETE') and old.hidden_at is null then
        v_count := v_count - 1;
        v_weight := v_weight - old.weight;
        v_stars := v_stars - old.weight * old.stars;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.hidden_at is null then
        v_count := v_count + 1;
        v_weight := v_weight + new.weight;
        v_stars := v_stars + new.weight * new.stars;
    end if;
    v_provider := case when tg_op = 'DELETE' then old.provider_id else new.provider_id end;
    if v_count = 0 and v_weight = 0 and v_stars = 0 then
        return null;
    end if;
    update app.providers as p
    set
        rating_count = p.rating_count + v_count,
        rating_weight = p.rating_weight + v_weight,
        rating_weighted_stars = p.rating_weighted_stars + v_stars,
        rating_avg = case
            when p.rating_count + v_count > 0
                then coalesce(
                    pg_catalog.round((p.rating_weighted_stars + v_stars) / nullif(p.rating_weight + v_weight, 0), 2),
                    p.rating_avg
                )
        end
    where p.id = v_provider;
    return null;
end
$$;
comment on function internal.reviews_apply_rating() is
$$Trigger: keep the provider's rating (rating_count, rating_avg and their sums) as reviews are written, edited, hidden or deleted.
Definer: the caller (a customer reviewing) has no rights on the provider's row.$$;

create or replace function internal.providers_initial_rating()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- a provider created with ratings (the demo seed, an import) holds them as
    -- ratings given now: reviews then add to them
    if new.rating_count > 0 and new.rating_weight = 0 and new.rating_avg is not null then
        new.rating_weight := new.rating_count * internal.rating_weight(pg_catalog.now());
        new.rating_weighted_stars := new.rating_weight * new.rating_avg;
    end if;
    return new;
end
$$;
comment on function internal.providers_initial_rating() is
'Trigger: ratings a provider is created with count as ratings given at its creation (rating_weight, rating_weighted_stars).';

create or replace trigger _050_weight
before insert or update of created_at on app.reviews
for each row execute function internal.reviews_set_weight();

create or replace trigger _100_touch_updated_at
before update on app.reviews
for each row execute function internal.touch_updated_at();

create or replace trigger _500_rating
after insert or update of stars, weight, created_at, hidden_at, provider_id or delete on app.reviews
for each row execute function internal.reviews_apply_rating();

create or replace trigger _050_initial_rating
before insert on app.providers
for each row execute function internal.providers_initial_rating();

-- ---------------------------------------------------------------------------
-- Writing reviews

create or replace function internal.review_json(p_review_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'id', r.id,
        'booking_id', r.booking_id,
        'provider_id', r.provider_id,
        'author_name', r.author_name,
        'stars', r.stars,
        'body', r.body,
        'reply', r.reply,
        'replied_at', r.replied_at,
        'created_at', r.created_at,
        'edited_at', r.edited_at,
        'editable_until', r.created_at + pg_catalog.make_interval(days => 14),
        'hidden', r.hidden_at is not null,
        'hidden_reason', r.hidden_reason
    )
    from app.reviews as r
    where r.id = p_review_id
$$;
comment on function internal.review_json(uuid) is
'A review as the review functions return it. Definer: called after writes the caller cannot read back.';

create or replace function internal.review_text(p_text text, p_name text, p_max integer)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
    -- trimmed; blank is no text
    if pg_catalog.char_length(p_text) > p_max then
        perform internal.fail('invalid_input', pg_catalog.format('%s must be at most %s characters', p_name, p_max));
    end if;
    return nullif(pg_catalog.btrim(p_text), '');
end
$$;
comment on function internal.review_text(text, text, integer) is
'A review''s or reply''s text, trimmed (blank: null); longer than p_max characters: 400 invalid_input naming it.';

create or replace function internal.check_stars(p_stars integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_stars is not null and p_stars not between 1 and 5 then
        perform internal.fail('invalid_input', 'stars must be a whole number from 1 to 5');
    end if;
end
$$;
comment on function internal.check_stars(integer) is 'Refuse stars outside 1..5 (400 invalid_input).';

create or replace function internal.review_booking(p_booking_id uuid, p_stars integer, p_body text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_customer uuid := auth.uid();
    v_booking app.bookings;
    v_body text;
    v_review_id uuid;
    v_owner uuid;
    -- the spam limit: new reviews per customer in any 24 hours
    v_limit constant integer := 10;
begin
    perform internal.require_role(
        'customer', 'only customers can review a booking', 'reviewing a booking needs a signed-in customer'
    );
    perform internal.require(p_booking_id, 'booking_id');
    perform internal.require(p_stars, 'stars', 'a whole number from 1 to 5');
    perform internal.check_stars(p_stars);
    v_body := internal.review_text(p_body, 'body', 2000);

    select * into v_booking from app.bookings as b
    where b.id = p_booking_id and b.customer_id = v_customer;
    if not found then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_booking.status <> 'completed' then
        perform internal.fail(
            'booking_not_completed',
            pg_catalog.format('only a completed booking can be reviewed, and this one is %s', v_booking.status)
        );
    end if;

    -- one customer's reviews take turns, so the daily limit cannot be raced past
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('bookiji.reviews:' || v_customer::text, 0));
    if exists (select from app.reviews as r where r.booking_id = p_booking_id) then
        perform internal.fail(
            'already_reviewed', 'this booking has already been reviewed; change the review with edit_review'
        );
    end if;
    if (
        select pg_catalog.count(*) from app.reviews as r
        where r.customer_id = v_customer and r.created_at > pg_catalog.now() - '1 day'::interval
    ) >= v_limit then
        perform internal.fail(
            'too_many_reviews', pg_catalog.format('at most %s reviews a day; try again tomorrow', v_limit)
        );
    end if;

    insert into app.reviews as r (booking_id, provider_id, customer_id, author_name, stars, body)
    select v_booking.id, v_booking.provider_id, v_customer, internal.public_name(u.full_name), p_stars, v_body
    from app.users as u
    where u.id = v_customer
    returning r.id into v_review_id;

    select p.owner_id into v_owner from app.providers as p where p.id = v_booking.provider_id;
    perform internal.notify(
        'review_received', v_owner, 'review_received:' || v_review_id::text,
        internal.booking_event_data(v_booking.id) || pg_catalog.jsonb_build_object('stars', p_stars)
    );
    return internal.review_json(v_review_id);
end
$$;
comment on function internal.review_booking(uuid, integer, text) is
$$Review one of the caller's completed bookings, once; notify the provider.
Definer: writes the review, the provider's rating and the notification.$$;

create or replace function api.review_booking(
    booking_id uuid default null,
    stars integer default null,
    body text default null
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.review_booking(review_booking.booking_id, review_booking.stars, review_booking.body)
$$;
comment on function api.review_booking(uuid, integer, text) is
$$Review one of your completed bookings: 1 to 5 stars and an optional text (at most 2000 characters).

Role customer, own bookings only. One review per booking; change it with edit_review for 14 days.
Publicly the review shows your first name and last initial, never your account.
The provider is notified. The provider's rating (rating_count, rating_avg) is updated at once.
Errors: 400 invalid_input (stars missing or outside 1..5, body too long); 404 not_found (not your booking);
409 booking_not_completed (the booking has not been completed); 409 already_reviewed;
429 too_many_reviews (more than 10 reviews in a day).$$;

create or replace function internal.edit_review(p_review_id uuid, p_stars integer, p_body text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_review app.reviews;
begin
    perform internal.require_role(
        'customer', 'only the customer who wrote a review can edit it', 'editing a review needs a signed-in customer'
    );
    perform internal.require(p_review_id, 'review_id');
    perform internal.check_stars(p_stars);
    if p_stars is null and p_body is null then
        perform internal.fail('invalid_input', 'stars or body is required (the change to make)');
    end if;
    select * into v_review from app.reviews as r
    where r.id = p_review_id and r.customer_id = auth.uid()
    for update;
    if not found then
        perform internal.fail('not_found', 'no such review');
    end if;
    if v_review.hidden_at is not null then
        perform internal.fail('conflict', 'this review was hidden by moderation and cannot be edited');
    end if;
    if pg_catalog.now() > v_review.created_at + pg_catalog.make_interval(days => 14) then
        perform internal.fail('edit_window_closed', 'a review can be edited for 14 days after it was written');
    end if;
    update app.reviews as r
    set
        stars = coalesce(p_stars, r.stars),
        body = case when p_body is null then r.body else internal.review_text(p_body, 'body', 2000) end,
        edited_at = pg_catalog.now()
    where r.id = p_review_id;
    return internal.review_json(p_review_id);
end
$$;
comment on function internal.edit_review(uuid, integer, text) is
'Change one''s own review within 14 days of writing it. Definer: writes the review and the provider''s rating.';

create or replace function api.edit_review(
    review_id uuid default null,
    stars integer default null,
    body text default null
)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.edit_review(edit_review.review_id, edit_review.stars, edit_review.body)
$$;
comment on function api.edit_review(uuid, integer, text) is
$$Change your review's stars or text, within 14 days of writing it.

Role customer, own reviews only. Give stars, body or both; an empty body removes the text.
Errors: 400 invalid_input (nothing to change, stars outside 1..5, body too long); 404 not_found;
409 edit_window_closed (written more than 14 days ago); 409 conflict (hidden by moderation).$$;

create or replace function internal.reply_to_review(p_review_id uuid, p_reply text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_review app.reviews;
    v_reply text;
begin
    perform internal.require_role(
        'provider', 'only the reviewed provider can reply to a review', 'replying needs a signed-in provider'
    );
    perform internal.require(p_review_id, 'review_id');
    v_reply := internal.review_text(p_reply, 'reply', 2000);
    perform internal.require(v_reply, 'reply', 'at most 2000 characters');
    select * into v_review from app.reviews as r where r.id = p_review_id and r.hidden_at is null for update;
    if not found then
        perform internal.fail('not_found', 'no such review');
    end if;
    if not exists (
        select from app.providers as p where p.id = v_review.provider_id and p.owner_id = auth.uid()
    ) then
        perform internal.fail('forbidden', 'only the reviewed provider can reply to this review');
    end if;
    if v_review.reply is not null then
        perform internal.fail('already_replied', 'this review already has a reply');
    end if;
    update app.reviews as r
    set reply = v_reply, replied_at = pg_catalog.now()
    where r.id = p_review_id;
    return internal.review_json(p_review_id);
end
$$;
comment on function internal.reply_to_review(uuid, text) is
'The reviewed provider''s one reply to a visible review. Definer: writes the review.';

create or replace function api.reply_to_review(review_id uuid default null, reply text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.reply_to_review(reply_to_review.review_id, reply_to_review.reply)
$$;
comment on function api.reply_to_review(uuid, text) is
$$Reply, once, to a review of your provider (at most 2000 characters); the reply is public.

Role provider, reviews of the provider it owns only.
Errors: 400 invalid_input (reply missing, blank or too long); 403 forbidden (another provider's review);
404 not_found (no such visible review); 409 already_replied.$$;

create or replace function internal.hide_review(p_review_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_before jsonb;
    v_after jsonb;
begin
    perform internal.require_role('ops', 'only ops staff can hide a review');
    perform internal.require(p_review_id, 'review_id');
    perform internal.require_text(p_reason, 'reason');
    if pg_catalog.char_length(p_reason) > 500 then
        perform internal.fail('invalid_input', 'reason must be at most 500 characters');
    end if;
    perform from app.reviews as r where r.id = p_review_id for update;
    if not found then
        perform internal.fail('not_found', 'no such review');
    end if;
    v_before := internal.review_json(p_review_id);
    if (v_before ->> 'hidden')::boolean then
        perform internal.fail('conflict', 'this review is already hidden');
    end if;
    update app.reviews as r
    set
        hidden_at = pg_catalog.now(),
        hidden_by = internal.current_user_id(),
        hidden_reason = pg_catalog.btrim(p_reason)
    where r.id = p_review_id;
    v_after := internal.review_json(p_review_id);
    perform internal.audit(
        'review.hidden', 'app.reviews', p_review_id::text, v_before, v_after, pg_catalog.btrim(p_reason)
    );
    return v_after;
end
$$;
comment on function internal.hide_review(uuid, text) is
$$Hide an abusive review (ops only), with a reason; audited. The provider's rating drops it at once.
Definer: writes the review, the rating and the audit log.$$;

create or replace function api.hide_review(review_id uuid default null, reason text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.hide_review(hide_review.review_id, hide_review.reason)
$$;
comment on function api.hide_review(uuid, text) is
$$Hide an abusive review (ops only), with a reason (at most 500 characters).

The review leaves the public list and the provider's rating; its author still sees it, marked hidden, with the reason.
The action is written to the audit log (actor, before, after, reason, request id).
Errors: 400 invalid_input (missing reason); 403 forbidden (not ops); 404 not_found; 409 conflict (already hidden).$$;

-- ---------------------------------------------------------------------------
-- Reading reviews

create or replace view api.reviews
with (security_invoker = true) as
select
    r.id,
    r.provider_id,
    r.author_name,
    r.stars,
    r.body,
    r.reply,
    r.replied_at,
    r.created_at,
    r.edited_at
from app.reviews as r
where r.hidden_at is null;
comment on view api.reviews is
$$Published reviews of providers: stars, text, the provider's reply; the author as first name and last initial.

Open to everyone. Hidden reviews are left out. Filter by provider: ?provider_id=eq.<id>&order=created_at.desc.$$;
comment on column api.reviews.id is 'Review id.';
comment on column api.reviews.provider_id is 'The reviewed provider.';
comment on column api.reviews.author_name is 'The customer''s first name and last initial ("Marie T.").';
comment on column api.reviews.stars is 'Stars, 1 to 5.';
comment on column api.reviews.body is 'The review''s text (null: stars only).';
comment on column api.reviews.reply is 'The provider''s reply (null: none).';
comment on column api.reviews.replied_at is 'When the provider replied.';
comment on column api.reviews.created_at is 'When the review was written.';
comment on column api.reviews.edited_at is 'When the review was last edited (null: never).';

create or replace view api.my_reviews
with (security_invoker = true) as
select
    r.id,
    r.booking_id,
    r.provider_id,
    r.stars,
    r.body,
    r.reply,
    r.replied_at,
    r.created_at,
    r.edited_at,
    r.created_at + pg_catalog.make_interval(days => 14) as editable_until,
    r.hidden_at is not null as hidden,
    r.hidden_reason
from app.reviews as r
where r.customer_id = (select auth.uid());
comment on view api.my_reviews is
$$Your own reviews (role customer), hidden ones included with the moderator's reason.$$;
comment on column api.my_reviews.id is 'Review id.';
comment on column api.my_reviews.booking_id is 'The reviewed booking.';
comment on column api.my_reviews.provider_id is 'The reviewed provider.';
comment on column api.my_reviews.stars is 'Stars, 1 to 5.';
comment on column api.my_reviews.body is 'The review''s text (null: stars only).';
comment on column api.my_reviews.reply is 'The provider''s reply (null: none).';
comment on column api.my_reviews.replied_at is 'When the provider replied.';
comment on column api.my_reviews.created_at is 'When the review was written.';
comment on column api.my_reviews.edited_at is 'When the review was last edited (null: never).';
comment on column api.my_reviews.editable_until is 'Until when edit_review accepts a change.';
comment on column api.my_reviews.hidden is 'Whether moderation hid the review from the public.';
comment on column api.my_reviews.hidden_reason is 'Why moderation hid it (null: not hidden).';
