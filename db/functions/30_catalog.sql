-- The catalog: providers, services, weekly hours and time off.
--
-- Tables live in app (RLS forced, see db/policies/app_*.sql). Over HTTP:
--   public, read-only    api.service_categories, api.providers, api.services
--   provider self-serve  api.my_provider, api.my_services, api.my_weekly_hours,
--                        api.my_time_off (auto-updatable, with check option)
-- Every view is security_invoker: the caller's grants and policies apply.

-- ---------------------------------------------------------------------------
-- Table triggers

create or replace function internal.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at := pg_catalog.now();
    return new;
end
$$;
comment on function internal.touch_updated_at() is
'Trigger: stamp updated_at on every update of the row.';

create or replace function internal.check_time_zones_inserted()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_bad text;
begin
    -- @plpgsql_check_options: newtable = new_rows
    -- Statement level: pg_timezone_names costs tens of milliseconds, so it is
    -- read once per statement (a COPY of 100k providers included), not per row.
    select n.time_zone into v_bad
    from new_rows as n
    where n.time_zone not in (select z.name from pg_catalog.pg_timezone_names as z)
    limit 1;
    if found then
        perform internal.fail(
            'invalid_input', pg_catalog.format('time_zone %L is not a known IANA time zone', v_bad)
        );
    end if;
    return null;
end
$$;
comment on function internal.check_time_zones_inserted() is
'Statement trigger: refuse providers whose time_zone is not in pg_timezone_names (invalid_input).';

create or replace function internal.check_time_zones_updated()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_bad text;
begin
    -- @plpgsql_check_options: oldtable = old_rows, newtable = new_rows
    -- Only changed time zones are looked up, so other updates cost nothing. The
    -- test comes first, alone: in one query the planner pushed the lookup down to
    -- every new row, and each update of a provider (its reliability counts, as a
    -- booking ends) paid ~95 ms for reading pg_timezone_names.
    if not exists (
        select from new_rows as n
        inner join old_rows as o on n.id = o.id
        where n.time_zone is distinct from o.time_zone
    ) then
        return null;
    end if;
    select n.time_zone into v_bad
    from new_rows as n
    inner join old_rows as o on n.id = o.id
    where
        n.time_zone is distinct from o.time_zone
        and n.time_zone not in (select z.name from pg_catalog.pg_timezone_names as z)
    limit 1;
    if found then
        perform internal.fail(
            'invalid_input', pg_catalog.format('time_zone %L is not a known IANA time zone', v_bad)
        );
    end if;
    return null;
end
$$;
comment on function internal.check_time_zones_updated() is
'Statement trigger: refuse a change of time_zone to a name not in pg_timezone_names (invalid_input).';

create or replace function internal.default_owner()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- A provider creating its profile through api.my_provider never names the
    -- owner: it is the caller. (The policy insert_provider_own checks it too.)
    if new.owner_id is null then
        new.owner_id := auth.uid();
    end if;
    return new;
end
$$;
comment on function internal.default_owner() is
'Trigger: a new provider without owner_id belongs to the caller (auth.uid()).';

create or replace trigger _050_default_owner
before insert on app.providers
for each row execute function internal.default_owner();

create or replace trigger _100_touch_updated_at
before update on app.providers
for each row execute function internal.touch_updated_at();

create or replace trigger _100_touch_updated_at
before update on app.services
for each row execute function internal.touch_updated_at();

create or replace trigger _100_touch_updated_at
before update on app.bookings
for each row execute function internal.touch_updated_at();

-- The quote's search key (app.services.search_key; see the migration and
-- internal.find_offers): kept on every change of what it is made of.

drop function if exists internal.rating_term(integer, numeric);
drop function if exists internal.search_key(double precision, double precision, integer, numeric, integer);

