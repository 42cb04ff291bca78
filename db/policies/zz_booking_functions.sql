-- Booking and payment functions: who may call what.
grant execute on function
api.confirm_booking(uuid, uuid, boolean),
internal.confirm_booking(uuid, uuid, boolean),
api.booking_payment(uuid),
internal.booking_payment(uuid)
to customer;
-- The definer refuses other roles with 403 forbidden itself; the api wrapper is
-- the customers' alone (others get 403 from PostgREST, and no endpoint in their OpenAPI).
grant execute on function internal.confirm_booking(uuid, uuid, boolean) to provider, ops;

grant select on api.my_bookings to customer, provider, ops;

-- The worker's entry points.
grant execute on function
internal.payment_intent_request(uuid),
internal.record_payment_intent(uuid, text, text),
internal.record_payment_intent_cancelled(uuid),
internal.record_payment_failure(uuid, text),
internal.refund_request(uuid),
internal.record_refund(uuid, text, text, text),
internal.sweep(integer),
internal.reminder_still_due(uuid, timestamptz),
internal.reconcile_snapshot(timestamptz),
internal.reconcile_apply(jsonb)
to bookiji_worker;

-- Ops (and the command line) can ask the database to check its own promises.
grant execute on function internal.check_invariants() to ops;
