select internal.record_refund(
    %(refund_id)s::uuid, %(stripe_refund_id)s, internal.stripe_refund_status(%(stripe_status)s::text), %(failure)s
) as outcome
