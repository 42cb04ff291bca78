select internal.record_payment_intent_cancelled(%(payment_id)s::uuid) as outcome
