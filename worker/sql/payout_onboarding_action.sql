select internal.payout_onboarding_action(%(provider_id)s::uuid, %(link_request_id)s::uuid) as step
