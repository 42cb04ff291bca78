-- Grants on the catalog, availability and quote functions and views
-- (db/functions/30_catalog.sql, 35_availability.sql, 40_quote.sql).
-- Everything starts from revoke; each grant is by name.

-- Functions
revoke all on function
internal.touch_updated_at(),
internal.quality_term(integer, numeric, numeric, numeric, double precision, double precision),
internal.search_key(double precision, double precision, double precision, integer),
internal.service_search_key(),
internal.provider_search_keys(),
internal.check_time_zones_inserted(),
internal.check_time_zones_updated(),
internal.make_point(double precision, double precision),
internal.default_owner(),
internal.working_ranges(uuid, text, tstzrange),
internal.busy_ranges(uuid, tstzrange, timestamptz),
internal.slot_is_free(uuid, text, tstzrange, timestamptz),
internal.service_slots(uuid, timestamptz, timestamptz, integer, timestamptz),
api.available_slots(uuid, timestamptz, timestamptz, integer),
internal.offer_score(
    double precision, double precision, double precision, integer, integer, double precision, double precision,
    double precision, double precision
),
internal.quote_candidates(integer, extensions.geography, timestamptz, double precision, timestamptz, uuid),
internal.quote_candidates_near(
    integer, extensions.geography, timestamptz, double precision, double precision, integer, timestamptz,
    double precision, double precision, double precision, double precision, uuid[], double precision[],
    double precision, double precision[]
),
internal.search_box(
    double precision, double precision, double precision, double precision, double precision, double precision
),
internal.quote_candidates_in(
    integer, extensions.geography, timestamptz, double precision, integer, double precision,
    double precision[], double precision[], double precision[], double precision[], timestamptz,
    double precision, double precision, double precision, double precision, uuid[], double precision[],
    double precision, double precision[]
),
internal.find_offers(integer, extensions.geography, timestamptz, double precision, integer, timestamptz, uuid),
internal.quote(text, double precision, double precision, timestamptz, double precision, integer),
api.quote(text, double precision, double precision, timestamptz, double precision, integer)
from public, anon, customer, provider, ops, bookiji_worker;

-- Availability: open to everyone.
grant execute on function internal.service_slots(uuid, timestamptz, timestamptz, integer, timestamptz)
to anon, customer, provider, ops;
grant execute on function api.available_slots(uuid, timestamptz, timestamptz, integer)
to anon, customer, provider, ops;

-- Quote: customers only. internal.quote stays callable by every API role (it
-- answers anonymous callers with 401 and providers/ops with 403 itself); the api
-- wrapper is granted to customers alone, so the others get 401/403 from PostgREST
-- (the gateway gives them the registered code) and no /rpc/quote in their OpenAPI.
grant execute on function
internal.quote(text, double precision, double precision, timestamptz, double precision, integer)
to anon, customer, provider, ops;
grant execute on function
api.quote(text, double precision, double precision, timestamptz, double precision, integer)
to customer;

-- Views
revoke all on
api.service_categories, api.providers, api.services,
api.my_provider, api.my_services, api.my_weekly_hours, api.my_time_off,
api.my_quote_offers
from public, anon, customer, provider, ops, bookiji_worker;

grant select on api.service_categories, api.providers, api.services to anon, customer, provider, ops;

grant select on api.my_provider to provider;
grant insert (
    business_name, description, lat, lng, service_radius_km, time_zone,
    contact_email, contact_phone, is_active
) on api.my_provider to provider;
grant update (
    business_name, description, lat, lng, service_radius_km, time_zone,
    contact_email, contact_phone, is_active
) on api.my_provider to provider;

grant select, delete on api.my_services to provider;
grant insert (
    provider_id, category_id, name, description, duration_minutes, price_cents, deposit_cents,
    buffer_before_minutes, buffer_after_minutes, min_notice_minutes, max_days_ahead,
    cancel_notice_hours, cancel_fee_cents, is_active
) on api.my_services to provider;
grant update (
    category_id, name, description, duration_minutes, price_cents, deposit_cents,
    buffer_before_minutes, buffer_after_minutes, min_notice_minutes, max_days_ahead,
    cancel_notice_hours, cancel_fee_cents, is_active
) on api.my_services to provider;

grant select, delete on api.my_weekly_hours to provider;
grant insert (provider_id, day_of_week, start_time, end_time) on api.my_weekly_hours to provider;
grant update (day_of_week, start_time, end_time) on api.my_weekly_hours to provider;

grant select, delete on api.my_time_off to provider;
grant insert (provider_id, during, reason) on api.my_time_off to provider;
grant update (during, reason) on api.my_time_off to provider;

grant select on api.my_quote_offers to customer;
