-- Analytics (db/functions/80-86): who may call what. The api functions check the
-- role again (403 forbidden) and read under the caller's row-level security, but for the
-- cohorts' and the areas' rollups, which no API role reads: ops reach them through two definer
-- functions (internal.analytics_cohort_activity, internal.analytics_area_figures).
revoke all on function
internal.analytics_apply(app.analytics_booking_facts, app.analytics_booking_facts),
internal.analytics_add(app.analytics_booking_facts, app.analytics_booking_facts),
internal.analytics_refresh_booking(uuid),
internal.analytics_payment_delta(uuid, bigint, bigint, bigint, bigint),
internal.analytics_compact(),
internal.analytics_ops_rows(timestamptz, timestamptz, text, text),
internal.analytics_bucket_rows(uuid, timestamptz, timestamptz, text, text),
internal.analytics_booking_changed(),
internal.analytics_add_new_booking(app.bookings, bigint, bigint, bigint, bigint),
internal.analytics_booking_row_changed(),
internal.analytics_service_category_changed(),
internal.analytics_rebuild_facts(),
internal.analytics_drift_facts(),
internal.analytics_rebuild(),
internal.analytics_rebuild_bookings(),
internal.analytics_rebuild_cohorts(),
internal.analytics_drift(),
internal.analytics_customer_lock(uuid),
internal.analytics_customer_lock_key(uuid),
internal.analytics_grain_start(text, timestamptz),
internal.analytics_provider_customer_refresh(uuid, uuid),
internal.analytics_customer_add(uuid, timestamptz, integer),
internal.analytics_customer_refresh(uuid),
internal.analytics_cohort_booking_changed(),
internal.analytics_cohort_user_changed(),
internal.analytics_customer_first_refresh(uuid),
internal.analytics_first_booking_changed(),
internal.analytics_place_providers(uuid[]),
internal.analytics_place_inserted(),
internal.analytics_place_moved(),
internal.analytics_place_areas_changed(),
internal.analytics_place_peers(uuid[]),
internal.analytics_peers_inserted(),
internal.analytics_peers_deleted(),
internal.analytics_peers_updated(),
internal.analytics_cohort_activity(timestamptz, timestamptz, text, integer),
internal.analytics_area_figures(timestamptz, timestamptz, integer, text, numeric),
internal.analytics_window(date, date, text, text, integer),
internal.analytics_subject(uuid, boolean),
internal.analytics_rows(uuid, timestamptz, timestamptz),
internal.analytics_series(uuid, timestamptz, timestamptz, text, text),
internal.analytics_refund_taxes(uuid, timestamptz, timestamptz, text, text),
internal.analytics_peer_ranks(uuid, timestamptz, timestamptz),
api.analytics_overview(date, date, text, text),
api.analytics_revenue(date, date, text, text, uuid),
api.analytics_provider(date, date, text, text, uuid),
api.analytics_funnel(date, date, text, text),
api.analytics_cohorts(date, date, text, integer),
api.analytics_customers(date, date, text, text, text),
internal.analytics_cell(numeric),
internal.analytics_area(double precision, double precision, numeric),
internal.refund_reason_kind(text, text),
internal.analytics_performance(uuid, date, date, numeric, uuid, integer),
internal.analytics_today_zone(text),
internal.analytics_today_made(uuid, timestamptz, timestamptz),
internal.analytics_today_counters(text, uuid),
internal.analytics_queue_depth(),
internal.analytics_place_lock(uuid),
internal.analytics_quote_booking_refresh(uuid),
internal.analytics_quote_lock_key(uuid),
internal.analytics_funnel_booking_changed(),
internal.analytics_funnel_quote_changed(),
internal.analytics_funnel_payment_changed(),
internal.analytics_rebuild_funnel(),
api.analytics_performance(date, date, uuid, numeric, uuid, integer),
api.analytics_areas(date, date, text, numeric, text, text),
api.analytics_refunds(date, date, text, text, uuid),
api.analytics_today(text, uuid),
internal.analytics_place(uuid[], text, numeric),
internal.analytics_area_kind(text),
internal.analytics_area_key(text, text, text),
internal.analytics_bucket(timestamptz, text, text, timestamptz, timestamptz),
internal.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
),
internal.analytics_drill(
    uuid, timestamptz, timestamptz, text, text, text, integer, text, text, text, numeric, timestamptz, uuid, integer
),
api.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
),
internal.analytics_drill_total(uuid, timestamptz, timestamptz, text, text, integer, text),
internal.analytics_drill_area_total(timestamptz, timestamptz, text, text, integer, text, text, text, numeric),
internal.analytics_drill_match(app.analytics_booking_facts, text, text, integer, text),
internal.analytics_figure_count(
    text, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint
),
internal.analytics_offered_live(uuid[], date, date),
internal.analytics_offered_target(),
internal.analytics_offered(uuid[], date, date),
internal.analytics_offered_refresh(uuid[]),
internal.analytics_offered_inserted(),
internal.analytics_offered_deleted(),
internal.analytics_offered_updated(),
internal.analytics_offered_zone_changed(),
internal.analytics_offered_advance()
from public, anon, customer, provider, ops, bookiji_worker;

