-- The error registry: every refusal the database makes goes through
-- internal.fail(code, message), which raises SQLSTATE PTxyz so that PostgREST
-- answers with HTTP status xyz, and puts the stable machine code in `hint`.
-- docs/errors.md lists the same codes; a test keeps the two in step.

create or replace function internal.error_codes()
returns table (code text, http_status integer, description text)
language sql
immutable
parallel safe
set search_path = ''
as $$
    select v.code, v.http_status, v.description
    from (
        values
        ('invalid_input', 400, 'A parameter is missing, malformed or out of range; the message names it.'),
        ('invalid_signature', 400, 'A webhook''s signature is missing, wrong or stale; nothing was stored.'),
        (
            'too_costly', 400,
            'The request asks for more work than the API allows (embedding, select width, or= tree, offset, exact count); the message names the limit.'
        ),
        ('invalid_one_time_token', 400, 'The email confirmation or password reset token is unknown, used or expired.'),
        ('not_authenticated', 401, 'The request needs a valid access token.'),
        ('invalid_token', 401, 'The token is expired, lacks exp/iat/aud/sid, has the wrong audience, or its session has ended.'),
        ('invalid_credentials', 401, 'Wrong email or password.'),
        ('forbidden', 403, 'The caller''s role may not do this.'),
        ('wrong_password', 403, 'The password given to confirm a sensitive action (deleting the account) is wrong.'),
        ('not_found', 404, 'No such object visible to the caller.'),
        ('method_not_allowed', 405, 'GET or HEAD on a function that changes data; call it with POST.'),
        ('conflict', 409, 'The request conflicts with the current state.'),
        ('slot_unavailable', 409, 'The slot (with its buffers) is taken, or outside the provider''s hours.'),
        ('invalid_transition', 409, 'The booking''s current state does not allow this change.'),
        ('too_late', 409, 'The booking''s notice period for this change has passed.'),
        (
            'booking_started', 409,
            'The booking has started: it can no longer be cancelled or moved (the provider marks it completed or no_show).'
        ),
        (
            'booking_not_completed', 409,
            'Only a completed booking can be reviewed; this one has not been completed (yet).'
        ),
        ('already_reviewed', 409, 'The booking already has a review; change it with edit_review.'),
        ('edit_window_closed', 409, 'The review was written more than 14 days ago and can no longer be changed.'),
        ('already_replied', 409, 'The review already has the provider''s reply (one reply per review).'),
        (
            'balance_not_due', 409,
            'The booking has no balance to pay now: no charge of it to the saved card failed, or it is paid.'
        ),
        ('quote_expired', 410, 'The quote has expired; ask for a new one.'),
        ('idempotency_key_reused', 422, 'The Idempotency-Key was already used with a different request.'),
        (
            'too_many_holds', 429,
            'Too many bookings awaiting payment at once, for the account or from its network; pay or let one expire.'
        ),
        ('email_taken', 409, 'An account with this email already exists.'),
        (
            'provider_suspended', 409,
            'Bookiji staff suspended this provider: it is not offered and cannot make itself active until they reinstate it.'
        ),
        (
            'account_not_deletable', 409,
            'The account still has upcoming confirmed bookings, bookings awaiting payment or refunds in progress; the message names them.'
        ),
        ('payload_too_large', 413, 'The request body is over the size limit (nginx).'),
        ('uri_too_long', 414, 'The request line (path and query string) is over 8 KB (nginx).'),
        (
            'too_many_waitlist_entries', 429,
            'The customer already has the most active waitlist entries allowed (10); leave one or let one expire.'
        ),
        ('too_many_reviews', 429, 'More than 10 reviews in 24 hours from one customer; try again later.'),
        ('rate_limited', 429, 'Too many requests; retry after the number of seconds in Retry-After.'),
        ('internal_error', 500, 'An unexpected failure; nothing was written.'),
        ('unavailable', 503, 'The API or its database is restarting; retry after Retry-After seconds.'),
        (
            'statement_timeout', 503,
            'The request ran past the API roles'' statement timeout and was cancelled; nothing was written.'
        )
    ) as v (code, http_status, description)
$$;
comment on function internal.error_codes() is
'The registry of machine error codes and the HTTP status each maps to.';

