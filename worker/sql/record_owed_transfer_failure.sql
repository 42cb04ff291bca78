select internal.record_owed_transfer_failure(%(owed_transfer_id)s::uuid, %(reason)s::text) as outcome