-- the helpers the invoker api functions call
grant execute on function
internal.analytics_window(date, date, text, text, integer),
internal.analytics_subject(uuid, boolean),
internal.analytics_rows(uuid, timestamptz, timestamptz),
internal.analytics_series(uuid, timestamptz, timestamptz, text, text),
internal.analytics_refund_taxes(uuid, timestamptz, timestamptz, text, text),
internal.analytics_ops_rows(timestamptz, timestamptz, text, text),
internal.analytics_bucket_rows(uuid, timestamptz, timestamptz, text, text),
internal.analytics_peer_ranks(uuid, timestamptz, timestamptz),
internal.analytics_offered_live(uuid[], date, date),
internal.analytics_offered(uuid[], date, date),
internal.analytics_cell(numeric),
internal.analytics_area(double precision, double precision, numeric),
internal.refund_reason_kind(text, text),
internal.analytics_performance(uuid, date, date, numeric, uuid, integer),
internal.analytics_today_zone(text),
internal.analytics_today_made(uuid, timestamptz, timestamptz),
internal.analytics_today_counters(text, uuid),
internal.analytics_queue_depth(),
internal.analytics_place(uuid[], text, numeric),
internal.analytics_area_kind(text),
internal.analytics_area_key(text, text, text),
internal.analytics_bucket(timestamptz, text, text, timestamptz, timestamptz),
internal.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
),
internal.analytics_drill(
    uuid, timestamptz, timestamptz, text, text, text, integer, text, text, text, numeric, timestamptz, uuid, integer
)
to provider, ops;

-- ops only
grant execute on function
internal.analytics_cohort_activity(timestamptz, timestamptz, text, integer),
internal.analytics_area_figures(timestamptz, timestamptz, integer, text, numeric),
api.analytics_overview(date, date, text, text),
api.analytics_funnel(date, date, text, text),
api.analytics_cohorts(date, date, text, integer),
api.analytics_customers(date, date, text, text, text),
api.analytics_areas(date, date, text, numeric, text, text)
to ops;
-- a provider its own, ops any
grant execute on function
api.analytics_revenue(date, date, text, text, uuid),
api.analytics_provider(date, date, text, text, uuid),
api.analytics_performance(date, date, uuid, numeric, uuid, integer),
api.analytics_refunds(date, date, text, text, uuid),
api.analytics_today(text, uuid),
api.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
)
to provider, ops;

-- the worker folds the deltas and moves the offered days' window after each sweep
grant execute on function internal.analytics_compact(), internal.analytics_offered_advance() to bookiji_worker;