create or replace function internal.quality_term(
    p_rating_count integer,
    p_rating_avg numeric,
    p_cancellation_rate numeric,
    p_no_show_rate numeric,
    p_w_rating double precision,
    p_w_reliability double precision
)
returns double precision
language sql
immutable
-- No `set search_path` (nothing to look up but built-in operators): a set
-- clause would stop the planner from inlining it into the quote's candidate
-- queries, which score every row with it (internal.offer_score).
as $$
    select
        p_w_rating * ((5 * 4.0 + p_rating_count * coalesce(p_rating_avg, 0)) / (5 + p_rating_count) - 1)::double precision / 4
        + p_w_reliability * greatest(0, 1 - p_cancellation_rate - p_no_show_rate)::double precision
$$;
comment on function internal.quality_term(integer, numeric, numeric, numeric, double precision, double precision) is
$$The provider's part of the quote score, w_rating * R + w_reliability * Q (R the Bayesian
rating, Q = 1 - cancellation rate - no-show rate; see 40_quote.sql and docs/ranking.md):
the third coordinate of the search key, under the active ranking version's weights.$$;

create or replace function internal.search_key(
    p_lng double precision, p_lat double precision, p_quality double precision, p_price_cents integer
)
returns extensions.geometry
language sql
immutable
set search_path = ''
as $$
    select extensions.st_setsrid(extensions.st_makepoint(p_lng, p_lat, p_quality, p_price_cents), 4326)
$$;
comment on function internal.search_key(double precision, double precision, double precision, integer) is
'The search key of an offer: (longitude, latitude, quality term, price in cents).';

create or replace function internal.service_search_key()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- the quality term under the active ranking version's weights (none
    -- active: the key stays null and the offer out of the quote)
    select
        case
            when new.is_active and p.is_active
                then internal.search_key(
                    p.lng, p.lat,
                    internal.quality_term(
                        p.rating_count, p.rating_avg, p.provider_cancellation_rate, p.no_show_rate,
                        v.w_rating, v.w_reliability
                    ),
                    new.price_cents
                )
        end
    into new.search_key
    from app.providers as p
    inner join app.ranking_versions as v on v.is_active
    where p.id = new.provider_id;
    return new;
end
$$;
comment on function internal.service_search_key() is
$$Trigger: compute a service's search key from its provider (null when either is inactive).
Definer: the key must be right whoever writes the row, whatever that caller may read.$$;

create or replace function internal.provider_search_keys()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- the services' own trigger computes the value (from the updated provider)
    update app.services as s
    set search_key = null
    where s.provider_id = new.id;
    return null;
end
$$;
comment on function internal.provider_search_keys() is
$$Trigger: recompute the search keys of a provider's services when its location, rating, reliability or activity changes.
Definer: the caller (ops changing a rating, say) need not have rights on the services.$$;

create or replace trigger _050_search_key
before insert or update of provider_id, is_active, price_cents, search_key on app.services
for each row execute function internal.service_search_key();

create or replace trigger _300_search_keys
after update of
lat, lng, rating_count, rating_avg, provider_cancellation_rate, no_show_rate, is_active
on app.providers
for each row
when (
    (old.lat, old.lng, old.rating_count, old.rating_avg, old.provider_cancellation_rate, old.no_show_rate, old.is_active)
    is distinct from
    (new.lat, new.lng, new.rating_count, new.rating_avg, new.provider_cancellation_rate, new.no_show_rate, new.is_active)
)
execute function internal.provider_search_keys();

create or replace trigger _200_check_time_zones_inserted
after insert on app.providers
referencing new table as new_rows
for each statement execute function internal.check_time_zones_inserted();

create or replace trigger _200_check_time_zones_updated
after update on app.providers
referencing old table as old_rows new table as new_rows
for each statement execute function internal.check_time_zones_updated();

-- ---------------------------------------------------------------------------
-- Helpers

create or replace function internal.make_point(p_lat double precision, p_lng double precision)
returns extensions.geography
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_lat is null or not p_lat between -90 and 90 then
        perform internal.fail('invalid_input', 'lat must be a latitude between -90 and 90');
    end if;
    if p_lng is null or not p_lng between -180 and 180 then
        perform internal.fail('invalid_input', 'lng must be a longitude between -180 and 180');
    end if;
    return extensions.st_setsrid(extensions.st_makepoint(p_lng, p_lat), 4326)::extensions.geography;
