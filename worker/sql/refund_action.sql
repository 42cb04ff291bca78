select internal.refund_action(%(refund_id)s::uuid) as step
