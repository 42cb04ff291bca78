select internal.record_owed_transfer(%(owed_transfer_id)s::uuid, %(transfer_id)s::text, %(source_transaction)s::text) as outcome
