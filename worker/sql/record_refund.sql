select internal.record_refund(%(refund_id)s::uuid, %(stripe_refund_id)s, %(status)s, %(failure)s) as outcome
