select internal.record_payment_failure(%(payment_id)s::uuid, %(reason)s) as outcome
