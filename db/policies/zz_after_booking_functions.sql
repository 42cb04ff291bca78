-- After booking (cancel, reschedule, ops, completion, balance): who may call what.
-- Every API role but anon reaches the wrappers: the functions decide who is a
-- party to the booking, and refuse everyone else with a registered code
-- (404 not_found for strangers, 403 forbidden for the wrong role).
grant execute on function
api.cancel_booking(uuid, text),
internal.cancel_booking(uuid, text),
api.cancellation_preview(uuid),
internal.cancellation_preview(uuid),
api.reschedule_booking(uuid, timestamptz),
internal.reschedule_booking(uuid, timestamptz),
api.mark_booking(uuid, text),
internal.mark_booking(uuid, text),
api.booking_balance(uuid),
internal.booking_balance(uuid),
api.ops_refund(uuid, integer, text),
internal.ops_refund(uuid, integer, text),
api.ops_force_cancel(uuid, text, boolean),
internal.ops_force_cancel(uuid, text, boolean)
to customer, provider, ops;
