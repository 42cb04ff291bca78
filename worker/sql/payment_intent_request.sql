select internal.payment_intent_request(%(payment_id)s::uuid) as request
