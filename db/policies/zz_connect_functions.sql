-- Stripe Connect (db/functions/55_connect.sql): who may call what.
grant execute on function
api.start_payout_onboarding(),
internal.start_payout_onboarding(),
api.my_payout_account(),
internal.my_payout_account()
to provider;

grant execute on function api.booking_payout(uuid), internal.booking_payout(uuid) to provider, ops;

grant execute on function
api.commission_rates(),
internal.commission_rates(),
api.ops_set_commission_rate(text, integer, integer, text),
internal.ops_set_commission_rate(text, integer, integer, text)
to ops;

-- The worker's entry points for onboarding.
grant execute on function
internal.payout_onboarding_action(uuid, uuid),
internal.record_payout_account(uuid, text),
internal.record_payout_link(uuid, uuid, text, timestamptz)
to bookiji_worker;

-- The worker's entry points for a late cancellation's reversal, apart from its refund.
grant execute on function
internal.transfer_reversal_action(uuid),
internal.record_transfer_reversal(uuid, text)
to bookiji_worker;
