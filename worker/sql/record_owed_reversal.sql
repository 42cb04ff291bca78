select internal.record_owed_reversal(%(refund_id)s::uuid, %(reversal_id)s::text) as outcome
