-- After booking (cancel, reschedule, ops, completion, balance): who may call what.
-- The api wrappers are granted to the roles that may call them, and no other
-- (a role without the grant gets 401/403 forbidden and does not see the
-- endpoint in its OpenAPI). The definers behind them still decide who is a
-- party to the booking, and refuse everyone else with a registered code
-- (404 not_found for strangers, 403 forbidden for the wrong role).
grant execute on function
internal.cancel_booking(uuid, text),
internal.cancellation_preview(uuid),
internal.reschedule_booking(uuid, timestamptz),
internal.mark_booking(uuid, text),
internal.booking_balance(uuid),
internal.ops_refund(uuid, integer, text),
internal.ops_force_cancel(uuid, text, boolean)
to customer, provider, ops;

-- the parties to a booking
grant execute on function
api.cancel_booking(uuid, text),
api.cancellation_preview(uuid),
api.reschedule_booking(uuid, timestamptz)
to customer, provider;
-- the provider's owner marks the outcome
grant execute on function api.mark_booking(uuid, text) to provider;
-- the parties, and ops answering a dispute
grant execute on function api.booking_balance(uuid) to customer, provider, ops;
-- ops only
grant execute on function
api.ops_refund(uuid, integer, text),
api.ops_force_cancel(uuid, text, boolean)
to ops;
