-- Stripe calls the webhook without a token (role anon); the signature is the credential.
grant execute on function api.stripe_webhook(json), internal.receive_stripe_webhook(json) to anon;

-- Payments that did not match their booking: ops only (row-level security on the table agrees).
grant select on api.payment_mismatches to ops;
