select internal.record_payment_intent(%(payment_id)s::uuid, %(intent_id)s, %(client_secret)s) as outcome
