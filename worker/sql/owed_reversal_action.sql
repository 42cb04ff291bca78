select internal.owed_reversal_action(%(refund_id)s::uuid) as step
