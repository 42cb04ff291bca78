select internal.transfer_reversal_action(%(refund_id)s::uuid) as step