create or replace function internal.fail(
    p_code text,
    p_message text,
    p_detail text default null
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_status integer;
begin
    select e.http_status into v_status
    from internal.error_codes() as e
    where e.code = p_code;
    if v_status is null then
        raise exception 'unknown error code %', p_code;
    end if;
    -- PostgREST sends a PT error's message as the HTTP reason phrase too, so a
    -- line break in it (an echoed input such as a category "a\nb") ends the
    -- status line and the client gets a broken response. Line breaks are
    -- shown escaped, other control characters as '?'.
    raise exception using
        errcode = 'PT' || v_status::text,
        message = pg_catalog.regexp_replace(
            pg_catalog.replace(pg_catalog.replace(p_message, E'\r', '\r'), E'\n', '\n'),
            '[\x01-\x08\x0b-\x1f\x7f]', '?', 'g'
        ),
        detail = coalesce(p_detail, ''),
        hint = p_code;
end
$$;
comment on function internal.fail(text, text, text) is
$$Raise a registered error: SQLSTATE PT<status> (PostgREST answers with that
status), code in hint; control characters in the message are escaped (it is
also the HTTP reason phrase).$$;

-- The constraint registry: every constraint of app (check, unique, primary and
-- foreign key, exclusion) with the registered code and the message clients get
-- when a write breaks it. PostgreSQL's own message names the table and the
-- constraint ("... violates unique constraint "providers_owner_id_key"") and its
-- detail the row; neither reaches a client. Writes through the api views break
-- constraints outside any function, so the gateway makes the substitution
-- (worker/gateway/errors.js) from a copy of this table, worker/gateway/
-- constraint_errors.js, which `make db-dump` writes from a fresh deploy (a test
-- fails when it is stale). A constraint missing here is answered with a neutral
-- message per SQLSTATE; tests/db/test_security_lint.py fails the suite first.
-- Constraints only the definers' own writes can break are internal_error: a
-- client reaching one has found a bug.
create or replace function internal.constraint_errors()
returns table (constraint_name text, code text, message text)
language sql
immutable
parallel safe
set search_path = ''
as $$
    select v.constraint_name, v.code, v.message
    from (
        values
        -- users
        ('users_pkey', 'conflict', 'this account already exists'),
        ('users_email_key', 'email_taken', 'an account with this email already exists'),
        ('users_email_check', 'invalid_input', 'email must be an address (at most 254 characters)'),
        ('users_full_name_check', 'invalid_input', 'full_name must be 1 to 200 characters'),
        ('users_locale_check', 'invalid_input', 'locale must be en or fr'),
        ('users_phone_check', 'invalid_input', 'phone must be in E.164 form (+15145550123)'),
        ('users_role_check', 'invalid_input', 'role must be customer or provider'),
        -- service categories
        ('service_categories_pkey', 'conflict', 'this category already exists'),
        ('service_categories_slug_key', 'conflict', 'a category with this slug already exists'),
        ('service_categories_slug_check', 'invalid_input', 'slug must be 2 to 40 lowercase letters, digits or dashes'),
        ('service_categories_name_en_check', 'invalid_input', 'name_en must be 1 to 80 characters'),
        ('service_categories_name_fr_check', 'invalid_input', 'name_fr must be 1 to 80 characters'),
        -- providers
        ('providers_pkey', 'conflict', 'this provider profile already exists'),
        ('providers_owner_id_key', 'conflict', 'you already have a provider profile; update it instead (PATCH /my_provider)'),
        ('providers_owner_id_fkey', 'not_found', 'the owner account does not exist'),
        ('providers_business_name_check', 'invalid_input', 'business_name must be 1 to 200 characters'),
        ('providers_contact_email_check', 'invalid_input', 'contact_email must be an address (at most 254 characters)'),
        ('providers_contact_phone_check', 'invalid_input', 'contact_phone must be in E.164 form (+15145550123)'),
        ('providers_description_check', 'invalid_input', 'description must be at most 4000 characters'),
        ('providers_lat_check', 'invalid_input', 'lat must be between -90 and 90'),
        ('providers_lng_check', 'invalid_input', 'lng must be between -180 and 180'),
        ('providers_service_radius_km_check', 'invalid_input', 'service_radius_km must be more than 0 and at most 200'),
        ('providers_time_zone_check', 'invalid_input', 'time_zone must be 1 to 64 characters'),
        ('providers_rating_avg_check', 'internal_error', 'the rating could not be recorded'),
        (
            'providers_suspended_inactive_check', 'provider_suspended',
            'is_active cannot be set: Bookiji suspended this provider; only Bookiji staff can reinstate it'
        ),
        ('providers_suspension_check', 'internal_error', 'the suspension could not be recorded'),
        ('providers_suspended_by_fkey', 'internal_error', 'the suspension could not be recorded'),
        ('providers_rating_count_check', 'internal_error', 'the rating could not be recorded'),
        -- services
        ('services_pkey', 'conflict', 'this service already exists'),
        ('services_provider_id_fkey', 'invalid_input', 'provider_id must be your provider profile''s id'),
        ('services_category_id_fkey', 'invalid_input', 'category_id must be one of GET /service_categories'),
        ('services_buffer_after_minutes_check', 'invalid_input', 'buffer_after_minutes must be between 0 and 240'),
        ('services_buffer_before_minutes_check', 'invalid_input', 'buffer_before_minutes must be between 0 and 240'),
        ('services_cancel_fee_cents_check', 'invalid_input', 'cancel_fee_cents must be between 0 and price_cents'),
        ('services_cancel_notice_hours_check', 'invalid_input', 'cancel_notice_hours must be between 0 and 720'),
        ('services_currency_check', 'invalid_input', 'currency must be CAD'),
        ('services_deposit_cents_check', 'invalid_input', 'deposit_cents must be between 0 and price_cents'),
        ('services_description_check', 'invalid_input', 'description must be at most 4000 characters'),
        ('services_duration_minutes_check', 'invalid_input', 'duration_minutes must be between 5 and 1440'),
        ('services_max_days_ahead_check', 'invalid_input', 'max_days_ahead must be between 1 and 730'),
        ('services_min_notice_minutes_check', 'invalid_input', 'min_notice_minutes must be between 0 and 43200'),
        ('services_name_check', 'invalid_input', 'name must be 1 to 200 characters'),
        ('services_price_cents_check', 'invalid_input', 'price_cents must be between 0 and 100000000'),
        -- weekly hours and time off
        ('weekly_hours_pkey', 'conflict', 'these hours already exist'),
        ('weekly_hours_provider_id_fkey', 'invalid_input', 'provider_id must be your provider profile''s id'),
        ('weekly_hours_day_of_week_check', 'invalid_input', 'day_of_week must be between 0 (Sunday) and 6'),
        ('weekly_hours_end_time_check', 'invalid_input', 'end_time must be after start_time'),
        (
            'weekly_hours_provider_id_day_of_week_excl', 'conflict',
            'these hours (day_of_week, start_time to end_time) overlap hours you already have that day'
        ),
        ('time_off_pkey', 'conflict', 'this time off already exists'),
        ('time_off_provider_id_fkey', 'invalid_input', 'provider_id must be your provider profile''s id'),
        ('time_off_during_check', 'invalid_input', 'during must be a non-empty range with a start and an end'),
        ('time_off_reason_check', 'invalid_input', 'reason must be at most 500 characters'),
        ('time_off_provider_id_during_excl', 'conflict', 'this time off (during) overlaps time off you already have'),
        -- quotes
        ('quotes_pkey', 'conflict', 'this quote already exists'),
        ('quotes_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('quotes_category_id_fkey', 'invalid_input', 'category must be one of GET /service_categories'),
        ('quotes_expires_at_check', 'internal_error', 'the quote could not be recorded'),
        ('quotes_radius_km_check', 'invalid_input', 'radius_km must be more than 0 and at most 100'),
        ('quotes_ranking_version_fkey', 'internal_error', 'the quote could not be recorded'),
        ('ranking_versions_pkey', 'conflict', 'this ranking version already exists'),
        ('ranking_versions_version_check', 'invalid_input', 'a ranking version is a number from 1'),
        ('ranking_versions_weights_check', 'invalid_input',
            'ranking weights must be at least 0 (distance above 0, personal at most 1)'),
        ('ranking_versions_weights_sum_check', 'invalid_input',
            'the distance, rating, price and reliability weights must add up to 1'),
        ('ranking_versions_source_check', 'invalid_input', 'a ranking version''s source is fixed or trained'),
        ('ranking_versions_w_quality_check', 'invalid_input', 'a ranking version''s w_quality is between 0 and 1'),
        ('ranking_versions_note_check', 'invalid_input', 'a ranking version''s note has at most 500 characters'),
        ('quality_versions_pkey', 'conflict', 'this quality version already exists'),
        ('quality_versions_version_check', 'invalid_input', 'a quality version is a number from 1'),
        ('quality_versions_coefficients_check', 'invalid_input',
            'a quality version has one coefficient per feature, after the intercept'),
        ('quality_versions_source_check', 'invalid_input', 'a quality version''s source is fixed or trained'),
        ('quality_versions_note_check', 'invalid_input', 'a quality version''s note has at most 500 characters'),
        ('quote_items_pkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_quote_id_rank_key', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_quote_id_fkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_provider_id_fkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_service_id_fkey', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_cancel_fee_cents_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_deposit_cents_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_distance_m_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_duration_minutes_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_price_cents_check', 'internal_error', 'the quote could not be recorded'),
        ('quote_items_rank_check', 'internal_error', 'the quote could not be recorded'),
        -- bookings
        ('bookings_pkey', 'conflict', 'this booking already exists'),
        ('bookings_provider_id_blocked_excl', 'slot_unavailable', 'the slot (with its buffers) is taken'),
        ('bookings_customer_id_fkey', 'conflict', 'the account has bookings and cannot be deleted'),
        ('bookings_provider_id_fkey', 'conflict', 'the provider has bookings and cannot be deleted; set is_active to false instead'),
        ('bookings_service_id_fkey', 'conflict', 'the service has bookings and cannot be deleted; set is_active to false instead'),
        ('bookings_quote_id_fkey', 'not_found', 'the quote does not exist'),
        ('bookings_cancelled_by_fkey', 'internal_error', 'the booking could not be recorded'),
        ('bookings_blocked_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_cancel_fee_cents_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_cancel_notice_hours_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_cancelled_by_role_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_deposit_cents_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_during_check', 'invalid_input', 'starts_at must give a booking with a start and an end'),
        ('bookings_price_cents_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_status_check', 'internal_error', 'the booking could not be recorded'),
        ('bookings_taxes_check', 'internal_error', 'the booking''s taxes could not be recorded'),
        ('bookings_dispute_status_check', 'internal_error', 'the dispute could not be recorded'),
        -- sales-tax registrations
        ('provider_tax_registrations_pkey', 'conflict', 'this provider''s tax registration already exists'),
        ('provider_tax_registrations_provider_id_fkey', 'not_found', 'the provider does not exist'),
        (
            'provider_tax_registrations_gst_number_check', 'invalid_input',
            'gst_number must be 9 digits, RT and 4 digits (123456782RT0001)'
        ),
        (
            'provider_tax_registrations_qst_number_check', 'invalid_input',
            'qst_number must be 10 digits, TQ and 4 digits (1234567890TQ0001)'
        ),
        ('booking_fees_pkey', 'internal_error', 'the fee could not be recorded'),
        ('booking_fees_booking_id_kind_key', 'conflict', 'this booking''s fee is already recorded'),
        ('booking_fees_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('booking_fees_payment_id_fkey', 'not_found', 'the payment does not exist'),
        ('booking_fees_amount_cents_check', 'internal_error', 'the fee could not be recorded'),
        ('booking_fees_kind_check', 'internal_error', 'the fee could not be recorded'),
        ('idempotency_keys_pkey', 'idempotency_key_reused', 'this Idempotency-Key was already used'),
        ('idempotency_keys_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('idempotency_keys_key_check', 'invalid_input', 'the Idempotency-Key header must be 1 to 255 characters'),
        -- payments and refunds
        ('payments_pkey', 'internal_error', 'the payment could not be recorded'),
        ('payments_booking_id_key', 'conflict', 'this booking already has a payment'),
        ('payments_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('payments_stripe_payment_intent_id_key', 'conflict', 'this PaymentIntent belongs to another payment'),
        ('payments_amount_cents_check', 'internal_error', 'the payment could not be recorded'),
        ('payments_captured_cents_check', 'internal_error', 'the payment could not be recorded'),
        ('payments_status_check', 'internal_error', 'the payment could not be recorded'),
        ('refunds_pkey', 'internal_error', 'the refund could not be recorded'),
        ('refunds_stripe_refund_id_key', 'conflict', 'this Stripe refund belongs to another refund'),
        ('refunds_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('refunds_payment_id_fkey', 'not_found', 'the payment does not exist'),
        ('refunds_requested_by_fkey', 'not_found', 'the requesting account does not exist'),
        ('refunds_amount_cents_check', 'invalid_input', 'amount_cents must be more than 0'),
        ('refunds_reason_check', 'invalid_input', 'reason must be 1 to 500 characters'),
        ('refunds_status_check', 'internal_error', 'the refund could not be recorded'),
        ('payment_mismatches_pkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_payment_id_key', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_payment_id_fkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_booking_id_fkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('payment_mismatches_refund_id_fkey', 'internal_error', 'the payment mismatch could not be recorded'),
        ('disputes_pkey', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_booking_id_fkey', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_payment_id_fkey', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_id_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_amount_cents_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_reason_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_status_check', 'internal_error', 'the dispute could not be recorded'),
        ('disputes_outcome_check', 'internal_error', 'the dispute could not be recorded'),
        -- the balance after a deposit (57_balance.sql; written by definers only)
        ('balance_payments_pkey', 'conflict', 'the balance of this booking is already settled'),
        ('balance_payments_booking_id_fkey', 'not_found', 'no such booking'),
        ('balance_payments_marked_by_fkey', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_stripe_payment_intent_id_key', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_method_check', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_status_check', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_venue_check', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_cents_check', 'internal_error', 'the balance payment could not be recorded'),
        ('balance_payments_application_fee_cents_check', 'internal_error', 'the balance payment could not be recorded'),
        ('stripe_customers_pkey', 'internal_error', 'the Stripe customer could not be recorded'),
        ('stripe_customers_user_id_fkey', 'not_found', 'no such user'),
        ('stripe_customers_stripe_customer_id_key', 'internal_error', 'the Stripe customer could not be recorded'),
        ('stripe_customers_stripe_customer_id_check', 'internal_error', 'the Stripe customer could not be recorded'),
        -- Stripe Connect (55_connect.sql; written by definers only)
        ('payout_accounts_pkey', 'internal_error', 'the payout account could not be recorded'),
        ('payout_accounts_provider_id_fkey', 'not_found', 'the provider does not exist'),
        ('payout_accounts_stripe_account_id_key', 'internal_error', 'the payout account could not be recorded'),
        ('payout_accounts_stripe_account_id_check', 'internal_error', 'the payout account could not be recorded'),
        ('payout_accounts_capabilities_check', 'internal_error', 'the payout account could not be recorded'),
        ('commission_rates_pkey', 'internal_error', 'the commission could not be recorded'),
        ('commission_rates_category_id_fkey', 'not_found', 'the category does not exist'),
        ('commission_rates_updated_by_fkey', 'internal_error', 'the commission could not be recorded'),
        ('commission_rates_rate_bp_check', 'invalid_input', 'rate_bp must be between 0 and 10000'),
        ('commission_rates_minimum_cents_check', 'invalid_input', 'minimum_cents must be between 0 and 1000000'),
        ('bookings_commission_check', 'internal_error', 'the booking''s commission could not be recorded'),
        ('payments_application_fee_cents_check', 'internal_error', 'the payment could not be recorded'),
        ('refunds_unwind_check', 'internal_error', 'the refund could not be recorded'),
        ('refunds_reversal_apart_check', 'internal_error', 'the refund could not be recorded'),
        -- what the platform owes (65_owed_payouts.sql; written by definers only)
        ('owed_transfers_pkey', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_booking_id_fkey', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_payment_id_fkey', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_booking_id_balance_charge_attempt_key', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_stripe_transfer_id_key', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_attempt_check', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_destination_check', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_amount_cents_check', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_status_check', 'internal_error', 'the owed transfer could not be recorded'),
        ('owed_transfers_stripe_transfer_id_check', 'internal_error', 'the owed transfer could not be recorded'),
        ('refunds_owed_transfer_id_fkey', 'internal_error', 'the refund could not be recorded'),
        ('refunds_payout_share_cents_check', 'internal_error', 'the refund could not be recorded'),
        ('stripe_events_pkey', 'conflict', 'this event was already received'),
        ('stripe_events_id_check', 'invalid_input', 'the event id must look like evt_...'),
        -- the event log (written by definers only)
        ('events_pkey', 'internal_error', 'the event could not be recorded'),
        -- analytics rollups (derived rows, written by definer triggers only)
        ('analytics_booking_facts_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_provider_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_days_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_offered_days_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_offered_days_provider_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_offered_window_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_offered_window_id_check', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_offered_window_days_check', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_customer_weeks_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_customer_weeks_customer_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_customer_firsts_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_customer_firsts_customer_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_first_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_provider_customers_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_provider_customers_provider_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_provider_customers_customer_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_provider_places_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_provider_places_provider_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_peer_places_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_peer_places_provider_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_peer_places_category_id_fkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_area_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_area_days_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_area_hours_kind_check', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_area_days_kind_check', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_area_weeks_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_area_weeks_kind_check', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_area_weeks_week_check', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_created_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_quote_hours_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('analytics_quote_bookings_pkey', 'internal_error', 'the analytics rollups could not be updated'),
        ('events_kind_check', 'internal_error', 'the event could not be recorded'),
        ('events_audience_check', 'internal_error', 'the event could not be recorded'),
        ('events_payload_check', 'internal_error', 'the event could not be recorded'),
        -- notifications
        ('notifications_pkey', 'internal_error', 'the notification could not be recorded'),
        ('notifications_event_key_recipient_id_channel_key', 'conflict', 'this notification was already recorded'),
        ('notifications_recipient_id_fkey', 'not_found', 'the recipient account does not exist'),
        ('notifications_attempts_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_channel_check', 'invalid_input', 'channel must be email or sms'),
        ('notifications_data_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_delivery_unknown_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_event_key_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_sent_at_check', 'internal_error', 'the notification could not be recorded'),
        ('notifications_status_check', 'internal_error', 'the notification could not be recorded'),
        ('notification_preferences_pkey', 'conflict', 'this preference already exists'),
        ('notification_preferences_user_id_fkey', 'not_found', 'the account does not exist'),
        ('notification_preferences_category_check', 'invalid_input', 'category must be reminders or booking_updates'),
        -- reviews (written by definers only) and the ratings and reliability they keep
        ('reviews_pkey', 'internal_error', 'the review could not be recorded'),
        ('reviews_booking_id_key', 'already_reviewed', 'this booking has already been reviewed'),
        ('reviews_booking_id_fkey', 'not_found', 'the booking does not exist'),
        ('reviews_provider_id_fkey', 'not_found', 'the provider does not exist'),
        ('reviews_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('reviews_hidden_by_fkey', 'internal_error', 'the review could not be recorded'),
        ('reviews_stars_check', 'invalid_input', 'stars must be a whole number from 1 to 5'),
        ('reviews_body_check', 'invalid_input', 'body must be 1 to 2000 characters'),
        ('reviews_author_name_check', 'internal_error', 'the review could not be recorded'),
        ('reviews_weight_check', 'internal_error', 'the review could not be recorded'),
        ('reviews_reply_check', 'invalid_input', 'reply must be 1 to 2000 characters'),
        ('reviews_replied_at_check', 'internal_error', 'the reply could not be recorded'),
        ('reviews_hidden_reason_check', 'invalid_input', 'reason must be 1 to 500 characters'),
        ('waitlist_entries_pkey', 'internal_error', 'the waitlist entry could not be recorded'),
        ('waitlist_entries_customer_id_fkey', 'not_found', 'the customer account does not exist'),
        ('waitlist_entries_service_id_fkey', 'not_found', 'the service does not exist'),
        ('waitlist_entries_provider_id_fkey', 'not_found', 'the provider does not exist'),
        ('waitlist_entries_category_id_fkey', 'invalid_input', 'category must be a known category slug'),
        ('waitlist_entries_notified_booking_id_fkey', 'internal_error', 'the waitlist entry could not be recorded'),
        ('waitlist_entries_status_check', 'internal_error', 'the waitlist entry could not be recorded'),
        (
            'waitlist_entries_target_check', 'invalid_input',
            'give exactly one of service_id, provider_id, or category with lat and lng'
        ),
        ('waitlist_entries_lat_check', 'invalid_input', 'lat must be between -90 and 90'),
        ('waitlist_entries_lng_check', 'invalid_input', 'lng must be between -180 and 180'),
        ('waitlist_entries_radius_km_check', 'invalid_input', 'radius_km must be more than 0 and at most 200'),
        ('waitlist_entries_wanted_check', 'invalid_input', 'ends_at must be after starts_at'),
        ('waitlist_entries_notified_check', 'internal_error', 'the waitlist entry could not be recorded'),
        ('providers_rating_weight_check', 'internal_error', 'the rating could not be recorded'),
        ('providers_rating_weighted_stars_check', 'internal_error', 'the rating could not be recorded'),
        ('providers_reliability_counts_check', 'internal_error', 'the reliability figures could not be recorded'),
        ('providers_reliability_rates_check', 'internal_error', 'the reliability figures could not be recorded'),
        -- areas (written by migrations only)
        ('areas_pkey', 'internal_error', 'the area could not be recorded'),
        ('areas_slug_check', 'internal_error', 'the area could not be recorded'),
        ('areas_boundary_check', 'internal_error', 'the area could not be recorded')
    ) as v (constraint_name, code, message)
$$;
comment on function internal.constraint_errors() is
'Each app constraint with the registered code and the message a client gets when a write breaks it.';
