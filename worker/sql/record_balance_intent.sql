select internal.record_balance_intent(%(booking_id)s::uuid, %(intent)s::jsonb) as outcome
