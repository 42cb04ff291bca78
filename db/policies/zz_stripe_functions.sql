-- Stripe calls the webhook without a token (role anon); the signature is the credential.
grant execute on function api.stripe_webhook(json), internal.receive_stripe_webhook(json) to anon;

-- Payments that did not match their booking: ops only (row-level security on the table agrees).
grant select on api.payment_mismatches to ops;

-- The worker asks what to do (56_payment_actions.sql) and hands Stripe's objects to reconciliation.
grant execute on function
internal.payment_intent_action(uuid, integer),
internal.payment_cancel_action(uuid, text, boolean),
internal.refund_action(uuid),
internal.stripe_refund_status(text),
internal.reconcile(jsonb, jsonb, timestamptz, interval, boolean)
to bookiji_worker;