end
$$;
comment on function internal.make_point(double precision, double precision) is
'A WGS 84 geography point from latitude and longitude; out-of-range values are invalid_input naming the field.';

-- ---------------------------------------------------------------------------
-- Public, read-only views

create or replace function internal.refuse_view_write()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform internal.fail('forbidden', pg_catalog.format('%I.%I is read-only', tg_table_schema, tg_table_name));
    return null;
end
$$;
comment on function internal.refuse_view_write() is
$$Instead-of trigger for api views that are not automatically updatable (joins):
without it, PATCH/DELETE/POST on such a view fails in the rewriter with 55000, a
500, before privileges are checked; with it, the caller without the privilege gets
PostgREST's 401/403, and anyone else 403 forbidden.$$;

create or replace view api.service_categories
with (security_invoker = true) as
select
    c.id,
    c.slug,
    c.name_en,
    c.name_fr
from app.service_categories as c
order by c.sort_order, c.id;
comment on view api.service_categories is
$$Service categories: the slug a quote asks for, with English and French names.

Open to everyone (anonymous included).$$;
comment on column api.service_categories.id is 'Category id (services refer to it).';
comment on column api.service_categories.slug is 'Stable machine name, e.g. haircut; the quote''s category parameter.';
comment on column api.service_categories.name_en is 'Name in English.';
comment on column api.service_categories.name_fr is 'Name in French.';

create or replace view api.providers
with (security_invoker = true) as
select
    p.id,
    p.business_name,
    p.description,
    p.lat,
    p.lng,
    p.service_radius_km,
    p.time_zone,
    p.rating_count,
    p.rating_avg,
    p.ended_bookings,
    p.provider_cancellations,
    p.no_shows,
    p.provider_cancellation_rate,
    p.no_show_rate
from app.providers as p
where p.is_active;
comment on view api.providers is
$$Active providers: the public profile only (no owner, no contact details).

Open to everyone. A provider account sees only its own profile here.$$;
comment on column api.providers.id is 'Provider id.';
comment on column api.providers.business_name is 'Business name.';
comment on column api.providers.description is 'Free-text description.';
comment on column api.providers.lat is 'Latitude of the provider''s location (WGS 84).';
comment on column api.providers.lng is 'Longitude of the provider''s location (WGS 84).';
comment on column api.providers.service_radius_km is 'How far from its location the provider serves customers (km).';
comment on column api.providers.time_zone is 'IANA time zone of the provider''s working hours.';
comment on column api.providers.rating_count is 'Number of ratings received (published reviews, see api.reviews).';
comment on column api.providers.rating_avg is
'Average rating (1 to 5), null without ratings; time-decayed: a rating weighs half as much every two years.';
comment on column api.providers.ended_bookings is 'Bookings with this provider that ended (completed, no_show or cancelled).';
comment on column api.providers.provider_cancellations is 'Of those, how many the provider cancelled.';
comment on column api.providers.no_shows is 'Of those, how many ended as no_show.';
comment on column api.providers.provider_cancellation_rate is
'Share of ended bookings the provider cancelled, shrunk towards 2% (a prior of 20 bookings): "cancels 1% of bookings".';
comment on column api.providers.no_show_rate is
'Share of ended bookings that ended as no_show, shrunk towards 2% (a prior of 20 bookings).';

create or replace view api.services
with (security_invoker = true) as
select
    s.id,
    s.provider_id,
    c.slug as category,
    s.name,
    s.description,
    s.duration_minutes,
    s.price_cents,
    s.deposit_cents,
    s.currency,
    s.buffer_before_minutes,
    s.buffer_after_minutes,
    s.min_notice_minutes,
    s.max_days_ahead,
    s.cancel_notice_hours,
    s.cancel_fee_cents
from app.services as s
inner join app.providers as p on s.provider_id = p.id
inner join app.service_categories as c on s.category_id = c.id
where s.is_active and p.is_active;
comment on view api.services is
$$Active services of active providers, with price and cancellation policy.

