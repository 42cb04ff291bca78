select internal.record_payout_link(
    %(provider_id)s::uuid, %(link_request_id)s::uuid, %(url)s::text, to_timestamp(%(expires_at)s::bigint)
) as outcome
