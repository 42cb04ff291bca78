select internal.payment_intent_action(%(payment_id)s::uuid, %(attempt)s::integer) as step