Open to everyone. A provider account sees only its own services here.$$;
comment on column api.services.id is 'Service id (api.available_slots takes it).';
comment on column api.services.provider_id is 'The provider selling it.';
comment on column api.services.category is 'Category slug.';
comment on column api.services.name is 'Service name.';
comment on column api.services.description is 'Free-text description.';
comment on column api.services.duration_minutes is 'Length of the appointment in minutes.';
comment on column api.services.price_cents is 'Price in cents of currency.';
comment on column api.services.deposit_cents is 'Deposit taken at booking, in cents (at most the price).';
comment on column api.services.currency is 'ISO 4217 currency (CAD).';
comment on column api.services.buffer_before_minutes is 'Time kept free before each appointment.';
comment on column api.services.buffer_after_minutes is 'Time kept free after each appointment.';
comment on column api.services.min_notice_minutes is 'How long before its start an appointment can still be booked.';
comment on column api.services.max_days_ahead is 'How many days ahead an appointment can be booked.';
comment on column api.services.cancel_notice_hours is 'Cancelling at least this many hours before the start is free.';
comment on column api.services.cancel_fee_cents is 'Fee kept when cancelling later than cancel_notice_hours.';

create or replace trigger _010_read_only
instead of insert or update or delete on api.services
for each row execute function internal.refuse_view_write();

-- ---------------------------------------------------------------------------
-- Provider self-service

create or replace view api.my_provider
with (security_invoker = true) as
select
    p.id,
    p.business_name,
    p.description,
    p.lat,
    p.lng,
    p.service_radius_km,
    p.time_zone,
    p.contact_email,
    p.contact_phone,
    p.is_active,
    p.rating_count,
    p.rating_avg,
    p.created_at,
    p.updated_at,
    p.suspended_at,
    p.suspension_reason
from app.providers as p
where p.owner_id = (select auth.uid())
with local check option;
comment on view api.my_provider is
$$The caller's own provider profile (role provider): read, create (POST) and edit (PATCH).

One profile per account (the owner is the caller); a second POST is a 409.
While Bookiji staff suspend it (suspended_at, suspension_reason), setting
is_active to true is a 409 provider_suspended.
lat/lng out of range are 400 (check constraint providers_lat_check /
providers_lng_check); an unknown time_zone is 400 invalid_input. Ratings, owner
and id cannot be written.$$;
comment on column api.my_provider.id is 'Provider id (read-only).';
comment on column api.my_provider.business_name is 'Business name (1 to 200 characters).';
comment on column api.my_provider.description is 'Free-text description (at most 4000 characters).';
comment on column api.my_provider.lat is 'Latitude of the location, -90 to 90 (WGS 84).';
comment on column api.my_provider.lng is 'Longitude of the location, -180 to 180 (WGS 84).';
comment on column api.my_provider.service_radius_km is
'How far the provider travels or serves, in km (0 < r <= 200; default 10).';
comment on column api.my_provider.time_zone is 'IANA time zone of the weekly hours (default America/Toronto).';
comment on column api.my_provider.contact_email is 'Private contact email (never shown to customers).';
comment on column api.my_provider.contact_phone is 'Private contact phone, E.164 (never shown to customers).';
comment on column api.my_provider.is_active is 'Whether the profile is listed and quotable.';
comment on column api.my_provider.rating_count is 'Number of ratings (read-only).';
comment on column api.my_provider.rating_avg is 'Average rating (read-only).';
comment on column api.my_provider.created_at is 'Creation time (read-only).';
comment on column api.my_provider.updated_at is 'Last update time (read-only).';
comment on column api.my_provider.suspended_at is
'When Bookiji staff suspended the profile (read-only; null: not suspended). While suspended it is not offered and is_active cannot be set.';
comment on column api.my_provider.suspension_reason is 'Why Bookiji staff suspended the profile (read-only).';

create or replace view api.my_services
with (security_invoker = true) as
select
    s.id,
    s.provider_id,
    s.category_id,
    s.name,
    s.description,
    s.duration_minutes,
    s.price_cents,
    s.deposit_cents,
    s.currency,
    s.buffer_before_minutes,
    s.buffer_after_minutes,
    s.min_notice_minutes,
    s.max_days_ahead,
    s.cancel_notice_hours,
    s.cancel_fee_cents,
    s.is_active,
    s.created_at,
    s.updated_at
