-- Stripe calls the webhook without a token (role anon); the signature is the credential.
grant execute on function api.stripe_webhook(json), internal.receive_stripe_webhook(json) to anon;
