select internal.record_payout_account(%(provider_id)s::uuid, %(account_id)s::text) as outcome