from app.services as s
where s.provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid()))
with local check option;
comment on view api.my_services is
$$The caller's own services (role provider): read, create (POST), edit (PATCH), delete.

provider_id must be the caller's provider. Durations, prices and buffers are
checked by the database (400 naming the constraint and so the field); the
currency is CAD.$$;
comment on column api.my_services.id is 'Service id (read-only).';
comment on column api.my_services.provider_id is 'The caller''s provider id (set on creation, then read-only).';
comment on column api.my_services.category_id is 'Category (see api.service_categories).';
comment on column api.my_services.name is 'Service name (1 to 200 characters).';
comment on column api.my_services.description is 'Free-text description.';
comment on column api.my_services.duration_minutes is 'Length of the appointment, 5 to 1440 minutes.';
comment on column api.my_services.price_cents is 'Price in cents, >= 0.';
comment on column api.my_services.deposit_cents is 'Deposit in cents, 0 to the price.';
comment on column api.my_services.currency is 'Currency (CAD, read-only).';
comment on column api.my_services.buffer_before_minutes is 'Time kept free before each appointment, 0 to 240 minutes.';
comment on column api.my_services.buffer_after_minutes is 'Time kept free after each appointment, 0 to 240 minutes.';
comment on column api.my_services.min_notice_minutes is 'Minimum notice before the start, in minutes (default 60).';
comment on column api.my_services.max_days_ahead is 'How many days ahead it can be booked, 1 to 730 (default 60).';
comment on column api.my_services.cancel_notice_hours is
'Free cancellation up to this many hours before the start (default 24).';
comment on column api.my_services.cancel_fee_cents is 'Fee for a later cancellation, 0 to the price (default 0).';
comment on column api.my_services.is_active is 'Whether the service is listed and quotable.';
comment on column api.my_services.created_at is 'Creation time (read-only).';
comment on column api.my_services.updated_at is 'Last update time (read-only).';

create or replace view api.my_weekly_hours
with (security_invoker = true) as
select
    h.id,
    h.provider_id,
    h.day_of_week,
    h.start_time,
    h.end_time,
    h.created_at
from app.weekly_hours as h
where h.provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid()))
with local check option;
comment on view api.my_weekly_hours is
$$The caller's weekly working hours (role provider): read, create, edit, delete.

Local wall-clock times in the provider's time zone; day_of_week 0 = Sunday.
Several intervals per day are fine; overlapping ones and end_time <= start_time
are refused (400).$$;
comment on column api.my_weekly_hours.id is 'Interval id (read-only).';
comment on column api.my_weekly_hours.provider_id is 'The caller''s provider id (set on creation).';
comment on column api.my_weekly_hours.day_of_week is 'Day of week, 0 = Sunday to 6 = Saturday.';
comment on column api.my_weekly_hours.start_time is 'Local start time, e.g. 09:00.';
comment on column api.my_weekly_hours.end_time is 'Local end time, after start_time (24:00 allowed).';
comment on column api.my_weekly_hours.created_at is 'Creation time (read-only).';

create or replace view api.my_time_off
with (security_invoker = true) as
select
    t.id,
    t.provider_id,
    t.during,
    lower(t.during) as starts_at,
    upper(t.during) as ends_at,
    t.reason,
    t.created_at
from app.time_off as t
where t.provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid()))
with local check option;
comment on view api.my_time_off is
$$The caller's time off (role provider): read, create, edit, delete.

during is a finite tstzrange such as ["2026-12-24 00:00-05","2026-12-27 00:00-05");
overlapping periods are refused (400).$$;
comment on column api.my_time_off.id is 'Time-off id (read-only).';
comment on column api.my_time_off.provider_id is 'The caller''s provider id (set on creation).';
comment on column api.my_time_off.during is 'The period, a finite tstzrange.';
comment on column api.my_time_off.starts_at is 'Start of the period (read-only).';
comment on column api.my_time_off.ends_at is 'End of the period (read-only).';
comment on column api.my_time_off.reason is 'Free-text reason (private).';
comment on column api.my_time_off.created_at is 'Creation time (read-only).';
