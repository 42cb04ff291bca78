select internal.record_transfer_reversal(%(refund_id)s::uuid, %(reversal_id)s::text) as outcome
